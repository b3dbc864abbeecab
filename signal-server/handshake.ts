/**
 * Admission of new connections, at the socket.io handshake: refused while the server is
 * closing (503), beyond the client address's connection rate (429) or from a page origin
 * that is not allowed (403), each answered with its own status and a plain-text reason.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { addressKey, clientAddress, type ConnectionRateLimiter } from './limits.js';
import type { Logger } from './logger.js';
import type { SignalMetrics } from './metrics.js';

/** Bodies of refused handshakes (HTTP 403, 429, 503). */
export const HANDSHAKE_REFUSALS = {
  origin: 'origin not allowed',
  rateLimited: 'too many connections from your address: try again shortly',
  shuttingDown: 'the server is shutting down',
} as const;

/** Why a handshake is refused, as it is answered. */
export interface HandshakeRefusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export interface HandshakeCheckOptions {
  /** True once the server is closing. */
  isClosing: () => boolean;
  /** Undefined when connections are not rate limited. */
  connectionLimiter: ConnectionRateLimiter | undefined;
  trustProxy: number;
  /** The server's `originPolicy`. */
  isAllowed: (origin: string | undefined, host?: string) => boolean;
  metrics: SignalMetrics;
  logger: Logger;
}

/** `admitHandshake` for one server: see there. */
export function createHandshakeCheck(options: HandshakeCheckOptions): (request: IncomingMessage) => HandshakeRefusal | undefined {
  const { isClosing, connectionLimiter, trustProxy, isAllowed, metrics, logger } = options;

  /**
   * Decides about a new connection: refused while closing, beyond the address's rate, or
   * from a page origin that is not allowed. The rate is checked first, so refusals of any
   * kind count against it.
   */
  return function admitHandshake(request: IncomingMessage): HandshakeRefusal | undefined {
    if (isClosing()) return { status: 503, message: HANDSHAKE_REFUSALS.shuttingDown };
    if (connectionLimiter) {
      const address = clientAddress(request, trustProxy);
      const { allowed, firstRefusal } = connectionLimiter.take(addressKey(address));
      if (!allowed) {
        metrics.rejections.inc({ reason: 'rate-limited' });
        if (firstRefusal) logger.warn({ address, limit: connectionLimiter.max, windowMs: connectionLimiter.windowMs }, 'connections refused: too many from one address');
        const retryAfter = Math.max(1, Math.ceil(connectionLimiter.windowMs / connectionLimiter.max / 1000));
        return { status: 429, message: HANDSHAKE_REFUSALS.rateLimited, headers: { 'retry-after': String(retryAfter) } };
      }
    }
    if (!isAllowed(request.headers.origin, requestHost(request))) {
      metrics.rejections.inc({ reason: 'origin' });
      logger.info({ origin: printable(request.headers.origin ?? ''), address: clientAddress(request, trustProxy) }, 'connection refused: origin not allowed');
      return { status: 403, message: HANDSHAKE_REFUSALS.origin };
    }
    return undefined;
  };
}

/**
 * Answers a refused handshake with its own status (403, 429, 503) and a plain-text reason,
 * before engine.io would answer it with its generic one (403 for polling, 400 for a
 * websocket). A polling request carries its response; a websocket upgrade only its socket.
 */
export function refuseHandshake(request: IncomingMessage, status: number, message: string, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(message)),
    connection: 'close',
    ...extraHeaders,
  };
  const response = (request as IncomingMessage & { res?: ServerResponse }).res;
  if (response) {
    if (!response.headersSent) response.writeHead(status, headers).end(message);
    return;
  }
  const socket = request.socket;
  if (!socket.writable) return;
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  // Ended here, so engine.io finds it unwritable and only destroys it.
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${message}`);
}

/** A header value as it may be logged: short, without control characters. */
function printable(value: string): string {
  return value.replace(/\p{Cc}/gu, '').slice(0, 200);
}

function requestHost(request: IncomingMessage): string | undefined {
  return request.headers.host?.toLowerCase();
}

/**
 * Decides whether a page origin may connect. A request without an `Origin` header is let
 * through: browsers always send one cross-origin (and on WebSocket handshakes), so its
 * absence means a same-origin polling request or a non-browser client, which could send
 * any header it liked anyway. A page served by this server (origin host = Host header)
 * is always allowed.
 */
export function originPolicy(allowedOrigins: readonly string[] | undefined): (origin: string | undefined, host?: string) => boolean {
  if (allowedOrigins === undefined || allowedOrigins.includes('*')) return () => true;
  const allowed = new Set(allowedOrigins.map(normalizeOrigin));
  return (origin, host) => {
    if (origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    if (allowed.has(normalized)) return true;
    return host !== undefined && hostOf(normalized) === host;
  };
}

/** `HTTPS://Example.com:443/` → `https://example.com`, so equal origins compare equal. */
export function normalizeOrigin(origin: string): string {
  const trimmed = origin.trim();
  try {
    const parsed = new URL(trimmed);
    if (parsed.origin !== 'null') return parsed.origin;
  } catch {
    // Not a URL ('null', garbage): compared as written.
  }
  return trimmed.toLowerCase().replace(/\/+$/, '');
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
