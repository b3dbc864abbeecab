import { setCustomElementsManifest, type Preview } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import manifest from '../custom-elements.json' with { type: 'json' };
import { axeViolations } from '../stories/support/axe.js';
import { disposeScriptedCalls } from '../stories/support/scripted-call.js';
import { storyThemeCss } from '../stories/support/theme.js';

interface Member {
  name: string;
  privacy?: string;
  static?: boolean;
}
interface Manifest {
  modules: { declarations?: { members?: Member[] }[] }[];
}

/** The manifest without private and protected members (`#leave`, `controller`): the docs show the public API. */
function publicApi(full: Manifest): Manifest {
  return {
    ...full,
    modules: full.modules.map((module) => ({
      ...module,
      declarations: module.declarations?.map((declaration) => ({
        ...declaration,
        members: declaration.members?.filter((m) => !m.name.startsWith('#') && (m.privacy ?? 'public') === 'public' && !m.static),
      })),
    })),
  };
}

// Attributes, properties, events, slots, CSS parts and custom properties in every docs
// page come from the elements' JSDoc, through custom-elements.json (`npm run analyze`).
setCustomElementsManifest(publicApi(manifest as Manifest));

const style = document.createElement('style');
style.textContent = storyThemeCss;
document.head.append(style);

const preview: Preview = {
  tags: ['autodocs'],
  globalTypes: {
    theme: {
      description: 'Colour theme of the elements',
      toolbar: {
        title: 'Theme',
        icon: 'contrast',
        dynamicTitle: true,
        items: [
          { value: 'auto', title: 'Follow the system' },
          { value: 'dark', title: 'Dark' },
          { value: 'light', title: 'Light' },
        ],
      },
    },
    lang: {
      description: 'Interface language',
      toolbar: {
        title: 'Language',
        icon: 'globe',
        dynamicTitle: true,
        items: [
          { value: 'en', title: 'English' },
          { value: 'nl', title: 'Nederlands' },
        ],
      },
    },
  },
  initialGlobals: { theme: 'auto', lang: 'en' },
  decorators: [
    // The toolbar's Theme forces a theme on everything in the story, as `<rtc-call theme>`
    // does; stories about following the system opt out with `parameters: { forcedTheme: false }`.
    (story, { globals, parameters }) => {
      const forced = parameters['forcedTheme'] !== false && (globals['theme'] === 'light' || globals['theme'] === 'dark');
      const theme = forced ? (globals['theme'] as string) : nothing;
      return html`<div class="rtc-story" data-theme=${theme} lang=${globals['lang'] ?? 'en'}>${story()}</div>`;
    },
  ],
  parameters: {
    controls: { expanded: true },
    docs: { source: { type: 'code' } },
  },
  // Scripted calls draw canvases on a timer: stop them when the story goes away.
  beforeEach: ({ id }) => () => disposeScriptedCalls(id),
  // In the story tests (.storybook/vitest.config.ts) every story is also checked with axe,
  // once per theme; `parameters: { axe: false }` opts a story out (none does).
  afterEach: async ({ globals, parameters, canvasElement }) => {
    if (globals['axe'] !== 'on' || parameters['axe'] === false) return;
    const violations = await axeViolations(canvasElement);
    if (violations.length) throw new Error(`axe (${globals['theme']} theme) found:\n${violations.join('\n')}`);
  },
};

export default preview;
