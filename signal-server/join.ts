/**
 * `join`: a checked joiner (its token too, when the server has an `authSecret`) gets its
 * place in a room, a fresh participant id or the one it asks back with its session key (a
 * resume), and the ICE servers it will use. The room's capacity, and who holds an id, are
 * the store's decisions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IceServerInfo, JoinRequest } from '../src/protocol/index.js';
import { verifyJoinToken } from './auth.js';
import { participantChannel, roomChannel } from './channels.js';
import type { Logger } from './logger.js';
import type { SignalMetrics } from './metrics.js';
import type { Participants } from './participants.js';
import type { RoomStore } from './room-store.js';
import type { ParticipantPatch } from './rooms.js';
import type { SfuEvents } from './sfu-events.js';
import { REFUSALS, type AckCallback, type Refuse, type SignalIo, type SignalSocket } from './signal-socket.js';
import { validateJoin } from './validate.js';

export interface JoinOptions {
  io: SignalIo;
  rooms: RoomStore;
  participants: Participants;
  sfuEvents: SfuEvents;
  metrics: SignalMetrics;
  logger: Logger;
  refuse: Refuse;
  /** When set, every join needs a token signed with it. */
  authSecret: string | undefined;
  /** The ICE servers handed to a joiner, made for its participant id. */
  iceServersForJoiner: (participantId: string) => IceServerInfo[];
  /** True once the server is closing. */
  isClosing: () => boolean;
}

/** The `join` handler of one server: see the file comment. */
export function createJoin(options: JoinOptions): (socket: SignalSocket, payload: unknown, ack: AckCallback | undefined) => Promise<void> {
  const { io, rooms, participants, sfuEvents, metrics, logger, refuse, authSecret, iceServersForJoiner, isClosing } = options;
  const { sockets, attach, detach, cancelGrace, participantDropped } = participants;

  async function onJoin(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    if (!ack) return refuse(socket, 'join', 'invalid-input', REFUSALS.joinNeedsAck);
    // Events of one connection run one after another (see event-dispatcher.ts), so a
    // second join sees the first one's outcome.
    if (socket.data.participantId !== undefined) {
      return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);
    }
    const request = validateJoin(payload);
    if (!request.ok) return refuse(socket, 'join', 'invalid-input', request.reason, ack);

    let tokenName: string | undefined;
    if (authSecret !== undefined) {
      // Checked on every join, resumes included: a resume is a join like any other.
      const { room, token } = request.value;
      const verdict = await verifyJoinToken(authSecret, token, room);
      // The connection went away, or the server is closing, while the token was checked.
      if (!socket.connected || isClosing()) return;
      if (!verdict.ok) {
        logger.info({ room, reason: verdict.reason }, 'join refused: unauthorized');
        return refuse(socket, 'join', 'unauthorized', verdict.message, ack);
      }
      tokenName = verdict.name;
    }
    await admit(socket, request.value, tokenName, ack);
  }

  /**
   * Puts a checked joiner in its room (or back in it); `tokenName` is the name its token
   * fixes, if any. Between the store's answers, other connections and other processes may
   * change the rooms: every decision that matters (capacity, who holds an id, who owns a
   * participant) is the store's, taken atomically.
   */
  async function admit(socket: SignalSocket, request: JoinRequest, tokenName: string | undefined, ack: AckCallback): Promise<void> {
    const { room, media, session } = request;
    const name = tokenName ?? request.name;
    const nameLocked = tokenName !== undefined;
    // Only a hash of the key is kept: a memory dump or a log of the rooms cannot be
    // replayed to take anyone's place.
    const keyHash = session ? createHash('sha256').update(session.key).digest() : undefined;
    const wantedId = session?.id;

    let wantedHeld = false;
    if (wantedId !== undefined) {
      const [heldIn, keyMatches] = await Promise.all([
        rooms.roomOf(wantedId),
        keyHash ? rooms.keyMatches(wantedId, keyHash) : Promise.resolve(false),
      ]);
      if (heldIn === room && keyMatches) {
        if (await resume(socket, room, { ...media, id: wantedId, name }, nameLocked, ack)) return;
        // It left in the meantime (its grace ran out): the id is free, and claimed below.
      } else {
        wantedHeld = heldIn !== undefined;
      }
    }

    // A wanted id that nobody holds is granted. This is what lets a room survive a server
    // restart: everyone comes back with the id they had, and peers keep their connections.
    // The trade-off: such a claim cannot be checked against anything (the server forgot
    // the key with everything else), so whoever claims a free id first gets it, and its
    // key then guards it. Ids are 128 random bits and only ever shown to members of the
    // room, so only someone who was in the room could claim another member's id, and only
    // before that member is back (who then simply gets a fresh id: a nuisance, not a
    // takeover of a live participant). The same holds for an id whose grace ran out.
    // A wanted id that is held (by someone with another key, or in another room) is
    // ignored: the joiner gets a fresh id, as if it had asked for none.
    let id = wantedId !== undefined && !wantedHeld ? wantedId : newParticipantId();
    // Made before the joiner is let in, so a failure here leaves nobody half-joined.
    let ice = iceServersForJoiner(id);
    let joined = await rooms.join(room, { ...media, id, name }, keyHash);
    if (!joined.ok && joined.reason === 'already-joined' && id === wantedId) {
      // Taken between the check and the join (by another connection, here or on another
      // process): a fresh id, as for a held one.
      id = newParticipantId();
      ice = iceServersForJoiner(id);
      joined = await rooms.join(room, { ...media, id, name }, keyHash);
    }
    if (!joined.ok && joined.reason === 'room-full') {
      const message = `room "${room}" is full (at most ${rooms.capacity} participants)`;
      logger.info({ room }, 'join refused: room full');
      return refuse(socket, 'join', 'room-full', message, ack);
    }
    if (!joined.ok) return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);
    if (!socket.connected || isClosing()) {
      // The connection went away (or the server began closing) while the store answered:
      // nobody has heard of this participant yet, so it goes quietly.
      await rooms.leave(id, { onlyIfOwned: true });
      return;
    }

    const granted = id === wantedId;
    const self = joined.participant;
    // Decided with the join, before anyone hears of it: the joiner that makes an `auto`
    // room too big for a mesh moves it (atomically, over every process).
    const { topology, switched } = await sfuEvents.settleTopology(room);
    attach(socket, self.id, room, nameLocked);
    // The answer goes out before anyone hears of the newcomer, so its first signal
    // can never arrive before it knows its own id.
    ack({ ok: true, selfId: self.id, participants: joined.others, iceServers: ice, resumed: granted, topology });
    socket.to(roomChannel(room)).emit('participant-joined', self);
    if (topology === 'sfu') sfuEvents.enter(socket, room, self.id);
    if (switched) {
      // Everyone already there sets up the SFU connections (and closes its mesh peers once
      // the subscriber shows the others); this process's own members enter the SFU now.
      socket.to(roomChannel(room)).emit('topology', { topology: 'sfu' });
      for (const member of joined.others) {
        const memberSocket = sockets.get(member.id);
        if (memberSocket) sfuEvents.enter(memberSocket, room, member.id);
      }
      logger.info({ room, participants: joined.others.length + 1 }, 'room moved to the SFU');
    }
    metrics.joins.inc({ resumed: String(granted) });
    logger.info({ room, participantId: self.id, resumed: granted, participants: joined.others.length + 1 }, 'joined');
  }

  /**
   * The participant `joiner.id` comes back on `socket` (its key matched): it moves to this
   * process and socket, a previous socket still connected (here or on another process) is
   * cut off without a word to the others, a pending removal is cancelled, and the others
   * see it updated, not rejoined. Answers false, having changed nothing in the store, when
   * the participant is no longer in a room.
   */
  async function resume(
    socket: SignalSocket,
    room: string,
    joiner: ParticipantPatch & { id: string; name: string },
    nameLocked: boolean,
    ack: AckCallback,
  ): Promise<boolean> {
    const { id } = joiner;
    const ice = iceServersForJoiner(id);
    cancelGrace(id);
    const previous = sockets.get(id);
    if (previous && previous !== socket) {
      // Detached first, so its disconnect neither removes the participant nor marks it offline.
      detach(previous);
      previous.disconnect(true);
    }
    let rejoined;
    try {
      // Moves the participant to this process (and marks it online) before anything else,
      // so the old process's disconnect and grace, if any, leave it alone.
      rejoined = await rooms.rejoin(joiner);
    } catch (error) {
      // It may or may not have moved: treated as dropped here, so that it cannot linger.
      participantDropped(id);
      throw error;
    }
    if (!rejoined) return false;
    if (!socket.connected || isClosing()) {
      // This connection went away meanwhile: a drop like any other.
      participantDropped(id);
      return true;
    }

    // Its previous connection on another process, if any, is cut off there after a Redis
    // round trip; `except` spares this socket, which joins the same socket.io room now.
    io.in(participantChannel(id)).except(socket.id).disconnectSockets(true);
    const topology = await sfuEvents.currentTopology(room);
    // Its page starts its SFU connections over: whatever Janus held for it goes first.
    if (topology === 'sfu') await sfuEvents.reset(room, id);
    attach(socket, id, room, nameLocked);
    ack({ ok: true, selfId: id, participants: rejoined.others, iceServers: ice, resumed: true, topology });
    if (topology === 'sfu') sfuEvents.enter(socket, room, id);
    socket.to(roomChannel(room)).emit('participant-updated', rejoined.participant);
    metrics.joins.inc({ resumed: 'true' });
    logger.info({ room, participantId: id, resumed: true, participants: rejoined.others.length + 1 }, 'joined');
    return true;
  }

  return onJoin;
}

/** A participant id: 128 random bits, unguessable, unrelated to the socket id. */
function newParticipantId(): string {
  return randomBytes(16).toString('base64url');
}
