/**
 * Figure 1, weight: what a page downloads for rtc-elements, gzip (level 9) and brotli,
 * against Lit and socket.io-client bundled the same way in the same run.
 */
import { readFileSync } from 'node:fs';
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
