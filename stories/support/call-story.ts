/**
 * `<rtc-call>` in stories: its attributes as controls, and a scripted call behind it whose
 * state the other controls (category "Scripted call") set.
 */
import type { ArgTypes } from '@storybook/web-components-vite';
import { html, nothing, type TemplateResult } from 'lit';
import '../../src/components/call/rtc-call.js';
import type { RtcCall } from '../../src/components/call/call.js';
import type { CallState, ConnectionState, Quality } from '../../src/core/call-state.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { deep, find } from './dom.js';
import { expectGrid, gridTiles } from './grid.js';
import { people, scriptedCall, type CallScript, type ScriptedCall } from './scripted-call.js';

/** The element's own attributes, and what the scripted call behind it shows. */
export interface CallArgs {
  room: string;
  name: string;
  theme: 'auto' | 'light' | 'dark';
  lang: 'en' | 'nl';
  muted: boolean;
  cameraOff: boolean;
  participants: number;
  state: CallState;
  error: ErrorCode | 'none';
  screenShare: 'none' | 'you' | 'someone';
  someoneMuted: boolean;
  someoneCameraOff: boolean;
  quality: Quality;
  connection: ConnectionState;
  activeSpeaker: boolean;
  recording: 'none' | 'you' | 'someone';
  chat: boolean;
}


/** The scripted call for a story's args. */
export function scriptFor(args: CallArgs): CallScript {
  return {
    room: args.room,
    name: args.name,
    state: args.state,
    error: args.error === 'none' ? null : args.error,
    microphone: !args.muted,
    camera: !args.cameraOff,
    screenSharing: args.screenShare === 'you',
    people: people(args.participants, {
      1: { microphone: !args.someoneMuted, quality: args.quality, screenSharing: args.screenShare === 'someone' },
      2: { camera: !args.someoneCameraOff, connectionState: args.connection, recording: args.recording === 'someone' },
    }),
    activeSpeaker: args.activeSpeaker ? 'p1' : null,
    recording: args.recording === 'you',
    chat: args.chat
      ? [
          { from: 'p1', text: 'Morning! Can everyone see my screen?', minutesAgo: 4 },
          { from: 'self', text: 'Yes, loud and clear.', minutesAgo: 3 },
          { from: 'p1', text: 'Great. The slides are in the shared folder too.', minutesAgo: 2 },
          { from: 'p1', text: 'Sending the notes now.', minutesAgo: 1 },
        ]
      : [],
    transfers: args.chat ? [{ name: 'standup-notes.pdf', size: 482_000, state: 'done', direction: 'receive' }] : [],
  };
}

/** `<rtc-call>` with a scripted call behind it (a fresh one for every render). */
export function renderCall(args: CallArgs, storyId: string, call: ScriptedCall = scriptedCall(storyId, scriptFor(args))): TemplateResult {
  return html`<rtc-call
    style="height: 600px"
    room=${args.room}
    name=${args.name || nothing}
    theme=${args.theme === 'auto' ? nothing : args.theme}
    lang=${args.lang}
    ?muted=${args.muted}
    ?camera-off=${args.cameraOff}
    .call=${call}
  ></rtc-call>`;
}

/** The story's `<rtc-call>`, rendered. */
export async function callIn(canvas: HTMLElement): Promise<RtcCall & ScriptedCallHost> {
  const call = await find<RtcCall>(canvas, 'rtc-call');
  await call.updateComplete;
  return call as RtcCall & ScriptedCallHost;
}

export interface ScriptedCallHost {
  readonly call: ScriptedCall;
}

/** Every camera tile in the call's grid (yours first). */
export function tiles(call: Element): HTMLElement[] {
  const grid = deep(call, 'rtc-participant-grid');
  return grid ? gridTiles(grid) : [];
}

export function tileOf(call: Element, id: string): HTMLElement | null {
  return deep(call, 'rtc-participant-grid', `rtc-remote-video[participant="${id}"]:not([screen])`);
}

/** The call shows `count` tiles in a grid of `columns` columns. */
export async function expectTiles(call: Element, count: number, columns: number): Promise<void> {
  await expectGrid(await find(call, 'rtc-participant-grid'), count, columns);
}

const scripted = { table: { category: 'Scripted call' } } as const;

/** The default args of every `<rtc-call>` story. */
export const CALL_ARGS: CallArgs = {
  room: 'team-standup',
  name: 'Sam Rivera',
  theme: 'auto',
  lang: 'en',
  muted: false,
  cameraOff: false,
  participants: 4,
  state: 'joined',
  error: 'none',
  screenShare: 'none',
  someoneMuted: false,
  someoneCameraOff: false,
  quality: 'good',
  connection: 'connected',
  activeSpeaker: false,
  recording: 'none',
  chat: false,
};

/** Controls for the attributes and the scripted call. */
export const CALL_ARG_TYPES = {
  theme: { control: 'inline-radio', options: ['auto', 'light', 'dark'], description: '`light`, `dark`, or unset (`auto` here): follow `prefers-color-scheme`' },
  lang: { control: 'inline-radio', options: ['en', 'nl'] },
  participants: { ...scripted, control: { type: 'range', min: 1, max: 12 }, description: 'People in the call, you included' },
  state: { ...scripted, control: 'select', options: ['idle', 'joining', 'joined', 'reconnecting', 'left', 'failed'] },
  error: {
    ...scripted,
    control: 'select',
    options: ['none', 'permission-denied', 'no-device', 'device-in-use', 'insecure-context', 'signaling-unreachable', 'room-full', 'unauthorized', 'connection-failed', 'invalid-input', 'rate-limited'],
  },
  screenShare: { ...scripted, control: 'inline-radio', options: ['none', 'you', 'someone'] },
  someoneMuted: { ...scripted, description: 'The first other person has their microphone off' },
  someoneCameraOff: { ...scripted, description: 'The second other person has their camera off' },
  quality: { ...scripted, control: 'select', options: ['good', 'fair', 'poor', 'unknown'], description: 'Connection quality of the first other person' },
  connection: { ...scripted, control: 'select', options: ['connecting', 'connected', 'reconnecting', 'failed'], description: 'Connection of the second other person' },
  activeSpeaker: { ...scripted, description: 'The first other person is speaking' },
  recording: { ...scripted, control: 'inline-radio', options: ['none', 'you', 'someone'] },
  chat: { ...scripted, description: 'Messages and a file in the chat' },
} satisfies Partial<ArgTypes<CallArgs>>;
