import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, fn, waitFor } from 'storybook/test';
import '../src/components/controls/rtc-controls.js';
import type { RtcControls } from '../src/components/controls/controls.js';
import type { CallState } from '../src/core/call-state.js';
import { deep, deepAll, find, text } from './support/dom.js';
import { scriptedCall, type ScriptedCall } from './support/scripted-call.js';

interface ControlsArgs {
  chatOpen: boolean;
  settingsOpen: boolean;
  unread: number;
  showPanels: boolean;
  lang: 'en' | 'nl';
  microphone: boolean;
  camera: boolean;
  state: CallState;
  onControl: (event: Event) => void;
}

const scripted = { table: { category: 'Scripted call' } } as const;

const meta = {
  title: 'Elements/rtc-controls',
  component: 'rtc-controls',
  render: (args, { id }) => {
    const call = scriptedCall(id, { state: args.state, microphone: args.microphone, camera: args.camera, people: 2 });
    return html`<rtc-controls
      .call=${call}
      ?chat-open=${args.chatOpen}
      ?settings-open=${args.settingsOpen}
      ?show-panels=${args.showPanels}
      .unread=${args.unread}
      lang=${args.lang === 'en' ? nothing : args.lang}
      @rtc-control=${args.onControl}
    ></rtc-controls>`;
  },
  args: {
    chatOpen: false,
    settingsOpen: false,
    unread: 0,
    showPanels: false,
    lang: 'en',
    microphone: true,
    camera: true,
    state: 'joined',
    onControl: fn(),
  },
  argTypes: {
    unread: { control: { type: 'number', min: 0, max: 120 } },
    lang: { control: 'inline-radio', options: ['en', 'nl'] },
    microphone: { ...scripted, description: 'The call’s microphone is on' },
    camera: { ...scripted, description: 'The call’s camera is on' },
    state: { ...scripted, control: 'select', options: ['idle', 'joining', 'joined', 'reconnecting', 'left', 'failed'] },
    onControl: { table: { disable: true } },
  },
} satisfies Meta<ControlsArgs>;

export default meta;
type Story = StoryObj<ControlsArgs>;

async function controlsIn(canvas: HTMLElement): Promise<RtcControls & { call: ScriptedCall }> {
  const controls = await find<RtcControls>(canvas, 'rtc-controls');
  await controls.updateComplete;
  return controls as RtcControls & { call: ScriptedCall };
}

/** Clicks a toggle and waits for `aria-pressed` to become `pressed`. */
async function toggle(button: HTMLButtonElement, pressed: boolean): Promise<void> {
  button.click();
  await waitFor(() => expect(button.getAttribute('aria-pressed')).toBe(String(pressed)));
}

export const InCall: Story = {
  name: 'In a call',
  play: async ({ canvasElement }) => {
    const controls = await controlsIn(canvasElement);
    const mic = deep<HTMLButtonElement>(controls, '[part~="mic-button"]')!;
    const camera = deep<HTMLButtonElement>(controls, '[part~="camera-button"]')!;
    // Real buttons with a fixed name; the state is in aria-pressed.
    expect(mic.tagName).toBe('BUTTON');
    expect(mic.getAttribute('aria-label')).toBe('Microphone');
    expect(mic.getAttribute('aria-pressed')).toBe('true');
    await toggle(mic, false);
    expect(controls.call.snapshot.microphone).toBe(false);
    expect(mic.getAttribute('aria-label'), 'the name stays, only the state changes').toBe('Microphone');
    await toggle(mic, true);
    expect(controls.call.snapshot.microphone).toBe(true);
    await toggle(camera, false);
    expect(controls.call.snapshot.camera).toBe(false);
    await toggle(camera, true);
    const screen = deep<HTMLButtonElement>(controls, '[part~="screen-button"]')!;
    await toggle(screen, true);
    expect(controls.call.snapshot.screenSharing).toBe(true);
    await toggle(screen, false);
  },
};

export const Leave: Story = {
  name: 'Leave',
  play: async ({ canvasElement }) => {
    const controls = await controlsIn(canvasElement);
    const leave = deep<HTMLButtonElement>(controls, '[part~="leave-button"]')!;
    expect(leave.getAttribute('aria-label')).toBe('Leave call');
    leave.click();
    await waitFor(() => expect(controls.call.state).toBe('left'));
    // Out of the call: only the device toggles are left.
    await waitFor(() => expect(deep(controls, '[part~="leave-button"]')).toBeNull());
  },
};

export const Muted: Story = {
  name: 'Microphone and camera off',
  args: { microphone: false, camera: false },
  play: async ({ canvasElement }) => {
    const controls = await controlsIn(canvasElement);
    expect(deep(controls, '[part~="mic-button"]')!.getAttribute('aria-pressed')).toBe('false');
    expect(deep(controls, '[part~="camera-button"]')!.getAttribute('aria-pressed')).toBe('false');
  },
};

export const WithPanels: Story = {
  name: 'With chat and settings (unread messages)',
  args: { showPanels: true, unread: 3, settingsOpen: true },
  play: async ({ canvasElement, args }) => {
    const controls = await controlsIn(canvasElement);
    const chat = deep<HTMLButtonElement>(controls, '[part~="chat-button"]')!;
    expect(chat.getAttribute('aria-pressed')).toBe('false');
    expect(deep(controls, '[part~="settings-button"]')!.getAttribute('aria-pressed')).toBe('true');
    const badge = deep(controls, '[part="unread-badge"]')!;
    expect(text(badge)).toBe('3');
    // Screen readers hear the count too (on the badge, or in the button's name or description).
    const badgeSpoken = badge.getAttribute('aria-hidden') === 'true' ? null : badge.getAttribute('aria-label');
    const spoken = [badgeSpoken, chat.getAttribute('aria-label'), chat.getAttribute('aria-description')].join(' ');
    expect(spoken).toContain('3 unread');
    // Panel buttons ask the page (or <rtc-call>) to open the panel.
    chat.click();
    await waitFor(() => expect(args.onControl).toHaveBeenCalled());
    const event = (args.onControl as ReturnType<typeof fn>).mock.calls.at(-1)![0] as CustomEvent<{ action: string }>;
    expect(event.detail.action).toBe('chat');
    expect(event.bubbles && event.composed).toBe(true);
  },
};

export const BeforeJoining: Story = {
  name: 'Before joining',
  args: { state: 'idle', showPanels: true },
  play: async ({ canvasElement }) => {
    const controls = await controlsIn(canvasElement);
    // Only the device toggles: nothing to leave, share or chat in yet.
    const parts = deepAll(controls, 'button').map((b) => b.getAttribute('part'));
    expect(parts).toEqual(['mic-button', 'camera-button']);
  },
};

export const Dutch: Story = {
  name: 'In Dutch (lang=nl)',
  args: { lang: 'nl', showPanels: true },
  play: async ({ canvasElement }) => {
    const controls = await controlsIn(canvasElement);
    const names = Object.fromEntries(deepAll(controls, 'button').map((b) => [b.getAttribute('part'), b.getAttribute('aria-label')]));
    expect(names).toMatchObject({
      'mic-button': 'Microfoon',
      'camera-button': 'Camera',
      'screen-button': 'Scherm delen',
      'chat-button': 'Chat',
      'settings-button': 'Instellingen',
      'leave-button': 'Gesprek verlaten',
    });
    expect(deep(controls, '[part~="mic-button"]')!.getAttribute('title')).toBe('Microfoon (M)');
  },
};
