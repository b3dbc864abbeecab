import { html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { CallElement } from '../shared/call-element.js';
import { micOffIcon } from '../shared/icons.js';
import { attachStream } from '../shared/media-binding.js';
import { tokens } from '../shared/styles.js';
import { initials, tileStyles } from '../shared/tile.styles.js';
import { localVideoStyles } from './local-video.styles.js';

/**
 * @summary This device's camera preview: mirrored, muted, with the local name.
 *
 * @csspart tile - the tile around everything
 * @csspart video - the `<video>`
 * @csspart avatar - the initials shown while the camera is off
 * @csspart label - the name badge
 * @csspart name - the name inside the badge
 * @csspart mic-off - the muted-microphone indicator
 *
 * @cssprop --rtc-tile-background - tile background behind the video
 * @cssprop --rtc-tile-aspect-ratio - tile shape (default 16 / 9)
 * @cssprop --rtc-video-fit - `cover` (default) or `contain`
 * @cssprop --rtc-local-mirror - `-1` mirrors the preview (default), `1` does not
 *
 * With `screen`, it shows this device's screen share instead (not mirrored).
 */
export class RtcLocalVideo extends CallElement {
  static override styles = [tokens, tileStyles, localVideoStyles];
  static override properties: PropertyDeclarations = { screen: { type: Boolean, reflect: true } };

  /** Show this device's screen share instead of the camera. */
  screen = false;

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    if (this.screen) {
      return html`<div part="tile" class="tile" role="group" aria-label=${this.t('tile.yourScreen')}>
        <video part="video" class="screen" autoplay playsinline muted></video>
        <div part="label" class="label"><span part="name" class="name">${this.t('tile.yourScreen')}</span></div>
      </div>`;
    }
    const name = snapshot?.name ?? '';
    const showVideo = Boolean(snapshot?.camera && snapshot.localStream?.getVideoTracks().length);
    const label = name ? this.t('tile.you', { name }) : this.t('tile.youUnnamed');
    return html`
      <div part="tile" class="tile">
        <video part="video" class=${showVideo ? '' : 'hidden'} autoplay playsinline muted aria-hidden="true"></video>
        ${showVideo ? nothing : html`<div part="avatar" class="avatar" aria-hidden="true">${initials(name || '?')}</div>`}
        <div part="label" class="label">
          <span part="name" class="name">${label}</span>
          ${snapshot && !snapshot.microphone
            ? html`<span part="mic-off" class="indicator" role="img" aria-label=${this.t('tile.micOff')}>${micOffIcon}</span>`
            : nothing}
        </div>
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const snapshot = this.controller.snapshot;
    void attachStream(this.renderRoot.querySelector('video')!, (this.screen ? snapshot?.screenStream : snapshot?.localStream) ?? null);
  }
}
