import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { signJoinToken, TOKEN_CLOCK_TOLERANCE_S, verifyJoinToken } from '../../signal-server/auth.js';
import { REFUSALS } from '../../signal-server/server.js';
import { collect, connect, emitWithAck, flush, join, joinOk, nextEvent, startServer, until, type Client, type TestServer } from './helpers.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const key = (secret = SECRET): Uint8Array => new TextEncoder().encode(secret);
const now = (): number => Math.floor(Date.now() / 1000);

/** A token made with jose directly, for claims signJoinToken would never make. */
function rawToken(payload: Record<string, unknown>, { alg = 'HS256', secret = SECRET } = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key(secret));
}

function unsigned(payload: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

describe('verifyJoinToken', () => {
  it('accepts a token for the room, and hands out its name claim, cleaned', async () => {
    assert.deepEqual(await verifyJoinToken(SECRET, await signJoinToken(SECRET, { room: 'standup', expiresIn: 60 }), 'standup'), { ok: true });
    const named = await signJoinToken(SECRET, { room: 'standup', name: '  Ada\u202E Lovelace ', expiresIn: 60 });
    assert.deepEqual(await verifyJoinToken(SECRET, named, 'standup'), { ok: true, name: 'Ada Lovelace' });
  });

  it('says which: missing, expired, invalid or another room, never repeating the token', async () => {
    const cases: Array<[string, string | undefined, string, RegExp]> = [
      ['missing', undefined, 'missing', /needs a token/],
      ['empty', '', 'missing', /needs a token/],
      ['expired', await signJoinToken(SECRET, { room: 'r', expiresIn: -(TOKEN_CLOCK_TOLERANCE_S + 60) }), 'expired', /expired/],
      ['forged (another secret)', await signJoinToken('not-the-secret', { room: 'r', expiresIn: 60 }), 'invalid', /signature/],
      ['alg none', unsigned({ room: 'r', exp: now() + 60 }), 'invalid', /HS256/],
      ['HS512', await rawToken({ room: 'r', exp: now() + 60 }, { alg: 'HS512' }), 'invalid', /HS256/],
      ['no exp', await rawToken({ room: 'r' }), 'invalid', /exp/],
      ['no room', await rawToken({ exp: now() + 60 }), 'invalid', /room/],
      ['room not a string', await rawToken({ room: ['r'], exp: now() + 60 }), 'invalid', /room/],
      ['name not a string', await rawToken({ room: 'r', name: { first: 'Ada' }, exp: now() + 60 }), 'invalid', /name/],
      ['not yet valid', await rawToken({ room: 'r', exp: now() + 600, nbf: now() + 300 }), 'invalid', /not valid yet/],
      ['garbage', 'not.a.jwt', 'invalid', /well-formed/],
      ['too long', 'x'.repeat(5000), 'invalid', /well-formed/],
      ['another room', await signJoinToken(SECRET, { room: 'other', expiresIn: 60 }), 'wrong-room', /does not grant access to room "r"/],
    ];
    // The payload of a real token, altered: the signature no longer matches.
    const [head, , signature] = (await signJoinToken(SECRET, { room: 'other', expiresIn: 60 })).split('.');
    const altered = `${head}.${Buffer.from(JSON.stringify({ room: 'r', exp: now() + 60 })).toString('base64url')}.${signature}`;
    cases.push(['altered payload', altered, 'invalid', /signature/]);

    for (const [label, token, reason, message] of cases) {
      const verdict = await verifyJoinToken(SECRET, token, 'r');
      assert.equal(verdict.ok, false, label);
      if (verdict.ok) continue;
      assert.equal(verdict.reason, reason, label);
      assert.match(verdict.message, message, label);
      if (token) {
        for (const part of token.split('.').filter((p) => p.length > 8)) assert.ok(!verdict.message.includes(part), `${label}: no part of the token is echoed`);
      }
    }
  });

  it('tolerates a little clock skew on exp', async () => {
    const justExpired = await signJoinToken(SECRET, { room: 'r', expiresIn: -5 });
    assert.equal((await verifyJoinToken(SECRET, justExpired, 'r')).ok, true);
  });
});

describe('signal server with AUTH_SECRET', () => {
  const token = (room: string, extra: { name?: string; expiresIn?: number } = {}): Promise<string> =>
    signJoinToken(SECRET, { room, expiresIn: extra.expiresIn ?? 600, ...(extra.name === undefined ? {} : { name: extra.name }) });

  async function refusedWith(client: Client, request: Record<string, unknown>, pattern: RegExp): Promise<void> {
    const answer = await join(client, request);
    assert.equal(answer.ok, false);
    if (answer.ok) return;
    assert.equal(answer.error.code, 'unauthorized');
    assert.match(answer.error.message, pattern);
  }

  it('admits a joiner with a token for the room, and refuses missing, expired, forged and other-room tokens', async (t) => {
    const server = await startServer(t, { authSecret: SECRET });
    const ada = await connect(t, server);
    await refusedWith(ada, { room: 'r', name: 'Ada' }, /needs a token/);
    await refusedWith(ada, { room: 'r', name: 'Ada', token: await token('r', { expiresIn: -3600 }) }, /expired/);
    await refusedWith(ada, { room: 'r', name: 'Ada', token: await signJoinToken('guess', { room: 'r', expiresIn: 600 }) }, /invalid token/);
    await refusedWith(ada, { room: 'r', name: 'Ada', token: await token('a') }, /room "r"/);
    assert.equal(server.rooms.participantCount, 0);
    const answer = await joinOk(ada, { room: 'r', name: 'Ada', token: await token('r') });
    assert.equal(answer.resumed, false);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /rtc_signal_rejections_total\{reason="unauthorized"\} 4/);
  });

  it('lets the name claim override the name asked for, and keeps it through updates', async (t) => {
    const server = await startServer(t, { authSecret: SECRET });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const adaId = (await joinOk(ada, { room: 'r', name: 'Someone else', token: await token('r', { name: 'Ada Lovelace' }) })).selfId;
    const answer = await joinOk(bob, { room: 'r', name: 'Bob', token: await token('r') });
    assert.equal(answer.participants[0]?.name, 'Ada Lovelace');

    const updated = nextEvent(bob, 'participant-updated');
    assert.deepEqual(await emitWithAck(ada, 'update', { name: 'Mallory', camera: true }), { ok: true });
    assert.deepEqual(await updated, { id: adaId, name: 'Ada Lovelace', microphone: false, camera: true, screenSharing: false, screenStreamId: null, recording: false });
    // A token without a name leaves the name free.
    const renamed = nextEvent(ada, 'participant-updated');
    emitWithAck(bob, 'update', { name: 'Robert' }).catch(() => {});
    assert.equal((await renamed).name, 'Robert');
  });

  it('checks the token on a resume too', async (t) => {
    const server = await startServer(t, { authSecret: SECRET, disconnectGraceMs: 2000 });
    const sessionKey = randomBytes(16).toString('base64url');
    const [ada, watcher] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(watcher, { room: 'r', name: 'W', token: await token('r') });
    const adaId = (await joinOk(ada, { room: 'r', name: 'Ada', token: await token('r'), session: { key: sessionKey } })).selfId;
    await dropAndWait(server, ada);

    const back = await connect(t, server);
    const resume = { room: 'r', name: 'Ada', session: { key: sessionKey, id: adaId } };
    await refusedWith(back, resume, /needs a token/);
    await refusedWith(back, { ...resume, token: await token('r', { expiresIn: -3600 }) }, /expired/);
    await refusedWith(back, { ...resume, token: await token('elsewhere') }, /room "r"/);
    const answer = await joinOk(back, { ...resume, token: await token('r') });
    assert.equal(answer.selfId, adaId);
    assert.equal(answer.resumed, true);
  });

  it('refuses a second join while the first one waits for its token check', async (t) => {
    const server = await startServer(t, { authSecret: SECRET });
    const ada = await connect(t, server);
    const valid = await token('r');
    const [first, second] = await Promise.all([join(ada, { room: 'r', token: valid }), join(ada, { room: 'r', token: valid })]);
    assert.equal(first.ok, true);
    assert.deepEqual(second, { ok: false, error: { code: 'invalid-input', message: REFUSALS.alreadyJoined } });
    assert.equal(server.rooms.participantCount, 1);
  });

  it('forgets a join whose connection closed while its token was checked', async (t) => {
    const server = await startServer(t, { authSecret: SECRET });
    const [ada, watcher] = await Promise.all([connect(t, server), connect(t, server)]);
    await joinOk(watcher, { room: 'r', token: await token('r') });
    const joins = collect(watcher, 'participant-joined');
    ada.emit('join', { room: 'r', name: 'Ada', token: await token('r') }, () => {});
    ada.disconnect();
    await until(() => server.signal.io.engine.clientsCount === 1, 'the server to notice');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await flush(watcher);
    assert.deepEqual(joins, []);
    assert.equal(server.rooms.participantCount, 1);
  });
});

async function dropAndWait(server: TestServer, client: Client): Promise<void> {
  const before = server.signal.io.engine.clientsCount;
  client.io.engine.close();
  await until(() => server.signal.io.engine.clientsCount < before, 'the server to notice the drop');
}
