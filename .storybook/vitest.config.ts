// The story tests: every story runs as a test in real Chromium, twice, once in the light
// theme and once in the dark one (forced through the toolbar's Theme global, with the
// system's `prefers-color-scheme` set to match). Each run renders the story, runs its
// `play` function (the assertions), then checks the result with axe: WCAG 2.1 A/AA,
// contrast included (`afterEach` in preview.ts). Stories tagged `!test` (the live call)
// are left out. `npm run test:stories` runs them; `npm test` too.
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { ALLOW_MEDIA_FLAGS, FAKE_MEDIA_FLAGS, QUIET_FLAGS, findChromium } from '../test/browser.mjs';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** A fresh object per project: Vitest writes into it. */
const browser = (colorScheme: 'light' | 'dark') => ({
  enabled: true,
  headless: true,
  viewport: { width: 1280, height: 900 },
  provider: playwright({
    // The system's preference too, for the stories that follow it.
    contextOptions: { colorScheme },
    // Debian's Chromium (or CHROMIUM_PATH), with the flags every other browser test uses:
    // headless, no sandbox (root), no GPU, a fake camera and microphone, and no prompts.
    launchOptions: {
      executablePath: findChromium() ?? '/usr/bin/chromium',
      args: [...QUIET_FLAGS, ...FAKE_MEDIA_FLAGS, ...ALLOW_MEDIA_FLAGS],
    },
  }),
  instances: [{ browser: 'chromium' as const }],
});

function project(theme: 'light' | 'dark'): TestProjectInlineConfiguration {
  return {
    extends: true,
    plugins: [storybookTest({ configDir: here('.'), initialGlobals: { theme, axe: 'on' } })],
    // The live call needs a real camera and a running server: it is for people, not CI.
    test: { name: `stories (${theme})`, browser: browser(theme), exclude: ['**/node_modules/**', 'stories/live.stories.ts'] },
  };
}

export default defineConfig({
  root: here('..'),
  test: {
    projects: [project('light'), project('dark')],
    // Lit says this once per test file; the development build is what the dev server serves.
    onConsoleLog: (log) => !log.includes('Lit is in dev mode'),
  },
});
