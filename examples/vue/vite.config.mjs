// The Vue example, built from the repository root with `npm run build:examples` (after
// `npm run build`). In an app of your own, `npm install rtc-elements vue` and drop the
// alias. What matters is `isCustomElement`: it tells Vue that `<rtc-*>` tags are custom
// elements, not Vue components.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('rtc-') } } })],
  resolve: {
    // This repository's build, standing in for the installed package.
    alias: [{ find: /^rtc-elements$/, replacement: here('../../dist/index.js') }],
  },
  build: { outDir: here('dist'), emptyOutDir: true },
});
