/**
 * The rtc-elements signal server, for embedding in your own Node server:
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { createRequestHandler, createSignalServer, turnIceServers } from './signal-server/index.js'; // dist/server/signal-server/index.js once built
 * const httpServer = createServer(createRequestHandler({ bundleDir: 'dist', metrics: () => signal.metrics.registry }));
 * const signal = createSignalServer(httpServer, {
 *   roomCapacity: 4,
 *   authSecret: process.env.AUTH_SECRET,
 *   iceServers: turnIceServers({ urls: ['turn:turn.example.com:3478'], secret: process.env.TURN_SECRET }),
 * });
 * httpServer.listen(3000);
 * ```
 * To share rooms across several processes through Redis, `await connectSignalServer(httpServer,
 * { redisUrl, ...options })` instead (start.ts). The `rtc-signal-server` command (cli.ts)
 * runs the same thing with the demo page. Rooms on a Janus SFU: `topology: 'sfu' | 'auto'`
 * with `sfu: await createSfu({ urls, apiSecret })` (sfu/index.ts, imported lazily).
 */
export {
  createSignalServer,
  DEFAULT_ROOM_CAPACITY,
  HANDSHAKE_REFUSALS,
  normalizeOrigin,
  originPolicy,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  REFUSALS,
  type SignalIo,
  type SignalServer,
  type SignalServerOptions,
  type SignalSocketData,
} from './server.js';
export { Rooms, type Joiner, type ParticipantPatch, type RoomJoinResult, type RoomLeaveResult } from './rooms.js';
export { MemoryRoomStore, type CloseOptions, type LeaveOptions, type RoomRejoinResult, type RoomStore } from './room-store.js';
export { RedisRoomStore, type RedisRoomStoreOptions } from './redis-room-store.js';
export { createRedisAdapter, type RedisAdapter, type RedisAdapterOptions } from './redis-adapter.js';
export { participantChannel, roomChannel } from './channels.js';
export { connectSignalServer, redactRedisUrl, type ConnectSignalServerOptions } from './start.js';
export {
  cleanDisplayName,
  DEFAULT_DISPLAY_NAME,
  validateJoin,
  validateRelay,
  validateSfuAnswer,
  validateSfuCandidate,
  validateSfuLayer,
  validateSfuPublish,
  validateSignal,
  validateUpdate,
  type Validated,
} from './validate.js';
// The SFU's implementation (janode, a native addon) is not exported here: load it with
// `const { createSfu } = await import('./sfu/index.js')` and pass `sfu` to createSignalServer.
export { SfuRequestError, type SfuBackend, type SfuSink, type SfuStats } from './sfu/types.js';
export {
  ConfigError,
  configWarnings,
  DEFAULT_CONNECTIONS_PER_10S,
  DEFAULT_DISCONNECT_GRACE_MS,
  LOG_LEVELS,
  MAX_DISCONNECT_GRACE_MS,
  loadConfig,
  loadTokenCommand,
  tokenUsage,
  usage,
  wantsHelp,
  type LogLevel,
  type SignalServerConfig,
  type TokenCommand,
  type Topology,
} from './config.js';
export {
  signJoinToken,
  TOKEN_CLOCK_TOLERANCE_S,
  TOKEN_REFUSALS,
  verifyJoinToken,
  type JoinTokenClaims,
  type TokenRefusal,
  type TokenVerdict,
} from './auth.js';
export { DEFAULT_TURN_TTL_S, turnCredential, turnIceServers, turnPassword, type TurnSettings } from './turn.js';
export {
  addressKey,
  clientAddress,
  ConnectionRateLimiter,
  DEFAULT_CONNECTION_RATE_LIMIT,
  DEFAULT_EVENT_RATE_LIMIT,
  EventRateLimiter,
  TokenBucket,
  DEFAULT_RELAY_RATE_LIMIT,
  RelayBudget,
  type ConnectionRateLimit,
  type EventRateLimit,
  type EventVerdict,
  type RelayRateLimit,
} from './limits.js';
export { createMetrics, type MetricsSources, type RejectionReason, type SignalMetrics } from './metrics.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { createRequestHandler, type RequestHandler, type RequestHandlerOptions } from './http.js';
export { escapeHtml, renderDemoPage, type DemoPageOptions } from './demo-page.js';
export type * from '../src/protocol/index.js';
export { LIMITS, ROOM_PATTERN } from '../src/protocol/index.js';
