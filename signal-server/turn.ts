/**
 * Time-limited TURN credentials, as coturn's `use-auth-secret` (the "TURN REST API")
 * expects them: the username is `<expiry unix seconds>:<participant id>` and the password
 * is base64(HMAC-SHA1(shared secret, username)). coturn recomputes the password from the
 * username and the same secret, and refuses the credential once the expiry has passed, so
 * nothing has to be stored and the secret itself never leaves the server.
 */
import { createHmac } from 'node:crypto';
import type { IceServerInfo } from '../src/protocol/index.js';

/** The default lifetime of a TURN credential, in seconds. */
export const DEFAULT_TURN_TTL_S = 3600;

/** What `turnIceServers` needs. */
export interface TurnSettings {
  /** turn:, turns: and stun: URLs, handed out as one ICE server entry. */
  urls: readonly string[];
  /** The shared secret (coturn's `static-auth-secret`). Without one, the URLs are handed out without credentials. */
  secret?: string;
  /** Credential lifetime in seconds. Default `DEFAULT_TURN_TTL_S`. */
  ttlSeconds?: number;
  /** The clock, in milliseconds (for tests). Default `Date.now`. */
  now?: () => number;
}

/** The password for a TURN REST username: base64(HMAC-SHA1(secret, username)). */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** One credential: valid until `now + ttlSeconds`, tied to the participant for coturn's logs. */
export function turnCredential(
  secret: string,
  participantId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): { username: string; credential: string; expiresAt: number } {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${participantId}`;
  return { username, credential: turnPassword(secret, username), expiresAt };
}

/**
 * Makes the `iceServers` function for `createSignalServer`: each joiner gets fresh
 * credentials made for its participant id.
 */
export function turnIceServers(settings: TurnSettings): (participantId: string) => IceServerInfo[] {
  const urls = [...settings.urls];
  const ttl = settings.ttlSeconds ?? DEFAULT_TURN_TTL_S;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new RangeError(`ttlSeconds must be a positive whole number, got ${String(ttl)}`);
  const now = settings.now ?? Date.now;
  const { secret } = settings;
  return (participantId) => {
    if (secret === undefined) return [{ urls: [...urls] }];
    const { username, credential } = turnCredential(secret, participantId, ttl, now());
    return [{ urls: [...urls], username, credential }];
  };
}
