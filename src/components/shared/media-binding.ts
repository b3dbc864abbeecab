/**
 * Attaches a stream to a `<video>` and starts it. When the browser blocks autoplay with
 * sound (no click on the page yet), it plays muted rather than showing nothing, and
 * tells the caller so it can offer a button to turn sound on.
 */
export async function attachStream(video: HTMLVideoElement, stream: MediaStream | null, onSoundBlocked?: () => void): Promise<void> {
  if (video.srcObject === stream) return;
  video.srcObject = stream;
  if (!stream) return;
  try {
    await video.play();
  } catch (error) {
    if ((error as DOMException).name !== 'NotAllowedError' || video.muted) return;
    video.muted = true;
    onSoundBlocked?.();
    await video.play().catch(() => undefined);
  }
}

/** Plays a media element's audio on the chosen speaker, where the browser can choose. */
export async function applySpeaker(element: HTMLMediaElement, deviceId: string | null): Promise<void> {
  const withSink = element as HTMLMediaElement & { sinkId?: string; setSinkId?: (id: string) => Promise<void> };
  if (!withSink.setSinkId || withSink.sinkId === (deviceId ?? '')) return;
  // A speaker that went away falls back to the default output.
  await withSink.setSinkId(deviceId ?? '').catch(() => withSink.setSinkId?.('').catch(() => undefined));
}
