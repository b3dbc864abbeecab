import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '../src/components/participant-grid/rtc-participant-grid.js';
import type { Quality } from '../src/core/call-state.js';
import { deep, deepAll, find, playing, text } from './support/dom.js';
import { expectGrid, gridTiles } from './support/grid.js';
import { people, scriptedCall, type ScriptedCall } from './support/scripted-call.js';

interface GridArgs {
  participants: number;
  screenShare: 'none' | 'you' | 'someone';
  muted: number;
  camerasOff: number;
  quality: Quality;
  activeSpeaker: boolean;
  gap: string;
}

const scripted = { table: { category: 'Scripted call' } } as const;

const meta = {
  title: 'Elements/rtc-participant-grid',
  component: 'rtc-participant-grid',
  render: (args, { id }) => {
    const overrides: Record<number, object> = {};
    for (let i = 1; i < args.participants; i++) {
      overrides[i] = {
        microphone: i > args.muted,
        camera: i > args.camerasOff,
        quality: i === 1 ? args.quality : 'good',
        screenSharing: i === 1 && args.screenShare === 'someone',
      };
    }
    const call = scriptedCall(id, {
      people: people(args.participants, overrides),
      screenSharing: args.screenShare === 'you',
      activeSpeaker: args.activeSpeaker ? 'p1' : null,
    });
    return html`<rtc-participant-grid .call=${call} style="height: 520px; --rtc-gap: ${args.gap}"></rtc-participant-grid>`;
  },
  args: { participants: 4, screenShare: 'none', muted: 0, camerasOff: 0, quality: 'good', activeSpeaker: false, gap: '8px' },
  argTypes: {
    participants: { ...scripted, control: { type: 'range', min: 1, max: 12 }, description: 'People in the call, you included' },
    screenShare: { ...scripted, control: 'inline-radio', options: ['none', 'you', 'someone'] },
    muted: { ...scripted, control: { type: 'range', min: 0, max: 11 }, description: 'How many others have their microphone off' },
    camerasOff: { ...scripted, control: { type: 'range', min: 0, max: 11 }, description: 'How many others have their camera off' },
    quality: { ...scripted, control: 'select', options: ['good', 'fair', 'poor', 'unknown'], description: 'The first other person’s connection' },
    activeSpeaker: { ...scripted, description: 'The first other person is speaking' },
    gap: { name: '--rtc-gap', control: 'text', table: { category: 'css custom properties' } },
  },
} satisfies Meta<GridArgs>;

export default meta;
type Story = StoryObj<GridArgs>;

async function gridIn(canvas: HTMLElement): Promise<HTMLElement & { call: ScriptedCall }> {
  return (await find(canvas, 'rtc-participant-grid')) as HTMLElement & { call: ScriptedCall };
}

const tiles = gridTiles;

export const Two: Story = {
  name: '2 people',
  args: { participants: 2 },
  play: async ({ canvasElement }) => {
    const grid = await gridIn(canvasElement);
    await expectGrid(grid, 2, 2);
    // Yours first, then the others in the order they joined.
    expect(tiles(grid).map((t) => t.localName)).toEqual(['rtc-local-video', 'rtc-remote-video']);
    await playing(deep<HTMLVideoElement>(tiles(grid)[1]!, 'video')!);
  },
};

export const Four: Story = {
  name: '4 people',
  args: { participants: 4, muted: 1, camerasOff: 2 },
  play: async ({ canvasElement }) => {
    const grid = await gridIn(canvasElement);
    await expectGrid(grid, 4, 2);
    const [, ada, grace, alan] = tiles(grid);
    expect(deep(ada!, '[part="mic-off"]')).not.toBeNull();
    expect(deep(grace!, '[part="mic-off"]')).toBeNull();
    expect(text(deep(ada!, '[part="avatar"]'))).toBe('AL');
    expect(text(deep(grace!, '[part="avatar"]'))).toBe('GH');
    expect(deep(alan!, '[part="avatar"]')).toBeNull();
  },
};

export const Nine: Story = {
  name: '9 people',
  args: { participants: 9 },
  play: async ({ canvasElement }) => expectGrid(await gridIn(canvasElement), 9, 3),
};

export const Twelve: Story = {
  name: '12 people',
  args: { participants: 12, muted: 4, camerasOff: 3 },
  play: async ({ canvasElement }) => expectGrid(await gridIn(canvasElement), 12, 4),
};

export const ScreenShare: Story = {
  name: 'Someone shares their screen',
  args: { participants: 4, screenShare: 'someone', activeSpeaker: true },
  play: async ({ canvasElement }) => {
    const grid = await gridIn(canvasElement);
    const screen = await find(grid, '[part="stage"] rtc-remote-video[screen]');
    await playing(deep<HTMLVideoElement>(screen, 'video')!);
    expect(deepAll(grid, '[part="strip"] > *')).toHaveLength(4);
    // The speaker's outline is on their camera tile, not on their screen.
    await waitFor(() => expect(deep(grid, '[part="strip"] rtc-remote-video[participant="p1"]')!.matches(':state(speaking)')).toBe(true));
    expect(screen.matches(':state(speaking)')).toBe(false);
  },
};

export const YouShare: Story = {
  name: 'You share your screen',
  args: { participants: 3, screenShare: 'you' },
  play: async ({ canvasElement }) => {
    const grid = await gridIn(canvasElement);
    const screen = await find(grid, '[part="stage"] rtc-local-video[screen]');
    expect(text(deep(screen, '[part="name"]'))).toBe('Your screen');
    // Someone joins and leaves: tiles follow.
    grid.call.addParticipant({ name: 'Radia Perlman', id: 'late' });
    await waitFor(() => expect(deepAll(grid, '[part="strip"] > *')).toHaveLength(4));
    grid.call.removeParticipant('late');
    await waitFor(() => expect(deepAll(grid, '[part="strip"] > *')).toHaveLength(3));
  },
};
