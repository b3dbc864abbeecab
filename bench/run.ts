/**
 * `npm run bench`: measures each figure against a baseline made in the same run, prints a
 * table and writes bench/results.json. Options:
 *   --calls N        calls of each kind for call setup (default 20, as the issue asks)
 *   --file-mb N      file size for throughput, in MiB (default 20)
 *   --file-runs N    transfers of each kind (default 3)
 *   --skip-calls     no call setup, preview or throughput (no browser)
 *   --skip-files     no throughput
 *   --skip-mesh      no mesh CPU and frame rates (2, 3, 4, 6 participants; ~4 minutes)
 *   --skip-load      no signal-server load (1k, 5k, 10k clients; ~4 minutes)
 *   --only-setup     call setup and the local preview only (no weight, throughput, mesh or
 *                    load); prints its rows and leaves bench/results.json alone
 *   --enforce        exit 1 when a figure with a budget or target fails
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { launchBrowser, startSignalServer } from '../test/e2e/harness.js';
import { findChromium } from '../test/browser.mjs';
import { janusTestsMissing } from '../test/e2e/janus.js';
import { startSfuSignalServer } from '../test/e2e/sfu-harness.js';
import { launchMeshBrowser, measureMesh, meshRows, type MeshResult } from './mesh.js';
import { measureServerLoad, serverLoadRows, type ServerLoadResult } from './server-load.js';
import { measurePreview, measureSetup, measureThroughput, type PreviewResult, type SetupResult, type ThroughputResult } from './calls.js';
import { startBenchServer } from './relay.js';
import { BUNDLE_TARGET_GZIP } from './budgets.js';
import { printTable, type Row } from './table.js';
import { measureWeight, type WeightResult } from './weight.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    'file-mb': { type: 'string', default: '20' },
    'file-runs': { type: 'string', default: '3' },
    'skip-calls': { type: 'boolean', default: false },
    'skip-files': { type: 'boolean', default: false },
    'skip-mesh': { type: 'boolean', default: false },
    'skip-load': { type: 'boolean', default: false },
    'only-setup': { type: 'boolean', default: false },
    enforce: { type: 'boolean', default: false },
  },
});
const calls = Math.max(1, Number(args.calls) || 20);
const fileBytes = Math.round((Number(args['file-mb']) || 20) * 1024 * 1024);
const fileRuns = Math.max(1, Number(args['file-runs']) || 3);
const onlySetup = args['only-setup'];
if (onlySetup) {
  if (args['skip-calls']) throw new Error('--only-setup and --skip-calls exclude each other');
  Object.assign(args, { 'skip-files': true, 'skip-mesh': true, 'skip-load': true });
}

const SETUP_TARGET = 1.1;
const THROUGHPUT_TARGET = 0.8;

const log = (line: string): void => console.error(line);
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

function machine() {
  const chromium = findChromium();
  let chromiumVersion = 'not found';
  if (chromium) {
    try {
      chromiumVersion = execFileSync(chromium, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      chromiumVersion = 'unknown';
    }
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    chromium: chromiumVersion,
  };
}

function weightRows(w: WeightResult): Row[] {
  const base = w.litPlusSocketIoClient;
  return [
    {
      figure: 'bundle gzip (rtc-elements.min.js)',
      ours: kib(w.full.gzip),
      baseline: `${kib(base.gzip)} Lit+socket.io-client`,
      ratio: w.full.gzip / base.gzip,
      target: `<= ${kib(BUNDLE_TARGET_GZIP)}`,
      pass: w.full.gzip <= BUNDLE_TARGET_GZIP,
    },
    {
      figure: 'bundle brotli (rtc-elements.min.js)',
      ours: kib(w.full.brotli),
      baseline: `${kib(base.brotli)} Lit+socket.io-client`,
      ratio: w.full.brotli / base.brotli,
      target: '-',
      pass: null,
    },
    {
      figure: 'core alone gzip (rtc-elements/core)',
      ours: kib(w.core.gzip),
      baseline: `${kib(w.socketIoClient.gzip)} socket.io-client`,
      ratio: w.core.gzip / w.socketIoClient.gzip,
      target: '-',
      pass: null,
    },
    {
      figure: 'core alone brotli (rtc-elements/core)',
      ours: kib(w.core.brotli),
      baseline: `${kib(w.socketIoClient.brotli)} socket.io-client`,
      ratio: w.core.brotli / w.socketIoClient.brotli,
      target: '-',
      pass: null,
    },
    {
      figure: 'baseline: Lit alone gzip / brotli',
      ours: '-',
      baseline: `${kib(w.lit.gzip)} / ${kib(w.lit.brotli)}`,
      ratio: null,
      target: '-',
      pass: null,
    },
  ];
}

function setupRows(s: SetupResult, p: PreviewResult): Row[] {
  return [
    {
      figure: 'call setup 1:1, median (to both first frames)',
      ours: ms(s.ours.median),
      baseline: `${ms(s.floor.median)} bare RTCPeerConnection`,
      ratio: s.ours.median / s.floor.median,
      target: `<= ${SETUP_TARGET.toFixed(2)}`,
      pass: s.ours.median / s.floor.median <= SETUP_TARGET,
    },
    {
      figure: 'call setup 1:1, p90',
      ours: ms(s.ours.p90),
      baseline: `${ms(s.floor.p90)} bare RTCPeerConnection`,
      ratio: s.ours.p90 / s.floor.p90,
      target: `<= ${SETUP_TARGET.toFixed(2)}`,
      pass: s.ours.p90 / s.floor.p90 <= SETUP_TARGET,
    },
    {
      figure: 'call setup, joiner sees first, median',
      ours: ms(s.oursSecondSeesFirst.median),
      baseline: `${ms(s.floorSecondSeesFirst.median)} bare RTCPeerConnection`,
      ratio: s.oursSecondSeesFirst.median / s.floorSecondSeesFirst.median,
      target: '-',
      pass: null,
    },
    {
      figure: 'local preview first frame, median',
      ours: ms(p.ours.median),
      baseline: `${ms(p.floor.median)} bare getUserMedia`,
      ratio: p.ours.median / p.floor.median,
      target: '-',
      pass: null,
    },
  ];
}

function throughputRow(t: ThroughputResult): Row {
  const ratio = t.ours.median / t.floor.median;
  return {
    figure: `file throughput ${(t.bytes / 1024 ** 2).toFixed(0)} MiB, median`,
    ours: `${t.ours.median.toFixed(1)} MB/s`,
    baseline: `${t.floor.median.toFixed(1)} MB/s bare data channel`,
    ratio,
    target: `>= ${THROUGHPUT_TARGET.toFixed(2)}`,
    pass: ratio >= THROUGHPUT_TARGET,
  };
}

const notMeasured = (figure: string): Row => ({ figure, ours: 'not measured yet', baseline: '-', ratio: null, target: '-', pass: null });

async function main(): Promise<void> {
  if (!existsSync('dist/rtc-elements.min.js') || !existsSync('dist/server/signal-server/cli.js')) {
    log('bench: dist/ is missing, building (node scripts/build.mjs)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
  const info = machine();
  log(`bench: ${info.date} on ${info.cpu} x${info.cores}, Node ${info.node}, ${info.chromium}`);

  const weight = onlySetup ? undefined : (log('bench: weight'), await measureWeight());
  const rows: Row[] = weight ? weightRows(weight) : [];

  let setup: SetupResult | undefined;
  let preview: PreviewResult | undefined;
  let throughput: ThroughputResult | undefined;
  if (!args['skip-calls']) {
    const signal = await startSignalServer();
    const bench = await startBenchServer(signal.url);
    const browser = await launchBrowser();
    try {
      log(`bench: call setup, ${calls} calls of each kind (+1 warm-up)`);
      setup = await measureSetup(browser, bench, calls, log);
      log('bench: local preview');
      preview = await measurePreview(browser, bench, calls);
      rows.push(...setupRows(setup, preview));
      if (!args['skip-files']) {
        log(`bench: file throughput, ${fileRuns} runs of each kind`);
        throughput = await measureThroughput(browser, bench, fileBytes, fileRuns, log);
        rows.push(throughputRow(throughput));
      }
    } finally {
      await browser.close();
      await bench.close();
      await signal.stop();
    }
  }
  if (onlySetup) {
    console.log(`\nrtc-elements bench (call setup only), ${info.date}\n`);
    printTable(rows);
    for (const [name, s] of Object.entries({ ours: setup!.ours, floor: setup!.floor })) console.log(`  ${name.padEnd(5)} ${s.runs.join(' ')}`);
    return;
  }
  if (!setup) rows.push(notMeasured('call setup 1:1 (skipped)'));
  if (!throughput) rows.push(notMeasured('file throughput (skipped)'));

  let mesh: MeshResult | undefined;
  if (!args['skip-mesh']) {
    log('bench: mesh, 2 / 3 / 4 / 6 participants');
    const signal = await startSignalServer();
    // With Janus here, the same pages also in an SFU room, from 4 participants.
    const sfu = janusTestsMissing('the SFU figures') ? undefined : await startSfuSignalServer();
    if (!sfu) log('bench: no Janus here (apt-get install janus): no SFU figures');
    // Its own browser: a 640x480 y4m camera, so ours and the bare mesh capture the same.
    const browser = await launchMeshBrowser();
    try {
      mesh = await measureMesh(browser, { signalUrl: signal.url, ...(sfu ? { sfuSignalUrl: sfu.url } : {}), log });
      rows.push(...meshRows(mesh));
    } finally {
      await browser.close();
      await signal.stop();
      await sfu?.stop();
    }
  } else rows.push(notMeasured('mesh CPU and frame rates (skipped)'));

  let load: ServerLoadResult | undefined;
  if (!args['skip-load']) {
    log('bench: signal server load, 1k / 5k / 10k clients');
    load = await measureServerLoad({ log });
    rows.push(...serverLoadRows(load));
  } else rows.push(notMeasured('signal server load (skipped)'));

  console.log(`\nrtc-elements bench, ${info.date}`);
  console.log(`${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}, Node ${info.node}, ${info.chromium}\n`);
  printTable(rows);
  if (!weight) return;
  console.log('\nWhere the bundle bytes go (esbuild bundle of dist/index.js, minified, before compression):');
  for (const { group, bytes, share } of weight.breakdown) {
    console.log(`  ${group.padEnd(28)} ${kib(bytes).padStart(10)}  ${(share * 100).toFixed(1).padStart(5)}%`);
  }
  console.log(`  ${'total'.padEnd(28)} ${kib(weight.breakdownTotal).padStart(10)}`);

  const results = {
    machine: info,
    options: { calls, fileBytes, fileRuns },
    table: rows,
    weight,
    setup: setup ?? null,
    preview: preview ?? null,
    throughput: throughput ?? null,
    mesh: mesh ?? null,
    serverLoad: load ?? null,
  };
  writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwrote bench/results.json');

  const failed = rows.filter((r) => r.pass === false);
  if (failed.length) console.log(`${failed.length} figure(s) over budget or target: ${failed.map((r) => r.figure).join('; ')}`);
  if (args.enforce && failed.length) process.exitCode = 1;
}

await main();
