import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Server, type Socket } from 'socket.io';
import WebSocket from 'ws';
import { WsEngine } from '../../signal-server/ws-engine.js';
import { connect, joinOk, startServer, withTimeout } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** socket.io on a WsEngine with short heartbeats, on an ephemeral port; closed after the test. */
async function startEngine(t: TestContext, allow = true): Promise<{ url: string; io: Server; engine: WsEngine }> {
  const httpServer = createServer((_request, response) => response.writeHead(200).end('app'));
  const io = new Server();
  const engine = new WsEngine(httpServer, {
    path: '/socket.io/',
    pingInterval: 200,
    pingTimeout: 200,
    maxPayload: 1000,
    allowRequest: (_request, callback) => callback(allow ? null : 'no', allow),
  });
  io.bind(engine as unknown as Parameters<Server['bind']>[0]);
  io.httpServer = httpServer;
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  t.after(() => io.close());
  return { url: `127.0.0.1:${(httpServer.address() as AddressInfo).port}`, io, engine };
}

/** A raw engine.io websocket client: the frames it received, in order. */
async function rawClient(t: TestContext, url: string): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<void> }> {
  const ws = new WebSocket(`ws://${url}/socket.io/?EIO=4&transport=websocket`);
  t.after(() => ws.terminate());
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

/** The next socket.io connection's `disconnect` reason. */
function nextDisconnectReason(io: Server): Promise<string> {
  return new Promise((resolve) => io.once('connection', (socket: Socket) => socket.once('disconnect', resolve)));
}

describe('signal server: its websocket engine', () => {
  it('speaks engine.io: open packet, socket.io packets, pings answered by pongs keep it open', async (t) => {
    const { url, io } = await startEngine(t);
    io.on('connection', (socket) => socket.on('hello', (name: string, ack: (answer: string) => void) => ack(`hi ${name}`)));
    const { ws, frames } = await rawClient(t, url);
    ws.on('message', (data) => data.toString() === '2' && ws.send('3'));
    const seen = (test: (frame: string) => boolean, what: string): Promise<void> =>
      withTimeout(
        (async () => {
          while (!frames.some(test)) await new Promise((resolve) => setTimeout(resolve, 10));
        })(),
        what,
      );
    await seen((frame) => frame.startsWith('0'), 'the open packet');
    const open = JSON.parse(frames[0]!.slice(1)) as Record<string, unknown>;
    assert.deepEqual({ ...open, sid: typeof open.sid }, { sid: 'string', upgrades: [], pingInterval: 200, pingTimeout: 200, maxPayload: 1000 });
    ws.send('40');
    await seen((frame) => frame.startsWith('40{"sid":'), 'the namespace connect');
    ws.send('421["hello","Ada"]');
    await seen((frame) => frame === '431["hi Ada"]', 'the ack');
    // Well past interval + timeout, answering every ping: still open, pinged several times.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.ok(frames.filter((frame) => frame === '2').length >= 3, `pings: ${frames.join(' ')}`);
  });

  it('closes a connection that leaves a ping unanswered (ping timeout)', async (t) => {
    const { url, io } = await startEngine(t);
    const reason = nextDisconnectReason(io);
    const { ws, frames, closed } = await rawClient(t, url);
    ws.send('40');
    await withTimeout(closed, 'the cut-off', 3000);
    assert.ok(frames.includes('2'), 'it was pinged');
    assert.equal(await reason, 'ping timeout');
  });

  it('closes a connection that sends a stray binary frame or a frame over maxPayload', async (t) => {
    const { url, io } = await startEngine(t);
    for (const [frame, expected] of [
      // socket.io's decoder refuses an attachment no packet announced.
      [Buffer.from([1, 2, 3]), 'forced close'],
      [`42["big","${'x'.repeat(2000)}"]`, 'transport error'],
    ] as const) {
      const reason = nextDisconnectReason(io);
      const { ws, closed } = await rawClient(t, url);
      ws.send('40');
      await new Promise((resolve) => setTimeout(resolve, 50));
      ws.send(frame);
      await withTimeout(closed, 'the cut-off', 3000);
      assert.equal(await reason, expected);
    }
  });

  it('answers long polling 400 "Transport unknown" and leaves other paths to the app', async (t) => {
    const { url } = await startEngine(t);
    const polling = await fetch(`http://${url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(polling.status, 400);
    assert.deepEqual(await polling.json(), { code: 0, message: 'Transport unknown' });
    const app = await fetch(`http://${url}/other`);
    assert.equal(await app.text(), 'app');
  });

  it('refuses an upgrade allowRequest refuses, another protocol version or a polling session, and ends a stray upgrade to another path', async (t) => {
    const refused = await startEngine(t, false);
    const ws = new WebSocket(`ws://${refused.url}/socket.io/?EIO=4&transport=websocket`);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    assert.equal(status, 403);

    const { url } = await startEngine(t);
    for (const query of ['EIO=3&transport=websocket', 'EIO=4&transport=websocket&sid=abc']) {
      const old = new WebSocket(`ws://${url}/socket.io/?${query}`);
      const refusedStatus = await new Promise<number>((resolve) => old.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
      assert.equal(refusedStatus, 400, query);
    }
    const [host, port] = url.split(':');
    const socket = tcpConnect(Number(port), host);
    t.after(() => socket.destroy());
    socket.write('GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const started = Date.now();
    await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 'the stray upgrade closed', 3000);
    assert.ok(Date.now() - started >= 900, 'closed after its second of grace');
  });

  it("lets a connection's upgrade request go once the connection is open", async (t) => {
    const server = await startServer(t);
    let request: WeakRef<IncomingMessage> | undefined;
    server.httpServer.prependListener('upgrade', (req: IncomingMessage) => {
      request = new WeakRef(req);
    });
    const client = await connect(t, server);
    // Still a working connection.
    await joinOk(client, { room: 'memory', name: 'Ada' });
    assert.ok(request, 'the handshake was seen');
    // A WeakRef keeps its target until the job that made (or dereferenced) it is over: a
    // GC in a later job, then the check.
    let released = false;
    for (let i = 0; i < 3 && !released; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      released = request.deref() === undefined;
    }
    assert.ok(released, 'the upgrade request is still held');
  });
});
