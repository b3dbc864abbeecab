import { html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { Call } from '../../core/call.js';
import type { ConnectionState, ParticipantSnapshot, Quality } from '../../core/call-state.js';
import { CallElement } from '../shared/call-element.js';
import { micOffIcon } from '../shared/icons.js';
import { applySpeaker, attachStream } from '../shared/media-binding.js';
import { tokens } from '../shared/styles.js';
import { initials, tileStyles } from '../shared/tile.styles.js';
import { remoteVideoStyles } from './remote-video.styles.js';

const CONNECTION_STATES: readonly ConnectionState[] = ['connecting', 'connected', 'reconnecting', 'failed'];
const QUALITY_BARS: Record<Quality, number> = { good: 3, fair: 2, poor: 1, unknown: 0 };

/**
 * @summary One remote participant's video and audio, with name, connection and quality badges.
 *
 * With `screen`, it shows the participant's screen share instead (no audio).
 *
 * @csspart tile - the tile around everything
 * @csspart video - the `<video>` (it also plays the participant's audio)
 * @csspart avatar - the initials shown while their camera is off
 * @csspart label - the name badge
 * @csspart name - the name inside the badge
 * @csspart mic-off - the muted-microphone indicator
 * @csspart quality - the connection quality bars
 * @csspart state - the connection badge (connecting, reconnecting, failed)
 * @csspart unmute-button - shown when the browser blocked sound until a click
 *
 * @cssprop --rtc-tile-background - tile background behind the video
 * @cssprop --rtc-tile-aspect-ratio - tile shape (default 16 / 9)
 * @cssprop --rtc-video-fit - `cover` (default) or `contain`
 * @cssprop --rtc-speaking-outline - the outline of the active speaker's tile
 *
 * Custom states: `:state(connecting)`, `:state(connected)`, `:state(reconnecting)`,
 * `:state(failed)`, `:state(muted)`, `:state(camera-off)`, `:state(speaking)`.
 */
export class RtcRemoteVideo extends CallElement {
  static override styles = [tokens, tileStyles, remoteVideoStyles];
  static override properties: PropertyDeclarations = {
    participant: { reflect: true },
    screen: { type: Boolean, reflect: true },
    soundBlocked: { attribute: false },
  };

  /** The id of the participant to show. */
  participant = '';
  /** Show the participant's screen share instead of their camera. */
  screen = false;

  private soundBlocked = false;
  readonly #internals = this.attachInternals();
  /** Tells the call how big this tile is, so an SFU room sends a video layer that fits it. */
  readonly #resizeObserver = new ResizeObserver((entries) => {
    this.#width = entries[entries.length - 1]?.contentRect.width ?? null;
    this.#reportSize();
  });
  #width: number | null = null;
  /** What the call was last told about this tile. */
  #reported: { call: Call; participant: string; width: number } | null = null;

  get #video(): HTMLVideoElement | null {
    return this.renderRoot?.querySelector('video');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    this.#resizeObserver.disconnect();
    this.#width = null;
    this.#reportSize();
    super.disconnectedCallback();
  }

  /** The participant as the call knows it now, if they are in the call. */
  get snapshot(): ParticipantSnapshot | undefined {
    return this.controller.snapshot?.participants.find((p) => p.id === this.participant);
  }

  protected override render(): unknown {
    const p = this.snapshot;
    if (!p) return nothing;
    const name = p.name || this.t('tile.guest');
    if (this.screen) return this.#renderScreen(name);
    const showVideo = p.camera && Boolean(p.stream?.getVideoTracks().length);
    const quality = this.t(`quality.${p.quality}`);
    return html`
      <div part="tile" class="tile" role="group" aria-label=${name}>
        <video part="video" class=${showVideo ? '' : 'hidden'} autoplay playsinline></video>
        ${showVideo ? nothing : html`<div part="avatar" class="avatar" aria-hidden="true">${initials(name)}</div>`}
        <div part="label" class="label">
          <span part="name" class="name">${name}</span>
          ${p.microphone
            ? nothing
            : html`<span part="mic-off" class="indicator" role="img" aria-label=${this.t('tile.micOff')}>${micOffIcon}</span>`}
          ${p.camera ? nothing : html`<span class="visually-hidden">${this.t('tile.cameraOff')}</span>`}
          ${p.connectionState === 'connected'
            ? html`<span part="quality" class="quality" data-quality=${p.quality} role="img" aria-label=${this.t('tile.quality', { quality })}>
                ${[1, 2, 3].map((bar) => html`<i class=${bar <= QUALITY_BARS[p.quality] ? 'on' : ''}></i>`)}
              </span>`
            : nothing}
        </div>
        ${p.connectionState === 'connected'
          ? nothing
          : html`<div part="state" class="state" data-state=${p.connectionState} role="status">
              ${this.t(`state.${p.connectionState}`)}
            </div>`}
        ${this.soundBlocked
          ? html`<button part="unmute-button" class="unmute" @click=${this.#enableSound}>${this.t('tile.enableSound')}</button>`
          : nothing}
      </div>
    `;
  }

  #renderScreen(name: string): unknown {
    return html`
      <div part="tile" class="tile screen" role="group" aria-label=${this.t('tile.screen', { name })}>
        <video part="video" autoplay playsinline muted></video>
        <div part="label" class="label"><span part="name" class="name">${this.t('tile.screen', { name })}</span></div>
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    // The call or the participant may change (or arrive) after the last resize.
    this.#reportSize();
    const p = this.snapshot;
    this.#setStates(p);
    const video = this.#video;
    if (!video) return;
    const stream = (this.screen ? p?.screenStream : p?.stream) ?? null;
    void attachStream(video, stream, () => (this.soundBlocked = true));
    if (!this.screen) void applySpeaker(video, this.controller.snapshot?.selectedDevices.audiooutput ?? null);
  }

  /** Reports this tile's width for its participant's camera (a screen share has no layers), or its going away. */
  #reportSize(): void {
    const call = this.call;
    const width = call && this.participant && !this.screen ? this.#width : null;
    const previous = this.#reported;
    if (previous && previous.call === call && previous.participant === this.participant && previous.width === width) return;
    if (previous && (previous.call !== call || previous.participant !== this.participant || width === null)) {
      previous.call.setTileSize?.(previous.participant, this, null);
    }
    this.#reported = null;
    if (!call || width === null) return;
    call.setTileSize?.(this.participant, this, width);
    this.#reported = { call, participant: this.participant, width };
  }

  #setStates(p: ParticipantSnapshot | undefined): void {
    const states = this.#internals.states;
    if (!states) return;
    for (const s of CONNECTION_STATES) toggle(states, s, p?.connectionState === s);
    toggle(states, 'muted', p !== undefined && !p.microphone);
    toggle(states, 'camera-off', p !== undefined && !p.camera);
    toggle(states, 'speaking', p !== undefined && !this.screen && this.controller.snapshot?.activeSpeaker === p.id);
  }

  readonly #enableSound = (): void => {
    // The button is only there while the video is.
    const video = this.#video!;
    video.muted = false;
    void video.play();
    this.soundBlocked = false;
  };
}

function toggle(states: CustomStateSet, name: string, on: boolean): void {
  if (on) states.add(name);
  else states.delete(name);
}
