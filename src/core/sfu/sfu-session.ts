import type { SfuCandidate, SfuLayerRequest, SfuOffer, SfuPublishRequest, SfuRestartRequest, SfuStreamInfo } from '../../protocol/index.js';
import { toConnectionState, type ConnectionState } from '../call-state.js';
import { compareSamples, sampleStats, type ConnectionStats, type StatsSample } from '../peer/quality.js';
import { DISCONNECTED_RESTART_MS, type LocalMedia } from '../peer/remote-peer.js';

/** What an SFU session sends through the signal server. */
export interface SfuSignaling {
  /** `sfu-publish`: resolves with the SFU's answer. */
  publish(request: SfuPublishRequest): Promise<string>;
  /** `sfu-answer` to the latest `sfu-offer`. */
  answer(sdp: string): Promise<void>;
  candidate(candidate: SfuCandidate): void;
  layer(request: SfuLayerRequest): void;
  /**
   * `sfu-restart`: asks the SFU for an ICE restart of the subscriber connection; resolves
   * once it is under way (the new offer comes through `handleOffer`).
   */
  restart(target: SfuRestartRequest['target']): Promise<void>;
}

export interface SfuSessionOptions {
  configuration: RTCConfiguration;
  local: LocalMedia;
  signaling: SfuSignaling;
  /** Something a view shows changed: a participant's streams, media arriving, the connection state. */
  onChange: () => void;
  onError: (error: unknown) => void;
}

/** Waits between subscriber ICE restarts that did not heal it: 2 s, doubling, up to 30 s. */
export const SUBSCRIBER_RESTART_BACKOFF_MS = { first: 2000, max: 30_000 } as const;

/** Simulcast layer index (0 smallest .. 2 full) as `sfu-layer` names it. */
export type SfuLayer = SfuLayerRequest['layer'];

/**
 * The camera as three simulcast layers (rids as the SFU expects them): full, ½ and ¼ of
 * the resolution. The SFU forwards one per subscriber, so a thumbnail costs a viewer a
 * quarter-size stream and the sender encodes once for everyone.
 */
export const SIMULCAST_ENCODINGS: readonly RTCRtpEncodingParameters[] = [
  { rid: 'h', maxBitrate: 1_200_000 },
  { rid: 'm', maxBitrate: 400_000, scaleResolutionDownBy: 2 },
  { rid: 'l', maxBitrate: 120_000, scaleResolutionDownBy: 4 },
];

/** What one remote participant sends us through the SFU. */
interface Received {
  stream: MediaStream | null;
  screen: MediaStream | null;
}

/**
 * This page's two connections to the room's SFU (see `docs/sfu.md`):
 *
 * - the **publisher** carries our microphone, camera (three simulcast layers, VP8) and
 *   screen share (a second video transceiver) up. It is negotiated with `sfu-publish`,
 *   again whenever a transceiver is added or the screen share starts or stops. Muting,
 *   turning the camera off and switching devices swap tracks (`replaceTrack`) without
 *   renegotiating, as in the mesh. Without a camera no video transceiver is offered: an
 *   audio-only participant costs the SFU and everyone else one audio stream.
 * - the **subscriber** carries everyone else down. The SFU offers (`sfu-offer`) each time
 *   the set of streams changes; we answer each in order. Tracks are matched to
 *   participants by the offer's `streams[].mid`, camera and microphone into one stream,
 *   a screen share into another, each replaced (never mutated) when its tracks change.
 */
export class SfuSession {
  readonly publisher: RTCPeerConnection;
  readonly subscriber: RTCPeerConnection;
  readonly #options: SfuSessionOptions;
  #local: LocalMedia;
  #audio: RTCRtpTransceiver | null = null;
  #camera: RTCRtpTransceiver | null = null;
  #screen: RTCRtpTransceiver | null = null;
  /** One publisher negotiation at a time; `#publishAgain` asks for one more after it. */
  #publishing: Promise<void> | null = null;
  #publishAgain = false;
  /** `sfu-offer`s are applied strictly in order. */
  #offers: Promise<void> = Promise.resolve();
  #streams: readonly SfuStreamInfo[] = [];
  readonly #received = new Map<string, Received>();
  readonly #watched = new WeakSet<MediaStreamTrack>();
  /** Candidates that came before their connection had a remote description. */
  readonly #pendingCandidates: Record<'publisher' | 'subscriber', RTCIceCandidateInit[]> = { publisher: [], subscriber: [] };
  /** The layer each participant's tile wants, and what was last asked of the SFU (`mid:layer`). */
  readonly #wantedLayers = new Map<string, SfuLayer>();
  readonly #sentLayers = new Map<string, string>();
  /** Subscriber video mids that decoded a frame, from `sample()`: a picture is really there. */
  readonly #decodedMids = new Set<string>();
  #stats: ConnectionStats | null = null;
  #lastSample: StatsSample | null = null;
  #connectionState: ConnectionState = 'connecting';
  /** The next subscriber ICE restart (`sfu-restart`), when one is due. */
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** An `sfu-restart` is in flight: one at a time. */
  #restarting = false;
  /** `sfu-restart`s asked since the subscriber was last connected: the backoff grows with them. */
  #restartAttempts = 0;
  #closed = false;

  /** Aborted on close: takes every listener on both connections off at once. */
  readonly #listening = new AbortController();

  constructor(options: SfuSessionOptions) {
    this.#options = options;
    this.#local = options.local;
    this.publisher = new RTCPeerConnection(options.configuration);
    this.subscriber = new RTCPeerConnection(options.configuration);
    const { signal } = this.#listening;
    this.publisher.addEventListener('icecandidate', this.#onPublisherCandidate, { signal });
    this.publisher.addEventListener('negotiationneeded', this.#onNegotiationNeeded, { signal });
    this.publisher.addEventListener('connectionstatechange', this.#onPublisherState, { signal });
    this.subscriber.addEventListener('icecandidate', this.#onSubscriberCandidate, { signal });
    this.subscriber.addEventListener('connectionstatechange', this.#onSubscriberState, { signal });
    this.subscriber.addEventListener('track', this.#onTrack, { signal });
    // The microphone transceiver always exists (even without a track: unmuting later
    // then needs no renegotiation); the camera's only with a camera.
    this.#audio = this.publisher.addTransceiver(this.#local.audio ?? 'audio', { direction: 'sendonly', streams: [this.#local.stream] });
    if (this.#local.video) this.#addCamera(this.#local.video);
    if (this.#local.screen) this.#addScreen(this.#local.screen);
  }

  /** How the subscriber connection (what we see and hear of everyone) is doing. */
  get connectionState(): ConnectionState {
    return this.#connectionState;
  }

  /** The latest statistics of the subscriber connection, from `sample()`. */
  get stats(): ConnectionStats | null {
    return this.#stats;
  }

  /** A participant's camera and microphone as they come through the SFU. */
  streamOf(participantId: string): MediaStream | null {
    return this.#received.get(participantId)?.stream ?? null;
  }

  screenStreamOf(participantId: string): MediaStream | null {
    return this.#received.get(participantId)?.screen ?? null;
  }

  /**
   * True once media from this participant really arrives: with `video`, a frame of their
   * camera was decoded (known from `sample()`), so a tile switched to this stream shows a
   * picture at once; without, any of their tracks unmuted (packets flow).
   */
  hasMedia(participantId: string, options: { video?: boolean } = {}): boolean {
    if (options.video) {
      return this.#streams.some((s) => s.participant === participantId && s.kind === 'video' && !s.screen && this.#decodedMids.has(s.mid));
    }
    return this.streamOf(participantId)?.getTracks().some((track) => !track.muted && track.readyState === 'live') ?? false;
  }

  /** Swaps what we send: tracks in place; a camera or screen transceiver is added when first needed. */
  async setLocalMedia(local: LocalMedia): Promise<void> {
    if (this.#closed) return;
    this.#local = local;
    const swaps: Promise<void>[] = [];
    if (this.#audio) swaps.push(this.#audio.sender.replaceTrack(local.audio));
    if (this.#camera) swaps.push(this.#camera.sender.replaceTrack(local.video));
    else if (local.video) this.#addCamera(local.video);
    const screenTrack = local.screen?.getVideoTracks()[0] ?? null;
    if (this.#screen) {
      swaps.push(this.#screen.sender.replaceTrack(screenTrack));
      if (local.screen) this.#screen.sender.setStreams(local.screen);
      // Starting or stopping the share changes the offer (and `screenMid`): renegotiates.
      this.#screen.direction = screenTrack ? 'sendonly' : 'inactive';
    } else if (local.screen) {
      this.#addScreen(local.screen);
    }
    await Promise.all(swaps);
  }

  /** Applies one `sfu-offer` and answers it, after every offer before it. */
  handleOffer(offer: SfuOffer): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#closed) return;
      await this.subscriber.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      this.#streams = offer.streams;
      await this.#flushCandidates('subscriber');
      await this.subscriber.setLocalDescription();
      const answer = this.subscriber.localDescription;
      if (!answer || this.#closed) return;
      this.#rebuild();
      await this.#options.signaling.answer(answer.sdp);
      this.#sendLayers();
    };
    this.#offers = this.#offers.then(run).catch((error: unknown) => {
      if (!this.#closed) this.#options.onError(error);
    });
    return this.#offers;
  }

  /** A candidate from the SFU for one of our connections (`null`: no more). */
  async handleCandidate({ target, candidate }: SfuCandidate): Promise<void> {
    if (this.#closed) return;
    const pc = target === 'publisher' ? this.publisher : this.subscriber;
    const init: RTCIceCandidateInit = candidate ?? { candidate: '' };
    if (!pc.remoteDescription) {
      this.#pendingCandidates[target].push(init);
      return;
    }
    await pc.addIceCandidate(init).catch((error: unknown) => this.#options.onError(error));
  }

  /** Asks the SFU for one simulcast layer of a participant's camera (sent once it subscribes us to it). */
  setLayer(participantId: string, layer: SfuLayer): void {
    if (this.#wantedLayers.get(participantId) === layer) return;
    this.#wantedLayers.set(participantId, layer);
    this.#sendLayers();
  }

  /** Reads the subscriber connection's statistics once; quality from the change since the last call. */
  async sample(): Promise<{ stats: ConnectionStats; report: RTCStatsReport } | null> {
    if (this.#closed) return null;
    const report = await this.subscriber.getStats();
    const decoded = this.#decodedMids.size;
    report.forEach((stat: Record<string, unknown>) => {
      if (stat.type === 'inbound-rtp' && stat.kind === 'video' && typeof stat.mid === 'string' && Number(stat.framesDecoded ?? 0) > 0) this.#decodedMids.add(stat.mid);
    });
    if (this.#decodedMids.size !== decoded && !this.#closed) this.#options.onChange();
    const current = sampleStats(report, performance.now());
    this.#stats = compareSamples(this.#lastSample, current);
    this.#lastSample = current;
    return { stats: this.#stats, report };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listening.abort();
    this.#clearRestartTimer();
    for (const { stream } of this.#received.values()) for (const track of stream?.getTracks() ?? []) track.removeEventListener('unmute', this.#onUnmute);
    this.publisher.close();
    this.subscriber.close();
  }

  // ---- publisher ----

  #addCamera(track: MediaStreamTrack): void {
    this.#camera = this.publisher.addTransceiver(track, {
      direction: 'sendonly',
      streams: [this.#local.stream],
      sendEncodings: SIMULCAST_ENCODINGS.map((encoding) => ({ ...encoding })),
    });
    preferVp8(this.#camera);
  }

  #addScreen(screen: MediaStream): void {
    const track = screen.getVideoTracks()[0];
    if (!track) return;
    this.#screen = this.publisher.addTransceiver(track, { direction: 'sendonly', streams: [screen] });
    preferVp8(this.#screen);
  }

  readonly #onNegotiationNeeded = (): void => {
    if (this.#publishing) {
      this.#publishAgain = true;
      return;
    }
    this.#publishing = this.#publish().finally(() => {
      this.#publishing = null;
      if (this.#publishAgain && !this.#closed) {
        this.#publishAgain = false;
        this.#onNegotiationNeeded();
      }
    });
  };

  /** One publisher negotiation: our offer through `sfu-publish`, the SFU's answer back. */
  async #publish(): Promise<void> {
    const pc = this.publisher;
    try {
      await pc.setLocalDescription();
      const offer = pc.localDescription;
      if (!offer || this.#closed) return;
      const screenMid = this.#screen && this.#screen.direction === 'sendonly' ? this.#screen.mid : null;
      const sdp = await this.#options.signaling.publish({ sdp: offer.sdp, screenMid });
      if (this.#closed) return;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      await this.#flushCandidates('publisher');
    } catch (error) {
      if (this.#closed) return;
      // Back to the last agreed state, so the next change can try again.
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
      this.#options.onError(error);
    }
  }

  readonly #onPublisherCandidate = ({ candidate }: RTCPeerConnectionIceEvent): void => {
    if (!this.#closed) this.#options.signaling.candidate({ target: 'publisher', candidate: candidate ? candidate.toJSON() as { candidate: string } : null });
  };

  /** A failed publisher is restarted (new ICE credentials in a new `sfu-publish`). */
  readonly #onPublisherState = (): void => {
    if (this.publisher.connectionState === 'failed' && !this.#closed) this.publisher.restartIce();
  };

  // ---- subscriber ----

  readonly #onSubscriberCandidate = ({ candidate }: RTCPeerConnectionIceEvent): void => {
    if (!this.#closed) this.#options.signaling.candidate({ target: 'subscriber', candidate: candidate ? candidate.toJSON() as { candidate: string } : null });
  };

  /**
   * The SFU makes the subscriber's offers, so only it can restart that connection's ICE:
   * a `failed` subscriber (or one `disconnected` for DISCONNECTED_RESTART_MS, as a mesh
   * peer) asks it to with `sfu-restart`, and the new offer is answered as any other. One
   * request at a time; while the connection does not come back, again after a backoff.
   */
  readonly #onSubscriberState = (): void => {
    if (this.#closed) return;
    const state = this.subscriber.connectionState;
    if (state === 'connected') this.#restartAttempts = 0;
    // Every change re-decides: a connection that came back (or is trying) waits no more.
    this.#clearRestartTimer();
    if (state === 'failed') this.#scheduleRestart(this.#restartAttempts === 0 ? 0 : this.#backoff());
    else if (state === 'disconnected') this.#scheduleRestart(Math.max(DISCONNECTED_RESTART_MS, this.#restartAttempts === 0 ? 0 : this.#backoff()));
    const next = toConnectionState(state);
    if (next === this.#connectionState) return;
    this.#connectionState = next;
    this.#options.onChange();
  };

  #backoff(): number {
    const { first, max } = SUBSCRIBER_RESTART_BACKOFF_MS;
    return Math.min(first * 2 ** Math.max(0, this.#restartAttempts - 1), max);
  }

  #clearRestartTimer(): void {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  #scheduleRestart(delayMs: number): void {
    if (this.#closed || this.#restartTimer !== null) return;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#restartSubscriber();
    }, delayMs);
  }

  /** Asks the SFU for a subscriber ICE restart, if the connection still needs one and none is in flight. */
  async #restartSubscriber(): Promise<void> {
    const state = this.subscriber.connectionState;
    if (this.#closed || this.#restarting || !this.subscriber.remoteDescription) return;
    if (state !== 'failed' && state !== 'disconnected') return;
    this.#restarting = true;
    this.#restartAttempts++;
    try {
      await this.#options.signaling.restart('subscriber');
    } catch (error) {
      if (!this.#closed) this.#options.onError(error);
    } finally {
      this.#restarting = false;
    }
    // Not healed (the request failed, or its offer did not help): once more, after a while.
    // A state change before then re-decides (and clears this).
    const now = this.subscriber.connectionState;
    if (!this.#closed && (now === 'failed' || now === 'disconnected')) this.#scheduleRestart(this.#backoff());
  }

  /** Tracks arrive during `setRemoteDescription`; the mapping is rebuilt once the offer is applied. */
  readonly #onTrack = (): void => undefined;

  readonly #onUnmute = (): void => {
    if (!this.#closed) this.#options.onChange();
  };

  /** Regroups the subscriber's tracks by participant after an offer, replacing only streams that changed. */
  #rebuild(): void {
    const byMid = new Map<string, MediaStreamTrack>();
    for (const transceiver of this.subscriber.getTransceivers()) {
      if (transceiver.mid !== null && transceiver.currentDirection !== 'stopped' && transceiver.currentDirection !== 'inactive') {
        byMid.set(transceiver.mid, transceiver.receiver.track);
      }
    }
    const tracks = new Map<string, { camera: MediaStreamTrack[]; screen: MediaStreamTrack[] }>();
    for (const info of this.#streams) {
      const track = byMid.get(info.mid);
      if (!track) continue;
      const entry = tracks.get(info.participant) ?? { camera: [], screen: [] };
      (info.screen ? entry.screen : entry.camera).push(track);
      tracks.set(info.participant, entry);
    }
    let changed = false;
    for (const id of new Set([...this.#received.keys(), ...tracks.keys()])) {
      const previous = this.#received.get(id) ?? { stream: null, screen: null };
      const next = tracks.get(id);
      const stream = sameTracks(previous.stream, next?.camera) ? previous.stream : toStream(next?.camera);
      const screen = sameTracks(previous.screen, next?.screen) ? previous.screen : toStream(next?.screen);
      if (stream === previous.stream && screen === previous.screen) continue;
      changed = true;
      for (const track of stream?.getTracks() ?? []) {
        if (this.#watched.has(track)) continue;
        this.#watched.add(track);
        track.addEventListener('unmute', this.#onUnmute);
      }
      if (stream || screen) this.#received.set(id, { stream, screen });
      else this.#received.delete(id);
    }
    if (changed) this.#options.onChange();
  }

  /** Sends each wanted layer the SFU was not asked for yet on the participant's current video stream. */
  #sendLayers(): void {
    if (this.#closed) return;
    for (const [participant, layer] of this.#wantedLayers) {
      const video = this.#streams.find((s) => s.participant === participant && s.kind === 'video' && !s.screen);
      if (!video || !this.#received.has(participant)) continue;
      const sent = `${video.mid}:${layer}`;
      if (this.#sentLayers.get(participant) === sent) continue;
      this.#sentLayers.set(participant, sent);
      this.#options.signaling.layer({ participant, layer });
    }
  }

  async #flushCandidates(target: 'publisher' | 'subscriber'): Promise<void> {
    const pc = target === 'publisher' ? this.publisher : this.subscriber;
    const pending = this.#pendingCandidates[target].splice(0);
    for (const candidate of pending) await pc.addIceCandidate(candidate).catch((error: unknown) => this.#options.onError(error));
  }
}

/** Puts VP8 first (the codec the SFU room uses and every browser simulcasts), keeping the rest. */
function preferVp8(transceiver: RTCRtpTransceiver): void {
  const codecs = globalThis.RTCRtpReceiver?.getCapabilities?.('video')?.codecs;
  if (!codecs || !transceiver.setCodecPreferences) return;
  const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8');
  try {
    transceiver.setCodecPreferences([...vp8, ...codecs.filter((c) => !vp8.includes(c))]);
  } catch {
    // A browser that refuses still offers VP8, which the SFU picks.
  }
}

function sameTracks(stream: MediaStream | null, tracks: MediaStreamTrack[] | undefined): boolean {
  const current = stream?.getTracks() ?? [];
  const next = tracks ?? [];
  return current.length === next.length && next.every((track) => current.includes(track));
}

function toStream(tracks: MediaStreamTrack[] | undefined): MediaStream | null {
  return tracks?.length ? new MediaStream(tracks) : null;
}
