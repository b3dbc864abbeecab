#!/usr/bin/env node
// `npm run build:examples`: builds the React and Vue examples into examples/*/dist, from
// this repository's dist/ (run `npm run build` first). The script-tag example needs no
// build. Serve a dist folder with any static server and open it with
// `?room=NAME&server=http://localhost:3000` (`npm start` runs that server).
import { existsSync } from 'node:fs';
import { build } from 'vite';

if (!existsSync(new URL('../dist/react/index.js', import.meta.url))) {
  console.error('build:examples: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
for (const name of ['react', 'vue']) {
  const started = Date.now();
  await build({ configFile: new URL(`./${name}/vite.config.mjs`, import.meta.url).pathname });
  console.log(`build: examples/${name} (${Date.now() - started} ms)`);
}
