import type { ChatMessage } from './data/chat.js';
import type { RtcError } from './errors.js';
import { NO_DEVICES, NO_SELECTION, type DeviceList, type SelectedDevices } from './media/devices.js';

/** Where a call is in its life. */
export type CallState = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'failed';

/** The only legal moves between states; anything else is a bug and throws. */
const TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  idle: ['joining', 'left'],
  joining: ['joined', 'failed', 'left'],
  joined: ['reconnecting', 'left', 'failed'],
  reconnecting: ['joined', 'left', 'failed'],
  left: ['joining'],
  failed: ['joining', 'left'],
};

export function canTransition(from: CallState, to: CallState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(from: CallState, to: CallState): void {
  if (!canTransition(from, to)) throw new Error(`Illegal call state change: ${from} -> ${to}`);
}

/** How a connection to one remote participant is doing, as a person would name it. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

/** Call quality of one connection, from its statistics. */
export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** One remote participant, frozen. A new object replaces it on every change. */
export interface ParticipantSnapshot {
  readonly id: string;
  readonly name: string;
  /** Camera and microphone as received; `null` until the first track arrives. */
  readonly stream: MediaStream | null;
  readonly screenStream: MediaStream | null;
  readonly microphone: boolean;
  readonly camera: boolean;
  readonly screenSharing: boolean;
  readonly connectionState: ConnectionState;
  readonly quality: Quality;
  /** They are recording the call on their device. */
  readonly recording: boolean;
}

/** A file on its way to or from this device. */
export interface FileTransferSnapshot {
  readonly id: string;
  readonly direction: 'send' | 'receive';
  /** The other side: the sender of an incoming file; for outgoing files, `null` (everyone). */
  readonly peerId: string | null;
  readonly peerName: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** Bytes moved so far (for outgoing files, the slowest receiver's). */
  readonly transferred: number;
  readonly state: 'active' | 'done' | 'cancelled' | 'failed';
  /** Why it failed, in English, when it did. */
  readonly error: string | null;
  /** A received file, once it arrived whole and checked (kept for this call). */
  readonly blob: Blob | null;
}

/** Everything a view needs to draw a call, frozen and replaced on every change. */
export interface CallSnapshot {
  readonly state: CallState;
  readonly selfId: string | null;
  readonly name: string;
  readonly localStream: MediaStream | null;
  readonly screenStream: MediaStream | null;
  readonly microphone: boolean;
  readonly camera: boolean;
  readonly screenSharing: boolean;
  readonly participants: readonly ParticipantSnapshot[];
  /** The most recent failure, until the next successful step clears it. */
  readonly error: RtcError | null;
  /** This session's chat, oldest first (messages sent before joining are not available). */
  readonly chat: readonly ChatMessage[];
  readonly transfers: readonly FileTransferSnapshot[];
  /** Cameras, microphones and speakers, with labels once permission was given. */
  readonly devices: DeviceList;
  /** The chosen device of each kind (`null`: the browser's default). */
  readonly selectedDevices: SelectedDevices;
  /** Who is speaking loudest right now: a participant id, our own `selfId`, or `null`. */
  readonly activeSpeaker: string | null;
  /** This device is recording the call. */
  readonly recording: boolean;
}

/** Maps `RTCPeerConnection.connectionState` to what the interface shows. */
export function toConnectionState(state: RTCPeerConnectionState): ConnectionState {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'disconnected':
      return 'reconnecting';
    case 'failed':
    case 'closed':
      return 'failed';
    default:
      return 'connecting';
  }
}

export function freezeSnapshot(snapshot: CallSnapshot): CallSnapshot {
  return Object.freeze({
    ...snapshot,
    participants: Object.freeze(snapshot.participants.map((p) => Object.freeze({ ...p }))),
    chat: Object.freeze([...snapshot.chat]),
    transfers: Object.freeze(snapshot.transfers.map((t) => Object.freeze({ ...t }))),
  });
}

/** The snapshot of a call that has not started: nothing captured, nobody there. */
export const INITIAL_SNAPSHOT: CallSnapshot = freezeSnapshot({
  state: 'idle',
  selfId: null,
  name: '',
  localStream: null,
  screenStream: null,
  microphone: false,
  camera: false,
  screenSharing: false,
  participants: [],
  error: null,
  chat: [],
  transfers: [],
  devices: NO_DEVICES,
  selectedDevices: NO_SELECTION,
  activeSpeaker: null,
  recording: false,
});
