import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, type TemplateResult } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '../src/components/call/rtc-call.js';
import '../src/components/chat/rtc-chat.js';
import '../src/components/controls/rtc-controls.js';
import '../src/components/participant-grid/rtc-participant-grid.js';
import { THEME_TOKENS, type ThemeName } from '../src/components/shared/styles.js';
import themingDoc from '../docs/theming.md?raw';
import manifest from '../custom-elements.json' with { type: 'json' };
import { axeViolations } from './support/axe.js';
import { CALL_ARGS, callIn, renderCall, scriptFor } from './support/call-story.js';
import { deep, find, text } from './support/dom.js';
import { people, scriptedCall } from './support/scripted-call.js';
import { effectiveTheme, tokenRgb } from './support/theme.js';

const meta = {
  title: 'Theming',
  tags: ['!autodocs'],
  parameters: {
    docs: {
      description: {
        component: 'Light and dark themes, `--rtc-*` overrides, and a whole call restyled as another product. See docs/theming.md.',
      },
    },
  },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/** docs/theming.md's property table, by property: `['', property, meaning, dark, light, '']`. */
const DOC_ROWS = new Map(
  themingDoc
    .split('\n')
    .filter((line) => line.startsWith('| `--rtc-'))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => [cells[1]!.replaceAll('`', ''), cells]),
);

/** A busy call: people muted and off camera, poor network, someone recording, the chat open. */
function busyCall(storyId: string, theme: ThemeName | 'auto'): TemplateResult {
  const args = { ...CALL_ARGS, theme, participants: 4, someoneMuted: true, someoneCameraOff: true, quality: 'poor' as const, recording: 'someone' as const, chat: true };
  return renderCall(args, storyId);
}

/** The colours an element actually shows, against a theme's defaults. */
async function expectTheme(canvas: HTMLElement, theme: ThemeName): Promise<void> {
  const call = await callIn(canvas);
  const chatButton = await find<HTMLButtonElement>(call, 'rtc-controls', '[part~="chat-button"]');
  chatButton.click();
  const chat = await find(call, '[part="panel"] rtc-chat');
  const mic = deep(call, 'rtc-controls', '[part~="mic-button"]')!;
  // <rtc-call> itself, and the elements inside its shadow root (inherited through it).
  expect(getComputedStyle(call).backgroundColor).toBe(tokenRgb(theme, '--rtc-color-background'));
  expect(getComputedStyle(call).color).toBe(tokenRgb(theme, '--rtc-color-text'));
  expect(getComputedStyle(mic).backgroundColor).toBe(tokenRgb(theme, '--rtc-color-surface-raised'));
  expect(getComputedStyle(chat).backgroundColor).toBe(tokenRgb(theme, '--rtc-color-surface'));
  expect(getComputedStyle(deep(chat, '[part="send-button"]')!).backgroundColor).toBe(tokenRgb(theme, '--rtc-color-accent'));
  expect(getComputedStyle(call).colorScheme).toBe(theme);
  // Contrast and the rest of WCAG AA, with the chat, error-free states and badges on screen.
  expect(await axeViolations(call)).toEqual([]);
}

export const Light: Story = {
  name: 'Light (theme="light")',
  render: (_, { id }) => busyCall(id, 'light'),
  play: async ({ canvasElement }) => expectTheme(canvasElement, 'light'),
};

export const Dark: Story = {
  name: 'Dark (theme="dark")',
  render: (_, { id }) => busyCall(id, 'dark'),
  play: async ({ canvasElement }) => expectTheme(canvasElement, 'dark'),
};

export const FollowTheSystem: Story = {
  name: 'Follow the system (no theme)',
  // The toolbar's theme would force one: this story shows what the system prefers.
  parameters: { forcedTheme: false },
  render: (_, { id }) => html`
    <p class="story-note">No <code>theme</code> attribute: the call and an element used on its own follow <code>prefers-color-scheme</code>.</p>
    ${busyCall(id, 'auto')}
    <rtc-chat .call=${scriptedCall(`${id}:alone`, scriptFor({ ...CALL_ARGS, chat: true }))} style="margin-top: 16px; --rtc-chat-height: 14rem"></rtc-chat>
  `,
  play: async ({ canvasElement }) => {
    const theme = effectiveTheme(null);
    await expectTheme(canvasElement, theme);
    const alone = canvasElement.querySelector<HTMLElement>('rtc-chat')!;
    expect(getComputedStyle(alone).backgroundColor).toBe(tokenRgb(theme, '--rtc-color-surface'));
    expect(getComputedStyle(alone).color).toBe(tokenRgb(theme, '--rtc-color-text'));
  },
};

export const SideBySide: Story = {
  name: 'Side by side',
  parameters: { layout: 'fullscreen' },
  render: (_, { id }) => html`
    <div style="display: grid; grid-template-columns: 1fr 1fr; gap: 16px">
      ${(['light', 'dark'] as const).map(
        (theme) =>
          html`<rtc-call
            style="height: 460px"
            room="side-by-side"
            theme=${theme}
            .call=${scriptedCall(`${id}:${theme}`, scriptFor({ ...CALL_ARGS, participants: 4, someoneMuted: true, someoneCameraOff: true, activeSpeaker: true }))}
          ></rtc-call>`,
      )}
    </div>
  `,
  play: async ({ canvasElement }) => {
    const [light, dark] = [...canvasElement.querySelectorAll('rtc-call')];
    await waitFor(() => expect(deep(dark!, 'rtc-controls', '[part~="mic-button"]')).not.toBeNull());
    expect(getComputedStyle(light!).backgroundColor).toBe(tokenRgb('light', '--rtc-color-background'));
    expect(getComputedStyle(dark!).backgroundColor).toBe(tokenRgb('dark', '--rtc-color-background'));
    // A forced theme reaches nested shadow roots: a tile inside the grid inside the call.
    const tile = (call: Element) => deep(call, 'rtc-participant-grid', 'rtc-remote-video[participant="p2"]', '[part="tile"]')!;
    expect(getComputedStyle(tile(light!)).backgroundColor).toBe(tokenRgb('light', '--rtc-color-surface'));
    expect(getComputedStyle(tile(dark!)).backgroundColor).toBe(tokenRgb('dark', '--rtc-color-surface'));
  },
};

export const OwnLayout: Story = {
  name: 'Your own layout inherits the theme',
  render: (_, { id }) => html`
    <rtc-call room="own-layout" theme="dark" .call=${scriptedCall(id, scriptFor({ ...CALL_ARGS, participants: 2, someoneMuted: true }))}>
      <rtc-participant-grid style="height: 300px"></rtc-participant-grid>
      <rtc-controls></rtc-controls>
    </rtc-call>
  `,
  play: async ({ canvasElement }) => {
    // Children in the page (not in <rtc-call>'s shadow root) take its theme too, even
    // inside a page region forced to the other one (the toolbar's theme, in the tests).
    const mic = await find(canvasElement, 'rtc-controls', '[part~="mic-button"]');
    expect(getComputedStyle(mic).backgroundColor).toBe(tokenRgb('dark', '--rtc-color-surface-raised'));
    const tile = await find(canvasElement, 'rtc-participant-grid', 'rtc-remote-video', '[part="tile"]');
    expect(getComputedStyle(tile).backgroundColor).toBe(tokenRgb('dark', '--rtc-color-surface'));
  },
};

export const Overrides: Story = {
  name: '--rtc-* overrides beat the theme',
  render: (_, { id }) => html`
    <rtc-call
      style="height: 480px; --rtc-color-accent: #7c3aed; --rtc-color-surface: #fdf4ff; --rtc-radius: 2px"
      room="overrides"
      theme="light"
      .call=${scriptedCall(id, scriptFor({ ...CALL_ARGS, participants: 3, activeSpeaker: true, error: 'room-full', state: 'failed' }))}
    ></rtc-call>
  `,
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const retry = await find(call, '[part="retry-button"]');
    expect(getComputedStyle(retry).backgroundColor).toBe('rgb(124, 58, 237)');
    expect(getComputedStyle(call).borderRadius).toBe('2px');
    retry.click();
    const tile = await find(call, 'rtc-participant-grid', 'rtc-remote-video[participant="p1"]', '[part="tile"]');
    expect(getComputedStyle(tile).backgroundColor).toBe('rgb(253, 244, 255)');
    await waitFor(() => expect(getComputedStyle(tile).outlineColor).toBe('rgb(124, 58, 237)'));
  },
};

// ---------------------------------------------------------------------------------------
// A whole call restyled as another product, "Meadow", with --rtc-* properties and ::part
// only. It uses its own layout (elements as children of <rtc-call>), so every element's
// parts are reachable from the page.

const meadowCss = `
  .meadow { font-family: Georgia, 'Times New Roman', serif; color: #2f2a1f; background: #f3efe6; padding: 12px; border-radius: 6px; }
  .meadow-bar { display: flex; align-items: baseline; gap: 12px; margin: 0 0 12px; }
  .meadow-bar strong { font-size: 1.3rem; color: #2f6b3a; }
  .meadow-layout { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 12px; align-items: start; }
  .meadow rtc-call {
    --rtc-color-scheme: light;
    --rtc-color-background: #f3efe6;
    --rtc-color-surface: #fffdf8;
    --rtc-color-surface-raised: #e9e2d0;
    --rtc-color-text: #2f2a1f;
    --rtc-color-text-muted: #5e5645;
    --rtc-color-accent: #2f6b3a;
    --rtc-color-accent-text: #ffffff;
    --rtc-color-danger: #a4342a;
    --rtc-color-focus: #b7791f;
    --rtc-color-overlay: rgb(255 253 248 / 0.92);
    --rtc-color-overlay-text: #2f2a1f;
    --rtc-color-mic-off: #a4342a;
    --rtc-radius: 4px;
    --rtc-gap: 12px;
    --rtc-font-family: Georgia, 'Times New Roman', serif;
    --rtc-tile-aspect-ratio: 4 / 3;
    --rtc-tile-background: #e9e2d0;
    --rtc-avatar-background: #2f6b3a;
    --rtc-speaking-outline: 4px solid #b7791f;
    --rtc-control-background: #fffdf8;
    --rtc-chat-height: 420px;
    --rtc-chat-self-bubble-background: #dcebd5;
    display: block;
    padding: 12px;
    border: 1px solid #d8cfb9;
  }
  .meadow rtc-participant-grid::part(tile) { box-shadow: 0 2px 0 #d8cfb9; }
  .meadow rtc-participant-grid::part(avatar) { border-radius: 4px; color: #ffffff; font-style: italic; }
  .meadow rtc-participant-grid::part(label) { border-radius: 2px; font-style: italic; }
  .meadow rtc-chat::part(message) { border-radius: 2px; }
  .meadow rtc-chat::part(send-button) { border-radius: 999px; padding-inline: 20px; }
  .meadow rtc-controls::part(toolbar) { width: fit-content; margin: 12px auto 0; padding: 6px; border-radius: 999px; background: #e9e2d0; }
  .meadow rtc-controls::part(mic-button),
  .meadow rtc-controls::part(camera-button),
  .meadow rtc-controls::part(screen-button) { border-radius: 999px; width: 44px; height: 44px; }
  .meadow rtc-controls::part(leave-button) { border-radius: 999px; width: auto; padding: 0 18px; }
`;

export const AnotherProduct: Story = {
  name: 'Re-themed: another product',
  parameters: { forcedTheme: false },
  render: (_, { id }) => {
    const call = scriptedCall(id, {
      room: 'weekly-sync',
      people: people(4, { 1: { microphone: false }, 2: { camera: false } }),
      activeSpeaker: 'p3',
      chat: [
        { from: 'p1', text: 'The seed order went out this morning.', minutesAgo: 3 },
        { from: 'self', text: 'Lovely, thank you!', minutesAgo: 1 },
      ],
    });
    return html`
      <style>
        ${meadowCss}
      </style>
      <div class="meadow">
        <p class="meadow-bar"><strong>Meadow</strong><span>Weekly sync · 4 people</span></p>
        <rtc-call room="weekly-sync" .call=${call}>
          <div class="meadow-layout">
            <rtc-participant-grid></rtc-participant-grid>
            <rtc-chat></rtc-chat>
          </div>
          <rtc-controls></rtc-controls>
        </rtc-call>
      </div>
    `;
  },
  play: async ({ canvasElement }) => {
    const call = await find(canvasElement, 'rtc-call');
    const mic = await find(canvasElement, 'rtc-controls', '[part~="mic-button"]');
    // --rtc-* tokens...
    expect(getComputedStyle(call).backgroundColor).toBe('rgb(243, 239, 230)');
    expect(getComputedStyle(mic).backgroundColor).toBe('rgb(255, 253, 248)');
    expect(getComputedStyle(mic).fontFamily).toMatch(/^Georgia/);
    // ...and ::part rules reach inside the shadow roots.
    expect(getComputedStyle(mic).borderRadius).toBe('999px');
    expect(getComputedStyle(deep(canvasElement, 'rtc-controls', '[part="toolbar"]')!).backgroundColor).toBe('rgb(233, 226, 208)');
    const label = await find(canvasElement, 'rtc-participant-grid', 'rtc-remote-video[participant="p1"]', '[part="label"]');
    expect(getComputedStyle(label).fontStyle).toBe('italic');
    expect(getComputedStyle(label).backgroundColor).toBe('rgba(255, 253, 248, 0.92)');
    const tile = deep(canvasElement, 'rtc-participant-grid', 'rtc-remote-video[participant="p1"]', '[part="tile"]')!;
    expect(getComputedStyle(tile).aspectRatio).toBe('4 / 3');
    // The elements are the same: the mic button still works.
    mic.click();
    await waitFor(() => expect(mic.getAttribute('aria-pressed')).toBe('false'));
  },
};

// ---------------------------------------------------------------------------------------

function swatch(value: string): unknown {
  return html`<span style="display: inline-block; width: 1.2em; height: 1.2em; vertical-align: middle; border: 1px solid #8888; border-radius: 3px; background: ${value}"></span>`;
}

export const Tokens: Story = {
  name: 'Tokens',
  parameters: { forcedTheme: false },
  render: () => html`
    <table style="border-collapse: collapse; font-size: 0.9rem">
      <thead>
        <tr>
          <th style="text-align: left; padding: 4px 8px">Property</th>
          <th style="text-align: left; padding: 4px 8px">Meaning</th>
          <th style="text-align: left; padding: 4px 8px">Dark</th>
          <th style="text-align: left; padding: 4px 8px">Light</th>
        </tr>
      </thead>
      <tbody>
        ${THEME_TOKENS.map(
          (t) => html`<tr>
            <td style="padding: 4px 8px"><code>${t.property}</code></td>
            <td style="padding: 4px 8px">${DOC_ROWS.get(t.property)?.[2]}</td>
            <td style="padding: 4px 8px">${swatch(t.dark.replace('var(--_danger)', THEME_TOKENS.find((d) => d.internal === '--_danger')!.dark))} <code>${t.dark}</code></td>
            <td style="padding: 4px 8px">${swatch(t.light.replace('var(--_danger)', THEME_TOKENS.find((d) => d.internal === '--_danger')!.light))} <code>${t.light}</code></td>
          </tr>`,
        )}
      </tbody>
    </table>
  `,
  play: async ({ canvasElement }) => {
    expect(canvasElement.querySelectorAll('tbody tr')).toHaveLength(THEME_TOKENS.length);
    // docs/theming.md documents every colour token with both defaults, as the code has them...
    const rows = DOC_ROWS;
    for (const token of THEME_TOKENS) {
      const row = rows.get(token.property);
      expect(row, `${token.property} is in docs/theming.md`).toBeDefined();
      expect(row![3], `${token.property}: dark default`).toBe(`\`${token.dark}\``);
      expect(row![4], `${token.property}: light default`).toBe(`\`${token.light}\``);
    }
    // ...and every custom property an element declares in custom-elements.json.
    const { modules } = manifest as { modules: { declarations?: { cssProperties?: { name: string }[] }[] }[] };
    const declared = new Set(modules.flatMap((m) => m.declarations ?? []).flatMap((d) => (d.cssProperties ?? []).map((p) => p.name)));
    for (const property of declared) expect(rows.has(property), `${property} is in docs/theming.md`).toBe(true);
    expect(text(canvasElement.querySelector('tbody td'))).toBe('--rtc-color-background');
  },
};
