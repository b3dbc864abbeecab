import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, waitFor } from 'storybook/test';
import type { ErrorCode } from '../src/core/errors.js';
import { translate } from '../src/i18n/index.js';
import { CALL_ARGS, CALL_ARG_TYPES, callIn, expectTiles, renderCall, tileOf, tiles, type CallArgs } from './support/call-story.js';
import { deep, deepAll, find, playing, text, typeInto } from './support/dom.js';
import { stateFor } from './support/scripted-call.js';

const meta = {
  title: 'Elements/rtc-call',
  component: 'rtc-call',
  render: (args, { id }) => renderCall(args, id),
  args: CALL_ARGS,
  argTypes: CALL_ARG_TYPES,
  parameters: {
    docs: {
      description: {
        component:
          'Every story here runs on a scripted `Call` (stories/support/scripted-call.ts): canvas-drawn video, no camera, no server. The buttons work. For a real call see Live → Real call.',
      },
    },
  },
} satisfies Meta<CallArgs>;

export default meta;
type Story = StoryObj<CallArgs>;

export const PreJoin: Story = {
  name: 'Pre-join, then join',
  args: { state: 'idle', participants: 3 },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const prejoin = await find(call, 'rtc-prejoin');
    expect(text(deep(prejoin, 'h2'))).toBe('Ready to join?');
    expect(call.call.snapshot.localStream, 'nothing captured before consent').toBeNull();
    (await find<HTMLButtonElement>(prejoin, '[part~="start-button"]')).click();
    const preview = await find<HTMLVideoElement>(prejoin, 'rtc-local-video', 'video:not(.hidden)');
    await playing(preview);
    typeInto(deep<HTMLInputElement>(prejoin, '[part~="name-input"]')!, 'Robin');
    expect(call.call.snapshot.name).toBe('Robin');
    const joined = new Promise<Event>((resolve) => call.addEventListener('rtc-joined', resolve, { once: true }));
    deep<HTMLButtonElement>(prejoin, '[part~="join-button"]')!.click();
    expect(((await joined) as CustomEvent<{ selfId: string }>).detail.selfId).toBe('self');
    await expectTiles(call, 3, 2);
    expect(call.state).toBe('joined');
  },
};

export const TwoPeople: Story = {
  name: '2 people',
  args: { participants: 2 },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    await expectTiles(call, 2, 2);
    // The scripted people have real (canvas) video, and it moves.
    await playing(await find<HTMLVideoElement>(tileOf(call, 'p1')!, 'video'));
    expect(text(deep(tileOf(call, 'p1')!, '[part="name"]'))).toBe('Ada Lovelace');
  },
};

export const FourPeople: Story = {
  name: '4 people',
  args: { participants: 4 },
  play: async ({ canvasElement }) => expectTiles(await callIn(canvasElement), 4, 2),
};

export const NinePeople: Story = {
  name: '9 people',
  args: { participants: 9 },
  play: async ({ canvasElement }) => expectTiles(await callIn(canvasElement), 9, 3),
};

export const MutedAndCameraOff: Story = {
  name: 'Muted, camera off',
  args: { participants: 4, someoneMuted: true, someoneCameraOff: true, muted: true },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    await waitFor(() => expect(tiles(call)).toHaveLength(4));
    // Ada (p1) is muted: her tile says so; Grace (p2) is not.
    const micOff = await find(tileOf(call, 'p1')!, '[part="mic-off"]');
    expect(micOff.getAttribute('role')).toBe('img');
    expect(micOff.getAttribute('aria-label')).toBe('Microphone off');
    expect(tileOf(call, 'p1')!.matches(':state(muted)')).toBe(true);
    expect(deep(tileOf(call, 'p2')!, '[part="mic-off"]')).toBeNull();
    // Grace (p2) has her camera off: initials instead of video.
    expect(text(await find(tileOf(call, 'p2')!, '[part="avatar"]'))).toBe('GH');
    expect(deep(tileOf(call, 'p2')!, 'video')!.classList.contains('hidden')).toBe(true);
    // And you joined muted: your tile and the mic button show it.
    expect(deep(call, 'rtc-participant-grid', 'rtc-local-video', '[part="mic-off"]')).not.toBeNull();
    expect(deep(call, 'rtc-controls', '[part~="mic-button"]')!.getAttribute('aria-pressed')).toBe('false');
  },
};

export const ScreenShare: Story = {
  name: 'Someone shares their screen',
  args: { participants: 4, screenShare: 'someone' },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const screen = await find(call, 'rtc-participant-grid', '[part="stage"] rtc-remote-video[screen]');
    expect(screen.getAttribute('participant')).toBe('p1');
    expect(deep(screen, '[part="tile"]')!.getAttribute('aria-label')).toBe('Ada Lovelace’s screen');
    await playing(deep<HTMLVideoElement>(screen, 'video')!);
    // Everyone's camera moves to the strip beside it.
    expect(deepAll(call, 'rtc-participant-grid', '[part="strip"] > *')).toHaveLength(4);
  },
};

export const YouShareYourScreen: Story = {
  name: 'You share your screen',
  args: { participants: 2 },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const button = await find<HTMLButtonElement>(call, 'rtc-controls', '[part~="screen-button"]');
    expect(button.getAttribute('aria-pressed')).toBe('false');
    button.click();
    await waitFor(() => expect(button.getAttribute('aria-pressed')).toBe('true'));
    const screen = await find(call, 'rtc-participant-grid', '[part="stage"] rtc-local-video[screen]');
    await playing(deep<HTMLVideoElement>(screen, 'video')!);
    button.click();
    // Back to the grid once the screen is gone.
    await waitFor(() => expect(deep(call, 'rtc-participant-grid', '[part="stage"] > *')).toBeNull());
    await expectTiles(call, 2, 2);
  },
};

export const Reconnecting: Story = {
  args: { participants: 4, state: 'reconnecting' },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const status = await find(call, '[part="status"]');
    expect(text(status)).toBe('Connection to the server lost. Reconnecting…');
    expect(status.getAttribute('role')).toBe('status');
    // The call stays on screen while it reconnects.
    expect(tiles(call)).toHaveLength(4);
  },
};

export const PoorNetwork: Story = {
  name: 'Poor network',
  args: { participants: 4, quality: 'poor', connection: 'reconnecting' },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    await waitFor(() => expect(tiles(call)).toHaveLength(4));
    const quality = await find(tileOf(call, 'p1')!, '[part="quality"]');
    expect(quality.dataset['quality']).toBe('poor');
    expect(quality.getAttribute('aria-label')).toBe('Connection: poor');
    expect(deepAll(quality, 'i.on')).toHaveLength(1);
    const badge = await find(tileOf(call, 'p2')!, '[part="state"]');
    expect(text(badge)).toBe('Reconnecting…');
    expect(tileOf(call, 'p2')!.matches(':state(reconnecting)')).toBe(true);
  },
};

export const ActiveSpeaker: Story = {
  name: 'Active speaker',
  args: { participants: 4, activeSpeaker: true },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    await waitFor(() => expect(tileOf(call, 'p1')!.matches(':state(speaking)')).toBe(true));
    expect(tileOf(call, 'p2')!.matches(':state(speaking)')).toBe(false);
    const outline = getComputedStyle(deep(tileOf(call, 'p1')!, '[part="tile"]')!).outlineStyle;
    expect(outline).toBe('solid');
  },
};

export const Recording: Story = {
  name: 'Someone records',
  args: { participants: 4, recording: 'someone' },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const indicator = await find(call, '[part="recording-indicator"]');
    expect(text(indicator)).toBe('Grace Hopper is recording this call');
  },
};

export const ChatAndFiles: Story = {
  name: 'Chat and files',
  args: { participants: 3, chat: true },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const button = await find<HTMLButtonElement>(call, 'rtc-controls', '[part~="chat-button"]');
    // Three messages from others came while the chat was closed.
    expect(text(await find(call, 'rtc-controls', '[part="unread-badge"]'))).toBe('3');
    button.click();
    await waitFor(() => expect(button.getAttribute('aria-pressed')).toBe('true'));
    const chat = await find(call, '[part="panel"] rtc-chat');
    await waitFor(() => expect(deepAll(chat, '[part~="message"]')).toHaveLength(4));
    expect(deep(call, 'rtc-controls', '[part="unread-badge"]')).toBeNull();
    expect(text(deep(chat, '[part~="transfer"] [part="file-name"]'))).toBe('standup-notes.pdf');
    expect(deep<HTMLAnchorElement>(chat, '[part="download"]')!.href).toMatch(/^blob:/);
    // Say something: it shows as your own message.
    typeInto(deep<HTMLInputElement>(chat, '[part="input"]')!, 'See you all tomorrow');
    deep<HTMLButtonElement>(chat, '[part="send-button"]')!.click();
    await waitFor(() => expect(deepAll(chat, '[part~="message"]')).toHaveLength(5));
    const mine = deepAll(chat, '[part~="message"]').at(-1)!;
    expect(mine.hasAttribute('data-self')).toBe(true);
    expect(text(deep(mine, '[part="text"]'))).toBe('See you all tomorrow');
  },
};

export const Dutch: Story = {
  name: 'In Dutch (lang=nl)',
  args: { participants: 4, lang: 'nl', someoneMuted: true, state: 'reconnecting' },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    expect(text(await find(call, '[part="status"]'))).toBe('Verbinding met de server verbroken. Opnieuw verbinden…');
    const controls = await find(call, 'rtc-controls');
    expect(deep(controls, '[part~="mic-button"]')!.getAttribute('aria-label')).toBe('Microfoon');
    expect(deep(controls, '[part~="leave-button"]')!.getAttribute('aria-label')).toBe('Gesprek verlaten');
    expect(deep(controls, '[part="toolbar"]')!.getAttribute('aria-label')).toBe('Gespreksknoppen');
    expect((await find(tileOf(call, 'p1')!, '[part="mic-off"]')).getAttribute('aria-label')).toBe('Microfoon uit');
    expect(text(deep(call, 'rtc-participant-grid', 'rtc-local-video', '[part="name"]'))).toBe('Sam Rivera (jij)');
  },
};

export const LeaveAndRejoin: Story = {
  name: 'Leave, then rejoin',
  args: { participants: 2 },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const left = new Promise<Event>((resolve) => call.addEventListener('rtc-left', resolve, { once: true }));
    (await find<HTMLButtonElement>(call, 'rtc-controls', '[part~="leave-button"]')).click();
    const event = (await left) as CustomEvent<{ reason: string }>;
    expect(event.detail.reason).toBe('user');
    expect(text(await find(call, '[part="status"]'))).toBe('You left the call.');
    const rejoin = await find<HTMLButtonElement>(call, '[part="retry-button"]');
    expect(text(rejoin)).toBe('Rejoin');
    rejoin.click();
    await expectTiles(call, 2, 2);
  },
};

// One story per error code: the message a person sees in the error box, with what to do next.

function errorStory(code: ErrorCode, lang: 'en' | 'nl' = 'en'): Story {
  return {
    name: `Error: ${code}${lang === 'nl' ? ' (nl)' : ''}`,
    args: { error: code, state: stateFor(code), lang, participants: code === 'connection-failed' ? 2 : 4 },
    play: async ({ canvasElement }) => {
      const call = await callIn(canvasElement);
      const box = await find(call, '[part="error"]');
      expect(box.getAttribute('role')).toBe('alert');
      expect(box.dataset['code']).toBe(code);
      expect(text(deep(box, '[part="error-title"]'))).toBe(translate(lang, `error.${code}.title`));
      expect(text(deep(box, '[part="error-hint"]'))).toBe(translate(lang, `error.${code}.hint`));
    },
  };
}

export const ErrorDismissed: Story = {
  name: 'Error, dismissed',
  args: { error: 'connection-failed', state: 'joined', participants: 2 },
  play: async ({ canvasElement }) => {
    const call = await callIn(canvasElement);
    const dismiss = await find<HTMLButtonElement>(call, '[part="error"] .dismiss');
    expect(dismiss.getAttribute('aria-label')).toBe('Dismiss');
    dismiss.click();
    await waitFor(() => expect(deep(call, '[part="error"]')).toBeNull());
    // The call goes on underneath.
    expect(tiles(call)).toHaveLength(2);
  },
};

export const ErrorRoomFull: Story = {
  ...errorStory('room-full'),
  play: async (context) => {
    const call = await callIn(context.canvasElement);
    const box = await find(call, '[part="error"]');
    expect(text(deep(box, '[part="error-title"]'))).toBe('This room is full');
    expect(text(deep(box, '[part="error-hint"]'))).toBe('Try again later, or ask the host for another room.');
    expect(text(deep(call, '[part="retry-button"]'))).toBe('Try again');
    await errorStory('room-full').play!(context);
  },
};
export const ErrorRoomFullDutch: Story = {
  ...errorStory('room-full', 'nl'),
  play: async (context) => {
    const call = await callIn(context.canvasElement);
    expect(text(await find(call, '[part="error-title"]'))).toBe('Deze kamer is vol');
    expect(text(deep(call, '[part="retry-button"]'))).toBe('Opnieuw proberen');
    await errorStory('room-full', 'nl').play!(context);
  },
};
export const ErrorPermissionDenied = errorStory('permission-denied');
export const ErrorNoDevice = errorStory('no-device');
export const ErrorDeviceInUse = errorStory('device-in-use');
export const ErrorInsecureContext = errorStory('insecure-context');
export const ErrorSignalingUnreachable = errorStory('signaling-unreachable');
export const ErrorUnauthorized = errorStory('unauthorized');
export const ErrorConnectionFailed = errorStory('connection-failed');
export const ErrorInvalidInput = errorStory('invalid-input');
export const ErrorRateLimited = errorStory('rate-limited');
