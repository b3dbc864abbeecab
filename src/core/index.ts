/**
 * `rtc-elements/core`: the framework-agnostic call model. No Lit, no custom elements.
 * @packageDocumentation
 */
export {
  Call,
  DEFAULT_MAX_FILE_SIZE,
  type CallOptions,
  type CallEventMap,
  type LeaveReason,
  type ParticipantStats,
  type ReceivedFile,
  type SendFileOptions,
} from './call.js';
export type { ChatMessage } from './data/chat.js';
export type { DeviceInfo, DeviceKind, DeviceList, SelectedDevices } from './media/devices.js';
export type { ConnectionStats } from './peer/quality.js';
export {
  canTransition,
  type CallSnapshot,
  type CallState,
  type ConnectionState,
  type FileTransferSnapshot,
  type ParticipantSnapshot,
  type Quality,
} from './call-state.js';
export { RtcError, type ErrorCode } from './errors.js';
export { TypedEventTarget } from './events.js';
export { Negotiator } from './peer/negotiator.js';
