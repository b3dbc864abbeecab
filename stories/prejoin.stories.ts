import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '../src/components/prejoin/rtc-prejoin.js';
import { deep, find, playing, text, typeInto } from './support/dom.js';
import { scriptedCall, type ScriptedCall } from './support/scripted-call.js';

interface PrejoinArgs {
  room: string;
  name: string;
  lang: 'en' | 'nl';
  accent: string;
}

const meta = {
  title: 'Elements/rtc-prejoin',
  component: 'rtc-prejoin',
  render: (args, { id }) =>
    html`<rtc-prejoin
      .call=${scriptedCall(id, { state: 'idle', room: args.room, name: args.name, people: 3 })}
      lang=${args.lang === 'en' ? nothing : args.lang}
      style=${args.accent ? `--rtc-color-accent: ${args.accent}` : ''}
    ></rtc-prejoin>`,
  args: { room: 'design-review', name: '', lang: 'en', accent: '' },
  argTypes: {
    room: { control: 'text', description: 'The call’s room (shown above the form)', table: { category: 'Scripted call' } },
    name: { control: 'text', description: 'The name already known (else the one used last time)', table: { category: 'Scripted call' } },
    lang: { control: 'inline-radio', options: ['en', 'nl'] },
    accent: { name: '--rtc-color-accent', control: 'color', table: { category: 'css custom properties' } },
  },
  // Each story starts with no remembered name.
  beforeEach: () => localStorage.removeItem('rtc-elements:name'),
} satisfies Meta<PrejoinArgs>;

export default meta;
type Story = StoryObj<PrejoinArgs>;

async function prejoinIn(canvas: HTMLElement): Promise<HTMLElement & { call: ScriptedCall }> {
  const prejoin = await find(canvas, 'rtc-prejoin');
  await find(prejoin, '[part="prejoin"]');
  return prejoin as HTMLElement & { call: ScriptedCall };
}

export const Default: Story = {
  name: 'Consent, preview, name, join',
  play: async ({ canvasElement }) => {
    const prejoin = await prejoinIn(canvasElement);
    expect(text(deep(prejoin, '[part="title"]'))).toBe('Ready to join?');
    expect(text(deep(prejoin, '.room'))).toBe('Room: design-review');
    expect(text(deep(prejoin, '[part="consent"]'))).toMatch(/^Your camera and microphone start only when you allow it\./);
    // Nothing starts before consent.
    expect(deep(prejoin, 'rtc-local-video', 'video:not(.hidden)')).toBeNull();
    deep<HTMLButtonElement>(prejoin, '[part="start-button"]')!.click();
    await playing(await find<HTMLVideoElement>(prejoin, 'rtc-local-video', 'video:not(.hidden)'));
    await waitFor(() => expect(deep(prejoin, '[part="start-button"]')).toBeNull());
    // Mic and camera can be switched off before joining.
    const mic = await find<HTMLButtonElement>(prejoin, 'rtc-controls', '[part~="mic-button"]');
    mic.click();
    await waitFor(() => expect(prejoin.call.snapshot.microphone).toBe(false));
    typeInto(deep<HTMLInputElement>(prejoin, '[part="name-input"]')!, 'Robin');
    expect(prejoin.call.snapshot.name).toBe('Robin');
    deep<HTMLButtonElement>(prejoin, '[part="join-button"]')!.click();
    await waitFor(() => expect(prejoin.call.state).toBe('joined'));
    expect(localStorage.getItem('rtc-elements:name'), 'the name is offered next time').toBe('Robin');
  },
};

export const WithName: Story = {
  name: 'Name already known',
  args: { name: 'Ada Lovelace' },
  play: async ({ canvasElement }) => {
    const prejoin = await prejoinIn(canvasElement);
    expect(deep<HTMLInputElement>(prejoin, '[part="name-input"]')!.value).toBe('Ada Lovelace');
  },
};

export const Dutch: Story = {
  name: 'In Dutch (lang=nl)',
  args: { lang: 'nl' },
  play: async ({ canvasElement }) => {
    const prejoin = await prejoinIn(canvasElement);
    expect(text(deep(prejoin, '[part="join-button"]'))).toBe('Deelnemen');
    expect(text(deep(prejoin, '[part="title"]'))).toBe('Klaar om deel te nemen?');
  },
};
