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
