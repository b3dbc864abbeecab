import { html } from 'lit';
import { CallElement } from '../shared/call-element.js';
import { cameraIcon, cameraOffIcon, leaveIcon, micIcon, micOffIcon } from '../shared/icons.js';
import { tokens } from '../shared/styles.js';
import { controlsStyles } from './controls.styles.js';

/**
 * @summary The call's buttons: microphone, camera and leave.
 *
 * Toggles are real `<button>`s with a fixed accessible name and `aria-pressed` saying
 * whether the device is on.
 *
 * @csspart toolbar - the group around the buttons
 * @csspart mic-button - microphone on/off (`aria-pressed`)
 * @csspart camera-button - camera on/off (`aria-pressed`)
 * @csspart leave-button - leave the call
 *
 * @cssprop --rtc-control-background - a button's background
 * @cssprop --rtc-control-off-background - a toggle's background while its device is off
 * @cssprop --rtc-color-danger - the leave button
 */
export class RtcControls extends CallElement {
  static override styles = [tokens, controlsStyles];

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    const microphone = snapshot?.microphone ?? false;
    const camera = snapshot?.camera ?? false;
    const inCall = snapshot?.state === 'joined' || snapshot?.state === 'reconnecting';
    return html`
      <div part="toolbar" class="toolbar" role="group" aria-label=${this.t('controls.label')}>
        <button
          part="mic-button"
          class="toggle"
          aria-pressed=${String(microphone)}
          aria-label=${this.t('controls.microphone')}
          title=${this.t('controls.microphone')}
          ?disabled=${!snapshot}
          @click=${this.#toggleMicrophone}
        >
          ${microphone ? micIcon : micOffIcon}
        </button>
        <button
          part="camera-button"
          class="toggle"
          aria-pressed=${String(camera)}
          aria-label=${this.t('controls.camera')}
          title=${this.t('controls.camera')}
          ?disabled=${!snapshot}
          @click=${this.#toggleCamera}
        >
          ${camera ? cameraIcon : cameraOffIcon}
        </button>
        ${inCall
          ? html`<button
              part="leave-button"
              class="leave"
              aria-label=${this.t('controls.leave')}
              title=${this.t('controls.leave')}
              @click=${this.#leave}
            >
              ${leaveIcon}
            </button>`
          : ''}
      </div>
    `;
  }

  readonly #toggleMicrophone = (): void => {
    const call = this.call;
    if (call) void call.setMicrophone(!call.snapshot.microphone).catch(() => undefined);
  };

  readonly #toggleCamera = (): void => {
    const call = this.call;
    // A failure is already on the snapshot and fired as `error`.
    if (call) void call.setCamera(!call.snapshot.camera).catch(() => undefined);
  };

  readonly #leave = (): void => {
    void this.call?.leave();
  };
}
