/**
 * The Janus instances one signal-server process drives: one `JanusVideoRoom` (one
 * WebSocket, one Janus session) per URL. Its jobs, and only these:
 * - placement: a call room goes to the least loaded live instance when it first needs the
 *   SFU, and stays there for its life;
 * - failure: when an instance's connection drops, it is marked down and reconnected with
 *   backoff, and its rooms are placed again on the instances still up (the `moved` event
 *   tells the owner, which has the pages publish and subscribe again: an ICE restart
 *   cannot help, the other end no longer exists);
 * - forwarding each live wrapper's events, so the owner listens once, whatever reconnects.
 *
 * Placement is kept in this process's memory: several signal-server processes sharing
 * Janus instances may place one room on different instances (see docs/sfu.md).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { JanusVideoRoom, type JanusVideoRoomEvents, type JanusVideoRoomOptions } from './janus-videoroom.js';

/** Events the pool forwards from its wrappers (their `disconnected` is the pool's own business). */
export type ForwardedEvents = Omit<JanusVideoRoomEvents, 'disconnected'>;

export interface JanusPoolEvents extends ForwardedEvents {
  /** Rooms whose instance went down; each is already placed again where possible. */
  moved: { rooms: string[]; from: string };
  /** An instance connected (at start or after a drop). */
  up: { url: string };
  /** An instance's connection dropped. */
  down: { url: string };
}

export interface JanusPoolOptions {
  urls: readonly string[];
  apiSecret: string;
  /** Key the room ids and secrets are derived from; default: one random key for the whole pool. */
  roomKey?: string | Buffer;
  logger: Logger;
  /** First reconnect delay; doubles up to `maxRetryMs`. Default 1000. */
  minRetryMs?: number;
  /** Default 30 000. */
  maxRetryMs?: number;
  /** How wrappers are made (tests). Default `JanusVideoRoom.connect`. */
  connect?: (options: JanusVideoRoomOptions) => Promise<JanusVideoRoom>;
}

interface Instance {
  url: string;
  /** Set while connected. */
  sfu?: JanusVideoRoom;
  /** Rooms placed here. */
  placed: Set<string>;
  retryMs: number;
  timer?: NodeJS.Timeout;
  /** Removes the forwarding listeners of the current wrapper. */
  unlisten: (() => void)[];
}

const FORWARDED: readonly (keyof ForwardedEvents)[] = [
  'publisherjoined',
  'publisherleft',
  'talking',
  'subscriberoffer',
  'candidate',
  'webrtcup',
  'hangup',
  'roomdestroyed',
];

/** Several Janus instances behind one placement policy. Make one with {@link JanusPool.start}. */
export class JanusPool {
  readonly #instances: Instance[];
  readonly #placement = new Map<string, Instance>();
  readonly #options: JanusPoolOptions;
  readonly #roomKey: string | Buffer;
  readonly #listeners = new Map<keyof JanusPoolEvents, Set<(detail: never) => void>>();
  #closed = false;

  private constructor(options: JanusPoolOptions) {
    if (options.urls.length === 0) throw new RangeError('a Janus pool needs at least one URL');
    this.#options = options;
    // One key for every instance and every reconnect: a room left behind on a Janus that
    // only lost its connection to us can still be destroyed with the secret we gave it.
    this.#roomKey = options.roomKey ?? randomBytes(32);
    this.#instances = options.urls.map((url) => ({ url, placed: new Set(), retryMs: options.minRetryMs ?? 1000, unlisten: [] }));
  }

  /**
   * Connects to every instance (one attempt each, in parallel). Instances that cannot be
   * reached are logged and retried in the background; the pool starts either way.
   */
  static async start(options: JanusPoolOptions): Promise<JanusPool> {
    const pool = new JanusPool(options);
    await Promise.all(pool.#instances.map((instance) => pool.#connect(instance)));
    return pool;
  }

  /** Instances connected now. */
  get upCount(): number {
    return this.#instances.filter((instance) => instance.sfu).length;
  }

  get size(): number {
    return this.#instances.length;
  }

  /** The live wrappers, for load numbers. */
  get live(): JanusVideoRoom[] {
    return this.#instances.flatMap((instance) => (instance.sfu ? [instance.sfu] : []));
  }

  /** Which instance URL a room is placed on, if any. */
  urlOf(room: string): string | undefined {
    return this.#placement.get(room)?.url;
  }

  /** The wrapper a room is placed on, if it is placed and that instance is up. */
  placed(room: string): JanusVideoRoom | undefined {
    return this.#placement.get(room)?.sfu;
  }

  /**
   * The wrapper for a room: where it is placed, or (first use, or its instance is down)
   * the least loaded live instance, where it then stays. Undefined when no instance is up.
   */
  place(room: string): JanusVideoRoom | undefined {
    const current = this.#placement.get(room);
    if (current?.sfu) return current.sfu;
    if (current) this.#unplace(room);
    const target = this.#leastLoaded();
    if (!target?.sfu) return undefined;
    target.placed.add(room);
    this.#placement.set(room, target);
    this.#options.logger.info({ room, janus: target.url }, 'room placed on Janus');
    return target.sfu;
  }

  /** The room is over: its VideoRoom is destroyed and its placement forgotten. Never rejects. */
  async release(room: string): Promise<void> {
    const instance = this.#placement.get(room);
    this.#unplace(room);
    if (!instance?.sfu) return;
    await instance.sfu.destroyRoom(room).catch((error: unknown) => {
      this.#options.logger.warn({ err: error, room, janus: instance.url }, 'could not destroy a VideoRoom');
    });
  }

  /** Listens to a pool event; returns the matching remove. */
  on<K extends keyof JanusPoolEvents>(type: K, listener: (detail: JanusPoolEvents[K]) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as (detail: never) => void);
    return () => set.delete(listener as (detail: never) => void);
  }

  /**
   * Closes every connection and stops reconnecting. Idempotent. With a random room key
   * (no `roomKey` given) the rooms placed by this pool are destroyed first: nobody else
   * could ever manage them. With a shared key they stay, for the other processes.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#options.roomKey === undefined) {
      await Promise.all([...this.#placement.keys()].map((room) => this.release(room)));
    }
    await Promise.all(
      this.#instances.map(async (instance) => {
        clearTimeout(instance.timer);
        instance.unlisten.splice(0).forEach((remove) => remove());
        const sfu = instance.sfu;
        instance.sfu = undefined;
        await sfu?.close().catch(() => {});
      }),
    );
  }

  #emit<K extends keyof JanusPoolEvents>(type: K, detail: JanusPoolEvents[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        (listener as (detail: JanusPoolEvents[K]) => void)(detail);
      } catch (error) {
        this.#options.logger.error({ err: error, event: type }, 'error in a Janus pool listener');
      }
    }
  }

  #unplace(room: string): void {
    this.#placement.get(room)?.placed.delete(room);
    this.#placement.delete(room);
  }

  /**
   * The live instance with the least load. Publishers weigh most (each is fanned out to
   * everyone else in its room), then participants, then rooms placed (so that rooms
   * nobody publishes in yet still spread).
   */
  #leastLoaded(): Instance | undefined {
    let best: Instance | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const instance of this.#instances) {
      if (!instance.sfu) continue;
      const load = instance.sfu.load;
      const score = load.publishers * 100 + load.participants * 10 + instance.placed.size;
      if (score < bestScore) {
        best = instance;
        bestScore = score;
      }
    }
    return best;
  }

  async #connect(instance: Instance): Promise<void> {
    if (this.#closed) return;
    const connect = this.#options.connect ?? ((options: JanusVideoRoomOptions) => JanusVideoRoom.connect(options));
    let sfu: JanusVideoRoom;
    try {
      sfu = await connect({ url: instance.url, apiSecret: this.#options.apiSecret, roomKey: this.#roomKey, connectAttempts: 1 });
    } catch (error) {
      this.#options.logger.warn({ janus: instance.url, retryMs: instance.retryMs, reason: error instanceof Error ? error.message : String(error) }, 'cannot reach Janus: trying again');
      this.#retry(instance);
      return;
    }
    if (this.#closed) {
      await sfu.close().catch(() => {});
      return;
    }
    instance.sfu = sfu;
    instance.retryMs = this.#options.minRetryMs ?? 1000;
    for (const type of FORWARDED) {
      instance.unlisten.push(sfu.on(type, (detail) => this.#emit(type, detail as never)));
    }
    instance.unlisten.push(sfu.on('disconnected', () => this.#lost(instance, sfu)));
    this.#options.logger.info({ janus: instance.url }, 'connected to Janus');
    this.#emit('up', { url: instance.url });
  }

  #retry(instance: Instance): void {
    if (this.#closed) return;
    clearTimeout(instance.timer);
    // Jittered, so that several signal-server processes do not all knock at once.
    const delay = instance.retryMs * (0.75 + Math.random() * 0.5);
    instance.retryMs = Math.min(instance.retryMs * 2, this.#options.maxRetryMs ?? 30_000);
    instance.timer = setTimeout(() => void this.#connect(instance), delay);
    instance.timer.unref();
  }

  /** An instance's connection dropped: its rooms go elsewhere, and it is reconnected. */
  #lost(instance: Instance, sfu: JanusVideoRoom): void {
    if (instance.sfu !== sfu || this.#closed) return;
    instance.sfu = undefined;
    instance.unlisten.splice(0).forEach((remove) => remove());
    const rooms = [...instance.placed];
    for (const room of rooms) this.#unplace(room);
    this.#options.logger.warn({ janus: instance.url, rooms: rooms.length }, 'lost the connection to Janus: moving its rooms');
    this.#emit('down', { url: instance.url });
    // Placed again one by one, so they spread over what is left.
    for (const room of rooms) this.place(room);
    if (rooms.length > 0) this.#emit('moved', { rooms, from: instance.url });
    this.#retry(instance);
  }
}
