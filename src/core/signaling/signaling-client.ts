import type {
  ClientToServerEvents,
  ErrorCode,
  JoinAnswer,
  JoinRequest,
  MediaState,
  RelayRequest,
  ServerToClientEvents,
  SfuCandidate,
  SfuLayerRequest,
  SfuPublishRequest,
  SfuRestartRequest,
  SignalData,
} from '../../protocol/index.js';
import { RtcError } from '../errors.js';
import { SocketIoConnection } from './socket-io-connection.js';

export interface SignalingHandlers {
  onParticipantJoined: ServerToClientEvents['participant-joined'];
  onParticipantUpdated: ServerToClientEvents['participant-updated'];
  onParticipantLeft: ServerToClientEvents['participant-left'];
  onSignal: ServerToClientEvents['signal'];
  onServerError: ServerToClientEvents['rtc-error'];
  /** SFU rooms (see `docs/sfu.md`): the room moved to the SFU, or must set it up again. */
  onTopology?: ServerToClientEvents['topology'];
  onSfuOffer?: ServerToClientEvents['sfu-offer'];
  onSfuCandidate?: ServerToClientEvents['sfu-candidate'];
  onTalking?: ServerToClientEvents['talking'];
  onRelay?: ServerToClientEvents['relay'];
  /** The connection to the server dropped without us asking. */
  onConnectionLost: () => void;
  /** The connection is back after a loss. */
  onReconnected: () => void;
}

/** How long to wait for the server before saying it cannot be reached. */
const CONNECT_TIMEOUT_MS = 8000;
/** SFU negotiations wait on Janus behind the server: more time than a join. */
const SFU_TIMEOUT_MS = 15000;
/** A relayed message unacknowledged this long is taken as lost. */
const RELAY_TIMEOUT_MS = 20000;

type ClientEvent = keyof ClientToServerEvents;

/**
 * The page's side of the signal server: one socket.io connection, typed by the shared
 * protocol. It only moves messages; the `Call` decides what they mean.
 */
export class SignalingClient {
  readonly #connection: SocketIoConnection;
  readonly #handlers: SignalingHandlers;
  #closing = false;
  #connectedBefore = false;
  /** The first connection's outcome, while `connect()` waits for it. */
  #pending: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(url: string, handlers: SignalingHandlers) {
    this.#handlers = handlers;
    this.#connection = new SocketIoConnection(
      url,
      {
        onConnect: this.#onConnect,
        onDisconnect: this.#onDisconnect,
        onConnectError: this.#onConnectError,
      },
      { connectTimeoutMs: CONNECT_TIMEOUT_MS, reconnectDelayMs: 500, reconnectDelayMaxMs: 5000 },
    );
    const on = this.#connection.on.bind(this.#connection);
    on('participant-joined', handlers.onParticipantJoined);
    on('participant-updated', handlers.onParticipantUpdated);
    on('participant-left', handlers.onParticipantLeft);
    on('signal', handlers.onSignal);
    on('rtc-error', handlers.onServerError);
    // Only SFU rooms use these; a handler left out ignores the event.
    const ignore = (): void => undefined;
    on('topology', handlers.onTopology ?? ignore);
    on('sfu-offer', handlers.onSfuOffer ?? ignore);
    on('sfu-candidate', handlers.onSfuCandidate ?? ignore);
    on('talking', handlers.onTalking ?? ignore);
    on('relay', handlers.onRelay ?? ignore);
  }

  /** Connects, or fails with `signaling-unreachable` once the first attempt fails. */
  connect(signal: AbortSignal): Promise<void> {
    if (this.#connection.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending = undefined;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#connection.open();
    });
  }

  /** Asks to join a room; the server's refusal becomes an `RtcError` with its code. */
  async join(request: JoinRequest): Promise<Extract<JoinAnswer, { ok: true }>> {
    return this.#ask('join', request, CONNECT_TIMEOUT_MS, 'signaling-unreachable');
  }

  signal(to: string, data: SignalData): void {
    this.#emit('signal', { to, data });
  }

  update(media: Partial<MediaState> & { name?: string }): void {
    this.#emit('update', media);
  }

  /** SFU rooms: sends the publisher connection's offer; resolves with the SFU's answer SDP. */
  async sfuPublish(request: SfuPublishRequest): Promise<string> {
    const answer = await this.#ask<{ ok: true; sdp: string }>('sfu-publish', request, SFU_TIMEOUT_MS);
    return answer.sdp;
  }

  /** SFU rooms: answers the latest `sfu-offer` (the subscriber connection). */
  async sfuAnswer(sdp: string): Promise<void> {
    await this.#ask('sfu-answer', { sdp }, SFU_TIMEOUT_MS);
  }

  sfuCandidate(candidate: SfuCandidate): void {
    this.#emit('sfu-candidate', candidate);
  }

  /** SFU rooms: asks for an ICE restart of the subscriber connection; the new offer follows as `sfu-offer`. */
  async sfuRestart(target: SfuRestartRequest['target']): Promise<void> {
    await this.#ask('sfu-restart', { target }, SFU_TIMEOUT_MS);
  }

  /** SFU rooms: which simulcast layer of a participant's camera this page wants. */
  sfuLayer(request: SfuLayerRequest): void {
    this.#emit('sfu-layer', request);
  }

  /** SFU rooms: data for one participant through the server; resolves once the server passed it on. */
  async relay(request: RelayRequest): Promise<void> {
    await this.#ask('relay', request, RELAY_TIMEOUT_MS);
  }

  /** Says goodbye (best effort) and closes the connection for good. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#emit('leave');
    this.#connection.close();
    this.#pending?.reject(new RtcError('signaling-unreachable', 'Closed before the signal server answered'));
    this.#pending = undefined;
  }

  /** An event with an acknowledgement; a refusal becomes an `RtcError` with the server's code. */
  async #ask<T extends { ok: true }>(event: ClientEvent, arg: unknown, timeoutMs: number, silence: ErrorCode = 'connection-failed'): Promise<T> {
    let answer: T | { ok: false; error: { code: ErrorCode; message: string } };
    try {
      answer = await this.#connection.request<typeof answer>(event, arg, timeoutMs);
    } catch (error) {
      // No answer at all: `silence` says what that means for this request.
      throw new RtcError(silence, `The signal server did not answer ${event}`, { cause: error });
    }
    if (!answer?.ok) throw new RtcError(answer?.error?.code ?? 'connection-failed', answer?.error?.message ?? `${event} failed`);
    return answer;
  }

  #emit<E extends ClientEvent>(event: E, ...args: Parameters<ClientToServerEvents[E]>): void {
    this.#connection.emit(event, ...args);
  }

  /** Every connection after the first is a reconnection, however it came about. */
  readonly #onConnect = (): void => {
    this.#pending?.resolve();
    this.#pending = undefined;
    if (this.#connectedBefore && !this.#closing) this.#handlers.onReconnected();
    this.#connectedBefore = true;
  };

  readonly #onDisconnect = (): void => {
    if (!this.#closing) this.#handlers.onConnectionLost();
  };

  /** The first attempt failing ends `connect()`; later ones are retried by the connection. */
  readonly #onConnectError = (error: Error): void => {
    if (!this.#pending) return;
    const pending = this.#pending;
    this.#pending = undefined;
    this.#connection.close();
    pending.reject(new RtcError('signaling-unreachable', `Cannot reach the signal server (${error.message})`, { cause: error }));
  };
}
