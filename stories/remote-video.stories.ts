import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect } from 'storybook/test';
import '../src/components/remote-video/rtc-remote-video.js';
import type { ConnectionState, Quality } from '../src/core/call-state.js';
import { deep, deepAll, find, playing, text } from './support/dom.js';
import { scriptedCall } from './support/scripted-call.js';

interface RemoteVideoArgs {
  participant: string;
  screen: boolean;
  name: string;
  microphone: boolean;
  camera: boolean;
  connectionState: ConnectionState;
  quality: Quality;
  speaking: boolean;
  fit: 'cover' | 'contain';
}

const scripted = { table: { category: 'Scripted call' } } as const;

const meta = {
  title: 'Elements/rtc-remote-video',
  component: 'rtc-remote-video',
  render: (args, { id }) => {
    const call = scriptedCall(id, {
      people: [
        {
          id: 'ada',
          name: args.name,
          microphone: args.microphone,
          camera: args.camera,
          connectionState: args.connectionState,
          quality: args.quality,
          screenSharing: args.screen,
          hue: 260,
        },
      ],
      activeSpeaker: args.speaking ? 'ada' : null,
    });
    return html`<rtc-remote-video
      .call=${call}
      participant=${args.participant}
      ?screen=${args.screen}
      style="width: 480px; --rtc-video-fit: ${args.fit}"
    ></rtc-remote-video>`;
  },
  args: {
    participant: 'ada',
    screen: false,
    name: 'Ada Lovelace',
    microphone: true,
    camera: true,
    connectionState: 'connected',
    quality: 'good',
    speaking: false,
    fit: 'cover',
  },
  argTypes: {
    participant: { control: 'text', description: 'The participant’s id (the scripted call has one: `ada`)' },
    name: { ...scripted },
    microphone: { ...scripted },
    camera: { ...scripted },
    connectionState: { ...scripted, control: 'select', options: ['connecting', 'connected', 'reconnecting', 'failed'] },
    quality: { ...scripted, control: 'select', options: ['good', 'fair', 'poor', 'unknown'] },
    speaking: { ...scripted, description: 'They are the active speaker' },
    fit: { name: '--rtc-video-fit', control: 'inline-radio', options: ['cover', 'contain'], table: { category: 'css custom properties' } },
  },
} satisfies Meta<RemoteVideoArgs>;

export default meta;
type Story = StoryObj<RemoteVideoArgs>;

async function tileIn(canvas: HTMLElement): Promise<HTMLElement> {
  const tile = await find(canvas, 'rtc-remote-video');
  await find(tile, '[part="tile"]');
  return tile;
}

export const Connected: Story = {
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    await playing(deep<HTMLVideoElement>(tile, 'video')!);
    expect(tile.matches(':state(connected)')).toBe(true);
    expect(deep(tile, '[part="tile"]')!.getAttribute('aria-label')).toBe('Ada Lovelace');
    expect(deep(tile, '[part="quality"]')!.getAttribute('aria-label')).toBe('Connection: good');
    expect(deepAll(tile, '[part="quality"] i.on')).toHaveLength(3);
    expect(deep(tile, '[part="state"]')).toBeNull();
  },
};

export const Muted: Story = {
  args: { microphone: false },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(deep(tile, '[part="mic-off"]')!.getAttribute('aria-label')).toBe('Microphone off');
    expect(tile.matches(':state(muted)')).toBe(true);
  },
};

export const CameraOff: Story = {
  name: 'Camera off',
  args: { camera: false },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(text(deep(tile, '[part="avatar"]'))).toBe('AL');
    expect(text(deep(tile, '.visually-hidden'))).toBe('Camera off');
    expect(tile.matches(':state(camera-off)')).toBe(true);
  },
};

export const Speaking: Story = {
  args: { speaking: true },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(tile.matches(':state(speaking)')).toBe(true);
    expect(getComputedStyle(deep(tile, '[part="tile"]')!).outlineStyle).toBe('solid');
  },
};

export const PoorQuality: Story = {
  name: 'Poor connection',
  args: { quality: 'poor' },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(deep(tile, '[part="quality"]')!.getAttribute('aria-label')).toBe('Connection: poor');
    expect(deepAll(tile, '[part="quality"] i.on')).toHaveLength(1);
  },
};

export const Reconnecting: Story = {
  args: { connectionState: 'reconnecting' },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(text(deep(tile, '[part="state"]'))).toBe('Reconnecting…');
    expect(deep(tile, '[part="quality"]'), 'no quality bars while not connected').toBeNull();
  },
};

export const Failed: Story = {
  name: 'Connection failed',
  args: { connectionState: 'failed' },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    expect(text(deep(tile, '[part="state"]'))).toBe('Connection failed');
    expect(tile.matches(':state(failed)')).toBe(true);
  },
};

export const Screen: Story = {
  name: 'Their screen share',
  args: { screen: true },
  play: async ({ canvasElement }) => {
    const tile = await tileIn(canvasElement);
    await playing(deep<HTMLVideoElement>(tile, 'video')!);
    expect(text(deep(tile, '[part="name"]'))).toBe('Ada Lovelace’s screen');
    expect(deep<HTMLVideoElement>(tile, 'video')!.muted, 'a screen carries no sound').toBe(true);
  },
};

export const Unknown: Story = {
  name: 'Unknown participant',
  args: { participant: 'nobody' },
  play: async ({ canvasElement }) => {
    const tile = await find(canvasElement, 'rtc-remote-video');
    expect(deep(tile, '[part="tile"]'), 'renders nothing for someone not in the call').toBeNull();
  },
};
