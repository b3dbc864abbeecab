/**
 * A `Call` whose snapshot a story writes: realistic calls with no camera, no microphone
 * and no server. Remote people get canvas-drawn video (their name on it); the buttons
 * work (microphone, camera, screen share, chat, files, devices, leave, rejoin), changing
 * the scripted snapshot the way the real `Call` would.
 *
 * ```ts
 * const call = new ScriptedCall({ people: 4, error: 'room-full' });
 * html`<rtc-call room="demo" .call=${call}></rtc-call>`;
 * ```
 */
import { Call, type ParticipantStats, type SendFileOptions } from '../../src/core/call.js';
import {
  INITIAL_SNAPSHOT,
  freezeSnapshot,
  type CallSnapshot,
  type CallState,
  type ConnectionState,
  type FileTransferSnapshot,
  type ParticipantSnapshot,
  type Quality,
} from '../../src/core/call-state.js';
import type { ChatMessage } from '../../src/core/data/chat.js';
import { RtcError, type ErrorCode } from '../../src/core/errors.js';
import type { DeviceInfo, DeviceKind, DeviceList } from '../../src/core/media/devices.js';
import { fakeCamera, fakeScreen, stopStream } from './fake-media.js';

/** One other person in the scripted call. */
export interface PersonScript {
  id?: string;
  name: string;
  /** Colour of their video, 0–360. */
  hue?: number;
  microphone?: boolean;
  camera?: boolean;
  /** They share their screen (shown large, with everyone's cameras beside it). */
  screenSharing?: boolean;
  connectionState?: ConnectionState;
  quality?: Quality;
  recording?: boolean;
}

/** A chat line: from a person's id, or `'self'`. */
export interface MessageScript {
  from: string;
  text: string;
  minutesAgo?: number;
}

export interface CallScript {
  room?: string;
  /** Your display name. */
  name?: string;
  /** Where the call is. Default `joined`. */
  state?: CallState;
  /**
   * How many people are in the call, you included (2, 4, 9: that many tiles), or the
   * others spelled out. Default 2.
   */
  people?: number | readonly PersonScript[];
  microphone?: boolean;
  camera?: boolean;
  /** You share your screen. */
  screenSharing?: boolean;
  /** The loudest speaker: a person's id, `'self'`, or none. */
  activeSpeaker?: string | null;
  /** You record the call. */
  recording?: boolean;
  /** A failure shown by `<rtc-call>` (and fired as `error`). */
  error?: ErrorCode | null;
  chat?: readonly MessageScript[];
  transfers?: readonly (Partial<FileTransferSnapshot> & { name: string })[];
  /** Cameras and microphones are listed (permission given). Default: once media started. */
  devices?: boolean;
  /** How long joining takes, in ms. Default 400. */
  joinDelay?: number;
  /** Largest file that may be sent, in bytes. Default 200 MiB. */
  maxFileSize?: number;
}

export const SELF_ID = 'self';

const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Radia Perlman',
  'Tim Berners-Lee',
  'Margaret Hamilton',
  'Vint Cerf',
  'Barbara Liskov',
  'Edsger Dijkstra',
  'Frances Allen',
  'Donald Knuth',
];

/** The others in a call of `total` people (you included), named and coloured. */
export function people(total: number, overrides: Record<number, Partial<PersonScript>> = {}): PersonScript[] {
  return Array.from({ length: Math.max(0, total - 1) }, (_, i) => ({
    id: `p${i + 1}`,
    name: NAMES[i % NAMES.length]!,
    hue: (i * 47 + 200) % 360,
    ...overrides[i + 1],
  }));
}

const DEVICES: DeviceList = Object.freeze({
  videoinput: [device('videoinput', 'cam-built-in', 'FaceTime HD Camera'), device('videoinput', 'cam-usb', 'Logitech BRIO')],
  audioinput: [device('audioinput', 'mic-built-in', 'MacBook Pro Microphone'), device('audioinput', 'mic-headset', 'Jabra Evolve2 65')],
  audiooutput: [device('audiooutput', 'out-built-in', 'MacBook Pro Speakers'), device('audiooutput', 'out-headset', 'Jabra Evolve2 65')],
});

function device(kind: DeviceKind, deviceId: string, label: string): DeviceInfo {
  return Object.freeze({ kind, deviceId, label });
}

/** English messages, as the core would log them; the interface shows its own words per code. */
const ERROR_MESSAGES: Record<ErrorCode, string> = {
  'permission-denied': 'Camera or microphone permission was denied (NotAllowedError)',
  'no-device': 'No camera or microphone was found (NotFoundError)',
  'device-in-use': 'The camera or microphone could not be started (NotReadableError)',
  'insecure-context': 'Camera and microphone need a secure context (https)',
  'signaling-unreachable': 'The signal server could not be reached',
  'room-full': 'The room is full',
  unauthorized: 'The server refused the token',
  'connection-failed': 'The connection to a participant failed',
  'invalid-input': 'The server rejected a message',
  'rate-limited': 'Too many requests',
};

/** Where each error leaves the call, as the real one would. */
export function stateFor(code: ErrorCode): CallState {
  switch (code) {
    case 'permission-denied':
    case 'no-device':
    case 'device-in-use':
    case 'insecure-context':
      return 'idle';
    case 'connection-failed':
      return 'joined';
    default:
      return 'failed';
  }
}

export class ScriptedCall extends Call {
  #snapshot: CallSnapshot;
  readonly #script: CallScript;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #disposed = false;
  #nextId = 1;

  constructor(script: CallScript = {}) {
    super({ room: script.room ?? 'storybook', name: script.name ?? 'Sam Rivera', maxFileSize: script.maxFileSize ?? 200 * 1024 * 1024 });
    this.#script = script;
    const error = script.error ?? null;
    const state = script.state ?? (error ? stateFor(error) : 'joined');
    const inCall = state === 'joined' || state === 'reconnecting';
    const microphone = script.microphone ?? true;
    const camera = script.camera ?? true;
    const mediaStarted = inCall || state === 'joining';
    this.#snapshot = freezeSnapshot({
      ...INITIAL_SNAPSHOT,
      state,
      selfId: inCall ? SELF_ID : null,
      name: script.name ?? 'Sam Rivera',
      microphone,
      camera,
      localStream: mediaStarted ? fakeCamera(script.name ?? 'Sam Rivera', 150) : null,
      screenStream: inCall && script.screenSharing ? fakeScreen('You') : null,
      screenSharing: Boolean(inCall && script.screenSharing),
      participants: inCall ? this.#people() : [],
      error: error ? new RtcError(error, ERROR_MESSAGES[error]) : null,
      chat: inCall ? this.#messages() : [],
      transfers: inCall ? this.#transfers() : [],
      devices: (script.devices ?? mediaStarted) ? DEVICES : INITIAL_SNAPSHOT.devices,
      selectedDevices: Object.freeze({ videoinput: 'cam-built-in', audioinput: 'mic-built-in', audiooutput: 'out-built-in' }),
      activeSpeaker: inCall ? (script.activeSpeaker === 'self' ? SELF_ID : (script.activeSpeaker ?? null)) : null,
      recording: Boolean(inCall && script.recording),
    });
  }

  override get snapshot(): CallSnapshot {
    return this.#snapshot;
  }

  override get state(): CallState {
    return this.#snapshot.state;
  }

  /** Replaces parts of the snapshot and announces the change, as the real `Call` does. */
  update(patch: Partial<CallSnapshot>): void {
    if (this.#disposed) return;
    const previous = this.#snapshot.state;
    this.#snapshot = freezeSnapshot({ ...this.#snapshot, ...patch });
    this.dispatchEvent(new Event('change'));
    if (patch.state && patch.state !== previous) this.emit('statechange', { state: patch.state, previous });
  }

  /** Changes one person (muted, camera off, quality, connection, ...). */
  updateParticipant(id: string, patch: Partial<ParticipantSnapshot>): void {
    this.update({ participants: this.#snapshot.participants.map((p) => (p.id === id ? { ...p, ...patch } : p)) });
  }

  /** Someone joins (fires `participantjoined`). */
  addParticipant(person: PersonScript): ParticipantSnapshot {
    const participant = this.#person(person, this.#snapshot.participants.length);
    this.update({ participants: [...this.#snapshot.participants, participant] });
    this.emit('participantjoined', { participant });
    return participant;
  }

  /** Someone leaves (fires `participantleft`). */
  removeParticipant(id: string): void {
    const participant = this.#snapshot.participants.find((p) => p.id === id);
    if (!participant) return;
    stopStream(participant.stream);
    stopStream(participant.screenStream);
    this.update({ participants: this.#snapshot.participants.filter((p) => p.id !== id) });
    this.emit('participantleft', { participant });
  }

  /** A message arrives from someone (fires `chatmessage`). */
  receiveChat(from: string, text: string): ChatMessage {
    const sender = this.#snapshot.participants.find((p) => p.id === from);
    const message: ChatMessage = Object.freeze({ id: `m${this.#nextId++}`, from, fromName: sender?.name ?? '', text, sentAt: Date.now(), self: false });
    this.update({ chat: [...this.#snapshot.chat, message] });
    this.emit('chatmessage', { message });
    return message;
  }

  /** A failure, shown by `<rtc-call>` and fired as `error`; `state` where it leaves the call. */
  fail(code: ErrorCode, state: CallState = stateFor(code)): void {
    const error = new RtcError(code, ERROR_MESSAGES[code]);
    this.update({ error, state });
    this.emit('error', { error });
  }

  /** Stops every canvas and timer this call started. */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const s = this.#snapshot;
    for (const stream of [s.localStream, s.screenStream, ...s.participants.flatMap((p) => [p.stream, p.screenStream])]) stopStream(stream);
    this.#disposed = true;
  }

  // What the elements call -------------------------------------------------------------

  override async startPreview(): Promise<void> {
    if (!this.#snapshot.localStream) this.update({ localStream: fakeCamera(this.#snapshot.name || 'You', 150), devices: DEVICES, error: null });
  }

  override async join(): Promise<void> {
    const state = this.#snapshot.state;
    if (state === 'joining' || state === 'joined' || state === 'reconnecting') return;
    this.update({ state: 'joining', error: null });
    await this.#wait(this.#script.joinDelay ?? 400);
    if (this.#snapshot.state !== 'joining') return;
    this.update({
      state: 'joined',
      selfId: SELF_ID,
      localStream: this.#snapshot.localStream ?? fakeCamera(this.#snapshot.name || 'You', 150),
      devices: DEVICES,
      participants: this.#people(),
      activeSpeaker: this.#script.activeSpeaker === 'self' ? SELF_ID : (this.#script.activeSpeaker ?? null),
      chat: [],
      transfers: [],
    });
  }

  override async leave(): Promise<void> {
    if (this.#snapshot.state === 'left') return;
    const s = this.#snapshot;
    for (const stream of [s.localStream, s.screenStream, ...s.participants.flatMap((p) => [p.stream, p.screenStream])]) stopStream(stream);
    this.update({
      state: 'left',
      selfId: null,
      localStream: null,
      screenStream: null,
      screenSharing: false,
      participants: [],
      activeSpeaker: null,
      recording: false,
    });
  }

  override async setMicrophone(on: boolean): Promise<void> {
    this.update({ microphone: on });
  }

  override async setCamera(on: boolean): Promise<void> {
    this.update({ camera: on });
  }

  override setName(name: string): void {
    this.update({ name });
  }

  override async startScreenShare(): Promise<void> {
    if (this.#snapshot.screenSharing) return;
    this.update({ screenStream: fakeScreen('You'), screenSharing: true });
  }

  override async stopScreenShare(): Promise<void> {
    stopStream(this.#snapshot.screenStream);
    this.update({ screenStream: null, screenSharing: false });
  }

  override async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    this.update({ selectedDevices: Object.freeze({ ...this.#snapshot.selectedDevices, [kind]: deviceId }) });
  }

  override sendChat(text: string): ChatMessage {
    const trimmed = text.trim();
    if (!trimmed) throw new RangeError('A chat message cannot be empty');
    const message: ChatMessage = Object.freeze({ id: `m${this.#nextId++}`, from: SELF_ID, fromName: this.#snapshot.name, text: trimmed, sentAt: Date.now(), self: true });
    this.update({ chat: [...this.#snapshot.chat, message] });
    this.emit('chatmessage', { message });
    return message;
  }

  /** Sends to everyone with made-up progress: about two seconds per file. */
  override sendFile(file: Blob & { name?: string }, options: SendFileOptions = {}): Promise<void> {
    const limit = this.options.maxFileSize ?? Infinity;
    if (file.size > limit) return Promise.reject(new RtcError('invalid-input', `The file is larger than ${limit} bytes`));
    if (!this.#snapshot.participants.some((p) => p.connectionState === 'connected')) {
      return Promise.reject(new RtcError('connection-failed', 'Nobody is connected to receive the file'));
    }
    const transfer = this.#transfer({ name: file.name ?? 'file', type: file.type, size: file.size, direction: 'send', state: 'active', transferred: 0 });
    this.update({ transfers: [...this.#snapshot.transfers, transfer] });
    return new Promise<void>((resolve, reject) => {
      const step = (): void => {
        const current = this.#snapshot.transfers.find((t) => t.id === transfer.id);
        if (!current || current.state !== 'active') return reject(new RtcError('connection-failed', 'The transfer was cancelled'));
        if (options.signal?.aborted) {
          this.cancelTransfer(transfer.id);
          return reject(new RtcError('connection-failed', 'The transfer was cancelled'));
        }
        const transferred = Math.min(current.size, current.transferred + Math.max(1, Math.ceil(current.size / 10)));
        const done = transferred >= current.size;
        this.#patchTransfer(transfer.id, { transferred, state: done ? 'done' : 'active' });
        options.onProgress?.({ transferred, total: current.size });
        if (done) resolve();
        else void this.#wait(200).then(step);
      };
      void this.#wait(200).then(step);
    });
  }

  override cancelTransfer(id: string): void {
    const transfer = this.#snapshot.transfers.find((t) => t.id === id);
    if (transfer?.state === 'active') this.#patchTransfer(id, { state: 'cancelled' });
  }

  override async getStats(): Promise<ParticipantStats[]> {
    return [];
  }

  override setRecording(on: boolean): void {
    this.update({ recording: on });
  }

  // Building the snapshot ----------------------------------------------------------------

  /** The others as scripted, each with an id. */
  #scriptedPeople(): PersonScript[] {
    const script = this.#script.people ?? 2;
    const list = typeof script === 'number' ? people(script) : script;
    return list.map((person, index) => ({ ...person, id: person.id ?? `p${index + 1}` }));
  }

  #people(): ParticipantSnapshot[] {
    return this.#scriptedPeople().map((person, index) => this.#person(person, index));
  }

  #person(person: PersonScript, index: number): ParticipantSnapshot {
    const hue = person.hue ?? (index * 47 + 200) % 360;
    const screenSharing = person.screenSharing ?? false;
    return {
      id: person.id ?? `p${index + 1}`,
      name: person.name,
      stream: fakeCamera(person.name, hue),
      screenStream: screenSharing ? fakeScreen(person.name) : null,
      microphone: person.microphone ?? true,
      camera: person.camera ?? true,
      screenSharing,
      connectionState: person.connectionState ?? 'connected',
      quality: person.quality ?? 'good',
      recording: person.recording ?? false,
    };
  }

  #messages(): ChatMessage[] {
    const now = Date.now();
    const everyone = this.#scriptedPeople();
    return (this.#script.chat ?? []).map((line) => {
      const self = line.from === 'self' || line.from === SELF_ID;
      const sender = everyone.find((p) => p.id === line.from);
      return Object.freeze({
        id: `m${this.#nextId++}`,
        from: self ? SELF_ID : line.from,
        fromName: self ? (this.#script.name ?? 'Sam Rivera') : (sender?.name ?? ''),
        text: line.text,
        sentAt: now - (line.minutesAgo ?? 0) * 60_000,
        self,
      });
    });
  }

  #transfers(): FileTransferSnapshot[] {
    return (this.#script.transfers ?? []).map((t) => this.#transfer(t));
  }

  #transfer(t: Partial<FileTransferSnapshot> & { name: string }): FileTransferSnapshot {
    const size = t.size ?? 1024 * 1024;
    const state = t.state ?? 'done';
    const direction = t.direction ?? 'receive';
    return {
      id: t.id ?? `t${this.#nextId++}`,
      direction,
      peerId: t.peerId ?? (direction === 'send' ? null : 'p1'),
      peerName: t.peerName ?? (direction === 'send' ? '' : NAMES[0]!),
      name: t.name,
      type: t.type ?? 'application/octet-stream',
      size,
      transferred: t.transferred ?? (state === 'done' ? size : Math.round(size * 0.4)),
      state,
      error: t.error ?? (state === 'failed' ? 'The connection closed' : null),
      blob: t.blob ?? (state === 'done' && direction === 'receive' ? new Blob([`Scripted file: ${t.name}\n`], { type: 'text/plain' }) : null),
    };
  }

  #patchTransfer(id: string, patch: Partial<FileTransferSnapshot>): void {
    this.update({ transfers: this.#snapshot.transfers.map((t) => (t.id === id ? { ...t, ...patch } : t)) });
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

// One scripted call per rendered story: re-rendering (new args) replaces it, and the
// preview's cleanup disposes it when the story goes away (see .storybook/preview.ts).
const calls = new Map<string, ScriptedCall>();

/** A fresh scripted call for the story `storyId`, disposing the one it had before. */
export function scriptedCall(storyId: string, script: CallScript = {}): ScriptedCall {
  calls.get(storyId)?.dispose();
  const call = new ScriptedCall(script);
  calls.set(storyId, call);
  return call;
}

/**
 * Disposes the scripted calls of a story (`storyId`, and `storyId:anything` for stories
 * with several calls), or all of them.
 */
export function disposeScriptedCalls(storyId?: string): void {
  for (const [id, call] of calls) {
    if (storyId !== undefined && id !== storyId && !id.startsWith(`${storyId}:`)) continue;
    call.dispose();
    calls.delete(id);
  }
}
