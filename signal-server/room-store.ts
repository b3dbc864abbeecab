/**
 * Where the signal server keeps who is in which room, behind one asynchronous interface:
 * `MemoryRoomStore` (one process, the default) or `RedisRoomStore` (several processes
 * sharing a Redis, see redis-room-store.ts).
 *
 * The operations and their meaning are those of `Rooms` (rooms.ts), made asynchronous.
 * Three additions exist because, with several processes, the process that holds a
 * participant's connection (its *owner*: the store instance it last joined or rejoined
 * through) is no longer the only one that can act on it:
 * - `leave(id, { onlyIfOwned: true })`: a disconnect grace that runs out on one process
 *   must not remove a participant that has meanwhile resumed on another;
 * - `markOffline` / `isOnline`: a participant in its grace is listed and counted but
 *   unreachable, and every process must be able to tell (to refuse signals to it).
 */
import { randomBytes } from 'node:crypto';
import type { ParticipantInfo, Topology } from '../src/protocol/index.js';
import { Rooms, type Joiner, type ParticipantPatch, type RoomJoinResult, type RoomLeaveResult } from './rooms.js';

export type { Joiner, ParticipantPatch, RoomJoinResult, RoomLeaveResult } from './rooms.js';

/** What `RoomStore.rejoin` answers when the participant is in a room. */
export interface RoomRejoinResult {
  participant: ParticipantInfo;
  others: ParticipantInfo[];
}

/** How `RoomStore.leave` removes. */
export interface LeaveOptions {
  /**
   * Remove the participant only while this store instance owns it (it last joined or
   * rejoined through this instance). For removals caused by one of this process's
   * sockets (a grace running out, a disconnect): the participant may have resumed on
   * another process in the meantime. Default false: remove whoever owns it.
   */
  onlyIfOwned?: boolean;
}

/** How `RoomStore.close` lets go. */
export interface CloseOptions {
  /** How long the others should still count this instance as alive. Default 0. */
  lingerMs?: number;
}

/**
 * Rooms and their participants, possibly shared by several server processes. Every
 * method answers a Promise; a store that cannot reach its backend rejects.
 *
 * Guarantees (every implementation): capacity is enforced atomically (concurrent joins
 * never overfill a room, from any number of processes); an id is in at most one room;
 * a room exists while it has a participant and is deleted with its last one; every value
 * handed out is a copy; session key hashes are never handed out and are compared in
 * constant time.
 */
export interface RoomStore {
  /** The most participants one room may hold. */
  readonly capacity: number;
  /** This store instance's id: it owns the participants that joined or rejoined through it. */
  readonly instanceId: string;

  /**
   * Puts a participant in a room, creating the room if needed, owned by this instance and
   * online. Refuses when the room is at capacity or the id is already in a room.
   * `keyHash` (the hash of the joiner's session key) is kept for `keyMatches`.
   */
  join(room: string, participant: Joiner, keyHash?: Uint8Array): Promise<RoomJoinResult>;
  /**
   * The same participant joining again (a session resume): name and media state replaced
   * as a join would set them, place in the room, joining order and key hash kept; it
   * becomes owned by this instance and online again. Undefined if it is in no room.
   */
  rejoin(participant: Joiner): Promise<RoomRejoinResult | undefined>;
  /** True when this participant joined with a session key whose hash is `keyHash`; constant time. */
  keyMatches(id: string, keyHash: Uint8Array): Promise<boolean>;
  /** Takes a participant out of its room, deleting the room when it empties. Idempotent. */
  leave(id: string, options?: LeaveOptions): Promise<RoomLeaveResult | undefined>;
  /** Applies a patch; answers the whole updated participant, or undefined if unknown. */
  update(id: string, patch: ParticipantPatch): Promise<ParticipantInfo | undefined>;
  /** The participant with this id, if it is in a room. */
  get(id: string): Promise<ParticipantInfo | undefined>;
  /** The room this participant is in, if any. */
  roomOf(id: string): Promise<string | undefined>;
  /** Everyone in a room, in joining order; empty for a room that does not exist. */
  members(room: string): Promise<ParticipantInfo[]>;
  /** How many rooms exist, over all processes sharing the store. */
  roomCount(): Promise<number>;
  /**
   * How a room carries media (`TOPOLOGY=auto`): `sfu` once it moved there, else `mesh`
   * (also for a room that does not exist). Forgotten with the room.
   */
  topology(room: string): Promise<Topology>;
  /**
   * Atomically moves a room to the SFU when it holds more than `limit` participants; a
   * room never moves back while it lives. `switched` is true for exactly one caller, over
   * every process: the one whose call moved it (it tells the room).
   */
  moveToSfuAbove(room: string, limit: number): Promise<{ topology: Topology; switched: boolean }>;
  /** How many rooms are on the SFU, over all processes sharing the store. */
  sfuRoomCount(): Promise<number>;
  /** How many participants are in rooms, over all processes sharing the store. */
  participantCount(): Promise<number>;

  /**
   * The participant's connection through this instance dropped (its disconnect grace
   * starts): it stays in its room, counted and listed, but `isOnline` answers false until
   * it rejoins. Does nothing (answers false) when it is in no room or another instance
   * owns it (it already resumed there).
   */
  markOffline(id: string): Promise<boolean>;
  /** True when the participant is in a room and not offline (reachable for signals). */
  isOnline(id: string): Promise<boolean>;

  /** True while the store can serve (for `/readyz`); never rejects. */
  ready(): Promise<boolean>;
  /**
   * Releases the store's connections and timers. Idempotent. With `lingerMs`, a store shared
   * with other processes keeps this instance counted as alive for that long, so that the
   * participants it still owns (its clients sent away to resume elsewhere) are swept by the
   * others only if they have not resumed by then.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** A store instance id: random, so a restarted process never takes over a dead one's id. */
export function newInstanceId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * The in-memory store: a thin asynchronous wrapper over `Rooms`, for a single process
 * (which owns every participant, so `onlyIfOwned` changes nothing).
 */
export class MemoryRoomStore implements RoomStore {
  readonly instanceId = newInstanceId();
  /** The bookkeeping behind this store, synchronous, for metrics and tests. */
  readonly rooms: Rooms;
  /** Participants in their disconnect grace. */
  readonly #offline = new Set<string>();

  constructor(options: { capacity: number }) {
    this.rooms = new Rooms(options);
  }

  get capacity(): number {
    return this.rooms.capacity;
  }

  async join(room: string, participant: Joiner, keyHash?: Uint8Array): Promise<RoomJoinResult> {
    const joined = this.rooms.join(room, participant, keyHash);
    if (joined.ok) this.#offline.delete(participant.id);
    return joined;
  }

  async rejoin(participant: Joiner): Promise<RoomRejoinResult | undefined> {
    const rejoined = this.rooms.rejoin(participant);
    if (rejoined) this.#offline.delete(participant.id);
    return rejoined;
  }

  async keyMatches(id: string, keyHash: Uint8Array): Promise<boolean> {
    return this.rooms.keyMatches(id, keyHash);
  }

  async leave(id: string, _options?: LeaveOptions): Promise<RoomLeaveResult | undefined> {
    this.#offline.delete(id);
    return this.rooms.leave(id);
  }

  async update(id: string, patch: ParticipantPatch): Promise<ParticipantInfo | undefined> {
    return this.rooms.update(id, patch);
  }

  async get(id: string): Promise<ParticipantInfo | undefined> {
    return this.rooms.get(id);
  }

  async roomOf(id: string): Promise<string | undefined> {
    return this.rooms.roomOf(id);
  }

  async members(room: string): Promise<ParticipantInfo[]> {
    return this.rooms.members(room);
  }

  async roomCount(): Promise<number> {
    return this.rooms.roomCount;
  }

  async participantCount(): Promise<number> {
    return this.rooms.participantCount;
  }

  async topology(room: string): Promise<Topology> {
    return this.rooms.topology(room);
  }

  async moveToSfuAbove(room: string, limit: number): Promise<{ topology: Topology; switched: boolean }> {
    return this.rooms.moveToSfuAbove(room, limit);
  }

  async sfuRoomCount(): Promise<number> {
    return this.rooms.sfuRoomCount;
  }

  async markOffline(id: string): Promise<boolean> {
    if (this.rooms.roomOf(id) === undefined) return false;
    this.#offline.add(id);
    return true;
  }

  async isOnline(id: string): Promise<boolean> {
    return this.rooms.roomOf(id) !== undefined && !this.#offline.has(id);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(_options?: CloseOptions): Promise<void> {
    // Nothing to release: the bookkeeping lives and dies with the process.
  }
}
