/**
 * Records the call view on this device: every video in a grid on a canvas, every voice
 * mixed, into one WebM file with MediaRecorder. Nothing leaves the device.
 */
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 15;

export interface RecordingSources {
  /** The streams to show, in tile order (camera or screen). */
  videos: MediaStream[];
  /** The streams to hear. */
  audios: MediaStream[];
}

export class CallRecorder {
  readonly #sources: () => RecordingSources;
  readonly #canvas = document.createElement('canvas');
  readonly #audio = new AudioContext();
  readonly #mix = this.#audio.createMediaStreamDestination();
  readonly #players = new Map<string, HTMLVideoElement>();
  readonly #mixed = new Map<string, MediaStreamAudioSourceNode>();
  #recorder: MediaRecorder | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #chunks: Blob[] = [];

  constructor(sources: () => RecordingSources) {
    this.#sources = sources;
    this.#canvas.width = WIDTH;
    this.#canvas.height = HEIGHT;
  }

  start(): void {
    if (this.#recorder) return;
    const video = this.#canvas.captureStream(FPS).getVideoTracks()[0]!;
    const stream = new MediaStream([video, ...this.#mix.stream.getAudioTracks()]);
    const mimeType = ['video/webm;codecs=vp8,opus', 'video/webm'].find((type) => MediaRecorder.isTypeSupported(type));
    this.#recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.#chunks = [];
    this.#recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size) this.#chunks.push(event.data);
    });
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), 1000 / FPS);
    void this.#audio.resume();
    this.#recorder.start(1000);
  }

  /** Stops and answers the recording (an empty Blob when nothing was recorded). */
  async stop(): Promise<Blob> {
    const recorder = this.#recorder;
    clearInterval(this.#timer);
    this.#recorder = null;
    if (recorder && recorder.state !== 'inactive') {
      const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
      recorder.stop();
      await stopped;
    }
    for (const player of this.#players.values()) player.srcObject = null;
    this.#players.clear();
    for (const node of this.#mixed.values()) node.disconnect();
    this.#mixed.clear();
    await this.#audio.close();
    return new Blob(this.#chunks, { type: recorder?.mimeType || 'video/webm' });
  }

  #draw(): void {
    const { videos, audios } = this.#sources();
    this.#syncAudio(audios);
    const players = this.#syncPlayers(videos);
    const context = this.#canvas.getContext('2d')!;
    context.fillStyle = '#0f1115';
    context.fillRect(0, 0, WIDTH, HEIGHT);
    const columns = Math.ceil(Math.sqrt(players.length || 1));
    const rows = Math.ceil((players.length || 1) / columns);
    const w = WIDTH / columns;
    const h = HEIGHT / rows;
    players.forEach((player, i) => {
      if (!player.videoWidth) return;
      const scale = Math.min(w / player.videoWidth, h / player.videoHeight);
      const dw = player.videoWidth * scale;
      const dh = player.videoHeight * scale;
      context.drawImage(player, (i % columns) * w + (w - dw) / 2, Math.floor(i / columns) * h + (h - dh) / 2, dw, dh);
    });
  }

  /** One playing, muted <video> per stream, kept while the stream is shown. */
  #syncPlayers(streams: MediaStream[]): HTMLVideoElement[] {
    const wanted = new Set(streams.map((s) => s.id));
    for (const [id, player] of this.#players) {
      if (!wanted.has(id)) {
        player.srcObject = null;
        this.#players.delete(id);
      }
    }
    return streams.map((stream) => {
      let player = this.#players.get(stream.id);
      if (!player) {
        player = document.createElement('video');
        player.muted = true;
        player.srcObject = stream;
        void player.play().catch(() => undefined);
        this.#players.set(stream.id, player);
      }
      return player;
    });
  }

  #syncAudio(streams: MediaStream[]): void {
    for (const stream of streams) {
      const track = stream.getAudioTracks()[0];
      if (!track || this.#mixed.has(track.id)) continue;
      const node = this.#audio.createMediaStreamSource(new MediaStream([track]));
      node.connect(this.#mix);
      this.#mixed.set(track.id, node);
    }
  }
}
