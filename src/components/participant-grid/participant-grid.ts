import { html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { CallElement } from '../shared/call-element.js';
import { tokens } from '../shared/styles.js';
import { participantGridStyles } from './participant-grid.styles.js';
import '../local-video/rtc-local-video.js';
import '../remote-video/rtc-remote-video.js';

const TILE_PARTS = 'tile, video, avatar, label, name, mic-off, state';

/**
 * @summary A tile for every participant, this device's included, laid out to fit.
 *
 * @csspart grid - the grid container
 * @csspart tile - every tile (exported from the tiles), as are `video`, `avatar`,
 *   `label`, `name`, `mic-off` and `state`
 *
 * @cssprop --rtc-gap - space between tiles
 */
export class RtcParticipantGrid extends CallElement {
  static override styles = [tokens, participantGridStyles];

  protected override render(): unknown {
    const participants = this.controller.snapshot?.participants ?? [];
    const count = participants.length + 1;
    const columns = Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / columns);
    return html`
      <div part="grid" class="grid" style="--_columns: ${columns}; --_rows: ${rows}" aria-live="off">
        <rtc-local-video .call=${this.call} exportparts=${TILE_PARTS}></rtc-local-video>
        ${repeat(
          participants,
          (p) => p.id,
          (p) => html`<rtc-remote-video .call=${this.call} participant=${p.id} exportparts=${TILE_PARTS}></rtc-remote-video>`,
        )}
      </div>
    `;
  }
}
