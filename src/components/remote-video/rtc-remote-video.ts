import { defineElement } from '../shared/define.js';
import { RtcRemoteVideo } from './remote-video.js';

export { RtcRemoteVideo };
defineElement('rtc-remote-video', RtcRemoteVideo);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-remote-video': RtcRemoteVideo;
  }
}
