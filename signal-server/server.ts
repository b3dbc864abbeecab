/**
 * The signal server: socket.io on an existing http(s) server (on its own websocket engine,
 * ws-engine.ts, instead of engine.io), relaying WebRTC signaling between the participants
 * of a room. It trusts nothing a client sends:
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
 *
 * This file checks the options and wires the parts together: handshake.ts admits
 * connections, event-dispatcher.ts checks and orders each connection's events, join.ts
 * handles `join` (resumes included), room-messages.ts `signal`, `update` and `relay`,
 * participants.ts `leave`, drops and their grace, sfu-events.ts the `sfu-*` events and
 * shutdown.ts `close()`.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { Server, type ServerOptions } from 'socket.io';
import { LIMITS, type IceServerInfo } from '../src/protocol/index.js';
import { DEFAULT_DISCONNECT_GRACE_MS, MAX_DISCONNECT_GRACE_MS } from './config.js';
import { createEventDispatcher } from './event-dispatcher.js';
import { createHandshakeCheck, originPolicy, refuseHandshake } from './handshake.js';
import { createJoin } from './join.js';
import {
  ConnectionRateLimiter,
  DEFAULT_CONNECTION_RATE_LIMIT,
  DEFAULT_EVENT_RATE_LIMIT,
  DEFAULT_RELAY_RATE_LIMIT,
  EventRateLimiter,
  RelayBudget,
  type RelayRateLimit,
  type ConnectionRateLimit,
  type EventRateLimit,
} from './limits.js';
import { silentLogger, type Logger } from './logger.js';
import { createMetrics, type SignalMetrics } from './metrics.js';
import { participantChannel, roomChannel } from './channels.js';
import { createParticipants } from './participants.js';
import { MemoryRoomStore, type RoomStore } from './room-store.js';
import { createRoomMessages } from './room-messages.js';
import { createSfuEvents } from './sfu-events.js';
import type { SfuBackend } from './sfu/types.js';
import { shutDown } from './shutdown.js';
import { createRefuse, REFUSALS, type SignalIo, type SignalSocket } from './signal-socket.js';
import { WsEngine } from './ws-engine.js';

// Parts of the server's interface that live with the code using them.
export { HANDSHAKE_REFUSALS, normalizeOrigin, originPolicy } from './handshake.js';
export { REFUSALS, type SignalIo, type SignalSocketData } from './signal-socket.js';

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

/** A running signal server. */
export interface SignalServer {
  /**
   * The socket.io server, for inspection and tests. Its sockets do not keep their upgrade
   * request (`socket.handshake` has no headers, url or query): see ws-engine.ts.
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

/**
 * socket.io's time for a new connection to enter its namespace (default 45 s); a
 * connection that never does is closed sooner.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The heartbeat, size and connect-timeout options of every signal server, in engine.io's
 * and socket.io's names. Exported for the load bench's bare relay
 * (bench/bare-relay-server.ts), which gives them to socket.io on engine.io.
 */
export const ENGINE_OPTIONS = {
  maxHttpBufferSize: LIMITS.maxFrameBytes,
  pingInterval: PING_INTERVAL_MS,
  pingTimeout: PING_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  // The browser bundle carries its own client; no need to serve socket.io's.
  serveClient: false,
} as const satisfies Partial<ServerOptions>;

/**
 * Attaches a signal server to an http(s) server. The http server keeps serving its own
 * routes; socket.io takes the requests under its path (websocket upgrades; long-polling
 * requests are answered 400 "Transport unknown", as engine.io answers a transport it does
 * not offer).
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

  // Of ENGINE_OPTIONS, socket.io itself takes the connect timeout; the engine the rest.
  const io: SignalIo = new Server({
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    connectTimeout: ENGINE_OPTIONS.connectTimeout,
  });
  // socket.io on our own engine (ws-engine.ts), not engine.io: websocket only, a fraction
  // of engine.io's weight per connection.
  const engine = new WsEngine(httpServer, {
    path: `${(options.path ?? '/socket.io').replace(/\/$/, '')}/`,
    pingInterval: ENGINE_OPTIONS.pingInterval,
    pingTimeout: ENGINE_OPTIONS.pingTimeout,
    maxPayload: ENGINE_OPTIONS.maxHttpBufferSize,
    // Called once per handshake, before the upgrade (and for long-polling requests, which
    // are refused after it: the refusals keep their own status).
    allowRequest: (request, callback) => {
      const refusal = admitHandshake(request);
      if (refusal === undefined) return callback(null, true);
      refuseHandshake(request, refusal.status, refusal.message, refusal.headers);
      callback(refusal.message, false);
    },
  });
  io.bind(engine as unknown as Parameters<SignalIo['bind']>[0]);
  // As if attached: `io.close()` closes the http server too.
  io.httpServer = httpServer;

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

  const refuse = createRefuse(metrics);

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

  /** Set once `close()` is called: from then on, `close()` deals with every participant. */
  let closing = false;
  const isClosing = (): boolean => closing;
  const admitHandshake = createHandshakeCheck({ isClosing, connectionLimiter, trustProxy, isAllowed, metrics, logger });

  const participants = createParticipants({ io, rooms, sfuEvents, logger, graceMs, shared, isClosing });
  const onJoin = createJoin({ io, rooms, participants, sfuEvents, metrics, logger, refuse, authSecret, iceServersForJoiner, isClosing });
  const { onSignal, onUpdate, onRelay } = createRoomMessages({ io, rooms, metrics, refuse });
  const { onLeave, onDisconnect } = participants;
  io.on(
    'connection',
    createEventDispatcher({ eventLimit, relayLimit, metrics, logger, refuse, onJoin, onSignal, onUpdate, onLeave, onRelay, sfuEvents, onDisconnect }),
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = shutDown({ io, rooms, participants, sfu, logger, shared, graceMs });
    return closed;
  };

  const ready = async (): Promise<boolean> => !closing && (await rooms.ready());

  return { io, rooms, metrics, ready, close };
}
