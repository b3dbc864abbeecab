import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { DEFAULT_TURN_TTL_S, turnCredential, turnIceServers, turnPassword } from '../../signal-server/turn.js';
import { connect, joinOk, startServer } from './helpers.js';

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('makes the password coturn expects, for a known vector', () => {
    // Computed independently: printf '%s' "$username" | openssl dgst -sha1 -hmac "$secret" -binary | base64
    const username = '1700003600:p4rt1c1pant-Id_0000000';
    assert.equal(turnPassword('coturn-shared-secret', username), 'Ed+0i2wsQ6MPZxNCJyOOqzMBHxY=');
    assert.equal(
      turnPassword('coturn-shared-secret', username),
      createHmac('sha1', 'coturn-shared-secret').update(username).digest('base64'),
    );
  });

  it('names the expiry and the participant in the username', () => {
    const now = Date.UTC(2023, 10, 14, 22, 13, 20, 999); // 1700000000.999 s
    const credential = turnCredential('coturn-shared-secret', 'p4rt1c1pant-Id_0000000', 3600, now);
    assert.deepEqual(credential, {
      username: '1700003600:p4rt1c1pant-Id_0000000',
      credential: 'Ed+0i2wsQ6MPZxNCJyOOqzMBHxY=',
      expiresAt: 1_700_003_600,
    });
  });

  it('hands out one ICE server with every URL and fresh credentials per participant, defaulting to an hour', () => {
    let now = 1_700_000_000_000;
    const urls = ['turn:turn.example:3478?transport=udp', 'turns:turn.example:5349', 'stun:turn.example:3478'];
    const make = turnIceServers({ urls, secret: 's3cret', now: () => now });
    assert.equal(DEFAULT_TURN_TTL_S, 3600);
    const [ada] = make('ada');
    assert.deepEqual(ada, {
      urls,
      username: '1700003600:ada',
      credential: createHmac('sha1', 's3cret').update('1700003600:ada').digest('base64'),
    });
    now += 60_000;
    assert.equal(make('bob')[0]?.username, '1700003660:bob');
    assert.notEqual(make('bob')[0]?.urls, urls, 'a copy, not the settings');
    assert.ok(!JSON.stringify(make('ada')).includes('s3cret'), 'the secret never leaves the server');
  });

  it('hands out the URLs alone without a secret (STUN), and refuses a useless lifetime', () => {
    assert.deepEqual(turnIceServers({ urls: ['stun:stun.example:3478'] })('ada'), [{ urls: ['stun:stun.example:3478'] }]);
    assert.throws(() => turnIceServers({ urls: ['turn:t'], secret: 's', ttlSeconds: 0 }), RangeError);
    assert.throws(() => turnIceServers({ urls: ['turn:t'], secret: 's', ttlSeconds: 1.5 }), RangeError);
  });

  it('gives each joiner credentials made for its own participant id, resumes included', async (t) => {
    const server = await startServer(t, { iceServers: turnIceServers({ urls: ['turn:turn.example:3478'], secret: 'shh', ttlSeconds: 600 }) });
    const [ada, bob] = await Promise.all([connect(t, server), connect(t, server)]);
    const before = Math.floor(Date.now() / 1000);
    const answer = await joinOk(ada, { room: 'r', name: 'Ada' });
    const [ice] = answer.iceServers;
    assert.ok(ice?.username && ice.credential);
    const [expiry, id] = ice.username.split(':');
    assert.equal(id, answer.selfId);
    assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= before + 602, `expiry ${expiry}`);
    assert.equal(ice.credential, createHmac('sha1', 'shh').update(ice.username).digest('base64'));
    const other = await joinOk(bob, { room: 'r', name: 'Bob' });
    assert.equal(other.iceServers[0]?.username?.split(':')[1], other.selfId);
  });
});
