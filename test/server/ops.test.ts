/**
 * Operations: Prometheus metrics, structured logs that keep secrets out, and a close that
 * sends every client away to reconnect.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { signJoinToken } from '../../signal-server/auth.js';
import { createLogger } from '../../signal-server/logger.js';
import { HANDSHAKE_REFUSALS } from '../../signal-server/server.js';
import { turnIceServers } from '../../signal-server/turn.js';
import { collect, connect, disconnected, emitRaw, emitWithAck, flush, join, joinOk, nextEvent, startServer, withTimeout } from './helpers.js';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;

/** The value of one sample in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts sockets, rooms, participants, joins, relayed messages and rejections, with process metrics', async (t) => {
    const server = await startServer(t, { roomCapacity: 2 });
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    assert.equal((await join(carol, { room: 'r', name: 'Carol' })).ok, false); // room-full
    await joinOk(carol, { room: 'other', name: 'Carol' });
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), { ok: true });
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), { ok: true });
    assert.deepEqual(await emitWithAck(ada, 'update', { camera: true }), { ok: true });
    emitRaw(ada, 'signal', { to: 5 });
    await flush(ada);

    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.equal(sample(text, 'rtc_signal_connected_sockets'), 3);
    assert.equal(sample(text, 'rtc_signal_rooms'), 2);
    assert.equal(sample(text, 'rtc_signal_participants'), 3);
    assert.equal(sample(text, 'rtc_signal_joins_total{resumed="false"}'), 3);
    assert.equal(sample(text, 'rtc_signal_joins_total{resumed="true"}'), 0);
    assert.equal(sample(text, 'rtc_signal_relayed_messages_total{event="signal"}'), 2);
    assert.equal(sample(text, 'rtc_signal_relayed_messages_total{event="update"}'), 1);
    assert.equal(sample(text, 'rtc_signal_rejections_total{reason="room-full"}'), 1);
    // flush() sends an unknown event on each client: refused as invalid input too.
    assert.equal(sample(text, 'rtc_signal_rejections_total{reason="invalid-input"}'), 2);
    for (const reason of ['unauthorized', 'rate-limited', 'origin']) assert.equal(sample(text, `rtc_signal_rejections_total{reason="${reason}"}`), 0);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('counts refused origins', async (t) => {
    const server = await startServer(t, { allowedOrigins: ['https://good.example'], processMetrics: false });
    const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), HANDSHAKE_REFUSALS.origin);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(sample(text, 'rtc_signal_rejections_total{reason="origin"}'), 1);
    assert.doesNotMatch(text, /^process_cpu/m, 'process metrics can be left out');
  });
});

describe('logs', () => {
  it('logs joins and leaves as JSON, and never a token, TURN credential, session key or SDP', async (t) => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
    const authSecret = `auth-${randomBytes(16).toString('hex')}`;
    const turnSecret = `turn-${randomBytes(16).toString('hex')}`;
    const server = await startServer(t, {
      logger,
      authSecret,
      disconnectGraceMs: 0,
      iceServers: turnIceServers({ urls: ['turn:turn.example:3478'], secret: turnSecret }),
    });
    const [ada, bob, mallory] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    const adaToken = await signJoinToken(authSecret, { room: 'secret-room', name: 'Ada', expiresIn: 600 });
    const bobToken = await signJoinToken(authSecret, { room: 'secret-room', expiresIn: 600 });
    const forged = await signJoinToken('guessed', { room: 'secret-room', expiresIn: 600 });
    const expired = await signJoinToken(authSecret, { room: 'secret-room', expiresIn: -3600 });
    const adaKey = randomBytes(16).toString('base64url');
    const sdp = `v=0\r\no=- ${randomBytes(8).toString('hex')} 2 IN IP4 127.0.0.1\r\na=ice-pwd:${randomBytes(12).toString('hex')}\r\n`;
    const candidate = `candidate:${randomBytes(4).toString('hex')} 1 udp 2122260223 192.0.2.77 50000 typ host`;

    const adaAnswer = await joinOk(ada, { room: 'secret-room', name: 'Ada', token: adaToken, session: { key: adaKey } });
    const bobAnswer = await joinOk(bob, { room: 'secret-room', name: 'Bob', token: bobToken });
    for (const token of [forged, expired]) assert.equal((await join(mallory, { room: 'secret-room', token, session: { key: adaKey, id: adaAnswer.selfId } })).ok, false);
    const received = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', { to: bobAnswer.selfId, data: { kind: 'description', description: { type: 'offer', sdp } } });
    await received;
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobAnswer.selfId, data: { kind: 'candidate', candidate: { candidate } } }), { ok: true });
    assert.deepEqual(await emitWithAck(bob, 'leave'), { ok: true });
    ada.disconnect();
    await withTimeout(
      (async () => {
        while (server.rooms.participantCount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      'everyone to leave',
    );

    const output = lines.join('');
    const secrets: Record<string, string> = {
      authSecret,
      turnSecret,
      adaToken,
      bobToken,
      forged,
      expired,
      'a token signature': adaToken.split('.')[2] ?? '',
      'the TURN username': adaAnswer.iceServers[0]?.username ?? '',
      'the TURN credential': adaAnswer.iceServers[0]?.credential ?? '',
      'the session key': adaKey,
      'the SDP': sdp,
      'the SDP origin line': sdp.split('\r\n')[1] ?? '',
      'the ICE password': sdp.split('\r\n')[2] ?? '',
      'the candidate': candidate,
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(value.length > 8, what);
      assert.ok(!output.includes(value), `${what} must not be logged`);
    }
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const joined = entries.filter((entry) => entry.msg === 'joined');
    assert.deepEqual(joined.map((entry) => [entry.room, entry.participantId]), [['secret-room', adaAnswer.selfId], ['secret-room', bobAnswer.selfId]]);
    assert.ok(joined.every((entry) => entry.level === 30 && typeof entry.time === 'number'));
    assert.equal(entries.filter((entry) => entry.msg === 'join refused: unauthorized').length, 2);
    assert.deepEqual(entries.filter((entry) => entry.msg === 'left').map((entry) => entry.reason), ['leave', 'disconnect']);
  });

  it('redacts secret fields even if one is ever passed to the logger', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
    logger.info({ token: 'eyJ.secret.token', request: { sdp: 'v=0 secret', session: { key: 'secret-key' } }, credential: 'c' }, 'oops');
    assert.doesNotMatch(lines.join(''), /secret|"c"/);
    assert.match(lines.join(''), /\[redacted\]/);
  });
});

describe('close()', () => {
  it('sends every client away to reconnect, tells nobody that anyone left, and refuses newcomers meanwhile', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    await joinOk(bob, { room: 'r', name: 'Bob' });
    const leaves = [...collect(ada, 'participant-left'), ...collect(bob, 'participant-left')];
    // An engine.io connection that never enters the namespace holds the close back a moment.
    const raw = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    t.after(() => raw.terminate());
    await withTimeout(new Promise((resolve) => raw.once('message', resolve)), 'the engine.io open packet');

    const reasons = Promise.all([disconnected(ada), disconnected(bob)]);
    const closed = server.signal.close();
    const refused = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), HANDSHAKE_REFUSALS.shuttingDown);
    assert.deepEqual(await reasons, ['io server disconnect', 'io server disconnect']);
    await withTimeout(closed, 'close');
    assert.deepEqual(leaves, []);
    assert.equal(server.rooms.participantCount, 0);
  });
});
