// Scratch: main-thread tasks of both pages during one call setup, from a Chromium trace.
import { readFileSync } from 'node:fs';
import { launchBrowser, startSignalServer, openPage, uniqueRoom } from './test/e2e/harness.js';
import { startBenchServer } from './bench/relay.js';
const kind = process.argv[2] ?? 'ours';
const signal = await startSignalServer();
const bench = await startBenchServer(signal.url);
const browser = await launchBrowser();
const READY: Record<string, string> = { ours: 'window.bench && window.bench.joined && window.bench.joined()', floor: 'window.bench && window.bench.ready' };
for (let run = 0; run < 3; run++) {
  const room = uniqueRoom('t');
  const url = (role: string) => `${bench.url}/${kind}?room=${room}&role=${role}`;
  const a = await openPage(browser, url('a'));
  await a.waitForFunction(READY[kind]!, null, { timeout: 20000, polling: 20 });
  await a.waitForTimeout(300);
  const last = run === 2;
  if (last) await browser.startTracing(undefined, { path: '/tmp/trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'toplevel'] });
  const b = await openPage(browser, url('b'));
  const seen = 'window.bench && window.bench.remoteFrameAt > 0';
  await Promise.all([a.waitForFunction(seen), b.waitForFunction(seen)]);
  const t0 = (await b.evaluate('window.bench.t0')) as number;
  const fa = ((await a.evaluate('window.bench.remoteFrameAt')) as number) - t0;
  const fb = ((await b.evaluate('window.bench.remoteFrameAt')) as number) - t0;
  const t0perf = (await b.evaluate('performance.timeOrigin + 0')) as number;
  console.log(`run ${run}: A frame ${fa}, B frame ${fb}`);
  if (last) {
    await browser.stopTracing();
    const trace = JSON.parse(readFileSync('/tmp/trace.json', 'utf8'));
    const events = (trace.traceEvents ?? trace) as any[];
    const threads = new Map<string, string>();
    for (const e of events) if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
    // Map pids to pages via the first navigation URL.
    const pidUrl = new Map<number, string>();
    for (const e of events) if (e.args?.data?.url && typeof e.args.data.url === 'string' && e.args.data.url.includes('role=')) pidUrl.set(e.pid, e.args.data.url.includes('role=a') ? 'A' : 'B');
    // Trace clock: find B's navigation start in trace time ~ use 'TimeStamp'? Align via the first RunTask after t0: use clock sync marker absent; approximate with performance.timeOrigin mapping from a 'navigationStart' mark.
    const nav = events.filter((e) => e.name === 'EvaluateScript' && pidUrl.get(e.pid) === 'B').sort((x, y) => x.ts - y.ts)[0];
    const base = nav.ts;
    const offset = 0; void t0perf;
    for (const who of ['A', 'B']) {
      const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && pidUrl.get(e.pid) === who && threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain');
      const rel = (ts: number) => (ts - base) / 1000 - offset;
      const window = tasks.filter((e) => rel(e.ts) >= 0 && rel(e.ts) <= Math.max(fa, fb));
      const busy = window.reduce((s, e) => s + e.dur / 1000, 0);
      console.log(`${who}: ${window.length} tasks, busy ${busy.toFixed(0)} ms of ${Math.max(fa, fb)}`);
      for (const e of window.filter((e) => e.dur > 3000)) {
        const inner = events.filter((c) => c.pid === e.pid && c.tid === e.tid && c.ph === 'X' && c.ts >= e.ts && c.ts + (c.dur ?? 0) <= e.ts + e.dur && c !== e && c.dur > 1000);
        const byName = new Map<string, number>();
        for (const c of inner) byName.set(c.name, (byName.get(c.name) ?? 0) + c.dur / 1000);
        const top = [...byName].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([n, d]) => `${n} ${d.toFixed(1)}`).join(', ');
        if (who === 'A' || true) console.log(`  ${rel(e.ts).toFixed(0).padStart(4)} +${(e.dur / 1000).toFixed(1)} ms: ${top}`);
      }
    }
  }
  await a.context().close(); await b.context().close();
}
await browser.close(); await bench.close(); await signal.stop();
