/**
 * Who is in which room: pure bookkeeping, no sockets, so it can be tested without a
 * network and later swapped for a shared store.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MediaState, ParticipantInfo, Topology } from '../src/protocol/index.js';

/** A change to one participant: any media flags and, optionally, a new display name. */
export type ParticipantPatch = Partial<MediaState> & { name?: string };

/** What `Rooms.join` answers. `others` are the participants who were already there. */
export type RoomJoinResult =
  | { ok: true; participant: ParticipantInfo; others: ParticipantInfo[] }
  | { ok: false; reason: 'room-full' | 'already-joined' };

/** What `Rooms.leave` answers when the participant was in a room. */
export interface RoomLeaveResult {
  room: string;
  participant: ParticipantInfo;
}

/** The state every participant starts from before its own media flags are applied. */
const DEFAULT_MEDIA: Readonly<Required<MediaState>> = {
  microphone: false,
  camera: false,
  screenSharing: false,
  screenStreamId: null,
  recording: false,
};

/** Who joins: an id, a display name and any media flags (the rest take their defaults). */
export type Joiner = { id: string; name: string } & Partial<MediaState>;

/**
 * Rooms and their participants. A room exists while it has at least one participant
 * and is deleted when the last one leaves. Every value handed out is a copy, so callers
 * cannot change the bookkeeping behind its back.
 */
export class Rooms {
  /** The most participants one room may hold. */
  readonly capacity: number;
  readonly #rooms = new Map<string, Map<string, ParticipantInfo>>();
  readonly #roomByParticipant = new Map<string, string>();
  /** Participant id → the SHA-256 hash of its session key, for participants that sent one. */
  readonly #keyHashes = new Map<string, Buffer>();
  /** Rooms that moved to the SFU (for the rest of their life). */
  readonly #sfuRooms = new Set<string>();

  constructor(options: { capacity: number }) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`room capacity must be a positive integer, got ${String(options.capacity)}`);
    }
    this.capacity = options.capacity;
  }

  /**
   * Puts a participant in a room, creating the room if needed. Refuses when the room is
   * at capacity or the id is already in a room (an id is in at most one room).
   * `keyHash`, the hash of the joiner's session key, is kept for `keyMatches` and never
   * handed out.
   */
  join(room: string, participant: Joiner, keyHash?: Uint8Array): RoomJoinResult {
    if (this.#roomByParticipant.has(participant.id)) return { ok: false, reason: 'already-joined' };
    const members = this.#rooms.get(room) ?? new Map<string, ParticipantInfo>();
    if (members.size >= this.capacity) return { ok: false, reason: 'room-full' };

    const stored = withDefaults(participant);
    const others = [...members.values()].map(copy);
    members.set(stored.id, stored);
    this.#rooms.set(room, members);
    this.#roomByParticipant.set(stored.id, room);
    if (keyHash) this.#keyHashes.set(stored.id, Buffer.from(keyHash));
    return { ok: true, participant: copy(stored), others };
  }

  /**
   * The same participant joining again (a session resume): its name and media state are
   * replaced as a join would set them (flags the joiner left out take their defaults),
   * its place in the room and its joining order are kept. Answers the participant and the
   * others in its room, or undefined if it is in no room.
   */
  rejoin(participant: Joiner): { participant: ParticipantInfo; others: ParticipantInfo[] } | undefined {
    const room = this.#roomByParticipant.get(participant.id);
    const members = room === undefined ? undefined : this.#rooms.get(room);
    if (!members?.has(participant.id)) return undefined;
    const stored = withDefaults(participant);
    members.set(stored.id, stored); // replacing a key keeps its place in a Map
    const others = [...members.values()].filter((member) => member.id !== stored.id).map(copy);
    return { participant: copy(stored), others };
  }

  /**
   * True when this participant joined with a session key whose hash is `keyHash`. A
   * participant that sent no key never matches. Compared in constant time.
   */
  keyMatches(id: string, keyHash: Uint8Array): boolean {
    const stored = this.#keyHashes.get(id);
    return stored !== undefined && stored.length === keyHash.length && timingSafeEqual(stored, keyHash);
  }

  /** Takes a participant out of its room, deleting the room when it empties. Idempotent. */
  leave(id: string): RoomLeaveResult | undefined {
    const room = this.#roomByParticipant.get(id);
    if (room === undefined) return undefined;
    this.#roomByParticipant.delete(id);
    this.#keyHashes.delete(id);
    const members = this.#rooms.get(room);
    const participant = members?.get(id);
    members?.delete(id);
    if (members && members.size === 0) {
      this.#rooms.delete(room);
      this.#sfuRooms.delete(room);
    }
    return participant ? { room, participant: copy(participant) } : undefined;
  }

  /** Applies a patch to a participant; answers the whole updated participant, or undefined if unknown. */
  update(id: string, patch: ParticipantPatch): ParticipantInfo | undefined {
    const room = this.#roomByParticipant.get(id);
    const participant = room === undefined ? undefined : this.#rooms.get(room)?.get(id);
    if (!participant) return undefined;
    // Field by field, so a patch can never add keys the protocol does not know.
    if (patch.name !== undefined) participant.name = patch.name;
    if (patch.microphone !== undefined) participant.microphone = patch.microphone;
    if (patch.camera !== undefined) participant.camera = patch.camera;
    if (patch.screenSharing !== undefined) participant.screenSharing = patch.screenSharing;
    if (patch.screenStreamId !== undefined) participant.screenStreamId = patch.screenStreamId;
    if (patch.recording !== undefined) participant.recording = patch.recording;
    return copy(participant);
  }

  /** The participant with this id, if it is in a room. */
  get(id: string): ParticipantInfo | undefined {
    const room = this.#roomByParticipant.get(id);
    const participant = room === undefined ? undefined : this.#rooms.get(room)?.get(id);
    return participant ? copy(participant) : undefined;
  }

  /** How a room carries media: `sfu` once it moved there, else (and for a room that does not exist) `mesh`. */
  topology(room: string): Topology {
    return this.#sfuRooms.has(room) ? 'sfu' : 'mesh';
  }

  /**
   * Moves a room to the SFU if it holds more than `limit` participants (0: as soon as it
   * exists); a room never moves back while it lives. `switched` is true for the one call
   * that moved it.
   */
  moveToSfuAbove(room: string, limit: number): { topology: Topology; switched: boolean } {
    if (this.#sfuRooms.has(room)) return { topology: 'sfu', switched: false };
    const size = this.#rooms.get(room)?.size ?? 0;
    if (size === 0 || size <= limit) return { topology: 'mesh', switched: false };
    this.#sfuRooms.add(room);
    return { topology: 'sfu', switched: true };
  }

  /** How many rooms are on the SFU. */
  get sfuRoomCount(): number {
    return this.#sfuRooms.size;
  }

  /** The room this participant is in, if any. */
  roomOf(id: string): string | undefined {
    return this.#roomByParticipant.get(id);
  }

  /** Everyone in a room, in joining order; empty for a room that does not exist. */
  members(room: string): ParticipantInfo[] {
    return [...(this.#rooms.get(room)?.values() ?? [])].map(copy);
  }

  /** How many rooms exist (each has at least one participant). */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** How many participants are in rooms, over all rooms. */
  get participantCount(): number {
    return this.#roomByParticipant.size;
  }
}

/** A participant record holding exactly the protocol's fields, defaults filled in. */
function withDefaults(participant: Joiner): ParticipantInfo {
  return {
    id: participant.id,
    name: participant.name,
    microphone: participant.microphone ?? DEFAULT_MEDIA.microphone,
    camera: participant.camera ?? DEFAULT_MEDIA.camera,
    screenSharing: participant.screenSharing ?? DEFAULT_MEDIA.screenSharing,
    screenStreamId: participant.screenStreamId ?? DEFAULT_MEDIA.screenStreamId,
    recording: participant.recording ?? DEFAULT_MEDIA.recording,
  };
}

function copy(participant: ParticipantInfo): ParticipantInfo {
  return { ...participant };
}
