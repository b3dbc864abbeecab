/**
 * The package's types, as an app sees them: fixtures are compiled with `tsc` against the
 * BUILT declarations (dist/*.d.ts), reached through package.json `exports` as an
 * installed `rtc-elements` (a symlink in a scratch project), with the resolution modes
 * apps use (NodeNext, and Bundler as Vite projects set it).
 *
 * test/package/fixtures/consumer.tsx.fixture must compile (and its `@ts-expect-error`
 * lines must still be errors); wrong-detail.ts.fixture must not, proving the check bites.
 * The fixtures are not `.ts` files so that the repository's own type check skips them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = process.cwd();
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const fixtures = join(root, 'test/package/fixtures');
let project: string;

/** A scratch app with `rtc-elements` (this repository), `react` and `@types/*` installed as symlinks. */
before(() => {
  for (const file of ['dist/index.d.ts', 'dist/core/index.d.ts', 'dist/react/index.d.ts']) {
    assert.ok(existsSync(join(root, file)), `${file} is missing: run npm run build`);
  }
  project = mkdtempSync(join(tmpdir(), 'rtc-elements-types-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules/rtc-elements'), 'dir');
  symlinkSync(join(root, 'node_modules/react'), join(project, 'node_modules/react'), 'dir');
  symlinkSync(join(root, 'node_modules/@types'), join(project, 'node_modules/@types'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }));
});
after(() => rmSync(project, { recursive: true, force: true }));

/** Writes a tsconfig for one fixture in the scratch app; returns its path. */
function configFor(fixture: string, moduleResolution: 'NodeNext' | 'Bundler', skipLibCheck: boolean): string {
  const name = fixture.replace(/\.fixture$/, '');
  copyFileSync(join(fixtures, fixture), join(project, name));
  const config = join(project, `tsconfig.${name}.${moduleResolution}${skipLibCheck ? '' : '.libcheck'}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext',
        moduleResolution,
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        jsx: 'react-jsx',
        strict: true,
        noEmit: true,
        skipLibCheck,
        types: [],
      },
      files: [name],
    }),
  );
  return config;
}

/** Runs tsc (in parallel with the other tests: they are independent). */
function tsc(config: string, ...args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [tscBin, '-p', config, '--pretty', 'false', ...args], { cwd: project });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => done({ status, output }));
  });
}

describe('the published types', { concurrency: true }, () => {
  // NodeNext also checks our own .d.ts files (skipLibCheck off), not only their use.
  for (const [mode, skipLibCheck] of [
    ['NodeNext', false],
    ['Bundler', true],
  ] as const) {
    it(`an app's use of every entry point compiles (${mode} resolution), and its wrong uses do not`, async () => {
      const { status, output } = await tsc(configFor('consumer.tsx.fixture', mode, skipLibCheck));
      assert.equal(output.trim(), '', 'no diagnostics');
      assert.equal(status, 0);
    });
  }

  it('the check bites: e.detail.nope on rtc-joined fails to compile', async () => {
    const { status, output } = await tsc(configFor('wrong-detail.ts.fixture', 'NodeNext', true));
    assert.notEqual(status, 0, output);
    const errors = output.split('\n').filter((line) => line.includes('error TS'));
    assert.equal(errors.length, 1, output);
    assert.match(errors[0]!, /^wrong-detail\.ts\(5,\d+\): error TS2339: Property 'nope' does not exist on type '\{ selfId: string; \}'/);
  });

  it('the declarations come from dist/, none from src/', async () => {
    const { output } = await tsc(configFor('consumer.tsx.fixture', 'NodeNext', true), '--listFilesOnly');
    const ours = output.split('\n').filter((f) => f.startsWith(root) && !f.includes('/node_modules/'));
    for (const entry of ['dist/index.d.ts', 'dist/core/index.d.ts', 'dist/react/index.d.ts']) {
      assert.ok(ours.includes(join(root, entry)), `${entry} in:\n${ours.join('\n')}`);
    }
    assert.deepEqual(ours.filter((f) => !f.startsWith(join(root, 'dist/'))), []);
  });
});
