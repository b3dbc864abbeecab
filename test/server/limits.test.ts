import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  addressKey,
  clientAddress,
  ConnectionRateLimiter,
  DEFAULT_CONNECTION_RATE_LIMIT,
  DEFAULT_EVENT_RATE_LIMIT,
  EventRateLimiter,
  RelayBudget,
  TokenBucket,
} from '../../signal-server/limits.js';
import { HANDSHAKE_REFUSALS, REFUSALS } from '../../signal-server/server.js';
import { collect, connect, createClient, disconnected, emitRaw, emitWithAck, flush, joinOk, startServer, withTimeout } from './helpers.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function request(remoteAddress: string, forwardedFor?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('TokenBucket', () => {
  it('starts full, empties, and refills at its rate up to its capacity', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(3, 2, clock.now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    clock.advance(499);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
    clock.advance(60_000);
    assert.equal(bucket.tokens, 3);
    assert.equal(bucket.full, true);
    assert.throws(() => new TokenBucket(0, 1), RangeError);
  });
});

describe('RelayBudget', () => {
  it('spends bytes, at least the minimum per message, and refills at its byte rate', () => {
    const clock = fakeClock();
    const budget = new RelayBudget({ burstBytes: 10_000, bytesPerSecond: 1000, minMessageBytes: 1000 }, clock.now);
    assert.equal(budget.take(6000), true);
    assert.equal(budget.take(10), true); // counts as 1000
    assert.equal(budget.take(3500), false); // 3000 left
    assert.equal(budget.take(3000), true);
    assert.equal(budget.take(1), false);
    clock.advance(1000);
    assert.equal(budget.take(1), true);
    // A message bigger than the burst costs the whole burst, so it can still pass when full.
    clock.advance(60_000);
    assert.equal(budget.take(50_000), true);
  });
});

describe('EventRateLimiter', () => {
  it('lets a burst through, then drops with a notice at most once per second, and cuts off a flood', () => {
    const clock = fakeClock();
    const limiter = new EventRateLimiter({ burst: 4, perSecond: 2, abuseThreshold: 10, abuseWindowMs: 10_000 }, clock.now);
    const verdicts = Array.from({ length: 6 }, () => limiter.check());
    assert.deepEqual(verdicts, ['allow', 'allow', 'allow', 'allow', 'drop-and-notify', 'drop']);
    clock.advance(500); // one token back
    assert.equal(limiter.check(), 'allow');
    assert.equal(limiter.check(), 'drop');
    clock.advance(500);
    assert.equal(limiter.check(), 'allow');
    assert.equal(limiter.check(), 'drop-and-notify', 'a second since the last notice');
    // 10 drops per 10 s are tolerated (11 here: one came back during the second that
    // passed); the next one cuts off.
    const more: string[] = [];
    for (let verdict = limiter.check(); verdict !== 'disconnect'; verdict = limiter.check()) more.push(verdict);
    assert.deepEqual(new Set(more), new Set(['drop']));
    assert.equal(limiter.dropped, 12);
  });

  it('never cuts off a client that stays near its rate', () => {
    const clock = fakeClock();
    const limiter = new EventRateLimiter(DEFAULT_EVENT_RATE_LIMIT, clock.now);
    const seen = new Set<string>();
    // 60 events a second (10 over the rate) for five minutes.
    for (let ms = 0; ms < 300_000; ms += 1000 / 60) {
      clock.advance(1000 / 60);
      seen.add(limiter.check());
    }
    assert.ok(!seen.has('disconnect'));
    assert.ok(seen.has('drop-and-notify'));
  });

  it('has the documented defaults', () => {
    assert.deepEqual(DEFAULT_EVENT_RATE_LIMIT, { burst: 200, perSecond: 50, abuseThreshold: 1000, abuseWindowMs: 10_000, noticeIntervalMs: 1000 });
    assert.deepEqual(DEFAULT_CONNECTION_RATE_LIMIT, { max: 100, windowMs: 10_000 });
  });
});

describe('ConnectionRateLimiter', () => {
  it('allows max connections per window per address, reports the first refusal once, and forgets idle addresses', () => {
    const clock = fakeClock();
    const limiter = new ConnectionRateLimiter({ max: 3, windowMs: 3000 }, clock.now);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('1.2.3.4'), { allowed: true, firstRefusal: false });
    assert.deepEqual(limiter.take('1.2.3.4'), { allowed: false, firstRefusal: true });
    assert.deepEqual(limiter.take('1.2.3.4'), { allowed: false, firstRefusal: false });
    assert.equal(limiter.take('5.6.7.8').allowed, true, 'another address has its own bucket');
    clock.advance(1000);
    assert.deepEqual(limiter.take('1.2.3.4'), { allowed: true, firstRefusal: false });
    assert.deepEqual(limiter.take('1.2.3.4'), { allowed: false, firstRefusal: true });
    clock.advance(10_000);
    limiter.take('9.9.9.9');
    assert.equal(limiter.size, 1, 'full buckets are forgotten');
  });
});

describe('client addresses', () => {
  it('uses the TCP peer unless told to trust proxies', () => {
    assert.equal(clientAddress(request('10.0.0.2', '6.6.6.6')), '10.0.0.2');
    assert.equal(clientAddress(request('10.0.0.2', '6.6.6.6, 203.0.113.7'), 1), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', ['6.6.6.6', '203.0.113.7, 10.0.0.1']), 2), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', '203.0.113.7:51234'), 1), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', '[2001:db8::7]:443'), 1), '2001:db8::7');
    assert.equal(clientAddress(request('10.0.0.2'), 1), '10.0.0.2', 'no header: the peer');
    assert.equal(clientAddress(request('10.0.0.2', '203.0.113.7'), 5), '203.0.113.7', 'fewer entries than proxies: the leftmost');
  });

  it('keys IPv4 by address and IPv6 by its /64', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('::'), '0:0:0:0::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
    assert.equal(addressKey('x'.repeat(100)), 'x'.repeat(64));
  });
});

describe('signal server: event rate limit', () => {
  it('lets the busiest honest moment through: joining a room of 8 and connecting to 7 peers', async (t) => {
    const server = await startServer(t);
    const peers = await Promise.all(Array.from({ length: 7 }, () => connect(t, server)));
    const ids: string[] = [];
    for (const [index, peer] of peers.entries()) ids.push((await joinOk(peer, { room: 'full', name: `P${index}` })).selfId);
    const newcomer = await connect(t, server);
    const errors = collect(newcomer, 'rtc-error');
    const received = peers.map((peer) => collect(peer, 'signal'));
    await joinOk(newcomer, { room: 'full', name: 'New', media: { microphone: true, camera: true } });
    emitRaw(newcomer, 'update', { microphone: true });
    for (const id of ids) {
      emitRaw(newcomer, 'signal', { to: id, data: { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n'.repeat(500) } } });
      for (let c = 0; c < 20; c++) {
        emitRaw(newcomer, 'signal', { to: id, data: { kind: 'candidate', candidate: { candidate: `candidate:${c} 1 udp 2122260223 10.0.0.${c} ${5000 + c} typ host`, sdpMid: '0', sdpMLineIndex: 0 } } });
      }
      emitRaw(newcomer, 'signal', { to: id, data: { kind: 'candidate', candidate: null } });
    }
    await flush(newcomer, ...peers);
    assert.deepEqual(errors, []);
    for (const list of received) assert.equal(list.length, 22);
  });

  it('drops events beyond the limit with one rate-limited notice a second, answers acks, then cuts a flood off', async (t) => {
    const server = await startServer(t, { eventRateLimit: { burst: 5, perSecond: 1, abuseThreshold: 20 } });
    const [mallory, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(mallory, { room: 'r', name: 'M' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'B' })).selfId;
    const errors = collect(mallory, 'rtc-error');
    const bobSignals = collect(bob, 'signal');
    const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };
    for (let i = 0; i < 8; i++) emitRaw(mallory, 'signal', { to: bobId, data: offer });
    assert.deepEqual(await emitWithAck(mallory, 'signal', { to: bobId, data: offer }), {
      ok: false, error: { code: 'rate-limited', message: REFUSALS.rateLimited },
    });
    assert.deepEqual(errors, [{ code: 'rate-limited', message: REFUSALS.rateLimited, event: 'signal' }]);
    assert.ok(bobSignals.length <= 4, `at most the burst got through, got ${bobSignals.length}`);

    const cut = disconnected(mallory);
    for (let i = 0; i < 30; i++) emitRaw(mallory, 'signal', { to: bobId, data: offer });
    assert.equal(await cut, 'io server disconnect');
    assert.ok(bob.connected, 'the others stay');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /rtc_signal_abuse_disconnects_total 1/);
    assert.match(text, /rtc_signal_rejections_total\{reason="rate-limited"\} (\d+)/);
  });

  it('can be turned off', async (t) => {
    const server = await startServer(t, { eventRateLimit: false });
    const ada = await connect(t, server);
    const errors = collect(ada, 'rtc-error');
    for (let i = 0; i < 500; i++) emitRaw(ada, 'leave');
    await flush(ada);
    assert.deepEqual(errors, []);
  });
});

describe('signal server: relay budget', () => {
  it('keeps relays apart from the event budget, and answers rate-limited beyond the byte rate without cutting off', async (t) => {
    const server = await startServer(t, {
      eventRateLimit: { burst: 5, perSecond: 1, abuseThreshold: 10 },
      relayRateLimit: { burstBytes: 100_000, bytesPerSecond: 1, minMessageBytes: 1000 },
    });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'A' })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'B' })).selfId;
    const relays = collect(bob, 'relay');
    const chunk = 'A'.repeat(20_000);
    // 20 small relays: far beyond the event budget (5), well within the byte budget.
    for (let i = 0; i < 20; i++) assert.deepEqual(await emitWithAck(ada, 'relay', { to: bobId, channel: 'chat', data: `m${i}` }), { ok: true });
    // 80 000 bytes left: four chunks pass, the fifth is refused, the connection stays.
    for (let i = 0; i < 4; i++) assert.deepEqual(await emitWithAck(ada, 'relay', { to: bobId, channel: 'f', data: chunk, binary: true }), { ok: true });
    assert.deepEqual(await emitWithAck(ada, 'relay', { to: bobId, channel: 'f', data: chunk, binary: true }), {
      ok: false, error: { code: 'rate-limited', message: REFUSALS.relayRateLimited },
    });
    assert.ok(ada.connected);
    // Signaling still has its whole budget.
    assert.deepEqual(await emitWithAck(ada, 'update', { microphone: true }), { ok: true });
    await flush(bob);
    assert.equal(relays.length, 24);
    assert.deepEqual(relays[0], { from: adaId, channel: 'chat', data: 'm0' });
  });
});

describe('signal server: relay flood', () => {
  it('counts relays beyond the byte rate sent without an ack as flooding: one notice a second, then cut off', async (t) => {
    const server = await startServer(t, {
      eventRateLimit: { burst: 5, perSecond: 1, abuseThreshold: 10 },
      relayRateLimit: { burstBytes: 10_000, bytesPerSecond: 1, minMessageBytes: 1000 },
    });
    const [mallory, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(mallory, { room: 'r', name: 'M' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'B' })).selfId;
    const errors = collect(mallory, 'rtc-error');
    const relays = collect(bob, 'relay');
    // The budget holds ten: the next five are dropped with one notice, not five.
    for (let i = 0; i < 15; i++) emitRaw(mallory, 'relay', { to: bobId, channel: 'chat', data: `m${i}` });
    await flush(mallory, bob);
    assert.equal(relays.length, 10);
    assert.deepEqual(errors, [{ code: 'rate-limited', message: REFUSALS.relayRateLimited, event: 'relay' }]);
    // Going on is flooding: cut off.
    const cut = disconnected(mallory);
    for (let i = 0; i < 20; i++) emitRaw(mallory, 'relay', { to: bobId, channel: 'chat', data: 'more' });
    assert.equal(await cut, 'io server disconnect');
    assert.ok(bob.connected, 'the others stay');
  });
});

describe('signal server: connection rate limit', () => {
  function websocketStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number | undefined; body: string }> {
    return withTimeout(
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers });
        socket.on('unexpected-response', (_request, response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode, body }));
          response.on('error', () => resolve({ status: response.statusCode, body }));
        });
        socket.on('open', () => {
          socket.close();
          resolve({ status: 101, body: '' });
        });
        socket.on('error', (error) => {
          if (!/Unexpected server response/.test(error.message)) reject(error);
        });
      }),
      'the websocket handshake',
    );
  }

  it('answers 429 to handshakes beyond the limit from one address, websocket and polling alike', async (t) => {
    const server = await startServer(t, { connectionRateLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) await connect(t, server);
    const refused = await websocketStatus(server.url);
    assert.deepEqual(refused, { status: 429, body: HANDSHAKE_REFUSALS.rateLimited });
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(polling.status, 429);
    assert.ok(Number(polling.headers.get('retry-after')) >= 1);
    assert.equal(await polling.text(), HANDSHAKE_REFUSALS.rateLimited);
    const client = createClient(t, server);
    await withTimeout(new Promise((resolve) => client.once('connect_error', resolve)), 'connect_error');
    // Requests of sessions already open are not handshakes and are not counted.
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /rtc_signal_rejections_total\{reason="rate-limited"\} 3/);
  });

  it('counts clients behind trusted proxies by their forwarded address', async (t) => {
    const server = await startServer(t, { connectionRateLimit: { max: 2, windowMs: 60_000 }, trustProxy: 1 });
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': `6.6.6.6, ${address}` });
    assert.equal((await websocketStatus(server.url, from('203.0.113.1'))).status, 101);
    assert.equal((await websocketStatus(server.url, from('203.0.113.1'))).status, 101);
    assert.equal((await websocketStatus(server.url, from('203.0.113.1'))).status, 429);
    assert.equal((await websocketStatus(server.url, from('203.0.113.2'))).status, 101, 'another client behind the same proxy');
    // Without trust, everyone behind the proxy is one address: the proxy's.
    const untrusting = await startServer(t, { connectionRateLimit: { max: 2, windowMs: 60_000 } });
    assert.equal((await websocketStatus(untrusting.url, from('203.0.113.1'))).status, 101);
    assert.equal((await websocketStatus(untrusting.url, from('203.0.113.2'))).status, 101);
    assert.equal((await websocketStatus(untrusting.url, from('203.0.113.3'))).status, 429);
  });
});
