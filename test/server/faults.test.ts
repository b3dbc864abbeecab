/**
 * Faults and hostile input against one real, production-configured signal server (tokens
 * required, origins restricted, default event limits) on an ephemeral port: oversized
 * frames, garbage on the wire, wrong types, forged fields, a stampede on one room, a
 * flood from one connection while others keep talking, hostile origins and bad tokens.
 * Afterwards the server must still answer a normal join and must not have grown.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { io as connectClient } from 'socket.io-client';
import WebSocket from 'ws';
import { LIMITS } from '../../src/protocol/index.js';
import { signJoinToken } from '../../signal-server/auth.js';
import { createRequestHandler } from '../../signal-server/http.js';
import { createLogger } from '../../signal-server/logger.js';
import { HANDSHAKE_REFUSALS, REFUSALS, createSignalServer } from '../../signal-server/server.js';
import {
  collect,
  connect,
  createClient,
  disconnected,
  emitRaw,
  emitWithAck,
  flush,
  join,
  joinOk,
  memoryRooms,
  nextEvent,
  until,
  withTimeout,
  type Client,
  type TestServer,
} from './helpers.js';

const SECRET = 'faults-suite-secret-0123456789abcdefghijklmnop';
const GOOD_ORIGIN = 'https://app.example';
const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;

/** A real garbage collector, if V8 lets us have one; the memory check is coarse without. */
const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const tokens = new Map<string, Promise<string>>();
function token(room: string): Promise<string> {
  let made = tokens.get(room);
  if (!made) {
    made = signJoinToken(SECRET, { room, expiresIn: 3600 });
    tokens.set(room, made);
  }
  return made;
}

/** Joins with a valid token for the room. */
async function enter(client: Client, room: string, name = 'P'): Promise<string> {
  return (await joinOk(client, { room, name, token: await token(room) })).selfId;
}

/** The websocket URL of the engine.io endpoint, as a raw client would dial it. */
const rawUrl = (server: TestServer): string => `${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;

/**
 * A raw websocket speaking just enough engine.io/socket.io by hand: waits for the open
 * packet and, with `enterNamespace`, for the namespace CONNECT answer.
 */
async function rawSocket(server: TestServer, enterNamespace = true, headers: Record<string, string> = {}): Promise<WebSocket> {
  const socket = new WebSocket(rawUrl(server), { headers, maxPayload: 0 });
  socket.on('error', () => {});
  const received: string[] = [];
  socket.on('message', (data) => received.push(String(data)));
  await withTimeout(new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)));
  }), 'raw websocket open');
  await until(() => received.some((packet) => packet.startsWith('0{')), 'the engine.io open packet');
  if (enterNamespace) {
    socket.send('40');
    await until(() => received.some((packet) => packet.startsWith('40{')), 'the namespace CONNECT answer');
  }
  return socket;
}

/** Resolves when a raw websocket is closed, with the close code. */
function rawClosed(socket: WebSocket, ms = 3000): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
  return withTimeout(new Promise((resolve) => socket.once('close', (code) => resolve(code))), 'the raw websocket to close', ms);
}

/** The status of a websocket handshake with these headers (101 when it opened). */
function websocketStatus(server: TestServer, headers: Record<string, string>): Promise<number | undefined> {
  return withTimeout(
    new Promise((resolve) => {
      const socket = new WebSocket(rawUrl(server), { headers });
      socket.on('error', () => {});
      socket.on('unexpected-response', (_request, response) => {
        response.resume();
        resolve(response.statusCode);
        socket.terminate();
      });
      socket.on('open', () => {
        socket.terminate();
        resolve(101);
      });
    }),
    'a websocket handshake',
  );
}

describe('signal server: faults and hostile input', () => {
  let server: TestServer;
  let baselineHeap = 0;
  const warnings: Array<{ msg: string }> = [];

  before(async () => {
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string }) },
    });
    const httpServer = createServer(createRequestHandler({ bundleDir: '/nonexistent', metrics: () => signal.metrics.registry }));
    const signal = createSignalServer(httpServer, {
      authSecret: SECRET,
      allowedOrigins: [GOOD_ORIGIN],
      roomCapacity: 8,
      disconnectGraceMs: 200,
      // Everything here comes from 127.0.0.1: room for the stampede's 100 connections.
      connectionRateLimit: { max: 1000, windowMs: 10_000 },
      logger,
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    server = { url: `http://127.0.0.1:${port}`, port, httpServer, signal, rooms: memoryRooms(signal) };
    // A join first, so the baseline includes what any use of the server loads.
    const probe: Client = connectClient(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await withTimeout(new Promise<void>((resolve) => probe.once('connect', () => resolve())), 'the warm-up connection');
    await enter(probe, 'warm-up');
    probe.disconnect();
    await sleep(300);
    baselineHeap = heapUsed();
  });

  after(async () => {
    await server.signal.close();
  });

  it('cuts off a 10 MB frame (raw websocket, socket.io-client) and only that connection; polling has no session to send one to', async (t) => {
    const bystander = await connect(t, server);
    await enter(bystander, 'big');
    const tenMegabytes = 'x'.repeat(10 * 1024 * 1024);

    const raw = await rawSocket(server);
    const rawCut = rawClosed(raw, 10_000);
    raw.send(`42["signal",{"to":"x","data":{"kind":"description","description":{"type":"offer","sdp":"${tenMegabytes}"}}}]`);
    assert.equal(await rawCut, 1009, 'closed with "message too big"');

    const mallory = await connect(t, server);
    await enter(mallory, 'big');
    const cut = disconnected(mallory);
    emitRaw(mallory, 'signal', { to: 'x', data: { kind: 'description', description: { type: 'offer', sdp: tenMegabytes } } });
    assert.equal(await withTimeout(cut, 'the cut-off', 10_000), 'transport close');

    // Long polling is not offered: no session to POST 10 MB into.
    const status = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { method: 'POST', body: `4${tenMegabytes}` }).then(
      (response) => response.status,
      () => 'connection cut',
    );
    assert.ok(status === 400 || status === 'connection cut', `a 10 MB POST gets 400 or a cut connection, got ${status}`);

    assert.ok(bystander.connected);
    const answer = await emitWithAck(bystander, 'update', { camera: true });
    assert.deepEqual(answer, { ok: true });
  });

  it('survives garbage frames and malformed engine.io and socket.io packets', async (t) => {
    const bystander = await connect(t, server);
    const bystanderId = await enter(bystander, 'garbage');
    const frames: Array<string | Buffer> = [
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]), // binary, invalid UTF-8
      '', 'x', '9', '0', '1', '2', '3', '5', '6', '4', '4x', // engine.io types, with nothing or nonsense
      '40/admin,', '40/admin,{"token":1}', '40', '41', '41/nope,', '43', '44{"message":"x"}', '46', '47', // socket.io types
      '42', '42[', '42[]', '42[{}]', '42[null]', '42[42]', '42"join"', '42{"0":"join"}', '42["join"', '42["join",' + '['.repeat(5000),
      '42-1["join",{}]', '421e999["join",{}]', '42999999999999999999999["join",{}]',
      '451-["join",{"_placeholder":true,"num":0}]', '452-["signal",{"_placeholder":true,"num":5}]', '45x-["a"]',
      `42["${'e'.repeat(60_000)}"]`, '42["join",{"room":"garbage","name":"\\ud800","token":"' + 'a.b.c'.repeat(10) + '"}]',
      '42["signal",{"to":"' + bystanderId + '","data":{"kind":"description","description":{"type":"offer","sdp":{"$gt":""}}}}]',
      '42["__proto__",{"polluted":true}]', '42["constructor",{}]', '42["toString"]',
    ];
    let cutOff = 0;
    for (const frame of frames) {
      const raw = await rawSocket(server);
      const closed = rawClosed(raw, 1000).then(() => true, () => false);
      raw.send(frame);
      // Either answered (or ignored) and still open, or cut off; never a crash.
      if (await Promise.race([closed, sleep(50).then(() => false)])) cutOff++;
      raw.terminate();
    }
    t.diagnostic(`${frames.length} malformed frames, ${cutOff} of them cut the connection off`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // A binary attachment that never comes, then silence: the half-decoded packet is dropped with the connection.
    const waiting = await rawSocket(server);
    waiting.send('451-["join",{"_placeholder":true,"num":0}]');
    waiting.terminate();

    // The bystander saw nothing, and still works.
    const received = collect(bystander, 'signal');
    await flush(bystander);
    assert.deepEqual(received, []);
    const other = await connect(t, server);
    await enter(other, 'garbage');
    const signal = nextEvent(bystander, 'signal');
    emitRaw(other, 'signal', { to: bystanderId, data: offer });
    assert.deepEqual((await signal).data, offer);
  });

  it('refuses wrong types for every event with invalid-input, and keeps the connection', async (t) => {
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const values: unknown[] = [undefined, null, 0, -1, 1.5, true, '', 'text', [], [1, 'x'], {}, { a: { b: { c: [] } } }, Buffer.from('bin'), 'x'.repeat(50_000)];
    const refusals = async (client: Client, event: string, only = values): Promise<void> => {
      for (const value of only) {
        const answer = (await emitWithAck(client, event, value)) as { ok: boolean; error?: { code: string } };
        assert.equal(answer.ok, false, `${event}(${JSON.stringify(value)?.slice(0, 40)})`);
        assert.equal(answer.error?.code, 'invalid-input');
      }
    };
    // Before joining, and then as a member.
    await refusals(ada, 'join');
    await refusals(ada, 'signal');
    await refusals(ada, 'update');
    const room = 'types';
    const roomToken = await token(room);
    for (const request of [
      { room: 5, token: roomToken }, { room, name: 5, token: roomToken }, { room, name: {}, token: roomToken },
      { room, token: 5 }, { room, token: { alg: 'none' } }, { room, token: [roomToken] },
      { room, token: roomToken, media: 'on' }, { room, token: roomToken, media: { camera: 'yes' } },
      { room, token: roomToken, media: { screenStreamId: 7 } }, { room, token: roomToken, session: 'key' },
      { room, token: roomToken, session: { key: 7 } }, { room, token: roomToken, session: { key: 'k'.repeat(30), id: [] } },
    ]) {
      const answer = await join(ada, request);
      assert.equal(!answer.ok && answer.error.code, 'invalid-input', JSON.stringify(request).slice(0, 80));
    }
    assert.equal(server.rooms.members(room).length, 0);
    await enter(ada, room, 'Ada');
    const bobId = await enter(bob, room, 'Bob');
    await refusals(ada, 'signal');
    // An object is a valid update (unknown fields are dropped); anything else is not, nor a field of the wrong type.
    await refusals(ada, 'update', values.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)));
    await refusals(ada, 'update', [{ camera: 1 }, { microphone: 'true' }, { name: 5 }, { screenStreamId: {} }, { recording: null }]);
    for (const data of [
      { kind: 'description' }, { kind: 'description', description: { type: 'offer', sdp: 5 } }, { kind: 'description', description: { type: 'hello' } },
      { kind: 'candidate' }, { kind: 'candidate', candidate: { candidate: 5 } }, { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: -1 } },
      { kind: 'candidate', candidate: { candidate: 'x'.repeat(LIMITS.maxCandidateLength + 1) } }, { kind: 'bye' },
    ]) {
      const answer = (await emitWithAck(ada, 'signal', { to: bobId, data })) as { ok: boolean; error?: { code: string } };
      assert.equal(answer.error?.code, 'invalid-input', JSON.stringify(data).slice(0, 80));
    }
    // leave takes no payload: whatever comes with it, it just leaves.
    assert.deepEqual(await emitWithAck(bob, 'leave', { room: 'other' }), { ok: true });
    assert.ok(ada.connected && bob.connected);
    assert.deepEqual(server.rooms.members(room).map((p) => p.name), ['Ada']);
  });

  it('refuses a target in another room, and replaces a forged from', async (t) => {
    const [ada, bob, carol, eve] = await Promise.all([connect(t, server), connect(t, server), connect(t, server), connect(t, server)]);
    const adaId = await enter(ada, 'room-a', 'Ada');
    const bobId = await enter(bob, 'room-a', 'Bob');
    const carolId = await enter(carol, 'room-a', 'Carol');
    const eveId = await enter(eve, 'room-b', 'Eve');
    const eveSignals = collect(eve, 'signal');

    assert.deepEqual(await emitWithAck(ada, 'signal', { to: eveId, data: offer }), { ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom } });
    assert.deepEqual(await emitWithAck(eve, 'signal', { to: adaId, data: offer }), { ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom } });

    const toBob = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', { to: bobId, from: carolId, data: offer });
    assert.deepEqual(await toBob, { from: adaId, data: offer });
    const updated = nextEvent(bob, 'participant-updated');
    emitRaw(ada, 'update', { id: carolId, camera: true });
    assert.equal((await updated).id, adaId, 'an update is always about its sender');
    await flush(eve);
    assert.deepEqual(eveSignals, []);
  });

  it('admits exactly 8 of 100 simultaneous joins to one room, and refuses 92 with room-full', async (t) => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect(t, server)));
    const roomToken = await token('stampede');
    const answers = await Promise.all(clients.map((client, index) => join(client, { room: 'stampede', name: `P${index}`, token: roomToken })));
    const admitted = answers.filter((answer) => answer.ok);
    const full = answers.filter((answer) => !answer.ok && answer.error.code === 'room-full');
    assert.equal(admitted.length, 8);
    assert.equal(full.length, 92);
    assert.equal(server.rooms.members('stampede').length, 8);
    for (const client of clients) client.disconnect();
    await until(() => server.rooms.members('stampede').length === 0, 'the stampede to leave');
  });

  it('rate-limits then cuts off a flood from one connection, while another room keeps relaying in time', async (t) => {
    const victim = await connect(t, server);
    const victimId = await enter(victim, 'flood', 'Victim');
    const victimSignals = collect(victim, 'signal');

    // Eight quiet pairs in other rooms measure relay latency throughout.
    const pairs = await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        const [sender, receiver] = await Promise.all([connect(t, server), connect(t, server)]);
        await enter(sender, `quiet-${index}`, 'S');
        const receiverId = await enter(receiver, `quiet-${index}`, 'R');
        return { sender, receiver, receiverId };
      }),
    );
    const sentAt = new Map<string, number>();
    const samples: Array<{ at: number; latency: number }> = [];
    for (const { receiver } of pairs) {
      receiver.on('signal', ({ data }) => {
        const sdp = data.kind === 'description' ? (data.description.sdp ?? '') : '';
        const started = sentAt.get(sdp);
        if (started !== undefined) samples.push({ at: started, latency: performance.now() - started });
      });
    }
    let sequence = 0;
    // 8 pairs × one probe every 40 ms: 200 probes a second, 25 per connection (under its 50).
    const probing = setInterval(() => {
      for (const { sender, receiverId } of pairs) {
        const sdp = `v=0\r\ns=probe-${sequence++}\r\n`;
        sentAt.set(sdp, performance.now());
        sender.emit('signal', { to: receiverId, data: { kind: 'description', description: { type: 'offer', sdp } } });
      }
    }, 40);
    t.after(() => clearInterval(probing));

    // The flooder runs on its own thread, so its sending does not stall this one (which
    // runs the server and the probes).
    const clientPath = createRequire(import.meta.url).resolve('socket.io-client');
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { io } = require(workerData.clientPath);
      const socket = io(workerData.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      let sent = 0, rateLimited = 0, started = 0;
      socket.on('rtc-error', (error) => { if (error.code === 'rate-limited') rateLimited++; });
      socket.on('disconnect', (reason) => {
        parentPort.postMessage({ type: 'done', reason, sent, rateLimited, ms: Date.now() - started });
        socket.close();
      });
      socket.on('connect', () => {
        socket.emit('join', { room: 'flood', name: 'Flooder', token: workerData.token }, (answer) => parentPort.postMessage({ type: 'joined', ok: answer.ok }));
      });
      parentPort.on('message', () => {
        started = Date.now();
        // The largest signals allowed: each costs the server the most to read.
        const data = { kind: 'description', description: { type: 'offer', sdp: 'a'.repeat(workerData.sdpLength) } };
        const burst = () => {
          for (let n = 0; n < 100 && sent < 5000 && socket.connected; n++, sent++) socket.emit('signal', { to: workerData.victim, data });
          if (sent < 5000 && socket.connected) setImmediate(burst);
        };
        burst();
      });
      `,
      { eval: true, workerData: { clientPath, url: server.url, token: await token('flood'), victim: victimId, sdpLength: LIMITS.maxSdpLength } },
    );
    t.after(() => worker.terminate());
    const messages: Array<Record<string, unknown>> = [];
    worker.on('message', (message: Record<string, unknown>) => messages.push(message));
    await until(() => messages.some((message) => message.type === 'joined'), 'the flooder to join', 5000);
    assert.equal(messages[0]?.ok, true);

    await sleep(500); // latency before the flood, for comparison
    const floodStart = performance.now();
    worker.postMessage('go');
    await until(() => messages.some((message) => message.type === 'done'), 'the flooder to be cut off', 15_000);
    const floodEnd = performance.now();
    await sleep(500);
    clearInterval(probing);
    await sleep(250); // the last probes arrive

    const done = messages.find((message) => message.type === 'done') as { reason: string; sent: number; rateLimited: number; ms: number };
    const during = samples.filter((sample) => sample.at >= floodStart && sample.at <= floodEnd + 100).map((sample) => sample.latency).sort((a, b) => a - b);
    const all = samples.map((sample) => sample.latency).sort((a, b) => a - b);
    const report =
      `flood: ${done.sent} signals sent in ${done.ms} ms, ${done.rateLimited} rate-limited notice(s), cut off (${done.reason}); ` +
      `victim received ${victimSignals.length}; ` +
      `relay latency in another room during the flood: ${during.length} probes, p50 ${percentile(during, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(during, 99).toFixed(1)} ms, max ${(during.at(-1) ?? Number.NaN).toFixed(1)} ms; ` +
      `over the whole test: ${all.length} probes, p99 ${percentile(all, 99).toFixed(1)} ms`;
    t.diagnostic(report);
    console.log(`# ${report}`);

    assert.equal(done.reason, 'io server disconnect');
    assert.ok(done.rateLimited >= 1, 'told it was rate limited');
    assert.ok(done.rateLimited <= Math.ceil(done.ms / 1000) + 1, `at most one notice a second, got ${done.rateLimited} in ${done.ms} ms`);
    assert.ok(victimSignals.length <= 200 + 50 * Math.ceil(done.ms / 1000), `the victim got at most the burst and the rate, got ${victimSignals.length}`);
    assert.ok(all.length >= sequence - 16, `every probe arrived (${all.length} of ${sequence})`);
    assert.ok(during.length >= 1, 'probes ran during the flood');
    // In time: served between the flood's messages, not stalled behind them (the flood is
    // up to 5,000 signals of 48 KiB: read and relayed in full, they would hold the event
    // loop for seconds). The bound leaves room for a busy machine; the figure is printed.
    assert.ok(percentile(all, 99) < 1000, `relay p99 ${percentile(all, 99).toFixed(1)} ms`);
    assert.ok(warnings.some((entry) => entry.msg === 'connection cut off: it kept flooding'));
    assert.equal(warnings.filter((entry) => entry.msg === 'connection rate limited').length, 1, 'logged once, not per dropped event');
    assert.ok(victim.connected);
    // What this test holds (10 MB of relayed SDP) is the test's, not the server's: let it go
    // before the memory check at the end.
    victimSignals.length = 0;
    samples.length = 0;
    sentAt.clear();
  });

  it('refuses a hostile origin at the handshake (403), websocket and polling alike', async (t) => {
    assert.equal(await websocketStatus(server, { origin: 'https://evil.example' }), 403);
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    assert.equal(polling.status, 403);
    assert.equal(await polling.text(), HANDSHAKE_REFUSALS.origin);
    const client = createClient(t, server, { origin: 'https://evil.example' });
    await withTimeout(new Promise((resolve) => client.once('connect_error', resolve)), 'connect_error');
    assert.equal(client.connected, false);
    // A lookalike is not the allowed origin.
    assert.equal(await websocketStatus(server, { origin: 'https://app.example.evil.example' }), 403);
    assert.equal(await websocketStatus(server, { origin: GOOD_ORIGIN }), 101);
    const good = await connect(t, server, { origin: GOOD_ORIGIN });
    await enter(good, 'origins');
  });

  it('refuses missing, expired, forged and other-room tokens with unauthorized', async (t) => {
    const client = await connect(t, server);
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['missing', undefined, /needs a token/],
      ['expired', await signJoinToken(SECRET, { room: 'vip', expiresIn: -3600 }), /expired/],
      ['forged', await signJoinToken('a-guess', { room: 'vip', expiresIn: 3600 }), /invalid token/],
      ['other room', await token('lobby'), /does not grant access to room "vip"/],
      ['garbage', 'eyJhbGciOiJub25lIn0.eyJyb29tIjoidmlwIn0.', /invalid token/],
    ];
    for (const [label, value, pattern] of cases) {
      const answer = await join(client, { room: 'vip', name: 'X', ...(value === undefined ? {} : { token: value }) });
      assert.equal(!answer.ok && answer.error.code, 'unauthorized', label);
      assert.match(!answer.ok ? answer.error.message : '', pattern, label);
      if (value) assert.ok(!answer.ok && !answer.error.message.includes(value), `${label}: the token is not echoed`);
    }
    assert.equal(server.rooms.members('vip').length, 0);
  });

  it('still answers a normal join afterwards, and has not grown', async (t) => {
    const [ada, bob] = await Promise.all([connect(t, server, { origin: GOOD_ORIGIN }), connect(t, server)]);
    await enter(ada, 'after-all', 'Ada');
    const bobId = await enter(bob, 'after-all', 'Bob');
    const received = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', { to: bobId, data: offer });
    assert.deepEqual((await received).data, offer);
    ada.disconnect();
    bob.disconnect();
    await until(() => server.rooms.participantCount === 0 && server.signal.io.engine.clientsCount === 0, 'everyone to be gone', 5000);
    await sleep(200);

    const heap = heapUsed();
    const growth = heap - baselineHeap;
    const report = `heap used: baseline ${mb(baselineHeap)}, after the suite ${mb(heap)} (${growth >= 0 ? '+' : ''}${mb(growth)}), ${gc ? 'after forced GC' : 'without forced GC'}`;
    t.diagnostic(report);
    console.log(`# ${report}`);
    assert.ok(growth < 50 * 1024 * 1024, report);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^rtc_signal_connected_sockets 0$/m);
    assert.match(metrics, /^rtc_signal_participants 0$/m);
    assert.match(metrics, /^rtc_signal_abuse_disconnects_total 1$/m);
  });
});
