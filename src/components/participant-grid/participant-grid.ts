import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { CallSnapshot } from '../../core/call-state.js';
import { CallElement } from '../shared/call-element.js';
import { tokens } from '../shared/styles.js';
import { participantGridStyles } from './participant-grid.styles.js';
import '../local-video/rtc-local-video.js';
import '../remote-video/rtc-remote-video.js';

const TILE_PARTS = 'tile, video, avatar, label, name, mic-off, quality, state';

/**
 * @summary A tile for every participant, this device's included, laid out to fit. A
 * screen share is shown large, with everyone's cameras in a strip beside it.
 *
 * @csspart grid - the grid container
 * @csspart stage - the large area holding a screen share
 * @csspart strip - the camera tiles beside a screen share
 * @csspart tile - every tile (exported from the tiles), as are `video`, `avatar`,
 *   `label`, `name`, `mic-off`, `quality` and `state`
 *
 * @cssprop --rtc-gap - space between tiles
 */
export class RtcParticipantGrid extends CallElement {
  static override styles = [tokens, participantGridStyles];

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    const participants = snapshot?.participants ?? [];
    const tiles = html`
      <rtc-local-video .call=${this.call} exportparts=${TILE_PARTS}></rtc-local-video>
      ${repeat(
        participants,
        (p) => p.id,
        (p) => html`<rtc-remote-video .call=${this.call} participant=${p.id} exportparts=${TILE_PARTS}></rtc-remote-video>`,
      )}
    `;
    const screen = this.#screenShare(snapshot);
    if (screen !== nothing) {
      return html`<div part="grid" class="presenting">
        <div part="stage" class="stage">${screen}</div>
        <div part="strip" class="strip">${tiles}</div>
      </div>`;
    }
    const count = participants.length + 1;
    const columns = Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / columns);
    return html`<div part="grid" class="grid" style="--_columns: ${columns}; --_rows: ${rows}">${tiles}</div>`;
  }

  /** The screen to show large: someone else's first, since the sharer knows their own. */
  #screenShare(snapshot: CallSnapshot | undefined): unknown {
    const sharer = snapshot?.participants.find((p) => p.screenSharing && p.screenStream);
    if (sharer) {
      return html`<rtc-remote-video .call=${this.call} participant=${sharer.id} screen exportparts=${TILE_PARTS}></rtc-remote-video>`;
    }
    if (snapshot?.screenStream) return html`<rtc-local-video .call=${this.call} screen exportparts=${TILE_PARTS}></rtc-local-video>`;
    return nothing;
  }
}
