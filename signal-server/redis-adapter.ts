/**
 * The socket.io adapter that lets several signal server processes reach each other's
 * sockets, through Redis streams (`@socket.io/redis-streams-adapter`). With it, every
 * `io.to(room).emit(...)` / `socket.to(room).emit(...)` reaches the sockets in that
 * socket.io room on every process.
 *
 * Relaying to one participant across processes: the server has no socket object for a
 * participant connected elsewhere, so each socket joins the socket.io room
 * `participantChannel(id)` (`p:<id>`) when its participant joins or resumes, and
 * messages to one participant go out as `io.to(participantChannel(id)).emit(...)`.
 * Likewise `io.in(participantChannel(id)).except(newSocket.id).disconnectSockets(true)`
 * cuts off a participant's previous connection wherever it is (a resume through another
 * process); `except` matters, as the disconnect is applied only after a Redis round trip,
 * by which time the new socket has joined the same room.
 *
 * Note that socket.io delivers a broadcast (`io.to(...)`, `socket.to(...)`), local sockets
 * included, only after publishing it to Redis, whereas `socket.emit(...)` and acks go out
 * at once: do not rely on their relative order.
 *
 * Wiring:
 *   const redis = await createRedisAdapter(url);
 *   const io = new Server(httpServer, { ...options, adapter: redis.adapter });
 *   ...on shutdown: await io.close(); await redis.close();
 */
import { createAdapter, type RedisStreamsAdapterOptions } from '@socket.io/redis-streams-adapter';
import { createRedisClient, throttledErrors, type RedisClient } from './redis-client.js';

export { participantChannel } from './channels.js';

/** The longest `createRedisAdapter` waits for the adapter's first read of the stream. */
const FIRST_READ_WAIT_MS = 3000;

export interface RedisAdapterOptions extends RedisStreamsAdapterOptions {
  /** Where connection errors go. Default: `console.error`, at most once per 10 s. */
  onError?: (error: Error) => void;
}

export interface RedisAdapter {
  /** For `new Server(httpServer, { adapter })` or `io.adapter(adapter)`. */
  adapter: ReturnType<typeof createAdapter>;
  /** The publishing client (the adapter reads through duplicates of it). */
  client: RedisClient;
  /** Closes every Redis connection of the adapter; call after `io.close()`. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and makes the adapter; resolves once the adapter reads the stream.
 * Rejects if Redis cannot be reached at startup (after a few quick retries); once
 * connected, the clients reconnect by themselves and the stream is resumed where it was.
 */
export async function createRedisAdapter(url: string, options: RedisAdapterOptions = {}): Promise<RedisAdapter> {
  const { onError, ...adapterOptions } = options;
  // socket.io delivers a broadcast to local sockets only after publishing it: with an
  // offline queue, a Redis outage would hold every broadcast, local ones included, until
  // Redis is back. Failing at once (the client's default here) lets local delivery go on.
  const client = createRedisClient(url);
  // Mandatory: an 'error' event without a listener would crash the process.
  client.on('error', onError ?? throttledErrors((error) => console.error('rtc-signal-server: redis (adapter):', error.message)));
  // The adapter reads the stream and subscribes through duplicates of this client, and
  // retries a failed read at once, with no delay. A read that fails at once (Redis away
  // without an offline queue, or a closed client) would then loop on promise callbacks
  // alone and starve the event loop: the whole process would freeze. So the duplicates
  // keep the offline queue (a read waits for the reconnection), a failed read is paced,
  // and once closed, reads never settle (the reading loop stops, holding nothing).
  let closing = false;
  let firstRead: () => void = () => {};
  const reading = new Promise<void>((resolve) => (firstRead = resolve));
  const duplicates = new Set<{ destroy(): void }>();
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((overrides) => {
    const copy = duplicate({ ...overrides, disableOfflineQueue: false });
    duplicates.add(copy);
    const reader = copy as unknown as { xRead(...args: unknown[]): Promise<unknown> };
    const xRead = reader.xRead.bind(copy);
    reader.xRead = async (...args) => {
      firstRead();
      try {
        return await xRead(...args);
      } catch (error) {
        if (closing) return new Promise<never>(() => {});
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw error;
      }
    };
    return copy;
  }) as typeof client.duplicate;
  await client.connect();

  const adapter = createAdapter(client, { streamName: 'rtc:socket.io', channelPrefix: 'rtc:socket.io', ...adapterOptions });
  // The adapter reads the stream from its end, starting a moment after it is made: what
  // other processes publish before its first read never reaches this one. Waiting for that
  // read (briefly: it needs one more connection) makes the adapter whole once this resolves.
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([reading, new Promise((resolve) => (waited = setTimeout(resolve, FIRST_READ_WAIT_MS)))]);
  clearTimeout(waited);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      for (const copy of duplicates) copy.destroy();
      if (client.isReady) await client.close().catch(() => client.destroy());
      else client.destroy();
    })();
    return closed;
  };
  return { adapter, client, close };
}
