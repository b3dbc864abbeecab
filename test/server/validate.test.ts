import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/protocol/index.js';
import {
  cleanDisplayName,
  DEFAULT_DISPLAY_NAME,
  validateJoin,
  validateRelay,
  validateSfuAnswer,
  validateSfuCandidate,
  validateSfuLayer,
  validateSfuPublish,
  validateSfuRestart,
  validateSignal,
  validateUpdate,
  type Validated,
} from '../../signal-server/validate.js';

/** Payloads that are not objects at all: each validator must refuse every one. */
const NOT_OBJECTS: unknown[] = [
  undefined, null, 0, 42, Number.NaN, true, '', 'join', [], [{ room: 'a' }], Symbol('x'), () => {},
  Buffer.from('{"room":"a"}'), new Date(), new Map([['room', 'a']]), Object.create({ room: 'a', name: 'x' }),
];

function assertRefused<T>(result: Validated<T>, reasonPattern?: RegExp): void {
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result)}`);
  if (!result.ok) {
    assert.equal(typeof result.reason, 'string');
    assert.ok(result.reason.length > 0);
    if (reasonPattern) assert.match(result.reason, reasonPattern);
  }
}

function valueOf<T>(result: Validated<T>): T {
  if (!result.ok) assert.fail(`expected a value, got the refusal "${result.reason}"`);
  return result.value;
}

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };

describe('validateJoin', () => {
  it('accepts a well-formed request and builds a fresh object without unknown fields', () => {
    const payload = {
      room: 'team-standup.2_b', name: '  Ada  ', token: 'abc', media: { microphone: true, camera: false, extra: 1 },
      admin: true, selfId: 'forged',
    };
    const value = valueOf(validateJoin(payload));
    assert.deepEqual(value, { room: 'team-standup.2_b', name: 'Ada', token: 'abc', media: { microphone: true, camera: false } });
    assert.notEqual(value, payload);
    assert.notEqual(value.media, payload.media);
  });

  it('defaults a missing, null or empty name to Guest', () => {
    for (const name of [undefined, null, '', '   ', '\u0000\u0007\n\t', '\u202E\u200B']) {
      assert.equal(valueOf(validateJoin({ room: 'a', name })).name, DEFAULT_DISPLAY_NAME, JSON.stringify(name));
    }
  });

  it('drops an empty or null token and refuses a wrong one', () => {
    assert.equal('token' in valueOf(validateJoin({ room: 'a', name: 'x', token: '' })), false);
    assert.equal('token' in valueOf(validateJoin({ room: 'a', name: 'x', token: null })), false);
    assertRefused(validateJoin({ room: 'a', name: 'x', token: 5 }), /token/);
    assertRefused(validateJoin({ room: 'a', name: 'x', token: 't'.repeat(LIMITS.maxTokenLength + 1) }), /token/);
    assert.ok(validateJoin({ room: 'a', name: 'x', token: 't'.repeat(LIMITS.maxTokenLength) }).ok);
  });

  it('refuses payloads that are not plain objects', () => {
    for (const payload of NOT_OBJECTS) assertRefused(validateJoin(payload));
  });

  it('refuses bad rooms', () => {
    const badRooms: unknown[] = [
      undefined, null, '', ' ', 'a b', '-leading-dash', '.hidden', '_x', 'a/b', '../etc', 'a?b', 'é', 'room\n',
      'a'.repeat(LIMITS.maxRoomLength + 1), 5, true, ['a'], { toString: () => 'a' },
    ];
    for (const room of badRooms) assertRefused(validateJoin({ room, name: 'x' }), /room/);
    assert.ok(validateJoin({ room: 'a'.repeat(LIMITS.maxRoomLength), name: 'x' }).ok);
  });

  it('refuses a name that is not a string', () => {
    for (const name of [5, true, {}, ['Ada'], { first: 'Ada' }]) assertRefused(validateJoin({ room: 'a', name }), /name/);
  });

  it('checks media flags and the screen stream id', () => {
    assertRefused(validateJoin({ room: 'a', name: 'x', media: 'on' }), /media/);
    assertRefused(validateJoin({ room: 'a', name: 'x', media: [true] }), /media/);
    assertRefused(validateJoin({ room: 'a', name: 'x', media: { microphone: 'yes' } }), /microphone/);
    assertRefused(validateJoin({ room: 'a', name: 'x', media: { camera: 1 } }), /camera/);
    assertRefused(validateJoin({ room: 'a', name: 'x', media: { screenStreamId: 'x'.repeat(LIMITS.maxIdLength + 1) } }), /screenStreamId/);
    assertRefused(validateJoin({ room: 'a', name: 'x', media: { screenStreamId: 7 } }), /screenStreamId/);
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', media: null })), { room: 'a', name: 'x' });
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', media: { screenSharing: true, screenStreamId: '{abc}' } })).media, {
      screenSharing: true, screenStreamId: '{abc}',
    });
  });

  it('accepts a session with a well-formed key and an optional id, building a fresh object', () => {
    const key = 'k'.repeat(22);
    const session = { key, id: 'AbC_-09xyzAbC_-09xyzAA', extra: 1 };
    const value = valueOf(validateJoin({ room: 'a', name: 'x', session }));
    assert.deepEqual(value.session, { key, id: 'AbC_-09xyzAbC_-09xyzAA' });
    assert.notEqual(value.session, session);
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', session: { key } })).session, { key });
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', session: { key, id: null } })).session, { key });
    assert.equal('session' in valueOf(validateJoin({ room: 'a', name: 'x', session: null })), false);
    const longest = 'A-_z'.repeat(16);
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', session: { key: longest, id: 'p'.repeat(LIMITS.maxIdLength) } })).session, {
      key: longest, id: 'p'.repeat(LIMITS.maxIdLength),
    });
  });

  it('refuses a malformed session', () => {
    const key = 'k'.repeat(22);
    const badSessions: unknown[] = [
      'key', 5, true, [key], [{ key }], {}, { id: 'abc' }, { key: null }, { key: 5 }, { key: [key] }, { key: { key } },
      { key: 'k'.repeat(21) }, { key: 'k'.repeat(65) }, { key: '' },
      { key: `${'k'.repeat(21)}+` }, { key: `${'k'.repeat(21)}/` }, { key: `${'k'.repeat(21)}=` }, { key: `${'k'.repeat(21)} ` },
      { key: ` ${'k'.repeat(22)}` }, { key: `${'k'.repeat(22)}\n` }, { key: `${'k'.repeat(21)}é` }, { key: `${'k'.repeat(21)}\u0000` },
      JSON.parse(`{"__proto__":{"key":"${key}"}}`),
    ];
    for (const session of badSessions) assertRefused(validateJoin({ room: 'a', name: 'x', session }), /session/);
    const badIds: unknown[] = ['', 5, true, {}, ['abc'], 'a b', 'a/b', 'a+b', 'a=', 'é', 'p'.repeat(LIMITS.maxIdLength + 1)];
    for (const id of badIds) assertRefused(validateJoin({ room: 'a', name: 'x', session: { key, id } }), /session\.id/);
  });

  it('accepts a recording flag in media and refuses one that is not a boolean', () => {
    assert.deepEqual(valueOf(validateJoin({ room: 'a', name: 'x', media: { recording: true } })).media, { recording: true });
    for (const recording of ['true', 1, null, {}, [true]]) {
      assertRefused(validateJoin({ room: 'a', name: 'x', media: { recording } }), /media\.recording/);
    }
  });

  it('is not fooled by prototype-pollution keys or inherited values', () => {
    const polluted = JSON.parse('{"__proto__":{"room":"a","name":"x","admin":true},"constructor":{"prototype":{"x":1}}}') as unknown;
    assertRefused(validateJoin(polluted), /room/);
    const withProto = JSON.parse('{"room":"a","name":"x","media":{"__proto__":{"camera":true}}}') as unknown;
    const value = valueOf(validateJoin(withProto));
    assert.deepEqual(value.media, {});
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched');
    assert.equal(({} as Record<string, unknown>).camera, undefined, 'Object.prototype untouched');
  });

  it('accepts a null-prototype object but never runs a getter', () => {
    const bare = Object.assign(Object.create(null) as object, { room: 'a', name: 'x' });
    assert.ok(validateJoin(bare).ok);
    let called = false;
    const withGetter = { name: 'x', get room() { called = true; return 'a'; } };
    assertRefused(validateJoin(withGetter), /room/);
    assert.equal(called, false);
  });

  it('does not throw on a hostile Proxy', () => {
    const hostile = new Proxy({}, {
      getPrototypeOf() { throw new Error('trap'); },
      getOwnPropertyDescriptor() { throw new Error('trap'); },
    });
    assertRefused(validateJoin(hostile));
    assertRefused(validateSignal(hostile));
    assertRefused(validateUpdate(hostile));
  });
});

describe('cleanDisplayName', () => {
  it('trims, collapses whitespace and strips control and bidi characters', () => {
    assert.equal(cleanDisplayName('  Ada \t\n Lovelace  '), 'Ada Lovelace');
    assert.equal(cleanDisplayName('Ada\u0000\u001b[31m\u007f\u0085'), 'Ada[31m');
    assert.equal(cleanDisplayName('evil\u202Egnp.exe'), 'evilgnp.exe');
    assert.equal(cleanDisplayName('a\u2028b\u2029c\uFEFFd\u200Be'), 'abcde');
    assert.equal(cleanDisplayName('lone \uD800 surrogate'), 'lone surrogate');
  });

  it('keeps ordinary Unicode: accents, scripts, emoji with joiners', () => {
    assert.equal(cleanDisplayName('Zoë Ñúñez'), 'Zoë Ñúñez');
    assert.equal(cleanDisplayName('李小龍'), '李小龍');
    assert.equal(cleanDisplayName('👩‍👩‍👧 family'), '👩‍👩‍👧 family');
  });

  it('caps the length without splitting a character', () => {
    assert.equal(cleanDisplayName('x'.repeat(1000)).length, LIMITS.maxNameLength);
    const emoji = cleanDisplayName('😀'.repeat(100));
    assert.ok(emoji.length <= LIMITS.maxNameLength);
    assert.equal(emoji, '😀'.repeat(LIMITS.maxNameLength / 2));
    assert.equal(cleanDisplayName(`${'a'.repeat(63)} b`), 'a'.repeat(63), 'no trailing space after the cut');
  });

  it('turns a name that is empty after cleaning into Guest', () => {
    assert.equal(cleanDisplayName(''), DEFAULT_DISPLAY_NAME);
    assert.equal(cleanDisplayName('\u0001\u0002 \u202D'), DEFAULT_DISPLAY_NAME);
  });
});

describe('validateSignal', () => {
  it('accepts descriptions and candidates, dropping unknown fields', () => {
    assert.deepEqual(
      valueOf(validateSignal({ to: 'abc_-1', from: 'forged', data: { ...offer, extra: 1, description: { ...offer.description, x: 2 } } })),
      { to: 'abc_-1', data: offer },
    );
    assert.deepEqual(
      valueOf(validateSignal({ to: 'p', data: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd', port: 9 } } })),
      { to: 'p', data: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' } } },
    );
    assert.deepEqual(valueOf(validateSignal({ to: 'p', data: { kind: 'candidate', candidate: null } })).data, { kind: 'candidate', candidate: null });
    assert.deepEqual(
      valueOf(validateSignal({ to: 'p', data: { kind: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } } })).data,
      { kind: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } },
    );
    assert.deepEqual(valueOf(validateSignal({ to: 'p', data: { kind: 'description', description: { type: 'rollback' } } })).data, {
      kind: 'description', description: { type: 'rollback' },
    });
  });

  it('passes the SDP through untouched', () => {
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\na=weird <script>\u0000 line\r\n';
    const value = valueOf(validateSignal({ to: 'p', data: { kind: 'description', description: { type: 'answer', sdp } } }));
    assert.equal(value.data.kind === 'description' ? value.data.description.sdp : undefined, sdp);
  });

  it('refuses bad targets', () => {
    for (const to of [undefined, null, '', 5, ['p'], { id: 'p' }, 'a b', 'p/../q', 'x'.repeat(LIMITS.maxIdLength + 1)]) {
      assertRefused(validateSignal({ to, data: offer }), /to/);
    }
  });

  it('refuses bad data', () => {
    const badData: unknown[] = [
      undefined, null, 'offer', [], [offer], {}, { kind: 'other' }, { kind: 'description' },
      { kind: 'description', description: null }, { kind: 'description', description: 'v=0' },
      { kind: 'description', description: { type: 'bogus', sdp: 'v=0' } },
      { kind: 'description', description: { type: 'offer', sdp: 5 } },
      { kind: 'description', description: { type: 'offer', sdp: { nested: 'v=0' } } },
      { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSdpLength + 1) } },
      { kind: 'description', description: { type: ['offer'], sdp: 'v=0' } },
      { kind: 'candidate' }, { kind: 'candidate', candidate: 'candidate:1' }, { kind: 'candidate', candidate: {} },
      { kind: 'candidate', candidate: { candidate: 5 } },
      { kind: 'candidate', candidate: { candidate: 'x'.repeat(LIMITS.maxCandidateLength + 1) } },
      { kind: 'candidate', candidate: { candidate: '', sdpMid: 3 } },
      { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: -1 } },
      { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: 1.5 } },
      { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: '0' } },
      { kind: 'candidate', candidate: { candidate: '', usernameFragment: {} } },
      JSON.parse('{"__proto__":{"kind":"candidate","candidate":null}}'),
    ];
    for (const data of badData) assertRefused(validateSignal({ to: 'p', data }), /data/);
    assert.ok(validateSignal({ to: 'p', data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSdpLength) } } }).ok);
  });

  it('refuses payloads that are not plain objects', () => {
    for (const payload of NOT_OBJECTS) assertRefused(validateSignal(payload));
  });
});

describe('validateUpdate', () => {
  it('accepts media flags and a cleaned name, dropping the rest', () => {
    assert.deepEqual(
      valueOf(validateUpdate({ microphone: false, camera: true, screenSharing: true, screenStreamId: 's', name: ' Bob\u0007 ', id: 'forged' })),
      { microphone: false, camera: true, screenSharing: true, screenStreamId: 's', name: 'Bob' },
    );
    assert.deepEqual(valueOf(validateUpdate({})), {});
    assert.deepEqual(valueOf(validateUpdate({ screenStreamId: null })), { screenStreamId: null });
    assert.deepEqual(valueOf(validateUpdate({ name: '' })), { name: DEFAULT_DISPLAY_NAME });
    assert.deepEqual(valueOf(validateUpdate({ recording: true })), { recording: true });
    assert.deepEqual(valueOf(validateUpdate({ recording: false, camera: true })), { recording: false, camera: true });
  });

  it('refuses wrong types', () => {
    for (const payload of [
      { microphone: 'false' }, { camera: null }, { screenSharing: 0 }, { screenStreamId: '' }, { screenStreamId: ['s'] },
      { name: 5 }, { name: ['x'] }, { recording: 'yes' }, { recording: 0 }, { recording: null }, { recording: [false] },
    ]) {
      assertRefused(validateUpdate(payload));
    }
  });

  it('refuses payloads that are not plain objects', () => {
    for (const payload of NOT_OBJECTS) assertRefused(validateUpdate(payload));
  });
});

describe('SFU messages', () => {
  it('accepts an sfu-publish with an optional screen mid, dropping the rest', () => {
    assert.deepEqual(validateSfuPublish({ sdp: 'v=0\r\n', extra: 1 }), { ok: true, value: { sdp: 'v=0\r\n', screenMid: null } });
    assert.deepEqual(validateSfuPublish({ sdp: 'v=0', screenMid: '2' }), { ok: true, value: { sdp: 'v=0', screenMid: '2' } });
    assert.deepEqual(validateSfuPublish({ sdp: 'v=0', screenMid: null }), { ok: true, value: { sdp: 'v=0', screenMid: null } });
    assertRefused(validateSfuPublish({ sdp: '' }));
    assertRefused(validateSfuPublish({ sdp: 5 }));
    assertRefused(validateSfuPublish({ sdp: 'x'.repeat(LIMITS.maxSdpLength + 1) }));
    assert.equal(validateSfuPublish({ sdp: 'x'.repeat(LIMITS.maxSdpLength) }).ok, true);
    assertRefused(validateSfuPublish({ sdp: 'v=0', screenMid: 'a b' }));
    assertRefused(validateSfuPublish({ sdp: 'v=0', screenMid: 'x'.repeat(LIMITS.maxIdLength + 1) }));
    for (const payload of NOT_OBJECTS) assertRefused(validateSfuPublish(payload));
  });

  it('checks sfu-answer, sfu-candidate and sfu-layer', () => {
    assert.deepEqual(validateSfuAnswer({ sdp: 'v=0', x: 1 }), { ok: true, value: { sdp: 'v=0' } });
    assertRefused(validateSfuAnswer({}));
    assert.deepEqual(validateSfuCandidate({ target: 'publisher', candidate: null }), { ok: true, value: { target: 'publisher', candidate: null } });
    assert.deepEqual(validateSfuCandidate({ target: 'subscriber', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0, junk: 1 } }), {
      ok: true,
      value: { target: 'subscriber', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
    });
    assertRefused(validateSfuCandidate({ target: 'both', candidate: null }));
    assertRefused(validateSfuCandidate({ target: 'publisher' }));
    assertRefused(validateSfuCandidate({ target: 'publisher', candidate: { candidate: 'x'.repeat(LIMITS.maxCandidateLength + 1) } }));
    assert.deepEqual(validateSfuLayer({ participant: 'abc_-1', layer: 2 }), { ok: true, value: { participant: 'abc_-1', layer: 2 } });
    for (const layer of [-1, 3, 1.5, '1', null]) assertRefused(validateSfuLayer({ participant: 'abc', layer }));
    assertRefused(validateSfuLayer({ participant: 'a/b', layer: 0 }));
    for (const payload of NOT_OBJECTS) {
      assertRefused(validateSfuAnswer(payload));
      assertRefused(validateSfuCandidate(payload));
      assertRefused(validateSfuLayer(payload));
    }
  });

  it('checks sfu-restart: only the subscriber, dropping the rest', () => {
    assert.deepEqual(validateSfuRestart({ target: 'subscriber', extra: 1 }), { ok: true, value: { target: 'subscriber' } });
    for (const target of ['publisher', 'both', '', null, undefined, 1]) assertRefused(validateSfuRestart({ target }));
    for (const payload of NOT_OBJECTS) assertRefused(validateSfuRestart(payload));
  });
});

describe('validateRelay', () => {
  it('accepts text, base64 binary and close, dropping unknown fields', () => {
    assert.deepEqual(validateRelay({ to: 'p1', channel: 'chat', data: 'hi', from: 'forged' }), { ok: true, value: { to: 'p1', channel: 'chat', data: 'hi' } });
    assert.deepEqual(validateRelay({ to: 'p1', channel: 'file-1', data: 'AAEC', binary: true }), {
      ok: true,
      value: { to: 'p1', channel: 'file-1', data: 'AAEC', binary: true },
    });
    assert.deepEqual(validateRelay({ to: 'p1', channel: 'file-1', close: true }), { ok: true, value: { to: 'p1', channel: 'file-1', close: true } });
    assert.equal(validateRelay({ to: 'p1', channel: 'c', data: 'x'.repeat(LIMITS.maxRelayDataLength) }).ok, true);
  });

  it('refuses bad targets, channels, data and flags', () => {
    assertRefused(validateRelay({ to: '', channel: 'c', data: 'x' }));
    assertRefused(validateRelay({ to: 'p1', channel: '', data: 'x' }));
    assertRefused(validateRelay({ to: 'p1', channel: 'x'.repeat(LIMITS.maxRelayChannelLength + 1), data: 'x' }));
    assertRefused(validateRelay({ to: 'p1', channel: 'a\u0000b', data: 'x' }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c' }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c', data: 'x'.repeat(LIMITS.maxRelayDataLength + 1) }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c', data: 5 }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c', data: '@@', binary: true }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c', data: 'x', binary: 'yes' }));
    assertRefused(validateRelay({ to: 'p1', channel: 'c', close: 1 }));
    for (const payload of NOT_OBJECTS) assertRefused(validateRelay(payload));
  });
});
