/**
 * The Redis connection the room store and the socket.io adapter each open: failing fast
 * while Redis is away, and reconnecting on its own once it was reachable.
 */
import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * A client (not yet connected) that gives up at start after a few quick retries (so a
 * wrong `REDIS_URL` stops the server), then, once it has been ready, reconnects for as
 * long as it takes. `disableOfflineQueue`: while Redis is away, commands fail at once
 * instead of queueing until it is back.
 */
export function createRedisClient(url: string): RedisClient {
  let everReady = false;
  const client: RedisClient = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries, cause) =>
        everReady ? Math.min(50 * 2 ** retries, 1000) : retries < 5 ? 100 * (retries + 1) : cause,
    },
  });
  client.on('ready', () => (everReady = true));
  return client;
}

/**
 * Passes errors to `report` at most once per 10 s: an outage raises one per reconnect
 * attempt, which would flood the logs.
 */
export function throttledErrors(report: (error: Error) => void): (error: Error) => void {
  let last = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    report(error);
  };
}
