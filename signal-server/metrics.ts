/**
 * The signal server's Prometheus metrics, in a registry of their own (never prom-client's
 * global one, so several servers in one process, or an application's own metrics, never
 * collide). Served at `GET /metrics`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Why something was refused, as counted in `rtc_signal_rejections_total{reason}`. */
export type RejectionReason = 'invalid-input' | 'room-full' | 'unauthorized' | 'rate-limited' | 'origin';

const REJECTION_REASONS: readonly RejectionReason[] = ['invalid-input', 'room-full', 'unauthorized', 'rate-limited', 'origin'];

/** Messages the server passes on from one client to others, as counted in `rtc_signal_relayed_messages_total{event}`. */
export type RelayedEvent = 'signal' | 'update' | 'relay' | 'sfu';

/**
 * Live numbers the gauges read at scrape time. Rooms and participants come from the room
 * store, over every process sharing it; a source that rejects (its store unreachable)
 * makes its gauge read NaN rather than failing the scrape.
 */
export interface MetricsSources {
  connectedSockets: () => number;
  rooms: () => number | Promise<number>;
  participants: () => number | Promise<number>;
  /** Rooms on the SFU (the rest are meshes). Default: none. */
  sfuRooms?: () => number | Promise<number>;
  /** The SFU's numbers, when the server has one. */
  sfu?: () => { instancesUp: number; publishers: number };
}

/** The signal server's metrics. */
export interface SignalMetrics {
  readonly registry: Registry;
  readonly joins: Counter<'resumed'>;
  readonly relayed: Counter<'event'>;
  readonly rejections: Counter<'reason'>;
  readonly abuseDisconnects: Counter;
}

/**
 * Creates the metrics in `registry` (a new one by default). With `processMetrics`,
 * prom-client's default process metrics (CPU, memory, event loop lag, GC, handles) too.
 */
export function createMetrics(sources: MetricsSources, options: { registry?: Registry; processMetrics?: boolean } = {}): SignalMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'rtc_signal_connected_sockets',
    help: 'Clients connected to the signal server.',
    registers,
    collect() {
      this.set(sources.connectedSockets());
    },
  });
  new Gauge({
    name: 'rtc_signal_rooms',
    help: 'Rooms with at least one participant (over every process sharing the room store).',
    registers,
    async collect() {
      await setFrom(this, sources.rooms);
    },
  });
  new Gauge({
    name: 'rtc_signal_participants',
    help: 'Participants in rooms, including those in their disconnect grace (over every process sharing the room store).',
    registers,
    async collect() {
      await setFrom(this, sources.participants);
    },
  });
  new Gauge({
    name: 'rtc_signal_rooms_by_topology',
    help: 'Rooms by how they carry media: mesh (peer to peer) or sfu (through Janus), over every process sharing the room store.',
    labelNames: ['topology'] as const,
    registers,
    async collect() {
      try {
        const [all, sfu] = await Promise.all([sources.rooms(), sources.sfuRooms?.() ?? 0]);
        this.set({ topology: 'sfu' }, sfu);
        this.set({ topology: 'mesh' }, Math.max(0, all - sfu));
      } catch {
        this.set({ topology: 'sfu' }, Number.NaN);
        this.set({ topology: 'mesh' }, Number.NaN);
      }
    },
  });
  new Gauge({
    name: 'rtc_signal_janus_instances_up',
    help: 'Janus instances this process is connected to (0 without JANUS_URL).',
    registers,
    collect() {
      this.set(sources.sfu?.().instancesUp ?? 0);
    },
  });
  new Gauge({
    name: 'rtc_signal_sfu_publishers',
    help: 'Participants publishing to Janus through this process.',
    registers,
    collect() {
      this.set(sources.sfu?.().publishers ?? 0);
    },
  });
  const joins = new Counter({
    name: 'rtc_signal_joins_total',
    help: 'Successful joins; resumed="true" for a participant taking its id back.',
    labelNames: ['resumed'] as const,
    registers,
  });
  const relayed = new Counter({
    name: 'rtc_signal_relayed_messages_total',
    help: 'Client messages passed on to others, by event.',
    labelNames: ['event'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'rtc_signal_rejections_total',
    help: 'Refused joins, messages and connections, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const abuseDisconnects = new Counter({
    name: 'rtc_signal_abuse_disconnects_total',
    help: 'Connections cut off for flooding.',
    registers,
  });
  // Every label value from the start, so a dashboard sees zeros rather than nothing.
  for (const resumed of ['true', 'false']) joins.inc({ resumed }, 0);
  for (const event of ['signal', 'update', 'relay', 'sfu'] satisfies RelayedEvent[]) relayed.inc({ event }, 0);
  for (const reason of REJECTION_REASONS) rejections.inc({ reason }, 0);
  return { registry, joins, relayed, rejections, abuseDisconnects };
}

/** Sets a gauge from a possibly asynchronous source; NaN when the source fails (not a stale number, nor a false 0). */
async function setFrom(gauge: Gauge, source: () => number | Promise<number>): Promise<void> {
  try {
    gauge.set(await source());
  } catch {
    gauge.set(Number.NaN);
  }
}
