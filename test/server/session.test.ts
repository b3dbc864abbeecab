/**
 * Session resume, the disconnect grace and the heartbeat: a participant whose connection
 * drops (or whose server restarts) comes back as itself, and the others see it updated,
 * never gone and back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REFUSALS, PING_INTERVAL_MS, PING_TIMEOUT_MS } from '../../signal-server/server.js';
import { DEFAULT_DISCONNECT_GRACE_MS } from '../../signal-server/config.js';
import {
  collect,
  connect,
  disconnected,
  emitWithAck,
  flush,
  join,
  joinOk,
  nextEvent,
  startServer,
  until,
  withTimeout,
  type Client,
  type TestServer,
} from './helpers.js';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;
const GRACE_MS = 300;

/** A session key as a client makes one: 128 random bits, base64url. */
function newKey(): string {
  return randomBytes(16).toString('base64url');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drops a client's connection without a socket.io goodbye, as a lost network would. */
async function dropAbruptly(server: TestServer, client: Client): Promise<void> {
  const before = server.signal.io.engine.clientsCount;
  client.io.engine.close();
  await until(() => server.signal.io.engine.clientsCount < before, 'the server to notice the drop');
}

describe('signal server: the heartbeat and the grace budget', () => {
  it('pings every 4 s and gives up after 4 s more, keeping detection plus the default grace within 13 s', async (t) => {
    const server = await startServer(t);
    const opts = server.signal.io.engine.opts as { pingInterval?: number; pingTimeout?: number };
    assert.equal(opts.pingInterval, 4000);
    assert.equal(opts.pingTimeout, 4000);
    assert.equal(PING_INTERVAL_MS, 4000);
    assert.equal(PING_TIMEOUT_MS, 4000);
    assert.equal(DEFAULT_DISCONNECT_GRACE_MS, 4000);
    assert.ok(PING_INTERVAL_MS + PING_TIMEOUT_MS + DEFAULT_DISCONNECT_GRACE_MS <= 13_000);
  });

  it('refuses a disconnect grace that is not a whole number from 0 to 60000', async (t) => {
    const { createSignalServer } = await import('../../signal-server/server.js');
    const { createServer } = await import('node:http');
    for (const disconnectGraceMs of [-1, 1.5, 60_001, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => createSignalServer(createServer(), { disconnectGraceMs }), RangeError, String(disconnectGraceMs));
    }
    t.diagnostic('valid graces are used throughout the other tests');
  });
});

describe('signal server: the recording flag', () => {
  it('takes it from join and update, defaults it to false, and shows it to everyone', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    const bobJoined = nextEvent(ada, 'participant-joined');
    const bobAnswer = await joinOk(bob, { room: 'r', name: 'Bob', media: { recording: true } });
    assert.equal(bobAnswer.participants[0]?.recording, false);
    assert.equal((await bobJoined).recording, true);

    const updated = nextEvent(bob, 'participant-updated');
    assert.deepEqual(await emitWithAck(ada, 'update', { recording: true }), { ok: true });
    assert.deepEqual(await updated, {
      id: adaId, name: 'Ada', microphone: false, camera: false, screenSharing: false, screenStreamId: null, recording: true,
    });
    assert.deepEqual(await emitWithAck(ada, 'update', { recording: 'yes' }), {
      ok: false, error: { code: 'invalid-input', message: 'recording must be true or false' },
    });
    assert.equal(server.rooms.get(adaId)?.recording, true);
  });
});

describe('signal server: resuming a session', () => {
  it('gives the same id back after a dropped connection, as an update to the others', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key: newKey() } })).selfId;
    const bobKey = newKey();
    const bobJoined = nextEvent(ada, 'participant-joined');
    const bobFirst = await joinOk(bob, { room: 'r', name: 'Bob', media: { camera: true }, session: { key: bobKey } });
    assert.equal(bobFirst.resumed, false);
    await bobJoined;
    const bobId = bobFirst.selfId;
    const adaLeaves = collect(ada, 'participant-left');
    const adaJoins = collect(ada, 'participant-joined');
    const adaUpdates = collect(ada, 'participant-updated');

    await dropAbruptly(server, bob);
    const bobAgain = await connect(t, server);
    const answer = await joinOk(bobAgain, {
      room: 'r', name: 'Bob', media: { camera: true, recording: true }, session: { key: bobKey, id: bobId },
    });
    assert.equal(answer.selfId, bobId);
    assert.equal(answer.resumed, true);
    assert.deepEqual(answer.participants.map((p) => p.id), [adaId]);
    assert.deepEqual(answer.iceServers, []);

    // Past the grace the removal would have happened: it must have been cancelled.
    await sleep(GRACE_MS + 150);
    await flush(ada);
    assert.deepEqual(adaLeaves, []);
    assert.deepEqual(adaJoins, []);
    assert.deepEqual(adaUpdates, [
      { id: bobId, name: 'Bob', microphone: false, camera: true, screenSharing: false, screenStreamId: null, recording: true },
    ]);
    assert.deepEqual(server.rooms.members('r').map((p) => p.id), [adaId, bobId]);

    // Signals reach the new connection, both ways.
    const toBob = nextEvent(bobAgain, 'signal');
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), { ok: true });
    assert.deepEqual(await toBob, { from: adaId, data: offer });
    const toAda = nextEvent(ada, 'signal');
    assert.deepEqual(await emitWithAck(bobAgain, 'signal', { to: adaId, data: offer }), { ok: true });
    assert.deepEqual(await toAda, { from: bobId, data: offer });

    // And it can resume again with the same key.
    await dropAbruptly(server, bobAgain);
    const bobThird = await connect(t, server);
    const third = await joinOk(bobThird, { room: 'r', name: 'Bob', session: { key: bobKey, id: bobId } });
    assert.equal(third.selfId, bobId);
    assert.equal(third.resumed, true);
  });

  it('takes over from a connection that is still open, cutting it off without telling the others', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob, bobAgain] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    const key = newKey();
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key } })).selfId;
    const adaLeaves = collect(ada, 'participant-left');
    const oldSignals = collect(bob, 'signal');
    const oldUpdates = collect(bob, 'participant-updated');

    const cut = disconnected(bob);
    const updated = nextEvent(ada, 'participant-updated');
    const answer = await joinOk(bobAgain, { room: 'r', name: 'Bob B.', session: { key, id: bobId } });
    assert.equal(answer.selfId, bobId);
    assert.equal(answer.resumed, true);
    assert.equal(await cut, 'io server disconnect');
    assert.equal((await updated).name, 'Bob B.');

    const toBob = nextEvent(bobAgain, 'signal');
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), { ok: true });
    assert.deepEqual(await toBob, { from: adaId, data: offer });
    await sleep(GRACE_MS + 100);
    await flush(ada);
    assert.deepEqual(adaLeaves, []);
    assert.deepEqual(oldSignals, []);
    assert.deepEqual(oldUpdates, []);
    assert.equal(server.rooms.participantCount, 2);
  });

  it('gives a fresh id for a wrong key, a missing key, or an id from another room', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob, mallory, elsewhere, keyless] = await Promise.all([
      connect(t, server), connect(t, server), connect(t, server), connect(t, server), connect(t, server),
    ]);
    const adaKey = newKey();
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key: adaKey } })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId; // no session at all
    const adaUpdates = collect(ada, 'participant-updated');

    // Wrong key, while the owner is connected.
    const wrong = await joinOk(mallory, { room: 'r', name: 'Ada', session: { key: newKey(), id: adaId } });
    assert.notEqual(wrong.selfId, adaId);
    assert.equal(wrong.resumed, false);
    assert.ok(ada.connected, 'the owner is not cut off');

    // The right key, but from another room.
    const otherRoom = await joinOk(elsewhere, { room: 'other', name: 'Ada', session: { key: adaKey, id: adaId } });
    assert.notEqual(otherRoom.selfId, adaId);
    assert.equal(otherRoom.resumed, false);
    assert.equal(server.rooms.roomOf(adaId), 'r');

    // A participant that joined without a key cannot be taken over, even in its grace.
    await dropAbruptly(server, bob);
    const claim = await joinOk(keyless, { room: 'r', name: 'Bob', session: { key: newKey(), id: bobId } });
    assert.notEqual(claim.selfId, bobId);
    assert.equal(claim.resumed, false);
    const left = await nextEvent(ada, 'participant-left');
    assert.deepEqual(left, { id: bobId }, 'the dropped participant still goes when its grace runs out');

    await flush(ada);
    assert.deepEqual(adaUpdates, [], 'nobody was resumed');
    assert.equal(server.rooms.keyMatches(adaId, Buffer.alloc(32)), false);
  });

  it('lets everyone come back with their ids after a server restart', async (t) => {
    const first = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, first), connect(t, first)]);
    const adaKey = newKey();
    const bobKey = newKey();
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', session: { key: adaKey } })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key: bobKey } })).selfId;
    await first.signal.close();
    assert.equal(ada.connected, false);

    const second = await startServer(t, {}, undefined, first.port);
    assert.equal(second.url, first.url);
    const [ada2, bob2, carol, mallory] = await Promise.all([connect(t, second), connect(t, second), connect(t, second), connect(t, second)]);
    const adaBack = await joinOk(ada2, { room: 'r', name: 'Ada', session: { key: adaKey, id: adaId } });
    assert.deepEqual(adaBack, { ok: true, selfId: adaId, participants: [], iceServers: [], resumed: true, topology: 'mesh' });

    const bobJoined = nextEvent(ada2, 'participant-joined');
    const bobBack = await joinOk(bob2, { room: 'r', name: 'Bob', session: { key: bobKey, id: bobId } });
    assert.equal(bobBack.selfId, bobId);
    assert.equal(bobBack.resumed, true);
    assert.deepEqual(bobBack.participants.map((p) => p.id), [adaId]);
    assert.equal((await bobJoined).id, bobId, 'to a server that forgot everyone, a resumed participant is a joiner');

    const carolAnswer = await joinOk(carol, { room: 'r', name: 'Carol', session: { key: newKey() } });
    assert.equal(carolAnswer.resumed, false);
    assert.deepEqual(carolAnswer.participants.map((p) => [p.id, p.name]), [[adaId, 'Ada'], [bobId, 'Bob']]);

    // Once claimed, the id is protected by the claimer's key again.
    const stolen = await joinOk(mallory, { room: 'r', name: 'Ada', session: { key: newKey(), id: adaId } });
    assert.notEqual(stolen.selfId, adaId);
    assert.equal(stolen.resumed, false);

    const toBob = nextEvent(bob2, 'signal');
    assert.deepEqual(await emitWithAck(ada2, 'signal', { to: bobId, data: offer }), { ok: true });
    assert.deepEqual(await toBob, { from: adaId, data: offer });
  });

  it('still applies the capacity to an id claimed after a restart', async (t) => {
    const server = await startServer(t, { roomCapacity: 2 });
    const [ada, bob, late] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    await joinOk(bob, { room: 'r', name: 'Bob' });
    const answer = await join(late, { room: 'r', name: 'Late', session: { key: newKey(), id: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal(answer.ok, false);
    assert.equal(!answer.ok && answer.error.code, 'room-full');
    assert.equal(server.rooms.roomOf('AAAAAAAAAAAAAAAAAAAAAA'), undefined);
  });

  it('refuses a malformed session with invalid-input and adds nobody', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    for (const session of [
      'key', [newKey()], {}, { key: 'short' }, { key: 'k'.repeat(65) }, { key: `${'k'.repeat(21)}+` },
      { key: newKey(), id: 'a/b' }, { key: newKey(), id: 'p'.repeat(65) }, { key: newKey(), id: 5 },
    ]) {
      const answer = await join(ada, { room: 'r', name: 'Ada', session });
      assert.equal(answer.ok, false, JSON.stringify(session));
      assert.equal(!answer.ok && answer.error.code, 'invalid-input');
      assert.match(!answer.ok ? answer.error.message : '', /session/);
    }
    for (const media of [{ recording: 'on' }, { recording: 1 }]) {
      const answer = await join(ada, { room: 'r', name: 'Ada', media });
      assert.equal(!answer.ok && answer.error.code, 'invalid-input');
    }
    assert.equal(server.rooms.participantCount, 0);
    assert.equal((await joinOk(ada, { room: 'r', name: 'Ada', session: { key: newKey() } })).resumed, false);
  });
});

describe('signal server: the disconnect grace', () => {
  it('announces an abrupt disconnect only once the grace has run out, keeping the participant meanwhile', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key: newKey() } })).selfId;
    const adaLeaves = collect(ada, 'participant-left');

    const droppedAt = Date.now();
    await dropAbruptly(server, bob);

    // In the grace: still counted and listed, but unreachable.
    const carolAnswer = await joinOk(carol, { room: 'r', name: 'Carol' });
    assert.deepEqual(carolAnswer.participants.map((p) => p.id), [adaId, bobId]);
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });
    await sleep(Math.max(0, droppedAt + GRACE_MS - 100 - Date.now()));
    await flush(ada);
    assert.deepEqual(adaLeaves, [], 'not before the grace');

    const carolLeft = nextEvent(carol, 'participant-left');
    await until(() => adaLeaves.length > 0, 'participant-left after the grace');
    const elapsed = Date.now() - droppedAt;
    assert.ok(elapsed >= GRACE_MS - 5, `participant-left came after ${elapsed} ms, before the ${GRACE_MS} ms grace`);
    assert.ok(elapsed < GRACE_MS + 1000, `participant-left came after ${elapsed} ms`);
    assert.deepEqual(adaLeaves, [{ id: bobId }]);
    assert.deepEqual(await carolLeft, { id: bobId });
    assert.deepEqual(server.rooms.members('r').map((p) => p.id), [adaId, carolAnswer.selfId]);
  });

  it('applies the grace to a client-side disconnect() and a destroyed TCP socket too', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const carolId = (await joinOk(carol, { room: 'r', name: 'Carol' })).selfId;
    const adaLeaves = collect(ada, 'participant-left');

    const start = Date.now();
    bob.disconnect();
    // Carol's TCP connection is torn down under the websocket, without any close frame.
    const transport = carol.io.engine.transport as unknown as { ws?: { _socket?: { destroy(): void } } };
    assert.ok(transport.ws?._socket, 'the websocket exposes its TCP socket');
    transport.ws._socket.destroy();
    await until(() => server.signal.io.engine.clientsCount === 1, 'both drops to be noticed');
    await flush(ada);
    assert.equal(adaLeaves.length, 0, 'not before the grace');
    await until(() => adaLeaves.length === 2, 'both to leave');
    assert.ok(Date.now() - start >= GRACE_MS - 5);
    assert.deepEqual(new Set(adaLeaves.map((left) => left.id)), new Set([bobId, carolId]));
  });

  it('announces an explicit leave at once', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: 5000 });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key: newKey() } })).selfId;
    const left = nextEvent(ada, 'participant-left');
    const start = Date.now();
    assert.deepEqual(await emitWithAck(bob, 'leave'), { ok: true });
    assert.deepEqual(await left, { id: bobId });
    assert.ok(Date.now() - start < 1000);
    assert.equal(server.rooms.roomOf(bobId), undefined);
  });

  it('counts participants in their grace against the capacity, and lets them resume into a full room', async (t) => {
    const server = await startServer(t, { roomCapacity: 2, disconnectGraceMs: GRACE_MS });
    const [ada, bob, carol, bobAgain] = await Promise.all([connect(t, server), connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const key = newKey();
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob', session: { key } })).selfId;

    await dropAbruptly(server, bob);
    const refused = await join(carol, { room: 'r', name: 'Carol' });
    assert.equal(!refused.ok && refused.error.code, 'room-full');

    const resumed = await joinOk(bobAgain, { room: 'r', name: 'Bob', session: { key, id: bobId } });
    assert.equal(resumed.resumed, true);

    // Once a participant in its grace is gone, its place is free.
    await dropAbruptly(server, bobAgain);
    const left = nextEvent(ada, 'participant-left');
    assert.equal((await left).id, bobId);
    assert.equal((await joinOk(carol, { room: 'r', name: 'Carol' })).resumed, false);
  });

  it('removes everyone at once on close(), participants in their grace included', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: GRACE_MS });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    await joinOk(bob, { room: 'r', name: 'Bob' });
    await dropAbruptly(server, bob);
    assert.equal(server.rooms.participantCount, 2);
    await withTimeout(server.signal.close(), 'close');
    assert.equal(server.rooms.participantCount, 0);
    assert.equal(server.rooms.roomCount, 0);
    await sleep(GRACE_MS + 50); // a timer left behind would fire now, on a closed server
    assert.equal(server.rooms.participantCount, 0);
  });

  it('lets the process exit after close() even with a long grace pending', async () => {
    const serverModule = new URL('../../signal-server/server.ts', import.meta.url).href;
    const script = `
      import { createServer } from 'node:http';
      import { io } from 'socket.io-client';
      import { createSignalServer } from ${JSON.stringify(serverModule)};
      const httpServer = createServer();
      const signal = createSignalServer(httpServer, { disconnectGraceMs: 60000 });
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      const client = io('http://127.0.0.1:' + httpServer.address().port, { transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise((resolve) => client.once('connect', resolve));
      await new Promise((resolve) => client.emit('join', { room: 'r', name: 'Ada' }, resolve));
      client.io.engine.close();
      while (signal.io.engine.clientsCount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      console.log('in grace: ' + await signal.rooms.participantCount());
      await signal.close();
      console.log('closed: ' + await signal.rooms.participantCount());
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const code = await withTimeout(exited, 'the process to exit on its own', 15_000);
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'in grace: 1\nclosed: 0\n');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
