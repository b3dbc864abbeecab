#!/usr/bin/env node
// `npm test`: everything, in one command, on a fresh machine.
//   1. a browser: Debian's Chromium (installed here when running as root on Debian)
//   2. the build (bundles, types, server) and a strict type check
//   3. element and browser-side core tests in Chromium (web-test-runner)
//   4. the Storybook gallery: built (storybook-static/), and every story run as a test in
//      Chromium, in the light and the dark theme, with axe (vitest + @storybook/addon-vitest)
//   5. the React and Vue examples, built with Vite (the framework end-to-end tests open them)
//   6. unit, server, package and end-to-end tests (Node's test runner, one file at a time)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { findChromium } from '../test/browser.mjs';

const require = createRequire(import.meta.url);

function step(label, args, options = {}) {
  console.log(`\n== ${label}`);
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\nnpm test: ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

function ensureChromium() {
  if (findChromium()) return;
  const isRoot = process.getuid?.() === 0;
  const isDebian = existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get');
  if (isRoot && isDebian) {
    console.log('npm test: Chromium is missing; installing Debian’s chromium package…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (findChromium()) return;
  }
  console.error(`npm test: no Chromium found. The browser tests need one:
  - on Debian or Ubuntu:  sudo apt-get install -y chromium
  - or point CHROMIUM_PATH at a Chromium or Chrome binary:  CHROMIUM_PATH=/path/to/chrome npm test`);
  process.exit(1);
}

/** Test files under `dir` whose names end with `suffix` (sorted, so runs are repeatable). */
function testFiles(dir, suffix, exclude) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(suffix) && !(exclude && f.endsWith(exclude)))
    .sort()
    .map((f) => join(dir, f));
}

ensureChromium();
step('build', ['scripts/build.mjs']);
step('type check', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
step('browser tests (web-test-runner)', ['node_modules/@web/test-runner/dist/bin.js']);
step('storybook build', ['node_modules/storybook/dist/bin/dispatcher.js', 'build', '--quiet', '--disable-telemetry', '-o', 'storybook-static']);
step('story tests (storybook + vitest)', ['node_modules/vitest/vitest.mjs', 'run', '--config', '.storybook/vitest.config.ts']);
step('examples build (vite)', ['examples/build.mjs']);
step('unit, server, package and end-to-end tests (node --test)', [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  ...testFiles('test/core', '.test.ts', '.browser.test.ts'),
  ...testFiles('test/server', '.test.ts'),
  ...testFiles('test/package', '.test.ts'),
  ...testFiles('test/e2e', '.test.ts'),
]);
