/**
 * `rtc-elements/react`: every element as a typed React component, made with
 * `@lit/react`. Properties (`room`, `autojoin`, `call`, ...) are set on the element, and
 * each `rtc-*` event is a camel-case `on...` prop that receives the typed event:
 *
 * ```tsx
 * import { RtcCall } from 'rtc-elements/react';
 *
 * <RtcCall room="standup" name="Ada" autojoin onRtcJoined={(e) => setSelf(e.detail.selfId)} />
 * ```
 *
 * Importing this module defines the custom elements (as `import 'rtc-elements'` does).
 * React itself is a peer dependency and never bundled here.
 * @packageDocumentation
 */
import { createComponent, type EventName } from '@lit/react';
import React from 'react';
import { RtcCall as RtcCallElement } from '../components/call/rtc-call.js';
import { RtcChat as RtcChatElement } from '../components/chat/rtc-chat.js';
import { RtcControls as RtcControlsElement } from '../components/controls/rtc-controls.js';
import { RtcDevicePicker as RtcDevicePickerElement } from '../components/device-picker/rtc-device-picker.js';
import { RtcLocalVideo as RtcLocalVideoElement } from '../components/local-video/rtc-local-video.js';
import { RtcParticipantGrid as RtcParticipantGridElement } from '../components/participant-grid/rtc-participant-grid.js';
import { RtcPrejoin as RtcPrejoinElement } from '../components/prejoin/rtc-prejoin.js';
import { RtcRemoteVideo as RtcRemoteVideoElement } from '../components/remote-video/rtc-remote-video.js';
import type {
  RtcChatMessageEvent,
  RtcControlEvent,
  RtcErrorEvent,
  RtcFileReceivedEvent,
  RtcJoinedEvent,
  RtcLeftEvent,
  RtcParticipantJoinedEvent,
  RtcParticipantLeftEvent,
  RtcStateChangeEvent,
} from '../components/shared/events.js';

export type {
  ChatMessageDetail,
  ControlAction,
  RtcChatMessageEvent,
  RtcControlEvent,
  RtcErrorEvent,
  RtcFileReceivedEvent,
  RtcJoinedEvent,
  RtcLeftEvent,
  RtcParticipantJoinedEvent,
  RtcParticipantLeftEvent,
  RtcStateChangeEvent,
} from '../components/shared/events.js';
export type {
  RtcCallElement,
  RtcChatElement,
  RtcControlsElement,
  RtcDevicePickerElement,
  RtcLocalVideoElement,
  RtcParticipantGridElement,
  RtcPrejoinElement,
  RtcRemoteVideoElement,
};

/** The events of `<rtc-call>`, as React props. */
const callEvents = {
  onRtcStateChange: 'rtc-state-change' as EventName<RtcStateChangeEvent>,
  onRtcJoined: 'rtc-joined' as EventName<RtcJoinedEvent>,
  onRtcLeft: 'rtc-left' as EventName<RtcLeftEvent>,
  onRtcParticipantJoined: 'rtc-participant-joined' as EventName<RtcParticipantJoinedEvent>,
  onRtcParticipantLeft: 'rtc-participant-left' as EventName<RtcParticipantLeftEvent>,
  onRtcChatMessage: 'rtc-chat-message' as EventName<RtcChatMessageEvent>,
  onRtcFileReceived: 'rtc-file-received' as EventName<RtcFileReceivedEvent>,
  onRtcError: 'rtc-error' as EventName<RtcErrorEvent>,
};

/** `<rtc-call>`: one call and its default interface; children replace that interface. */
export const RtcCall = createComponent({
  tagName: 'rtc-call',
  elementClass: RtcCallElement,
  react: React,
  events: callEvents,
  displayName: 'RtcCall',
});

/** `<rtc-local-video>`: this device's camera preview. */
export const RtcLocalVideo = createComponent({
  tagName: 'rtc-local-video',
  elementClass: RtcLocalVideoElement,
  react: React,
  displayName: 'RtcLocalVideo',
});

/** `<rtc-remote-video>`: one remote participant's video and audio (`participant` is their id). */
export const RtcRemoteVideo = createComponent({
  tagName: 'rtc-remote-video',
  elementClass: RtcRemoteVideoElement,
  react: React,
  displayName: 'RtcRemoteVideo',
});

/** `<rtc-participant-grid>`: a tile for every participant, laid out to fit. */
export const RtcParticipantGrid = createComponent({
  tagName: 'rtc-participant-grid',
  elementClass: RtcParticipantGridElement,
  react: React,
  displayName: 'RtcParticipantGrid',
});

/** `<rtc-controls>`: microphone, camera, screen share, chat, settings and leave buttons. */
export const RtcControls = createComponent({
  tagName: 'rtc-controls',
  elementClass: RtcControlsElement,
  react: React,
  events: { onRtcControl: 'rtc-control' as EventName<RtcControlEvent> },
  displayName: 'RtcControls',
});

/** `<rtc-chat>`: messages, an input, and file sending with progress. */
export const RtcChat = createComponent({
  tagName: 'rtc-chat',
  elementClass: RtcChatElement,
  react: React,
  displayName: 'RtcChat',
});

/** `<rtc-device-picker>`: camera, microphone and speaker selection. */
export const RtcDevicePicker = createComponent({
  tagName: 'rtc-device-picker',
  elementClass: RtcDevicePickerElement,
  react: React,
  displayName: 'RtcDevicePicker',
});

/** `<rtc-prejoin>`: preview, name, devices and consent before joining. */
export const RtcPrejoin = createComponent({
  tagName: 'rtc-prejoin',
  elementClass: RtcPrejoinElement,
  react: React,
  displayName: 'RtcPrejoin',
});
