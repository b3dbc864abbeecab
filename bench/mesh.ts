/**
 * Mesh CPU: 2, 3, 4 and 6 participants, each in its own page (browser context) of one
 * headless Chromium, every page sending a fake 640x480 camera at 20 frames/s (a y4m file,
 * so the widget, which asks for 1280x720, and the bare pages capture the same thing).
 *
 * For each size and kind, once every page receives every other's video and a warm-up has
 * passed, a steady window (10 s) measures:
 * - CPU: utime + stime of the whole Chromium process tree (the browser process and all its
 *   descendants, from /proc/<pid>/stat), in CPU seconds per wall second, per participant;
 * - frames/s of each remote video: the `framesDecoded` delta of its inbound-rtp stats;
 * - what each page sends: outbound-rtp frameWidth and the bitrate actually sent.
 *
 * Kinds: `ours` (`<rtc-call autojoin>` against the real signal server), `bare` (a full mesh
 * of plain RTCPeerConnections with the same capture, through `mesh-relay.ts`), and from 4
 * participants on also `bare-lowered` (the bare mesh with the same `setParameters` as
 * rtc-elements applies there), so "what the widget adds" compares like with like.
 *
 * Standalone: `node --import tsx bench/mesh.ts [--sizes 2,3,4,6] [--window 10] [--json]`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, startSignalServer, uniqueRoom } from '../test/e2e/harness.js';
import { JANUS_BROWSER_FLAGS } from '../test/e2e/janus.js';
import { LOWER_CAMERA_FROM, cameraEncodingFor } from '../src/core/peer/send-budget.js';
import { startMeshServer, type MeshServer } from './mesh-relay.js';
import type { Row } from './table.js';

/** `sfu`: ours, in a room the signal server puts on a Janus SFU (two connections per page). */
export type MeshKind = 'ours' | 'bare' | 'bare-lowered' | 'sfu';

export interface MeshRun {
  kind: MeshKind;
  participants: number;
  windowSeconds: number;
  /** CPU seconds of the whole Chromium tree per wall second (2.0 = both cores busy here). */
  cpuTotal: number;
  /** `cpuTotal / participants`. */
  cpuPerParticipant: number;
  /** `sfu` kind: CPU seconds per wall second of the Janus process (not in `cpuTotal`). */
  sfuCpu: number;
  /** Received frames/s of every remote video on every page (n × (n-1) values). */
  fps: number[];
  fpsMean: number;
  fpsMin: number;
  /**
   * Frames received (all remote videos of all pages) per CPU second of the Chromium tree:
   * how much picture the CPU buys. Steadier than frames/s when other work on a shared
   * machine starves Chromium, since both fall together.
   */
  framesPerCpuSecond: number;
  /** The median width of the camera video the pages send (outbound-rtp frameWidth at the end of the window). */
  sentWidth: number;
  /** Mean bits/s sent per camera stream over the window. */
  sentBitrate: number;
  /** How many outbound camera streams were limited, by reason (`none`, `cpu`, `bandwidth`). */
  limitation: Record<string, number>;
  /** Seconds from the first page opening to every page decoding every other's video. */
  setupSeconds: number;
  /**
   * The machine's 1-minute load average at the end of the window. On a shared machine other
   * work takes cores from Chromium: compare runs with similar load, and read `cpuTotal`
   * against the 2 cores to see how much Chromium got.
   */
  loadAverage: number;
}

export interface MeshResult {
  /** What the fake camera captures. */
  capture: string;
  sizes: number[];
  windowSeconds: number;
  runs: MeshRun[];
}

export interface MeshOptions {
  /** The real signal server (it serves the widget's bundle too). */
  signalUrl: string;
  sizes?: number[];
  windowSeconds?: number;
  /** Between "everyone sees everyone" and the window: bitrate ramp-up and CPU adaptation settle. */
  warmupSeconds?: number;
  log?: (line: string) => void;
  /** A signal server with TOPOLOGY=sfu (and its Janus): adds the `sfu` kind from 4 participants. */
  sfuSignalUrl?: string;
}

/** At 6 participants every remote video should stay above this many frames/s here. */
export const MESH_FPS_TARGET = 15;
const CAPTURE = { width: 640, height: 480, fps: 20 };

/**
 * A 640x480, 20 frames/s y4m clip (2 s, looped by Chromium): a moving gradient, coloured
 * bands and a moving box, so the encoders have motion to work on, like the default fake
 * camera. Written once to the temp folder.
 */
export function fakeCameraFile(): string {
  const { width: W, height: H, fps } = CAPTURE;
  const file = path.join(os.tmpdir(), `rtc-elements-bench-${W}x${H}-${fps}.y4m`);
  if (existsSync(file)) return file;
  const frames = 40;
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) {
    const y = Buffer.alloc(W * H);
    const u = Buffer.alloc((W * H) / 4);
    const v = Buffer.alloc((W * H) / 4);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) y[r * W + c] = 40 + ((c + r + f * 8) & 127);
    const bx = (f * 14) % (W - 120);
    for (let r = 180; r < 300; r++) for (let c = bx; c < bx + 120; c++) y[r * W + c] = 235;
    for (let r = 0; r < H / 2; r++) {
      for (let c = 0; c < W / 2; c++) {
        u[(r * W) / 2 + c] = 90 + ((c + f * 3) & 63);
        v[(r * W) / 2 + c] = 160 - ((r + f * 2) & 63);
      }
    }
    parts.push(Buffer.from('FRAME\n'), y, u, v);
  }
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** The Chromium for this bench: the test suite's flags, with the 640x480 clip as the camera. */
export function launchMeshBrowser(): Promise<Browser> {
  // The Janus flag: pages show Janus their real addresses (see test/e2e/janus.ts).
  return launchBrowser({ args: [`--use-file-for-fake-video-capture=${fakeCameraFile()}`, ...JANUS_BROWSER_FLAGS] });
}

// ---- CPU of the Chromium process tree ----

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on.
}

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in seconds. */
  cpu: number;
}

function readProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command may hold spaces and parentheses: the fields start after the last ')'.
      const close = text.lastIndexOf(')');
      const comm = text.slice(text.indexOf('(') + 1, close);
      const fields = text.slice(close + 2).split(' ');
      // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
      stats.push({ pid: Number(name), ppid: Number(fields[1]), comm, cpu: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond });
    } catch {
      // The process ended while we listed it.
    }
  }
  return stats;
}

/**
 * CPU seconds used so far by every Chromium this Node process launched and all their
 * descendants (renderers, GPU, network and audio services). Keyed by pid, so processes that
 * start during a window count from zero.
 */
function chromiumTreeCpu(): Map<number, number> {
  const all = readProcStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const roots = (children.get(process.pid) ?? []).filter((s) => /chrom/i.test(s.comm));
  const tree = new Map<number, number>();
  const walk = (s: ProcStat): void => {
    tree.set(s.pid, s.cpu);
    for (const c of children.get(s.pid) ?? []) walk(c);
  };
  for (const root of roots) walk(root);
  return tree;
}

/** CPU seconds used so far by every Janus process (the SFU of the `sfu` kind), by pid. */
function janusCpu(): Map<number, number> {
  return new Map(readProcStats().filter((s) => s.comm === 'janus').map((s) => [s.pid, s.cpu]));
}

function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += Math.max(0, cpu - (before.get(pid) ?? 0));
  return total;
}

// ---- pages ----

interface Counters {
  inbound: { framesDecoded: number; frameWidth: number; frameHeight: number; bytes: number } | null;
  outbound: { framesEncoded: number; frameWidth: number; frameHeight: number; bytes: number; targetBitrate: number; limitation: string } | null;
}
type PageStats = Record<string, Counters>;

const videoStats = (page: Page): Promise<PageStats> => page.evaluate('window.bench.videoStats()') as Promise<PageStats>;

async function closeAll(pages: Page[]): Promise<void> {
  await Promise.all(pages.map((p) => p.context().close().catch(() => undefined)));
}

/** Opens `n` pages one after the other (each joins before the next opens) and waits until every page decodes every other's video. */
async function openMesh(browser: Browser, server: MeshServer, kind: MeshKind, n: number): Promise<Page[]> {
  const room = uniqueRoom(`mesh-${kind}`);
  const pages: Page[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const query = new URLSearchParams({ room, name: `p${i + 1}` });
      if (kind === 'bare-lowered') query.set('encoding', JSON.stringify(cameraEncodingFor(n)));
      if (kind === 'sfu') query.set('per-tile', '1');
      const page = await openPage(browser, `${server.url}/${kind === 'ours' || kind === 'sfu' ? 'ours' : 'bare'}?${query}`);
      pages.push(page);
      await page.waitForFunction('window.bench && (window.bench.error || window.bench.ready())', null, { timeout: 45000, polling: 50 });
      const error = await page.evaluate('window.bench.error');
      if (error) throw new Error(String(error));
    }
    // Every page has n-1 remote videos with decoded frames.
    const deadline = Date.now() + 45000;
    for (;;) {
      const all = await Promise.all(pages.map(videoStats));
      const decoding = all.every((s) => Object.values(s).filter((c) => (c.inbound?.framesDecoded ?? 0) > 0).length === n - 1);
      if (decoding) break;
      if (Date.now() > deadline) throw new Error(`not every page decodes ${n - 1} videos: ${JSON.stringify(all.map((s) => Object.values(s).map((c) => c.inbound?.framesDecoded ?? 0)))}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return pages;
  } catch (error) {
    await closeAll(pages);
    throw new Error(`${kind} mesh of ${n} did not set up: ${(error as Error).message}`);
  }
}

const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length ? (sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2) : NaN;
};

async function measureOne(browser: Browser, server: MeshServer, kind: MeshKind, n: number, windowSeconds: number, warmupSeconds: number): Promise<MeshRun> {
  const opened = performance.now();
  // One more try: on a shared, busy machine a join now and then takes longer than the timeouts.
  const pages = await openMesh(browser, server, kind, n).catch((error: Error) => {
    console.error(`  ${error.message}; trying once more`);
    return openMesh(browser, server, kind, n);
  });
  const setupSeconds = (performance.now() - opened) / 1000;
  try {
    await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
    const cpu0 = chromiumTreeCpu();
    const sfu0 = janusCpu();
    const t0 = performance.now();
    const before = await Promise.all(pages.map(videoStats));
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
    const after = await Promise.all(pages.map(videoStats));
    const seconds = (performance.now() - t0) / 1000;
    const cpuTotal = cpuBetween(cpu0, chromiumTreeCpu()) / seconds;
    const sfuCpu = kind === 'sfu' ? cpuBetween(sfu0, janusCpu()) / seconds : 0;

    const fps: number[] = [];
    const widths: number[] = [];
    const bitrates: number[] = [];
    const limitation: Record<string, number> = {};
    pages.forEach((_, i) => {
      for (const [id, end] of Object.entries(after[i]!)) {
        const start = before[i]![id];
        if (end.inbound) fps.push((end.inbound.framesDecoded - (start?.inbound?.framesDecoded ?? 0)) / seconds);
        if (end.outbound) {
          widths.push(end.outbound.frameWidth);
          bitrates.push(((end.outbound.bytes - (start?.outbound?.bytes ?? 0)) * 8) / seconds);
          limitation[end.outbound.limitation] = (limitation[end.outbound.limitation] ?? 0) + 1;
        }
      }
    });
    const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
    return {
      kind,
      participants: n,
      windowSeconds: round(seconds),
      cpuTotal: round(cpuTotal, 3),
      cpuPerParticipant: round(cpuTotal / n, 3),
      sfuCpu: round(sfuCpu, 3),
      fps: fps.map((v) => round(v, 1)),
      fpsMean: round(mean(fps), 1),
      fpsMin: round(Math.min(...fps), 1),
      framesPerCpuSecond: Math.round((mean(fps) * fps.length) / cpuTotal),
      sentWidth: median(widths),
      sentBitrate: Math.round(mean(bitrates)),
      limitation,
      setupSeconds: round(setupSeconds, 1),
      loadAverage: round(os.loadavg()[0] ?? 0, 1),
    };
  } finally {
    await closeAll(pages);
    // Let the closed pages' processes go before the next mesh starts.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Measures every size with each kind (`bare-lowered` only where rtc-elements lowers its
 * camera), one mesh at a time, kinds interleaved per size so drift in machine load hits
 * all of them. The browser should come from `launchMeshBrowser()` (the 640x480 camera).
 */
export async function measureMesh(browser: Browser, options: MeshOptions): Promise<MeshResult> {
  const sizes = options.sizes ?? [2, 3, 4, 6];
  const windowSeconds = options.windowSeconds ?? 10;
  const warmupSeconds = options.warmupSeconds ?? 2;
  const log = options.log ?? (() => undefined);
  const server = await startMeshServer(options.signalUrl);
  const sfuServer = options.sfuSignalUrl ? await startMeshServer(options.sfuSignalUrl) : undefined;
  const runs: MeshRun[] = [];
  try {
    for (const n of sizes) {
      const kinds: MeshKind[] = n >= LOWER_CAMERA_FROM ? ['ours', 'bare', 'bare-lowered'] : ['ours', 'bare'];
      if (sfuServer && n >= LOWER_CAMERA_FROM) kinds.push('sfu');
      for (const kind of kinds) {
        const run = await measureOne(browser, kind === 'sfu' ? sfuServer! : server, kind, n, windowSeconds, warmupSeconds);
        runs.push(run);
        log(
          `  mesh ${n} ${kind.padEnd(12)} CPU ${run.cpuPerParticipant.toFixed(2)}/participant (${run.cpuTotal.toFixed(2)} total), ` +
            `${run.fpsMean.toFixed(1)} fps (min ${run.fpsMin.toFixed(1)}, ${run.framesPerCpuSecond} frames/CPU-s), sends ${run.sentWidth}px ${(run.sentBitrate / 1000).toFixed(0)} kbit/s ` +
            `${JSON.stringify(run.limitation)}, set up in ${run.setupSeconds.toFixed(1)} s, load ${run.loadAverage.toFixed(1)}`,
        );
      }
    }
  } finally {
    await server.close();
    await sfuServer?.close();
  }
  return { capture: `${CAPTURE.width}x${CAPTURE.height} at ${CAPTURE.fps} frames/s (y4m)`, sizes, windowSeconds, runs };
}

/** Table rows: per size, CPU per participant and received frames/s, ours against the bare mesh. */
export function meshRows(result: MeshResult): Row[] {
  const rows: Row[] = [];
  const find = (kind: MeshKind, n: number): MeshRun | undefined => result.runs.find((r) => r.kind === kind && r.participants === n);
  const cpu = (r: MeshRun): string => `${r.cpuPerParticipant.toFixed(2)} CPU-s/s`;
  const fps = (r: MeshRun): string => `${r.fpsMean.toFixed(1)} fps (min ${r.fpsMin.toFixed(1)})`;
  for (const n of result.sizes) {
    const ours = find('ours', n);
    const bare = find('bare', n);
    if (!ours || !bare) continue;
    // Where rtc-elements lowers its camera, the like-with-like baseline is the bare mesh lowered the same way.
    const same = find('bare-lowered', n) ?? bare;
    const sameName = same === bare ? 'bare mesh' : 'bare mesh, same setParameters';
    rows.push({
      figure: `mesh ${n}: CPU per participant`,
      ours: cpu(ours),
      baseline: `${cpu(same)} ${sameName}`,
      ratio: ours.cpuPerParticipant / same.cpuPerParticipant,
      target: '-',
      pass: null,
    });
    rows.push({
      figure: `mesh ${n}: received frames/s`,
      ours: fps(ours),
      baseline: `${fps(same)} ${sameName}`,
      ratio: ours.fpsMean / same.fpsMean,
      target: n === 6 ? `>= ${MESH_FPS_TARGET} fps` : '-',
      pass: n === 6 ? ours.fpsMean >= MESH_FPS_TARGET : null,
    });
    const sfu = find('sfu', n);
    if (sfu) {
      rows.push({
        figure: `SFU ${n}: CPU per participant (pages + Janus)`,
        ours: `${sfu.cpuPerParticipant.toFixed(2)} + ${(sfu.sfuCpu / n).toFixed(2)} CPU-s/s`,
        baseline: `${cpu(ours)} ours in a mesh`,
        ratio: (sfu.cpuPerParticipant + sfu.sfuCpu / n) / ours.cpuPerParticipant,
        target: '-',
        pass: null,
      });
      rows.push({
        figure: `SFU ${n}: received frames/s`,
        ours: fps(sfu),
        baseline: `${fps(ours)} ours in a mesh`,
        ratio: sfu.fpsMean / ours.fpsMean,
        target: '-',
        pass: null,
      });
    }
    if (same !== bare) {
      rows.push({
        figure: `mesh ${n}: vs bare mesh at full quality`,
        ours: `${ours.fpsMean.toFixed(1)} fps, ${ours.sentWidth}px, ${ours.framesPerCpuSecond} frames/CPU-s`,
        baseline: `${bare.fpsMean.toFixed(1)} fps, ${bare.sentWidth}px, ${bare.framesPerCpuSecond} frames/CPU-s`,
        ratio: ours.fpsMean / bare.fpsMean,
        target: '-',
        pass: null,
      });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '2,3,4,6' },
      window: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number).filter((n) => n >= 2);
  if (!existsSync('dist/rtc-elements.iife.min.js') || !existsSync('dist/server/signal-server/cli.js')) {
    console.error('mesh: dist/ is missing, building (node scripts/build.mjs)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
  const started = Date.now();
  const signal = await startSignalServer();
  const browser = await launchMeshBrowser();
  try {
    console.error(`mesh: ${sizes.join(', ')} participants, ${values.window} s windows, ${os.cpus().length} cores`);
    const result = await measureMesh(browser, {
      signalUrl: signal.url,
      sizes,
      windowSeconds: Number(values.window) || 10,
      warmupSeconds: Number(values.warmup) || 0,
      log: (line) => console.error(line),
    });
    const rows = meshRows(result);
    const cells = rows.map((r) => [r.figure, r.ours, r.baseline, r.ratio === null ? '-' : r.ratio.toFixed(2), r.target, r.pass === null ? '-' : r.pass ? 'pass' : 'FAIL']);
    const header = ['figure', 'ours', 'baseline', 'ratio', 'target', 'result'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
    console.log(`\nmesh, ${result.capture}, ${os.cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    for (const c of cells) console.log(line(c));
    if (values.json) console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await signal.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
