/**
 * Figures 2 and 3: call setup (join to first remote frame, 1:1, one machine), the local
 * preview's first frame, and file throughput, each against a bare-WebRTC floor measured
 * in the same run, in the same browser with the same flags.
 */
import type { Browser, Page } from 'playwright-core';
import { openPage, uniqueRoom } from '../test/e2e/harness.js';
import type { BenchServer } from './relay.js';

export type Kind = 'ours' | 'floor';

export interface Stats {
  runs: number[];
  median: number;
  p90: number;
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs: values.map((v) => Math.round(v * 10) / 10), median, p90: rank(0.9) };
}

interface Pair {
  a: Page;
  b: Page;
  /** From the second page's first script to both pages showing the other's first frame, in ms. */
  setupMs: number;
  /** From the second page's first script to its own first remote frame, in ms. */
  secondSeesFirstMs: number;
  close(): Promise<void>;
}

const READY: Record<Kind, string> = {
  ours: 'window.bench && window.bench.joined && window.bench.joined()',
  floor: 'window.bench && window.bench.ready',
};

async function closePage(page: Page): Promise<void> {
  await page.context().close().catch(() => undefined);
}

/** Page `a` joins and settles; then page `b` opens; both wait for the other's first frame. */
export async function openPair(browser: Browser, server: BenchServer, kind: Kind): Promise<Pair> {
  const room = uniqueRoom(`bench-${kind}`);
  const url = (role: string): string => `${server.url}/${kind}?room=${encodeURIComponent(room)}&role=${role}`;
  const a = await openPage(browser, url('a'));
  let b: Page | undefined;
  try {
    await a.waitForFunction(READY[kind], null, { timeout: 20000, polling: 20 });
    await a.waitForTimeout(300);
    b = await openPage(browser, url('b'));
    const seen = 'window.bench && window.bench.remoteFrameAt > 0';
    await Promise.all([a.waitForFunction(seen, null, { timeout: 20000 }), b.waitForFunction(seen, null, { timeout: 20000 })]);
    const [atA, atB, t0B] = await Promise.all([
      a.evaluate('window.bench.remoteFrameAt') as Promise<number>,
      b.evaluate('window.bench.remoteFrameAt') as Promise<number>,
      b.evaluate('window.bench.t0') as Promise<number>,
    ]);
    const pages = { a, b };
    return {
      ...pages,
      setupMs: Math.max(atA, atB) - t0B,
      secondSeesFirstMs: atB - t0B,
      close: async () => {
        await closePage(pages.a);
        await closePage(pages.b);
      },
    };
  } catch (error) {
    const why = await a.evaluate('window.bench && window.bench.error').catch(() => undefined);
    await closePage(a);
    if (b) await closePage(b);
    throw new Error(`${kind} call did not set up${why ? `: ${why}` : ''}: ${(error as Error).message}`);
  }
}

export interface SetupResult {
  ours: Stats;
  floor: Stats;
  oursSecondSeesFirst: Stats;
  floorSecondSeesFirst: Stats;
}

/** `calls` calls of each kind, interleaved (ours, floor, ours, ...) after one discarded warm-up of each. */
export async function measureSetup(browser: Browser, server: BenchServer, calls: number, log: (line: string) => void): Promise<SetupResult> {
  const values: Record<Kind, number[]> = { ours: [], floor: [] };
  const second: Record<Kind, number[]> = { ours: [], floor: [] };
  for (let i = -1; i < calls; i++) {
    for (const kind of ['ours', 'floor'] as const) {
      const pair = await openPair(browser, server, kind);
      await pair.close();
      if (i < 0) continue;
      values[kind].push(pair.setupMs);
      second[kind].push(pair.secondSeesFirstMs);
      log(`  call ${i + 1}/${calls} ${kind.padEnd(5)} ${pair.setupMs.toFixed(0)} ms`);
    }
  }
  return { ours: stats(values.ours), floor: stats(values.floor), oursSecondSeesFirst: stats(second.ours), floorSecondSeesFirst: stats(second.floor) };
}

export interface PreviewResult {
  ours: Stats;
  floor: Stats;
}

/** `Call.startPreview()` against a bare `getUserMedia`, to a local <video>'s first frame. */
export async function measurePreview(browser: Browser, server: BenchServer, runs: number): Promise<PreviewResult> {
  const page = await openPage(browser, `${server.url}/preview`);
  const values: Record<Kind, number[]> = { ours: [], floor: [] };
  try {
    for (let i = -1; i < runs; i++) {
      for (const kind of ['ours', 'floor'] as const) {
        const ms = (await page.evaluate(`window.bench.preview(${JSON.stringify(kind)})`)) as number;
        if (i >= 0) values[kind].push(ms);
      }
    }
  } finally {
    await closePage(page);
  }
  return { ours: stats(values.ours), floor: stats(values.floor) };
}

export interface ThroughputResult {
  bytes: number;
  /** MB/s (10^6 bytes per second), one per run. */
  ours: Stats;
  floor: Stats;
}

/** `bytes` from page b to page a, on a fresh call per run: `Call.sendFile` against a bare data channel. */
export async function measureThroughput(
  browser: Browser,
  server: BenchServer,
  bytes: number,
  runs: number,
  log: (line: string) => void,
): Promise<ThroughputResult> {
  const values: Record<Kind, number[]> = { ours: [], floor: [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of ['ours', 'floor'] as const) {
      const pair = await openPair(browser, server, kind);
      try {
        await pair.b.waitForTimeout(500);
        const ms = (await pair.b.evaluate(`window.bench.sendBytes(${bytes})`)) as number;
        const mbps = bytes / 1e6 / (ms / 1000);
        values[kind].push(mbps);
        log(`  file ${i + 1}/${runs} ${kind.padEnd(5)} ${mbps.toFixed(1)} MB/s`);
      } finally {
        await pair.close();
      }
    }
  }
  return { bytes, ours: stats(values.ours), floor: stats(values.floor) };
}
