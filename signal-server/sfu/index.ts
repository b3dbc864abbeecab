/**
 * The SFU side of the signal server, loaded by cli.ts with `await import()` only when
 * `JANUS_URL` is set: janode (under the wrapper) loads a native addon that a mesh-only
 * deployment should never need.
 */
import type { Logger } from '../logger.js';
import { throttledErrors } from '../redis-client.js';
import { JanusPool } from './janus-pool.js';
import { RedisPlacement } from './placement.js';
import { SfuRooms } from './sfu-rooms.js';
import type { SfuBackend } from './types.js';

export interface SfuOptions {
  /** Janus WebSocket API URLs (private addresses). */
  urls: readonly string[];
  /** Janus's `api_secret`. */
  apiSecret: string;
  /** Key room ids and secrets are derived from; share it between processes sharing Janus. Default: random. */
  roomKey?: string;
  /**
   * The Redis the signal-server processes share (`REDIS_URL`): placement (which Janus each
   * room is on) is then recorded there, and each process watches its rooms on Janus so it
   * hears of every process's publishers. Unset: placement in this process's memory.
   */
  redisUrl?: string;
  /** Prefix of the Redis keys (the room store's). Default `rtc:`. */
  redisKeyPrefix?: string;
  logger: Logger;
}

/** Connects to the Janus instances (unreachable ones are retried in the background) and answers the SFU backend for `createSignalServer`. */
export async function createSfu(options: SfuOptions): Promise<SfuBackend> {
  const placement =
    options.redisUrl === undefined
      ? undefined
      : await RedisPlacement.connect(options.redisUrl, {
          ...(options.redisKeyPrefix === undefined ? {} : { keyPrefix: options.redisKeyPrefix }),
          onError: throttledErrors((error) => options.logger.warn({ err: error }, `redis (SFU placement): ${error.message}`)),
        });
  const pool = await JanusPool.start({
    urls: options.urls,
    apiSecret: options.apiSecret,
    ...(options.roomKey === undefined ? {} : { roomKey: options.roomKey }),
    ...(placement === undefined ? {} : { placement }),
    logger: options.logger,
  });
  return new SfuRooms(pool, options.logger);
}

export { JanusPool } from './janus-pool.js';
export { SfuRooms } from './sfu-rooms.js';
export { MemoryPlacement, RedisPlacement, type PlacementStore } from './placement.js';
export type { SfuBackend } from './types.js';
