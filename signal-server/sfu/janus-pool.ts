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
 * Placement is kept in this process's memory, and, given a `placement` store (Redis,
 * placement.ts), shared by every process using that store: `assign` then reads the room's
 * instance there, or claims one atomically, so all processes put a room on the same
 * instance (see docs/sfu.md).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { JanusVideoRoom, type JanusVideoRoomEvents, type JanusVideoRoomOptions } from './janus-videoroom.js';
import type { PlacementStore } from './placement.js';

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
  /** Placement shared with other processes (Redis); closed with the pool. Default: this process's memory only. */
  placement?: PlacementStore;
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
  /** `assign`s in flight per room, so concurrent callers share one. */
  readonly #assigning = new Map<string, Promise<JanusVideoRoom | undefined>>();
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

  /** True when placement is shared with other processes (a `placement` store was given). */
  get shared(): boolean {
    return this.#options.placement !== undefined;
  }

  /**
   * The wrapper for a room, as `place`, but with a shared `placement` store the instance
   * is the one recorded there (every process agrees): read it, or, when the room is not
   * placed or its instance is down here, claim the least loaded live one atomically
   * (another process may win the claim: its choice is taken). Without a store, `place`.
   * Undefined when no instance is up (or Redis cannot be reached: placement must not diverge).
   */
  assign(room: string): Promise<JanusVideoRoom | undefined> {
    const store = this.#options.placement;
    if (!store) return Promise.resolve(this.place(room));
    const local = this.#placement.get(room);
    if (local?.sfu) return Promise.resolve(local.sfu);
    let pending = this.#assigning.get(room);
    if (!pending) {
      pending = this.#assignShared(store, room).finally(() => this.#assigning.delete(room));
      this.#assigning.set(room, pending);
    }
    return pending;
  }

  async #assignShared(store: PlacementStore, room: string): Promise<JanusVideoRoom | undefined> {
    const current = this.#placement.get(room);
    if (current?.sfu) return current.sfu;
    if (current) this.#unplace(room);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const recorded = await store.get(room);
        const there = recorded === undefined ? undefined : this.#instances.find((instance) => instance.url === recorded);
        if (there?.sfu) return this.#adopt(room, there, 'room placed on Janus (shared)');
        const target = this.#leastLoaded();
        if (!target?.sfu) return undefined;
        const won = await store.claim(room, target.url, recorded ?? '');
        const chosen = this.#instances.find((instance) => instance.url === won);
        if (chosen?.sfu) return this.#adopt(room, chosen, won === target.url ? 'room placed on Janus' : 'room placed on Janus (shared)');
        // Another process chose an instance that is down here (or unknown): look again.
      }
      this.#options.logger.warn({ room }, 'SFU: the processes do not agree on a live Janus for this room');
      return undefined;
    } catch (error) {
      this.#options.logger.warn({ room, reason: error instanceof Error ? error.message : String(error) }, 'SFU: shared placement unreachable');
      return undefined;
    }
  }

  #adopt(room: string, instance: Instance, message: string): JanusVideoRoom | undefined {
    if (this.#closed || !instance.sfu) return undefined;
    const known = this.#placement.get(room);
    if (known?.sfu) return known.sfu;
    if (known) this.#unplace(room);
    instance.placed.add(room);
    this.#placement.set(room, instance);
    this.#options.logger.info({ room, janus: instance.url }, message);
    return instance.sfu;
  }

  /**
   * This process is done with a room that lives on elsewhere (its last participant here
   * left): the wrapper forgets it (its watcher leaves), the VideoRoom and the shared
   * placement stay. Never rejects.
   */
  async forget(room: string): Promise<void> {
    const instance = this.#placement.get(room);
    this.#unplace(room);
    await instance?.sfu?.forgetRoom(room).catch((error: unknown) => {
      this.#options.logger.warn({ err: error, room, janus: instance.url }, 'could not let go of a VideoRoom');
    });
  }

  /** The room is over: its VideoRoom is destroyed and its placement forgotten. Never rejects. */
  async release(room: string): Promise<void> {
    const instance = this.#placement.get(room);
    this.#unplace(room);
    if (instance) {
      await this.#options.placement?.release(room, instance.url).catch((error: unknown) => {
        this.#options.logger.warn({ room, reason: error instanceof Error ? error.message : String(error) }, 'SFU: could not clear a shared placement');
      });
    }
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
    await this.#options.placement?.close().catch(() => {});
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
    this.#retry(instance);
    if (!this.#options.placement) {
      // Placed again one by one, so they spread over what is left.
      for (const room of rooms) this.place(room);
      if (rooms.length > 0) this.#emit('moved', { rooms, from: instance.url });
      return;
    }
    // Shared: each is claimed in place of the dead instance (the first process to claim
    // chooses; the others take its choice), one after another so they spread.
    void (async () => {
      for (const room of rooms) await this.assign(room);
      if (rooms.length > 0 && !this.#closed) this.#emit('moved', { rooms, from: instance.url });
    })();
  }
}
