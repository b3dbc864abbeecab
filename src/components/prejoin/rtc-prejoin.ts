import { defineElement } from '../shared/define.js';
import { RtcPrejoin } from './prejoin.js';

export { RtcPrejoin };
defineElement('rtc-prejoin', RtcPrejoin);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-prejoin': RtcPrejoin;
  }
}
