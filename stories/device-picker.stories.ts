import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '../src/components/device-picker/rtc-device-picker.js';
import { deep, deepAll, find, text } from './support/dom.js';
import { scriptedCall, type ScriptedCall } from './support/scripted-call.js';

interface DevicePickerArgs {
  listed: boolean;
  lang: 'en' | 'nl';
  background: string;
}

const meta = {
  title: 'Elements/rtc-device-picker',
  component: 'rtc-device-picker',
  render: (args, { id }) =>
    html`<rtc-device-picker
      .call=${scriptedCall(id, { devices: args.listed, state: args.listed ? 'joined' : 'idle' })}
      lang=${args.lang === 'en' ? nothing : args.lang}
      style="max-width: 380px; ${args.background ? `--rtc-device-picker-background: ${args.background}` : ''}"
    ></rtc-device-picker>`,
  args: { listed: true, lang: 'en', background: '' },
  argTypes: {
    listed: { description: 'Camera and microphone were allowed, so devices are listed', table: { category: 'Scripted call' } },
    lang: { control: 'inline-radio', options: ['en', 'nl'] },
    background: { name: '--rtc-device-picker-background', control: 'color', table: { category: 'css custom properties' } },
  },
} satisfies Meta<DevicePickerArgs>;

export default meta;
type Story = StoryObj<DevicePickerArgs>;

async function pickerIn(canvas: HTMLElement): Promise<HTMLElement & { call: ScriptedCall }> {
  const picker = await find(canvas, 'rtc-device-picker');
  await find(picker, '[part="picker"]');
  return picker as HTMLElement & { call: ScriptedCall };
}

export const Listed: Story = {
  name: 'Devices listed',
  play: async ({ canvasElement }) => {
    const picker = await pickerIn(canvasElement);
    const labels = deepAll(picker, '[part="label"]').map(text);
    expect(labels).toEqual(['Camera', 'Microphone', 'Speaker']);
    const camera = deep<HTMLSelectElement>(picker, '[part="camera-select"]')!;
    expect([...camera.options].map((o) => o.text)).toEqual(['FaceTime HD Camera', 'Logitech BRIO']);
    expect(camera.value).toBe('cam-built-in');
    // Choosing another camera asks the call to switch.
    camera.value = 'cam-usb';
    camera.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => expect(picker.call.snapshot.selectedDevices.videoinput).toBe('cam-usb'));
    const speaker = deep<HTMLSelectElement>(picker, '[part="speaker-select"]')!;
    speaker.value = 'out-headset';
    speaker.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => expect(picker.call.snapshot.selectedDevices.audiooutput).toBe('out-headset'));
  },
};

export const BeforePermission: Story = {
  name: 'Before camera and microphone are allowed',
  args: { listed: false },
  play: async ({ canvasElement }) => {
    const picker = await pickerIn(canvasElement);
    expect(text(deep(picker, '[part="note"]'))).toBe('Your cameras and microphones appear here once you allow camera and microphone.');
    expect(deep(picker, 'select')).toBeNull();
  },
};

export const Dutch: Story = {
  name: 'In Dutch (lang=nl)',
  args: { lang: 'nl' },
  play: async ({ canvasElement }) => {
    const picker = await pickerIn(canvasElement);
    expect(deepAll(picker, '[part="label"]').map(text)).toEqual(['Camera', 'Microfoon', 'Luidspreker']);
    expect(deep(picker, '[part="picker"]')!.getAttribute('aria-label')).toBe('Apparaten');
  },
};
