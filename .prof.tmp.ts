// Scratch: JS CPU profile of both pages during one ours call setup; self time by function.
import { launchBrowser, startSignalServer, uniqueRoom } from './test/e2e/harness.js';
import { startBenchServer } from './bench/relay.js';
const kind = process.argv[2] ?? 'ours';
const signal = await startSignalServer();
const bench = await startBenchServer(signal.url);
const browser = await launchBrowser();
const READY: Record<string, string> = { ours: 'window.bench && window.bench.joined && window.bench.joined()', floor: 'window.bench && window.bench.ready' };
const agg: Record<string, Map<string, number>> = { A: new Map(), B: new Map() };
for (let run = 0; run < 6; run++) {
  const room = uniqueRoom('p');
  const url = (role: string) => `${bench.url}/${kind}?room=${room}&role=${role}`;
  const open = async (role: string) => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript('globalThis.__name = (fn) => fn');
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    return { page, cdp, go: () => page.goto(url(role)) };
  };
  const a = await open('a');
  await a.go();
  await a.page.waitForFunction(READY[kind]!, null, { timeout: 20000, polling: 20 });
  await a.page.waitForTimeout(300);
  const b = await open('b');
  await a.cdp.send('Profiler.start');
  await b.cdp.send('Profiler.start');
  await b.go();
  const seen = 'window.bench && window.bench.remoteFrameAt > 0';
  await Promise.all([a.page.waitForFunction(seen), b.page.waitForFunction(seen)]);
  for (const [who, p] of [['A', a], ['B', b]] as const) {
    const { profile } = (await p.cdp.send('Profiler.stop')) as any;
    if (run === 0) continue;
    const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
    const dt = profile.timeDeltas as number[];
    const counts = new Map<number, number>();
    profile.samples.forEach((id: number, i: number) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0) / 1000));
    for (const [id, ms] of counts) {
      const n = byId.get(id); const f = n.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`;
      agg[who]!.set(key, (agg[who]!.get(key) ?? 0) + ms / 5);
    }
  }
  await a.page.context().close(); await b.page.context().close();
}
for (const who of ['A', 'B']) {
  const rows = [...agg[who]!].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((s, r) => s + r[1], 0);
  console.log(`${who}: ${total.toFixed(0)} ms non-idle per run (until both first frames + CDP lag)`);
  for (const [k, ms] of rows.slice(0, 22)) console.log(`  ${ms.toFixed(1).padStart(6)} ${k}`);
}
await browser.close(); await bench.close(); await signal.stop();
