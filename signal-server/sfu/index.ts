/**
 * The SFU side of the signal server, loaded by cli.ts with `await import()` only when
 * `JANUS_URL` is set: janode (under the wrapper) loads a native addon that a mesh-only
 * deployment should never need.
 */
import type { Logger } from '../logger.js';
import { JanusPool } from './janus-pool.js';
import { SfuRooms } from './sfu-rooms.js';
import type { SfuBackend } from './types.js';

export interface SfuOptions {
  /** Janus WebSocket API URLs (private addresses). */
  urls: readonly string[];
  /** Janus's `api_secret`. */
  apiSecret: string;
  /** Key room ids and secrets are derived from; share it between processes sharing Janus. Default: random. */
  roomKey?: string;
  logger: Logger;
}

/** Connects to the Janus instances (unreachable ones are retried in the background) and answers the SFU backend for `createSignalServer`. */
export async function createSfu(options: SfuOptions): Promise<SfuBackend> {
  const pool = await JanusPool.start({
    urls: options.urls,
    apiSecret: options.apiSecret,
    ...(options.roomKey === undefined ? {} : { roomKey: options.roomKey }),
    logger: options.logger,
  });
  return new SfuRooms(pool, options.logger);
}

export { JanusPool } from './janus-pool.js';
export { SfuRooms } from './sfu-rooms.js';
export type { SfuBackend } from './types.js';
