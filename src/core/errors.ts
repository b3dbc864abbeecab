import type { ErrorCode } from '../protocol/index.js';

export type { ErrorCode };

/** Every failure the core reports: a stable `code` for pages, an English `message` for logs. */
export class RtcError extends Error {
  override readonly name = 'RtcError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a getUserMedia / getDisplayMedia failure to the code a person can act on. */
export function mediaErrorToRtcError(error: unknown): RtcError {
  if (error instanceof RtcError) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return new RtcError('permission-denied', `Camera or microphone permission was denied (${detail})`, { cause: error });
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return new RtcError('no-device', `No camera or microphone was found (${detail})`, { cause: error });
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return new RtcError('device-in-use', `The camera or microphone could not be started (${detail})`, { cause: error });
    default:
      return new RtcError('no-device', `Camera or microphone unavailable (${detail})`, { cause: error });
  }
}
