import type { IceServerInfo, ParticipantInfo, RelayedSignal } from '../protocol/index.js';
import {
  assertTransition,
  freezeSnapshot,
  type CallSnapshot,
  type CallState,
  type ParticipantSnapshot,
} from './call-state.js';
import { RtcError } from './errors.js';
import { TypedEventTarget } from './events.js';
import { captureMedia, captureTrack } from './media/capture.js';
import { RemotePeer, type LocalMedia } from './peer/remote-peer.js';
import { SignalingClient } from './signaling/signaling-client.js';

export interface CallOptions {
  /** Signal server URL. Default: the page's origin. */
  server?: string;
  /** The room to join; peers in the same room on the same server meet. */
  room: string;
  /** Display name shown to others. */
  name?: string;
  /** Access token, for servers that require one. */
  token?: string;
  /** STUN/TURN servers; added to those the signal server hands out on join. */
  iceServers?: RTCIceServer[];
  /** `relay` hides this device's IP addresses from peers (needs a TURN server). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Capture a microphone (or these constraints). Default true. */
  audio?: boolean | MediaTrackConstraints;
  /** Capture a camera (or these constraints). Default true. */
  video?: boolean | MediaTrackConstraints;
  /** Start with the microphone on. Default true. */
  microphone?: boolean;
  /** Start with the camera on. Default true. */
  camera?: boolean;
}

export type LeaveReason = 'user' | 'kicked' | 'error';

export interface CallEventMap {
  change: Event;
  statechange: CustomEvent<{ state: CallState; previous: CallState; reason?: LeaveReason }>;
  participantjoined: CustomEvent<{ participant: ParticipantSnapshot }>;
  participantleft: CustomEvent<{ participant: ParticipantSnapshot }>;
  error: CustomEvent<{ error: RtcError }>;
}

const INITIAL: CallSnapshot = freezeSnapshot({
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
});

/**
 * One call: owns the camera and microphone, the connection to the signal server, and a
 * peer connection per remote participant (full mesh). It is the only writer of its
 * `snapshot`, which it replaces on every change and announces with one `change` event.
 *
 * ```ts
 * const call = new Call({ room: 'standup', name: 'Ada' });
 * call.addEventListener('change', () => render(call.snapshot));
 * await call.join();
 * ```
 *
 * @fires change - the snapshot was replaced
 * @fires statechange - `detail: { state, previous, reason }`
 * @fires participantjoined - someone joined after us; `detail: { participant }`
 * @fires participantleft - `detail: { participant }`
 * @fires error - `detail: { error }`, an `RtcError` with a `code`
 */
export class Call extends TypedEventTarget<CallEventMap> {
  readonly options: Readonly<CallOptions>;
  #snapshot: CallSnapshot = INITIAL;
  #signaling: SignalingClient | null = null;
  #abort: AbortController | null = null;
  /** The MediaStream our tracks travel under; its id tells peers which tracks belong together. */
  readonly #sendStream = new MediaStream();
  #audioTrack: MediaStreamTrack | null = null;
  #videoTrack: MediaStreamTrack | null = null;
  #mediaRequested = false;
  #iceServers: RTCIceServer[] = [];
  readonly #participants = new Map<string, ParticipantInfo>();
  readonly #peers = new Map<string, RemotePeer>();

  constructor(options: CallOptions) {
    super();
    this.options = Object.freeze({ ...options });
    this.#write({ name: options.name ?? '', microphone: options.microphone ?? true, camera: options.camera ?? true });
  }

  /** The current state of the call: immutable, replaced on every change. */
  get snapshot(): CallSnapshot {
    return this.#snapshot;
  }

  get state(): CallState {
    return this.#snapshot.state;
  }

  /**
   * Starts the camera and microphone before joining, for a preview. Failures are kept in
   * `snapshot.error` and fired as `error`; the returned promise rejects with them too.
   */
  async startPreview(): Promise<void> {
    const error = await this.#acquireMedia();
    if (error) throw error;
  }

  /** Joins the room; resolves once in it. A media failure does not stop the join. */
  async join(): Promise<void> {
    const state = this.#snapshot.state;
    if (state === 'joining' || state === 'joined' || state === 'reconnecting') return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#setState('joining');
    this.#write({ error: null });
    try {
      await this.#acquireMedia();
      abort.signal.throwIfAborted();
      const signaling = this.#createSignaling();
      this.#signaling = signaling;
      await signaling.connect(abort.signal);
      abort.signal.throwIfAborted();
      await this.#enterRoom(signaling);
      abort.signal.throwIfAborted();
      this.#setState('joined');
    } catch (error) {
      if (abort.signal.aborted) return;
      const rtcError =
        error instanceof RtcError ? error : new RtcError('connection-failed', String(error), { cause: error });
      this.#teardownConnections();
      this.#fail(rtcError);
      throw rtcError;
    }
  }

  /** Leaves the call and releases camera and microphone. Safe to call at any time, more than once. */
  async leave(reason: LeaveReason = 'user'): Promise<void> {
    this.#abort?.abort(new RtcError('connection-failed', 'The call was left'));
    this.#abort = null;
    this.#teardownConnections();
    this.#releaseMedia();
    if (this.#snapshot.state !== 'left') this.#setState('left', reason);
  }

  /**
   * Turns the microphone on or off; others see the change. Off mutes the track (so on is
   * instant); on captures a microphone first if there was none.
   */
  async setMicrophone(on: boolean): Promise<void> {
    this.#write({ microphone: on });
    if (on && !this.#audioTrack && !(await this.#captureAgain('audio'))) return;
    if (this.#audioTrack) this.#audioTrack.enabled = this.#snapshot.microphone;
    this.#announceMedia();
  }

  /**
   * Turns the camera on or off; others see the change. Off stops the camera (its light
   * goes out); on captures it again and swaps it in without renegotiating.
   */
  async setCamera(on: boolean): Promise<void> {
    this.#write({ camera: on });
    if (!on && this.#videoTrack) {
      this.#videoTrack.stop();
      this.#videoTrack = null;
      await this.#updatePeerMedia();
    }
    if (on && !this.#videoTrack && !(await this.#captureAgain('video'))) return;
    this.#announceMedia();
  }

  /** Changes the display name; others see it. */
  setName(name: string): void {
    this.#write({ name });
    if (this.#snapshot.selfId) this.#signaling?.update({ name });
  }

  // ---- media ----

  /** Captures what the options ask for, once. Returns the failure, if any, after reporting it. */
  async #acquireMedia(): Promise<RtcError | null> {
    if (this.#mediaRequested) return null;
    this.#mediaRequested = true;
    const wantCamera = this.#snapshot.camera;
    const { tracks, error } = await captureMedia({
      audio: this.options.audio ?? true,
      video: wantCamera ? this.options.video ?? true : false,
    });
    if (this.#snapshot.state === 'left') {
      for (const track of tracks) track.stop();
      return null;
    }
    this.#audioTrack = tracks.find((t) => t.kind === 'audio') ?? null;
    this.#videoTrack = tracks.find((t) => t.kind === 'video') ?? null;
    if (this.#audioTrack) this.#audioTrack.enabled = this.#snapshot.microphone;
    this.#write({
      microphone: this.#audioTrack ? this.#snapshot.microphone : false,
      camera: this.#videoTrack ? this.#snapshot.camera : false,
    });
    this.#refreshLocalStream();
    if (error) this.#report(error);
    return error;
  }

  #releaseMedia(): void {
    this.#audioTrack?.stop();
    this.#videoTrack?.stop();
    this.#audioTrack = null;
    this.#videoTrack = null;
    this.#mediaRequested = false;
    this.#refreshLocalStream();
  }

  /**
   * Captures one device again (turning it back on) and sends it to every peer. Before any
   * media was asked for, this only records the wish; `join` and `startPreview` capture.
   * Returns false when the device could not be had (reported as `error`).
   */
  async #captureAgain(kind: 'audio' | 'video'): Promise<boolean> {
    const flag = kind === 'audio' ? 'microphone' : 'camera';
    if (!this.#mediaRequested) return true;
    let track: MediaStreamTrack;
    try {
      track = await captureTrack(kind, (kind === 'audio' ? this.options.audio : this.options.video) ?? true);
    } catch (error) {
      this.#write({ [flag]: false });
      this.#report(error as RtcError);
      this.#announceMedia();
      return false;
    }
    // Turned off again, or the call ended, while the device started.
    if (!this.#snapshot[flag] || !this.#mediaRequested) {
      track.stop();
      return false;
    }
    if (kind === 'audio') this.#audioTrack = track;
    else this.#videoTrack = track;
    await this.#updatePeerMedia();
    return true;
  }

  #localMedia(): LocalMedia {
    return { stream: this.#sendStream, audio: this.#audioTrack, video: this.#videoTrack };
  }

  /** A fresh preview stream per change, so views see a new object and attach it again. */
  #refreshLocalStream(): void {
    const tracks = [this.#audioTrack, this.#videoTrack].filter((t): t is MediaStreamTrack => t !== null);
    this.#write({ localStream: tracks.length ? new MediaStream(tracks) : null });
  }

  async #updatePeerMedia(): Promise<void> {
    this.#refreshLocalStream();
    const local = this.#localMedia();
    await Promise.all([...this.#peers.values()].map((peer) => peer.setLocalMedia(local)));
  }

  #announceMedia(): void {
    if (!this.#snapshot.selfId) return;
    const { microphone, camera, screenSharing } = this.#snapshot;
    this.#signaling?.update({ microphone, camera, screenSharing });
  }

  // ---- signaling ----

  #createSignaling(): SignalingClient {
    const url = this.options.server ?? globalThis.location?.origin;
    if (!url) throw new RtcError('signaling-unreachable', 'No signal server URL was given');
    return new SignalingClient(url, {
      onParticipantJoined: (info) => {
        const participant = this.#upsertParticipant(info);
        if (participant) this.emit('participantjoined', { participant });
      },
      onParticipantUpdated: (info) => void this.#upsertParticipant(info),
      onParticipantLeft: ({ id }) => this.#removeParticipant(id),
      onSignal: (signal) => this.#onSignal(signal),
      onServerError: (error) => console.warn(`rtc-elements: the signal server refused a message: ${error.message}`),
      onConnectionLost: () => {
        if (this.#snapshot.state === 'joined') this.#setState('reconnecting');
      },
      onReconnected: () => void this.#rejoin(),
    });
  }

  async #enterRoom(signaling: SignalingClient): Promise<void> {
    const { microphone, camera, screenSharing, name } = this.#snapshot;
    const answer = await signaling.join({
      room: this.options.room,
      name,
      ...(this.options.token ? { token: this.options.token } : {}),
      media: { microphone, camera, screenSharing },
    });
    this.#iceServers = [...(this.options.iceServers ?? []), ...answer.iceServers.map(toRtcIceServer)];
    this.#write({ selfId: answer.selfId });
    for (const info of answer.participants) {
      this.#participants.set(info.id, info);
      // The newcomer offers to everyone already there.
      this.#createPeer(info.id, true);
    }
    this.#publishParticipants();
  }

  /** The server came back: join again and connect afresh. */
  async #rejoin(): Promise<void> {
    const signaling = this.#signaling;
    if (!signaling || this.#snapshot.state !== 'reconnecting') return;
    this.#closePeers();
    this.#participants.clear();
    try {
      await this.#enterRoom(signaling);
      if (this.#snapshot.state === 'reconnecting') this.#setState('joined');
    } catch (error) {
      this.#teardownConnections();
      this.#fail(error instanceof RtcError ? error : new RtcError('connection-failed', String(error)));
    }
  }

  #onSignal({ from, data }: RelayedSignal): void {
    let peer = this.#peers.get(from);
    if (!peer) {
      if (!this.#participants.has(from)) return;
      peer = this.#createPeer(from, false);
    }
    void peer.handleSignal(data);
  }

  // ---- peers ----

  #createPeer(id: string, initiator: boolean): RemotePeer {
    const selfId = this.#snapshot.selfId ?? '';
    const peer = new RemotePeer({
      id,
      initiator,
      // Both sides compute the same answer from the two ids, so exactly one is polite.
      polite: selfId < id,
      configuration: {
        iceServers: this.#iceServers,
        iceTransportPolicy: this.options.iceTransportPolicy ?? 'all',
      },
      local: this.#localMedia(),
      send: (data) => this.#signaling?.signal(id, data),
      onChange: () => this.#publishParticipants(),
      onError: (error) => console.warn(`rtc-elements: negotiation with ${id} failed`, error),
    });
    this.#peers.set(id, peer);
    return peer;
  }

  #upsertParticipant(info: ParticipantInfo): ParticipantSnapshot | undefined {
    if (info.id === this.#snapshot.selfId) return undefined;
    this.#participants.set(info.id, info);
    this.#publishParticipants();
    return this.#snapshot.participants.find((p) => p.id === info.id);
  }

  #removeParticipant(id: string): void {
    const participant = this.#snapshot.participants.find((p) => p.id === id);
    this.#participants.delete(id);
    this.#peers.get(id)?.close();
    this.#peers.delete(id);
    this.#publishParticipants();
    if (participant) this.emit('participantleft', { participant });
  }

  #closePeers(): void {
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
  }

  #teardownConnections(): void {
    this.#closePeers();
    this.#participants.clear();
    this.#signaling?.close();
    this.#signaling = null;
    this.#write({ selfId: null, participants: [] });
  }

  #publishParticipants(): void {
    const participants = [...this.#participants.values()].map((info): ParticipantSnapshot => {
      const peer = this.#peers.get(info.id);
      return {
        id: info.id,
        name: info.name,
        stream: peer?.stream ?? null,
        screenStream: null,
        microphone: info.microphone,
        camera: info.camera,
        screenSharing: info.screenSharing,
        connectionState: peer?.connectionState ?? 'connecting',
        quality: 'unknown',
      };
    });
    this.#write({ participants });
  }

  // ---- state ----

  #setState(state: CallState, reason?: LeaveReason): void {
    const previous = this.#snapshot.state;
    if (previous === state) return;
    assertTransition(previous, state);
    this.#write({ state });
    this.emit('statechange', { state, previous, ...(reason ? { reason } : {}) });
  }

  #fail(error: RtcError): void {
    this.#setState('failed');
    this.#report(error);
  }

  #report(error: RtcError): void {
    this.#write({ error });
    this.emit('error', { error });
  }

  /** The one place the snapshot is written. */
  #write(patch: Partial<CallSnapshot>): void {
    this.#snapshot = freezeSnapshot({ ...this.#snapshot, ...patch });
    this.dispatchEvent(new Event('change'));
  }
}

function toRtcIceServer(server: IceServerInfo): RTCIceServer {
  return { ...server };
}
