import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rooms } from '../../signal-server/rooms.js';

const person = (id: string, name = id) => ({ id, name });

describe('Rooms', () => {
  it('answers the others already in the room, with their media state', () => {
    const rooms = new Rooms({ capacity: 8 });
    assert.deepEqual(rooms.join('a', { ...person('p1', 'Ada'), microphone: true }), {
      ok: true,
      participant: { id: 'p1', name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null },
      others: [],
    });
    const second = rooms.join('a', { ...person('p2', 'Bob'), camera: true });
    assert.ok(second.ok);
    assert.deepEqual(second.others, [
      { id: 'p1', name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null },
    ]);
    assert.deepEqual(rooms.members('a').map((p) => p.id), ['p1', 'p2']);
  });

  it('keeps rooms apart', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1'));
    const other = rooms.join('b', person('p2'));
    assert.ok(other.ok);
    assert.deepEqual(other.others, []);
    assert.equal(rooms.roomOf('p1'), 'a');
    assert.equal(rooms.roomOf('p2'), 'b');
    assert.equal(rooms.roomCount, 2);
  });

  it('refuses a joiner beyond capacity, and admits one again after someone leaves', () => {
    const rooms = new Rooms({ capacity: 2 });
    assert.ok(rooms.join('a', person('p1')).ok);
    assert.ok(rooms.join('a', person('p2')).ok);
    assert.deepEqual(rooms.join('a', person('p3')), { ok: false, reason: 'room-full' });
    assert.equal(rooms.roomOf('p3'), undefined);
    assert.equal(rooms.members('a').length, 2);
    rooms.leave('p1');
    assert.ok(rooms.join('a', person('p3')).ok);
  });

  it('puts an id in one room at most', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1'));
    assert.deepEqual(rooms.join('b', person('p1')), { ok: false, reason: 'already-joined' });
    assert.deepEqual(rooms.join('a', person('p1')), { ok: false, reason: 'already-joined' });
    assert.equal(rooms.members('a').length, 1);
    assert.equal(rooms.roomCount, 1);
  });

  it('deletes a room when its last participant leaves; leave is idempotent', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1', 'Ada'));
    rooms.join('a', person('p2'));
    const left = rooms.leave('p1');
    assert.equal(left?.room, 'a');
    assert.equal(left?.participant.name, 'Ada');
    assert.equal(rooms.leave('p1'), undefined);
    assert.equal(rooms.roomCount, 1);
    rooms.leave('p2');
    assert.equal(rooms.roomCount, 0);
    assert.equal(rooms.participantCount, 0);
    assert.deepEqual(rooms.members('a'), []);
    assert.equal(rooms.leave('never-joined'), undefined);
  });

  it('updates media state and name, and answers the whole participant', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1', 'Ada'));
    assert.deepEqual(rooms.update('p1', { camera: true, screenSharing: true, screenStreamId: 's1' }), {
      id: 'p1', name: 'Ada', microphone: false, camera: true, screenSharing: true, screenStreamId: 's1',
    });
    assert.equal(rooms.update('p1', { name: 'Ada L.' })?.name, 'Ada L.');
    assert.equal(rooms.get('p1')?.camera, true, 'fields absent from a patch keep their value');
    assert.equal(rooms.update('nobody', { camera: true }), undefined);
  });

  it('hands out copies, never its own records', () => {
    const rooms = new Rooms({ capacity: 8 });
    const joined = rooms.join('a', person('p1', 'Ada'));
    assert.ok(joined.ok);
    joined.participant.name = 'Mallory';
    const member = rooms.members('a')[0];
    assert.ok(member);
    member.camera = true;
    const fetched = rooms.get('p1');
    assert.ok(fetched);
    fetched.microphone = true;
    assert.deepEqual(rooms.get('p1'), {
      id: 'p1', name: 'Ada', microphone: false, camera: false, screenSharing: false, screenStreamId: null,
    });
  });

  it('treats room names as plain keys, __proto__ included', () => {
    const rooms = new Rooms({ capacity: 8 });
    assert.ok(rooms.join('__proto__', person('p1')).ok);
    assert.ok(rooms.join('constructor', person('p2')).ok);
    assert.deepEqual(rooms.members('__proto__').map((p) => p.id), ['p1']);
    assert.deepEqual(rooms.members('toString'), []);
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new Rooms({ capacity: 0 }), RangeError);
    assert.throws(() => new Rooms({ capacity: 2.5 }), RangeError);
    assert.throws(() => new Rooms({ capacity: Number.NaN }), RangeError);
  });
});
