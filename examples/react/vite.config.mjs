// The React example, built from the repository root with `npm run build:examples`
// (after `npm run build`). In an app of your own, `npm install rtc-elements react
// react-dom` and drop the alias: `rtc-elements/react` then comes from the package.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  // React's JSX without @vitejs/plugin-react: Vite's own transform does it.
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: {
    // This repository's build, standing in for the installed package.
    alias: [
      { find: /^rtc-elements$/, replacement: here('../../dist/index.js') },
      { find: /^rtc-elements\/react$/, replacement: here('../../dist/react/index.js') },
    ],
  },
  build: { outDir: here('dist'), emptyOutDir: true },
});
