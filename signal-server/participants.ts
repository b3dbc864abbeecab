/**
 * The participants of this process's sockets, and how a participant goes: at once on a
 * `leave`, after its disconnect grace when its connection drops (a resume in between keeps
 * it), and again shortly after a removal that failed because the store was unreachable.
 */
import { participantChannel, roomChannel } from './channels.js';
import type { Logger } from './logger.js';
import type { RoomStore } from './room-store.js';
import type { SfuEvents } from './sfu-events.js';
import type { AckCallback, SignalIo, SignalSocket } from './signal-socket.js';

/** After a removal failed (the store unreachable), how long until it is tried again. */
const REMOVAL_RETRY_MS = 2000;

/** Why a participant left, for the logs. */
export type LeaveReason = 'leave' | 'disconnect' | 'grace-expired' | 'shutdown';

export interface ParticipantsOptions {
  io: SignalIo;
  rooms: RoomStore;
  sfuEvents: SfuEvents;
  logger: Logger;
  /** The disconnect grace (ms); 0 removes at once. */
  graceMs: number;
  /** Whether other processes may share the store. */
  shared: boolean;
  /** True once `close()` is called: from then on, `close()` deals with every participant. */
  isClosing: () => boolean;
}

/** The participants of one server's sockets: see the file comment. */
export interface Participants {
  /**
   * Participant id → its socket on this process. Signals are relayed through the socket.io
   * room `participantChannel(id)`, which spans processes; this map serves to hand a
   * participant over from one of this process's sockets to another (a resume) without its
   * old socket's disconnect counting as a drop.
   */
  readonly sockets: ReadonlyMap<string, SignalSocket>;
  /**
   * Participant id → the timer that removes it when its disconnect grace runs out (or that
   * tries a failed removal again).
   */
  readonly graceTimers: ReadonlyMap<string, NodeJS.Timeout>;
  attach(socket: SignalSocket, id: string, room: string, nameLocked: boolean): void;
  detach(socket: SignalSocket): { id: string; room: string } | undefined;
  removeParticipant(id: string, reason: LeaveReason, announce?: boolean): Promise<void>;
  participantDropped(id: string): void;
  cancelGrace(id: string): void;
  onLeave(socket: SignalSocket, ack: AckCallback | undefined): Promise<void>;
  onDisconnect(socket: SignalSocket): void;
}

export function createParticipants(options: ParticipantsOptions): Participants {
  const { io, rooms, sfuEvents, logger, graceMs, shared, isClosing } = options;
  const sockets = new Map<string, SignalSocket>();
  const graceTimers = new Map<string, NodeJS.Timeout>();

  /** Gives the socket its participant: it joins the socket.io rooms of the call room and of the participant. */
  function attach(socket: SignalSocket, id: string, room: string, nameLocked: boolean): void {
    socket.data.participantId = id;
    socket.data.room = room;
    socket.data.nameLocked = nameLocked;
    sockets.set(id, socket);
    void socket.join([roomChannel(room), participantChannel(id)]);
  }

  /** Takes the socket's participant from it (the participant stays in the store); answers it, if there was one. */
  function detach(socket: SignalSocket): { id: string; room: string } | undefined {
    const { participantId: id, room } = socket.data;
    delete socket.data.participantId;
    delete socket.data.room;
    delete socket.data.nameLocked;
    if (id === undefined || room === undefined) return undefined;
    if (sockets.get(id) === socket) sockets.delete(id);
    void socket.leave(roomChannel(room));
    void socket.leave(participantChannel(id));
    return { id, room };
  }

  /** An explicit `leave`: the socket's participant goes at once and the others are told. Idempotent. */
  async function onLeave(socket: SignalSocket, ack: AckCallback | undefined): Promise<void> {
    const held = detach(socket);
    if (held) await expire(held.id, 'leave');
    ack?.({ ok: true });
  }

  /**
   * Removes a participant if this process still owns it (it may have resumed on another
   * in the meantime) and tells the others in its room, on every process. Rejects when the
   * store cannot be reached.
   */
  async function removeParticipant(id: string, reason: LeaveReason, announce = true): Promise<void> {
    cancelGrace(id);
    const left = await rooms.leave(id, { onlyIfOwned: true });
    if (!left) return;
    if (announce) io.to(roomChannel(left.room)).emit('participant-left', { id });
    logger.info({ room: left.room, participantId: id, reason }, 'left');
    await sfuEvents.leave(left.room, id);
  }

  /**
   * Removes a participant whose connection here is gone, as `removeParticipant` does,
   * unless it came back here meanwhile. When the store cannot be reached, tries again
   * shortly, for as long as the participant has not come back. Never rejects.
   */
  async function expire(id: string, reason: LeaveReason, attempt = 1): Promise<void> {
    if (sockets.has(id)) return;
    try {
      await removeParticipant(id, reason);
    } catch (error) {
      // Logged once per participant, not at every attempt of a long outage.
      if (attempt === 1) logger.warn({ err: error, participantId: id }, 'could not remove a participant: trying again every few seconds');
      if (!isClosing() && !sockets.has(id) && !graceTimers.has(id)) startTimer(id, REMOVAL_RETRY_MS, reason, attempt + 1);
    }
  }

  /** Calls `expire(id)` after `ms`, unless a resume here cancels it first. */
  function startTimer(id: string, ms: number, reason: LeaveReason, attempt = 1): NodeJS.Timeout {
    const timer = setTimeout(() => {
      graceTimers.delete(id);
      void expire(id, reason, attempt);
    }, ms);
    // A pending removal must never keep the process alive.
    timer.unref();
    graceTimers.set(id, timer);
    return timer;
  }

  /**
   * The connection of participant `id` through this process went away without a `leave`.
   * It stays in its room (counted, listed, but unreachable for signals) for the grace, then
   * goes as if it had left; a resume in between, on this process or another, keeps it.
   */
  function participantDropped(id: string): void {
    if (isClosing()) {
      // close() deals with the others; this one (caught mid-resume) too, as best it can.
      if (!shared) void rooms.leave(id).catch(() => {});
      return;
    }
    cancelGrace(id);
    if (graceMs === 0) {
      void expire(id, 'disconnect');
      return;
    }
    const timer = startTimer(id, graceMs, 'grace-expired');
    rooms.markOffline(id).then(
      (marked) => {
        // Not ours any more (it resumed on another process) or gone already: nothing to remove.
        if (!marked && graceTimers.get(id) === timer) cancelGrace(id);
      },
      (error: unknown) => logger.warn({ err: error, participantId: id }, 'could not mark a participant offline'),
    );
  }

  function onDisconnect(socket: SignalSocket): void {
    const held = detach(socket);
    if (held) participantDropped(held.id);
  }

  function cancelGrace(id: string): void {
    const timer = graceTimers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    graceTimers.delete(id);
  }

  return { sockets, graceTimers, attach, detach, removeParticipant, participantDropped, cancelGrace, onLeave, onDisconnect };
}
