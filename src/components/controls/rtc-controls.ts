import { defineElement } from '../shared/define.js';
import { RtcControls } from './controls.js';

export { RtcControls };
defineElement('rtc-controls', RtcControls);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-controls': RtcControls;
  }
}
