import { html } from 'lit';
import { live } from 'lit/directives/live.js';
import { canChooseSpeaker, type DeviceInfo, type DeviceKind } from '../../core/media/devices.js';
import type { MessageKey } from '../../i18n/index.js';
import { CallElement } from '../shared/call-element.js';
import { tokens } from '../shared/styles.js';
import { devicePickerStyles } from './device-picker.styles.js';

interface KindText {
  part: string;
  label: MessageKey;
  unnamed: MessageKey;
  none: MessageKey;
}

const TEXT: Record<DeviceKind, KindText> = {
  videoinput: { part: 'camera-select', label: 'devices.camera', unnamed: 'devices.cameraN', none: 'devices.noCamera' },
  audioinput: { part: 'microphone-select', label: 'devices.microphone', unnamed: 'devices.microphoneN', none: 'devices.noMicrophone' },
  audiooutput: { part: 'speaker-select', label: 'devices.speaker', unnamed: 'devices.speakerN', none: 'devices.speakerDefault' },
};

/**
 * @summary Camera, microphone and speaker selection, before joining and mid-call.
 *
 * Switching mid-call swaps the device without others' video flickering; the choice is
 * remembered for the next visit. Devices are listed once the person has allowed camera
 * and microphone (browsers hide them before). The speaker choice shows only where the
 * browser can route sound (`setSinkId`).
 *
 * @csspart picker - the group around everything
 * @csspart field - one label and its select
 * @csspart label - a select's visible label
 * @csspart camera-select - the camera `<select>`
 * @csspart microphone-select - the microphone `<select>`
 * @csspart speaker-select - the speaker `<select>`
 * @csspart note - the note shown before devices are listed
 * @csspart speaker-note - the note shown instead of the speaker select
 *
 * @cssprop --rtc-device-picker-background - the panel's background (set `transparent` inside a panel of your own)
 * @cssprop --rtc-device-picker-padding - the space around the selects
 * @cssprop --rtc-select-background - the selects' background
 * @cssprop --rtc-color-text-muted - the notes
 */
export class RtcDevicePicker extends CallElement {
  static override styles = [tokens, devicePickerStyles];

  protected override render(): unknown {
    const devices = this.controller.snapshot?.devices;
    const listed = Boolean(devices && (devices.videoinput.length || devices.audioinput.length || devices.audiooutput.length));
    const speakers = canChooseSpeaker() && Boolean(devices?.audiooutput.length);
    return html`
      <div part="picker" class="picker" role="group" aria-label=${this.t('devices.label')}>
        ${listed
          ? html`
              ${this.#renderSelect('videoinput')} ${this.#renderSelect('audioinput')}
              ${speakers
                ? this.#renderSelect('audiooutput')
                : html`<p part="speaker-note" class="note">${this.t('devices.speakerDefault')}</p>`}
            `
          : html`<p part="note" class="note">${this.t('devices.needPermission')}</p>`}
      </div>
    `;
  }

  #renderSelect(kind: DeviceKind): unknown {
    const snapshot = this.controller.snapshot;
    const list = snapshot?.devices[kind] ?? [];
    const text = TEXT[kind];
    const chosen = snapshot?.selectedDevices[kind];
    // No choice yet, or the chosen device is gone: the first entry (the browser's default) is in use.
    const selected = list.some((d) => d.deviceId === chosen) ? chosen : list[0]?.deviceId;
    return html`
      <label part="field" class="field">
        <span part="label" class="label">${this.t(text.label)}</span>
        <select part=${text.part} ?disabled=${list.length === 0} @change=${(event: Event) => this.#onChange(kind, event)}>
          ${list.length === 0
            ? html`<option value="">${this.t(text.none)}</option>`
            : list.map(
                (device, index) =>
                  html`<option value=${device.deviceId} .selected=${live(device.deviceId === selected)}>${this.#name(device, index, text)}</option>`,
              )}
        </select>
      </label>
    `;
  }

  #name(device: DeviceInfo, index: number, text: KindText): string {
    return device.label || this.t(text.unnamed, { n: String(index + 1) });
  }

  #onChange(kind: DeviceKind, event: Event): void {
    const deviceId = (event.target as HTMLSelectElement).value;
    // A failure to start the device is the call's to report; the picker follows its snapshot.
    if (deviceId) void this.call?.selectDevice(kind, deviceId).catch(() => undefined);
  }
}
