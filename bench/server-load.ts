/**
 * Signal server under load: the real built CLI (`dist/server/signal-server/cli.js`) and,
 * as the baseline, a bare socket.io relay (`bare-relay-server.ts`) with the same engine
 * options, each in its own process, loaded by two generator processes
 * (`load-client.ts`) whose websocket clients join rooms of 4 with the real protocol.
 *
 * For each client count (default 1,000, 5,000 and 10,000, reached by adding clients to
 * the same server):
 * - RSS per client: (server VmRSS with N clients joined − VmRSS idle after a warm-up) / N,
 *   both read from /proc/<pid>/status after a forced GC (the server runs with
 *   `--expose-gc` and a preloaded SIGUSR2 → gc() hook; nothing else differs). All counts
 *   are measured first, before any measured traffic, whose heap growth V8 keeps a while;
 * - then, from the most clients down (the clients of each larger count sent away in turn),
 *   relay latency of offer-size signals (a ~4.5 KB Chromium offer) at steady offered
 *   rates, stepped up (×1.5 from 4,000/s, then bisected twice) until p99 exceeds 50 ms or
 *   signals get lost: the highest rate with p99 ≤ 50 ms, and p50/p99 at that rate. The
 *   sender stamps the time in the SDP's `o=` line, the receiver (same machine,
 *   CLOCK_MONOTONIC) measures;
 * - the server's CPU per relayed offer (µs: the slope of its CPU over the relayed rate
 *   across the steps, so the heartbeats' fixed cost drops out): what the machine's other
 *   load distorts least.
 * Both generators and the server share the machine: each step logs the generators' CPU,
 * how late their send ticks ran and the load average, to tell a server limit from a
 * machine that was busy elsewhere.
 * The rate is spread over every client, so each connection stays well under its own event
 * limit (DEFAULT_EVENT_RATE_LIMIT: 50/s), and the connections come from many loopback
 * addresses (127.0.0.2 ...), so none exceeds the per-address connection limit (100 per
 * 10 s): every limit and validation stays on.
 *
 *   node --import tsx bench/server-load.ts [--clients 1000,5000,10000] [--servers ours,bare[,ws][,ours-ws]]
 *        [--cli dist/server/signal-server/cli.js] [--json file] [--memory-only]
 *        [--fixed-rate N --measure-ms MS] [--server-env NAME=VALUE ...] [--server-node-args a,b]
 * (`--fixed-rate`: one step at that rate instead of the search, for A/B comparisons such as
 * `--server-env WS_NO_BUFFER_UTIL=1`; `--server-node-args=--cpu-prof,--cpu-prof-dir=DIR`
 * profiles the servers.)
 *
 * Processes are started through `bash -c 'ulimit -n 65536 ...; exec ...'` so that 10,000
 * connections fit in their descriptor limit.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DISCONNECT_GRACE_MS } from '../signal-server/config.js';
import { DEFAULT_EVENT_RATE_LIMIT } from '../signal-server/limits.js';
import type { Answer, Command } from './load-client.js';
import { printTable, type Row } from './table.js';

/**
 * `ours`: the signal server's CLI. `bare`: a bare socket.io relay (the baseline). `ws`: the
 * same relay on bare `ws` without socket.io (optional, informative: what a server of
 * PeerJS's kind reaches on this machine). `ours-ws`: the same CLI on the plain-ws
 * prototype of socket.io's API (`ws-socketio.ts`; optional, informative: what our server,
 * every validation on, would reach without socket.io).
 */
export type ServerKind = 'ours' | 'bare' | 'ws' | 'ours-ws';
const KINDS: readonly ServerKind[] = ['ours', 'bare', 'ws', 'ours-ws'];

export interface ServerLoadOptions {
  /** Client counts to measure, ascending. Default [1000, 5000, 10000]. */
  clients?: number[];
  /** Which servers. Default both. */
  servers?: Array<ServerKind>;
  /** The signal server's CLI script. Default `dist/server/signal-server/cli.js`. */
  cli?: string;
  /** Load generator processes. Default 2. */
  generators?: number;
  /** The latency bound for the highest rate. Default 50 ms. */
  maxP99Ms?: number;
  /** Per step: unmeasured warm-up, measured window. Default 500 ms and 2000 ms. */
  warmupMs?: number;
  measureMs?: number;
  /** Measure relay rates and latencies (default true); false measures memory only. */
  rates?: boolean;
  /** Instead of searching for the highest rate, one step at this rate (for A/B comparisons of server CPU per message). */
  fixedRate?: number;
  /** Extra environment variables for the server processes (e.g. `WS_NO_BUFFER_UTIL=1`). */
  serverEnv?: Record<string, string>;
  /** Extra node arguments for the server processes (e.g. `--cpu-prof`); they are then stopped with SIGTERM, not SIGKILL. */
  serverNodeArgs?: string[];
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

export interface RateStep {
  /** Offered signals per second (all generators together). */
  rate: number;
  sent: number;
  received: number;
  achievedPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  pass: boolean;
  /** Server CPU over the step, in cores (1 = one core busy). */
  serverCpu: number;
  /** Server CPU over the step per relayed signal, µs (heartbeats included). */
  serverUsPerMessage: number;
  /** Generators' CPU, in cores each. */
  generatorCpu: number[];
  generatorMaxLagMs: number;
  /** The generators' longest GC pause in the window, ms (it delays their receiving, hence the latencies). */
  generatorGcMaxMs: number;
  errors: number;
  /** The machine's 1-minute load average after the step: above its core count, other processes competed. */
  loadAverage: number;
  /** The server's GC pauses in the measured window: total ms, the longest, and how many were full (mark-compact). */
  serverGcMs: number;
  serverGcMaxMs: number;
  serverMajorGcs: number;
  /** The server's longest event-loop delay over the step (warm-up and drain included), ms: a stall in the server, GC or not. */
  serverLoopMaxMs: number;
}

export interface LevelResult {
  clients: number;
  joined: number;
  failed: number;
  errors: string[];
  /** Time to connect and join the clients added for this level, ms. */
  connectMs: number;
  rssBytes: number;
  rssPerClientBytes: number;
  /**
   * The V8 heap in use per client, measured like RSS: the objects the connections keep,
   * without the heap's free room and the memory outside it (steadier than RSS, which
   * varies with how much free room the GC keeps from one run to the next).
   */
  heapUsedPerClientBytes: number;
  /** Highest rate with p99 ≤ maxP99Ms (0 if none), and its latencies. */
  maxRate: number;
  p50AtMax: number | null;
  p99AtMax: number | null;
  /**
   * Server CPU per relayed signal, in µs: the slope of the server's CPU over the relayed
   * rate across the steps (least squares), so the fixed cost of the heartbeats drops out.
   * What the machine's other load distorts least; 10^6 / it is the rate one core could
   * carry. Null with fewer than two distinct rates.
   */
  serverUsPerMessage: number | null;
  steps: RateStep[];
}

export interface ServerResult {
  name: ServerKind;
  label: string;
  idleRssBytes: number;
  levels: LevelResult[];
}

export interface ServerLoadResult {
  options: { clients: number[]; generators: number; maxP99Ms: number; warmupMs: number; measureMs: number; roomSize: number; sdpBytes: number };
  servers: ServerResult[];
}

/** Targets from the "npm run bench" issue (PeerJS's level): at 10,000 clients. */
export const RSS_PER_CLIENT_TARGET = 10 * 1024;
export const RATE_TARGET = 16_000;
export const TARGET_CLIENTS = 10_000;

const ROOM_SIZE = 4;
/** Per connection, signals per second at most: 80 % of the server's own limit (50/s). */
const MAX_PER_SENDER = Math.floor(DEFAULT_EVENT_RATE_LIMIT.perSecond * 0.8);
/** Loopback source addresses: 10,000 clients over 250 addresses is 40 each, under 100 per 10 s. */
const SOURCE_ADDRESSES = Array.from({ length: 250 }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/**
 * Preloaded into the servers: a forced GC on SIGUSR2, so that RSS is read after a GC; and
 * a record of the GC pauses (start as epoch ms, duration ms, kind) and of the event loop's
 * longest delay, written with the V8 heap in use to `SERVER_LOAD_GC_FILE` and forgotten on
 * SIGWINCH, to tell a GC pause or a stalled server from an overload (and the heap from the
 * rest of RSS).
 */
const GC_HOOK = `data:text/javascript,${encodeURIComponent(
  'import{PerformanceObserver,monitorEventLoopDelay}from"node:perf_hooks";import{writeFileSync}from"node:fs";' +
    'const loop=monitorEventLoopDelay({resolution:5});loop.enable();' +
    'process.on("SIGUSR2",()=>{globalThis.gc();setTimeout(()=>globalThis.gc(),100);});' +
    'let pauses=[];new PerformanceObserver((list)=>{for(const e of list.getEntries())pauses.push([performance.timeOrigin+e.startTime,e.duration,e.detail?.kind??0]);}).observe({entryTypes:["gc"]});' +
    'process.on("SIGWINCH",()=>{writeFileSync(process.env.SERVER_LOAD_GC_FILE,JSON.stringify({pauses,heapUsed:process.memoryUsage().heapUsed,loopMaxMs:loop.max/1e6}));pauses=[];loop.reset();});',
)}`;
/** perf_hooks' GC kinds: a full mark-compact. */
const GC_MAJOR = 4;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The servers running now: killed if the bench is interrupted, so that none outlives it. */
const running = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Runs `argv` with a raised descriptor limit, in its own process (bash execs into it). */
function spawnWithUlimit(argv: string[], env: NodeJS.ProcessEnv, stdio: Parameters<typeof spawn>[2]['stdio']): ChildProcess {
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  return spawn('bash', ['-c', script, 'bash', ...argv], { cwd: repoRoot, env, stdio });
}

interface RunningServer {
  url: string;
  child: ChildProcess;
  /** The GC pauses since the last call ([start (epoch ms), duration (ms), kind]), and the V8 heap in use now. */
  probe(): Promise<{ pauses: Array<[number, number, number]>; heapUsed: number; loopMaxMs: number }>;
  stop(): Promise<void>;
}

async function startServer(kind: ServerKind, cli: string, extraArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const node = [process.execPath, ...extraArgs];
  const argv =
    kind === 'ours' || kind === 'ours-ws'
      ? // A .ts CLI (signal-server/cli.ts) runs from source through tsx, as the CLI tests do.
        [
          ...node,
          '--expose-gc',
          ...(cli.endsWith('.ts') || kind === 'ours-ws' ? ['--import', 'tsx'] : []),
          ...(kind === 'ours-ws' ? ['--import', './bench/ws-socketio-hooks.mjs'] : []),
          `--import=${GC_HOOK}`,
          cli,
          '--port',
          '0',
          '--host',
          '127.0.0.1',
        ]
      : [...node, '--expose-gc', '--import', 'tsx', `--import=${GC_HOOK}`, 'bench/bare-relay-server.ts', ...(kind === 'ws' ? ['--engine', 'ws'] : [])];
  const logPath = join(mkdtempSync(join(tmpdir(), 'server-load-')), `${kind}.log`);
  const gcPath = join(dirname(logPath), 'gc.json');
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SERVER_LOAD_GC_FILE: gcPath };
  // The bare relay takes its engine options from the same build (server.js next to the CLI).
  env.SIGNAL_SERVER_MODULE = resolve(repoRoot, dirname(cli), cli.endsWith('.ts') ? 'server.ts' : 'server.js');
  Object.assign(env, extraEnv);
  // The CLI's settings come from the environment too: none of the caller's may leak in.
  for (const name of ['HOST', 'ROOM_CAPACITY', 'DISCONNECT_GRACE_MS', 'ALLOWED_ORIGINS', 'AUTH_SECRET', 'TURN_URLS', 'TURN_SECRET', 'REDIS_URL', 'TLS_CERT', 'TLS_KEY', 'LOG_LEVEL', 'TRUST_PROXY', 'CONNECTION_RATE_LIMIT']) delete env[name];
  // Its output goes to a file, not a pipe: the CLI logs every join synchronously (pino,
  // sync: true), and a pipe that the bench drains late would stall it.
  const logFd = openSync(logPath, 'w');
  const child = spawnWithUlimit(argv, env, ['ignore', logFd, logFd]);
  closeSync(logFd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output = (): string => {
    const fd = openSync(logPath, 'r');
    try {
      const buffer = Buffer.alloc(16_384);
      return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString();
    } finally {
      closeSync(fd);
    }
  };
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = await (async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const match = /listening on (http:\/\/\S+)/.exec(output());
      if (match) return match[1]!;
      if (exited || Date.now() > deadline) throw new Error(`${kind} server did not start:\n${output()}`);
      await sleep(50);
    }
  })();
  return {
    url,
    child,
    async probe() {
      rmSync(gcPath, { force: true });
      child.kill('SIGWINCH');
      for (let i = 0; i < 50 && !existsSync(gcPath); i++) await sleep(20);
      try {
        return JSON.parse(readFileSync(gcPath, 'utf8')) as { pauses: Array<[number, number, number]>; heapUsed: number; loopMaxMs: number };
      } catch {
        return { pauses: [], heapUsed: Number.NaN, loopMaxMs: Number.NaN };
      }
    },
    async stop() {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      if (!exited && extraArgs.length) {
        // Profiling and the like: let it exit by itself, so that it writes its files.
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(12_000)]);
      }
      // A bench: no graceful goodbye to 10,000 clients.
      if (!exited) {
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dirname(logPath), { recursive: true, force: true });
    },
  };
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted from the state field (3rd).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Forces a GC in the server and lets it settle; answers its RSS and V8 heap in use then. */
async function settledMemory(server: RunningServer): Promise<{ rss: number; heapUsed: number }> {
  const pid = server.child.pid!;
  for (let i = 0; i < 2; i++) {
    process.kill(pid, 'SIGUSR2');
    await sleep(400);
  }
  return { rss: rssBytes(pid), heapUsed: (await server.probe()).heapUsed };
}

class Generator {
  readonly child: ChildProcess;
  readonly #waiting: Array<(answer: Answer) => void> = [];
  readonly ready: Promise<void>;

  constructor() {
    this.child = spawnWithUlimit([process.execPath, '--import', 'tsx', 'bench/load-client.ts'], process.env, ['ignore', 'inherit', 'inherit', 'ipc']);
    let markReady: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.child.on('message', (answer: Answer) => {
      if (answer.type === 'ready') return markReady();
      this.#waiting.shift()?.(answer);
    });
  }

  ask<T extends Answer['type']>(command: Command): Promise<Extract<Answer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', onExit);
      this.#waiting.push((answer) => {
        this.child.off('exit', onExit);
        resolve(answer as Extract<Answer, { type: T }>);
      });
      this.child.send(command);
    });
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send({ type: 'exit' } satisfies Command);
    await Promise.race([new Promise((resolve) => this.child.once('exit', resolve)), sleep(3000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function runStep(
  generators: Generator[],
  server: RunningServer,
  /** Room prefix of the clients that send (those of this server). */
  senders: string,
  rate: number,
  opts: { warmupMs: number; measureMs: number; maxP99Ms: number },
): Promise<RateStep> {
  const pid = server.child.pid!;
  let cpuFrom = 0;
  let cpuTo = 0;
  let windowFrom = 0;
  let windowTo = 0;
  await server.probe();
  const sampler = (async () => {
    await sleep(opts.warmupMs);
    cpuFrom = cpuSeconds(pid);
    windowFrom = Date.now();
    await sleep(opts.measureMs);
    cpuTo = cpuSeconds(pid);
    windowTo = Date.now();
  })();
  const answers = await Promise.all(
    generators.map((g) =>
      g.ask<'rate-done'>({ type: 'rate', roomPrefix: senders, perSecond: rate / generators.length, warmupMs: opts.warmupMs, measureMs: opts.measureMs, drainMs: 1000 }),
    ),
  );
  await sampler;
  const probed = await server.probe();
  const gc = probed.pauses.filter(([start, duration]) => start + duration >= windowFrom && start <= windowTo);
  const latencies = answers.flatMap((a) => a.latencies).sort((a, b) => a - b);
  const sent = answers.reduce((sum, a) => sum + a.sent, 0);
  const received = answers.reduce((sum, a) => sum + a.received, 0);
  const achievedPerSecond = answers.reduce((sum, a) => sum + a.achievedPerSecond, 0);
  const p99 = percentile(latencies, 99);
  const lost = sent - received;
  const pass = sent > 0 && lost <= sent * 0.001 && p99 <= opts.maxP99Ms && achievedPerSecond >= rate * 0.95;
  return {
    rate,
    sent,
    received,
    achievedPerSecond: Math.round(achievedPerSecond),
    p50: percentile(latencies, 50),
    p99,
    max: latencies.at(-1) ?? Number.NaN,
    pass,
    serverCpu: (cpuTo - cpuFrom) / (opts.measureMs / 1000),
    serverUsPerMessage: ((cpuTo - cpuFrom) / (opts.measureMs / 1000) / Math.max(1, achievedPerSecond)) * 1e6,
    generatorCpu: answers.map((a) => Math.round(a.cpu * 100) / 100),
    generatorMaxLagMs: Math.max(...answers.map((a) => a.maxLagMs)),
    generatorGcMaxMs: Math.max(...answers.map((a) => a.gcMaxMs)),
    errors: answers.reduce((sum, a) => sum + a.errors, 0),
    loadAverage: os.loadavg()[0] ?? 0,
    serverGcMs: Math.round(gc.reduce((sum, [, duration]) => sum + duration, 0)),
    serverGcMaxMs: Math.round(Math.max(0, ...gc.map(([, duration]) => duration))),
    serverMajorGcs: gc.filter(([, , kind]) => kind === GC_MAJOR).length,
    serverLoopMaxMs: Math.round(probed.loopMaxMs),
  };
}

function logStep(kind: ServerKind, step: RateStep, log: (line: string) => void): void {
  log(
    `  ${kind.padEnd(4)} ${String(step.rate).padStart(6)}/s: p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms, ` +
      `recv ${step.received}/${step.sent}, sent ${step.achievedPerSecond}/s, server cpu ${step.serverCpu.toFixed(2)} ` +
      `(${step.serverUsPerMessage.toFixed(0)} us/msg), gen cpu ${step.generatorCpu.join('+')}, ` +
      `gen lag ${step.generatorMaxLagMs.toFixed(0)} ms, gen gc max ${step.generatorGcMaxMs} ms, server gc ${step.serverGcMs} ms (max ${step.serverGcMaxMs}, ${step.serverMajorGcs} full), server loop max ${step.serverLoopMaxMs} ms, load ${step.loadAverage.toFixed(1)}` +
      `${step.errors ? `, ${step.errors} rtc-errors` : ''} ${step.pass ? 'ok' : 'FAIL'}`,
  );
}

/** µs of server CPU per relayed signal: least-squares slope of CPU (cores) over relayed rate. */
function cpuSlope(steps: RateStep[]): number | null {
  const points = steps.filter((step) => step.achievedPerSecond > 0);
  if (new Set(points.map((p) => p.achievedPerSecond)).size < 2) return null;
  const meanX = points.reduce((sum, p) => sum + p.achievedPerSecond, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.serverCpu, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.achievedPerSecond - meanX) * (p.serverCpu - meanY);
    den += (p.achievedPerSecond - meanX) ** 2;
  }
  return (num / den) * 1e6;
}

/**
 * The search for the highest rate: up ×1.5 from 4,000/s until a step fails, then two
 * bisections. One step at a time, so that the servers' searches can be interleaved.
 */
class RateSearch {
  readonly #ceiling: number;
  #rate: number;
  #good = 0;
  #bad = 0;
  #bisections = 0;
  #done = false;

  constructor(clients: number) {
    this.#ceiling = clients * MAX_PER_SENDER;
    this.#rate = this.#round(4000);
  }

  /** The next rate to try, or undefined when the search is over. */
  next(): number | undefined {
    return this.#done ? undefined : this.#rate;
  }

  record(pass: boolean): void {
    const rate = this.#rate;
    if (pass) this.#good = rate;
    else this.#bad = rate;
    if (this.#bad === 0) {
      // Still going up.
      if (rate >= this.#ceiling) this.#done = true;
      else this.#rate = this.#round(rate * 1.5);
      return;
    }
    const mid = this.#round((this.#good + this.#bad) / 2);
    if (this.#bisections >= 2 || this.#bad - this.#good <= 1000 || mid <= this.#good || mid >= this.#bad) this.#done = true;
    else {
      this.#bisections++;
      this.#rate = mid;
    }
  }

  #round(rate: number): number {
    return Math.min(this.#ceiling, Math.max(500, Math.round(rate / 500) * 500));
  }
}

type StepOptions = { warmupMs: number; measureMs: number; maxP99Ms: number };

interface Prepared {
  kind: ServerKind;
  server: RunningServer;
  result: ServerResult;
}

/**
 * Starts one server, warms it up, reads its idle RSS, then connects the clients of every
 * count in turn (room prefix `<kind>-r<count>`) and reads its RSS at each: memory before
 * any measured traffic, whose heap growth V8 keeps a while.
 */
async function prepareServer(
  kind: ServerKind,
  counts: number[],
  cli: string,
  generators: Generator[],
  opts: StepOptions & { serverNodeArgs?: string[]; serverEnv?: Record<string, string> },
  addresses: { next: number },
  log: (line: string) => void,
): Promise<Prepared> {
  const label = {
    ours: `rtc-signal-server (${cli})`,
    bare: 'bare socket.io relay',
    ws: 'bare ws relay (no socket.io)',
    'ours-ws': `rtc-signal-server on the plain-ws prototype (${cli}, bench/ws-socketio.ts)`,
  }[kind];
  const server = await startServer(kind, cli, opts.serverNodeArgs, opts.serverEnv);
  log(`server-load: ${label} at ${server.url}, pid ${server.child.pid}`);
  const connect = async (count: number, prefix: string, gens: Generator[]): Promise<{ joined: number; failed: number; errors: string[]; ms: number }> => {
    const started = Date.now();
    // Whole rooms per generator.
    const perGen = Math.ceil(count / gens.length / ROOM_SIZE) * ROOM_SIZE;
    const answers = await Promise.all(
      gens.map((g, i) =>
        g.ask<'connected'>({
          type: 'connect',
          url: server.url,
          first: addresses.next + i * perGen,
          count: Math.max(0, Math.min(perGen, count - i * perGen)),
          roomSize: ROOM_SIZE,
          roomPrefix: prefix,
          localAddresses: SOURCE_ADDRESSES,
          concurrency: 50,
        }),
      ),
    );
    addresses.next += count;
    return {
      joined: answers.reduce((sum, a) => sum + a.joined, 0),
      failed: answers.reduce((sum, a) => sum + a.failed, 0),
      errors: answers.flatMap((a) => a.errors),
      ms: Date.now() - started,
    };
  };
  try {
    // Warm-up: some clients, some traffic, gone again; then the idle RSS.
    const warm = await connect(100, `${kind}-warm`, generators.slice(0, 1));
    await runStep(generators.slice(0, 1), server, `${kind}-warm`, 1000, { ...opts, warmupMs: 200, measureMs: 800 });
    await generators[0]!.ask<'closed'>({ type: 'close', which: 'group', roomPrefix: `${kind}-warm` });
    if (warm.failed) log(`  warm-up: ${warm.failed} failed (${warm.errors.join('; ')})`);
    await sleep(500);
    const { rss: idle, heapUsed: idleHeap } = await settledMemory(server);
    log(`  idle RSS after warm-up: ${(idle / 1024 / 1024).toFixed(1)} MiB`);
    const levels: LevelResult[] = [];
    let current = 0;
    for (const count of counts) {
      const added = await connect(count - current, `${kind}-r${count}`, generators);
      current = count;
      const { rss, heapUsed } = await settledMemory(server);
      log(
        `  ${count} clients: +${added.joined} joined in ${(added.ms / 1000).toFixed(1)} s${added.failed ? `, ${added.failed} FAILED (${added.errors.join('; ')})` : ''}; ` +
          `RSS ${(rss / 1024 / 1024).toFixed(1)} MiB, ${((rss - idle) / count / 1024).toFixed(2)} KiB per client ` +
          `(V8 heap in use ${((heapUsed - idleHeap) / count / 1024).toFixed(2)} KiB of it)`,
      );
      levels.push({
        clients: count,
        joined: added.joined + (levels.at(-1)?.joined ?? 0),
        failed: added.failed + (levels.at(-1)?.failed ?? 0),
        errors: added.errors,
        connectMs: added.ms,
        rssBytes: rss,
        rssPerClientBytes: (rss - idle) / count,
        heapUsedPerClientBytes: (heapUsed - idleHeap) / count,
        maxRate: 0,
        p50AtMax: null,
        p99AtMax: null,
        serverUsPerMessage: null,
        steps: [],
      });
    }
    return { kind, server, result: { name: kind, label, idleRssBytes: idle, levels } };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The rates, from the most clients down (the clients of each larger count sent away in
 * turn), with the servers' steps interleaved (ours, bare, ours, ...) so that the machine's
 * other load, which comes and goes, hits them alike.
 */
async function measureRates(prepared: Prepared[], counts: number[], generators: Generator[], opts: StepOptions & { fixedRate?: number }, log: (line: string) => void): Promise<void> {
  for (let i = counts.length - 1; i >= 0; i--) {
    const clients = counts[i]!;
    if (i < counts.length - 1) {
      const larger = counts[i + 1]!;
      for (const { kind } of prepared) {
        await Promise.all(generators.map((g) => g.ask<'closed'>({ type: 'close', which: 'group', roomPrefix: `${kind}-r${larger}` })));
      }
      // Our server keeps a dropped participant for its disconnect grace (4 s): let those
      // removals pass before measuring.
      await sleep(DEFAULT_DISCONNECT_GRACE_MS + 500);
    }
    log(`server-load: ${clients} clients, relay rates (${prepared.map((p) => p.kind).join(', ')} interleaved)`);
    const searches = prepared.map(() => new RateSearch(clients));
    const levels = prepared.map((p) => p.result.levels.find((l) => l.clients === clients)!);
    for (let round = 0; ; round++) {
      let ran = false;
      for (const [index, { kind, server }] of prepared.entries()) {
        const rate = opts.fixedRate ? (round === 0 ? opts.fixedRate : undefined) : searches[index]!.next();
        if (rate === undefined) continue;
        ran = true;
        const step = await runStep(generators, server, `${kind}-`, rate, opts);
        levels[index]!.steps.push(step);
        logStep(kind, step, log);
        searches[index]!.record(step.pass);
        // After an overload, let the server drain its backlog before the next step.
        if (!step.pass) await sleep(1500);
      }
      if (!ran) break;
    }
    for (const level of levels) {
      const best = level.steps.filter((step) => step.pass).sort((a, b) => b.rate - a.rate)[0];
      level.maxRate = best?.rate ?? 0;
      level.p50AtMax = best ? best.p50 : null;
      level.p99AtMax = best ? best.p99 : null;
      level.serverUsPerMessage = cpuSlope(level.steps);
    }
  }
}

/** Runs the whole measurement: every server, against the same generators. */
export async function measureServerLoad(options: ServerLoadOptions = {}): Promise<ServerLoadResult> {
  const counts = [...(options.clients ?? [1000, 5000, 10_000])].sort((a, b) => a - b);
  const kinds = options.servers ?? ['ours', 'bare'];
  const cli = options.cli ?? 'dist/server/signal-server/cli.js';
  const log = options.log ?? ((line: string) => console.error(line));
  const opts = { warmupMs: options.warmupMs ?? 500, measureMs: options.measureMs ?? 2000, maxP99Ms: options.maxP99Ms ?? 50 };
  const generatorCount = Math.max(1, options.generators ?? 2);
  if (kinds.includes('ours') && !existsSync(`${repoRoot}/${cli}`) && !existsSync(cli)) {
    log('server-load: dist/ is missing, building (node scripts/build.mjs)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', cwd: repoRoot });
  }
  const generators = Array.from({ length: generatorCount }, () => new Generator());
  const prepared: Prepared[] = [];
  try {
    await Promise.all(generators.map((g) => g.ready));
    const addresses = { next: 0 };
    for (const kind of kinds) {
      prepared.push(
        await prepareServer(kind, counts, cli, generators, { ...opts, serverNodeArgs: options.serverNodeArgs ?? [], serverEnv: options.serverEnv ?? {} }, addresses, log),
      );
    }
    if (options.rates !== false) {
      await measureRates(prepared, counts, generators, { ...opts, ...(options.fixedRate === undefined ? {} : { fixedRate: options.fixedRate }) }, log);
    }
  } finally {
    for (const { server } of prepared) await server.stop();
    await Promise.all(generators.map((g) => g.exit()));
  }
  const servers = prepared.map((p) => p.result);
  const { offerSdp } = await import('./load-client.js');
  return {
    options: { clients: counts, generators: generatorCount, ...opts, roomSize: ROOM_SIZE, sdpBytes: offerSdp('1764130000000000000').length },
    servers,
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const perSecond = (rate: number): string => `${rate.toLocaleString('en-US')}/s`;
const latency = (level: LevelResult): string =>
  level.p50AtMax === null || level.p99AtMax === null ? 'none under bound' : `${level.p50AtMax.toFixed(1)} / ${level.p99AtMax.toFixed(1)} ms`;
/** RSS per client, and the V8 heap in use per client (part of it) in brackets. */
const memory = (level: LevelResult): string =>
  `${kib(level.rssPerClientBytes)}${Number.isFinite(level.heapUsedPerClientBytes) ? ` (heap ${kib(level.heapUsedPerClientBytes)})` : ''}`;
const countLabel = (n: number): string => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** Table rows (bench/run.ts's `Row`): per client count, RSS per client, highest rate, latencies at it. */
export function serverLoadRows(result: ServerLoadResult): Row[] {
  const ours = result.servers.find((s) => s.name === 'ours');
  const bare = result.servers.find((s) => s.name === 'bare');
  const rows: Row[] = [];
  for (const clients of result.options.clients) {
    const o = ours?.levels.find((l) => l.clients === clients);
    const b = bare?.levels.find((l) => l.clients === clients);
    const atTarget = clients === TARGET_CLIENTS;
    const n = countLabel(clients);
    rows.push({
      figure: `signal server RSS per client, ${n} clients`,
      ours: o ? memory(o) : 'not measured',
      baseline: b ? `${memory(b)} bare socket.io` : '-',
      ratio: o && b ? o.rssPerClientBytes / b.rssPerClientBytes : null,
      target: atTarget ? `<= ${kib(RSS_PER_CLIENT_TARGET)}` : '-',
      pass: atTarget && o ? o.rssPerClientBytes <= RSS_PER_CLIENT_TARGET : null,
    });
    rows.push({
      figure: `signal relay max rate (p99 <= ${result.options.maxP99Ms} ms), ${n} clients`,
      ours: o ? perSecond(o.maxRate) : 'not measured',
      baseline: b ? `${perSecond(b.maxRate)} bare socket.io` : '-',
      ratio: o && b && b.maxRate > 0 ? o.maxRate / b.maxRate : null,
      target: atTarget ? `>= ${perSecond(RATE_TARGET)}` : '-',
      pass: atTarget && o ? o.maxRate >= RATE_TARGET : null,
    });
    rows.push({
      figure: `signal relay p50 / p99 at that rate, ${n} clients`,
      ours: o ? latency(o) : 'not measured',
      baseline: b ? `${latency(b)} bare socket.io` : '-',
      ratio: null,
      target: '-',
      pass: null,
    });
    rows.push({
      figure: `signal server CPU per relayed offer, ${n} clients`,
      ours: o?.serverUsPerMessage != null ? `${o.serverUsPerMessage.toFixed(0)} µs` : 'not measured',
      baseline: b?.serverUsPerMessage != null ? `${b.serverUsPerMessage.toFixed(0)} µs bare socket.io` : '-',
      ratio: o?.serverUsPerMessage != null && b?.serverUsPerMessage != null ? o.serverUsPerMessage / b.serverUsPerMessage : null,
      target: '-',
      pass: null,
    });
  }
  for (const [name, what] of [['ours-ws', 'ours on plain ws, prototype'], ['ws', 'bare ws relay, no socket.io']] as const) {
  for (const level of result.servers.find((s) => s.name === name)?.levels ?? []) {
    rows.push({
      figure: `${what} (informative), ${countLabel(level.clients)} clients`,
      ours: '-',
      baseline: `${memory(level)}/client, ${perSecond(level.maxRate)}, ${latency(level)}, ${level.serverUsPerMessage?.toFixed(0) ?? '-'} µs/offer`,
      ratio: null,
      target: '-',
      pass: null,
    });
  }
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000,5000,10000' },
      servers: { type: 'string', default: 'ours,bare' },
      cli: { type: 'string' },
      generators: { type: 'string', default: '2' },
      json: { type: 'string' },
      'server-node-args': { type: 'string' },
      'memory-only': { type: 'boolean', default: false },
      'fixed-rate': { type: 'string' },
      'measure-ms': { type: 'string' },
      'server-env': { type: 'string', multiple: true },
    },
  });
  const started = Date.now();
  const result = await measureServerLoad({
    clients: values.clients.split(',').map(Number).filter((n) => n > 0),
    servers: values.servers.split(',').filter((s): s is ServerKind => (KINDS as readonly string[]).includes(s)),
    ...(values.cli === undefined ? {} : { cli: values.cli }),
    generators: Number(values.generators),
    rates: !values['memory-only'],
    ...(values['fixed-rate'] === undefined ? {} : { fixedRate: Number(values['fixed-rate']) }),
    ...(values['measure-ms'] === undefined ? {} : { measureMs: Number(values['measure-ms']) }),
    serverEnv: Object.fromEntries((values['server-env'] ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
    ...(values['server-node-args'] === undefined ? {} : { serverNodeArgs: values['server-node-args'].split(',') }),
  });
  console.log(`\nsignal server load, rooms of ${result.options.roomSize}, ${result.options.sdpBytes}-byte offers, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  printTable(serverLoadRows(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}
