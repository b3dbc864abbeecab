// The two self-contained browser bundles, made from the ES modules that `tsc` wrote to
// dist/ (so types and bundles come from one compile). Lit and socket.io-client go inside.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const plugins = [
  // The browser builds of socket.io-client and its `debug` dependency; Lit's production build.
  nodeResolve({ browser: true, exportConditions: ['browser', 'production'] }),
  terser({ ecma: 2020, module: true, format: { comments: false } }),
];

export default {
  input: 'dist/index.js',
  plugins,
  output: [
    { file: 'dist/rtc-elements.min.js', format: 'es', sourcemap: true },
    { file: 'dist/rtc-elements.iife.min.js', format: 'iife', name: 'RtcElements', sourcemap: true },
  ],
};
