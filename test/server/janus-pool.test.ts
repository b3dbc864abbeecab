/**
 * The Janus pool's placement and failure handling, with stand-in wrappers (no Janus): rooms
 * go to the least loaded live instance and stay; a dropped instance's rooms move and are
 * announced; it is reconnected with backoff; closing destroys what a random key made.
 * (test/server/sfu.test.ts covers the same against real Janus instances.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../signal-server/logger.js';
import { JanusPool, type JanusPoolEvents } from '../../signal-server/sfu/janus-pool.js';
import { MemoryPlacement } from '../../signal-server/sfu/placement.js';
import type { JanusVideoRoom, JanusVideoRoomEvents, JanusVideoRoomOptions } from '../../signal-server/sfu/janus-videoroom.js';

/** Stands in for a JanusVideoRoom: a load to set, events to fire, destroyed rooms recorded. */
class FakeRoom {
  closed = false;
  load = { rooms: 0, participants: 0, publishers: 0 };
  destroyed: string[] = [];
  readonly listeners = new Map<string, Set<(detail: unknown) => void>>();
  constructor(readonly url: string) {}
  on(type: string, listener: (detail: unknown) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
  fire<K extends keyof JanusVideoRoomEvents>(type: K, detail: JanusVideoRoomEvents[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(detail);
  }
  forgotten: string[] = [];
  async destroyRoom(room: string): Promise<void> {
    this.destroyed.push(room);
  }
  async forgetRoom(room: string): Promise<void> {
    this.forgotten.push(room);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A connect function over fakes: `down` URLs refuse; every wrapper made is kept. */
function fakeJanus(): { made: FakeRoom[]; down: Set<string>; connect: (options: JanusVideoRoomOptions) => Promise<JanusVideoRoom> } {
  const made: FakeRoom[] = [];
  const down = new Set<string>();
  return {
    made,
    down,
    connect: async (options) => {
      if (down.has(options.url)) throw new Error('connection refused');
      const room = new FakeRoom(options.url);
      made.push(room);
      return room as unknown as JanusVideoRoom;
    },
  };
}

function record<K extends keyof JanusPoolEvents>(pool: JanusPool, type: K): JanusPoolEvents[K][] {
  const seen: JanusPoolEvents[K][] = [];
  pool.on(type, (detail) => seen.push(detail));
  return seen;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JanusPool', () => {
  it('places rooms on the least loaded live instance and keeps them there', async () => {
    const janus = fakeJanus();
    const pool = await JanusPool.start({ urls: ['ws://a', 'ws://b'], apiSecret: 's', logger: silentLogger(), connect: janus.connect });
    const [a, b] = janus.made as [FakeRoom, FakeRoom];
    assert.equal(pool.upCount, 2);
    assert.equal(pool.place('r1'), a as unknown as JanusVideoRoom);
    assert.equal(pool.place('r2'), b as unknown as JanusVideoRoom, 'rooms placed count when nothing else differs');
    b.load = { rooms: 1, participants: 3, publishers: 2 };
    assert.equal(pool.place('r3'), a as unknown as JanusVideoRoom, 'publishers weigh most');
    assert.equal(pool.place('r2'), b as unknown as JanusVideoRoom, 'a placed room stays');
    assert.equal(pool.urlOf('r3'), 'ws://a');
    await pool.release('r3');
    assert.deepEqual(a.destroyed, ['r3']);
    assert.equal(pool.placed('r3'), undefined);
    await pool.close();
    assert.deepEqual(a.destroyed.sort(), ['r1', 'r3'], 'a random key: its rooms go at close');
    assert.deepEqual(b.destroyed, ['r2']);
    assert.ok(a.closed && b.closed);
  });

  it('moves the rooms of an instance that drops, announces them, and reconnects it with backoff', async () => {
    const janus = fakeJanus();
    const pool = await JanusPool.start({ urls: ['ws://a', 'ws://b'], apiSecret: 's', roomKey: 'shared', logger: silentLogger(), connect: janus.connect, minRetryMs: 20 });
    const [a, b] = janus.made as [FakeRoom, FakeRoom];
    const moved = record(pool, 'moved');
    const ups = record(pool, 'up');
    pool.place('r1');
    pool.place('r2');
    pool.place('r3');
    assert.equal(pool.urlOf('r1'), 'ws://a');
    janus.down.add('ws://a');
    a.fire('disconnected', {});
    assert.equal(pool.upCount, 1);
    assert.deepEqual(moved, [{ rooms: ['r1', 'r3'], from: 'ws://a' }]);
    assert.equal(pool.urlOf('r1'), 'ws://b');
    assert.equal(pool.urlOf('r3'), 'ws://b');
    // Reconnects once Janus is back; rooms stay where they went.
    await wait(60);
    assert.equal(pool.upCount, 1, 'still refused');
    janus.down.delete('ws://a');
    await wait(200);
    assert.equal(pool.upCount, 2);
    assert.deepEqual(ups, [{ url: 'ws://a' }]);
    assert.equal(pool.urlOf('r1'), 'ws://b');
    await pool.close();
    assert.deepEqual(b.destroyed, [], 'a shared key: rooms stay for the other processes');
  });

  it('forwards the live wrappers\u2019 events, and none from a dropped one', async () => {
    const janus = fakeJanus();
    const pool = await JanusPool.start({ urls: ['ws://a'], apiSecret: 's', logger: silentLogger(), connect: janus.connect, minRetryMs: 10_000 });
    const [a] = janus.made as [FakeRoom];
    const talking = record(pool, 'talking');
    a.fire('talking', { room: 'r', participantId: 'p', talking: true });
    a.fire('disconnected', {});
    a.fire('talking', { room: 'r', participantId: 'p', talking: false });
    assert.deepEqual(talking, [{ room: 'r', participantId: 'p', talking: true }]);
    assert.equal(pool.place('r'), undefined, 'nothing up: nowhere to place');
    await pool.close();
  });

  it('starts even when an instance cannot be reached', async () => {
    const janus = fakeJanus();
    janus.down.add('ws://b');
    const pool = await JanusPool.start({ urls: ['ws://a', 'ws://b'], apiSecret: 's', logger: silentLogger(), connect: janus.connect, minRetryMs: 10_000 });
    assert.equal(pool.upCount, 1);
    assert.equal(pool.size, 2);
    await pool.close();
  });

  it('with a shared placement, puts a room where the first process put it, and moves it once when its instance dies', async () => {
    const placement = new MemoryPlacement();
    const first = fakeJanus();
    const second = fakeJanus();
    const options = { urls: ['ws://a', 'ws://b'], apiSecret: 's', roomKey: 'shared', logger: silentLogger(), minRetryMs: 10_000 };
    const one = await JanusPool.start({ ...options, placement, connect: first.connect });
    const two = await JanusPool.start({ ...options, placement, connect: second.connect });
    assert.equal(one.shared, true);
    const [a1, b1] = first.made as [FakeRoom, FakeRoom];
    const [a2, b2] = second.made as [FakeRoom, FakeRoom];
    // Alone, the second process would choose b for the room (a is busier there).
    a2.load = { rooms: 1, participants: 5, publishers: 2 };
    assert.equal(await one.assign('r'), a1 as unknown as JanusVideoRoom);
    assert.equal(await two.assign('r'), a2 as unknown as JanusVideoRoom, 'the shared choice wins');
    assert.equal(await placement.get('r'), 'ws://a');
    // Concurrent first assigns in one process share one claim.
    const [x, y] = await Promise.all([two.assign('s'), two.assign('s')]);
    assert.equal(x, y);
    assert.equal(await placement.get('s'), 'ws://b');
    // a dies for both: the first to claim moves the room, the other follows.
    const moved = [record(one, 'moved'), record(two, 'moved')];
    a1.fire('disconnected', {});
    a2.fire('disconnected', {});
    await wait(10);
    assert.equal(await placement.get('r'), 'ws://b');
    assert.equal(one.urlOf('r'), 'ws://b');
    assert.equal(two.urlOf('r'), 'ws://b');
    assert.deepEqual(moved, [[{ rooms: ['r'], from: 'ws://a' }], [{ rooms: ['r'], from: 'ws://a' }]]);
    // A process done with a room lets it go without ending it; the end clears the record.
    await one.forget('r');
    assert.deepEqual(b1.forgotten, ['r']);
    assert.equal(await placement.get('r'), 'ws://b');
    await two.release('r');
    assert.deepEqual(b2.destroyed, ['r']);
    assert.equal(await placement.get('r'), undefined);
    await one.close();
    await two.close();
  });
});
