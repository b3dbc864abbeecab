import { RtcError, mediaErrorToRtcError } from '../errors.js';

/** Asks the browser to share a screen, window or tab; maps a refusal to a code. */
export async function captureScreen(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) {
    throw new RtcError('no-device', 'This browser cannot share a screen');
  }
  try {
    return await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  } catch (error) {
    throw mediaErrorToRtcError(error);
  }
}
