/**
 * Where the signal-server processes sharing one Redis (`REDIS_URL`) record which Janus
 * instance each SFU room is on, so that they all put a room's participants on the same
 * one. Keys (prefix `rtc:` by default, as the room store's):
 *
 *   rtc:sfu:room:<room>   string  the Janus URL the room is on
 *
 * A key is claimed with a compare-and-set (set when absent, or when it still names the
 * instance the caller saw die), and cleared by whoever destroys the room's VideoRoom,
 * only if it still names that instance. Without Redis the pool keeps placement in memory
 * (janus-pool.ts) and none of this is used.
 */
import { createRedisClient, throttledErrors, type RedisClient } from '../redis-client.js';

/** Shared placement, as the Janus pool uses it. */
export interface PlacementStore {
  /** The URL of the instance the room is on, if it is placed. */
  get(room: string): Promise<string | undefined>;
  /**
   * Places the room on `url` if it is not placed, or if it is placed on `replacing` (an
   * instance the caller found dead). Answers the URL the room is on afterwards: `url`,
   * or the one another process chose first.
   */
  claim(room: string, url: string, replacing?: string): Promise<string>;
  /** The room is over: forgets its placement if it is still `url`. */
  release(room: string, url: string): Promise<void>;
  close(): Promise<void>;
}

const CLAIM = `
local current = redis.call('GET', KEYS[1])
if (not current) or (ARGV[2] ~= '' and current == ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return current`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/** Placement in Redis (see the file comment). Make one with {@link RedisPlacement.connect}. */
export class RedisPlacement implements PlacementStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  private constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** Connects (rejects when Redis cannot be reached at start; reconnects by itself later). */
  static async connect(url: string, options: { keyPrefix?: string; onError?: (error: Error) => void } = {}): Promise<RedisPlacement> {
    const client = createRedisClient(url);
    const onError = options.onError ?? throttledErrors((error) => console.error('rtc-signal-server: redis (SFU placement):', error.message));
    client.on('error', (error: Error) => onError(error));
    await client.connect();
    return new RedisPlacement(client, options.keyPrefix ?? 'rtc:');
  }

  #key(room: string): string {
    return `${this.#prefix}sfu:room:${room}`;
  }

  async get(room: string): Promise<string | undefined> {
    return (await this.#client.get(this.#key(room))) ?? undefined;
  }

  async claim(room: string, url: string, replacing = ''): Promise<string> {
    return String(await this.#client.eval(CLAIM, { keys: [this.#key(room)], arguments: [url, replacing] }));
  }

  async release(room: string, url: string): Promise<void> {
    await this.#client.eval(RELEASE, { keys: [this.#key(room)], arguments: [url] });
  }

  async close(): Promise<void> {
    if (this.#client.isReady) await this.#client.close().catch(() => {});
    else if (this.#client.isOpen) this.#client.destroy();
  }
}

/** Placement in memory, for tests of the pool's shared path without Redis. */
export class MemoryPlacement implements PlacementStore {
  readonly #rooms = new Map<string, string>();

  async get(room: string): Promise<string | undefined> {
    return this.#rooms.get(room);
  }

  async claim(room: string, url: string, replacing = ''): Promise<string> {
    const current = this.#rooms.get(room);
    if (current === undefined || (replacing !== '' && current === replacing)) {
      this.#rooms.set(room, url);
      return url;
    }
    return current;
  }

  async release(room: string, url: string): Promise<void> {
    if (this.#rooms.get(room) === url) this.#rooms.delete(room);
  }

  async close(): Promise<void> {}
}
