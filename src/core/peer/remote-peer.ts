import type { SignalData } from '../../protocol/index.js';
import { toConnectionState, type ConnectionState } from '../call-state.js';
import { Negotiator } from './negotiator.js';

export interface LocalMedia {
  /** The stream whose id remote peers group our camera and microphone under. */
  stream: MediaStream;
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
}

export interface RemotePeerOptions {
  id: string;
  polite: boolean;
  /** The side that joined later opens the connection; the other waits for its offer. */
  initiator: boolean;
  configuration: RTCConfiguration;
  local: LocalMedia;
  send: (data: SignalData) => void;
  /** Called whenever something a view shows about this peer changed. */
  onChange: () => void;
  onError: (error: unknown) => void;
}

/**
 * One RTCPeerConnection to one remote participant, with one audio and one video
 * transceiver kept for the whole call, so muting, turning the camera off and switching
 * devices swap tracks (`replaceTrack`) instead of renegotiating.
 */
export class RemotePeer {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  readonly negotiator: Negotiator;
  #stream: MediaStream | null = null;
  #connectionState: ConnectionState = 'connecting';
  readonly #options: RemotePeerOptions;
  #local: LocalMedia;
  #mediaAttached = false;
  #closed = false;

  constructor(options: RemotePeerOptions) {
    this.id = options.id;
    this.#options = options;
    this.#local = options.local;
    this.pc = new RTCPeerConnection(options.configuration);
    this.negotiator = new Negotiator(this.pc, {
      polite: options.polite,
      send: options.send,
      beforeAnswer: () => this.#attachMediaToOffer(),
      onError: options.onError,
    });
    this.pc.addEventListener('track', this.#onTrack);
    this.pc.addEventListener('connectionstatechange', this.#onConnectionStateChange);
    if (options.initiator) this.#addTransceivers();
  }

  get stream(): MediaStream | null {
    return this.#stream;
  }

  get connectionState(): ConnectionState {
    return this.#connectionState;
  }

  handleSignal(data: SignalData): Promise<void> {
    return this.negotiator.handle(data);
  }

  /** Swaps what we send; the transceivers stay, so nothing is renegotiated. */
  async setLocalMedia(local: LocalMedia): Promise<void> {
    this.#local = local;
    if (!this.#mediaAttached) return;
    const [audio, video] = this.#transceivers();
    await Promise.all([
      audio?.sender.replaceTrack(local.audio),
      video?.sender.replaceTrack(local.video),
    ]);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.negotiator.dispose();
    this.pc.removeEventListener('track', this.#onTrack);
    this.pc.removeEventListener('connectionstatechange', this.#onConnectionStateChange);
    this.pc.close();
  }

  /** The offering side: send and receive both kinds, even without a track yet. */
  #addTransceivers(): void {
    const { stream, audio, video } = this.#local;
    this.pc.addTransceiver(audio ?? 'audio', { direction: 'sendrecv', streams: [stream] });
    this.pc.addTransceiver(video ?? 'video', { direction: 'sendrecv', streams: [stream] });
    this.#mediaAttached = true;
  }

  /** The answering side: put our tracks on the transceivers the remote offer created. */
  #attachMediaToOffer(): void {
    if (this.#mediaAttached) return;
    const [audio, video] = this.#transceivers();
    const { stream } = this.#local;
    for (const [transceiver, track] of [[audio, this.#local.audio], [video, this.#local.video]] as const) {
      if (!transceiver) continue;
      transceiver.direction = 'sendrecv';
      transceiver.sender.setStreams(stream);
      if (track) void transceiver.sender.replaceTrack(track);
    }
    this.#mediaAttached = Boolean(audio || video);
  }

  /** The first audio and the first video transceiver: the camera and microphone pair. */
  #transceivers(): [RTCRtpTransceiver | undefined, RTCRtpTransceiver | undefined] {
    const all = this.pc.getTransceivers();
    return [
      all.find((t) => t.receiver.track.kind === 'audio'),
      all.find((t) => t.receiver.track.kind === 'video'),
    ];
  }

  readonly #onTrack = (event: RTCTrackEvent): void => {
    // Camera and microphone in one stream we own, replaced (not mutated) when a track
    // arrives, so a view that compares streams knows to attach it again.
    const tracks = this.#stream?.getTracks() ?? [];
    if (tracks.includes(event.track)) return;
    this.#stream = new MediaStream([...tracks, event.track]);
    this.#options.onChange();
  };

  readonly #onConnectionStateChange = (): void => {
    const next = toConnectionState(this.pc.connectionState);
    if (next === this.#connectionState) return;
    this.#connectionState = next;
    this.#options.onChange();
  };
}
