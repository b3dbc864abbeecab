// Storybook: the gallery of every element, with a scripted call so no camera or server is
// needed (stories/support/scripted-call.ts). `npm run storybook` serves it on :6006;
// `npm run build-storybook` writes storybook-static/. Stories import the TypeScript
// sources, so edits show at once.
import type { StorybookConfig } from '@storybook/web-components-vite';

/**
 * package.json's `sideEffects` names the define files of dist/ only, so a production build
 * that imports the sources would drop `import '.../rtc-call.js'` as side-effect free, and
 * no element would be defined. The sources' define files do have side effects.
 */
function defineFilesHaveSideEffects() {
  return {
    name: 'rtc-elements:define-files-have-side-effects',
    transform(code: string, id: string) {
      if (/[\\/]src[\\/]components[\\/][^\\/]+[\\/]rtc-[a-z-]+\.ts$/.test(id)) return { code, map: null, moduleSideEffects: true as const };
      return undefined;
    },
  };
}

const config: StorybookConfig = {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../stories/**/*.mdx', '../stories/**/*.stories.ts'],
  addons: ['@storybook/addon-docs'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  viteFinal(config) {
    config.plugins = [...(config.plugins ?? []), defineFilesHaveSideEffects()];
    // One copy of Lit. Left to itself the dev server (and the story tests) pre-bundle
    // `lit` but serve Storybook's own `lit/directive-helpers.js` import as is, which pulls
    // in a second lit-html ("Multiple versions of Lit loaded").
    config.optimizeDeps = { ...config.optimizeDeps, include: [...(config.optimizeDeps?.include ?? []), 'lit/directive-helpers.js'] };
    // The gallery's manager and docs chunks are big; that is fine for a gallery.
    config.build = { ...config.build, chunkSizeWarningLimit: 2000 };
    return config;
  },
};

export default config;
