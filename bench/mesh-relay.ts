/**
 * The mesh bench's own server: it serves the mesh pages (ours: `<rtc-call autojoin>` from
 * the real signal server; bare: a full mesh of plain RTCPeerConnections) and, for the bare
 * pages only, a minimal socket.io relay: `join` answers with the ids already in the room,
 * `signal` passes a description or candidate to one peer, `left` tells the room who went.
 * Nothing else: no presence, no names, no reconnection.
 *
 * Every page exposes `window.bench.ready()` and `window.bench.videoStats()`, which returns
 * per remote participant the inbound camera video and the outbound camera video counters
 * from `getStats()` (the same fields for both kinds of page).
 */
import { startPageServer, type BenchServer } from './relay.js';

export type MeshServer = BenchServer;

/** What a bare page's senders are set to with `setParameters` (to compare like with like), or null for untouched. */
export interface BareEncoding {
  scaleResolutionDownBy: number;
  maxBitrate: number | null;
  maxFramerate: number | null;
}

const json = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** In-page: video counters per remote id from one RTCStatsReport per remote. */
const VIDEO_STATS = `
function videoCounters(report) {
  const out = { inbound: null, outbound: null };
  report.forEach((s) => {
    if (s.kind !== 'video') return;
    if (s.type === 'inbound-rtp' && !out.inbound) {
      out.inbound = { framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, bytes: s.bytesReceived || 0 };
    } else if (s.type === 'outbound-rtp' && !out.outbound && (s.framesEncoded || 0) > 0) {
      out.outbound = {
        framesEncoded: s.framesEncoded || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, bytes: s.bytesSent || 0,
        targetBitrate: s.targetBitrate || 0, limitation: s.qualityLimitationReason || 'none',
      };
    }
  });
  return out;
}
`;

/** Same layout as the widget's grid, roughly: a local preview plus one tile per remote. */
const GRID_STYLE = `<style>
  body { margin: 0; }
  #grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 8px; width: 1000px; height: 700px; }
  video { width: 100%; height: 100%; object-fit: cover; background: #222; }
</style>`;

/** A full mesh of bare RTCPeerConnections; the newcomer offers to everyone already there. */
export function bareMeshPage(room: string, encoding: BareEncoding | null): string {
  return `<!doctype html><meta charset="utf-8"><title>bare mesh</title>${GRID_STYLE}
<script src="/socket.io/socket.io.min.js"></script>
<div id="grid"><video id="local" autoplay playsinline muted></video></div>
<script>
${VIDEO_STATS}
const room = ${json(room)}, encoding = ${json(encoding)};
const peers = new Map();
let joined = false;
window.bench = {
  ready: () => joined,
  async videoStats() {
    const result = {};
    await Promise.all([...peers].map(async ([id, p]) => { result[id] = videoCounters(await p.pc.getStats()); }));
    return result;
  },
};
/** The same change rtc-elements makes in a big mesh, for a like-with-like baseline. */
async function lower(pc) {
  if (!encoding) return;
  const sender = pc.getSenders().find((s) => s.track && s.track.kind === 'video');
  if (!sender) return;
  const parameters = sender.getParameters();
  const first = parameters.encodings && parameters.encodings[0];
  if (!first || (first.scaleResolutionDownBy === encoding.scaleResolutionDownBy && (first.maxBitrate ?? null) === encoding.maxBitrate)) return;
  first.scaleResolutionDownBy = encoding.scaleResolutionDownBy;
  if (encoding.maxBitrate !== null) first.maxBitrate = encoding.maxBitrate;
  if (encoding.maxFramerate !== null) first.maxFramerate = encoding.maxFramerate;
  await sender.setParameters(parameters).catch(() => undefined);
}
(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  document.getElementById('local').srcObject = stream;
  const socket = io({ transports: ['websocket'] });
  const grid = document.getElementById('grid');
  const peer = (id) => {
    let p = peers.get(id);
    if (p) return p;
    const pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    // The widget negotiates a chat channel with every peer; so does the baseline.
    pc.createDataChannel('chat', { negotiated: true, id: 0 });
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    grid.append(video);
    pc.ontrack = (event) => { if (video.srcObject !== event.streams[0]) video.srcObject = event.streams[0]; };
    pc.onicecandidate = (event) => { if (event.candidate) socket.emit('signal', { to: id, candidate: event.candidate.toJSON() }); };
    pc.onsignalingstatechange = () => { if (pc.signalingState === 'stable') void lower(pc); };
    p = { pc, video, queue: Promise.resolve() };
    peers.set(id, p);
    void lower(pc);
    return p;
  };
  // One message at a time per peer, in order, so a candidate never overtakes its description.
  socket.on('signal', ({ from, sdp, candidate }) => {
    const p = peer(from);
    p.queue = p.queue.then(async () => {
      if (sdp) {
        await p.pc.setRemoteDescription(sdp);
        if (sdp.type === 'offer') {
          await p.pc.setLocalDescription();
          socket.emit('signal', { to: from, sdp: p.pc.localDescription.toJSON() });
        }
      } else if (candidate) {
        await p.pc.addIceCandidate(candidate);
      }
    }).catch((error) => console.error(error));
  });
  socket.on('left', (id) => {
    const p = peers.get(id);
    if (!p) return;
    p.pc.close();
    p.video.remove();
    peers.delete(id);
  });
  const others = await new Promise((resolve) => socket.emit('join', room, resolve));
  for (const id of others) {
    const p = peer(id);
    await p.pc.setLocalDescription();
    socket.emit('signal', { to: id, sdp: p.pc.localDescription.toJSON() });
  }
  joined = true;
})().catch((error) => { window.bench.error = String(error); });
</script>`;
}

/**
 * Per remote tile: the frames its <video> decoded (an SFU room's streams all come down one
 * connection, so its stats are not per participant); no outbound figures.
 */
const TILE_STATS = `
function tileCounters() {
  const result = {};
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.localName === 'rtc-remote-video') {
        const video = el.shadowRoot && el.shadowRoot.querySelector('video');
        const name = el.shadowRoot && el.shadowRoot.querySelector('[part~="name"]');
        if (video && name) result[name.textContent] = { inbound: { framesDecoded: video.getVideoPlaybackQuality().totalVideoFrames, frameWidth: video.videoWidth, frameHeight: video.videoHeight, bytes: 0 }, outbound: null };
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return result;
}
`;

/**
 * `<rtc-call autojoin>` from the IIFE bundle that the real signal server serves. With
 * `perTile`, frames are counted on the tiles' videos (for SFU rooms).
 */
export function oursMeshPage(signalUrl: string, room: string, name: string, perTile = false): string {
  return `<!doctype html><meta charset="utf-8"><title>ours mesh</title>
<style>body { margin: 0; } rtc-call { display: block; width: 1000px; height: 700px; }</style>
<script src="${signalUrl}/rtc-elements.iife.min.js"></script>
<rtc-call room=${json(room)} server=${json(signalUrl)} name=${json(name)} autojoin></rtc-call>
<script>
${VIDEO_STATS}
${TILE_STATS}
// Undefined until the bundle defined <rtc-call>.
const call = () => document.querySelector('rtc-call').call;
window.bench = {
  ready: () => Boolean(call() && call().state === 'joined'),
  async videoStats() {
    if (${perTile}) return tileCounters();
    const result = {};
    for (const { participantId, report } of await call().getStats()) result[participantId] = videoCounters(report);
    return result;
  },
};
</script>`;
}

export function startMeshServer(signalUrl: string): Promise<MeshServer> {
  return startPageServer(
    (url) => {
      const room = url.searchParams.get('room') ?? 'mesh';
      if (url.pathname === '/bare') {
        const lowered = url.searchParams.get('encoding');
        return bareMeshPage(room, lowered ? (JSON.parse(lowered) as BareEncoding) : null);
      }
      if (url.pathname === '/ours') return oursMeshPage(signalUrl, room, url.searchParams.get('name') ?? 'p', url.searchParams.has('per-tile'));
      return undefined;
    },
    (io) => {
      io.on('connection', (socket) => {
        socket.on('join', async (room: string, ack: (others: string[]) => void) => {
          const others = (await io.in(room).fetchSockets()).map((s) => s.id);
          await socket.join(room);
          socket.data.room = room;
          ack(others);
        });
        socket.on('signal', (message: { to?: unknown }) => {
          if (typeof message?.to === 'string') io.to(message.to).emit('signal', { ...message, to: undefined, from: socket.id });
        });
        socket.on('disconnect', () => {
          if (typeof socket.data.room === 'string') socket.to(socket.data.room).emit('left', socket.id);
        });
      });
    },
  );
}
