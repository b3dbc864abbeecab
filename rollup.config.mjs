// The two self-contained browser bundles, made from the ES modules that `tsc` wrote to
// dist/ (so types and bundles come from one compile). Lit goes inside; the socket.io
// protocol is spoken by our own small client (src/core/signaling/socket-io-connection.ts).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const minify = (options) => terser({ ecma: 2020, format: { comments: false }, ...options });

export default {
  input: 'dist/index.js',
  // Lit's production build.
  plugins: [nodeResolve({ browser: true, exportConditions: ['browser', 'production'] })],
  output: [
    { file: 'dist/rtc-elements.min.js', format: 'es', sourcemap: true, plugins: [minify({ module: true })] },
    // Not `module: true` here: it implies `toplevel`, which would drop the `RtcElements` global.
    { file: 'dist/rtc-elements.iife.min.js', format: 'iife', name: 'RtcElements', sourcemap: true, plugins: [minify({})] },
  ],
};
