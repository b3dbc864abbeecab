/**
 * What the signal server needs from the SFU side, as plain types: server.ts imports only
 * this file (types, no janode), so a mesh-only server never loads janode and its native
 * addon. The implementation (`SfuRooms`, sfu-rooms.ts) is imported lazily by cli.ts when
 * `JANUS_URL` is set.
 */
import type { IceCandidateInfo, SfuTarget, ServerToClientEvents } from '../../src/protocol/index.js';

/** How the SFU side reaches pages: through the signal server's socket.io rooms (which span processes). */
export interface SfuSink {
  /** Sends an event to one participant, wherever it is connected. */
  toParticipant<E extends keyof ServerToClientEvents>(id: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** Sends an event to everyone in a call room. */
  toRoom<E extends keyof ServerToClientEvents>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
}

/** Why an SFU request failed, as the page hears it. */
export class SfuRequestError extends Error {
  constructor(
    message: string,
    /** `invalid-input` for a request that cannot be right (no such participant), `connection-failed` for Janus trouble. */
    readonly code: 'invalid-input' | 'connection-failed',
  ) {
    super(message);
    this.name = 'SfuRequestError';
  }
}

/** Numbers for the metrics. */
export interface SfuStats {
  /** Janus instances connected now. */
  instancesUp: number;
  /** Janus instances configured. */
  instances: number;
  /** Call rooms this process has on the SFU. */
  rooms: number;
  /** Participants publishing through this process's Janus connections. */
  publishers: number;
}

/**
 * The SFU rooms of one signal-server process. Every method for a participant is called
 * only for a participant of an SFU room whose connection is on this process.
 */
export interface SfuBackend {
  /** Where pages are reached; set once by the server before any other call. */
  bind(sink: SfuSink): void;
  /** Room capacity for the VideoRooms (the most publishers), set by the server. */
  setCapacity(capacity: number): void;
  /**
   * A participant is in an SFU room (it joined one, or its room just moved to the SFU):
   * from now on it is subscribed to everyone publishing there, publishing or not itself.
   * Idempotent.
   */
  enter(room: string, participantId: string): Promise<void>;
  /** `sfu-publish`: its publisher offer (first or renegotiation); answers Janus's answer. */
  publish(room: string, participantId: string, sdp: string, screenMid: string | null): Promise<string>;
  /** `sfu-answer`: its answer to the latest `sfu-offer`. */
  answer(room: string, participantId: string, sdp: string): Promise<void>;
  /** `sfu-candidate` from the page. */
  candidate(room: string, participantId: string, target: SfuTarget, candidate: IceCandidateInfo | null): Promise<void>;
  /** `sfu-layer`: which simulcast layer of `publisherId`'s camera it receives. */
  layer(room: string, participantId: string, publisherId: string, layer: 0 | 1 | 2): Promise<void>;
  /**
   * `sfu-restart`: an ICE restart of its subscriber connection; resolves once the SFU made
   * the new offer, which goes to the page as `sfu-offer`. `invalid-input` when it has no subscription.
   */
  restartSubscriber(room: string, participantId: string): Promise<void>;
  /**
   * The participant left the room (or its grace ran out): it leaves Janus, the others'
   * subscriptions drop it. `roomEmpty`: nobody is left in the call room (on any process),
   * so its VideoRoom goes too.
   */
  leave(room: string, participantId: string, roomEmpty: boolean): Promise<void>;
  /** Numbers for the metrics. */
  stats(): SfuStats;
  /** Leaves everything and closes the Janus connections. Idempotent. */
  close(): Promise<void>;
}
