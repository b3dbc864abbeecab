/**
 * What the signal server's parts share about a socket: the typed socket.io server and
 * sockets, what the server remembers per socket, and how a client's message is refused
 * (the `REFUSALS` clients see, answered to the sender only).
 */
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ErrorCode, ServerToClientEvents } from '../src/protocol/index.js';
import type { SignalMetrics } from './metrics.js';

/** What the server remembers about one socket. */
export interface SignalSocketData {
  /** Set while the socket is in a room. */
  participantId?: string;
  /** The room of `participantId`, set with it. */
  room?: string;
  /** Set when the display name came from the join token: `update` may not change it. */
  nameLocked?: boolean;
  /** Set once the socket's room is known to be on the SFU (it never moves back). */
  sfu?: boolean;
}

/** The typed socket.io server behind a signal server. */
export type SignalIo = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SignalSocketData>;
export type SignalSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SignalSocketData>;

/** An acknowledgement callback as socket.io hands it over: it will serialize whatever it gets. */
export type AckCallback = (answer: unknown) => void;

/** Clients see these messages in `rtc-error` events and failed acks. */
export const REFUSALS = {
  notJoined: 'join a room first',
  alreadyJoined: 'this connection is already in a room; leave it first',
  joinNeedsAck: 'join needs an acknowledgement callback',
  unknownEvent: 'unknown event',
  notInRoom: 'no participant with that id in your room',
  signalSelf: 'a participant cannot send a signal to itself',
  internal: 'the server could not handle this message',
  rateLimited: 'too many messages: slow down',
  notSfu: 'this room is not on the SFU: sfu-* messages are for SFU rooms',
  needsAck: 'this message needs an acknowledgement callback',
  relayRateLimited: 'relaying too much data: wait for the acknowledgements',
} as const;

/** Refuses a socket's message: in its ack when it asked for one, else in an `rtc-error`. */
export type Refuse = (socket: SignalSocket, event: string, code: ErrorCode, message: string, ack?: AckCallback) => void;

/** `refuse`, counting the refusals that `metrics` tells apart. */
export function createRefuse(metrics: SignalMetrics): Refuse {
  return function refuse(socket, event, code, message, ack) {
    if (code === 'invalid-input' || code === 'room-full' || code === 'unauthorized' || code === 'rate-limited') {
      metrics.rejections.inc({ reason: code });
    }
    if (ack) ack({ ok: false, error: { code, message } });
    else socket.emit('rtc-error', { code, message, event });
  };
}
