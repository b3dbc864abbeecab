import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Rooms } from '../../signal-server/rooms.js';

const person = (id: string, name = id) => ({ id, name });
const sha256 = (key: string): Buffer => createHash('sha256').update(key).digest();

describe('Rooms', () => {
  it('answers the others already in the room, with their media state', () => {
    const rooms = new Rooms({ capacity: 8 });
    assert.deepEqual(rooms.join('a', { ...person('p1', 'Ada'), microphone: true }), {
      ok: true,
      participant: { id: 'p1', name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null, recording: false },
      others: [],
    });
    const second = rooms.join('a', { ...person('p2', 'Bob'), camera: true });
    assert.ok(second.ok);
    assert.deepEqual(second.others, [
      { id: 'p1', name: 'Ada', microphone: true, camera: false, screenSharing: false, screenStreamId: null, recording: false },
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
      id: 'p1', name: 'Ada', microphone: false, camera: true, screenSharing: true, screenStreamId: 's1', recording: false,
    });
    assert.equal(rooms.update('p1', { name: 'Ada L.' })?.name, 'Ada L.');
    assert.equal(rooms.get('p1')?.camera, true, 'fields absent from a patch keep their value');
    assert.equal(rooms.update('nobody', { camera: true }), undefined);
  });

  it('stores and updates the recording flag, false by default', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1'));
    rooms.join('a', { ...person('p2'), recording: true });
    assert.equal(rooms.get('p1')?.recording, false);
    assert.equal(rooms.get('p2')?.recording, true);
    assert.equal(rooms.update('p1', { recording: true })?.recording, true);
    assert.equal(rooms.update('p1', { camera: true })?.recording, true, 'a patch without it keeps it');
    assert.equal(rooms.update('p1', { recording: false })?.recording, false);
  });

  it('matches a session key hash only for the participant that joined with it, and forgets it on leave', () => {
    const rooms = new Rooms({ capacity: 8 });
    rooms.join('a', person('p1'), sha256('key-one'));
    rooms.join('a', person('p2'));
    assert.equal(rooms.keyMatches('p1', sha256('key-one')), true);
    assert.equal(rooms.keyMatches('p1', sha256('key-two')), false);
    assert.equal(rooms.keyMatches('p1', Buffer.alloc(0)), false);
    assert.equal(rooms.keyMatches('p2', sha256('key-one')), false, 'no key sent, nothing matches');
    assert.equal(rooms.keyMatches('nobody', sha256('key-one')), false);
    assert.equal(JSON.stringify(rooms.members('a')).includes('key'), false, 'the hash is never handed out');
    rooms.leave('p1');
    assert.equal(rooms.keyMatches('p1', sha256('key-one')), false);
    rooms.join('b', person('p1'));
    assert.equal(rooms.keyMatches('p1', sha256('key-one')), false, 'a new join under the same id has no old key');
  });

  it('rejoins a participant in place, resetting its state as a join would', () => {
    const rooms = new Rooms({ capacity: 2 });
    rooms.join('a', { ...person('p1', 'Ada'), camera: true, screenSharing: true, screenStreamId: 's' });
    rooms.join('a', person('p2', 'Bob'));
    const rejoined = rooms.rejoin({ id: 'p1', name: 'Ada L.', microphone: true });
    assert.deepEqual(rejoined, {
      participant: { id: 'p1', name: 'Ada L.', microphone: true, camera: false, screenSharing: false, screenStreamId: null, recording: false },
      others: [{ id: 'p2', name: 'Bob', microphone: false, camera: false, screenSharing: false, screenStreamId: null, recording: false }],
    });
    assert.deepEqual(rooms.members('a').map((p) => p.id), ['p1', 'p2'], 'joining order kept');
    assert.equal(rooms.participantCount, 2);
    assert.equal(rooms.rejoin({ id: 'nobody', name: 'x' }), undefined);
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
      id: 'p1', name: 'Ada', microphone: false, camera: false, screenSharing: false, screenStreamId: null, recording: false,
    });
  });

  it('treats room names as plain keys, __proto__ included', () => {
    const rooms = new Rooms({ capacity: 8 });
    assert.ok(rooms.join('__proto__', person('p1')).ok);
    assert.ok(rooms.join('constructor', person('p2')).ok);
    assert.deepEqual(rooms.members('__proto__').map((p) => p.id), ['p1']);
    assert.deepEqual(rooms.members('toString'), []);
  });

  it('moves a room to the SFU once it holds more than the limit, for the rest of its life', () => {
    const rooms = new Rooms({ capacity: 8 });
    assert.deepEqual(rooms.moveToSfuAbove('a', 2), { topology: 'mesh', switched: false }, 'no such room');
    rooms.join('a', person('p1'));
    rooms.join('a', person('p2'));
    assert.deepEqual(rooms.moveToSfuAbove('a', 2), { topology: 'mesh', switched: false });
    rooms.join('a', person('p3'));
    assert.deepEqual(rooms.moveToSfuAbove('a', 2), { topology: 'sfu', switched: true });
    assert.deepEqual(rooms.moveToSfuAbove('a', 2), { topology: 'sfu', switched: false }, 'switched once only');
    rooms.leave('p3');
    rooms.leave('p2');
    assert.equal(rooms.topology('a'), 'sfu', 'never back while it lives');
    assert.equal(rooms.sfuRoomCount, 1);
    rooms.leave('p1');
    assert.equal(rooms.topology('a'), 'mesh', 'forgotten with the room');
    assert.equal(rooms.sfuRoomCount, 0);
    rooms.join('b', person('p4'));
    assert.deepEqual(rooms.moveToSfuAbove('b', 0), { topology: 'sfu', switched: true });
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new Rooms({ capacity: 0 }), RangeError);
    assert.throws(() => new Rooms({ capacity: 2.5 }), RangeError);
    assert.throws(() => new Rooms({ capacity: Number.NaN }), RangeError);
  });
});
