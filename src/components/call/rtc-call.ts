import { defineElement } from '../shared/define.js';
import { RtcCall } from './call.js';

export { RtcCall };
defineElement('rtc-call', RtcCall);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-call': RtcCall;
  }
}
