import type { SignalData } from '../../protocol/index.js';
import { toConnectionState, type ConnectionState } from '../call-state.js';
import { CHAT_CHANNEL_ID, CHAT_CHANNEL_LABEL, decodeChat, encodeChat, type ChatWire } from '../data/chat.js';
import { Negotiator } from './negotiator.js';
import { compareSamples, sampleStats, type ConnectionStats, type StatsSample } from './quality.js';
import { CameraSendBudget, type CameraEncoding } from './send-budget.js';

export interface LocalMedia {
  /** The stream whose id remote peers group our camera and microphone under. */
  stream: MediaStream;
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  /** Our screen share, sent on a transceiver of its own. */
  screen: MediaStream | null;
}

export interface RemotePeerOptions {
  id: string;
  polite: boolean;
  /** The side that joined later opens the connection; the other waits for its offer. */
  initiator: boolean;
  configuration: RTCConfiguration;
  local: LocalMedia;
  /** How to send our camera to this peer (lowered in a big mesh). Default: full quality. */
  cameraEncoding?: CameraEncoding;
  send: (data: SignalData) => void;
  /** Called whenever something a view shows about this peer changed. */
  onChange: () => void;
  onChat: (message: ChatWire) => void;
  /** A data channel the other side opened (file transfers). */
  onDataChannel: (channel: RTCDataChannel) => void;
  onError: (error: unknown) => void;
}

/** How long a connection may stay `disconnected` before we restart ICE instead of waiting. */
export const DISCONNECTED_RESTART_MS = 2500;
/** The longest a new track waits for its negotiation to end before the view hears of it. */
const CHANGE_WAIT_MAX_MS = 250;

/**
 * One RTCPeerConnection to one remote participant. Camera and microphone ride one audio
 * and one video transceiver kept for the whole call, so muting, turning the camera off
 * and switching devices swap tracks (`replaceTrack`) instead of renegotiating. A screen
 * share gets a transceiver of its own, added through the normal negotiation path. Chat
 * rides a negotiated data channel; file transfers open channels of their own.
 */
export class RemotePeer {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  readonly negotiator: Negotiator;
  readonly #options: RemotePeerOptions;
  readonly #chat: RTCDataChannel;
  #local: LocalMedia;
  #stream: MediaStream | null = null;
  #screenStream: MediaStream | null = null;
  #screenTransceiver: RTCRtpTransceiver | null = null;
  #connectionState: ConnectionState = 'connecting';
  #stats: ConnectionStats | null = null;
  #lastSample: StatsSample | null = null;
  #audioLevel = 0;
  #mediaAttached = false;
  /** Messages sent before the chat channel opened. */
  #pendingChat: ChatWire[] = [];
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** A view update waiting for the negotiation in flight to finish (see `#changedLater`). */
  #changeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Resolves once our first offer went out (at once on the answering side). */
  readonly offered: Promise<void>;
  readonly #cameraBudget: CameraSendBudget;

  constructor(options: RemotePeerOptions) {
    this.id = options.id;
    this.#options = options;
    this.#local = options.local;
    this.#cameraBudget = new CameraSendBudget(() => this.#cameraTransceivers()[1]?.sender, options.cameraEncoding);
    this.pc = new RTCPeerConnection(options.configuration);
    this.negotiator = new Negotiator(this.pc, {
      polite: options.polite,
      // Made for a participant who has just joined, before their offer: wait for it.
      awaitOffer: !options.initiator,
      send: options.send,
      beforeAnswer: () => this.#attachMediaToOffer(),
      onError: options.onError,
    });
    this.pc.addEventListener('track', this.#onTrack);
    this.pc.addEventListener('connectionstatechange', this.#onConnectionStateChange);
    this.pc.addEventListener('datachannel', this.#onDataChannel);
    this.pc.addEventListener('signalingstatechange', this.#onSignalingStateChange);
    if (options.initiator) this.#addTransceivers();
    else this.#addTracksForAnswer();
    // Both sides create it with the same id: no extra round trip to open it.
    this.#chat = this.pc.createDataChannel(CHAT_CHANNEL_LABEL, { negotiated: true, id: CHAT_CHANNEL_ID, ordered: true });
    this.#chat.addEventListener('message', this.#onChatMessage);
    this.#chat.addEventListener('open', this.#onChatOpen);
    if (options.initiator && options.local.screen) void this.setLocalMedia(options.local);
    this.offered = options.initiator ? this.negotiator.offer() : Promise.resolve();
  }

  /** Their camera and microphone, once the first track arrived. */
  get stream(): MediaStream | null {
    return this.#stream;
  }

  /** Their screen share, while one arrives. */
  get screenStream(): MediaStream | null {
    return this.#screenStream;
  }

  get connectionState(): ConnectionState {
    return this.#connectionState;
  }

  /** The latest statistics, from `sample()`. */
  get stats(): ConnectionStats | null {
    return this.#stats;
  }

  /** How loud they were at the last `sample()`, 0..1. */
  get audioLevel(): number {
    return this.#audioLevel;
  }

  handleSignal(data: SignalData): Promise<void> {
    return this.negotiator.handle(data);
  }

  /** Sends a chat message, or queues it until the channel opens (right after connecting). */
  sendChat(message: ChatWire): void {
    if (this.#chat.readyState === 'open') this.#chat.send(encodeChat(message));
    else if (this.#chat.readyState === 'connecting') this.#pendingChat.push(message);
  }

  /**
   * Swaps what we send. Camera and microphone change tracks in place; starting or stopping
   * a screen share changes the screen transceiver's direction, which renegotiates.
   */
  async setLocalMedia(local: LocalMedia): Promise<void> {
    this.#local = local;
    if (this.#mediaAttached) {
      const [audio, video] = this.#cameraTransceivers();
      await Promise.all([audio?.sender.replaceTrack(local.audio), video?.sender.replaceTrack(local.video)]);
      // replaceTrack keeps the sender's parameters; this only checks (and mends) that.
      if (video) void this.#cameraBudget.apply();
    }
    await this.#applyScreen(local.screen);
  }

  /**
   * Lowers (or restores) the camera stream we send this peer, with `setParameters`: no
   * renegotiation. Kept through camera switches; retried after each negotiation when the
   * sender is not there yet or refused while one was in flight.
   */
  setCameraEncoding(encoding: CameraEncoding): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return this.#cameraBudget.set(encoding);
  }

  /** What `setCameraEncoding` last asked for. */
  get cameraEncoding(): CameraEncoding {
    return this.#cameraBudget.wanted;
  }

  /** Reads statistics once; the quality and the audio level come from the change since the last call. */
  async sample(): Promise<{ stats: ConnectionStats; report: RTCStatsReport } | null> {
    if (this.#closed) return null;
    const report = await this.pc.getStats();
    const current = sampleStats(report, performance.now());
    this.#stats = compareSamples(this.#lastSample, current);
    this.#lastSample = current;
    this.#audioLevel = this.#stats.audioLevel;
    return { stats: this.#stats, report };
  }

  /** Restarts ICE: new candidates, same media. Used when the network changed under us. */
  restartIce(): void {
    if (!this.#closed) this.negotiator.restartIce();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#changeTimer);
    this.negotiator.dispose();
    this.pc.removeEventListener('track', this.#onTrack);
    this.pc.removeEventListener('connectionstatechange', this.#onConnectionStateChange);
    this.pc.removeEventListener('datachannel', this.#onDataChannel);
    this.pc.removeEventListener('signalingstatechange', this.#onSignalingStateChange);
    this.#chat.removeEventListener('message', this.#onChatMessage);
    this.#chat.removeEventListener('open', this.#onChatOpen);
    this.#chat.close();
    this.pc.close();
  }

  /** The offering side: send and receive both kinds, even without a track yet. */
  #addTransceivers(): void {
    const { stream, audio, video } = this.#local;
    this.pc.addTransceiver(audio ?? 'audio', { direction: 'sendrecv', streams: [stream] });
    this.pc.addTransceiver(video ?? 'video', { direction: 'sendrecv', streams: [stream] });
    this.#mediaAttached = true;
    void this.#cameraBudget.apply();
  }

  /**
   * The answering side, made for the first offer and before applying it: our tracks go on
   * with `addTrack`, and the offer's camera m-lines take those transceivers (JSEP matches
   * an m-line to an unused `addTrack` transceiver of its kind). The answer then needs no
   * `replaceTrack`, which would queue on the connection's operations ahead of it.
   */
  #addTracksForAnswer(): void {
    const { stream, audio, video } = this.#local;
    for (const track of [audio, video]) if (track) this.pc.addTrack(track, stream);
  }

  /** The answering side: put our tracks on the camera transceivers the remote offer created. */
  #attachMediaToOffer(): void {
    if (this.#mediaAttached) return;
    const [audio, video] = this.#cameraTransceivers();
    const { stream } = this.#local;
    for (const [transceiver, track] of [[audio, this.#local.audio], [video, this.#local.video]] as const) {
      if (!transceiver) continue;
      transceiver.direction = 'sendrecv';
      // Already there when `#addTracksForAnswer` put it on.
      if (track && transceiver.sender.track === track) continue;
      transceiver.sender.setStreams(stream);
      if (track) void transceiver.sender.replaceTrack(track);
    }
    this.#mediaAttached = Boolean(audio || video);
    // A new peer starts at the call's current setting; the first frames already go out lowered.
    if (video) void this.#cameraBudget.apply();
    if (this.#mediaAttached && this.#local.screen) void this.#applyScreen(this.#local.screen);
  }

  async #applyScreen(screen: MediaStream | null): Promise<void> {
    // The answering side waits for the first offer, so the camera keeps the first m-lines.
    if (!this.#mediaAttached) return;
    const track = screen?.getVideoTracks()[0] ?? null;
    const transceiver = this.#screenTransceiver;
    if (track && screen) {
      if (!transceiver) {
        this.#screenTransceiver = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [screen] });
        return;
      }
      transceiver.sender.setStreams(screen);
      await transceiver.sender.replaceTrack(track);
      transceiver.direction = 'sendonly';
    } else if (transceiver && transceiver.direction !== 'inactive') {
      await transceiver.sender.replaceTrack(null);
      transceiver.direction = 'inactive';
    }
  }

  /** The first audio and the first video transceiver: the camera and microphone pair. */
  #cameraTransceivers(): [RTCRtpTransceiver | undefined, RTCRtpTransceiver | undefined] {
    const all = this.pc.getTransceivers();
    return [all.find((t) => t.receiver.track.kind === 'audio'), all.find((t) => t.receiver.track.kind === 'video')];
  }

  readonly #onTrack = (event: RTCTrackEvent): void => {
    const [cameraAudio, cameraVideo] = this.#cameraTransceivers();
    if (event.transceiver !== cameraAudio && event.transceiver !== cameraVideo) {
      // Any other video is their screen share.
      this.#screenStream = new MediaStream([event.track]);
      this.#changedLater();
      return;
    }
    // Camera and microphone in one stream we own, replaced (not mutated) when a track
    // arrives, so a view that compares streams knows to attach it again.
    const tracks = this.#stream?.getTracks() ?? [];
    if (tracks.includes(event.track)) return;
    this.#stream = new MediaStream([...tracks, event.track]);
    this.#changedLater();
  };

  /**
   * Tells the view about new tracks once the negotiation that brought them is done, in a
   * task of its own. `track` events fire inside `setRemoteDescription`: a view that builds
   * a tile there (a second time for the second track) runs before the answer is even
   * made, on the path to the first frame. No picture can come before the connection is
   * up, which takes longer than the answer; the tile appears as soon as it matters.
   */
  #changedLater(): void {
    if (this.#changeTimer !== undefined || this.#closed) return;
    const flush = (): void => {
      clearTimeout(this.#changeTimer);
      this.pc.removeEventListener('signalingstatechange', onStable);
      this.#changeTimer = setTimeout(() => {
        this.#changeTimer = undefined;
        if (!this.#closed) this.#options.onChange();
      });
    };
    const onStable = (): void => {
      if (this.pc.signalingState === 'stable') flush();
    };
    if (this.pc.signalingState === 'stable') return flush();
    this.pc.addEventListener('signalingstatechange', onStable);
    // A negotiation that never ends still shows what arrived.
    this.#changeTimer = setTimeout(flush, CHANGE_WAIT_MAX_MS);
  }

  readonly #onConnectionStateChange = (): void => {
    const state = this.pc.connectionState;
    clearTimeout(this.#restartTimer);
    if (state === 'failed') this.restartIce();
    // A short `disconnected` often heals by itself (a lost packet burst); a long one is a
    // changed network, which only new candidates fix.
    if (state === 'disconnected') this.#restartTimer = setTimeout(() => this.restartIce(), DISCONNECTED_RESTART_MS);
    const next = toConnectionState(state);
    if (next === this.#connectionState) return;
    this.#connectionState = next;
    this.#options.onChange();
  };

  /**
   * After each negotiation: the answering side's camera sender exists only once the first
   * offer arrived, and a `setParameters` that raced a negotiation was refused; try again.
   */
  readonly #onSignalingStateChange = (): void => {
    if (this.pc.signalingState === 'stable' && !this.#closed) void this.#cameraBudget.apply();
  };

  readonly #onChatOpen = (): void => {
    for (const message of this.#pendingChat) this.#chat.send(encodeChat(message));
    this.#pendingChat = [];
  };

  readonly #onChatMessage = (event: MessageEvent): void => {
    const message = decodeChat(event.data);
    if (message) this.#options.onChat(message);
  };

  readonly #onDataChannel = (event: RTCDataChannelEvent): void => {
    this.#options.onDataChannel(event.channel);
  };
}
