/**
 * Validators for every payload a client may send. Each one takes `unknown` (whatever
 * came off the wire), checks shape, types and sizes against the protocol's `LIMITS`, and
 * answers either a freshly built, typed value holding only the known fields, or a reason
 * a person can read. Nothing here throws, and a client's object is never passed on as-is.
 *
 * SDP and ICE candidates are only type- and size-checked, never parsed or rewritten.
 */
import {
  LIMITS,
  ROOM_PATTERN,
  type IceCandidateInfo,
  type JoinRequest,
  type MediaState,
  type RelayRequest,
  type SfuCandidate,
  type SfuLayerRequest,
  type SfuRestartRequest,
  type SfuPublishRequest,
  type SignalData,
  type SignalRequest,
} from '../src/protocol/index.js';
import type { ParticipantPatch } from './rooms.js';

/** A validator's answer: the cleaned value, or why the payload was refused. */
export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The name given to a participant whose display name is missing or empty after cleaning. */
export const DEFAULT_DISPLAY_NAME = 'Guest';

/** Participant ids are made by the server (base64url), so anything else cannot name one. */
const PARTICIPANT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A session key as the protocol defines it: base64url, 22 to 64 characters (at least 128 bits). */
const SESSION_KEY_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** ICE allows a username fragment of up to 256 characters (RFC 8445, section 5.3). */
const MAX_USERNAME_FRAGMENT_LENGTH = 256;

const DESCRIPTION_TYPES: ReadonlySet<string> = new Set(['offer', 'answer', 'pranswer', 'rollback']);

/**
 * Characters removed from display names: control characters (C0, DEL, C1), line and
 * paragraph separators, bidirectional embeddings, overrides and isolates (they can make a
 * name render as something else), zero-width spaces, BOMs, and lone surrogates.
 * Zero-width joiners stay: emoji sequences and some scripts need them.
 */
const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200B\u2060\uFEFF]/gu;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Cleans a display name: strips unsafe characters, collapses whitespace, trims, and cuts
 * it to `LIMITS.maxNameLength` UTF-16 code units without splitting a character. A name
 * that ends up empty becomes `DEFAULT_DISPLAY_NAME`.
 */
export function cleanDisplayName(raw: string): string {
  const collapsed = raw.replace(UNSAFE_NAME_CHARACTERS, '').replace(/\s+/gu, ' ').trim();
  let capped = '';
  for (const { segment } of graphemes.segment(collapsed)) {
    if (capped.length + segment.length > LIMITS.maxNameLength) break;
    capped += segment;
  }
  capped = capped.trim();
  return capped === '' ? DEFAULT_DISPLAY_NAME : capped;
}

/**
 * Checks a `join` payload. The room must match `ROOM_PATTERN`; the name is cleaned (a
 * missing or empty name becomes `DEFAULT_DISPLAY_NAME`); an empty token counts as none.
 * A `session` (null counts as none) needs a well-formed `key` and may name an `id`.
 */
export function validateJoin(payload: unknown): Validated<JoinRequest> {
  const fields = readFields(payload, ['room', 'name', 'token', 'media', 'session']);
  if (!fields) return refuse('the join request must be an object');

  const room = checkRoom(fields.room);
  if (!room.ok) return room;

  if (fields.name !== undefined && fields.name !== null && typeof fields.name !== 'string') {
    return refuse('name must be a string');
  }
  const name = cleanDisplayName(typeof fields.name === 'string' ? fields.name : '');

  const request: JoinRequest = { room: room.value, name };

  if (fields.token !== undefined && fields.token !== null) {
    if (typeof fields.token !== 'string') return refuse('token must be a string');
    if (fields.token.length > LIMITS.maxTokenLength) {
      return refuse(`token is longer than ${LIMITS.maxTokenLength} characters`);
    }
    if (fields.token !== '') request.token = fields.token;
  }

  if (fields.media !== undefined && fields.media !== null) {
    const media = checkMediaState(fields.media, 'media.');
    if (!media.ok) return media;
    request.media = media.value;
  }

  if (fields.session !== undefined && fields.session !== null) {
    const session = checkSession(fields.session);
    if (!session.ok) return session;
    request.session = session.value;
  }
  return { ok: true, value: request };
}

/** True for a string that can be a participant id: base64url, 1 to `LIMITS.maxIdLength` characters. */
function isParticipantId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= LIMITS.maxIdLength && PARTICIPANT_ID_PATTERN.test(value);
}

function checkSession(value: unknown): Validated<NonNullable<JoinRequest['session']>> {
  const fields = readFields(value, ['key', 'id']);
  if (!fields) return refuse('session must be an object');
  const { key, id } = fields;
  if (typeof key !== 'string' || !SESSION_KEY_PATTERN.test(key)) {
    return refuse('session.key must be 22 to 64 base64url characters (A-Z a-z 0-9 - _)');
  }
  const session: NonNullable<JoinRequest['session']> = { key };
  if (id !== undefined && id !== null) {
    if (!isParticipantId(id)) return refuse(`session.id must be a participant id (base64url, at most ${LIMITS.maxIdLength} characters)`);
    session.id = id;
  }
  return { ok: true, value: session };
}

/** Checks a `signal` payload: a participant id to send to, and one SDP or ICE candidate. */
export function validateSignal(payload: unknown): Validated<SignalRequest> {
  const fields = readFields(payload, ['to', 'data']);
  if (!fields) return refuse('the signal must be an object');

  const { to } = fields;
  if (!isParticipantId(to)) return refuse('to must be a participant id');
  const data = checkSignalData(fields.data);
  if (!data.ok) return data;
  return { ok: true, value: { to, data: data.value } };
}

/** Checks an `update` payload: media flags and, optionally, a new display name (cleaned). */
export function validateUpdate(payload: unknown): Validated<ParticipantPatch> {
  const fields = readFields(payload, ['name']);
  if (!fields) return refuse('the update must be an object');
  const media = checkMediaState(payload, '');
  if (!media.ok) return media;

  const patch: ParticipantPatch = { ...media.value };
  if (fields.name !== undefined && fields.name !== null) {
    if (typeof fields.name !== 'string') return refuse('name must be a string');
    patch.name = cleanDisplayName(fields.name);
  }
  return { ok: true, value: patch };
}

function checkRoom(room: unknown): Validated<string> {
  if (typeof room !== 'string') return refuse('room must be a string');
  if (room.length === 0) return refuse('room must not be empty');
  if (room.length > LIMITS.maxRoomLength) return refuse(`room is longer than ${LIMITS.maxRoomLength} characters`);
  if (!ROOM_PATTERN.test(room)) {
    return refuse('room may only hold letters, digits and - _ . and must start with a letter or digit');
  }
  return { ok: true, value: room };
}

function checkMediaState(value: unknown, prefix: string): Validated<Partial<MediaState>> {
  const fields = readFields(value, ['microphone', 'camera', 'screenSharing', 'screenStreamId', 'recording']);
  if (!fields) return refuse(`${prefix === '' ? 'media' : prefix.slice(0, -1)} must be an object`);

  const media: Partial<MediaState> = {};
  for (const flag of ['microphone', 'camera', 'screenSharing', 'recording'] as const) {
    const flagValue = fields[flag];
    if (flagValue === undefined) continue;
    if (typeof flagValue !== 'boolean') return refuse(`${prefix}${flag} must be true or false`);
    media[flag] = flagValue;
  }

  const { screenStreamId } = fields;
  if (screenStreamId === null) {
    media.screenStreamId = null;
  } else if (screenStreamId !== undefined) {
    if (!isBoundedString(screenStreamId, LIMITS.maxIdLength) || screenStreamId === '' || /\p{Cc}/u.test(screenStreamId)) {
      return refuse(`${prefix}screenStreamId must be a stream id of at most ${LIMITS.maxIdLength} characters, or null`);
    }
    media.screenStreamId = screenStreamId;
  }
  return { ok: true, value: media };
}

function checkSignalData(value: unknown): Validated<SignalData> {
  const fields = readFields(value, ['kind', 'description', 'candidate']);
  if (!fields) return refuse('data must be an object');
  if (fields.kind === 'description') return checkDescription(fields.description);
  if (fields.kind === 'candidate') return checkCandidate(fields.candidate);
  return refuse('data.kind must be "description" or "candidate"');
}

function checkDescription(value: unknown): Validated<SignalData> {
  const fields = readFields(value, ['type', 'sdp']);
  if (!fields) return refuse('data.description must be an object');
  const { type, sdp } = fields;
  if (typeof type !== 'string' || !DESCRIPTION_TYPES.has(type)) {
    return refuse('data.description.type must be offer, answer, pranswer or rollback');
  }
  const description: Extract<SignalData, { kind: 'description' }>['description'] = {
    type: type as 'offer' | 'answer' | 'pranswer' | 'rollback',
  };
  if (sdp !== undefined && sdp !== null) {
    if (!isBoundedString(sdp, LIMITS.maxSdpLength)) {
      return refuse(`data.description.sdp must be a string of at most ${LIMITS.maxSdpLength} characters`);
    }
    description.sdp = sdp;
  }
  return { ok: true, value: { kind: 'description', description } };
}

function checkCandidate(value: unknown): Validated<SignalData> {
  const candidate = checkIceCandidate(value, 'data.candidate');
  return candidate.ok ? { ok: true, value: { kind: 'candidate', candidate: candidate.value } } : candidate;
}

/** An ICE candidate as `RTCIceCandidate.toJSON()` gives it, or null (the end of candidates); `name` is for messages. */
function checkIceCandidate(value: unknown, name: string): Validated<IceCandidateInfo | null> {
  // null announces the end of candidates.
  if (value === null) return { ok: true, value: null };
  const fields = readFields(value, ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment']);
  if (!fields) return refuse(`${name} must be an object or null`);

  if (!isBoundedString(fields.candidate, LIMITS.maxCandidateLength)) {
    return refuse(`${name}.candidate must be a string of at most ${LIMITS.maxCandidateLength} characters`);
  }
  const candidate: IceCandidateInfo = { candidate: fields.candidate };

  const { sdpMid, sdpMLineIndex, usernameFragment } = fields;
  if (sdpMid !== undefined) {
    if (sdpMid !== null && !isBoundedString(sdpMid, LIMITS.maxIdLength)) {
      return refuse(`${name}.sdpMid must be a string of at most ${LIMITS.maxIdLength} characters, or null`);
    }
    candidate.sdpMid = sdpMid;
  }
  if (sdpMLineIndex !== undefined) {
    if (sdpMLineIndex !== null && !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0 && (sdpMLineIndex as number) <= 65535)) {
      return refuse(`${name}.sdpMLineIndex must be a whole number from 0 to 65535, or null`);
    }
    candidate.sdpMLineIndex = sdpMLineIndex as number | null;
  }
  if (usernameFragment !== undefined) {
    if (usernameFragment !== null && !isBoundedString(usernameFragment, MAX_USERNAME_FRAGMENT_LENGTH)) {
      return refuse(`${name}.usernameFragment must be a string of at most ${MAX_USERNAME_FRAGMENT_LENGTH} characters, or null`);
    }
    candidate.usernameFragment = usernameFragment;
  }
  return { ok: true, value: candidate };
}

/* ---------------------------------------------------------------- SFU rooms and relay */

/** A non-empty SDP within `LIMITS.maxSdpLength`. */
function checkSdp(value: unknown, name: string): Validated<string> {
  if (typeof value !== 'string' || value === '' || value.length > LIMITS.maxSdpLength) {
    return refuse(`${name} must be an SDP of 1 to ${LIMITS.maxSdpLength} characters`);
  }
  return { ok: true, value };
}

/** A media id (`a=mid:`): short, printable, no spaces. */
function isMid(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= LIMITS.maxIdLength && /^[\x21-\x7e]+$/.test(value);
}

/** Checks an `sfu-publish` payload: the publisher connection's offer and, optionally, the screen share's mid. */
export function validateSfuPublish(payload: unknown): Validated<SfuPublishRequest> {
  const fields = readFields(payload, ['sdp', 'screenMid']);
  if (!fields) return refuse('sfu-publish must be an object');
  const sdp = checkSdp(fields.sdp, 'sdp');
  if (!sdp.ok) return sdp;
  const request: SfuPublishRequest = { sdp: sdp.value, screenMid: null };
  if (fields.screenMid !== undefined && fields.screenMid !== null) {
    if (!isMid(fields.screenMid)) return refuse(`screenMid must be a media id of at most ${LIMITS.maxIdLength} characters, or null`);
    request.screenMid = fields.screenMid;
  }
  return { ok: true, value: request };
}

/** Checks an `sfu-answer` payload: the subscriber connection's answer. */
export function validateSfuAnswer(payload: unknown): Validated<{ sdp: string }> {
  const fields = readFields(payload, ['sdp']);
  if (!fields) return refuse('sfu-answer must be an object');
  const sdp = checkSdp(fields.sdp, 'sdp');
  return sdp.ok ? { ok: true, value: { sdp: sdp.value } } : sdp;
}

/** Checks an `sfu-candidate` payload: which connection, and one ICE candidate or null. */
export function validateSfuCandidate(payload: unknown): Validated<SfuCandidate> {
  const fields = readFields(payload, ['target', 'candidate']);
  if (!fields) return refuse('sfu-candidate must be an object');
  if (fields.target !== 'publisher' && fields.target !== 'subscriber') return refuse('target must be "publisher" or "subscriber"');
  const candidate = checkIceCandidate(fields.candidate, 'candidate');
  if (!candidate.ok) return candidate;
  return { ok: true, value: { target: fields.target, candidate: candidate.value } };
}

/** Checks an `sfu-layer` payload: a participant id and a simulcast layer 0..2. */
export function validateSfuLayer(payload: unknown): Validated<SfuLayerRequest> {
  const fields = readFields(payload, ['participant', 'layer']);
  if (!fields) return refuse('sfu-layer must be an object');
  if (!isParticipantId(fields.participant)) return refuse('participant must be a participant id');
  const { layer } = fields;
  if (layer !== 0 && layer !== 1 && layer !== 2) return refuse('layer must be 0, 1 or 2');
  return { ok: true, value: { participant: fields.participant, layer } };
}

/** Checks an `sfu-restart` payload: which connection (only the subscriber's can be restarted by the SFU). */
export function validateSfuRestart(payload: unknown): Validated<SfuRestartRequest> {
  const fields = readFields(payload, ['target']);
  if (!fields) return refuse('sfu-restart must be an object');
  if (fields.target !== 'subscriber') return refuse('target must be "subscriber" (a publisher restarts with a new sfu-publish)');
  return { ok: true, value: { target: fields.target } };
}

/** Checks a `relay` payload: a participant id, a channel name and data (text, or base64 with `binary`), or `close`. */
export function validateRelay(payload: unknown): Validated<RelayRequest> {
  const fields = readFields(payload, ['to', 'channel', 'data', 'binary', 'close']);
  if (!fields) return refuse('relay must be an object');
  const { to, channel, data, binary, close } = fields;
  if (!isParticipantId(to)) return refuse('to must be a participant id');
  if (typeof channel !== 'string' || channel === '' || channel.length > LIMITS.maxRelayChannelLength || /\p{Cc}/u.test(channel)) {
    return refuse(`channel must be a name of 1 to ${LIMITS.maxRelayChannelLength} characters`);
  }
  const request: RelayRequest = { to, channel };
  if (binary !== undefined && binary !== null) {
    if (typeof binary !== 'boolean') return refuse('binary must be true or false');
    request.binary = binary;
  }
  if (close !== undefined && close !== null) {
    if (typeof close !== 'boolean') return refuse('close must be true or false');
    request.close = close;
  }
  if (data !== undefined && data !== null) {
    if (!isBoundedString(data, LIMITS.maxRelayDataLength)) return refuse(`data must be a string of at most ${LIMITS.maxRelayDataLength} characters`);
    if (request.binary && !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return refuse('binary data must be base64');
    request.data = data;
  } else if (!request.close) {
    return refuse('relay needs data, or close');
  }
  return { ok: true, value: request };
}

/**
 * Reads the named fields of a plain object (a JSON object, nothing with a class),
 * looking only at its own data properties: inherited values, getters and keys such as
 * `__proto__` are never consulted. Answers undefined for anything that is not a plain
 * object, arrays and null included.
 */
function readFields<K extends string>(value: unknown, keys: readonly K[]): Record<K, unknown> | undefined {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return undefined;
    const fields = Object.create(null) as Record<K, unknown>;
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      fields[key] = descriptor && 'value' in descriptor ? (descriptor.value as unknown) : undefined;
    }
    return fields;
  } catch {
    // A Proxy whose traps throw cannot come off the wire, but must not escape either.
    return undefined;
  }
}

function isBoundedString(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
