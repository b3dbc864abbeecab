import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect } from 'storybook/test';
import '../src/components/local-video/rtc-local-video.js';
import { deep, find, playing, text } from './support/dom.js';
import { scriptedCall } from './support/scripted-call.js';

interface LocalVideoArgs {
  screen: boolean;
  name: string;
  camera: boolean;
  microphone: boolean;
  mirror: '-1' | '1';
  fit: 'cover' | 'contain';
}

const scripted = { table: { category: 'Scripted call' } } as const;
const cssprop = { table: { category: 'css custom properties' } } as const;

const meta = {
  title: 'Elements/rtc-local-video',
  component: 'rtc-local-video',
  render: (args, { id }) => {
    const call = scriptedCall(id, { name: args.name, camera: args.camera, microphone: args.microphone, screenSharing: args.screen, people: 2 });
    return html`<rtc-local-video
      .call=${call}
      ?screen=${args.screen}
      style="width: 480px; --rtc-local-mirror: ${args.mirror}; --rtc-video-fit: ${args.fit}"
    ></rtc-local-video>`;
  },
  args: { screen: false, name: 'Sam Rivera', camera: true, microphone: true, mirror: '-1', fit: 'cover' },
  argTypes: {
    name: { ...scripted, control: 'text', description: 'Your display name' },
    camera: { ...scripted },
    microphone: { ...scripted },
    mirror: { ...cssprop, name: '--rtc-local-mirror', control: 'inline-radio', options: ['-1', '1'] },
    fit: { ...cssprop, name: '--rtc-video-fit', control: 'inline-radio', options: ['cover', 'contain'] },
  },
} satisfies Meta<LocalVideoArgs>;

export default meta;
type Story = StoryObj<LocalVideoArgs>;

export const CameraOn: Story = {
  name: 'Camera on (mirrored)',
  play: async ({ canvasElement }) => {
    const tile = await find(canvasElement, 'rtc-local-video');
    const video = await find<HTMLVideoElement>(tile, 'video:not(.hidden)');
    await playing(video);
    expect(video.muted, 'your own preview never plays your microphone back').toBe(true);
    expect(getComputedStyle(video).transform).toBe('matrix(-1, 0, 0, 1, 0, 0)');
    expect(text(deep(tile, '[part="name"]'))).toBe('Sam Rivera (you)');
    expect(deep(tile, '[part="mic-off"]')).toBeNull();
  },
};

export const NotMirrored: Story = {
  name: 'Not mirrored (--rtc-local-mirror: 1)',
  args: { mirror: '1' },
  play: async ({ canvasElement }) => {
    const video = await find<HTMLVideoElement>(canvasElement, 'rtc-local-video', 'video');
    expect(getComputedStyle(video).transform).toBe('matrix(1, 0, 0, 1, 0, 0)');
  },
};

export const CameraOffMuted: Story = {
  name: 'Camera off, muted',
  args: { camera: false, microphone: false },
  play: async ({ canvasElement }) => {
    const tile = await find(canvasElement, 'rtc-local-video');
    expect(text(await find(tile, '[part="avatar"]'))).toBe('SR');
    expect(deep(tile, 'video')!.classList.contains('hidden')).toBe(true);
    expect((await find(tile, '[part="mic-off"]')).getAttribute('aria-label')).toBe('Microphone off');
  },
};

export const Screen: Story = {
  name: 'Your screen share',
  args: { screen: true },
  play: async ({ canvasElement }) => {
    const tile = await find(canvasElement, 'rtc-local-video');
    const video = await find<HTMLVideoElement>(tile, 'video.screen');
    await playing(video);
    expect(getComputedStyle(video).transform, 'a screen is never mirrored').toBe('none');
    expect(text(deep(tile, '[part="name"]'))).toBe('Your screen');
  },
};
