/**
 * What `npm publish` would ship (`npm pack --dry-run`), checked against package.json and
 * against what a browser may load. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseAst } from 'rollup/parseAst';

interface PackageJson {
  main: string;
  module: string;
  types: string;
  customElements: string;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  sideEffects: string[];
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
let packed: Set<string>;

before(() => {
  assert.ok(existsSync('dist/index.js') && existsSync('custom-elements.json'), 'run npm run build first');
  // --ignore-scripts: no `prepack` build; this checks the build that is there.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const output = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [result] = JSON.parse(output) as [{ files: { path: string }[] }];
  packed = new Set(result.files.map((file) => file.path));
});

const strip = (path: string): string => normalize(path).replace(/^\.\//, '');

/** A package.json glob (`*` within a folder, `**` across folders) as a RegExp. */
function globToRegExp(glob: string): RegExp {
  const source = strip(glob)
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\u0000/g, '(?:.*/)?');
  return new RegExp(`^${source}$`);
}

/** Import specifiers (static, re-export and dynamic) of one ES module. */
function importsOf(file: string): string[] {
  const ast = parseAst(readFileSync(file, 'utf8')) as unknown as { body: { type: string; source?: { value: unknown } | null }[] };
  const specifiers: string[] = [];
  for (const node of ast.body) {
    if (node.source && typeof node.source.value === 'string') specifiers.push(node.source.value);
  }
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every file an entry reaches through relative imports, and the bare specifiers it asks for. */
function graph(entry: string): { files: string[]; bare: Set<string> } {
  const files: string[] = [];
  const bare = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) queue.push(join(dirname(file), specifier));
      else bare.add(specifier);
    }
  }
  return { files, bare };
}

/** The package a bare specifier names (`lit/decorators.js` → `lit`, `@lit/react` → `@lit/react`). */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Packages that only the signal server may use. */
const SERVER_ONLY = ['socket.io', '@socket.io/redis-streams-adapter', 'redis', 'pino', 'prom-client', 'jose'];

/**
 * Strings that each server-side package holds, so a bundle holding one has that package
 * inside. The test first checks each is really in its package (a marker that vanished
 * from its package would prove nothing).
 */
const SERVER_MARKERS: [string, string][] = [
  ['node_modules/engine.io/build/server.js', 'allowEIO3'], // socket.io's server
  ['node_modules/pino/pino.js', 'customLevels'],
  ['node_modules/prom-client/index.js', 'collectDefaultMetrics'],
  ['node_modules/jose/dist/webapi/util/errors.js', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
  ['signal-server/cli.ts', 'rtc-signal-server'],
];
/** The same for React and @lit/react, which only `rtc-elements/react` may bring. */
const REACT_MARKERS: [string, string][] = [
  ['node_modules/react/cjs/react.production.js', 'react.transitional.element'],
  ['node_modules/@lit/react/create-component.js', 'defer-hydration'],
];

describe('the npm package', () => {
  it('ships the bundles, the ES modules with their types, the manifest and the server CLI', () => {
    for (const file of [
      'package.json',
      'README.md',
      'custom-elements.json',
      'dist/rtc-elements.min.js',
      'dist/rtc-elements.iife.min.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/core/index.js',
      'dist/core/index.d.ts',
      'dist/react/index.js',
      'dist/react/index.d.ts',
      'dist/server/signal-server/cli.js',
    ]) {
      assert.ok(packed.has(file), `${file} is in the package`);
    }
  });

  it('ships no sources, tests, examples or repository files', () => {
    const stray = [...packed].filter((path) => /^(src|test|examples|scripts|signal-server|stories|bench|node_modules|\.ci|\.github)\//.test(path) || /(^|\/)(tsconfig[^/]*\.json|\.gitignore|rollup\.config\.mjs|custom-elements-manifest\.config\.mjs|web-test-runner\.config\.mjs|package-lock\.json)$/.test(path) || path.endsWith('.tsbuildinfo'));
    assert.deepEqual(stray, []);
  });

  it('every entry point in package.json points at a shipped file', () => {
    const targets = [pkg.main, pkg.module, pkg.types, pkg.customElements, ...Object.values(pkg.bin)];
    for (const target of Object.values(pkg.exports)) {
      targets.push(...(typeof target === 'string' ? [target] : [target.types, target.default]));
    }
    for (const target of targets) assert.ok(packed.has(strip(target)), `${target} is in the package`);
  });

  it('exports ".", "./core" and "./react", each with types before default', () => {
    for (const [entry, file] of [
      ['.', 'index'],
      ['./core', 'core/index'],
      ['./react', 'react/index'],
    ] as const) {
      const target = pkg.exports[entry];
      assert.ok(target && typeof target === 'object', `exports["${entry}"]`);
      assert.deepEqual(Object.keys(target), ['types', 'default'], 'the types condition comes first');
      assert.equal(target.types, `./dist/${file}.d.ts`);
      assert.equal(target.default, `./dist/${file}.js`);
    }
  });

  it('React is an optional peer, never a dependency; @lit/react is a dependency', () => {
    assert.ok(pkg.peerDependencies?.react, 'react is a peer dependency');
    assert.equal(pkg.peerDependenciesMeta?.react?.optional, true);
    assert.equal(pkg.dependencies.react, undefined);
    assert.equal(pkg.dependencies['react-dom'], undefined);
    assert.ok(pkg.dependencies['@lit/react']);
  });

  it('sideEffects names the define files, the entry and the bundles, and not the element classes', () => {
    const patterns = pkg.sideEffects.map(globToRegExp);
    const sideEffect = (file: string) => patterns.some((pattern) => pattern.test(file));
    const defineFiles = [...packed].filter((path) => /^dist\/components\/[^/]+\/rtc-[a-z-]+\.js$/.test(path));
    assert.equal(defineFiles.length, 8, 'one define file per element');
    for (const file of [...defineFiles, 'dist/index.js', 'dist/rtc-elements.min.js', 'dist/rtc-elements.iife.min.js']) {
      assert.ok(sideEffect(file), `${file} is marked as having side effects`);
    }
    for (const file of ['dist/components/call/call.js', 'dist/components/controls/controls.js', 'dist/core/index.js', 'dist/core/call.js']) {
      assert.ok(!sideEffect(file), `${file} is side-effect free (tree-shakable)`);
    }
  });

  it('the browser entry points import no server-only or Node code, and no React but from ./react', () => {
    for (const [entry, allowed] of [
      // The socket.io protocol is spoken by our own client: no socket.io-client at all.
      ['dist/index.js', ['lit', '@lit/context']],
      ['dist/core/index.js', []],
      ['dist/react/index.js', ['lit', '@lit/context', '@lit/react', 'react']],
    ] as const) {
      const { files, bare } = graph(entry);
      assert.ok(files.length > 3, `${entry} reaches its modules`);
      for (const file of files) assert.ok(!file.startsWith('dist/server/'), `${entry} reaches ${file}`);
      const packages = [...bare].map(packageOf);
      for (const name of packages) {
        assert.ok(!name.startsWith('node:'), `${entry} imports ${name}`);
        assert.ok(!SERVER_ONLY.includes(name), `${entry} imports the server-only ${name}`);
        assert.ok((allowed as readonly string[]).includes(name), `${entry} imports ${name}, which is not expected in a browser module`);
      }
      if (entry === 'dist/core/index.js') assert.ok(!packages.includes('lit'), 'the core has no Lit');
    }
  });

  it('the script-tag bundles are self-contained and hold no server code and no React', () => {
    for (const [file, marker] of [...SERVER_MARKERS, ...REACT_MARKERS]) {
      assert.ok(readFileSync(file, 'utf8').includes(marker), `the marker "${marker}" is really in ${file}`);
    }
    for (const bundle of ['dist/rtc-elements.min.js', 'dist/rtc-elements.iife.min.js']) {
      const text = readFileSync(bundle, 'utf8');
      assert.deepEqual(importsOf(bundle), [], `${bundle} imports nothing`);
      assert.doesNotMatch(text, /\brequire\(\s*["'`]/, `${bundle} has no require()`);
      assert.doesNotMatch(text, /["'`]node:[a-z]/, `${bundle} names no node: module`);
      for (const [file, marker] of [...SERVER_MARKERS, ...REACT_MARKERS]) {
        assert.ok(!text.includes(marker), `${bundle} holds "${marker}" (from ${file})`);
      }
    }
  });
});
