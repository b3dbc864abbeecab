import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import '../src/components/call/rtc-call.js';

interface LiveArgs {
  server: string;
  room: string;
  name: string;
  theme: 'auto' | 'light' | 'dark';
  muted: boolean;
  cameraOff: boolean;
}

/**
 * A real call: your real camera and microphone, a real signal server. Start one first
 * with `npm start` (it listens on http://localhost:3000), then open this story in two
 * browser tabs (or on two machines pointed at the same server) with the same room.
 *
 * Not part of the story tests (tagged `!test`): it needs the server and a camera.
 */
const meta = {
  title: 'Live',
  component: 'rtc-call',
  tags: ['!test', '!autodocs'],
  render: (args) => html`<rtc-call
    style="height: 640px"
    server=${args.server}
    room=${args.room}
    name=${args.name || nothing}
    theme=${args.theme === 'auto' ? nothing : args.theme}
    ?muted=${args.muted}
    ?camera-off=${args.cameraOff}
  ></rtc-call>`,
  args: { server: 'http://localhost:3000', room: 'storybook-live', name: '', theme: 'auto', muted: false, cameraOff: false },
  argTypes: {
    server: { control: 'text', description: 'Signal server URL (`npm start` serves one on http://localhost:3000)' },
    room: { control: 'text' },
    name: { control: 'text', description: 'Empty: asked for in the pre-join screen' },
    theme: { control: 'inline-radio', options: ['auto', 'light', 'dark'] },
  },
  parameters: {
    docs: {
      description: {
        component: 'A real call: needs `npm start` (the signal server on http://localhost:3000), a camera, and a second tab in the same room.',
      },
    },
  },
} satisfies Meta<LiveArgs>;

export default meta;

export const RealCall: StoryObj<LiveArgs> = {
  name: 'Real call',
};
