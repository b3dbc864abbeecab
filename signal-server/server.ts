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
 *
 * Rooms live in a `RoomStore`: in this process (`MemoryRoomStore`, the default), or shared
 * by several processes through Redis (`RedisRoomStore` with the Redis socket.io adapter;
 * `connectSignalServer` in start.ts sets both up from a URL). Either way the server
 * relays through socket.io rooms, which the adapter extends across processes: `room:<room>`
 * holds the sockets of a call room, `p:<id>` (`participantChannel`) the socket of one
 * participant. Each connection's events are handled one after another, in the order they
 * arrived, since every step that touches the rooms waits for the store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { Server, type DefaultEventsMap, type ServerOptions, type Socket } from 'socket.io';
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
  DEFAULT_RELAY_RATE_LIMIT,
  EventRateLimiter,
  RelayBudget,
  type RelayRateLimit,
  type ConnectionRateLimit,
  type EventRateLimit,
  type EventVerdict,
} from './limits.js';
import { silentLogger, type Logger } from './logger.js';
import { releaseUpgradeRequests } from './engine-memory.js';
import { createMetrics, type SignalMetrics } from './metrics.js';
import { participantChannel, roomChannel } from './channels.js';
import { MemoryRoomStore, type RoomStore } from './room-store.js';
import type { ParticipantPatch } from './rooms.js';
import { createSfuEvents } from './sfu-events.js';
import type { SfuBackend } from './sfu/types.js';
import { validateJoin, validateRelay, validateSignal, validateUpdate } from './validate.js';

/** How `createSignalServer` behaves. Every field is optional. */
export interface SignalServerOptions {
  /** The most participants one room may hold. Default 8 (or the capacity of `store`, when given). */
  roomCapacity?: number;
  /**
   * Where rooms are kept. Default: a new `MemoryRoomStore` with `roomCapacity`, for this
   * process alone. A store shared by several processes (`RedisRoomStore`) needs `adapter`
   * too, so that broadcasts and relays reach sockets on the other processes. The server
   * owns the store from then on: `close()` closes it.
   */
  store?: RoomStore;
  /**
   * The socket.io adapter, e.g. `(await createRedisAdapter(url)).adapter` alongside a
   * `RedisRoomStore`. Default: socket.io's in-memory adapter. Its Redis connections are the
   * caller's to close, after `close()`.
   */
  adapter?: ServerOptions['adapter'];
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
  /**
   * How rooms carry media: `mesh` (peer to peer, the default), `sfu` (every room through
   * the SFU) or `auto` (a room moves to the SFU when a join makes it bigger than
   * `meshLimit`, and stays there while it lives). `sfu` and `auto` need `sfu`.
   */
  topology?: 'mesh' | 'sfu' | 'auto';
  /** With `auto`, the most participants a room holds as a mesh. Default 4. */
  meshLimit?: number;
  /**
   * The SFU rooms (`createSfu` in sfu/index.ts, over Janus). The server owns it from then
   * on: `close()` closes it.
   */
  sfu?: SfuBackend;
  /**
   * The `relay` budget per connection (bytes), apart from `eventRateLimit`, so that files
   * sent through the server neither starve signaling nor flood it; beyond it a relay is
   * answered `rate-limited`. `false` turns it off. Default `DEFAULT_RELAY_RATE_LIMIT`
   * (2 MB/s, burst 4 MB).
   */
  relayRateLimit?: RelayRateLimit | false;
}

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
type SignalSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SignalSocketData>;

/** A running signal server. */
export interface SignalServer {
  /**
   * The socket.io server, for inspection and tests. Its sockets do not keep their upgrade
   * request (`socket.request` is null, `socket.handshake` has no headers): see
   * engine-memory.ts.
   */
  readonly io: SignalIo;
  /** Who is in which room: the store (a `MemoryRoomStore` unless `options.store` was given). */
  readonly rooms: RoomStore;
  /** The Prometheus metrics (serve `metrics.registry.metrics()` at `/metrics`). */
  readonly metrics: SignalMetrics;
  /** True while the server can serve: not closing, and its store reachable (for `GET /readyz`). Never rejects. */
  ready(): Promise<boolean>;
  /**
   * Refuses new connections (503), disconnects every client server-side (a client sees
   * `io server disconnect` and comes back after a jittered pause, to this server's
   * successor or another process, resuming its participant id), then closes the engine,
   * the http server it is attached to (as socket.io does) and the store. Pending grace
   * timers are cleared and those participants removed (announced to whoever remains in
   * their room on other processes). The participants of connected clients are removed
   * quietly with an in-memory store (nobody is told anyone left: they all reconnect); with
   * a shared store they are only marked offline, so that they resume on another process
   * without the others noticing, and the surviving processes sweep (and announce) those
   * that have not come back once the grace (plus 2 s) is over. Idempotent.
   */
  close(): Promise<void>;
}

/** An acknowledgement callback as socket.io hands it over: it will serialize whatever it gets. */
type AckCallback = (answer: unknown) => void;

/** The most participants one room may hold, unless told otherwise. */
export const DEFAULT_ROOM_CAPACITY = 8;

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
  notSfu: 'this room is not on the SFU: sfu-* messages are for SFU rooms',
  needsAck: 'this message needs an acknowledgement callback',
  relayRateLimited: 'relaying too much data: wait for the acknowledgements',
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

/**
 * The socket.io and engine.io options of every signal server, apart from the path, the
 * adapter, CORS and the handshake check. Exported for the load bench's bare relay
 * (bench/bare-relay-server.ts), which runs with the same ones.
 */
export const ENGINE_OPTIONS = {
  maxHttpBufferSize: LIMITS.maxFrameBytes,
  pingInterval: PING_INTERVAL_MS,
  pingTimeout: PING_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  // The browser bundle carries its own client; no need to serve socket.io's.
  serveClient: false,
} as const satisfies Partial<ServerOptions>;

/** How long `close()` waits for the disconnect notices to go out before closing transports. */
const CLOSE_DRAIN_MS = 1000;

/**
 * With a shared store, how much longer than the disconnect grace the participants of the
 * clients `close()` sends away are kept for them to resume on another process: the
 * library's client comes back 0.5 to 2 s after being sent away.
 */
const CLOSE_HANDOVER_MS = 2000;

/** After a removal failed (the store unreachable), how long until it is tried again. */
const REMOVAL_RETRY_MS = 2000;

/**
 * Attaches a signal server to an http(s) server. The http server keeps serving its own
 * routes; socket.io takes the requests under its path.
 */
export function createSignalServer(
  httpServer: HttpServer | HttpsServer,
  options: SignalServerOptions = {},
): SignalServer {
  const given = options.store;
  if (given && options.roomCapacity !== undefined && options.roomCapacity !== given.capacity) {
    throw new RangeError(`roomCapacity (${String(options.roomCapacity)}) differs from the capacity of the store (${given.capacity})`);
  }
  const rooms: RoomStore = given ?? new MemoryRoomStore({ capacity: options.roomCapacity ?? DEFAULT_ROOM_CAPACITY });
  /**
   * Whether other processes may share the store. Then, on close, the participants of the
   * clients sent away stay in their rooms (offline), to resume on another process.
   */
  const shared = !(rooms instanceof MemoryRoomStore);
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
  const relayLimit: RelayRateLimit | undefined =
    options.relayRateLimit === false ? undefined : (options.relayRateLimit ?? DEFAULT_RELAY_RATE_LIMIT);
  if (relayLimit) new RelayBudget(relayLimit);
  const topologyMode = options.topology ?? 'mesh';
  const meshLimit = options.meshLimit ?? 4;
  const sfu = options.sfu;
  if (topologyMode !== 'mesh' && !sfu) throw new RangeError(`topology "${topologyMode}" needs an SFU (options.sfu)`);
  if (!Number.isInteger(meshLimit) || meshLimit < 1) throw new RangeError(`meshLimit must be a whole number of at least 1, got ${String(meshLimit)}`);
  const connectionLimiter =
    options.connectionRateLimit === false
      ? undefined
      : new ConnectionRateLimiter(options.connectionRateLimit ?? DEFAULT_CONNECTION_RATE_LIMIT);

  const io: SignalIo = new Server(httpServer, {
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    ...ENGINE_OPTIONS,
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
  // Read once, in `allowRequest`: not worth ~1.5 KB per connection for its whole life.
  releaseUpgradeRequests(io.engine);

  const metrics = createMetrics(
    {
      connectedSockets: () => io.engine.clientsCount,
      rooms: () => rooms.roomCount(),
      participants: () => rooms.participantCount(),
      sfuRooms: () => (topologyMode === 'mesh' ? 0 : topologyMode === 'sfu' ? rooms.roomCount() : rooms.sfuRoomCount()),
      ...(sfu ? { sfu: () => sfu.stats() } : {}),
    },
    {
      ...(options.metricsRegistry === undefined ? {} : { registry: options.metricsRegistry }),
      ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
    },
  );

  const sfuEvents = createSfuEvents({
    topology: topologyMode,
    meshLimit,
    sfu,
    rooms,
    logger,
    refuse: (socket, event, code, message, ack) => refuse(socket as SignalSocket, event, code, message, ack),
    counted: () => metrics.relayed.inc({ event: 'sfu' }),
    messages: REFUSALS,
  });
  sfu?.setCapacity(rooms.capacity);
  sfu?.bind({
    toParticipant: (id, event, ...args) => io.to(participantChannel(id)).emit(event, ...args),
    toRoom: (room, event, ...args) => io.to(roomChannel(room)).emit(event, ...args),
  });

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
   * Participant id → its socket on this process. Signals are relayed through the socket.io
   * room `participantChannel(id)`, which spans processes; this map serves to hand a
   * participant over from one of this process's sockets to another (a resume) without its
   * old socket's disconnect counting as a drop.
   */
  const sockets = new Map<string, SignalSocket>();
  /**
   * Participant id → the timer that removes it when its disconnect grace runs out (or that
   * tries a failed removal again).
   */
  const graceTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Each connection's relay budget, made at its first `relay` (full, as it would be then
   * anyway): only SFU rooms relay, and an idle connection should cost as little as can be.
   */
  const relayBudgets = new WeakMap<SignalSocket, RelayBudget>();
  function relayBudgetOf(socket: SignalSocket, limit: RelayRateLimit): RelayBudget {
    let budget = relayBudgets.get(socket);
    if (!budget) relayBudgets.set(socket, (budget = new RelayBudget(limit)));
    return budget;
  }
  /** Set once `close()` is called: from then on, `close()` deals with every participant. */
  let closing = false;

  function refuse(socket: SignalSocket, event: string, code: ErrorCode, message: string, ack?: AckCallback): void {
    if (code === 'invalid-input' || code === 'room-full' || code === 'unauthorized' || code === 'rate-limited') {
      metrics.rejections.inc({ reason: code });
    }
    if (ack) ack({ ok: false, error: { code, message } });
    else socket.emit('rtc-error', { code, message, event });
  }

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

  async function onJoin(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    if (!ack) return refuse(socket, 'join', 'invalid-input', REFUSALS.joinNeedsAck);
    // Events of one connection run one after another (see onEvent), so a second join
    // sees the first one's outcome.
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
      if (!socket.connected || closing) return;
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
    if (!socket.connected || closing) {
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
    if (!socket.connected || closing) {
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

  async function onSignal(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    const { participantId: senderId, room } = socket.data;
    if (senderId === undefined || room === undefined) return refuse(socket, 'signal', 'invalid-input', REFUSALS.notJoined, ack);
    const request = validateSignal(payload);
    if (!request.ok) return refuse(socket, 'signal', 'invalid-input', request.reason, ack);

    const { to, data } = request.value;
    if (to === senderId) return refuse(socket, 'signal', 'invalid-input', REFUSALS.signalSelf, ack);
    // A participant in its disconnect grace is in the room but unreachable: refused.
    const [targetRoom, online] = await Promise.all([rooms.roomOf(to), rooms.isOnline(to)]);
    if (targetRoom !== room || !online) return refuse(socket, 'signal', 'invalid-input', REFUSALS.notInRoom, ack);
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
   * `relay`: data for one participant of the sender's room (SFU rooms: chat, file chunks),
   * passed on with the sender's id; the ack (once passed on) is the sender's back-pressure.
   */
  async function onRelay(socket: SignalSocket, payload: unknown, ack: AckCallback | undefined): Promise<void> {
    const { participantId: senderId, room } = socket.data;
    if (senderId === undefined || room === undefined) return refuse(socket, 'relay', 'invalid-input', REFUSALS.notJoined, ack);
    const request = validateRelay(payload);
    if (!request.ok) return refuse(socket, 'relay', 'invalid-input', request.reason, ack);
    const { to, channel, data, binary, close } = request.value;
    if (to === senderId) return refuse(socket, 'relay', 'invalid-input', REFUSALS.signalSelf, ack);
    const [targetRoom, online] = await Promise.all([rooms.roomOf(to), rooms.isOnline(to)]);
    if (targetRoom !== room || !online) return refuse(socket, 'relay', 'invalid-input', REFUSALS.notInRoom, ack);
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
      if (!closing && !sockets.has(id) && !graceTimers.has(id)) startTimer(id, REMOVAL_RETRY_MS, reason, attempt + 1);
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
    if (closing) {
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

  /**
   * Checks an incoming event at once (rate, ack) and queues its handling behind the
   * connection's earlier events, so that they take effect in the order they were sent
   * even though each waits for the store.
   */
  function onEvent(
    socket: SignalSocket,
    queue: EventQueue,
    limiter: EventRateLimiter | undefined,
    event: string,
    args: unknown[],
  ): void {
    // Packets decoded before a cut-off may still arrive: nothing more is handled.
    if (!socket.connected) return;
    // socket.io appends an ack function when the client asked for one; nothing else
    // coming off the wire can be a function.
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
    const payload = args[0];
    if (event === 'relay') {
      // Relays have a byte budget of their own (see `relayRateLimit`): a file transfer
      // neither eats the signaling budget nor gets the connection cut off.
      if (relayLimit && !relayBudgetOf(socket, relayLimit).take(relaySize(payload))) {
        metrics.rejections.inc({ reason: 'rate-limited' });
        const error = { code: 'rate-limited' as const, message: REFUSALS.relayRateLimited };
        if (ack) ack({ ok: false, error });
        else socket.emit('rtc-error', { ...error, event: 'relay' });
        return;
      }
    } else if (limiter) {
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
    const handle = (): void | Promise<void> => {
      switch (event) {
        case 'join':
          return onJoin(socket, payload, ack);
        case 'signal':
          return onSignal(socket, payload, ack);
        case 'update':
          return onUpdate(socket, payload, ack);
        case 'leave':
          return onLeave(socket, ack);
        case 'sfu-publish':
          return sfuEvents.onPublish(socket, payload, ack);
        case 'sfu-answer':
          return sfuEvents.onAnswer(socket, payload, ack);
        case 'sfu-candidate':
          return sfuEvents.onCandidate(socket, payload, ack);
        case 'sfu-layer':
          return sfuEvents.onLayer(socket, payload, ack);
        case 'sfu-restart':
          return sfuEvents.onRestart(socket, payload, ack);
        case 'relay':
          return onRelay(socket, payload, ack);
        default:
          return refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.unknownEvent, ack);
      }
    };
    queue.run(handle, fail);
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
    const queue = new EventQueue();
    // Every event, known or not, goes through one dispatcher that trusts nothing. (socket.io
    // itself keeps a client-sent "error" event from throwing; onAny answers it as unknown.)
    socket.onAny((event: unknown, ...args: unknown[]) => onEvent(socket, queue, limiter, String(event), args));
    // Queued too: a `leave` (or a join) that arrived before the connection closed is handled first.
    socket.on('disconnect', () =>
      queue.run(
        () => onDisconnect(socket),
        (error) => logger.error({ err: error }, 'error while handling a disconnect'),
      ),
    );
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    const connected = [...io.sockets.sockets.values()];
    // Taken from their sockets first, so that the disconnects below do nothing more.
    const held = connected.flatMap((socket) => detach(socket)?.id ?? []);
    const inGrace = [...graceTimers.keys()];
    for (const id of inGrace) cancelGrace(id);
    logger.info({ clients: connected.length, participants: held.length, inGrace: inGrace.length }, 'closing: disconnecting every client');
    for (const socket of connected) socket.disconnect(true);
    closed = (async () => {
      const removals: Array<Promise<unknown>> = [
        // Everyone connected is about to reconnect and resume: with a shared store, their
        // participants stay (offline) for that, and the processes that remain sweep whoever
        // does not come back once this one is gone. Otherwise they go, without a word.
        ...held.map((id) => (shared ? rooms.markOffline(id) : removeParticipant(id, 'shutdown', false))),
        // Those in their grace are gone already: anyone left in their rooms (on other
        // processes) is told now.
        ...inGrace.map((id) => removeParticipant(id, 'shutdown')),
      ];
      for (const result of await Promise.allSettled(removals)) {
        if (result.status === 'rejected') logger.warn({ err: result.reason }, 'closing: could not update a participant');
      }
      // Let the disconnect notices go out (a polling client fetches its own) before the
      // engine closes every transport, discarding whatever is still buffered.
      const deadline = Date.now() + CLOSE_DRAIN_MS;
      while (io.engine.clientsCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await io.close();
      // With a shared store, those sent away have their grace (and the time to come back)
      // to resume elsewhere before the other processes sweep them as gone.
      await rooms.close(shared && held.length > 0 ? { lingerMs: graceMs + CLOSE_HANDOVER_MS } : {});
      await sfu?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing: could not close the SFU connections'));
    })();
    return closed;
  };

  const ready = async (): Promise<boolean> => !closing && (await rooms.ready());

  return { io, rooms, metrics, ready, close };
}

/**
 * Runs one connection's handlers one after another, each once the previous one has
 * finished (asynchronous ones included), in the order they were queued. A handler that
 * throws or rejects goes to its own `fail` and the queue goes on.
 */
class EventQueue {
  #tail: Promise<void> = Promise.resolve();

  run(handle: () => void | Promise<void>, fail: (error: unknown) => void): void {
    this.#tail = this.#tail.then(handle).catch((error: unknown) => {
      try {
        fail(error);
      } catch {
        // Nothing more to do; the queue must go on.
      }
    });
  }
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

/** What a `relay` costs against the relay budget: the length of its data (anything else counts as empty). */
function relaySize(payload: unknown): number {
  const data = typeof payload === 'object' && payload !== null ? (payload as { data?: unknown }).data : undefined;
  return typeof data === 'string' ? data.length : 0;
}

/** A participant id: 128 random bits, unguessable, unrelated to the socket id. */
function newParticipantId(): string {
  return randomBytes(16).toString('base64url');
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
