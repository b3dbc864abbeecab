/**
 * Scale-out: several signal server processes sharing rooms through one Redis (a real,
 * throwaway redis-server), with real socket.io clients. In-process servers on ephemeral
 * ports where the point is what two processes see of each other; real `rtc-signal-server`
 * processes where one must die (SIGKILL) or where the command itself is the point.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { io as connectClient } from 'socket.io-client';
import type { JoinAnswer, JoinRequest } from '../../src/protocol/index.js';
import { createRequestHandler } from '../../signal-server/http.js';
import { REFUSALS, type SignalServer } from '../../signal-server/server.js';
import { connectSignalServer, type ConnectSignalServerOptions } from '../../signal-server/start.js';
import { cleanEnv, listeningUrl, runCli, type RunningCli } from './cli-helpers.js';
import { collect, disconnected, emitWithAck, flush, joinOk, nextEvent, until, withTimeout, type Client } from './helpers.js';
import { startRedis, type TestRedis } from './redis-helpers.js';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;
const answerSdp = { kind: 'description', description: { type: 'answer', sdp: 'v=0\r\n' } } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newKey = (): string => randomBytes(16).toString('base64url');

interface Node {
  url: string;
  httpServer: HttpServer;
  signal: SignalServer;
}

/** Per test: what to undo when it ends, last made first undone, before its Redis goes. */
const cleanupsOf = new WeakMap<TestContext, Array<() => unknown>>();

/** A throwaway Redis for one test, disposed once everything the test made with it is closed. */
async function redisFor(t: TestContext): Promise<TestRedis> {
  const redis = await startRedis();
  const cleanups: Array<() => unknown> = [];
  cleanupsOf.set(t, cleanups);
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await redis.dispose();
  });
  return redis;
}

function onCleanup(t: TestContext, cleanup: () => unknown): void {
  const cleanups = cleanupsOf.get(t);
  if (cleanups) cleanups.push(cleanup);
  else t.after(cleanup);
}

/** One in-process signal server sharing rooms through `redis`, with its HTTP routes. */
async function startNode(t: TestContext, redis: TestRedis, options: ConnectSignalServerOptions = {}): Promise<Node> {
  const httpServer = createServer(
    createRequestHandler({ bundleDir: '/nonexistent', isReady: () => signal.ready(), metrics: () => signal.metrics.registry }),
  );
  const signal = await connectSignalServer(httpServer, { redisUrl: redis.url, connectionRateLimit: false, ...options });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  onCleanup(t, () => signal.close());
  return { url: `http://127.0.0.1:${port}`, httpServer, signal };
}

/** A connected websocket client of `url` that neither reconnects nor outlives the test. */
async function connectTo(t: TestContext, url: string): Promise<Client> {
  const client: Client = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 3000 });
  onCleanup(t, () => {
    client.disconnect();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    }),
    `a connection to ${url}`,
  );
  return client;
}

function join(client: Client, request: Record<string, unknown>): Promise<JoinAnswer> {
  return withTimeout(new Promise<JoinAnswer>((resolve) => client.emit('join', request as unknown as JoinRequest, resolve)), 'join ack', 5000);
}

/** Drops a client's connection without a socket.io goodbye, as a lost network would. */
async function dropAbruptly(node: Node, client: Client): Promise<void> {
  const before = node.signal.io.engine.clientsCount;
  client.io.engine.close();
  await until(() => node.signal.io.engine.clientsCount < before, 'the server to notice the drop');
}

async function status(url: string, path: string): Promise<number> {
  try {
    return (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

describe('scale-out: two processes sharing rooms through Redis', () => {
  it('lets participants on different processes see each other, relay signals both ways and follow updates and leaves', async (t) => {
    const redis = await redisFor(t);
    const [a, b] = await Promise.all([startNode(t, redis), startNode(t, redis)]);
    const [ada, bob, eve] = await Promise.all([connectTo(t, a.url), connectTo(t, b.url), connectTo(t, b.url)]);

    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', media: { microphone: true } })).selfId;
    const bobJoined = nextEvent(ada, 'participant-joined');
    const bobAnswer = await joinOk(bob, { room: 'r', name: 'Bob', media: { camera: true } });
    const bobId = bobAnswer.selfId;
    assert.deepEqual(bobAnswer.participants, [
      { id: adaId, name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null, recording: false },
    ]);
    assert.equal(bobAnswer.resumed, false);
    assert.deepEqual(await bobJoined, {
      id: bobId, name: 'Bob', microphone: false, camera: true, screenSharing: false, screenStreamId: null, recording: false,
    });
    // Someone in another room, on B too, hears nothing of either.
    await joinOk(eve, { room: 'elsewhere', name: 'Eve' });
    const eveHears = [...collect(eve, 'signal'), ...collect(eve, 'participant-joined'), ...collect(eve, 'participant-updated'), ...collect(eve, 'participant-left')];

    // A → B and B → A, `from` set by the server whatever the sender claims.
    const toBob = nextEvent(bob, 'signal');
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, from: 'forged', data: offer }), { ok: true });
    assert.deepEqual(await toBob, { from: adaId, data: offer });
    const toAda = nextEvent(ada, 'signal');
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: answerSdp }), { ok: true });
    assert.deepEqual(await toAda, { from: bobId, data: answerSdp });
    // Nobody can reach across rooms, even on the same process.
    assert.deepEqual(await emitWithAck(eve, 'signal', { to: bobId, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });

    const updated = nextEvent(ada, 'participant-updated');
    assert.deepEqual(await emitWithAck(bob, 'update', { screenSharing: true, screenStreamId: 'screen-1' }), { ok: true });
    assert.deepEqual(await updated, {
      id: bobId, name: 'Bob', microphone: false, camera: true, screenSharing: true, screenStreamId: 'screen-1', recording: false,
    });

    const left = nextEvent(bob, 'participant-left');
    assert.deepEqual(await emitWithAck(ada, 'leave'), { ok: true });
    assert.deepEqual(await left, { id: adaId });
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });
    assert.equal(await a.signal.rooms.participantCount(), 2, 'both processes count the shared rooms');
    assert.equal(await b.signal.rooms.roomCount(), 2);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(metrics, /^rtc_signal_participants 2$/m, 'the gauges count every process');
    assert.match(metrics, /^rtc_signal_rooms 2$/m);
    assert.match(metrics, /^rtc_signal_connected_sockets 1$/m, 'but sockets only its own');
    await sleep(100);
    await flush(eve);
    assert.deepEqual(eveHears, []);
  });

  it('holds the capacity across processes: 100 simultaneous joins split over two processes admit exactly 8', async (t) => {
    const redis = await redisFor(t);
    const options = { roomCapacity: 8, disconnectGraceMs: 0 };
    const [a, b] = await Promise.all([startNode(t, redis, options), startNode(t, redis, options)]);
    const clients = await Promise.all(Array.from({ length: 100 }, (_, i) => connectTo(t, i % 2 === 0 ? a.url : b.url)));
    const answers = await Promise.all(clients.map((client, i) => join(client, { room: 'stampede', name: `P${i}` })));
    const admitted = answers.filter((answer) => answer.ok);
    const refused = answers.filter((answer) => !answer.ok);
    assert.equal(admitted.length, 8);
    assert.equal(refused.length, 92);
    assert.ok(refused.every((answer) => !answer.ok && answer.error.code === 'room-full'));
    assert.equal(await a.signal.rooms.participantCount(), 8);
    assert.equal((await b.signal.rooms.members('stampede')).length, 8);

    for (const client of clients) client.disconnect();
    await until(() => a.signal.io.engine.clientsCount + b.signal.io.engine.clientsCount === 0, 'everyone to disconnect');
    // Without a grace, the room is soon gone everywhere.
    const deadline = Date.now() + 5000;
    while ((await a.signal.rooms.participantCount()) > 0 && Date.now() < deadline) await sleep(50);
    assert.equal(await b.signal.rooms.roomCount(), 0);
  });

  it('keeps a participant whose connection dropped on one process and who resumed on the other', async (t) => {
    const redis = await redisFor(t);
    const grace = 400;
    const [a, b] = await Promise.all([startNode(t, redis, { disconnectGraceMs: grace }), startNode(t, redis, { disconnectGraceMs: grace })]);
    const [ada, bob] = await Promise.all([connectTo(t, a.url), connectTo(t, b.url)]);
    const key = newKey();
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key } })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const bobHears = { left: collect(bob, 'participant-left'), joined: collect(bob, 'participant-joined') };

    await dropAbruptly(a, ada);
    // In her grace: listed and counted, but unreachable.
    const refused = await (async () => {
      const deadline = Date.now() + 2000;
      for (;;) {
        const answer = await emitWithAck(bob, 'signal', { to: adaId, data: offer });
        if (!(answer as { ok: boolean }).ok || Date.now() > deadline) return answer;
        await sleep(20);
      }
    })();
    assert.deepEqual(refused, { ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom } });
    assert.equal(await b.signal.rooms.participantCount(), 2);

    const adaOnB = await connectTo(t, b.url);
    const updated = nextEvent(bob, 'participant-updated');
    const back = await joinOk(adaOnB, { room: 'r', name: 'Ada', session: { key, id: adaId } });
    assert.equal(back.selfId, adaId);
    assert.equal(back.resumed, true);
    assert.deepEqual(back.participants.map((p) => p.id), [bobId]);
    assert.equal((await updated).id, adaId);

    // A's grace runs out: A no longer owns her, so she stays.
    await sleep(grace + 300);
    await flush(bob);
    assert.deepEqual(bobHears, { left: [], joined: [] });
    assert.deepEqual((await a.signal.rooms.members('r')).map((p) => p.id), [adaId, bobId]);
    const toAda = nextEvent(adaOnB, 'signal');
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: offer }), { ok: true });
    assert.deepEqual(await toAda, { from: bobId, data: offer });
  });

  it('takes over a connection still open on the other process, cutting it off there without telling anyone', async (t) => {
    const redis = await redisFor(t);
    const [a, b] = await Promise.all([startNode(t, redis), startNode(t, redis)]);
    const [ada, bob, adaAgain] = await Promise.all([connectTo(t, a.url), connectTo(t, b.url), connectTo(t, b.url)]);
    const key = newKey();
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key } })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const bobHearsLeft = collect(bob, 'participant-left');
    const oldSignals = collect(ada, 'signal');

    const cut = disconnected(ada);
    const answer = await joinOk(adaAgain, { room: 'r', name: 'Ada', session: { key, id: adaId } });
    assert.equal(answer.selfId, adaId);
    assert.equal(answer.resumed, true);
    assert.equal(await withTimeout(cut, 'the old connection on A to be cut off', 5000), 'io server disconnect');
    await sleep(200);
    assert.equal(adaAgain.connected, true, 'the new connection stays');

    const toAda = nextEvent(adaAgain, 'signal');
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: offer }), { ok: true });
    assert.deepEqual(await toAda, { from: bobId, data: offer });
    // A's handling of the cut-off (a drop, from its point of view) must not remove her.
    await sleep(300);
    await flush(bob);
    assert.deepEqual(bobHearsLeft, []);
    assert.deepEqual(oldSignals, []);
    assert.equal(await a.signal.rooms.participantCount(), 2);
  });

  it('on close(), leaves its participants to resume on the others, and the others sweep whoever does not come back', async (t) => {
    const redis = await redisFor(t);
    // Those sent away are kept for the grace plus 2 s, then swept at the next beat.
    const timing = { disconnectGraceMs: 500, redis: { heartbeatIntervalMs: 200, instanceTtlMs: 1000 } };
    const [a, b] = await Promise.all([startNode(t, redis, timing), startNode(t, redis, timing)]);
    const [ada, carol, bob] = await Promise.all([connectTo(t, a.url), connectTo(t, a.url), connectTo(t, b.url)]);
    const adaKey = newKey();
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key: adaKey } })).selfId;
    const carolId = (await joinOk(carol, { room: 'r', name: 'Carol', session: { key: newKey() } })).selfId;
    await joinOk(bob, { room: 'r', name: 'Bob' });
    const bobHearsLeft = collect(bob, 'participant-left');
    const bobHearsJoined = collect(bob, 'participant-joined');

    const sentAway = Promise.all([disconnected(ada), disconnected(carol)]);
    await withTimeout(a.signal.close(), 'A to close', 5000);
    assert.deepEqual(await sentAway, ['io server disconnect', 'io server disconnect']);

    // Ada comes back, to B (as a load balancer would send her); Carol never does.
    const adaOnB = await connectTo(t, b.url);
    const back = await joinOk(adaOnB, { room: 'r', name: 'Ada', session: { key: adaKey, id: adaId } });
    assert.equal(back.selfId, adaId);
    assert.equal(back.resumed, true);

    await until(() => bobHearsLeft.length > 0, 'Carol to be swept', 10_000);
    await sleep(500);
    await flush(bob);
    assert.deepEqual(bobHearsLeft, [{ id: carolId }]);
    assert.deepEqual(bobHearsJoined, []);
    assert.deepEqual((await b.signal.rooms.members('r')).map((p) => p.name), ['Ada', 'Bob']);
  });

  it('rebuilds the rooms after Redis restarts empty: every process sends its clients away, and they resume', async (t) => {
    const redis = await redisFor(t);
    const timing = { redis: { heartbeatIntervalMs: 200, instanceTtlMs: 1000 } };
    const [a, b] = await Promise.all([startNode(t, redis, timing), startNode(t, redis, timing)]);
    const [ada, bob] = await Promise.all([connectTo(t, a.url), connectTo(t, b.url)]);
    const [adaKey, bobKey] = [newKey(), newKey()];
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key: adaKey } })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key: bobKey } })).selfId;

    const sentAway = Promise.all([disconnected(ada), disconnected(bob)].map((reason) => withTimeout(reason, 'a client to be sent away', 10_000)));
    await redis.stop();
    await redis.start();
    assert.deepEqual(await sentAway, ['io server disconnect', 'io server disconnect']);

    const [adaAgain, bobAgain] = await Promise.all([connectTo(t, a.url), connectTo(t, b.url)]);
    assert.equal((await joinOk(adaAgain, { room: 'r', name: 'Ada', session: { key: adaKey, id: adaId } })).selfId, adaId);
    const back = await joinOk(bobAgain, { room: 'r', name: 'Bob', session: { key: bobKey, id: bobId } });
    assert.equal(back.selfId, bobId);
    assert.equal(back.resumed, true);
    assert.deepEqual(back.participants.map((p) => p.id), [adaId]);
    // The relay between the processes works again too.
    const deadline = Date.now() + 5000;
    for (;;) {
      const toBob = nextEvent(bobAgain, 'signal').then(() => true, () => false);
      assert.deepEqual(await emitWithAck(adaAgain, 'signal', { to: bobId, data: offer }), { ok: true });
      if (await toBob) break;
      assert.ok(Date.now() < deadline, 'a signal to get through after the restart');
    }
  });
});

/** Starts `rtc-signal-server --port 0` from source with these settings. */
function runServerCli(t: TestContext, settings: Record<string, string>): RunningCli {
  return runCli(t, ['--port', '0'], cleanEnv({ LOG_LEVEL: 'warn', ...settings }), onCleanup);
}

describe('scale-out: rtc-signal-server processes with REDIS_URL', () => {
  it('when one process is killed, its clients take their ids back on another, and those that never come back are swept within 15 s', async (t) => {
    const redis = await redisFor(t);
    const [cliA, cliB] = [runServerCli(t, { REDIS_URL: redis.url }), runServerCli(t, { REDIS_URL: redis.url })];
    const [urlA, urlB] = await Promise.all([listeningUrl(cliA, 20_000), listeningUrl(cliB, 20_000)]);
    const [ada, carol, bob] = await Promise.all([connectTo(t, urlA), connectTo(t, urlA), connectTo(t, urlB)]);
    const adaKey = newKey();
    const adaId = (await joinOk(ada, { room: 'call', name: 'Ada', session: { key: adaKey } })).selfId;
    const carolJoined = nextEvent(ada, 'participant-joined');
    const carolId = (await joinOk(carol, { room: 'call', name: 'Carol', session: { key: newKey() } })).selfId;
    assert.equal((await carolJoined).id, carolId);
    const bobJoined = nextEvent(ada, 'participant-joined');
    const bobAnswer = await joinOk(bob, { room: 'call', name: 'Bob' });
    const bobId = bobAnswer.selfId;
    assert.deepEqual(bobAnswer.participants.map((p) => p.id), [adaId, carolId]);
    assert.equal((await bobJoined).id, bobId);
    const toAda = nextEvent(ada, 'signal');
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: offer }), { ok: true });
    assert.deepEqual(await toAda, { from: bobId, data: offer });
    const bobHearsLeft = collect(bob, 'participant-left');
    const bobHearsJoined = collect(bob, 'participant-joined');

    const adaLost = disconnected(ada);
    cliA.child.kill('SIGKILL');
    const killedAt = Date.now();
    await withTimeout(cliA.exited, 'process A to die');
    assert.equal(await adaLost, 'transport close');

    // Ada's client reconnects; the load balancer sends her to B. Carol's never does.
    const adaOnB = await connectTo(t, urlB);
    const back = await joinOk(adaOnB, { room: 'call', name: 'Ada', session: { key: adaKey, id: adaId } });
    assert.equal(back.selfId, adaId);
    assert.equal(back.resumed, true);
    assert.deepEqual(back.participants.map((p) => p.id).sort(), [bobId, carolId].sort(), 'Carol is still listed until swept');
    const toBob = nextEvent(bob, 'signal');
    assert.deepEqual(await emitWithAck(adaOnB, 'signal', { to: bobId, data: answerSdp }), { ok: true });
    assert.deepEqual(await toBob, { from: adaId, data: answerSdp });

    await until(() => bobHearsLeft.length > 0, 'Carol to be swept', 16_000);
    const sweptAfterMs = Date.now() - killedAt;
    assert.ok(sweptAfterMs <= 15_000, `swept after ${sweptAfterMs} ms`);
    await sleep(300);
    await flush(bob);
    assert.deepEqual(bobHearsLeft, [{ id: carolId }], 'only Carol left; Ada never did');
    assert.deepEqual(bobHearsJoined, []);
    const toAdaAgain = nextEvent(adaOnB, 'signal');
    assert.deepEqual(await emitWithAck(bob, 'signal', { to: adaId, data: offer }), { ok: true });
    assert.deepEqual(await toAdaAgain, { from: bobId, data: offer });
    t.diagnostic(`the dead process's remaining participant was swept ${sweptAfterMs} ms after the kill`);

    cliB.child.kill('SIGTERM');
    assert.deepEqual(await withTimeout(cliB.exited, 'B to exit cleanly', 10_000), { code: 0, signal: null });
  });

  it('answers /readyz 503 while Redis is stopped and 200 again once it is back; /healthz stays 200', async (t) => {
    const redis = await redisFor(t);
    const cli = runServerCli(t, { REDIS_URL: redis.url });
    const url = await listeningUrl(cli, 20_000);
    assert.equal(await status(url, '/readyz'), 200);
    assert.equal(await status(url, '/healthz'), 200);

    await redis.stop();
    const deadline = Date.now() + 5000;
    while ((await status(url, '/readyz')) !== 503) {
      assert.ok(Date.now() < deadline, '/readyz to answer 503');
      await sleep(50);
    }
    assert.equal(await status(url, '/healthz'), 200);
    // A join meanwhile is refused, not left hanging, and the process stays up.
    const client = await connectTo(t, url);
    const refused = await join(client, { room: 'r', name: 'Ada' });
    assert.equal(refused.ok, false);
    assert.equal(await status(url, '/healthz'), 200);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    // prom-client writes NaN as "Nan", which Prometheus reads as NaN.
    assert.match(await metrics.text(), /^rtc_signal_participants nan$/im, 'unknown, not a stale or false number');

    // Redis comes back empty: the process finds its registration gone and sends its
    // clients away (to resume and rebuild the rooms).
    const sentAway = withTimeout(disconnected(client), 'the client to be sent away', 10_000);
    await redis.start();
    const back = Date.now() + 10_000;
    while ((await status(url, '/readyz')) !== 200) {
      assert.ok(Date.now() < back, '/readyz to answer 200 again');
      await sleep(50);
    }
    assert.equal(await status(url, '/healthz'), 200);
    assert.equal(await sentAway, 'io server disconnect');
    const again = await connectTo(t, url);
    assert.equal((await join(again, { room: 'r', name: 'Ada' })).ok, true, 'joins work again');
    assert.equal(cli.child.exitCode, null);
  });

  it('exits with 2 and says so when Redis cannot be reached at start', async (t) => {
    const redis = await redisFor(t);
    await redis.stop();
    const cli = runServerCli(t, { REDIS_URL: `redis://user:hunter2-secret@127.0.0.1:${redis.port}/0` });
    const exit = await withTimeout(cli.exited, 'the process to give up', 20_000);
    assert.deepEqual(exit, { code: 2, signal: null });
    assert.match(cli.stderr(), /rtc-signal-server: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 /);
    assert.ok(!cli.stderr().includes('hunter2'), 'the password is not shown');
    assert.doesNotMatch(cli.stdout(), /listening on/);
  });
});
