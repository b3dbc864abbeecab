/**
 * The signal server: socket.io on an existing http(s) server, relaying WebRTC
 * signaling between the participants of a room. It trusts nothing a client sends:
 * every payload is validated and rebuilt, ids are made here, and a refusal goes back
 * to the sender only.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import {
  LIMITS,
  type ClientToServerEvents,
  type ErrorCode,
  type IceServerInfo,
  type ServerToClientEvents,
} from '../src/protocol/index.js';
import { DEFAULT_DISCONNECT_GRACE_MS, MAX_DISCONNECT_GRACE_MS } from './config.js';
import { Rooms, type ParticipantPatch } from './rooms.js';
import { validateJoin, validateSignal, validateUpdate } from './validate.js';

/** How `createSignalServer` behaves. Every field is optional. */
export interface SignalServerOptions {
  /** The most participants one room may hold. Default 8. */
  roomCapacity?: number;
  /**
   * Page origins allowed to connect (`https://example.com`), `'*'` for any, `'null'` for
   * opaque origins. Undefined (the default) allows any origin, since pages on other
   * origins embed calls. Pages served by this server itself are always allowed.
   */
  allowedOrigins?: readonly string[];
  /** ICE servers handed to each joiner, or a function making them per join (for short-lived TURN credentials). Default []. */
  iceServers?: readonly IceServerInfo[] | (() => IceServerInfo[]);
  /** socket.io's path. Default `/socket.io`. */
  path?: string;
  /**
   * Milliseconds a participant whose connection dropped without a `leave` stays in its
   * room before the others are told it left; a resume within that time keeps it. 0 removes
   * at once. Default `DEFAULT_DISCONNECT_GRACE_MS` (4000), at most 60000.
   */
  disconnectGraceMs?: number;
}

/** What the server remembers about one socket. */
export interface SignalSocketData {
  /** Set while the socket is in a room. */
  participantId?: string;
}

/** The typed socket.io server behind a signal server. */
export type SignalIo = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SignalSocketData>;
type SignalSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SignalSocketData>;

/** A running signal server. */
export interface SignalServer {
  /** The socket.io server, for inspection and tests. */
  readonly io: SignalIo;
  /** Who is in which room. */
  readonly rooms: Rooms;
  /**
   * Disconnects every client, stops accepting connections and closes the http server it
   * is attached to (as socket.io does). Participants are removed at once, pending grace
   * timers cleared. Idempotent.
   */
  close(): Promise<void>;
}

/** An acknowledgement callback as socket.io hands it over: it will serialize whatever it gets. */
type AckCallback = (answer: unknown) => void;

const DEFAULT_ROOM_CAPACITY = 8;

/**
 * The heartbeat. The server pings every `PING_INTERVAL_MS` and drops a client that has
 * not answered within `PING_TIMEOUT_MS`, so a client that vanished without closing its
 * connection (lost network, sleeping laptop) is noticed within 8 s. Then comes the
 * disconnect grace (default 4 s): a vanished peer disappears for the others within
 * 8 + 4 = 12 s, under the 15 s the product promises. Raising any of the three eats that
 * margin. (socket.io's own defaults, 25 s + 20 s, would take 45 s.)
 */
export const PING_INTERVAL_MS = 4000;
export const PING_TIMEOUT_MS = 4000;

/** Clients see these messages in `rtc-error` events and failed acks. */
export const REFUSALS = {
  notJoined: 'join a room first',
  alreadyJoined: 'this connection is already in a room; leave it first',
  joinNeedsAck: 'join needs an acknowledgement callback',
  unknownEvent: 'unknown event',
  notInRoom: 'no participant with that id in your room',
  signalSelf: 'a participant cannot send a signal to itself',
  internal: 'the server could not handle this message',
} as const;

/**
 * Attaches a signal server to an http(s) server. The http server keeps serving its own
 * routes; socket.io takes the requests under its path.
 */
export function createSignalServer(
  httpServer: HttpServer | HttpsServer,
  options: SignalServerOptions = {},
): SignalServer {
  const rooms = new Rooms({ capacity: options.roomCapacity ?? DEFAULT_ROOM_CAPACITY });
  const graceMs = options.disconnectGraceMs ?? DEFAULT_DISCONNECT_GRACE_MS;
  if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > MAX_DISCONNECT_GRACE_MS) {
    throw new RangeError(`disconnectGraceMs must be a whole number from 0 to ${MAX_DISCONNECT_GRACE_MS}, got ${String(graceMs)}`);
  }
  const isAllowed = originPolicy(options.allowedOrigins);
  const iceServers = options.iceServers ?? [];
  const iceServersForJoiner = (): IceServerInfo[] =>
    typeof iceServers === 'function' ? iceServers() : iceServers.map((server) => ({ ...server }));

  const io: SignalIo = new Server(httpServer, {
    ...(options.path === undefined ? {} : { path: options.path }),
    maxHttpBufferSize: LIMITS.maxFrameBytes,
    pingInterval: PING_INTERVAL_MS,
    pingTimeout: PING_TIMEOUT_MS,
    // The browser bundle carries its own client; no need to serve socket.io's.
    serveClient: false,
    cors: {
      origin: options.allowedOrigins === undefined ? true : (origin, callback) => callback(null, isAllowed(origin)),
      methods: ['GET', 'POST'],
    },
    allowRequest: (request, callback) => {
      const allowed = isAllowed(request.headers.origin, requestHost(request));
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });

  /**
   * Participant id → its socket, for relaying signals to exactly one target. A participant
   * in its disconnect grace is in `rooms` but not here: signals to it are refused.
   */
  const sockets = new Map<string, SignalSocket>();
  /** Participant id → the timer that removes it when its disconnect grace runs out. */
  const graceTimers = new Map<string, NodeJS.Timeout>();
  /** Set once `close()` is called: from then on, everyone is removed at once. */
  let closing = false;

  function refuse(socket: SignalSocket, event: string, code: ErrorCode, message: string, ack?: AckCallback): void {
    if (ack) ack({ ok: false, error: { code, message } });
    else socket.emit('rtc-error', { code, message, event });
  }

  function onJoin(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): void {
    if (!ack) return refuse(socket, 'join', 'invalid-input', REFUSALS.joinNeedsAck);
    if (socket.data.participantId !== undefined) {
      return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);
    }
    const request = validateJoin(payload);
    if (!request.ok) return refuse(socket, 'join', 'invalid-input', request.reason, ack);

    const { room, name, media, session } = request.value;
    // Only a hash of the key is kept: a memory dump or a log of the rooms cannot be
    // replayed to take anyone's place.
    const keyHash = session ? createHash('sha256').update(session.key).digest() : undefined;
    const wantedId = session?.id;

    if (wantedId !== undefined && rooms.roomOf(wantedId) === room && keyHash && rooms.keyMatches(wantedId, keyHash)) {
      return resume(socket, room, { ...media, id: wantedId, name }, ack);
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
    const grantWanted = wantedId !== undefined && rooms.roomOf(wantedId) === undefined;
    const id = grantWanted ? wantedId : newParticipantId();
    const joined = rooms.join(room, { ...media, id, name }, keyHash);
    if (!joined.ok && joined.reason === 'room-full') {
      const message = `room "${room}" is full (at most ${rooms.capacity} participants)`;
      return refuse(socket, 'join', 'room-full', message, ack);
    }
    if (!joined.ok) return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);

    const self = joined.participant;
    socket.data.participantId = self.id;
    sockets.set(self.id, socket);
    void socket.join(channel(room));
    // The answer goes out before anyone hears of the newcomer, so its first signal
    // can never arrive before it knows its own id.
    ack({ ok: true, selfId: self.id, participants: joined.others, iceServers: iceServersForJoiner(), resumed: grantWanted });
    socket.to(channel(room)).emit('participant-joined', self);
  }

  /**
   * The participant `joiner.id` comes back on `socket` (its key matched): the id moves to
   * the new socket, a previous socket still connected is cut off without a word to the
   * others, a pending removal is cancelled, and the others see it updated, not rejoined.
   */
  function resume(socket: SignalSocket, room: string, joiner: ParticipantPatch & { id: string; name: string }, ack: AckCallback): void {
    const { id } = joiner;
    cancelGrace(id);
    const previous = sockets.get(id);
    if (previous && previous !== socket) {
      // Detached first, so its disconnect neither removes the participant nor starts a grace.
      delete previous.data.participantId;
      void previous.leave(channel(room));
      previous.disconnect(true);
    }
    const rejoined = rooms.rejoin(joiner);
    if (!rejoined) return refuse(socket, 'join', 'invalid-input', REFUSALS.internal, ack);

    socket.data.participantId = id;
    sockets.set(id, socket);
    void socket.join(channel(room));
    ack({ ok: true, selfId: id, participants: rejoined.others, iceServers: iceServersForJoiner(), resumed: true });
    socket.to(channel(room)).emit('participant-updated', rejoined.participant);
  }

  function onSignal(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): void {
    const senderId = socket.data.participantId;
    if (senderId === undefined) return refuse(socket, 'signal', 'invalid-input', REFUSALS.notJoined, ack);
    const request = validateSignal(payload);
    if (!request.ok) return refuse(socket, 'signal', 'invalid-input', request.reason, ack);

    const { to, data } = request.value;
    if (to === senderId) return refuse(socket, 'signal', 'invalid-input', REFUSALS.signalSelf, ack);
    const target = sockets.get(to);
    if (!target || rooms.roomOf(to) !== rooms.roomOf(senderId)) {
      return refuse(socket, 'signal', 'invalid-input', REFUSALS.notInRoom, ack);
    }
    target.emit('signal', { from: senderId, data });
    ack?.({ ok: true });
  }

  function onUpdate(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): void {
    const id = socket.data.participantId;
    if (id === undefined) return refuse(socket, 'update', 'invalid-input', REFUSALS.notJoined, ack);
    const patch = validateUpdate(payload);
    if (!patch.ok) return refuse(socket, 'update', 'invalid-input', patch.reason, ack);

    const updated = rooms.update(id, patch.value);
    const room = rooms.roomOf(id);
    if (updated && room !== undefined) socket.to(channel(room)).emit('participant-updated', updated);
    ack?.({ ok: true });
  }

  /** Takes the socket's participant out of its room at once and tells the others. Idempotent. */
  function leaveRoom(socket: SignalSocket): void {
    const id = socket.data.participantId;
    if (id === undefined) return;
    delete socket.data.participantId;
    if (sockets.get(id) === socket) sockets.delete(id);
    const room = rooms.roomOf(id);
    if (room !== undefined) void socket.leave(channel(room));
    removeParticipant(id);
  }

  /** Removes a participant from its room, whether connected or in its grace, and tells the others. */
  function removeParticipant(id: string): void {
    cancelGrace(id);
    const left = rooms.leave(id);
    if (left) io.to(channel(left.room)).emit('participant-left', { id });
  }

  /**
   * The socket went away without a `leave`. Its participant stays in the room (counted,
   * listed, but unreachable for signals) for the grace, then goes as if it had left;
   * a resume in between keeps it.
   */
  function onDisconnect(socket: SignalSocket): void {
    const id = socket.data.participantId;
    if (id === undefined) return;
    if (closing || graceMs === 0) return leaveRoom(socket);
    delete socket.data.participantId;
    if (sockets.get(id) === socket) sockets.delete(id);
    cancelGrace(id);
    const timer = setTimeout(() => {
      graceTimers.delete(id);
      removeParticipant(id);
    }, graceMs);
    // A pending removal must never keep the process alive.
    timer.unref();
    graceTimers.set(id, timer);
  }

  function cancelGrace(id: string): void {
    const timer = graceTimers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    graceTimers.delete(id);
  }

  function onEvent(socket: SignalSocket, event: string, args: unknown[]): void {
    // socket.io appends an ack function when the client asked for one; nothing else
    // coming off the wire can be a function.
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
    const payload = args[0];
    try {
      switch (event) {
        case 'join':
          return onJoin(socket, payload, ack);
        case 'signal':
          return onSignal(socket, payload, ack);
        case 'update':
          return onUpdate(socket, payload, ack);
        case 'leave':
          leaveRoom(socket);
          return ack?.({ ok: true });
        default:
          return refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.unknownEvent, ack);
      }
    } catch (error) {
      console.error('rtc-signal-server: error while handling', printableEventName(event), error);
      try {
        refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.internal, ack);
      } catch {
        // The answer itself failed (an ack already used, a socket gone): nothing left to tell.
      }
    }
  }

  io.on('connection', (socket) => {
    // Every event, known or not, goes through one dispatcher that trusts nothing. (socket.io
    // itself keeps a client-sent "error" event from throwing; onAny answers it as unknown.)
    socket.onAny((event: unknown, ...args: unknown[]) => onEvent(socket, String(event), args));
    socket.on('disconnect', () => onDisconnect(socket));
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    // io.close() disconnects every socket synchronously; with `closing` set, their
    // participants are removed at once instead of starting a grace.
    closed = io.close();
    // Those already in their grace go too, quietly: everyone who could hear is gone.
    for (const id of [...graceTimers.keys()]) {
      cancelGrace(id);
      rooms.leave(id);
    }
    return closed;
  };
  return { io, rooms, close };
}

/** A participant id: 128 random bits, unguessable, unrelated to the socket id. */
function newParticipantId(): string {
  return randomBytes(16).toString('base64url');
}

/** The socket.io room for a call room. The prefix keeps it apart from socket ids, which are rooms too. */
function channel(room: string): string {
  return `room:${room}`;
}

/** An event name as it may be echoed back: short and without control characters. */
function printableEventName(event: string): string {
  return event.replace(/\p{Cc}/gu, '').slice(0, 64);
}

function requestHost(request: IncomingMessage): string | undefined {
  return request.headers.host?.toLowerCase();
}

/**
 * Decides whether a page origin may connect. A request without an `Origin` header is let
 * through: browsers always send one cross-origin (and on WebSocket handshakes), so its
 * absence means a same-origin polling request or a non-browser client, which could send
 * any header it liked anyway. A page served by this server (origin host = Host header)
 * is always allowed.
 */
export function originPolicy(allowedOrigins: readonly string[] | undefined): (origin: string | undefined, host?: string) => boolean {
  if (allowedOrigins === undefined || allowedOrigins.includes('*')) return () => true;
  const allowed = new Set(allowedOrigins.map(normalizeOrigin));
  return (origin, host) => {
    if (origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    if (allowed.has(normalized)) return true;
    return host !== undefined && hostOf(normalized) === host;
  };
}

/** `HTTPS://Example.com:443/` → `https://example.com`, so equal origins compare equal. */
export function normalizeOrigin(origin: string): string {
  const trimmed = origin.trim();
  try {
    const parsed = new URL(trimmed);
    if (parsed.origin !== 'null') return parsed.origin;
  } catch {
    // Not a URL ('null', garbage): compared as written.
  }
  return trimmed.toLowerCase().replace(/\/+$/, '');
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
