/**
 * What the participants of a room send each other through the server: `signal` (WebRTC
 * signaling for one peer), `update` (a participant's own media state, for everyone) and
 * `relay` (data for one peer of an SFU room). Each is checked and passed on with the
 * sender's id, wherever the recipients are connected.
 */
import { participantChannel, roomChannel } from './channels.js';
import type { SignalMetrics } from './metrics.js';
import type { RoomStore } from './room-store.js';
import { REFUSALS, type AckCallback, type Refuse, type SignalIo, type SignalSocket } from './signal-socket.js';
import { validateRelay, validateSignal, validateUpdate } from './validate.js';

export interface RoomMessagesOptions {
  io: SignalIo;
  rooms: RoomStore;
  metrics: SignalMetrics;
  refuse: Refuse;
}

type Handler = (socket: SignalSocket, payload: unknown, ack: AckCallback | undefined) => Promise<void>;

/** The handlers of one server: see the file comment. */
export function createRoomMessages(options: RoomMessagesOptions): { onSignal: Handler; onUpdate: Handler; onRelay: Handler } {
  const { io, rooms, metrics, refuse } = options;

  /**
   * Whether `to` is someone else in the sender's room and online; otherwise the sender is
   * refused (a participant in its disconnect grace is in the room but unreachable).
   */
  async function canReach(
    socket: SignalSocket,
    event: 'signal' | 'relay',
    senderId: string,
    room: string,
    to: string,
    ack: AckCallback | undefined,
  ): Promise<boolean> {
    if (to === senderId) {
      refuse(socket, event, 'invalid-input', REFUSALS.signalSelf, ack);
      return false;
    }
    const [targetRoom, online] = await Promise.all([rooms.roomOf(to), rooms.isOnline(to)]);
    if (targetRoom === room && online) return true;
    refuse(socket, event, 'invalid-input', REFUSALS.notInRoom, ack);
    return false;
  }

  async function onSignal(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    const { participantId: senderId, room } = socket.data;
    if (senderId === undefined || room === undefined) return refuse(socket, 'signal', 'invalid-input', REFUSALS.notJoined, ack);
    const request = validateSignal(payload);
    if (!request.ok) return refuse(socket, 'signal', 'invalid-input', request.reason, ack);

    const { to, data } = request.value;
    if (!(await canReach(socket, 'signal', senderId, room, to, ack))) return;
    // Wherever the target is connected, this process or another.
    io.to(participantChannel(to)).emit('signal', { from: senderId, data });
    metrics.relayed.inc({ event: 'signal' });
    ack?.({ ok: true });
  }

  async function onUpdate(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    const { participantId: id, room } = socket.data;
    if (id === undefined || room === undefined) return refuse(socket, 'update', 'invalid-input', REFUSALS.notJoined, ack);
    const patch = validateUpdate(payload);
    if (!patch.ok) return refuse(socket, 'update', 'invalid-input', patch.reason, ack);
    // A name from the join token is the participant's identity: it stays.
    if (socket.data.nameLocked) delete patch.value.name;

    const updated = await rooms.update(id, patch.value);
    if (updated) {
      socket.to(roomChannel(room)).emit('participant-updated', updated);
      metrics.relayed.inc({ event: 'update' });
    }
    ack?.({ ok: true });
  }

  /**
   * `relay`: data for one participant of the sender's room (SFU rooms: chat, file chunks),
   * passed on with the sender's id; the ack (once passed on) is the sender's back-pressure.
   */
  async function onRelay(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    const { participantId: senderId, room } = socket.data;
    if (senderId === undefined || room === undefined) return refuse(socket, 'relay', 'invalid-input', REFUSALS.notJoined, ack);
    const request = validateRelay(payload);
    if (!request.ok) return refuse(socket, 'relay', 'invalid-input', request.reason, ack);
    const { to, channel, data, binary, close } = request.value;
    if (!(await canReach(socket, 'relay', senderId, room, to, ack))) return;
    io.to(participantChannel(to)).emit('relay', {
      from: senderId,
      channel,
      ...(data === undefined ? {} : { data }),
      ...(binary === undefined ? {} : { binary }),
      ...(close === undefined ? {} : { close }),
    });
    metrics.relayed.inc({ event: 'relay' });
    ack?.({ ok: true });
  }

  return { onSignal, onUpdate, onRelay };
}
