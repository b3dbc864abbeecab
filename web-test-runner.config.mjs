// Element and browser-side core tests, in real Chromium with a fake camera, against the
// real signal server attached to the test runner's own HTTP server (same origin, no CORS).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { createSignalServer } from './dist/server/signal-server/server.js';
import { ALLOW_MEDIA_FLAGS, FAKE_MEDIA_FLAGS, QUIET_FLAGS, findChromium } from './test/browser.mjs';

/** Starts the real signal server on the runner's HTTP server. */
function signalServerPlugin() {
  let signal;
  return {
    name: 'rtc-signal-server',
    serverStart({ server }) {
      signal = createSignalServer(server, { roomCapacity: 3 });
    },
    async serverStop() {
      await signal?.close();
    },
  };
}

export default {
  files: ['test/components/**/*.test.ts', 'test/core/**/*.browser.test.ts'],
  nodeResolve: { browser: true, exportConditions: ['browser', 'production'] },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), signalServerPlugin()],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: findChromium(),
        headless: true,
        args: [...QUIET_FLAGS, ...FAKE_MEDIA_FLAGS, ...ALLOW_MEDIA_FLAGS],
      },
    }),
  ],
  concurrency: 1,
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 300000,
};
