/**
 * Video that needs no camera: a canvas drawn a dozen times a second (a moving pattern,
 * a head-and-shoulders silhouette and the person's name) and captured as a MediaStream.
 * One timer draws every live canvas; a source is dropped once its track is stopped.
 */

interface Source {
  readonly canvas: HTMLCanvasElement;
  readonly context: CanvasRenderingContext2D;
  readonly track: MediaStreamTrack;
  readonly draw: (context: CanvasRenderingContext2D, time: number) => void;
}

const FPS = 12;
const sources = new Set<Source>();
let timer: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  const time = performance.now() / 1000;
  for (const source of sources) {
    if (source.track.readyState === 'ended') sources.delete(source);
    else source.draw(source.context, time);
  }
  if (sources.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

function capture(width: number, height: number, draw: Source['draw']): MediaStream {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  draw(context, performance.now() / 1000);
  const stream = canvas.captureStream(FPS);
  sources.add({ canvas, context, track: stream.getVideoTracks()[0]!, draw });
  timer ??= setInterval(tick, 1000 / FPS);
  return stream;
}

/** A camera-like stream for `name`, in a colour of its own (`hue`, 0–360). */
export function fakeCamera(name: string, hue: number): MediaStream {
  const width = 480;
  const height = 270;
  return capture(width, height, (c, t) => {
    const gradient = c.createLinearGradient(0, 0, width, height);
    gradient.addColorStop(0, `hsl(${hue} 45% 32%)`);
    gradient.addColorStop(1, `hsl(${(hue + 40) % 360} 50% 18%)`);
    c.fillStyle = gradient;
    c.fillRect(0, 0, width, height);
    // Drifting light blobs: the "room" behind the person, so frames visibly change.
    for (let i = 0; i < 3; i++) {
      const x = width * (0.5 + 0.4 * Math.sin(t * (0.4 + i * 0.17) + i * 2));
      const y = height * (0.45 + 0.3 * Math.cos(t * (0.3 + i * 0.11) + i));
      c.fillStyle = `hsl(${(hue + i * 50) % 360} 70% 70% / 0.18)`;
      c.beginPath();
      c.arc(x, y, 60 + i * 18, 0, Math.PI * 2);
      c.fill();
    }
    // Head and shoulders, breathing a little.
    const sway = Math.sin(t * 1.3) * 6;
    c.fillStyle = `hsl(${hue} 25% 82%)`;
    c.beginPath();
    c.arc(width / 2 + sway, height * 0.42, 44, 0, Math.PI * 2);
    c.fill();
    c.beginPath();
    c.ellipse(width / 2 + sway * 0.6, height * 1.02, 110, 95, 0, Math.PI, 0);
    c.fill();
    // The name, big and centred at the top (a tile that crops the picture keeps it), so a
    // screenshot shows who is who; and a running clock, so you can see frames advance.
    c.fillStyle = 'rgb(255 255 255 / 0.9)';
    c.textAlign = 'center';
    c.font = '600 22px system-ui, sans-serif';
    c.fillText(name, width / 2, 40);
    c.font = '14px ui-monospace, monospace';
    c.fillText(`${(t % 60).toFixed(1).padStart(4, '0')}s`, width / 2, 62);
    c.textAlign = 'start';
  });
}

/** A screen-share-like stream: a slide with a moving pointer. */
export function fakeScreen(owner: string): MediaStream {
  const width = 1280;
  const height = 720;
  return capture(width, height, (c, t) => {
    c.fillStyle = '#fafafa';
    c.fillRect(0, 0, width, height);
    c.fillStyle = '#1e293b';
    c.font = '700 56px system-ui, sans-serif';
    c.fillText('Quarterly roadmap', 80, 130);
    c.font = '28px system-ui, sans-serif';
    c.fillStyle = '#334155';
    ['Ship the Storybook gallery', 'Light and dark themes', 'SFU for larger rooms', 'Recording consent for everyone'].forEach((line, i) =>
      c.fillText(`•  ${line}`, 100, 230 + i * 60),
    );
    // A bar chart that grows and shrinks.
    for (let i = 0; i < 6; i++) {
      const h = 120 + 100 * Math.abs(Math.sin(t * 0.6 + i));
      c.fillStyle = `hsl(${210 + i * 12} 70% 50%)`;
      c.fillRect(760 + i * 70, 600 - h, 48, h);
    }
    c.fillStyle = '#64748b';
    c.font = '20px system-ui, sans-serif';
    c.fillText(`${owner} is presenting`, 80, 680);
    // The pointer.
    const x = 640 + 420 * Math.sin(t * 0.7);
    const y = 380 + 200 * Math.cos(t * 0.9);
    c.fillStyle = '#ef4444';
    c.beginPath();
    c.arc(x, y, 10, 0, Math.PI * 2);
    c.fill();
  });
}

/** Stops every track of a stream (its canvas stops being drawn on the next tick). */
export function stopStream(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
