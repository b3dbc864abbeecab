import { RtcError, mediaErrorToRtcError } from '../errors.js';

/** 720p when the camera has it; the browser picks the nearest it can do. */
export const DEFAULT_VIDEO: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};

export const DEFAULT_AUDIO: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export interface CaptureRequest {
  audio: boolean | MediaTrackConstraints;
  video: boolean | MediaTrackConstraints;
}

export interface CaptureResult {
  tracks: MediaStreamTrack[];
  /** Set when some or all of what was asked for could not be had. */
  error: RtcError | null;
}

function constraints(value: boolean | MediaTrackConstraints, defaults: MediaTrackConstraints): MediaTrackConstraints | false {
  if (value === false) return false;
  return value === true ? defaults : { ...defaults, ...value };
}

/** Fails with `insecure-context` where the browser hides media devices (plain http off localhost). */
export function assertMediaAvailable(): void {
  if (typeof window !== 'undefined' && !window.isSecureContext) {
    throw new RtcError('insecure-context', 'Camera and microphone need a secure page (https or localhost)');
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new RtcError('no-device', 'This browser cannot capture camera or microphone');
  }
}

/**
 * Captures camera and microphone. When both cannot be had together (one device missing or
 * busy) it tries each alone, so a person without a camera still joins with sound.
 * Permission denied is final: asking again per device would only prompt twice.
 */
export async function captureMedia(request: CaptureRequest): Promise<CaptureResult> {
  const audio = constraints(request.audio, DEFAULT_AUDIO);
  const video = constraints(request.video, DEFAULT_VIDEO);
  if (!audio && !video) return { tracks: [], error: null };
  try {
    assertMediaAvailable();
  } catch (error) {
    return { tracks: [], error: error as RtcError };
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    return { tracks: stream.getTracks(), error: null };
  } catch (error) {
    const first = mediaErrorToRtcError(error);
    if (first.code === 'permission-denied' || !audio || !video) return { tracks: [], error: first };
    const tracks: MediaStreamTrack[] = [];
    for (const single of [{ audio }, { video }]) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(single);
        tracks.push(...stream.getTracks());
      } catch {
        // Reported through `first`.
      }
    }
    return { tracks, error: first };
  }
}

/** Captures one kind of track again, for turning the camera back on. */
export async function captureTrack(kind: 'audio' | 'video', request: boolean | MediaTrackConstraints): Promise<MediaStreamTrack> {
  assertMediaAvailable();
  const wanted = constraints(request === false ? true : request, kind === 'audio' ? DEFAULT_AUDIO : DEFAULT_VIDEO);
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: wanted });
    const track = stream.getTracks()[0];
    if (!track) throw new RtcError('no-device', `No ${kind} track was captured`);
    return track;
  } catch (error) {
    throw mediaErrorToRtcError(error);
  }
}
