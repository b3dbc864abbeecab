/**
 * Join tokens: when the server has an `AUTH_SECRET`, every `join` (resumes included)
 * carries an HS256 JWT signed with it. The token names the one room it grants (`room`
 * claim), must expire (`exp` claim), and may fix the joiner's display name (`name` claim).
 *
 * ```json
 * { "room": "team-standup", "name": "Ada Lovelace", "exp": 1767225600 }
 * ```
 *
 * Pure functions, no sockets: `verifyJoinToken` never throws and its messages never
 * contain the token (nor any part of it), so they are safe to send back and to log.
 */
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { LIMITS } from '../src/protocol/index.js';
import { cleanDisplayName } from './validate.js';

/**
 * Seconds a token's `exp` (and `nbf`) may be off, for clocks that differ a little between
 * the machine that signs tokens and this one.
 */
export const TOKEN_CLOCK_TOLERANCE_S = 30;

/** The only algorithm accepted: HMAC-SHA256 with the shared secret. */
const ALGORITHM = 'HS256';

/** Why a token was refused: the kind (for metrics and logs) and a message for the client. */
export type TokenRefusal = { ok: false; reason: 'missing' | 'expired' | 'invalid' | 'wrong-room'; message: string };

/** What `verifyJoinToken` answers: accepted, with the `name` claim (cleaned) if it had one, or refused. */
export type TokenVerdict = { ok: true; name?: string } | TokenRefusal;

/** The messages clients see in the `unauthorized` refusal. None of them repeats the token. */
export const TOKEN_REFUSALS = {
  missing: 'this room needs a token: join with the token you were given',
  expired: 'the token has expired: ask for a new one',
  notYetValid: 'invalid token: it is not valid yet (nbf is in the future)',
  signature: 'invalid token: its signature does not match (signed with another secret, or altered)',
  algorithm: `invalid token: it must be signed with ${ALGORITHM}`,
  malformed: 'invalid token: it is not a well-formed JWT',
  noExpiry: 'invalid token: it has no expiry (exp claim)',
  noRoom: 'invalid token: it names no room (room claim)',
  badName: 'invalid token: its name claim must be a string',
  other: 'invalid token',
  wrongRoom: (room: string): string => `the token does not grant access to room "${room}"`,
} as const;

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Checks that `token` lets its holder into `room`: a compact JWS signed with HS256 and
 * `secret`, not expired, with `exp` and `room` claims, `room` equal to the room asked for.
 * Never throws.
 */
export async function verifyJoinToken(secret: string, token: string | undefined, room: string): Promise<TokenVerdict> {
  if (token === undefined || token === '') return refuse('missing', TOKEN_REFUSALS.missing);
  if (token.length > LIMITS.maxTokenLength) return refuse('invalid', TOKEN_REFUSALS.malformed);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ['exp', 'room'],
      clockTolerance: TOKEN_CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    return refusalFor(error);
  }
  if (typeof payload.room !== 'string') return refuse('invalid', TOKEN_REFUSALS.noRoom);
  if (payload.room !== room) return refuse('wrong-room', TOKEN_REFUSALS.wrongRoom(room));
  if (payload.name === undefined || payload.name === null) return { ok: true };
  if (typeof payload.name !== 'string') return refuse('invalid', TOKEN_REFUSALS.badName);
  return { ok: true, name: cleanDisplayName(payload.name) };
}

function refusalFor(error: unknown): TokenRefusal {
  if (error instanceof errors.JWTExpired) return refuse('expired', TOKEN_REFUSALS.expired);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return refuse('invalid', TOKEN_REFUSALS.noExpiry);
    if (error.claim === 'room') return refuse('invalid', TOKEN_REFUSALS.noRoom);
    if (error.claim === 'nbf') return refuse('invalid', TOKEN_REFUSALS.notYetValid);
    return refuse('invalid', TOKEN_REFUSALS.other);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('invalid', TOKEN_REFUSALS.signature);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return refuse('invalid', TOKEN_REFUSALS.algorithm);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return refuse('invalid', TOKEN_REFUSALS.malformed);
  return refuse('invalid', TOKEN_REFUSALS.other);
}

function refuse(reason: TokenRefusal['reason'], message: string): TokenRefusal {
  return { ok: false, reason, message };
}

/** What a join token grants. */
export interface JoinTokenClaims {
  /** The one room the token lets its holder join. */
  room: string;
  /** The display name the holder gets (it overrides the one the page asks for). */
  name?: string;
  /** Seconds from now until the token expires (negative: already expired, for tests). */
  expiresIn: number;
}

/**
 * Makes a join token: an HS256 JWT with `room`, `exp`, `iat` and, if given, `name`.
 * For operators (the `rtc-signal-server token` command) and tests; in production, sign
 * tokens in your own backend with any JWT library, the same claims and the same secret.
 */
export async function signJoinToken(secret: string, claims: JoinTokenClaims): Promise<string> {
  if (!Number.isFinite(claims.expiresIn)) throw new RangeError('expiresIn must be a number of seconds');
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { room: claims.room };
  if (claims.name !== undefined) payload.name = claims.name;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + Math.trunc(claims.expiresIn))
    .sign(secretKey(secret));
}
