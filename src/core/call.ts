import type { IceServerInfo, MediaState, ParticipantInfo, RelayedSignal, Topology } from '../protocol/index.js';
import {
  INITIAL_SNAPSHOT,
  assertTransition,
  freezeSnapshot,
  type CallSnapshot,
  type CallState,
  type ParticipantSnapshot,
} from './call-state.js';
import { decodeChat, encodeChat, normalizeChatText, type ChatMessage, type ChatWire } from './data/chat.js';
import { DEFAULT_MAX_FILE_SIZE, FileSharing, type FilePeer } from './data/file-sharing.js';
import { FILE_CHANNEL_LABEL } from './data/file-transfer.js';

export { DEFAULT_MAX_FILE_SIZE };
import { RtcError } from './errors.js';
import { TypedEventTarget } from './events.js';
import { captureMedia, captureTrack } from './media/capture.js';
import {
  listDevices,
  rememberDevice,
  rememberedDevice,
  type DeviceKind,
} from './media/devices.js';
import { captureScreen } from './media/screen.js';
import type { ConnectionStats } from './peer/quality.js';
import { RemotePeer, type LocalMedia } from './peer/remote-peer.js';
import { FULL_CAMERA, LOWER_CAMERA_FROM, cameraEncodingFor, type CameraEncoding } from './peer/send-budget.js';
import { RelayLinks, type RelayChannel } from './sfu/relay-channel.js';
import { SfuRoom } from './sfu/sfu-room.js';

export { layerForWidth } from './sfu/sfu-room.js';
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
  /** Largest file this device accepts or sends, in bytes. Default 1 GiB. */
  maxFileSize?: number;
  /**
   * From this many participants (you included) the camera video you send each peer is
   * lowered (half the width and height and 250 kbit/s; a quarter and 150 kbit/s from two
   * more people on) so a full mesh stays smooth; back to full quality below it. Default 4;
   * `Infinity` never lowers it.
   */
  lowerVideoFrom?: number;
}

export type LeaveReason = 'user' | 'kicked' | 'error';

/** A file that arrived whole, its SHA-256 checked. */
export interface ReceivedFile {
  id: string;
  from: string;
  name: string;
  type: string;
  size: number;
  blob: Blob;
}

/** Per-participant connection figures from `getStats()`, with the browser's raw report. */
export interface ParticipantStats extends ConnectionStats {
  participantId: string;
  report: RTCStatsReport;
}

export interface SendFileOptions {
  /** Called as bytes go out: the slowest receiver's progress. */
  onProgress?: (progress: { transferred: number; total: number }) => void;
  /** Cancels the transfer for every receiver. */
  signal?: AbortSignal;
}

export interface CallEventMap {
  change: Event;
  statechange: CustomEvent<{ state: CallState; previous: CallState; reason?: LeaveReason }>;
  participantjoined: CustomEvent<{ participant: ParticipantSnapshot }>;
  participantleft: CustomEvent<{ participant: ParticipantSnapshot }>;
  chatmessage: CustomEvent<{ message: ChatMessage }>;
  filereceived: CustomEvent<{ file: ReceivedFile }>;
  error: CustomEvent<{ error: RtcError }>;
}

/** How often connection quality and audio levels are read. */
const STATS_INTERVAL_MS = 1000;
/** Below this audio level nobody counts as speaking. */
const SPEAKING_LEVEL = 0.02;
/** After the server comes back, how long peers it does not list yet may take to rejoin. */
const REJOIN_GRACE_MS = 15000;


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
 * @fires chatmessage - a message arrived or was sent; `detail: { message }`
 * @fires filereceived - a file arrived whole and checked; `detail: { file }`
 * @fires error - `detail: { error }`, an `RtcError` with a `code`
 */
export class Call extends TypedEventTarget<CallEventMap> {
  readonly options: Readonly<CallOptions>;
  #snapshot: CallSnapshot = INITIAL_SNAPSHOT;
  #signaling: SignalingClient | null = null;
  #abort: AbortController | null = null;
  /** The MediaStream our tracks travel under; its id tells peers which tracks belong together. */
  readonly #sendStream = new MediaStream();
  #audioTrack: MediaStreamTrack | null = null;
  #videoTrack: MediaStreamTrack | null = null;
  #mediaRequested = false;
  #iceServers: RTCIceServer[] = [];
  /** A secret that lets this call take its participant id back after the server connection drops. */
  readonly #sessionKey = randomId(24);
  readonly #participants = new Map<string, ParticipantInfo>();
  readonly #peers = new Map<string, RemotePeer>();
  /** Peers kept through a reconnect until they rejoin too, or this timer gives up on them. */
  readonly #awaitingRejoin = new Map<string, ReturnType<typeof setTimeout>>();
  /**
   * The DTLS fingerprint of each peer we dropped after the server said they left. If they
   * come back (they resumed after the server's grace ran out), we open a fresh connection,
   * and offers still coming from their old one are recognised by it and ignored.
   */
  readonly #departed = new Map<string, string | null>();
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #watchingDevices = false;
  /** How every peer gets our camera now: lowered in a big mesh (see send-budget.ts). */
  #cameraEncoding: CameraEncoding = FULL_CAMERA;
  /** How the room carries media: `sfu` from the join answer or a `topology` event on. */
  #topology: Topology = 'mesh';
  /** SFU rooms: our connections to the SFU, the handover from the mesh, simulcast layers. */
  readonly #sfu = new SfuRoom({
    peers: this.#peers,
    signaling: () => this.#signaling,
    configuration: () => this.#peerConfiguration(),
    localMedia: () => this.#localMedia(),
    cameraOn: (id) => this.#participants.get(id)?.camera ?? false,
    peerHandedOver: (id) => this.#files.peerLeft(id),
    changed: () => this.#publishParticipants(),
  });
  /** SFU rooms: chat and file channels through the server (sfu/relay-channel.ts). */
  #relay: RelayLinks | null = null;
  /** SFU messages that came before the SFU connections were made (joining, the camera still starting). */
  #sfuEarly: (() => void)[] | null = null;

  readonly #files: FileSharing;

  constructor(options: CallOptions) {
    super();
    this.options = Object.freeze({ ...options });
    this.#files = new FileSharing({
      maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
      onChange: (transfers) => this.#write({ transfers }),
      onReceived: (file) => this.emit('filereceived', { file }),
    });
    this.#write({
      name: options.name ?? '',
      microphone: options.microphone ?? true,
      camera: options.camera ?? true,
      selectedDevices: Object.freeze({
        audioinput: rememberedDevice('audioinput'),
        videoinput: rememberedDevice('videoinput'),
        audiooutput: rememberedDevice('audiooutput'),
      }),
    });
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
    this.#files.reset(true);
    this.#write({ error: null, chat: [] });
    try {
      const signaling = this.#createSignaling();
      this.#signaling = signaling;
      // Camera and room start together: neither needs the other. A camera often takes
      // longer to start than the server to answer; offers then go out at once with empty
      // senders, and the tracks are put on them when they come (no renegotiation).
      const media = this.#acquireMedia();
      await signaling.connect(abort.signal);
      abort.signal.throwIfAborted();
      const announced = await this.#enterRoom(signaling, false, media);
      abort.signal.throwIfAborted();
      // The offers go out before 'joined' draws the whole call interface: that drawing
      // would otherwise stand between making each offer and sending it.
      await Promise.all([media, ...[...this.#peers.values()].map((peer) => peer.offered)]);
      abort.signal.throwIfAborted();
      // Without the camera or microphone that the join announced: say so.
      const { microphone, camera } = this.#snapshot;
      if (announced.microphone !== microphone || announced.camera !== camera) this.#announceMedia();
      this.#setState('joined');
      this.#startStats();
      globalThis.addEventListener?.('pagehide', this.#onPageHide);
    } catch (error) {
      if (abort.signal.aborted) return;
      const rtcError =
        error instanceof RtcError ? error : new RtcError('connection-failed', String(error), { cause: error });
      this.#teardownConnections();
      this.#fail(rtcError);
      throw rtcError;
    }
  }

  /** Leaves the call and releases camera, microphone and screen. Safe to call at any time, more than once. */
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
      this.#stopTrack(this.#videoTrack);
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

  /**
   * Shares a screen, window or tab (the browser asks which). Others see it as its own
   * stream. Stopping through the browser's own "Stop sharing" is handled too.
   */
  async startScreenShare(): Promise<void> {
    if (this.#snapshot.screenStream) return;
    let stream: MediaStream;
    try {
      stream = await captureScreen();
    } catch (error) {
      this.#report(error as RtcError);
      throw error;
    }
    const track = stream.getVideoTracks()[0];
    track?.addEventListener('ended', this.#onScreenEnded);
    this.#write({ screenStream: stream, screenSharing: true });
    await this.#updatePeerMedia();
    this.#announceMedia();
  }

  /** Stops sharing the screen. Idempotent. */
  async stopScreenShare(): Promise<void> {
    const stream = this.#snapshot.screenStream;
    if (!stream) return;
    for (const track of stream.getTracks()) {
      track.removeEventListener('ended', this.#onScreenEnded);
      track.stop();
    }
    this.#write({ screenStream: null, screenSharing: false });
    await this.#updatePeerMedia();
    this.#announceMedia();
  }

  /**
   * Sends a chat message to everyone in the call, over each peer's data channel. Returns
   * the message as it appears in `snapshot.chat`.
   */
  sendChat(text: string): ChatMessage {
    const wire: ChatWire = { id: randomId(12), text: normalizeChatText(text), sentAt: Date.now() };
    // One path per room, so nobody gets a message twice while the room moves to the SFU.
    if (this.#topology === 'sfu') for (const id of this.#participants.keys()) this.#relayLinks().chat(id).send(encodeChat(wire));
    else for (const peer of this.#peers.values()) peer.sendChat(wire);
    const message = Object.freeze({
      ...wire,
      from: this.#snapshot.selfId ?? '',
      fromName: this.#snapshot.name,
      self: true,
    });
    this.#addChat(message);
    return message;
  }

  /**
   * Sends a file to everyone in the call. It is read in slices, so a large file is never
   * held in memory; each receiver checks its SHA-256 before accepting it. Resolves when
   * every receiver has it (a receiver who leaves meanwhile only ends its own part).
   */
  sendFile(file: Blob & { name?: string }, options: SendFileOptions = {}): Promise<void> {
    const peers: FilePeer[] =
      this.#topology === 'sfu'
        ? [...this.#participants.keys()].map((id) => ({ id, pc: this.#relayLinks().opener(id) }))
        : [...this.#peers.values()].filter((p) => p.connectionState === 'connected');
    return this.#files.send(file, peers, options);
  }

  /** Cancels a file transfer in either direction. */
  cancelTransfer(id: string): void {
    this.#files.cancel(id);
  }

  /**
   * Switches camera, microphone or speaker. Camera and microphone change mid-call
   * without renegotiating (the remote tile does not flicker); the choice is remembered.
   */
  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    const previous = this.#snapshot.selectedDevices;
    this.#write({ selectedDevices: Object.freeze({ ...previous, [kind]: deviceId }) });
    rememberDevice(kind, deviceId);
    const flag = kind === 'audioinput' ? 'microphone' : 'camera';
    const current = kind === 'audioinput' ? this.#audioTrack : kind === 'videoinput' ? this.#videoTrack : null;
    // A speaker needs no capture; a device that is off is switched when it is turned on again.
    if (kind === 'audiooutput' || !current || !this.#snapshot[flag]) return;
    let track: MediaStreamTrack;
    try {
      // `exact`: the person chose this one; `ideal` would let the browser keep the default.
      track = await captureTrack(kind === 'audioinput' ? 'audio' : 'video', { ...this.#constraints(kind), deviceId: { exact: deviceId } });
    } catch (error) {
      this.#write({ selectedDevices: previous });
      rememberDevice(kind, previous[kind]);
      this.#report(error as RtcError);
      throw error;
    }
    track.enabled = current.enabled;
    this.#watchTrack(track);
    if (kind === 'audioinput') this.#audioTrack = track;
    else this.#videoTrack = track;
    await this.#updatePeerMedia();
    this.#stopTrack(current);
    void this.#refreshDevices();
  }

  /** Connection figures per participant: round-trip time, loss, bitrate and quality. */
  async getStats(): Promise<ParticipantStats[]> {
    const session = this.#sfu.session;
    if (session) {
      // Everyone comes down the one subscriber connection: its figures are each participant's.
      const sample = await session.sample();
      this.#publishParticipants();
      return sample ? [...this.#participants.keys()].map((participantId) => ({ participantId, ...sample.stats, report: sample.report })) : [];
    }
    const peers = [...this.#peers.values()];
    const samples = await Promise.all(peers.map((peer) => peer.sample()));
    this.#publishParticipants();
    return peers.flatMap((peer, i) => {
      const sample = samples[i];
      return sample ? [{ participantId: peer.id, ...sample.stats, report: sample.report }] : [];
    });
  }

  /**
   * How wide a tile shows a remote participant (CSS pixels; `null` when the tile goes
   * away). In an SFU room this picks the simulcast layer of their camera we receive: a
   * thumbnail gets the quarter-size layer, not the full picture. `<rtc-remote-video>`
   * calls it as it resizes; custom views may too. Not part of the stable API.
   */
  setTileSize(participantId: string, tile: object, width: number | null): void {
    this.#sfu.setTileSize(participantId, tile, width);
  }

  /** Tells everyone this device is (or stopped) recording, so they see an indicator. */
  setRecording(on: boolean): void {
    this.#write({ recording: on });
    this.#announceMedia();
  }

  // ---- media ----

  /** Captures what the options ask for, once. Returns the failure, if any, after reporting it. */
  async #acquireMedia(): Promise<RtcError | null> {
    if (this.#mediaRequested) return null;
    this.#mediaRequested = true;
    const wantCamera = this.#snapshot.camera;
    const { tracks, error } = await captureMedia({
      audio: this.options.audio === false ? false : this.#constraints('audioinput'),
      video: wantCamera && this.options.video !== false ? this.#constraints('videoinput') : false,
    });
    if (this.#snapshot.state === 'left' || !this.#mediaRequested) {
      for (const track of tracks) track.stop();
      return null;
    }
    this.#audioTrack = tracks.find((t) => t.kind === 'audio') ?? null;
    this.#videoTrack = tracks.find((t) => t.kind === 'video') ?? null;
    for (const track of tracks) this.#watchTrack(track);
    if (this.#audioTrack) this.#audioTrack.enabled = this.#snapshot.microphone;
    this.#write({
      microphone: this.#audioTrack ? this.#snapshot.microphone : false,
      camera: this.#videoTrack ? this.#snapshot.camera : false,
    });
    // Joining: the offers may have gone out already, with empty senders.
    await this.#updatePeerMedia().catch((failure: unknown) => console.warn('rtc-elements: could not send camera and microphone', failure));
    this.#watchDevices(true);
    if (error) this.#report(error);
    return error;
  }

  /** The constraints for one kind, with the chosen device when there is one. */
  #constraints(kind: 'audioinput' | 'videoinput'): MediaTrackConstraints {
    const option = kind === 'audioinput' ? this.options.audio : this.options.video;
    const base = typeof option === 'object' ? option : {};
    const deviceId = this.#snapshot.selectedDevices[kind];
    return deviceId ? { ...base, deviceId: { ideal: deviceId } } : base;
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
      track = await captureTrack(kind, this.#constraints(kind === 'audio' ? 'audioinput' : 'videoinput'));
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
    this.#watchTrack(track);
    if (kind === 'audio') this.#audioTrack = track;
    else this.#videoTrack = track;
    await this.#updatePeerMedia();
    void this.#refreshDevices();
    return true;
  }

  #releaseMedia(): void {
    for (const track of [this.#audioTrack, this.#videoTrack]) if (track) this.#stopTrack(track);
    this.#audioTrack = null;
    this.#videoTrack = null;
    this.#mediaRequested = false;
    void this.stopScreenShare();
    this.#watchDevices(false);
    this.#refreshLocalStream();
  }

  /** Notices a device that goes away (unplugged) while in use. */
  #watchTrack(track: MediaStreamTrack): void {
    track.addEventListener('ended', this.#onTrackEnded);
  }

  /** Stops a track on purpose, so its `ended` is not taken for an unplugged device. */
  #stopTrack(track: MediaStreamTrack): void {
    track.removeEventListener('ended', this.#onTrackEnded);
    track.stop();
  }

  /** A device was unplugged mid-call: fall back to another of its kind, and say so. */
  readonly #onTrackEnded = async (event: Event): Promise<void> => {
    const track = event.target as MediaStreamTrack;
    const kind = track.kind === 'audio' ? 'audioinput' : 'videoinput';
    const flag = track.kind === 'audio' ? 'microphone' : 'camera';
    if (track === this.#audioTrack) this.#audioTrack = null;
    else if (track === this.#videoTrack) this.#videoTrack = null;
    else return;
    await this.#refreshDevices();
    const lost = this.#snapshot.selectedDevices[kind];
    const fallback = this.#snapshot.devices[kind].find((d) => d.deviceId !== lost);
    this.#report(
      new RtcError('no-device', `The ${track.kind === 'audio' ? 'microphone' : 'camera'} was disconnected${fallback ? `; switched to ${fallback.label || 'another one'}` : ''}`),
    );
    this.#write({ selectedDevices: Object.freeze({ ...this.#snapshot.selectedDevices, [kind]: fallback?.deviceId ?? null }) });
    if (!fallback) {
      this.#write({ [flag]: false });
      await this.#updatePeerMedia();
      this.#announceMedia();
      return;
    }
    await this.#captureAgain(track.kind as 'audio' | 'video');
    if (track.kind === 'audio' && this.#audioTrack) this.#audioTrack.enabled = this.#snapshot.microphone;
  };

  #watchDevices(on: boolean): void {
    if (on === this.#watchingDevices || !navigator.mediaDevices) return;
    this.#watchingDevices = on;
    if (on) {
      navigator.mediaDevices.addEventListener('devicechange', this.#onDeviceChange);
      void this.#refreshDevices();
    } else {
      navigator.mediaDevices.removeEventListener('devicechange', this.#onDeviceChange);
    }
  }

  readonly #onDeviceChange = (): void => {
    void this.#refreshDevices();
  };

  async #refreshDevices(): Promise<void> {
    try {
      this.#write({ devices: await listDevices() });
    } catch {
      // Listing devices is a nicety; the call goes on without it.
    }
  }

  readonly #onScreenEnded = (): void => {
    void this.stopScreenShare();
  };

  #localMedia(): LocalMedia {
    return { stream: this.#sendStream, audio: this.#audioTrack, video: this.#videoTrack, screen: this.#snapshot.screenStream };
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
    await this.#sfu.session?.setLocalMedia(local);
  }

  #announceMedia(): void {
    if (!this.#snapshot.selfId) return;
    const { microphone, camera, screenSharing, screenStream, recording } = this.#snapshot;
    this.#signaling?.update({ microphone, camera, screenSharing, screenStreamId: screenStream?.id ?? null, recording });
  }

  // ---- signaling ----

  #createSignaling(): SignalingClient {
    const url = this.options.server ?? globalThis.location?.origin;
    if (!url) throw new RtcError('signaling-unreachable', 'No signal server URL was given');
    return new SignalingClient(url, {
      onParticipantJoined: (info) => {
        const known = this.#participants.has(info.id);
        const participant = this.#upsertParticipant(info);
        if (!participant) return;
        if (!known) this.emit('participantjoined', { participant });
        if (this.#topology !== 'mesh' || this.#peers.has(info.id)) return;
        // Back after we dropped them: their side may still hold the old connection, so we
        // start the new one (it is recognisable by its new fingerprint).
        if (this.#departed.has(info.id)) this.#createPeer(info.id, true);
        // A newcomer offers to everyone already there: the connection is made now, while
        // their offer is on its way, rather than on its arrival, on the path to the first frame.
        else if (!known && this.#snapshot.selfId) this.#createPeer(info.id, false);
      },
      onParticipantUpdated: (info) => void this.#upsertParticipant(info),
      onParticipantLeft: ({ id }) => {
        this.#departed.set(id, fingerprintOf(this.#peers.get(id)?.pc.remoteDescription?.sdp));
        this.#removeParticipant(id);
      },
      onSignal: (signal) => this.#onSignal(signal),
      onServerError: (error) => console.warn(`rtc-elements: the signal server refused a message: ${error.message}`),
      onConnectionLost: () => {
        if (this.#snapshot.state === 'joined') this.#setState('reconnecting');
      },
      onReconnected: () => void this.#rejoin(),
      // While the join waits for the camera to set up the SFU, that is already on its way.
      onTopology: () => {
        if (!this.#sfuEarly) this.#setUpSfu();
      },
      onSfuOffer: (offer) => this.#toSfu(() => void this.#sfu.session?.handleOffer(offer)),
      onSfuCandidate: (candidate) => this.#toSfu(() => void this.#sfu.session?.handleCandidate(candidate)),
      onTalking: ({ id, talking }) => {
        // Kept through pauses, as in the mesh: the last one who spoke stays highlighted.
        if (talking && this.#participants.has(id) && this.#snapshot.activeSpeaker !== id) this.#write({ activeSpeaker: id });
      },
      onRelay: (data) => this.#relayLinks().handle(data),
    });
  }

  /**
   * Joins (or, `resume`, rejoins) the room and starts a connection to everyone there.
   * `media`: the capture still under way, which an SFU room waits for (its publisher
   * connection is made with the tracks it has). Returns the media state it announced.
   */
  async #enterRoom(signaling: SignalingClient, resume: boolean, media?: Promise<unknown>): Promise<MediaState> {
    const { microphone, camera, screenSharing, screenStream, name, recording, selfId } = this.#snapshot;
    const announced: MediaState = { microphone, camera, screenSharing, screenStreamId: screenStream?.id ?? null, recording };
    const answer = await signaling.join({
      room: this.options.room,
      name,
      ...(this.options.token ? { token: this.options.token } : {}),
      media: announced,
      session: resume && selfId ? { key: this.#sessionKey, id: selfId } : { key: this.#sessionKey },
    });
    this.#iceServers = [...(this.options.iceServers ?? []), ...answer.iceServers.map(toRtcIceServer)];
    if (!answer.resumed || answer.selfId !== selfId) {
      // A new identity: every peer knew us by the old one, so start afresh.
      this.#closePeers();
      this.#participants.clear();
    }
    this.#write({ selfId: answer.selfId });
    const listed = new Set(answer.participants.map((p) => p.id));
    for (const info of answer.participants) {
      this.#participants.set(info.id, info);
      this.#cancelRejoinWait(info.id);
      // The newcomer offers to everyone already there; a working connection is kept.
      if (answer.topology !== 'sfu' && !this.#peers.has(info.id)) this.#createPeer(info.id, true);
    }
    // Those we still talk to but the server does not list yet may be rejoining too.
    for (const id of this.#participants.keys()) if (!listed.has(id)) this.#awaitRejoin(id);
    this.#publishParticipants();
    // An SFU room (or one that moved while we were away): connect to the SFU from scratch,
    // with the camera and microphone (the publisher connection is made with what it has);
    // what the SFU sends meanwhile waits for that.
    if (answer.topology === 'sfu') {
      this.#topology = 'sfu';
      this.#sfuEarly ??= [];
      await media;
      // Left meanwhile (teardown dropped what waited).
      if (this.#signaling !== signaling) return announced;
      const early = this.#sfuEarly ?? [];
      this.#sfuEarly = null;
      this.#setUpSfu();
      for (const deliver of early) deliver();
    }
    return announced;
  }

  /** Delivers an SFU message now, or once the SFU connections are made (see `#enterRoom`). */
  #toSfu(deliver: () => void): void {
    if (this.#sfuEarly) this.#sfuEarly.push(deliver);
    else deliver();
  }

  /** The server connection came back: take our id back and keep every working peer connection. */
  async #rejoin(): Promise<void> {
    const signaling = this.#signaling;
    if (!signaling || this.#snapshot.state !== 'reconnecting') return;
    try {
      await this.#enterRoom(signaling, true);
      if (this.#snapshot.state === 'reconnecting') this.#setState('joined');
    } catch (error) {
      this.#teardownConnections();
      this.#fail(error instanceof RtcError ? error : new RtcError('connection-failed', String(error)));
    }
  }

  #awaitRejoin(id: string): void {
    if (this.#awaitingRejoin.has(id)) return;
    this.#awaitingRejoin.set(
      id,
      setTimeout(() => {
        this.#awaitingRejoin.delete(id);
        this.#removeParticipant(id);
      }, REJOIN_GRACE_MS),
    );
  }

  #cancelRejoinWait(id: string): void {
    clearTimeout(this.#awaitingRejoin.get(id));
    this.#awaitingRejoin.delete(id);
  }

  #onSignal({ from, data }: RelayedSignal): void {
    let peer = this.#peers.get(from);
    const offer = data.kind === 'description' && data.description.type === 'offer' ? fingerprintOf(data.description.sdp) : undefined;
    if (offer !== undefined) {
      // An offer from a connection we already dropped: ignore it, a fresh one is on its way.
      if (offer !== null && this.#departed.get(from) === offer) return;
      // An offer from a new connection of theirs (they dropped ours): start over with it.
      const current = fingerprintOf(peer?.pc.remoteDescription?.sdp);
      if (peer && current && offer && current !== offer) {
        peer.close();
        this.#peers.delete(from);
        peer = undefined;
      }
    }
    if (!peer) {
      // In an SFU room mesh signals only matter to the peers kept through the move.
      if (!this.#participants.has(from) || this.#topology === 'sfu') return;
      peer = this.#createPeer(from, false);
    }
    void peer.handleSignal(data);
  }

  /** Closing the tab: say goodbye at once, so others do not wait for a timeout. */
  readonly #onPageHide = (): void => {
    void this.leave();
  };

  // ---- peers ----

  #peerConfiguration(): RTCConfiguration {
    return { iceServers: this.#iceServers, iceTransportPolicy: this.options.iceTransportPolicy ?? 'all' };
  }

  #createPeer(id: string, initiator: boolean): RemotePeer {
    const selfId = this.#snapshot.selfId ?? '';
    const peer = new RemotePeer({
      id,
      initiator,
      // Both sides compute the same answer from the two ids, so exactly one is polite.
      polite: selfId < id,
      configuration: this.#peerConfiguration(),
      local: this.#localMedia(),
      cameraEncoding: this.#cameraEncoding,
      send: (data) => this.#signaling?.signal(id, data),
      onChange: () => this.#publishParticipants(),
      onChat: (wire) => this.#receiveChat(id, wire),
      onDataChannel: (channel) => this.#files.receive(id, this.#participants.get(id)?.name ?? '', channel),
      onError: (error) => console.warn(`rtc-elements: negotiation with ${id} failed`, error),
    });
    this.#peers.set(id, peer);
    return peer;
  }

  #upsertParticipant(info: ParticipantInfo): ParticipantSnapshot | undefined {
    if (info.id === this.#snapshot.selfId) return undefined;
    this.#cancelRejoinWait(info.id);
    this.#participants.set(info.id, info);
    this.#publishParticipants();
    return this.#snapshot.participants.find((p) => p.id === info.id);
  }

  #removeParticipant(id: string): void {
    const participant = this.#snapshot.participants.find((p) => p.id === id);
    this.#cancelRejoinWait(id);
    this.#participants.delete(id);
    this.#files.peerLeft(id);
    this.#relay?.closePeer(id);
    this.#peers.get(id)?.close();
    this.#peers.delete(id);
    this.#publishParticipants();
    if (participant) this.emit('participantleft', { participant });
  }

  #closePeers(): void {
    for (const peer of this.#peers.values()) {
      this.#files.peerLeft(peer.id);
      peer.close();
    }
    this.#peers.clear();
  }

  #teardownConnections(): void {
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    clearInterval(this.#statsTimer);
    for (const timer of this.#awaitingRejoin.values()) clearTimeout(timer);
    this.#awaitingRejoin.clear();
    this.#files.reset(false);
    this.#departed.clear();
    this.#closePeers();
    this.#sfu.stop();
    this.#topology = 'mesh';
    this.#sfuEarly = null;
    this.#relay?.dispose();
    this.#relay = null;
    this.#participants.clear();
    this.#cameraEncoding = FULL_CAMERA;
    this.#signaling?.close();
    this.#signaling = null;
    this.#write({ selfId: null, participants: [], activeSpeaker: null });
  }

  /** Our camera is encoded once per peer: from 4 people on, send every peer a lighter stream. */
  #updateSendBudget(): void {
    const encoding = cameraEncodingFor(this.#participants.size + 1, this.options.lowerVideoFrom ?? LOWER_CAMERA_FROM);
    if (encoding === this.#cameraEncoding) return;
    this.#cameraEncoding = encoding;
    for (const peer of this.#peers.values()) void peer.setCameraEncoding(encoding);
  }

  #publishParticipants(): void {
    this.#updateSendBudget();
    const participants = [...this.#participants.values()].map((info): ParticipantSnapshot => {
      const peer = this.#peers.get(info.id);
      // Moving to the SFU, the mesh peer shows them until their media comes through the SFU.
      const sfu = this.#sfu.session && (!peer || this.#sfu.shows(info.id)) ? this.#sfu.session : null;
      return {
        id: info.id,
        name: info.name,
        stream: sfu ? sfu.streamOf(info.id) : peer?.stream ?? null,
        screenStream: info.screenSharing ? (sfu ? sfu.screenStreamOf(info.id) : peer?.screenStream) ?? null : null,
        microphone: info.microphone,
        camera: info.camera,
        screenSharing: info.screenSharing,
        connectionState: sfu ? sfu.connectionState : peer?.connectionState ?? 'connecting',
        quality: (sfu ? sfu.stats?.quality : peer?.stats?.quality) ?? 'unknown',
        recording: info.recording ?? false,
      };
    });
    // The stats timer republishes every second; a snapshot that changed nothing would
    // only make every element render again.
    if (sameParticipants(participants, this.#snapshot.participants)) return;
    this.#write({ participants });
  }

  // ---- SFU rooms ----

  /** On the SFU from now on: connect to it from scratch (see SfuRoom.start). */
  #setUpSfu(): void {
    if (!this.#signaling) return;
    this.#topology = 'sfu';
    this.#sfu.start();
  }

  /** The relay channels, made on first use; incoming chat and file channels are wired here. */
  #relayLinks(): RelayLinks {
    this.#relay ??= new RelayLinks({
      send: (request) => this.#signaling?.relay(request) ?? Promise.reject(new RtcError('connection-failed', 'Not connected')),
      onChannel: (channel) => this.#onRelayChannel(channel),
    });
    return this.#relay;
  }

  #onRelayChannel(channel: RelayChannel): void {
    const from = channel.peerId;
    if (channel.label === 'chat') {
      channel.addEventListener('message', (event) => {
        const wire = decodeChat((event as MessageEvent).data);
        if (wire) this.#receiveChat(from, wire);
      });
    } else if (channel.label === FILE_CHANNEL_LABEL && this.#participants.has(from)) {
      // It behaves like a data channel: the file-transfer code runs on it as it is.
      this.#files.receive(from, this.#participants.get(from)?.name ?? '', channel as unknown as RTCDataChannel);
    } else {
      channel.close();
    }
  }

  // ---- chat and files ----

  #receiveChat(from: string, wire: ChatWire): void {
    const sender = this.#participants.get(from);
    if (!sender) return;
    const message: ChatMessage = Object.freeze({ ...wire, from, fromName: sender.name, self: false });
    this.#addChat(message);
  }

  #addChat(message: ChatMessage): void {
    this.#write({ chat: [...this.#snapshot.chat, message] });
    this.emit('chatmessage', { message });
  }

  // ---- quality and speaking ----

  #startStats(): void {
    clearInterval(this.#statsTimer);
    this.#statsTimer = setInterval(() => void this.#sampleAll(), STATS_INTERVAL_MS);
  }

  async #sampleAll(): Promise<void> {
    const session = this.#sfu.session;
    if (session) {
      // The SFU says who talks (`talking` events); only quality is read here.
      await session.sample().catch(() => null);
      this.#publishParticipants();
      return;
    }
    const peers = [...this.#peers.values()];
    await Promise.all(peers.map((peer) => peer.sample().catch(() => null)));
    const loudest = peers.reduce<RemotePeer | null>((best, peer) => (peer.audioLevel > (best?.audioLevel ?? SPEAKING_LEVEL) ? peer : best), null);
    const speaking = this.#participants.get(loudest?.id ?? '')?.microphone ? loudest!.id : null;
    // Keep the last speaker highlighted through pauses, until someone else speaks.
    const activeSpeaker = speaking ?? (this.#participants.has(this.#snapshot.activeSpeaker ?? '') ? this.#snapshot.activeSpeaker : null);
    if (activeSpeaker !== this.#snapshot.activeSpeaker) this.#write({ activeSpeaker });
    this.#publishParticipants();
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

/** True when both lists hold the same participants with the same values, in the same order. */
function sameParticipants(a: readonly ParticipantSnapshot[], b: readonly ParticipantSnapshot[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!;
      return (Object.keys(p) as (keyof ParticipantSnapshot)[]).every((key) => p[key] === q[key]);
    })
  );
}

/** The DTLS certificate fingerprint in an SDP: it names one peer connection. */
function fingerprintOf(sdp: string | undefined): string | null {
  return (sdp && /^a=fingerprint:(.+)$/m.exec(sdp)?.[1]?.trim()) || null;
}

function toRtcIceServer(server: IceServerInfo): RTCIceServer {
  return { ...server };
}

/** A random url-safe id of `bytes` random bytes. */
function randomId(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...data)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
