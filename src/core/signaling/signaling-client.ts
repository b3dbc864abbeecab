import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  JoinAnswer,
  JoinRequest,
  MediaState,
  ServerToClientEvents,
  SignalData,
} from '../../protocol/index.js';
import { RtcError } from '../errors.js';

export type SignalSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SignalingHandlers {
  onParticipantJoined: ServerToClientEvents['participant-joined'];
  onParticipantUpdated: ServerToClientEvents['participant-updated'];
  onParticipantLeft: ServerToClientEvents['participant-left'];
  onSignal: ServerToClientEvents['signal'];
  onServerError: ServerToClientEvents['rtc-error'];
  /** The connection to the server dropped without us asking. */
  onConnectionLost: () => void;
  /** The connection is back after a loss. */
  onReconnected: () => void;
}

/** How long to wait for the server before saying it cannot be reached. */
const CONNECT_TIMEOUT_MS = 8000;

/**
 * The page's side of the signal server: one socket.io connection, typed by the shared
 * protocol. It only moves messages; the `Call` decides what they mean.
 */
export class SignalingClient {
  readonly #socket: SignalSocket;
  readonly #handlers: SignalingHandlers;
  #closing = false;
  #connectedBefore = false;

  constructor(url: string, handlers: SignalingHandlers) {
    this.#handlers = handlers;
    this.#socket = io(url, {
      autoConnect: false,
      transports: ['websocket', 'polling'],
      timeout: CONNECT_TIMEOUT_MS,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
    });
    this.#socket.on('participant-joined', handlers.onParticipantJoined);
    this.#socket.on('participant-updated', handlers.onParticipantUpdated);
    this.#socket.on('participant-left', handlers.onParticipantLeft);
    this.#socket.on('signal', handlers.onSignal);
    this.#socket.on('rtc-error', handlers.onServerError);
    this.#socket.on('disconnect', this.#onDisconnect);
    this.#socket.on('connect', this.#onConnect);
  }

  /** Connects, or fails with `signaling-unreachable` once the first attempt fails. */
  connect(signal: AbortSignal): Promise<void> {
    const socket = this.#socket;
    if (socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        socket.disconnect();
        reject(new RtcError('signaling-unreachable', `Cannot reach the signal server (${error.message})`, { cause: error }));
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason);
      };
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      signal.addEventListener('abort', onAbort);
      socket.connect();
    });
  }

  /** Asks to join a room; the server's refusal becomes an `RtcError` with its code. */
  async join(request: JoinRequest): Promise<Extract<JoinAnswer, { ok: true }>> {
    let answer: JoinAnswer;
    try {
      answer = await this.#socket.timeout(CONNECT_TIMEOUT_MS).emitWithAck('join', request);
    } catch (error) {
      throw new RtcError('signaling-unreachable', 'The signal server did not answer', { cause: error });
    }
    if (!answer.ok) throw new RtcError(answer.error.code, answer.error.message);
    return answer;
  }

  signal(to: string, data: SignalData): void {
    this.#socket.emit('signal', { to, data });
  }

  update(media: Partial<MediaState> & { name?: string }): void {
    this.#socket.emit('update', media);
  }

  /** Says goodbye (best effort) and closes the connection for good. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const socket = this.#socket;
    if (socket.connected) socket.emit('leave');
    socket.off();
    socket.disconnect();
  }

  readonly #onDisconnect = (reason: string): void => {
    if (this.#closing || reason === 'io client disconnect') return;
    this.#handlers.onConnectionLost();
    // socket.io does not reconnect by itself after the server closed the connection on
    // purpose (a restart, a deploy): try again after a short, jittered pause.
    if (reason === 'io server disconnect') {
      setTimeout(() => {
        if (!this.#closing) this.#socket.connect();
      }, 500 + Math.random() * 1500);
    }
  };

  /** Every connection after the first is a reconnection, however it came about. */
  readonly #onConnect = (): void => {
    if (this.#connectedBefore && !this.#closing) this.#handlers.onReconnected();
    this.#connectedBefore = true;
  };
}
