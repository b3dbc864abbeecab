/**
 * `rtc-elements/core`: the framework-agnostic call model. No Lit, no custom elements.
 * @packageDocumentation
 */
export { Call, type CallOptions, type CallEventMap, type LeaveReason } from './call.js';
export {
  canTransition,
  type CallSnapshot,
  type CallState,
  type ConnectionState,
  type ParticipantSnapshot,
  type Quality,
} from './call-state.js';
export { RtcError, type ErrorCode } from './errors.js';
export { TypedEventTarget } from './events.js';
export { Negotiator } from './peer/negotiator.js';
