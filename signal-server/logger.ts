/**
 * Structured JSON logs (pino), one object per line. What the server logs: its start and
 * shutdown, joins and leaves (room and participant id, never the display name), refused
 * joins and connections (with the reason), rate limiting and cut-off connections, and
 * errors. What it never logs: tokens, TURN credentials, session keys, SDP or ICE
 * candidates. The redaction below is a second line of defence should such a field ever
 * be passed by mistake.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Field names that must never reach a log, wherever they appear (up to two levels deep). */
const SECRET_FIELDS = ['token', 'session', 'key', 'credential', 'password', 'secret', 'sdp', 'candidate', 'authorization', 'cookie'];

/** Creates the server's logger, writing to stdout unless given a destination (tests). */
export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const paths = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]);
  return pino(
    {
      name: 'rtc-signal-server',
      level: options.level ?? 'info',
      redact: { paths, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that discards everything: the default for `createSignalServer`. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
