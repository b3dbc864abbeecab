import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, type IceServerInfo } from '../../src/protocol/index.js';
import { REFUSALS } from '../../signal-server/server.js';
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
  nextEvent,
  startServer,
  withTimeout,
} from './helpers.js';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;
const iceServers: IceServerInfo[] = [{ urls: ['turn:turn.example.com:3478'], username: 'u', credential: 'c' }];

describe('signal server: joining and leaving', () => {
  it('answers a join with a server-made id, the others with their media state, and the ICE servers', async (t) => {
    const server = await startServer(t, { iceServers });
    const ada = await connect(t, server);
    const bob = await connect(t, server);

    const first = await joinOk(ada, { room: 'standup', name: 'Ada', media: { microphone: true, camera: false } });
    assert.match(first.selfId, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(first.selfId, ada.id, 'the participant id is not the socket id');
    assert.deepEqual(first.participants, []);
    assert.deepEqual(first.iceServers, iceServers);
    assert.equal(first.resumed, false);

    const joinedEvent = nextEvent(ada, 'participant-joined');
    const second = await joinOk(bob, { room: 'standup', name: 'Bob', media: { camera: true } });
    assert.notEqual(second.selfId, first.selfId);
    assert.deepEqual(second, {
      ok: true,
      selfId: second.selfId,
      participants: [
        { id: first.selfId, name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null, recording: false },
      ],
      iceServers,
      resumed: false,
      topology: 'mesh',
    });
    assert.deepEqual(await joinedEvent, {
      id: second.selfId, name: 'Bob', microphone: false, camera: true, screenSharing: false, screenStreamId: null, recording: false,
    });
  });

  it('does not tell the joiner about itself, nor other rooms about anyone', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const elsewhere = await connect(t, server);
    await joinOk(elsewhere, { room: 'other', name: 'Eve' });
    const adaJoins = collect(ada, 'participant-joined');
    const elsewhereJoins = collect(elsewhere, 'participant-joined');
    await joinOk(ada, { room: 'standup', name: 'Ada' });
    await flush(ada, elsewhere);
    assert.deepEqual(adaJoins, []);
    assert.deepEqual(elsewhereJoins, []);
  });

  it('cleans the name others see, and names a nameless joiner Guest', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const bob = await connect(t, server);
    await joinOk(ada, { room: 'r', name: '  \u202Eevil\u0000 <b>x</b>  ' });
    const answer = await joinOk(bob, { room: 'r' });
    assert.equal(answer.participants[0]?.name, 'evil <b>x</b>');
    const carol = await connect(t, server);
    const carolAnswer = await joinOk(carol, { room: 'r', name: '' });
    assert.deepEqual(carolAnswer.participants.map((p) => p.name), ['evil <b>x</b>', 'Guest']);
  });

  it('tells the others when someone leaves explicitly, and the leaver gets an ok ack', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const bob = await connect(t, server);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobAnswer = await joinOk(bob, { room: 'r', name: 'Bob' });

    const left = nextEvent(ada, 'participant-left');
    assert.deepEqual(await emitWithAck(bob, 'leave'), { ok: true });
    assert.deepEqual(await left, { id: bobAnswer.selfId });
    assert.deepEqual(server.rooms.members('r').map((p) => p.name), ['Ada']);

    // Leaving again is harmless and tells nobody anything.
    const moreLeaves = collect(ada, 'participant-left');
    assert.deepEqual(await emitWithAck(bob, 'leave'), { ok: true });
    emitRaw(bob, 'leave');
    await flush(bob);
    await flush(ada);
    assert.deepEqual(moreLeaves, []);
  });

  it('tells the others when a connection drops abruptly (after the grace), and deletes the emptied room', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: 50 });
    const ada = await connect(t, server);
    const bob = await connect(t, server);
    const adaAnswer = await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobAnswer = await joinOk(bob, { room: 'r', name: 'Bob' });

    const left = nextEvent(ada, 'participant-left');
    bob.disconnect();
    assert.deepEqual(await left, { id: bobAnswer.selfId });

    const watcher = await connect(t, server);
    await joinOk(watcher, { room: 'r', name: 'W' });
    const adaLeft = nextEvent(watcher, 'participant-left');
    ada.io.engine.close(); // the transport goes away without a socket.io goodbye
    assert.deepEqual(await adaLeft, { id: adaAnswer.selfId });
    watcher.disconnect();
    await withTimeout(
      (async () => {
        while (server.rooms.roomCount > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      'the room to be deleted',
    );
    assert.equal(server.rooms.participantCount, 0);
  });

  it('lets a connection join again after leaving, with a new id', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const first = await joinOk(ada, { room: 'a', name: 'Ada' });
    await emitWithAck(ada, 'leave');
    const second = await joinOk(ada, { room: 'b', name: 'Ada' });
    assert.notEqual(second.selfId, first.selfId);
    assert.equal(server.rooms.roomOf(second.selfId), 'b');
    assert.equal(server.rooms.roomOf(first.selfId), undefined);
  });

  it('refuses a second join on the same connection', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    await joinOk(ada, { room: 'a', name: 'Ada' });
    assert.deepEqual(await join(ada, { room: 'b', name: 'Ada' }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.alreadyJoined },
    });
    assert.equal(server.rooms.members('b').length, 0);
    assert.equal(server.rooms.members('a').length, 1);
  });

  it('refuses a joiner beyond capacity with room-full, and admits one once a place frees', async (t) => {
    const server = await startServer(t, { roomCapacity: 2 });
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'small', name: 'Ada' });
    const bobJoined = nextEvent(ada, 'participant-joined');
    await joinOk(bob, { room: 'small', name: 'Bob' });
    await bobJoined;
    const adaJoins = collect(ada, 'participant-joined');

    const refused = await join(carol, { room: 'small', name: 'Carol' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'room-full');
    assert.match(!refused.ok ? refused.error.message : '', /full/);
    await flush(ada);
    assert.deepEqual(adaJoins, [], 'nobody hears of a refused joiner');

    // Another room is not affected, and a place freed is a place taken.
    await emitWithAck(bob, 'leave');
    const admitted = await joinOk(carol, { room: 'small', name: 'Carol' });
    assert.deepEqual(admitted.participants.map((p) => p.name), ['Ada']);
  });

  it('refuses invalid joins with invalid-input and does not add anyone', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    for (const request of [{ room: '../etc', name: 'x' }, { room: 'a', name: 5 }, { name: 'x' }, { room: 'a'.repeat(65) }]) {
      const answer = await join(ada, request);
      assert.equal(answer.ok, false, JSON.stringify(request));
      assert.equal(!answer.ok && answer.error.code, 'invalid-input');
    }
    assert.deepEqual(await emitWithAck(ada, 'join', null), { ok: false, error: { code: 'invalid-input', message: 'the join request must be an object' } });
    assert.deepEqual(await emitWithAck(ada, 'join', [1, 2]), { ok: false, error: { code: 'invalid-input', message: 'the join request must be an object' } });
    assert.equal(server.rooms.participantCount, 0);
    await joinOk(ada, { room: 'a', name: 'Ada' });
  });

  it('refuses a join without an ack through rtc-error', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const error = nextEvent(ada, 'rtc-error');
    emitRaw(ada, 'join', { room: 'a', name: 'Ada' });
    assert.deepEqual(await error, { code: 'invalid-input', message: REFUSALS.joinNeedsAck, event: 'join' });
    assert.equal(server.rooms.participantCount, 0);
  });
});

describe('signal server: signals and updates', () => {
  it('relays a signal to its target only, with from set by the server and unknown fields dropped', async (t) => {
    const server = await startServer(t);
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const carolId = (await joinOk(carol, { room: 'r', name: 'Carol' })).selfId;
    const carolSignals = collect(carol, 'signal');
    const adaSignals = collect(ada, 'signal');

    const received = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', {
      to: bobId,
      from: carolId, // forged
      data: { ...offer, description: { ...offer.description, injected: true }, extra: 'x' },
    });
    assert.deepEqual(await received, { from: adaId, data: offer });

    const candidate = { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    const second = nextEvent(bob, 'signal');
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: candidate }), { ok: true });
    assert.deepEqual(await second, { from: adaId, data: candidate });

    await flush(carol, ada);
    assert.deepEqual(carolSignals, []);
    assert.deepEqual(adaSignals, []);
  });

  it('refuses a signal to someone in another room, to nobody, or to oneself', async (t) => {
    const server = await startServer(t);
    const [ada, eve] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    const eveId = (await joinOk(eve, { room: 'other', name: 'Eve' })).selfId;
    const eveSignals = collect(eve, 'signal');
    const adaSignals = collect(ada, 'signal');

    const error = nextEvent(ada, 'rtc-error');
    emitRaw(ada, 'signal', { to: eveId, data: offer });
    assert.deepEqual(await error, { code: 'invalid-input', message: REFUSALS.notInRoom, event: 'signal' });

    assert.deepEqual(await emitWithAck(ada, 'signal', { to: 'AAAAAAAAAAAAAAAAAAAAAA', data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: adaId, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.signalSelf },
    });
    // The socket id is not a participant id.
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: eve.id, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });
    await flush(eve, ada);
    assert.deepEqual(eveSignals, []);
    assert.deepEqual(adaSignals, []);
  });

  it('refuses a signal to someone who has left', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    await emitWithAck(bob, 'leave');
    const bobSignals = collect(bob, 'signal');
    assert.deepEqual(await emitWithAck(ada, 'signal', { to: bobId, data: offer }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notInRoom },
    });
    await flush(bob);
    assert.deepEqual(bobSignals, []);
  });

  it('refuses invalid signals without relaying them', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const bobSignals = collect(bob, 'signal');
    const errors = collect(ada, 'rtc-error');
    const bad: unknown[] = [
      null, 7, 'x', [bobId, offer], { to: bobId }, { to: bobId, data: { kind: 'description', description: { type: 'offer', sdp: 42 } } },
      { to: bobId, data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSdpLength + 1) } } },
      { to: bobId, data: { kind: 'candidate', candidate: { candidate: { nested: { deeper: [1, 2, { x: null }] } } } } },
      JSON.parse(`{"to":"${bobId}","data":{"__proto__":${JSON.stringify(offer)}}}`),
    ];
    for (const payload of bad) emitRaw(ada, 'signal', payload);
    await flush(ada, bob);
    assert.equal(errors.length, bad.length);
    for (const error of errors) {
      assert.equal(error.code, 'invalid-input');
      assert.equal(error.event, 'signal');
      assert.ok(error.message.length > 0);
    }
    assert.deepEqual(bobSignals, []);
  });

  it('broadcasts an update to the others as the whole participant, and stores it', async (t) => {
    const server = await startServer(t);
    const [ada, bob, carol] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', media: { microphone: true, camera: true } })).selfId;
    await joinOk(bob, { room: 'r', name: 'Bob' });
    await joinOk(carol, { room: 'r', name: 'Carol' });
    const adaUpdates = collect(ada, 'participant-updated');
    const bobUpdate = nextEvent(bob, 'participant-updated');
    const carolUpdate = nextEvent(carol, 'participant-updated');

    emitRaw(ada, 'update', { camera: false, screenSharing: true, screenStreamId: 'screen-1', recording: true, name: ' Ada L. ', id: 'forged' });
    const expected = { id: adaId, name: 'Ada L.', microphone: true, camera: false, screenSharing: true, screenStreamId: 'screen-1', recording: true };
    assert.deepEqual(await bobUpdate, expected);
    assert.deepEqual(await carolUpdate, expected);
    await flush(ada);
    assert.deepEqual(adaUpdates, []);

    // A later joiner sees the stored state.
    const dan = await connect(t, server);
    const answer = await joinOk(dan, { room: 'r', name: 'Dan' });
    assert.deepEqual(answer.participants.find((p) => p.id === adaId), expected);
  });

  it('refuses an invalid update without broadcasting or storing it', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada' })).selfId;
    await joinOk(bob, { room: 'r', name: 'Bob' });
    const bobUpdates = collect(bob, 'participant-updated');
    const error = nextEvent(ada, 'rtc-error');
    emitRaw(ada, 'update', { camera: 'yes' });
    assert.deepEqual(await error, { code: 'invalid-input', message: 'camera must be true or false', event: 'update' });
    assert.deepEqual(await emitWithAck(ada, 'update', [true]), {
      ok: false, error: { code: 'invalid-input', message: 'the update must be an object' },
    });
    await flush(bob);
    assert.deepEqual(bobUpdates, []);
    assert.equal(server.rooms.get(adaId)?.camera, false);
  });
});

describe('signal server: refusals and garbage', () => {
  it('refuses signal and update before join, and answers leave before join with ok', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const bobEvents = [...collect(bob, 'signal'), ...collect(bob, 'participant-updated')];
    const errors = collect(ada, 'rtc-error');

    emitRaw(ada, 'signal', { to: bobId, data: offer });
    emitRaw(ada, 'update', { camera: true });
    assert.deepEqual(await emitWithAck(ada, 'update', { camera: true }), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.notJoined },
    });
    assert.deepEqual(await emitWithAck(ada, 'leave'), { ok: true });
    await flush(ada, bob);
    assert.deepEqual(errors, [
      { code: 'invalid-input', message: REFUSALS.notJoined, event: 'signal' },
      { code: 'invalid-input', message: REFUSALS.notJoined, event: 'update' },
    ]);
    assert.deepEqual(bobEvents, []);
  });

  it('refuses unknown events, echoing a cleaned name', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const errors = collect(ada, 'rtc-error');
    emitRaw(ada, 'participant-joined', { id: 'x', name: 'fake' });
    emitRaw(ada, 'hasOwnProperty');
    emitRaw(ada, `evil\u0000${'e'.repeat(500)}`);
    assert.deepEqual(await emitWithAck(ada, 'constructor', {}), {
      ok: false, error: { code: 'invalid-input', message: REFUSALS.unknownEvent },
    });
    await flush(ada);
    assert.deepEqual(errors.map((e) => [e.code, e.message, e.event]), [
      ['invalid-input', REFUSALS.unknownEvent, 'participant-joined'],
      ['invalid-input', REFUSALS.unknownEvent, 'hasOwnProperty'],
      ['invalid-input', REFUSALS.unknownEvent, `evil${'e'.repeat(60)}`],
    ]);
  });

  it('survives an event named "error" and garbage arguments', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    const errors = collect(ada, 'rtc-error');
    emitRaw(ada, 'error', new Error('boom'));
    emitRaw(ada, 'error');
    emitRaw(ada, 'join', Buffer.from('binary'), 'ack?');
    emitRaw(ada, 'signal', undefined, null, 5);
    emitRaw(ada, 'update', { camera: { toString: 'x' } });
    emitRaw(ada, 'leave', 'not a function');
    emitRaw(ada, '__proto__', { polluted: true });
    emitRaw(ada, 'join', JSON.parse('{"__proto__":{"room":"a"},"room":{"__proto__":"x"}}'));
    await flush(ada);
    assert.ok(errors.length >= 6, `every refused event is answered, got ${errors.length}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(ada.connected);
    const answer = await joinOk(ada, { room: 'still-alive', name: 'Ada' });
    assert.equal(answer.ok, true);
  });

  it('survives malformed packets on the wire and keeps serving others', async (t) => {
    const server = await startServer(t);
    const bystander = await connect(t, server);
    await joinOk(bystander, { room: 'r', name: 'B' });
    const rawPackets = [
      '42["join"', // truncated JSON
      '42[1,2,3]', // event name not a string
      '42["disconnect"]', // reserved name
      '42{"room":"a"}', // not an array
      '4299999999999999999999["join",{}]', // absurd ack id
      '451-["join",{"_placeholder":true,"num":7}]', // binary attachment that never comes
      '49', // unknown packet type
      '42["join",{"room":"a","name":"' + '\\u0000'.repeat(100) + '"}]',
      'not socket.io at all',
    ];
    for (const packet of rawPackets) {
      const attacker = await connect(t, server);
      attacker.io.engine.send(packet);
      // Either refused with an error or cut off; never a crash.
      await Promise.race([disconnected(attacker), flush(attacker)]).catch(() => {});
      attacker.disconnect();
    }
    const newcomer = await connect(t, server);
    const answer = await joinOk(newcomer, { room: 'r', name: 'N' });
    assert.deepEqual(answer.participants.map((p) => p.name), ['B']);
  });

  it('closes a connection that sends a frame over the cap, and only that one', async (t) => {
    const server = await startServer(t, { disconnectGraceMs: 0 });
    const [ada, bob, mallory] = await Promise.all([connect(t, server), connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    await joinOk(mallory, { room: 'r', name: 'Mallory' });
    const bobSignals = collect(bob, 'signal');

    const cut = disconnected(mallory);
    const left = nextEvent(ada, 'participant-left');
    emitRaw(mallory, 'signal', { to: bobId, data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxFrameBytes + 1) } } });
    assert.equal(await cut, 'transport close');
    assert.equal((await left).id.length, 22, 'the others hear the cut-off participant left');

    // The rest of the room works on.
    const received = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', { to: bobId, data: offer });
    assert.deepEqual((await received).data, offer);
    assert.equal(bobSignals.length, 1, 'the oversized signal never arrived');
  });

  it('accepts a signal with the largest allowed SDP', async (t) => {
    const server = await startServer(t);
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const bobId = (await joinOk(bob, { room: 'r', name: 'Bob' })).selfId;
    const sdp = 'x'.repeat(LIMITS.maxSdpLength);
    const received = nextEvent(bob, 'signal');
    emitRaw(ada, 'signal', { to: bobId, data: { kind: 'description', description: { type: 'offer', sdp } } });
    const signal = await received;
    assert.equal(signal.data.kind === 'description' && signal.data.description.sdp, sdp);
  });
});

describe('signal server: origins and closing', () => {
  it('refuses a handshake from an origin that is not allowed', async (t) => {
    const server = await startServer(t, { allowedOrigins: ['https://good.example'] });
    const evil = createClient(t, server, { origin: 'https://evil.example' });
    const error = await withTimeout(new Promise<Error>((resolve) => evil.once('connect_error', resolve)), 'connect_error');
    assert.ok(error instanceof Error);
    assert.equal(evil.connected, false);

    const good = await connect(t, server, { origin: 'https://GOOD.example:443/' });
    await joinOk(good, { room: 'r', name: 'Good' });
    const samePage = await connect(t, server, { origin: server.url });
    await joinOk(samePage, { room: 'r', name: 'Demo page' });
    const noOrigin = await connect(t, server);
    await joinOk(noOrigin, { room: 'r', name: 'Not a browser' });
  });

  it('allows any origin when none are configured', async (t) => {
    const server = await startServer(t);
    const anyone = await connect(t, server, { origin: 'https://anywhere.example' });
    await joinOk(anyone, { room: 'r', name: 'Anyone' });
  });

  it('hands out fresh ICE servers per join when given a function', async (t) => {
    let calls = 0;
    const server = await startServer(t, { iceServers: () => [{ urls: 'turn:t.example', username: `u${++calls}`, credential: 'c' }] });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    assert.equal((await joinOk(ada, { room: 'r' })).iceServers[0]?.username, 'u1');
    assert.equal((await joinOk(bob, { room: 'r' })).iceServers[0]?.username, 'u2');
  });

  it('close() disconnects clients and stops the http server; it is idempotent', async (t) => {
    const server = await startServer(t);
    const ada = await connect(t, server);
    await joinOk(ada, { room: 'r', name: 'Ada' });
    const cut = disconnected(ada);
    await withTimeout(Promise.all([server.signal.close(), server.signal.close()]), 'close');
    await cut;
    assert.equal(server.httpServer.listening, false);
  });
});
