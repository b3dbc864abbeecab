/**
 * Rate limits: token buckets per connection (incoming events) and per client address
 * (new connections), and how a client's address is found behind reverse proxies.
 * Pure bookkeeping with an injectable clock, so it can be tested without a network.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** A clock in milliseconds. */
export type Clock = () => number;

/**
 * A token bucket: holds at most `capacity` tokens, gains `refillPerSecond` per second,
 * and starts full. Each `take()` spends one token if there is one.
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  #tokens: number;
  #updatedAt: number;
  readonly #now: Clock;

  constructor(capacity: number, refillPerSecond: number, now: Clock = Date.now) {
    if (!(capacity > 0) || !(refillPerSecond >= 0)) {
      throw new RangeError(`a token bucket needs a positive capacity and a refill of at least 0, got ${capacity} and ${refillPerSecond}`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  /** Spends `amount` tokens (default one); false (and nothing spent) when the bucket holds fewer. */
  take(amount = 1): boolean {
    this.#refill();
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }

  /** Tokens available now. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** True when the bucket is full again (nothing to remember about its owner). */
  get full(): boolean {
    return this.tokens >= this.capacity;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#updatedAt = now;
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.refillPerSecond);
  }
}

/** How many incoming events one connection may send. */
export interface EventRateLimit {
  /** Events that may arrive at once (the bucket's size). */
  burst: number;
  /** Events per second the bucket refills by: the sustained rate allowed. */
  perSecond: number;
  /**
   * Events dropped within `abuseWindowMs` after which the connection is cut off. Default
   * 5 × `burst`.
   */
  abuseThreshold?: number;
  /** Default 10 000 ms. */
  abuseWindowMs?: number;
  /** Least milliseconds between two `rate-limited` notices to one connection. Default 1000. */
  noticeIntervalMs?: number;
}

/**
 * The default per-connection limit: a burst of 200 events, then 50 per second.
 *
 * Sized for the busiest honest moment: a newcomer in a full room of 8 sends 7 offers and
 * every ICE candidate for 7 connections (host, server-reflexive and relay candidates on a
 * few interfaces: 10 to 20 each, ~150 in all) within a second or two, plus its join and
 * updates. A steady call sends a few events a minute. Beyond that, events are dropped
 * with a `rate-limited` notice; 1000 drops (5 × the burst) within 10 s cut the connection.
 */
export const DEFAULT_EVENT_RATE_LIMIT: Readonly<Required<EventRateLimit>> = {
  burst: 200,
  perSecond: 50,
  abuseThreshold: 1000,
  abuseWindowMs: 10_000,
  noticeIntervalMs: 1000,
};

/** What a connection's limiter says about one incoming event. */
export type EventVerdict =
  /** Handle it. */
  | 'allow'
  /** Drop it, and tell the client it is rate limited. */
  | 'drop-and-notify'
  /** Drop it silently (the client was told less than `noticeIntervalMs` ago). */
  | 'drop'
  /** Drop it and cut the connection off: it keeps flooding. */
  | 'disconnect';

/** The limiter for one connection's incoming events. */
export class EventRateLimiter {
  readonly #events: TokenBucket;
  /**
   * Drops allowed before the cut-off: `abuseThreshold` per `abuseWindowMs`. Made at the
   * first drop (full, as it would be then anyway): most connections never drop anything,
   * and there are thousands of them.
   */
  #abuse: TokenBucket | undefined;
  readonly #limit: EventRateLimit;
  readonly #now: Clock;
  #lastNoticeAt = Number.NEGATIVE_INFINITY;
  #dropped = 0;

  constructor(limit: EventRateLimit, now: Clock = Date.now) {
    this.#events = new TokenBucket(limit.burst, limit.perSecond, now);
    this.#limit = limit;
    this.#now = now;
    // A limit that cannot work throws now, not at the first drop.
    this.#newAbuseBucket();
  }

  #newAbuseBucket(): TokenBucket {
    const threshold = this.#limit.abuseThreshold ?? 5 * this.#limit.burst;
    const windowMs = this.#limit.abuseWindowMs ?? DEFAULT_EVENT_RATE_LIMIT.abuseWindowMs;
    return new TokenBucket(threshold, threshold / (windowMs / 1000), this.#now);
  }

  /** Events dropped so far on this connection. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Decides about one incoming event. */
  check(): EventVerdict {
    if (this.#events.take()) return 'allow';
    return this.drop();
  }

  /** Counts an event dropped for another reason (a relay beyond its byte budget) as this limiter's own drops. */
  drop(): Exclude<EventVerdict, 'allow'> {
    this.#dropped++;
    this.#abuse ??= this.#newAbuseBucket();
    if (!this.#abuse.take()) return 'disconnect';
    const now = this.#now();
    if (now - this.#lastNoticeAt < (this.#limit.noticeIntervalMs ?? DEFAULT_EVENT_RATE_LIMIT.noticeIntervalMs)) return 'drop';
    this.#lastNoticeAt = now;
    return 'drop-and-notify';
  }
}

/** How many new connections one client address may open. */
export interface ConnectionRateLimit {
  /** Connections allowed per window (also the burst). */
  max: number;
  /** The window, in milliseconds. Default 10 000. */
  windowMs?: number;
}

/** How much `relay` data one connection may send: a byte-rate token bucket. */
export interface RelayRateLimit {
  /** Bytes that may go at once. */
  burstBytes: number;
  /** Bytes per second the bucket refills by. */
  bytesPerSecond: number;
  /** What each message costs at least, so a flood of tiny messages is bounded too. */
  minMessageBytes?: number;
}

/**
 * The default relay budget: 2 MB/s with a 4 MB burst per connection, each message
 * counting as at least 4 KiB (so at most ~500 messages a second). A file goes through in
 * chunks of up to `LIMITS.maxRelayDataLength`: about 40 chunks a second, kept apart from
 * the event budget so that a transfer never starves signaling.
 */
export const DEFAULT_RELAY_RATE_LIMIT: Readonly<Required<RelayRateLimit>> = {
  burstBytes: 4_000_000,
  bytesPerSecond: 2_000_000,
  minMessageBytes: 4096,
};

/** One connection's relay budget. */
export class RelayBudget {
  readonly #bucket: TokenBucket;
  readonly #minBytes: number;

  constructor(limit: RelayRateLimit, now: Clock = Date.now) {
    this.#bucket = new TokenBucket(limit.burstBytes, limit.bytesPerSecond, now);
    this.#minBytes = limit.minMessageBytes ?? DEFAULT_RELAY_RATE_LIMIT.minMessageBytes;
  }

  /** Spends the budget of one message of `bytes`; false (nothing spent) when it is beyond the rate. */
  take(bytes: number): boolean {
    return this.#bucket.take(Math.min(this.#bucket.capacity, Math.max(this.#minBytes, bytes)));
  }
}

/** The default: 100 new connections per 10 s per address (a burst of 100, then 10 per second). */
export const DEFAULT_CONNECTION_RATE_LIMIT: Readonly<Required<ConnectionRateLimit>> = { max: 100, windowMs: 10_000 };

/** How many addresses the connection limiter remembers at most; beyond, the fullest buckets are forgotten first. */
const MAX_TRACKED_ADDRESSES = 100_000;

/** A token bucket per client address for new connections (socket.io handshakes). */
export class ConnectionRateLimiter {
  readonly max: number;
  readonly windowMs: number;
  readonly #buckets = new Map<string, { bucket: TokenBucket; reported: boolean }>();
  readonly #now: Clock;
  #lastSweep: number;

  constructor(limit: ConnectionRateLimit, now: Clock = Date.now) {
    this.max = limit.max;
    this.windowMs = limit.windowMs ?? DEFAULT_CONNECTION_RATE_LIMIT.windowMs;
    if (!Number.isInteger(this.max) || this.max < 1 || !(this.windowMs > 0)) {
      throw new RangeError(`a connection rate limit needs a whole max of at least 1 and a positive window, got ${this.max} per ${this.windowMs} ms`);
    }
    this.#now = now;
    this.#lastSweep = now();
  }

  /**
   * Counts a new connection from `key` (see `addressKey`). Answers whether it is allowed
   * and, when refused, whether this is the first refusal since the address was last
   * allowed (so a flood of refusals is logged once).
   */
  take(key: string): { allowed: boolean; firstRefusal: boolean } {
    this.#sweep();
    let entry = this.#buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.max, this.max / (this.windowMs / 1000), this.#now), reported: false };
      this.#buckets.set(key, entry);
    }
    if (entry.bucket.take()) {
      entry.reported = false;
      return { allowed: true, firstRefusal: false };
    }
    const firstRefusal = !entry.reported;
    entry.reported = true;
    return { allowed: false, firstRefusal };
  }

  /** Addresses currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forgets addresses whose bucket is full again: they are indistinguishable from new ones. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < this.windowMs && this.#buckets.size < MAX_TRACKED_ADDRESSES) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#buckets) if (entry.bucket.full) this.#buckets.delete(key);
    // Still too many (a wide flood): forget the oldest entries (Map order is insertion order).
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < MAX_TRACKED_ADDRESSES) break;
      this.#buckets.delete(key);
    }
  }
}

/**
 * The address a request comes from. With `trustProxy` = n > 0, the server sits behind n
 * reverse proxies, each of which appends the address it saw to `X-Forwarded-For`: the
 * client is the n-th address from the right (counting the TCP peer as the 0th). Entries
 * further left were written by the client and are never trusted.
 */
export function clientAddress(request: IncomingMessage, trustProxy = 0): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (trustProxy <= 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const chain = [...forwarded, peer];
  const index = Math.max(0, chain.length - 1 - trustProxy);
  return stripPort(chain[index] ?? peer);
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1`; anything else as is. */
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  if (withPort?.[1] !== undefined) return withPort[1];
  return entry;
}

/**
 * The key an address is rate limited under: an IPv4 address as is (IPv4-mapped IPv6
 * addresses included), an IPv6 address by its /64 network (one subscriber usually holds
 * a whole /64, so per-address limits would be trivial to dodge), anything else (a
 * malformed forwarded entry) cut to 64 characters.
 */
export function addressKey(address: string): string {
  let value = address.trim();
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(value);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(value)) return value;
  if (!isIPv6(value)) return value.slice(0, 64);
  const [head = '', tail] = value.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address (last 32 bits) counts as two groups.
  const groupCount = (groups: string[]): number => groups.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const missing = tail === undefined ? 0 : 8 - groupCount(headGroups) - groupCount(tailGroups);
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups];
  const network = groups.slice(0, 4).map((group) => (group.includes('.') ? '0' : Number.parseInt(group, 16).toString(16)));
  return `${network.join(':')}::/64`;
}
