/**
 * A load generator for the signal-server load bench (`server-load.ts`), run as its own
 * process (the bench starts two of them) and driven over IPC. Its clients speak the
 * socket.io protocol (engine.io v4 over a raw WebSocket, socket.io packets as text) by
 * hand on top of `ws`, because a full `socket.io-client` per connection would make the
 * generator, not the server, the bottleneck at thousands of messages per second.
 *
 * Each client joins a room of 4 with the real protocol (`join` with an ack), learns its
 * roommates from the ack and from `participant-joined`, then, when told, sends `signal`
 * { to, data: an offer } to them in turn. The offer is a realistic ~4 KB SDP whose `o=`
 * line carries the send time (process.hrtime, CLOCK_MONOTONIC: the same clock in every
 * process of this machine), so the receiver measures the relay latency.
 *
 * Commands (from the parent, `process.send`): see `Command`; answers: see `Answer`.
 */
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';
import type WsSocket from 'ws';
import type { IncomingMessage } from 'node:http';

// ws 8 (the one engine.io-client ships with): it validates UTF-8 with Node's own
// `buffer.isUtf8`, and can skip that for a trusted peer (this bench's own server).
const requireFromClient = createRequire(createRequire(import.meta.url).resolve('engine.io-client'));
const WebSocket = requireFromClient('ws') as typeof WsSocket;

export type Command =
  | {
      type: 'connect';
      /** http://host:port of the server. */
      url: string;
      /** Global index of the first client: names its room (`index / 4`) and its source address. */
      first: number;
      count: number;
      roomSize: number;
      /** Room name prefix, so that warm-up rooms and measured rooms never mix. */
      roomPrefix: string;
      /** Source addresses to spread the connections over (the server limits connections per address). */
      localAddresses: string[];
      /** Connections in flight at once. */
      concurrency: number;
    }
  | {
      type: 'rate';
      /** Only the clients whose room starts with this send (those of one server). */
      roomPrefix: string;
      /** Signals per second this generator sends, spread over all those clients. */
      perSecond: number;
      warmupMs: number;
      measureMs: number;
      /** How long to wait for the last signals after the sending stops. */
      drainMs: number;
    }
  | { type: 'close'; which: 'all' | 'group'; roomPrefix?: string }
  | { type: 'exit' };

export type Answer =
  | { type: 'ready' }
  | { type: 'connected'; joined: number; failed: number; errors: string[]; ms: number; total: number }
  | {
      type: 'rate-done';
      /** Signals sent in the measured window, and how many of those arrived. */
      sent: number;
      received: number;
      /** Relay latencies of the measured signals that arrived, in ms. */
      latencies: number[];
      /** Signals actually sent per second in the window (the generator keeping up, or not). */
      achievedPerSecond: number;
      /** The most a send tick ran behind its schedule, in ms. */
      maxLagMs: number;
      /** CPU this process used during the window, as a share of one core. */
      cpu: number;
      /** `rtc-error` notices received (rate-limited, invalid-input...). */
      errors: number;
      /** This process's GC pauses in the window (total and longest, ms): they delay its receiving as much as the server's. */
      gcMs: number;
      gcMaxMs: number;
    }
  | { type: 'closed'; remaining: number };

const OFFER_SDP_LINES = (stamp: string, id: string): string[] => {
  const ufrag = id.slice(0, 4).padEnd(4, 'x');
  const fingerprint = 'D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F';
  const lines = ['v=0', `o=- ${stamp} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2', 'a=extmap-allow-mixed', 'a=msid-semantic: WMS 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];
  const common = (mid: number): string[] => [
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${ufrag}`,
    'a=ice-pwd:asd88fgpdd777uzjYhagZg7KzRXcJ0Sm',
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
  ];
  lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', ...common(0));
  lines.push(
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=sendrecv',
    'a=msid:6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:13 CN/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
    'a=ssrc:1001842313 cname:Zq7ChzUvVvMEQ4EL',
    'a=ssrc:1001842313 msid:6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
  );
  lines.push('m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 106 107 39 40', ...common(1));
  lines.push(
    'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=extmap:13 urn:3gpp:video-orientation',
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
    'a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type',
    'a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing',
    'a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
    'a=sendrecv',
    'a=msid:6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d 9a8b7c6d-5e4f-4321-a0b9-c8d7e6f5a4b3',
    'a=rtcp-mux',
    'a=rtcp-rsize',
  );
  const video: Array<[number, string, string?]> = [
    [96, 'VP8/90000'],
    [98, 'VP9/90000', 'profile-id=0'],
    [100, 'VP9/90000', 'profile-id=2'],
    [102, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'],
    [106, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'],
    [39, 'AV1/90000', 'level-idx=5;profile=0;tier=0'],
  ];
  for (const [pt, codec, fmtp] of video) {
    lines.push(`a=rtpmap:${pt} ${codec}`, `a=rtcp-fb:${pt} goog-remb`, `a=rtcp-fb:${pt} transport-cc`, `a=rtcp-fb:${pt} ccm fir`, `a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`);
    if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    lines.push(`a=rtpmap:${pt + 1} rtx/90000`, `a=fmtp:${pt + 1} apt=${pt}`);
  }
  lines.push(
    'a=ssrc-group:FID 2231627014 632943048',
    'a=ssrc:2231627014 cname:Zq7ChzUvVvMEQ4EL',
    'a=ssrc:2231627014 msid:6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d 9a8b7c6d-5e4f-4321-a0b9-c8d7e6f5a4b3',
    'a=ssrc:632943048 cname:Zq7ChzUvVvMEQ4EL',
    'a=ssrc:632943048 msid:6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d 9a8b7c6d-5e4f-4321-a0b9-c8d7e6f5a4b3',
  );
  lines.push('m=application 9 UDP/DTLS/SCTP webrtc-datachannel', ...common(2), 'a=sctp-port:5000', 'a=max-message-size:262144');
  return lines;
};

/** A realistic Chromium offer (audio, video with its codecs, a data channel), about 4.2 KB. */
export function offerSdp(stamp: string, id = 'abcd'): string {
  return `${OFFER_SDP_LINES(stamp, id).join('\r\n')}\r\n`;
}

interface Client {
  ws: WsSocket;
  room: string;
  selfId?: string;
  /** Roommates, in the order they were learned. */
  peers: string[];
  /** Next roommate to send to. */
  turn: number;
  /** The start of the socket.io packet per roommate, up to where the send time goes. */
  frames: Map<string, Buffer>;
}

const clients: Client[] = [];
const nsNow = (): bigint => process.hrtime.bigint();

let measuring: { from: bigint; to: bigint; latencies: number[]; received: number } | undefined;
let errorCount = 0;
/** GC pauses of this process while measuring: [start (ms, performance clock), duration (ms)]. */
let gcPauses: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  if (measuring) for (const entry of list.getEntries()) gcPauses.push([entry.startTime, entry.duration]);
}).observe({ entryTypes: ['gc'] });

function send(message: unknown): void {
  process.send?.(message);
}

/**
 * The socket.io text packet for `signal` to `to`, split where the send time goes: the
 * start (per roommate) and the rest, the same for every client of this generator. (One
 * copy of the 4.4 KB rest, not one per client and roommate: at 10,000 clients that was
 * ~70 MB of strings per generator, whose GC pauses showed up as relay latency.)
 */
function signalFrame(to: string): [Buffer, Buffer] {
  const marker = '@@STAMP@@';
  const packet = `42${JSON.stringify(['signal', { to, data: { kind: 'description', description: { type: 'offer', sdp: offerSdp(marker) } } }])}`;
  const at = packet.indexOf(marker);
  return [Buffer.from(packet.slice(0, at)), Buffer.from(packet.slice(at + marker.length))];
}

let signalRest: Buffer | undefined;

/** One `signal` packet to send now: the roommate's start, the send time, the shared rest. */
function stampedFrame(start: Buffer): Buffer {
  const rest = (signalRest ??= signalFrame('x')[1]);
  const stamp = nsNow().toString();
  const frame = Buffer.allocUnsafe(start.length + stamp.length + rest.length);
  start.copy(frame, 0);
  frame.write(stamp, start.length, 'latin1');
  rest.copy(frame, start.length + stamp.length);
  return frame;
}

function addPeer(client: Client, id: string): void {
  if (id === client.selfId || client.peers.includes(id)) return;
  client.peers.push(id);
}

const SIGNAL_PREFIX = Buffer.from('42["signal"');
const STAMP_MARK = Buffer.from('o=- ');

/** A relayed signal: its send time is in the SDP's o= line. */
function onSignalBytes(data: Buffer): void {
  if (!measuring) return;
  const at = data.indexOf(STAMP_MARK);
  if (at === -1) return;
  const end = data.indexOf(32 /* ' ' */, at + STAMP_MARK.length);
  const sentAt = BigInt(data.toString('latin1', at + STAMP_MARK.length, end));
  if (sentAt >= measuring.from && sentAt < measuring.to) {
    measuring.received++;
    measuring.latencies.push(Number(nsNow() - sentAt) / 1e6);
  }
}

/** Handles one socket.io text packet from the server. */
function onPacket(client: Client, text: string, onAck: (answer: unknown) => void): void {
  const type = text.charCodeAt(0);
  if (type === 50 /* '2' ping */) {
    client.ws.send('3');
    return;
  }
  if (type !== 52 /* '4' message */) return;
  const kind = text.charCodeAt(1);
  if (kind === 50 /* '2' event */) {
    if (text.startsWith('42["signal"')) return onSignalBytes(Buffer.from(text));
    const [event, payload] = JSON.parse(text.slice(2)) as [string, { id?: string }];
    if (event === 'participant-joined' && typeof payload?.id === 'string') addPeer(client, payload.id);
    else if (event === 'participant-updated' && typeof payload?.id === 'string') addPeer(client, payload.id);
    else if (event === 'participant-left' && typeof payload?.id === 'string') client.peers = client.peers.filter((p) => p !== payload.id);
    else if (event === 'rtc-error') errorCount++;
    return;
  }
  if (kind === 51 /* '3' ack */) {
    const bracket = text.indexOf('[');
    const [answer] = JSON.parse(text.slice(bracket)) as [unknown];
    onAck(answer);
  }
}

/** Opens one connection and joins its room; resolves once joined (or rejects). */
function connectOne(url: string, room: string, localAddress: string | undefined): Promise<Client> {
  return new Promise((resolve, reject) => {
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(wsUrl, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    } as WsSocket.ClientOptions);
    const client: Client = { ws, room, peers: [], turn: 0, frames: new Map() };
    let state: 'open' | 'connected' | 'joined' = 'open';
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`timeout in state ${state}`));
    }, 30_000);
    ws.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('unexpected-response', (_request: unknown, response: IncomingMessage) => {
      clearTimeout(timer);
      reject(new Error(`HTTP ${response.statusCode}`));
      ws.terminate();
    });
    ws.on('close', () => {
      clearTimeout(timer);
      if (state !== 'joined') reject(new Error(`closed in state ${state}`));
    });
    ws.on('message', (data: Buffer) => {
      // Relayed signals are read straight from the bytes, without decoding 4.5 KB to a string.
      if (state === 'joined' && data.length > SIGNAL_PREFIX.length && data.compare(SIGNAL_PREFIX, 0, SIGNAL_PREFIX.length, 0, SIGNAL_PREFIX.length) === 0) {
        onSignalBytes(data);
        return;
      }
      const text = data.toString();
      if (state === 'open') {
        // engine.io open packet ("0{...}"), then the socket.io CONNECT to "/".
        if (text.charCodeAt(0) === 48) ws.send('40');
        else if (text.startsWith('40')) {
          state = 'connected';
          const join = { room, name: 'Load Tester', media: { microphone: true, camera: true, screenSharing: false } };
          ws.send(`420${JSON.stringify(['join', join])}`);
        } else if (text.startsWith('44')) {
          clearTimeout(timer);
          reject(new Error(`connect refused: ${text}`));
        }
        return;
      }
      onPacket(client, text, (answer) => {
        const joined = answer as { ok: boolean; selfId?: string; participants?: Array<{ id: string }>; error?: { message: string } };
        if (!joined.ok || joined.selfId === undefined) {
          clearTimeout(timer);
          reject(new Error(`join refused: ${joined.error?.message ?? 'unknown'}`));
          return;
        }
        client.selfId = joined.selfId;
        for (const participant of joined.participants ?? []) addPeer(client, participant.id);
        state = 'joined';
        clearTimeout(timer);
        resolve(client);
      });
    });
  });
}

async function connectMany(command: Extract<Command, { type: 'connect' }>): Promise<Answer> {
  const started = Date.now();
  let next = 0;
  let joined = 0;
  let failed = 0;
  const errors = new Map<string, number>();
  const worker = async (): Promise<void> => {
    while (next < command.count) {
      const index = command.first + next++;
      const room = `${command.roomPrefix}-${Math.floor(index / command.roomSize)}`;
      const address = command.localAddresses.length ? command.localAddresses[index % command.localAddresses.length] : undefined;
      try {
        clients.push(await connectOne(command.url, room, address));
        joined++;
      } catch (error) {
        failed++;
        const reason = error instanceof Error ? error.message : String(error);
        errors.set(reason, (errors.get(reason) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, worker));
  // Let the last participant-joined notices arrive.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    type: 'connected',
    joined,
    failed,
    errors: [...errors].map(([reason, n]) => `${n}x ${reason}`),
    ms: Date.now() - started,
    total: clients.length,
  };
}

function sendSignal(client: Client): boolean {
  if (client.peers.length === 0 || client.selfId === undefined || client.ws.readyState !== 1) return false;
  const to = client.peers[client.turn++ % client.peers.length]!;
  let start = client.frames.get(to);
  if (!start) {
    start = signalFrame(to)[0];
    client.frames.set(to, start);
  }
  // A text frame, as the page's client sends it.
  client.ws.send(stampedFrame(start), { binary: false });
  return true;
}

async function runRate(command: Extract<Command, { type: 'rate' }>): Promise<Answer> {
  const senders = clients.filter((c) => c.room.startsWith(command.roomPrefix) && c.peers.length > 0 && c.selfId !== undefined);
  if (senders.length === 0 || command.perSecond <= 0) {
    return { type: 'rate-done', sent: 0, received: 0, latencies: [], achievedPerSecond: 0, maxLagMs: 0, cpu: 0, errors: 0, gcMs: 0, gcMaxMs: 0 };
  }
  errorCount = 0;
  const start = nsNow();
  const measureFrom = start + BigInt(command.warmupMs) * 1_000_000n;
  const measureTo = measureFrom + BigInt(command.measureMs) * 1_000_000n;
  measuring = { from: measureFrom, to: measureTo, latencies: [], received: 0 };
  gcPauses = [];
  const windowFrom = performance.now() + command.warmupMs;
  const windowTo = windowFrom + command.measureMs;
  let sent = 0;
  let sentInWindow = 0;
  let cursor = 0;
  let maxLagMs = 0;
  let cpuAtFrom: NodeJS.CpuUsage | undefined;
  let cpuUsed = 0;
  const tickMs = 2;
  await new Promise<void>((resolve) => {
    let lastTick = nsNow();
    const tick = (): void => {
      const now = nsNow();
      const lag = Number(now - lastTick) / 1e6 - tickMs;
      lastTick = now;
      if (now >= measureFrom && now < measureTo) {
        if (lag > maxLagMs) maxLagMs = lag;
        cpuAtFrom ??= process.cpuUsage();
      }
      if (now >= measureTo) {
        clearInterval(interval);
        if (cpuAtFrom) {
          const used = process.cpuUsage(cpuAtFrom);
          cpuUsed = (used.user + used.system) / 1000 / command.measureMs;
        }
        resolve();
        return;
      }
      const due = Math.floor((Number(now - start) / 1e9) * command.perSecond);
      while (sent < due) {
        const client = senders[cursor++ % senders.length]!;
        if (!sendSignal(client)) continue;
        sent++;
        const at = nsNow();
        if (at >= measureFrom && at < measureTo) sentInWindow++;
      }
    };
    const interval = setInterval(tick, tickMs);
  });
  // Wait for the stragglers (or give up after drainMs).
  const deadline = Date.now() + command.drainMs;
  while (measuring.received < sentInWindow && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const result = measuring;
  measuring = undefined;
  const gc = gcPauses.filter(([start, duration]) => start + duration >= windowFrom && start <= windowTo);
  return {
    type: 'rate-done',
    sent: sentInWindow,
    received: result.received,
    latencies: result.latencies.map((v) => Math.round(v * 1000) / 1000),
    achievedPerSecond: sentInWindow / (command.measureMs / 1000),
    maxLagMs,
    cpu: cpuUsed,
    errors: errorCount,
    gcMs: Math.round(gc.reduce((sum, [, duration]) => sum + duration, 0)),
    gcMaxMs: Math.round(Math.max(0, ...gc.map(([, duration]) => duration))),
  };
}

async function closeAll(command: Extract<Command, { type: 'close' }>): Promise<Answer> {
  const keep: Client[] = [];
  for (const client of clients) {
    if (command.which === 'all' || client.room.startsWith(`${command.roomPrefix}-`)) client.ws.close();
    else keep.push(client);
  }
  clients.length = 0;
  clients.push(...keep);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { type: 'closed', remaining: clients.length };
}

process.on('message', (command: Command) => {
  const run = async (): Promise<Answer | undefined> => {
    switch (command.type) {
      case 'connect':
        return connectMany(command);
      case 'rate':
        return runRate(command);
      case 'close':
        return closeAll(command);
      case 'exit':
        for (const client of clients) client.ws.terminate();
        process.exit(0);
    }
  };
  run().then(
    (answer) => answer && send(answer),
    (error: unknown) => {
      process.stderr.write(`load-client: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
