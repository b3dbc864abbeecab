#!/usr/bin/env node
// One build for everything `npm start`, `npm test` and `npm publish` need:
//   dist/            ES modules and .d.ts for npm (tsc)
//   dist/server/     the signal server (tsc)
//   dist/*.min.js    the self-contained script-tag bundles (rollup)
//   custom-elements.json  the elements' manifest (`npm run analyze`), from the class JSDoc
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const rollup = require.resolve('rollup/dist/bin/rollup');
const cem = require.resolve('@custom-elements-manifest/analyzer/cem.js');

function run(label, file, args) {
  const started = Date.now();
  execFileSync(process.execPath, [file, ...args], { stdio: 'inherit' });
  console.log(`build: ${label} (${Date.now() - started} ms)`);
}

rmSync('dist', { recursive: true, force: true });
run('library', tsc, ['-p', 'tsconfig.build.json']);
run('signal server', tsc, ['-p', 'tsconfig.server.json']);
run('bundles', rollup, ['-c', '--silent']);
run('custom-elements.json', cem, ['analyze', '--quiet']);
