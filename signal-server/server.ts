/**
 * The signal server: socket.io on an existing http(s) server, relaying WebRTC
 * signaling between the participants of a room. It trusts nothing a client sends:
 * every payload is validated and rebuilt, ids are made here, and a refusal goes back
 * to the sender only.
 *
 * Defences, outermost first: a handshake is refused while closing (503), beyond its
 * address's connection rate (429) or from a page origin not allowed (403); a frame is
 * capped at `LIMITS.maxFrameBytes` (the connection is cut); events beyond a connection's
 * rate are dropped (`rate-limited`) and a flood cuts the connection; a join needs a valid
 * token when `authSecret` is set (`unauthorized`); every payload is validated
 * (`invalid-input`); rooms are capped (`room-full`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import {
  LIMITS,
  type ClientToServerEvents,
  type ErrorCode,
  type IceServerInfo,
  type JoinRequest,
  type ServerToClientEvents,
} from '../src/protocol/index.js';
import { verifyJoinToken } from './auth.js';
import { DEFAULT_DISCONNECT_GRACE_MS, MAX_DISCONNECT_GRACE_MS } from './config.js';
import {
  addressKey,
  clientAddress,
  ConnectionRateLimiter,
  DEFAULT_CONNECTION_RATE_LIMIT,
  DEFAULT_EVENT_RATE_LIMIT,
  EventRateLimiter,
  type ConnectionRateLimit,
  type EventRateLimit,
  type EventVerdict,
} from './limits.js';
import { silentLogger, type Logger } from './logger.js';
import { createMetrics, type SignalMetrics } from './metrics.js';
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
  /**
   * ICE servers handed to each joiner, or a function making them per join from the
   * joiner's participant id (for short-lived TURN credentials: see `turnIceServers`).
   * Default [].
   */
  iceServers?: readonly IceServerInfo[] | ((participantId: string) => IceServerInfo[]);
  /**
   * When set, every join (resumes included) needs a `token`: an HS256 JWT signed with this
   * secret, with an `exp` and a `room` claim naming the room (see `auth.ts`). A `name`
   * claim, if present, is the joiner's display name, which `update` then cannot change.
   * Default: unset, anyone may join any room.
   */
  authSecret?: string;
  /**
   * Incoming events allowed per connection (a token bucket). Beyond it events are dropped
   * with a `rate-limited` notice; a connection that keeps flooding is cut off. `false`
   * turns it off. Default `DEFAULT_EVENT_RATE_LIMIT` (burst 200, 50/s, cut off after
   * 1000 drops within 10 s).
   */
  eventRateLimit?: EventRateLimit | false;
  /**
   * New connections allowed per client address (an IPv6 address counts by its /64), checked
   * at the handshake; beyond it the handshake is answered 429. `false` turns it off.
   * Default `DEFAULT_CONNECTION_RATE_LIMIT` (100 per 10 s).
   */
  connectionRateLimit?: ConnectionRateLimit | false;
  /**
   * How many reverse proxies stand in front of this server. With n > 0, a client's address
   * is taken from the `X-Forwarded-For` header (the n-th entry from the right) instead of
   * the TCP peer, which would be the proxy. Only set it when such proxies exist and
   * overwrite or append to the header: otherwise clients could pick their own address.
   * Default 0.
   */
  trustProxy?: number;
  /** Where to log (pino). Default: a silent logger. */
  logger?: Logger;
  /** The Prometheus registry for the server's metrics. Default: a new one, in `SignalServer.metrics.registry`. */
  metricsRegistry?: Registry;
  /** Also collect prom-client's default process metrics in that registry. Default true. */
  processMetrics?: boolean;
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
  /** Set while a join on this socket waits for its token to be checked. */
  joining?: boolean;
  /** Set when the display name came from the join token: `update` may not change it. */
  nameLocked?: boolean;
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
  /** The Prometheus metrics (serve `metrics.registry.metrics()` at `/metrics`). */
  readonly metrics: SignalMetrics;
  /**
   * Refuses new connections (503), disconnects every client server-side (a client sees
   * `io server disconnect` and comes back after a jittered pause, to this server's
   * successor, resuming its participant id), then closes the engine and the http server it
   * is attached to (as socket.io does). Participants are removed at once and quietly
   * (nobody is told anyone left: they all reconnect), pending grace timers cleared.
   * Idempotent.
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
  rateLimited: 'too many messages: slow down',
} as const;

/** Bodies of refused handshakes (HTTP 403, 429, 503). */
export const HANDSHAKE_REFUSALS = {
  origin: 'origin not allowed',
  rateLimited: 'too many connections from your address: try again shortly',
  shuttingDown: 'the server is shutting down',
} as const;

/**
 * socket.io's time for a new connection to enter its namespace (default 45 s); a
 * connection that never does is closed sooner.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long `close()` waits for the disconnect notices to go out before closing transports. */
const CLOSE_DRAIN_MS = 1000;

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
  const trustProxy = options.trustProxy ?? 0;
  if (!Number.isInteger(trustProxy) || trustProxy < 0) {
    throw new RangeError(`trustProxy must be a whole number of at least 0, got ${String(trustProxy)}`);
  }
  const { authSecret } = options;
  if (authSecret !== undefined && authSecret === '') throw new RangeError('authSecret must not be empty');
  const logger = options.logger ?? silentLogger();
  const isAllowed = originPolicy(options.allowedOrigins);
  const iceServers = options.iceServers ?? [];
  const iceServersForJoiner = (participantId: string): IceServerInfo[] =>
    typeof iceServers === 'function' ? iceServers(participantId) : iceServers.map((server) => ({ ...server }));
  const eventLimit: EventRateLimit | undefined =
    options.eventRateLimit === false ? undefined : (options.eventRateLimit ?? DEFAULT_EVENT_RATE_LIMIT);
  if (eventLimit) new EventRateLimiter(eventLimit); // throws a RangeError now for a limit that cannot work
  const connectionLimiter =
    options.connectionRateLimit === false
      ? undefined
      : new ConnectionRateLimiter(options.connectionRateLimit ?? DEFAULT_CONNECTION_RATE_LIMIT);

  const io: SignalIo = new Server(httpServer, {
    ...(options.path === undefined ? {} : { path: options.path }),
    maxHttpBufferSize: LIMITS.maxFrameBytes,
    pingInterval: PING_INTERVAL_MS,
    pingTimeout: PING_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // The browser bundle carries its own client; no need to serve socket.io's.
    serveClient: false,
    cors: {
      origin: options.allowedOrigins === undefined ? true : (origin, callback) => callback(null, isAllowed(origin)),
      methods: ['GET', 'POST'],
    },
    // Called for handshakes only (requests without a session id), polling and websocket alike.
    allowRequest: (request, callback) => {
      const refusal = admitHandshake(request);
      if (refusal === undefined) return callback(null, true);
      refuseHandshake(request, refusal.status, refusal.message, refusal.headers);
      callback(refusal.message, false);
    },
  });

  const metrics = createMetrics(
    {
      connectedSockets: () => io.engine.clientsCount,
      rooms: () => rooms.roomCount,
      participants: () => rooms.participantCount,
    },
    {
      ...(options.metricsRegistry === undefined ? {} : { registry: options.metricsRegistry }),
      ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
    },
  );

  /**
   * Decides about a new connection: refused while closing, beyond the address's rate, or
   * from a page origin that is not allowed. The rate is checked first, so refusals of any
   * kind count against it.
   */
  function admitHandshake(request: IncomingMessage): { status: number; message: string; headers?: Record<string, string> } | undefined {
    if (closing) return { status: 503, message: HANDSHAKE_REFUSALS.shuttingDown };
    if (connectionLimiter) {
      const address = clientAddress(request, trustProxy);
      const { allowed, firstRefusal } = connectionLimiter.take(addressKey(address));
      if (!allowed) {
        metrics.rejections.inc({ reason: 'rate-limited' });
        if (firstRefusal) logger.warn({ address, limit: connectionLimiter.max, windowMs: connectionLimiter.windowMs }, 'connections refused: too many from one address');
        const retryAfter = Math.max(1, Math.ceil(connectionLimiter.windowMs / connectionLimiter.max / 1000));
        return { status: 429, message: HANDSHAKE_REFUSALS.rateLimited, headers: { 'retry-after': String(retryAfter) } };
      }
    }
    if (!isAllowed(request.headers.origin, requestHost(request))) {
      metrics.rejections.inc({ reason: 'origin' });
      logger.info({ origin: printable(request.headers.origin ?? ''), address: clientAddress(request, trustProxy) }, 'connection refused: origin not allowed');
      return { status: 403, message: HANDSHAKE_REFUSALS.origin };
    }
    return undefined;
  }

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
    if (code === 'invalid-input' || code === 'room-full' || code === 'unauthorized' || code === 'rate-limited') {
      metrics.rejections.inc({ reason: code });
    }
    if (ack) ack({ ok: false, error: { code, message } });
    else socket.emit('rtc-error', { code, message, event });
  }

  function onJoin(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): void | Promise<void> {
    if (!ack) return refuse(socket, 'join', 'invalid-input', REFUSALS.joinNeedsAck);
    if (socket.data.participantId !== undefined || socket.data.joining) {
      return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);
    }
    const request = validateJoin(payload);
    if (!request.ok) return refuse(socket, 'join', 'invalid-input', request.reason, ack);
    if (authSecret === undefined) return admit(socket, request.value, undefined, ack);

    // Checked on every join, resumes included: a resume is a join like any other.
    const { room, token } = request.value;
    socket.data.joining = true;
    return verifyJoinToken(authSecret, token, room)
      .finally(() => {
        socket.data.joining = false;
      })
      .then((verdict) => {
        // The connection went away, or the server is closing, while the token was checked.
        if (!socket.connected || closing) return;
        if (!verdict.ok) {
          logger.info({ room, reason: verdict.reason }, 'join refused: unauthorized');
          return refuse(socket, 'join', 'unauthorized', verdict.message, ack);
        }
        admit(socket, request.value, verdict.name, ack);
      });
  }

  /** Puts a checked joiner in its room (or back in it); `tokenName` is the name its token fixes, if any. */
  function admit(socket: SignalSocket, request: JoinRequest, tokenName: string | undefined, ack: AckCallback): void {
    const { room, media, session } = request;
    const name = tokenName ?? request.name;
    // Only a hash of the key is kept: a memory dump or a log of the rooms cannot be
    // replayed to take anyone's place.
    const keyHash = session ? createHash('sha256').update(session.key).digest() : undefined;
    const wantedId = session?.id;

    if (wantedId !== undefined && rooms.roomOf(wantedId) === room && keyHash && rooms.keyMatches(wantedId, keyHash)) {
      return resume(socket, room, { ...media, id: wantedId, name }, tokenName !== undefined, ack);
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
    // Made before the joiner is let in, so a failure here leaves nobody half-joined.
    const ice = iceServersForJoiner(id);
    const joined = rooms.join(room, { ...media, id, name }, keyHash);
    if (!joined.ok && joined.reason === 'room-full') {
      const message = `room "${room}" is full (at most ${rooms.capacity} participants)`;
      logger.info({ room }, 'join refused: room full');
      return refuse(socket, 'join', 'room-full', message, ack);
    }
    if (!joined.ok) return refuse(socket, 'join', 'invalid-input', REFUSALS.alreadyJoined, ack);

    const self = joined.participant;
    socket.data.participantId = self.id;
    socket.data.nameLocked = tokenName !== undefined;
    sockets.set(self.id, socket);
    void socket.join(channel(room));
    // The answer goes out before anyone hears of the newcomer, so its first signal
    // can never arrive before it knows its own id.
    ack({ ok: true, selfId: self.id, participants: joined.others, iceServers: ice, resumed: grantWanted });
    socket.to(channel(room)).emit('participant-joined', self);
    metrics.joins.inc({ resumed: String(grantWanted) });
    logger.info({ room, participantId: self.id, resumed: grantWanted, participants: joined.others.length + 1 }, 'joined');
  }

  /**
   * The participant `joiner.id` comes back on `socket` (its key matched): the id moves to
   * the new socket, a previous socket still connected is cut off without a word to the
   * others, a pending removal is cancelled, and the others see it updated, not rejoined.
   */
  function resume(
    socket: SignalSocket,
    room: string,
    joiner: ParticipantPatch & { id: string; name: string },
    nameLocked: boolean,
    ack: AckCallback,
  ): void {
    const { id } = joiner;
    const ice = iceServersForJoiner(id);
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
    socket.data.nameLocked = nameLocked;
    sockets.set(id, socket);
    void socket.join(channel(room));
    ack({ ok: true, selfId: id, participants: rejoined.others, iceServers: ice, resumed: true });
    socket.to(channel(room)).emit('participant-updated', rejoined.participant);
    metrics.joins.inc({ resumed: 'true' });
    logger.info({ room, participantId: id, resumed: true, participants: rejoined.others.length + 1 }, 'joined');
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
    metrics.relayed.inc({ event: 'signal' });
    ack?.({ ok: true });
  }

  function onUpdate(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): void {
    const id = socket.data.participantId;
    if (id === undefined) return refuse(socket, 'update', 'invalid-input', REFUSALS.notJoined, ack);
    const patch = validateUpdate(payload);
    if (!patch.ok) return refuse(socket, 'update', 'invalid-input', patch.reason, ack);
    // A name from the join token is the participant's identity: it stays.
    if (socket.data.nameLocked) delete patch.value.name;

    const updated = rooms.update(id, patch.value);
    const room = rooms.roomOf(id);
    if (updated && room !== undefined) {
      socket.to(channel(room)).emit('participant-updated', updated);
      metrics.relayed.inc({ event: 'update' });
    }
    ack?.({ ok: true });
  }

  /** Takes the socket's participant out of its room at once and tells the others. Idempotent. */
  function leaveRoom(socket: SignalSocket, reason: LeaveReason): void {
    const id = socket.data.participantId;
    if (id === undefined) return;
    delete socket.data.participantId;
    delete socket.data.nameLocked;
    if (sockets.get(id) === socket) sockets.delete(id);
    const room = rooms.roomOf(id);
    if (room !== undefined) void socket.leave(channel(room));
    removeParticipant(id, reason);
  }

  /**
   * Removes a participant from its room, whether connected or in its grace, and tells the
   * others, unless the server is closing (everyone is disconnected and comes back).
   */
  function removeParticipant(id: string, reason: LeaveReason): void {
    cancelGrace(id);
    const left = rooms.leave(id);
    if (!left) return;
    if (!closing) io.to(channel(left.room)).emit('participant-left', { id });
    logger.info({ room: left.room, participantId: id, reason }, 'left');
  }

  /**
   * The socket went away without a `leave`. Its participant stays in the room (counted,
   * listed, but unreachable for signals) for the grace, then goes as if it had left;
   * a resume in between keeps it.
   */
  function onDisconnect(socket: SignalSocket): void {
    const id = socket.data.participantId;
    if (id === undefined) return;
    if (closing || graceMs === 0) return leaveRoom(socket, closing ? 'shutdown' : 'disconnect');
    delete socket.data.participantId;
    if (sockets.get(id) === socket) sockets.delete(id);
    cancelGrace(id);
    const timer = setTimeout(() => {
      graceTimers.delete(id);
      removeParticipant(id, 'grace-expired');
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

  function onEvent(socket: SignalSocket, limiter: EventRateLimiter | undefined, event: string, args: unknown[]): void {
    // Packets decoded before a cut-off may still arrive: nothing more is handled.
    if (!socket.connected) return;
    // socket.io appends an ack function when the client asked for one; nothing else
    // coming off the wire can be a function.
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
    const payload = args[0];
    if (limiter) {
      const verdict = limiter.check();
      if (verdict !== 'allow') return onRateLimited(socket, limiter, verdict, event, ack);
    }
    const fail = (error: unknown): void => {
      logger.error({ err: error, event: printableEventName(event) }, 'error while handling an event');
      try {
        refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.internal, ack);
      } catch {
        // The answer itself failed (an ack already used, a socket gone): nothing left to tell.
      }
    };
    try {
      switch (event) {
        case 'join': {
          const joining = onJoin(socket, payload, ack);
          if (joining) joining.catch(fail);
          return;
        }
        case 'signal':
          return onSignal(socket, payload, ack);
        case 'update':
          return onUpdate(socket, payload, ack);
        case 'leave':
          leaveRoom(socket, 'leave');
          return ack?.({ ok: true });
        default:
          return refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.unknownEvent, ack);
      }
    } catch (error) {
      fail(error);
    }
  }

  /**
   * An event beyond the connection's rate: dropped. An ack is answered (its sender waits
   * for it); otherwise the client hears `rate-limited` at most once per second. A
   * connection that keeps flooding is cut off (its client sees `io server disconnect`).
   */
  function onRateLimited(
    socket: SignalSocket,
    limiter: EventRateLimiter,
    verdict: Exclude<EventVerdict, 'allow'>,
    event: string,
    ack: AckCallback | undefined,
  ): void {
    metrics.rejections.inc({ reason: 'rate-limited' });
    const participantId = socket.data.participantId;
    if (verdict === 'disconnect') {
      metrics.abuseDisconnects.inc();
      logger.warn({ participantId, dropped: limiter.dropped }, 'connection cut off: it kept flooding');
      socket.disconnect(true);
      return;
    }
    if (limiter.dropped === 1) logger.warn({ participantId, event: printableEventName(event) }, 'connection rate limited');
    const error = { code: 'rate-limited' as const, message: REFUSALS.rateLimited };
    if (ack) ack({ ok: false, error });
    else if (verdict === 'drop-and-notify') socket.emit('rtc-error', { ...error, event: printableEventName(event) });
  }

  io.on('connection', (socket) => {
    const limiter = eventLimit ? new EventRateLimiter(eventLimit) : undefined;
    // Every event, known or not, goes through one dispatcher that trusts nothing. (socket.io
    // itself keeps a client-sent "error" event from throwing; onAny answers it as unknown.)
    socket.onAny((event: unknown, ...args: unknown[]) => onEvent(socket, limiter, String(event), args));
    socket.on('disconnect', () => onDisconnect(socket));
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    const connected = [...io.sockets.sockets.values()];
    logger.info({ clients: connected.length, participants: rooms.participantCount }, 'closing: disconnecting every client');
    for (const socket of connected) {
      // Out of its room first, quietly: with `closing` set nobody is told anyone left,
      // since everyone is about to reconnect (and resume) anyway.
      leaveRoom(socket, 'shutdown');
      socket.disconnect(true);
    }
    // Those already in their grace go too.
    for (const id of [...graceTimers.keys()]) removeParticipant(id, 'shutdown');
    closed = (async () => {
      // Let the disconnect notices go out (a polling client fetches its own) before the
      // engine closes every transport, discarding whatever is still buffered.
      const deadline = Date.now() + CLOSE_DRAIN_MS;
      while (io.engine.clientsCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await io.close();
    })();
    return closed;
  };
  return { io, rooms, metrics, close };
}

/** Why a participant left, for the logs. */
type LeaveReason = 'leave' | 'disconnect' | 'grace-expired' | 'shutdown';

/**
 * Answers a refused handshake with its own status (403, 429, 503) and a plain-text reason,
 * before engine.io would answer it with its generic one (403 for polling, 400 for a
 * websocket). A polling request carries its response; a websocket upgrade only its socket.
 */
function refuseHandshake(request: IncomingMessage, status: number, message: string, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(message)),
    connection: 'close',
    ...extraHeaders,
  };
  const response = (request as IncomingMessage & { res?: ServerResponse }).res;
  if (response) {
    if (!response.headersSent) response.writeHead(status, headers).end(message);
    return;
  }
  const socket = request.socket;
  if (!socket.writable) return;
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  // Ended here, so engine.io finds it unwritable and only destroys it.
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${message}`);
}

/** A header value as it may be logged: short, without control characters. */
function printable(value: string): string {
  return value.replace(/\p{Cc}/gu, '').slice(0, 200);
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
