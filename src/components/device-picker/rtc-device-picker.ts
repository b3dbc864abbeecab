import { defineElement } from '../shared/define.js';
import { RtcDevicePicker } from './device-picker.js';

export { RtcDevicePicker };
defineElement('rtc-device-picker', RtcDevicePicker);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-device-picker': RtcDevicePicker;
  }
}
