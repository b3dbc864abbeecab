import type { CallState, ParticipantSnapshot } from '../../core/call-state.js';
import type { LeaveReason, ReceivedFile } from '../../core/call.js';
import type { ErrorCode } from '../../core/errors.js';

/** Every element event bubbles and crosses shadow roots, with its data in `detail`. */
function init<T>(detail: T): CustomEventInit<T> {
  return { detail, bubbles: true, composed: true };
}

export class RtcStateChangeEvent extends CustomEvent<{ state: CallState; previous: CallState }> {
  constructor(detail: { state: CallState; previous: CallState }) {
    super('rtc-state-change', init(detail));
  }
}
export class RtcJoinedEvent extends CustomEvent<{ selfId: string }> {
  constructor(detail: { selfId: string }) {
    super('rtc-joined', init(detail));
  }
}
export class RtcLeftEvent extends CustomEvent<{ reason: LeaveReason }> {
  constructor(detail: { reason: LeaveReason }) {
    super('rtc-left', init(detail));
  }
}
export class RtcParticipantJoinedEvent extends CustomEvent<{ participant: ParticipantSnapshot }> {
  constructor(detail: { participant: ParticipantSnapshot }) {
    super('rtc-participant-joined', init(detail));
  }
}
export class RtcParticipantLeftEvent extends CustomEvent<{ participant: ParticipantSnapshot }> {
  constructor(detail: { participant: ParticipantSnapshot }) {
    super('rtc-participant-left', init(detail));
  }
}
export class RtcErrorEvent extends CustomEvent<{ code: ErrorCode; message: string }> {
  constructor(detail: { code: ErrorCode; message: string }) {
    super('rtc-error', init(detail));
  }
}

/** A chat message, as pages receive it. */
export interface ChatMessageDetail {
  id: string;
  from: string;
  fromName: string;
  text: string;
  sentAt: number;
}

export class RtcChatMessageEvent extends CustomEvent<{ message: ChatMessageDetail }> {
  constructor(detail: { message: ChatMessageDetail }) {
    super('rtc-chat-message', init(detail));
  }
}
export class RtcFileReceivedEvent extends CustomEvent<{ file: ReceivedFile }> {
  constructor(detail: { file: ReceivedFile }) {
    super('rtc-file-received', init(detail));
  }
}

/** What a `<rtc-controls>` button asks its call's interface to do. */
export type ControlAction = 'chat' | 'settings' | 'record' | 'pip' | 'screen';

export class RtcControlEvent extends CustomEvent<{ action: ControlAction }> {
  constructor(detail: { action: ControlAction }) {
    super('rtc-control', init(detail));
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rtc-state-change': RtcStateChangeEvent;
    'rtc-joined': RtcJoinedEvent;
    'rtc-left': RtcLeftEvent;
    'rtc-participant-joined': RtcParticipantJoinedEvent;
    'rtc-participant-left': RtcParticipantLeftEvent;
    'rtc-error': RtcErrorEvent;
    'rtc-control': RtcControlEvent;
    'rtc-chat-message': RtcChatMessageEvent;
    'rtc-file-received': RtcFileReceivedEvent;
  }
}
