import type { RtcError } from './errors.js';

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
  });
}
