/**
 * The rtc-elements signal server, for embedding in your own Node server:
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { createSignalServer } from './signal-server/index.js'; // dist/server/signal-server/index.js once built
 * const httpServer = createServer();
 * const signal = createSignalServer(httpServer, { roomCapacity: 4 });
 * httpServer.listen(3000);
 * ```
 * The `rtc-signal-server` command (cli.ts) runs the same thing with the demo page.
 */
export {
  createSignalServer,
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
export {
  cleanDisplayName,
  DEFAULT_DISPLAY_NAME,
  validateJoin,
  validateSignal,
  validateUpdate,
  type Validated,
} from './validate.js';
export {
  ConfigError,
  DEFAULT_DISCONNECT_GRACE_MS,
  MAX_DISCONNECT_GRACE_MS,
  loadConfig,
  usage,
  wantsHelp,
  type SignalServerConfig,
  type Topology,
} from './config.js';
export { createRequestHandler, type RequestHandler, type RequestHandlerOptions } from './http.js';
export { escapeHtml, renderDemoPage, type DemoPageOptions } from './demo-page.js';
export type * from '../src/protocol/index.js';
export { LIMITS, ROOM_PATTERN } from '../src/protocol/index.js';
