/**
 * The bench pages, as HTML strings (plain browser JavaScript inside, so nothing is
 * compiled into them). Every page records `window.bench.t0` (Date.now() as its first
 * script runs) and `window.bench.remoteFrameAt` (Date.now() when the remote <video> first
 * has a frame); both pages of a call run on this machine, so Date.now() is a shared clock.
 */

import { DEFAULT_AUDIO, DEFAULT_VIDEO } from '../src/core/media/capture.js';

const json = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** In-page: calls `done(Date.now())` once `find()` returns a video with a frame (polled every ms, plus requestVideoFrameCallback). */
const WATCH = `
function watchFirstFrame(find, done) {
  let finished = false, hooked = null;
  const finish = () => { if (!finished) { finished = true; done(Date.now()); } };
  const tick = () => {
    if (finished) return;
    const video = find();
    if (video && video !== hooked && 'requestVideoFrameCallback' in video) { hooked = video; video.requestVideoFrameCallback(finish); }
    if (video && video.videoWidth > 0) return finish();
    setTimeout(tick, 1);
  };
  tick();
}
/** Same back-pressure as rtc-elements' file sender: 64 KiB chunks, pause above 1 MiB queued, resume at 256 KiB. */
async function pumpBytes(channel, total) {
  const CHUNK = 64 * 1024, HIGH = 1024 * 1024, LOW = 256 * 1024;
  channel.bufferedAmountLowThreshold = LOW;
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < total; sent += CHUNK) {
    const piece = sent + CHUNK > total ? chunk.subarray(0, total - sent) : chunk;
    if (channel.bufferedAmount > LOW && channel.bufferedAmount + piece.byteLength > HIGH) {
      await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
    channel.send(piece);
  }
}
`;

/** Two bare RTCPeerConnections through the bench relay: the floor. Role `b` (the second to come) offers. */
export function floorPage(room: string, role: string): string {
  return `<!doctype html><meta charset="utf-8"><title>floor ${role}</title>
<script>window.bench = { t0: Date.now(), remoteFrameAt: 0, ready: false };</script>
<script src="/socket.io/socket.io.min.js"></script>
<video id="remote" autoplay playsinline muted></video>
<script>
${WATCH}
(async () => {
  const room = ${json(room)}, role = ${json(role)};
  const remote = document.getElementById('remote');
  watchFirstFrame(() => remote, (at) => { bench.remoteFrameAt = at; });
  // The same capture as rtc-elements (720p, echo cancellation...): a bigger picture takes
  // longer to its first frame, and that is not what this figure compares.
  const stream = await navigator.mediaDevices.getUserMedia(${json({ audio: DEFAULT_AUDIO, video: DEFAULT_VIDEO })});
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  pc.ontrack = (event) => { if (remote.srcObject !== event.streams[0]) remote.srcObject = event.streams[0]; };
  const socket = io({ transports: ['websocket'] });
  pc.onicecandidate = (event) => { if (event.candidate) socket.emit('signal', { candidate: event.candidate.toJSON() }); };
  // One message at a time, in order, so a candidate never overtakes its description.
  let queue = Promise.resolve();
  socket.on('signal', (message) => {
    queue = queue.then(async () => {
      if (message.sdp) {
        await pc.setRemoteDescription(message.sdp);
        if (message.sdp.type === 'offer') {
          await pc.setLocalDescription();
          socket.emit('signal', { sdp: pc.localDescription.toJSON() });
        }
      } else if (message.candidate) {
        await pc.addIceCandidate(message.candidate);
      }
    }).catch((error) => console.error(error));
  });
  // SCTP negotiated with the call, as rtc-elements negotiates its chat channel.
  pc.createDataChannel('bench', { negotiated: true, id: 0 });
  // Throughput: a fresh channel per transfer, as Call.sendFile opens one per file.
  pc.ondatachannel = ({ channel }) => {
    let bytes = 0, want = -1;
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event) => {
      if (typeof event.data === 'string') { want = JSON.parse(event.data).size; return; }
      bytes += event.data.byteLength;
      if (bytes === want) channel.send('ack');
    };
  };
  bench.sendBytes = async (size) => {
    const started = performance.now();
    const channel = pc.createDataChannel('bench-file', { ordered: true });
    await new Promise((resolve) => { channel.onopen = resolve; });
    const acked = new Promise((resolve) => { channel.onmessage = resolve; });
    channel.send(JSON.stringify({ size }));
    await pumpBytes(channel, size);
    await acked;
    const ms = performance.now() - started;
    channel.close();
    return ms;
  };
  const others = await new Promise((resolve) => socket.emit('join', room, resolve));
  bench.ready = true;
  if (others > 0) {
    await pc.setLocalDescription();
    socket.emit('signal', { sdp: pc.localDescription.toJSON() });
  }
})().catch((error) => { bench.error = String(error); });
</script>`;
}

/**
 * Finds the first remote tile's <video> through the shadow roots. Polled every
 * millisecond while a call sets up, so it must cost about what the floor's
 * getElementById does: the known path first (the call's stage, then its first tile), and
 * a walk of every shadow root only when that path is not there, at most every 20 ms.
 */
const FIND_REMOTE_VIDEO = `
let lastWalk = 0;
function findRemoteVideo() {
  const stage = document.querySelector('rtc-call')?.shadowRoot?.querySelector('rtc-participant-grid');
  const tile = stage?.shadowRoot?.querySelector('rtc-remote-video');
  const video = tile?.shadowRoot?.querySelector('video');
  if (video || stage) return video ?? null;
  const now = performance.now();
  if (now - lastWalk < 20) return null;
  lastWalk = now;
  return walkForRemoteVideo(document);
}
function walkForRemoteVideo(root) {
  for (const tile of root.querySelectorAll('rtc-remote-video')) {
    const video = tile.shadowRoot && tile.shadowRoot.querySelector('video');
    if (video) return video;
  }
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const found = walkForRemoteVideo(el.shadowRoot); if (found) return found; }
  }
  return null;
}
`;

/** `<rtc-call autojoin>` from the IIFE bundle that the real signal server serves. */
export function oursPage(signalUrl: string, room: string, role: string): string {
  return `<!doctype html><meta charset="utf-8"><title>ours ${role}</title>
<script>window.bench = { t0: Date.now(), remoteFrameAt: 0 };</script>
<script src="${signalUrl}/rtc-elements.iife.min.js"></script>
<rtc-call room=${json(room)} server=${json(signalUrl)} name=${json(role)} autojoin></rtc-call>
<script>
${WATCH}
${FIND_REMOTE_VIDEO}
watchFirstFrame(() => findRemoteVideo(), (at) => { bench.remoteFrameAt = at; });
bench.joined = () => document.querySelector('rtc-call').call.state === 'joined';
bench.sendBytes = async (size) => {
  const call = document.querySelector('rtc-call').call;
  const started = performance.now();
  await call.sendFile(new File([new Uint8Array(size)], 'bench.bin', { type: 'application/octet-stream' }));
  return performance.now() - started;
};
</script>`;
}

/** Local preview: rtc-elements' Call.startPreview() against a bare getUserMedia, to the first frame of a local <video>. */
export function previewPage(signalUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>preview</title>
<script src="${signalUrl}/rtc-elements.iife.min.js"></script>
<video id="local" autoplay playsinline muted></video>
<script>
${WATCH}
window.bench = {
  async preview(kind) {
    const video = document.getElementById('local');
    video.srcObject = null;
    const t0 = Date.now();
    let stop;
    if (kind === 'ours') {
      // The Call that a page's <rtc-call> makes (the element's own), not one made by hand.
      const element = document.createElement('rtc-call');
      element.room = 'preview-' + Math.random();
      const call = element.call;
      await call.startPreview();
      video.srcObject = call.snapshot.localStream;
      stop = () => call.leave();
    } else {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      video.srcObject = stream;
      stop = () => stream.getTracks().forEach((t) => t.stop());
    }
    const at = await new Promise((resolve) => watchFirstFrame(() => video, resolve));
    await stop();
    return at - t0;
  },
};
</script>`;
}
