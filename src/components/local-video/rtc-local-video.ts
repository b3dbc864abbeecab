import { defineElement } from '../shared/define.js';
import { RtcLocalVideo } from './local-video.js';

export { RtcLocalVideo };
defineElement('rtc-local-video', RtcLocalVideo);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-local-video': RtcLocalVideo;
  }
}
