/**
 * The signal server's side of rooms on the SFU: which topology a room has (and the join
 * that moves an `auto` room), and the `sfu-*` events, checked (validate.ts) and handed to
 * the `SfuBackend`. Kept apart from server.ts, which only wires these in; nothing here
 * loads janode (the backend is handed in, made by sfu/index.ts when `JANUS_URL` is set).
 */
import type { ErrorCode, Topology } from '../src/protocol/index.js';
import type { Logger } from './logger.js';
import type { RoomStore } from './room-store.js';
import { SfuRequestError, type SfuBackend } from './sfu/types.js';
import { validateSfuAnswer, validateSfuCandidate, validateSfuLayer, validateSfuPublish, validateSfuRestart, type Validated } from './validate.js';

/** What these handlers need of a socket: the server's per-socket data. */
export interface SfuSocket {
  data: { participantId?: string; room?: string; sfu?: boolean };
}

/** An acknowledgement callback as socket.io hands it over. */
type AckCallback = (answer: unknown) => void;

export interface SfuEventsOptions {
  topology: 'mesh' | 'sfu' | 'auto';
  meshLimit: number;
  sfu: SfuBackend | undefined;
  rooms: RoomStore;
  logger: Logger;
  /** Answers a refusal as the server does (ack, or `rtc-error`), counting it. */
  refuse: (socket: SfuSocket, event: string, code: ErrorCode, message: string, ack?: AckCallback) => void;
  /** Counts an SFU message passed on (metrics). */
  counted: () => void;
  messages: { notJoined: string; notSfu: string; needsAck: string; notInRoom: string };
}

/** How one `sfu-*` event is handled (see `handle`). */
interface SfuRequest<T> {
  event: string;
  validate: (payload: unknown) => Validated<T>;
  /** Refused without an ack: its answer carries something back. */
  needsAck?: boolean;
  /** Counted as an SFU message passed on (metrics). */
  counts?: boolean;
  /** The work; what it answers goes into the ack. A `SfuRequestError` refuses the request. */
  run: (sfu: SfuBackend, from: { id: string; room: string }, request: T) => Promise<Record<string, unknown> | void>;
}

/** The SFU side of a signal server: see the file comment. */
export interface SfuEvents {
  /** How a room carries media now, for a resume or a message (never moves it). */
  currentTopology(room: string): Promise<Topology>;
  /** After a join: the room's topology, moved to the SFU if the join made it too big for a mesh. */
  settleTopology(room: string): Promise<{ topology: Topology; switched: boolean }>;
  /** The socket's participant is in an SFU room: it gets subscribed to everyone publishing there. */
  enter(socket: SfuSocket, room: string, id: string): void;
  /** A participant left: it leaves Janus too, and the VideoRoom goes with the room's last one. Never rejects. */
  leave(room: string, id: string): Promise<void>;
  /** A resumed participant starts its SFU connections over: whatever Janus held for it goes. Never rejects. */
  reset(room: string, id: string): Promise<void>;
  onPublish(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined): Promise<void>;
  onAnswer(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined): Promise<void>;
  onCandidate(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined): Promise<void>;
  onLayer(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined): Promise<void>;
  onRestart(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined): Promise<void>;
}

export function createSfuEvents(options: SfuEventsOptions): SfuEvents {
  const { topology: mode, meshLimit, sfu, rooms, logger, refuse, counted, messages } = options;

  const currentTopology = async (room: string): Promise<Topology> => (mode === 'auto' ? rooms.topology(room) : mode);

  const enter = (socket: SfuSocket, room: string, id: string): void => {
    socket.data.sfu = true;
    sfu?.enter(room, id).catch((error: unknown) => logger.warn({ err: error, room, participantId: id }, 'SFU: could not enter a participant'));
  };

  /**
   * The sender of an `sfu-*` message, if it may send one: joined, in a room on the SFU.
   * Otherwise the message is refused (`invalid-input`) and undefined answered.
   */
  async function sender(socket: SfuSocket, event: string, ack: AckCallback | undefined): Promise<{ id: string; room: string } | undefined> {
    const { participantId: id, room } = socket.data;
    if (id === undefined || room === undefined) {
      refuse(socket, event, 'invalid-input', messages.notJoined, ack);
      return undefined;
    }
    if (!socket.data.sfu) {
      if (!sfu || (await currentTopology(room)) !== 'sfu') {
        refuse(socket, event, 'invalid-input', messages.notSfu, ack);
        return undefined;
      }
      // Its room moved on another process: it enters here, on its first SFU message.
      socket.data.sfu = true;
      await sfu.enter(room, id);
    }
    return { id, room };
  }

  /** Answers an SFU request that failed: a request that cannot be right, or Janus trouble. */
  function failed(socket: SfuSocket, event: string, error: unknown, ack: AckCallback | undefined): void {
    if (!(error instanceof SfuRequestError)) throw error;
    refuse(socket, event, error.code, error.message, ack);
  }

  /**
   * One `sfu-*` request: checked, from a participant of an SFU room, handed to the SFU;
   * acknowledged with `{ ok: true }` and whatever `run` answers, or refused.
   */
  async function handle<T>(socket: SfuSocket, payload: unknown, ack: AckCallback | undefined, request: SfuRequest<T>): Promise<void> {
    const { event } = request;
    if (request.needsAck && !ack) return refuse(socket, event, 'invalid-input', messages.needsAck);
    const checked = request.validate(payload);
    if (!checked.ok) return refuse(socket, event, 'invalid-input', checked.reason, ack);
    const from = await sender(socket, event, ack);
    if (!from || !sfu) return;
    try {
      const answer = await request.run(sfu, from, checked.value);
      ack?.({ ok: true, ...answer });
      if (request.counts) counted();
    } catch (error) {
      failed(socket, event, error, ack);
    }
  }

  return {
    currentTopology,
    async settleTopology(room) {
      if (mode !== 'auto') return { topology: mode, switched: false };
      return rooms.moveToSfuAbove(room, meshLimit);
    },
    enter,
    async leave(room, id) {
      if (!sfu) return;
      try {
        const empty = (await rooms.members(room)).length === 0;
        await sfu.leave(room, id, empty);
      } catch (error) {
        logger.warn({ err: error, room, participantId: id }, 'SFU: could not take a participant out');
      }
    },
    async reset(room, id) {
      await sfu?.leave(room, id, false).catch((error: unknown) => logger.warn({ err: error, participantId: id }, 'SFU: could not reset a resumed participant'));
    },

    onPublish: (socket, payload, ack) =>
      handle(socket, payload, ack, {
        event: 'sfu-publish',
        validate: validateSfuPublish,
        needsAck: true,
        counts: true,
        run: async (backend, from, request) => ({ sdp: await backend.publish(from.room, from.id, request.sdp, request.screenMid ?? null) }),
      }),

    onAnswer: (socket, payload, ack) =>
      handle(socket, payload, ack, {
        event: 'sfu-answer',
        validate: validateSfuAnswer,
        counts: true,
        run: (backend, from, request) => backend.answer(from.room, from.id, request.sdp),
      }),

    onCandidate: (socket, payload, ack) =>
      handle(socket, payload, ack, {
        event: 'sfu-candidate',
        validate: validateSfuCandidate,
        run: (backend, from, request) => backend.candidate(from.room, from.id, request.target, request.candidate),
      }),

    onLayer: (socket, payload, ack) =>
      handle(socket, payload, ack, {
        event: 'sfu-layer',
        validate: validateSfuLayer,
        run: async (backend, from, { participant, layer }) => {
          if (participant === from.id || (await rooms.roomOf(participant)) !== from.room) {
            throw new SfuRequestError(messages.notInRoom, 'invalid-input');
          }
          await backend.layer(from.room, from.id, participant, layer);
        },
      }),

    onRestart: (socket, payload, ack) =>
      handle(socket, payload, ack, {
        event: 'sfu-restart',
        validate: validateSfuRestart,
        needsAck: true,
        counts: true,
        run: (backend, from) => backend.restartSubscriber(from.room, from.id),
      }),
  };
}
