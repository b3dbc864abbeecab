/**
 * Figure 1, weight: what a page downloads for rtc-elements, gzip (level 9) and brotli,
 * against Lit and socket.io-client bundled the same way in the same run.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

export interface WeightResult {
  full: Sizes;
  core: Sizes;
  lit: Sizes;
  socketIoClient: Sizes;
  litPlusSocketIoClient: Sizes;
  /** Minified bytes by npm package or by our own folder under dist/, largest first (esbuild's `bytesInOutput`). */
  breakdown: { group: string; bytes: number; share: number }[];
  breakdownTotal: number;
}

export function sizesOf(code: Uint8Array | string): Sizes {
  const buffer = typeof code === 'string' ? Buffer.from(code) : Buffer.from(code);
  return {
    raw: buffer.byteLength,
    gzip: gzipSync(buffer, { level: 9 }).byteLength,
    brotli: brotliCompressSync(buffer, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buffer.byteLength },
    }).byteLength,
  };
}

/** Bundles and minifies like the issue says: ESM, browser, `browser` and `production` conditions. */
async function bundle(entry: { file: string } | { source: string }): Promise<{ code: Uint8Array; metafile: Metafile }> {
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.source, resolveDir: process.cwd(), loader: 'js' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser', 'production'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'bench-out.js',
  });
  const out = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
  return { code: out.contents, metafile: result.metafile };
}

/** `node_modules/@scope/name/...` → `@scope/name`; `dist/core/peer/x.js` → `ours: core/peer`. */
function groupOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = input.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = input.replace(/^.*?dist\//, '').split('/');
  dist.pop();
  return `ours: ${dist.length ? dist.slice(0, 2).join('/') : '(root)'}`;
}

export async function measureWeight(): Promise<WeightResult> {
  const full = sizesOf(readFileSync('dist/rtc-elements.min.js'));
  const core = (await bundle({ file: './dist/core/index.js' })).code;
  const lit = (await bundle({ source: "export * from 'lit';" })).code;
  const sio = (await bundle({ source: "export * from 'socket.io-client';" })).code;
  const both = (await bundle({ source: "export * from 'lit';\nexport * from 'socket.io-client';" })).code;

  // The breakdown: esbuild bundling the same entry rollup bundles (close to, not exactly, rollup + terser).
  const { metafile } = await bundle({ file: './dist/index.js' });
  const output = Object.values(metafile.outputs)[0]!;
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const group = groupOf(input);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  const breakdownTotal = [...groups.values()].reduce((a, b) => a + b, 0);
  const breakdown = [...groups]
    .map(([group, bytes]) => ({ group, bytes, share: bytes / breakdownTotal }))
    .sort((a, b) => b.bytes - a.bytes);

  return {
    full,
    core: sizesOf(core),
    lit: sizesOf(lit),
    socketIoClient: sizesOf(sio),
    litPlusSocketIoClient: sizesOf(both),
    breakdown,
    breakdownTotal,
  };
}

/** One source module's share of `dist/rtc-elements.min.js`. */
export interface ModuleWeight {
  /** The module, as the source map names it (`core/call.js`, `node_modules/lit-html/lit-html.js`). */
  module: string;
  /** Minified bytes in the bundle. */
  raw: number;
  /** What the bundle's gzip (level 9) would lose without those bytes: the bytes to win by cutting it. */
  gzip: number;
}

/**
 * The per-module breakdown of the real bundle (rollup + terser), from its source map: each
 * module's minified bytes, and its marginal gzip cost. The costs do not add up exactly to
 * the bundle's gzip size (compression shares context between modules), but they rank the
 * modules by what cutting them would save. About a second: not part of `measureWeight`.
 */
export function moduleWeights(file = 'dist/rtc-elements.min.js'): ModuleWeight[] {
  // Source map columns count UTF-16 code units: index the code as a JS string.
  const code = readFileSync(file, 'utf8');
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
  // Which source each character of the bundle came from: a segment runs to the next one,
  // across lines too (a CSS or HTML template literal spans many).
  const owner = new Int16Array(code.length).fill(-1);
  let lineStart = 0;
  let source = 0;
  let last: { at: number; source: number } | null = null;
  for (const line of map.mappings.split(';')) {
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      // Fields: column, then (if mapped) source, original line and column, name; all deltas.
      const fields = decodeVlq(segment);
      column += fields[0]!;
      if (last) owner.fill(last.source, last.at, lineStart + column);
      if (fields.length > 1) source += fields[1]!;
      last = fields.length > 1 ? { at: lineStart + column, source } : null;
    }
    lineStart = code.indexOf('\n', lineStart) + 1 || code.length;
  }
  if (last) owner.fill(last.source, last.at, code.length);
  const gzip = (text: string): number => gzipSync(text, { level: 9 }).byteLength;
  const full = gzip(code);
  const weights: ModuleWeight[] = [];
  for (const index of new Set(owner)) {
    if (index === -1) continue;
    let mine = '';
    let rest = '';
    for (let i = 0; i < code.length; ) {
      let j = i;
      while (j < code.length && (owner[j] === index) === (owner[i] === index)) j++;
      if (owner[i] === index) mine += code.slice(i, j);
      else rest += code.slice(i, j);
      i = j;
    }
    const module = map.sources[index]!.replace(/^.*node_modules\//, 'node_modules/').replace(/^(\.\.\/)+/, '');
    weights.push({ module, raw: Buffer.byteLength(mine), gzip: full - gzip(rest) });
  }
  return weights.sort((a, b) => b.gzip - a.gzip);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One source map segment's base64 VLQ fields. */
function decodeVlq(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return fields;
}

// `node --import tsx bench/weight.ts` (after `npm run build`): the sizes and the per-module breakdown.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const weight = await measureWeight();
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`dist/rtc-elements.min.js  ${weight.full.raw} bytes, ${weight.full.gzip} gzip (${kib(weight.full.gzip)}), ${weight.full.brotli} brotli`);
  console.log(`rtc-elements/core         ${weight.core.raw} bytes, ${weight.core.gzip} gzip (${kib(weight.core.gzip)}), ${weight.core.brotli} brotli`);
  console.log('\nBy module: minified bytes, and the gzip bytes the bundle would lose without them');
  for (const { module, raw, gzip } of moduleWeights()) console.log(`  ${String(gzip).padStart(6)} ${String(raw).padStart(7)}  ${module}`);
}
