import { waitUntil } from '@open-wc/testing';
import type { Call } from '../../src/core/call.js';

/** A room name no other test uses. */
export function uniqueRoom(prefix = 'room'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Waits until a `<video>` has shown new frames: proof that pictures arrive, not just a stream object. */
export async function framesAdvance(video: HTMLVideoElement, frames = 5, timeout = 10000): Promise<void> {
  await waitUntil(() => video.videoWidth > 0, 'video has a size', { timeout });
  const start = video.getVideoPlaybackQuality().totalVideoFrames;
  await waitUntil(() => video.getVideoPlaybackQuality().totalVideoFrames >= start + frames, `${frames} new frames`, {
    timeout,
  });
}

/** Plays a stream in a detached video element and waits for its frames to advance. */
export async function streamShowsFrames(stream: MediaStream): Promise<void> {
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  document.body.append(video);
  try {
    await video.play();
    await framesAdvance(video);
  } finally {
    video.srcObject = null;
    video.remove();
  }
}

/** Waits until a call's snapshot satisfies `test`. */
export function snapshotMatches(call: Call, test: (s: Call['snapshot']) => boolean, message: string, timeout = 10000): Promise<void> {
  return waitUntil(() => test(call.snapshot), message, { timeout });
}
