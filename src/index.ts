/**
 * `rtc-elements`: the core and every element, defined.
 * @packageDocumentation
 */
export * from './core/index.js';
export { RtcCall } from './components/call/rtc-call.js';
export { RtcLocalVideo } from './components/local-video/rtc-local-video.js';
export { RtcRemoteVideo } from './components/remote-video/rtc-remote-video.js';
export { RtcParticipantGrid } from './components/participant-grid/rtc-participant-grid.js';
export { RtcControls } from './components/controls/rtc-controls.js';
export { RtcPrejoin } from './components/prejoin/rtc-prejoin.js';
export { RtcChat } from './components/chat/rtc-chat.js';
export { RtcDevicePicker } from './components/device-picker/rtc-device-picker.js';
export * from './components/shared/events.js';
export { callContext } from './components/shared/call-context.js';
export { CallController } from './components/shared/call-controller.js';
export { CallElement } from './components/shared/call-element.js';
