/**
 * The room stores: one table of behavioural cases run against both `MemoryRoomStore`
 * and `RedisRoomStore` (on a real, throwaway redis-server), then what only Redis can
 * show: several store instances ("processes") sharing one Redis, crashed processes swept,
 * readiness across a Redis restart, and the socket.io streams adapter relaying to one
 * participant from one server to another.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { createRedisAdapter, participantChannel } from '../../signal-server/redis-adapter.js';
import { RedisRoomStore, type RedisRoomStoreOptions } from '../../signal-server/redis-room-store.js';
import { MemoryRoomStore, type RoomLeaveResult, type RoomStore } from '../../signal-server/room-store.js';
import { until, withTimeout } from './helpers.js';
import { startRedis, type TestRedis } from './redis-helpers.js';

const person = (id: string, name = id) => ({ id, name });
const sha256 = (key: string): Buffer => createHash('sha256').update(key).digest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const full = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id, name, microphone: false, camera: false, screenSharing: false, screenStreamId: null, recording: false, ...extra,
});

/** Makes a store with this capacity (default 8); every store a case makes shares one backend. */
type MakeStore = (capacity?: number) => Promise<RoomStore>;
type Case = [name: string, run: (make: MakeStore) => Promise<void>];

const cases: Case[] = [
  ['answers the others already in the room, with their media state', async (make) => {
    const rooms = await make();
    assert.deepEqual(await rooms.join('a', { ...person('p1', 'Ada'), microphone: true }), {
      ok: true, participant: full('p1', 'Ada', { microphone: true }), others: [],
    });
    const second = await rooms.join('a', { ...person('p2', 'Bob'), camera: true });
    assert.ok(second.ok);
    assert.deepEqual(second.participant, full('p2', 'Bob', { camera: true }));
    assert.deepEqual(second.others, [full('p1', 'Ada', { microphone: true })]);
    assert.deepEqual((await rooms.members('a')).map((p) => p.id), ['p1', 'p2']);
  }],

  ['lists members in joining order', async (make) => {
    const rooms = await make();
    const ids = ['k', 'b', 'z', 'a', 'm', 'c'];
    for (const id of ids) assert.ok((await rooms.join('a', person(id))).ok);
    assert.deepEqual((await rooms.members('a')).map((p) => p.id), ids);
    const last = await rooms.join('a', person('last'));
    assert.ok(last.ok);
    assert.deepEqual(last.others.map((p) => p.id), ids);
  }],

  ['keeps rooms apart', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1'));
    const other = await rooms.join('b', person('p2'));
    assert.ok(other.ok);
    assert.deepEqual(other.others, []);
    assert.equal(await rooms.roomOf('p1'), 'a');
    assert.equal(await rooms.roomOf('p2'), 'b');
    assert.equal(await rooms.roomCount(), 2);
    assert.equal(await rooms.participantCount(), 2);
  }],

  ['refuses a joiner beyond capacity, and admits one again after someone leaves', async (make) => {
    const rooms = await make(2);
    assert.equal(rooms.capacity, 2);
    assert.ok((await rooms.join('a', person('p1'))).ok);
    assert.ok((await rooms.join('a', person('p2'))).ok);
    assert.deepEqual(await rooms.join('a', person('p3')), { ok: false, reason: 'room-full' });
    assert.equal(await rooms.roomOf('p3'), undefined);
    assert.equal((await rooms.members('a')).length, 2);
    await rooms.leave('p1');
    assert.ok((await rooms.join('a', person('p3'))).ok);
  }],

  ['admits exactly capacity joiners when they all arrive at once', async (make) => {
    const rooms = await make(8);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => rooms.join('a', person(`p${i}`))));
    assert.equal(answers.filter((answer) => answer.ok).length, 8);
    assert.ok(answers.every((answer) => answer.ok || answer.reason === 'room-full'));
    assert.equal((await rooms.members('a')).length, 8);
  }],

  ['puts an id in one room at most', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1'));
    assert.deepEqual(await rooms.join('b', person('p1')), { ok: false, reason: 'already-joined' });
    assert.deepEqual(await rooms.join('a', person('p1')), { ok: false, reason: 'already-joined' });
    assert.equal((await rooms.members('a')).length, 1);
    assert.equal(await rooms.roomCount(), 1);
  }],

  ['deletes a room when its last participant leaves; leave is idempotent', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1', 'Ada'));
    await rooms.join('a', person('p2'));
    assert.deepEqual(await rooms.leave('p1'), { room: 'a', participant: full('p1', 'Ada') });
    assert.equal(await rooms.leave('p1'), undefined);
    assert.equal(await rooms.roomCount(), 1);
    await rooms.leave('p2');
    assert.equal(await rooms.roomCount(), 0);
    assert.equal(await rooms.participantCount(), 0);
    assert.deepEqual(await rooms.members('a'), []);
    assert.equal(await rooms.leave('never-joined'), undefined);
    assert.ok((await rooms.join('b', person('p1'))).ok, 'an id that left may join anywhere');
  }],

  ['updates media state and name, and answers the whole participant', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1', 'Ada'));
    assert.deepEqual(await rooms.update('p1', { camera: true, screenSharing: true, screenStreamId: 's1' }),
      full('p1', 'Ada', { camera: true, screenSharing: true, screenStreamId: 's1' }));
    assert.equal((await rooms.update('p1', { name: 'Ada L.' }))?.name, 'Ada L.');
    assert.equal((await rooms.get('p1'))?.camera, true, 'fields absent from a patch keep their value');
    assert.equal((await rooms.update('p1', { screenSharing: false, screenStreamId: null }))?.screenStreamId, null);
    assert.deepEqual(await rooms.get('p1'), full('p1', 'Ada L.', { camera: true }));
    assert.equal(await rooms.update('nobody', { camera: true }), undefined);
    const unknownField = { camera: false, admin: true } as unknown as { camera: boolean };
    assert.deepEqual(await rooms.update('p1', unknownField), full('p1', 'Ada L.'), 'only protocol fields are kept');
  }],

  ['stores and updates the recording flag, false by default', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1'));
    await rooms.join('a', { ...person('p2'), recording: true });
    assert.equal((await rooms.get('p1'))?.recording, false);
    assert.equal((await rooms.get('p2'))?.recording, true);
    assert.equal((await rooms.update('p1', { recording: true }))?.recording, true);
    assert.equal((await rooms.update('p1', { camera: true }))?.recording, true, 'a patch without it keeps it');
    assert.equal((await rooms.update('p1', { recording: false }))?.recording, false);
  }],

  ['keeps names as given, unicode and JSON-looking text included', async (make) => {
    const rooms = await make();
    const names = ['Zoë 😀 / \\ "quoted"', '{"p":1}', '名前', ''];
    for (const [i, name] of names.entries()) await rooms.join('a', person(`p${i}`, name));
    assert.deepEqual((await rooms.members('a')).map((p) => p.name), names);
  }],

  ['matches a session key hash only for the participant that joined with it, and forgets it on leave', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1'), sha256('key-one'));
    await rooms.join('a', person('p2'));
    assert.equal(await rooms.keyMatches('p1', sha256('key-one')), true);
    assert.equal(await rooms.keyMatches('p1', sha256('key-two')), false);
    assert.equal(await rooms.keyMatches('p1', Buffer.alloc(0)), false);
    assert.equal(await rooms.keyMatches('p1', sha256('key-one').subarray(0, 16)), false);
    assert.equal(await rooms.keyMatches('p2', sha256('key-one')), false, 'no key sent, nothing matches');
    assert.equal(await rooms.keyMatches('nobody', sha256('key-one')), false);
    const handedOut = JSON.stringify([await rooms.members('a'), await rooms.get('p1'), await rooms.leave('p2')]);
    assert.equal(handedOut.includes('key') || handedOut.includes(sha256('key-one').toString('hex')), false, 'the hash is never handed out');
    await rooms.leave('p1');
    assert.equal(await rooms.keyMatches('p1', sha256('key-one')), false);
    await rooms.join('b', person('p1'));
    assert.equal(await rooms.keyMatches('p1', sha256('key-one')), false, 'a new join under the same id has no old key');
  }],

  ['rejoins a participant in place, resetting its state as a join would and keeping its key', async (make) => {
    const rooms = await make(2);
    await rooms.join('a', { ...person('p1', 'Ada'), camera: true, screenSharing: true, screenStreamId: 's' }, sha256('k'));
    await rooms.join('a', person('p2', 'Bob'));
    assert.deepEqual(await rooms.rejoin({ id: 'p1', name: 'Ada L.', microphone: true }), {
      participant: full('p1', 'Ada L.', { microphone: true }),
      others: [full('p2', 'Bob')],
    });
    assert.deepEqual((await rooms.members('a')).map((p) => p.id), ['p1', 'p2'], 'joining order kept');
    assert.equal(await rooms.participantCount(), 2);
    assert.equal(await rooms.keyMatches('p1', sha256('k')), true);
    assert.equal(await rooms.rejoin({ id: 'nobody', name: 'x' }), undefined);
  }],

  ['marks a participant offline until it rejoins, still listed and counted', async (make) => {
    const rooms = await make(2);
    await rooms.join('a', person('p1'));
    await rooms.join('a', person('p2'));
    assert.equal(await rooms.isOnline('p1'), true);
    assert.equal(await rooms.markOffline('p1'), true);
    assert.equal(await rooms.isOnline('p1'), false);
    assert.equal(await rooms.isOnline('p2'), true);
    assert.deepEqual((await rooms.members('a')).map((p) => p.id), ['p1', 'p2']);
    assert.deepEqual(await rooms.join('a', person('p3')), { ok: false, reason: 'room-full' }, 'counts against capacity');
    assert.ok(await rooms.rejoin(person('p1')));
    assert.equal(await rooms.isOnline('p1'), true);
    await rooms.markOffline('p1');
    await rooms.leave('p1');
    assert.equal(await rooms.isOnline('p1'), false);
    assert.equal(await rooms.markOffline('p1'), false, 'nobody to mark');
    await rooms.join('a', person('p1'));
    assert.equal(await rooms.isOnline('p1'), true, 'a fresh join is online');
    assert.equal(await rooms.isOnline('nobody'), false);
  }],

  ['leaves with onlyIfOwned what this store owns', async (make) => {
    const rooms = await make();
    await rooms.join('a', person('p1', 'Ada'));
    assert.deepEqual(await rooms.leave('p1', { onlyIfOwned: true }), { room: 'a', participant: full('p1', 'Ada') });
    assert.equal(await rooms.roomOf('p1'), undefined);
  }],

  ['hands out copies, never its own records', async (make) => {
    const rooms = await make();
    const joined = await rooms.join('a', person('p1', 'Ada'));
    assert.ok(joined.ok);
    joined.participant.name = 'Mallory';
    const member = (await rooms.members('a'))[0];
    assert.ok(member);
    member.camera = true;
    const fetched = await rooms.get('p1');
    assert.ok(fetched);
    fetched.microphone = true;
    assert.deepEqual(await rooms.get('p1'), full('p1', 'Ada'));
  }],

  ['treats room names and ids as plain keys, __proto__ and separators included', async (make) => {
    const rooms = await make();
    assert.ok((await rooms.join('__proto__', person('p1'))).ok);
    assert.ok((await rooms.join('constructor', person('p2'))).ok);
    assert.ok((await rooms.join('a:b', person('x:y'))).ok);
    assert.deepEqual((await rooms.members('__proto__')).map((p) => p.id), ['p1']);
    assert.deepEqual((await rooms.members('toString')), []);
    assert.deepEqual((await rooms.members('a')), []);
    assert.equal(await rooms.roomOf('x:y'), 'a:b');
  }],

  ['moves a room to the SFU once above the limit, exactly once for concurrent callers, and forgets it with the room', async (make) => {
    const rooms = await make();
    for (const id of ['p1', 'p2', 'p3']) await rooms.join('a', person(id));
    assert.deepEqual(await rooms.moveToSfuAbove('a', 3), { topology: 'mesh', switched: false });
    assert.equal(await rooms.topology('a'), 'mesh');
    await rooms.join('a', person('p4'));
    const results = await Promise.all([rooms.moveToSfuAbove('a', 3), rooms.moveToSfuAbove('a', 3), rooms.moveToSfuAbove('a', 3)]);
    assert.deepEqual(results.map((r) => r.topology), ['sfu', 'sfu', 'sfu']);
    assert.equal(results.filter((r) => r.switched).length, 1, 'one caller moved it');
    assert.equal(await rooms.topology('a'), 'sfu');
    assert.equal(await rooms.topology('b'), 'mesh');
    assert.equal(await rooms.sfuRoomCount(), 1);
    for (const id of ['p1', 'p2', 'p3']) await rooms.leave(id);
    assert.equal(await rooms.topology('a'), 'sfu', 'never back while it lives');
    await rooms.leave('p4');
    assert.equal(await rooms.topology('a'), 'mesh', 'forgotten with the room');
    assert.equal(await rooms.sfuRoomCount(), 0);
  }],
  ['rejects a capacity that is not a positive integer', async (make) => {
    await assert.rejects(make(0), RangeError);
    await assert.rejects(make(2.5), RangeError);
    await assert.rejects(make(Number.NaN), RangeError);
  }],

  ['is ready, and closes idempotently', async (make) => {
    const rooms = await make();
    assert.equal(await rooms.ready(), true);
    await rooms.close();
    await rooms.close();
  }],
];

describe('MemoryRoomStore', () => {
  for (const [name, run] of cases) {
    it(name, () => run(async (capacity = 8) => new MemoryRoomStore({ capacity })));
  }
});

describe('RedisRoomStore', () => {
  let redis: TestRedis;
  let prefixes = 0;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.dispose());

  /** A store factory for one test: its own key prefix, stores closed when the test ends. */
  function storesFor(t: TestContext, url = redis.url, extra: Partial<RedisRoomStoreOptions> = {}) {
    const keyPrefix = `t${++prefixes}:`;
    return async (capacity = 8, more: Partial<RedisRoomStoreOptions> = {}): Promise<RedisRoomStore> => {
      const store = await RedisRoomStore.connect(url, { capacity, keyPrefix, ...extra, ...more });
      t.after(() => store.close());
      return store;
    };
  }

  for (const [name, run] of cases) {
    it(name, (t) => run(storesFor(t)));
  }

  it('two processes: capacity holds under 100 concurrent joins (exactly 8 admitted)', async (t) => {
    const make = storesFor(t);
    const [a, b] = await Promise.all([make(8), make(8)]);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).join('busy', person(`p${i}`))),
    );
    const admitted = answers.filter((answer) => answer.ok);
    assert.equal(admitted.length, 8);
    assert.equal(answers.filter((answer) => !answer.ok && answer.reason === 'room-full').length, 92);
    const ids = (await a.members('busy')).map((p) => p.id);
    assert.equal(new Set(ids).size, 8);
    assert.deepEqual((await b.members('busy')).map((p) => p.id), ids);
    assert.deepEqual(new Set(ids), new Set(admitted.map((answer) => answer.ok && answer.participant.id)));
    assert.equal(await b.participantCount(), 8);
  });

  it('two processes: a participant joined through one is seen and changed through the other', async (t) => {
    const make = storesFor(t);
    const [a, b] = await Promise.all([make(), make()]);
    await a.join('r', person('p1', 'Ada'), sha256('k'));
    assert.deepEqual(await b.members('r'), [full('p1', 'Ada')]);
    assert.equal(await b.roomOf('p1'), 'r');
    assert.equal(await b.keyMatches('p1', sha256('k')), true);
    assert.deepEqual(await b.join('other', person('p1')), { ok: false, reason: 'already-joined' });
    await b.update('p1', { camera: true });
    assert.equal((await a.get('p1'))?.camera, true);
    assert.deepEqual((await b.leave('p1'))?.room, 'r');
    assert.deepEqual(await a.members('r'), []);
  });

  it('two processes: a participant that resumed elsewhere is not removed by its old process', async (t) => {
    const make = storesFor(t);
    const [a, b] = await Promise.all([make(), make()]);
    await a.join('r', person('p1'), sha256('k'));
    assert.equal(await a.markOffline('p1'), true, 'its connection to A dropped');
    assert.equal(await b.isOnline('p1'), false, 'every process sees it offline');
    assert.ok(await b.rejoin(person('p1', 'Ada')), 'it resumes through B');
    assert.equal(await a.isOnline('p1'), true);
    assert.equal(await a.markOffline('p1'), false, "A's late disconnect does not touch it");
    assert.equal(await a.leave('p1', { onlyIfOwned: true }), undefined, "A's grace running out does not remove it");
    assert.equal(await a.roomOf('p1'), 'r');
    assert.equal((await b.leave('p1', { onlyIfOwned: true }))?.participant.name, 'Ada');
  });

  it('removeParticipantsOf(instance) removes exactly that instance’s participants, and answers them', async (t) => {
    const make = storesFor(t);
    const [a, b] = await Promise.all([make(), make()]);
    await a.join('r1', person('a1'));
    await b.join('r1', person('b1'));
    await a.join('r2', person('a2'));
    const removed = await b.removeParticipantsOf(a.instanceId);
    assert.deepEqual(byId(removed), [{ room: 'r1', participant: full('a1', 'a1') }, { room: 'r2', participant: full('a2', 'a2') }]);
    assert.deepEqual((await b.members('r1')).map((p) => p.id), ['b1']);
    assert.equal(await b.roomCount(), 1, 'the emptied room is gone');
    assert.deepEqual(await b.removeParticipantsOf(a.instanceId), []);
  });

  it('sweeps the participants of a dead instance only, and only once', async (t) => {
    const make = storesFor(t);
    const [a, b, c] = await Promise.all([make(), make(), make()]);
    await a.join('r1', person('a1'));
    await a.join('r2', person('a2'));
    await b.join('r1', person('b1'));
    await c.join('r3', person('c1'));
    assert.deepEqual(await b.sweepDeadInstances(), [], 'everyone alive: nothing to sweep');
    await a.close(); // its heartbeat key goes with it, as it would expire after a crash
    const [fromB, fromC] = await Promise.all([b.sweepDeadInstances(), c.sweepDeadInstances()]);
    const removed = [...fromB, ...fromC];
    assert.deepEqual(byId(removed), [{ room: 'r1', participant: full('a1', 'a1') }, { room: 'r2', participant: full('a2', 'a2') }]);
    assert.deepEqual((await b.members('r1')).map((p) => p.id), ['b1']);
    assert.deepEqual((await b.members('r3')).map((p) => p.id), ['c1']);
    assert.deepEqual(await b.sweepDeadInstances(), []);
  });

  it('sweeps by itself the participants of a crashed process once its heartbeat expires', async (t) => {
    const make = storesFor(t);
    const swept: RoomLeaveResult[] = [];
    const survivor = await make(8, { heartbeatIntervalMs: 100, instanceTtlMs: 400, onParticipantsSwept: (removed) => swept.push(...removed) });
    const keyPrefix = `t${prefixes}:`;
    await survivor.join('r', person('stays'));

    // Another process joins two participants, then is killed without any cleanup.
    const storeModule = new URL('../../signal-server/redis-room-store.ts', import.meta.url).href;
    const script = `
      import { RedisRoomStore } from ${JSON.stringify(storeModule)};
      const store = await RedisRoomStore.connect(${JSON.stringify(redis.url)}, { capacity: 8, keyPrefix: ${JSON.stringify(keyPrefix)}, heartbeatIntervalMs: 100, instanceTtlMs: 1000 });
      await store.join('r', { id: 'doomed1', name: 'x' });
      await store.join('r2', { id: 'doomed2', name: 'y' });
      console.log('joined');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await withTimeout(new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('joined') && resolve());
      child.once('exit', () => reject(new Error(`child exited: ${stderr}`)));
    }), 'the other process to join', 10_000);

    await sleep(1300); // longer than its heartbeat's lifetime (1 s): while it beats, it is left alone
    assert.deepEqual(swept, []);
    assert.equal((await survivor.members('r')).length, 2);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(() => swept.length === 2, 'the crashed process to be swept', 4000);
    const sweptAfter = Date.now() - killedAt;
    t.diagnostic(`swept ${sweptAfter} ms after the kill (heartbeat lifetime 1000 ms, sweep every 100 ms)`);
    assert.ok(sweptAfter < 2500, 'within its heartbeat lifetime plus a sweep');
    assert.deepEqual(byId(swept), [{ room: 'r', participant: full('doomed1', 'x') }, { room: 'r2', participant: full('doomed2', 'y') }]);
    assert.deepEqual((await survivor.members('r')).map((p) => p.id), ['stays']);
    assert.equal(await survivor.roomCount(), 1);
  });

  it('is not ready while Redis is down, fails fast meanwhile, and recovers after a restart', async (t) => {
    const own = await startRedis();
    t.after(() => own.dispose());
    let lost = 0;
    const store = await storesFor(t, own.url, { heartbeatIntervalMs: 100, instanceTtlMs: 400, onError: () => {} })(8, {
      onStateLost: () => lost++,
    });
    await store.join('r', person('p1'));
    assert.equal(await store.ready(), true);

    await own.stop();
    await pollUntil(async () => !(await store.ready()), 'ready() to turn false', 3000);
    const started = Date.now();
    await assert.rejects(store.join('r', person('p2')));
    assert.ok(Date.now() - started < 500, 'an operation fails at once instead of waiting for Redis');

    await own.start();
    await pollUntil(() => store.ready(), 'ready() to turn true again', 5000);
    // The restarted Redis kept nothing: the heartbeat notices, so the server can make its clients resume.
    await until(() => lost === 1, 'onStateLost after the data loss', 2000);
    assert.ok((await store.join('r', person('p2'))).ok);
    assert.deepEqual((await store.members('r')).map((p) => p.id), ['p2']);
  });

  it('refuses to start when Redis cannot be reached', async () => {
    const down = await startRedis();
    await down.dispose();
    await assert.rejects(withTimeout(RedisRoomStore.connect(down.url, { capacity: 8, onError: () => {} }), 'connect to fail', 8000));
  });

  it('streams adapter: io.to("p:<id>") on server A reaches the participant connected to server B', async (t) => {
    const servers = await Promise.all([startIo(t, redis.url), startIo(t, redis.url)]);
    const [a, b] = servers as [IoServer, IoServer];
    b.io.on('connection', (socket) => {
      void socket.join(participantChannel('bob'));
    });
    const client = connectClient(b.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => {
      client.disconnect();
    });
    await withTimeout(new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    }), 'client connect');

    // The adapters start reading the stream a moment after they are made: repeat until one arrives.
    const warm = new Promise<void>((resolve) => client.once('warm', () => resolve()));
    const warming = setInterval(() => a.io.to(participantChannel('bob')).emit('warm'), 50);
    try {
      await withTimeout(warm, 'the first relayed message', 5000);
    } finally {
      clearInterval(warming);
    }

    const received: unknown[] = [];
    client.on('signal', (message: unknown) => received.push(message));
    a.io.to(participantChannel('bob')).emit('signal', { from: 'ada', data: { type: 'offer', sdp: 'v=0' } });
    a.io.to(participantChannel('nobody')).emit('signal', { from: 'ada', data: 'not for bob' });
    await until(() => received.length > 0, 'the relayed signal');
    await sleep(100);
    assert.deepEqual(received, [{ from: 'ada', data: { type: 'offer', sdp: 'v=0' } }], 'exactly once, only what was meant for bob');

    // Bob resumes through A: his new socket joins p:bob there, and his previous one, on B,
    // is cut off. `except` spares the new socket, which the (asynchronous) disconnect
    // would otherwise reach too.
    a.io.on('connection', (socket) => {
      void socket.join(participantChannel('bob'));
    });
    const fresh = connectClient(a.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => {
      fresh.disconnect();
    });
    await withTimeout(new Promise<void>((resolve) => fresh.once('connect', resolve)), 'fresh connect');
    const reason = new Promise<string>((resolve) => client.once('disconnect', resolve));
    a.io.in(participantChannel('bob')).except(fresh.id ?? '').disconnectSockets(true);
    assert.equal(await withTimeout(reason, 'disconnect'), 'io server disconnect');
    await sleep(100);
    assert.equal(fresh.connected, true, 'the new connection stays');
  });

  it('streams adapter: relaying between servers resumes after a Redis restart', async (t) => {
    const own = await startRedis();
    t.after(() => own.dispose());
    const [a, b] = (await Promise.all([startIo(t, own.url), startIo(t, own.url)])) as [IoServer, IoServer];
    b.io.on('connection', (socket) => {
      void socket.join(participantChannel('bob'));
    });
    const client = connectClient(b.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => {
      client.disconnect();
    });
    await withTimeout(new Promise<void>((resolve) => client.once('connect', resolve)), 'client connect');
    const relayed = async (event: string): Promise<void> => {
      const arrived = new Promise<void>((resolve) => client.once(event, () => resolve()));
      const sending = setInterval(() => a.io.to(participantChannel('bob')).emit(event), 50);
      try {
        await withTimeout(arrived, `${event} relayed from A to B`, 6000);
      } finally {
        clearInterval(sending);
      }
    };
    await relayed('before');
    await own.stop();
    await sleep(300);
    await own.start();
    await relayed('after');
  });

  it('streams adapter: while Redis is down the process stays responsive and local delivery goes on', async (t) => {
    const own = await startRedis();
    t.after(() => own.dispose());
    // In a child process: if the adapter spun on its failing reads, that process would
    // freeze entirely (timers included), and only a watcher outside it could tell.
    const adapterModule = new URL('../../signal-server/redis-adapter.ts', import.meta.url).href;
    const script = `
      import { createServer } from 'node:http';
      import { createClient } from 'redis';
      import { Server } from 'socket.io';
      import { io as connectClient } from 'socket.io-client';
      import { createRedisAdapter } from ${JSON.stringify(adapterModule)};
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const redis = await createRedisAdapter(${JSON.stringify(own.url)}, { onError: () => {} });
      const httpServer = createServer();
      const io = new Server(httpServer, { adapter: redis.adapter });
      io.on('connection', (socket) => socket.join('p:bob'));
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      const client = connectClient('http://127.0.0.1:' + httpServer.address().port, { transports: ['websocket'], reconnection: false });
      await new Promise((resolve) => client.once('connect', resolve));
      await sleep(200);
      const admin = createClient({ url: ${JSON.stringify(own.url)} });
      admin.on('error', () => {});
      await admin.connect();
      await admin.sendCommand(['SHUTDOWN', 'NOSAVE']).catch(() => {});
      admin.destroy();
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      await sleep(500);
      clearInterval(ticker);
      const delivered = new Promise((resolve) => client.once('hello', () => resolve(true)));
      io.to('p:bob').emit('hello');
      let timer;
      const local = await Promise.race([delivered, new Promise((resolve) => (timer = setTimeout(resolve, 1000, false)))]);
      clearTimeout(timer);
      console.log(JSON.stringify({ ticks, local }));
      client.disconnect();
      await io.close();
      await redis.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    let closedAt = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('closed')) closedAt ||= Date.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await withTimeout(new Promise((resolve) => child.once('exit', resolve)), 'the process to finish', 10_000);
    assert.equal(code, 0, stderr);
    const [result = '', closed] = stdout.trim().split('\n');
    const { ticks, local } = JSON.parse(result) as { ticks: number; local: boolean };
    assert.ok(ticks >= 20, `timers ran ${ticks} times in 500 ms during the outage`);
    assert.equal(local, true, 'a local socket still gets what is emitted to its room');
    assert.equal(closed, 'closed');
    assert.ok(Date.now() - closedAt < 1000, 'once closed, nothing of the adapter keeps the process alive, Redis away or not');
  });
});

interface IoServer {
  io: Server;
  url: string;
}

/** A socket.io server with the Redis streams adapter, on an ephemeral port; all closed after the test. */
async function startIo(t: TestContext, redisUrl: string): Promise<IoServer> {
  const redis = await createRedisAdapter(redisUrl);
  const httpServer = createServer();
  const io = new Server(httpServer, { adapter: redis.adapter });
  t.after(async () => {
    await io.close();
    await redis.close();
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
}

/** Resolves once `check` answers true, trying every 20 ms; rejects after `ms`. */
async function pollUntil(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function byId(removed: RoomLeaveResult[]): RoomLeaveResult[] {
  return [...removed].sort((x, y) => x.participant.id.localeCompare(y.participant.id));
}
