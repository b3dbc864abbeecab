/**
 * Makes a signal server as the `rtc-signal-server` command does: rooms in this process, or,
 * given a Redis URL, rooms shared with every other process using that Redis.
 *
 * With Redis, each process keeps a heartbeat there. When one dies without closing (a crash,
 * a SIGKILL), the others notice once its heartbeat expires (10 s) and, at their next beat
 * (every 3 s), remove the participants it held and tell their rooms; its clients meanwhile
 * reconnect to another process and take their ids back. When Redis lost what this process
 * put there (Redis restarted empty, or this process was cut off from it long enough to be
 * counted dead), this process sends its clients away, and they rebuild the rooms as they
 * resume.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { roomChannel } from './channels.js';
import { silentLogger, type Logger } from './logger.js';
import { createRedisAdapter, type RedisAdapter } from './redis-adapter.js';
import { throttledErrors } from './redis-client.js';
import { RedisRoomStore, type RedisRoomStoreOptions } from './redis-room-store.js';
import { createSignalServer, DEFAULT_ROOM_CAPACITY, type SignalServer, type SignalServerOptions } from './server.js';

/** How `connectSignalServer` behaves: `createSignalServer`'s options, and where Redis is. */
export interface ConnectSignalServerOptions extends Omit<SignalServerOptions, 'store' | 'adapter'> {
  /**
   * `redis://` or `rediss://` URL of the Redis that processes sharing rooms all use
   * (standalone or replicated, not Redis Cluster). Every process should have the same
   * `roomCapacity`. Unset: rooms stay in this process.
   */
  redisUrl?: string;
  /** Fine-tuning of the Redis room store; the defaults suit production. */
  redis?: Pick<RedisRoomStoreOptions, 'heartbeatIntervalMs' | 'instanceTtlMs' | 'keyPrefix'>;
}

/**
 * Creates a signal server on `httpServer`: as `createSignalServer` without `redisUrl`;
 * with it, once connected to Redis, with a `RedisRoomStore` and the Redis socket.io adapter,
 * both closed by the server's `close()`. Rejects (leaving nothing open) when Redis cannot
 * be reached at startup.
 */
export async function connectSignalServer(
  httpServer: HttpServer | HttpsServer,
  options: ConnectSignalServerOptions = {},
): Promise<SignalServer> {
  const { redisUrl, redis: storeOptions, ...serverOptions } = options;
  if (redisUrl === undefined) return createSignalServer(httpServer, serverOptions);

  const logger = serverOptions.logger ?? silentLogger();
  let signal: SignalServer | undefined;
  const store = await RedisRoomStore.connect(redisUrl, {
    ...storeOptions,
    capacity: serverOptions.roomCapacity ?? DEFAULT_ROOM_CAPACITY,
    onError: throttledLog(logger, 'redis (rooms)'),
    // Participants of a process that died: their rooms hear it from here.
    onParticipantsSwept: (removed) => {
      for (const { room, participant } of removed) {
        signal?.io.to(roomChannel(room)).emit('participant-left', { id: participant.id });
        logger.info({ room, participantId: participant.id, reason: 'process-gone' }, 'left');
      }
    },
    onStateLost: () => {
      logger.warn('this process\'s participants are gone from Redis: sending its clients away to resume');
      signal?.io.local.disconnectSockets(true);
    },
  });
  let redis: RedisAdapter;
  try {
    redis = await createRedisAdapter(redisUrl, { onError: throttledLog(logger, 'redis (adapter)') });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    signal = createSignalServer(httpServer, { ...serverOptions, store, adapter: redis.adapter });
  } catch (error) {
    await store.close();
    await redis.close();
    throw error;
  }
  const server = signal;
  let closed: Promise<void> | undefined;
  return {
    io: server.io,
    rooms: server.rooms,
    metrics: server.metrics,
    ready: () => server.ready(),
    // The adapter's connections last: the server's final announcements go out through them.
    close: () => (closed ??= server.close().finally(() => redis.close())),
  };
}

/** A Redis URL as it may be shown: without its user name and password. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'the Redis URL';
  }
}

/** Logs Redis connection errors as warnings, at most once per 10 s. */
function throttledLog(logger: Logger, what: string): (error: Error) => void {
  return throttledErrors((error) => logger.warn({ err: error }, `${what}: ${error.message}`));
}
