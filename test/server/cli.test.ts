import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { io as connectClient } from 'socket.io-client';
import { verifyJoinToken } from '../../signal-server/auth.js';
import { cleanEnv, listeningUrl, runCli } from './cli-helpers.js';
import { withTimeout } from './helpers.js';

describe('rtc-signal-server command', () => {
  it('listens on the port it prints, serves, and exits cleanly on SIGTERM with a client connected', async (t) => {
    const cli = runCli(t, ['--port', '0']);
    const url = await listeningUrl(cli);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(url, /:0$/, 'the real bound port, not 0');

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');

    const client = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => client.disconnect());
    const answer = await withTimeout(
      new Promise<{ ok: boolean }>((resolve) => client.emit('join', { room: 'cli', name: 'Ada' }, resolve)),
      'join ack',
    );
    assert.equal(answer.ok, true);

    const clientGone = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
    cli.child.kill('SIGTERM');
    const exit = await withTimeout(cli.exited, 'a clean exit', 10_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    // Sent away on purpose: the library's client reconnects after a jittered pause.
    assert.equal(await withTimeout(clientGone, 'the client to be disconnected'), 'io server disconnect');

    // Logs: one JSON object per line on stdout, after the plain listening line.
    const [listening, ...logLines] = cli.stdout().trimEnd().split('\n');
    assert.match(listening ?? '', /^rtc-signal-server listening on http:/);
    const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    for (const msg of ['listening', 'joined', 'shutting down', 'stopped']) assert.ok(messages.includes(msg), `logs "${msg}": ${messages.join(', ')}`);
  });

  it('serves /metrics, needs tokens with AUTH_SECRET and hands out TURN credentials', async (t) => {
    const secret = 'cli-auth-secret-0123456789abcdefghij';
    const env = cleanEnv({ AUTH_SECRET: secret, TURN_URLS: 'turn:turn.example:3478', TURN_SECRET: 'cli-turn-secret-0123456789abcdefghij', TURN_TTL: '120', LOG_LEVEL: 'warn' });
    const cli = runCli(t, ['--port', '0'], env);
    const url = await listeningUrl(cli);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^rtc_signal_connected_sockets 0$/m);

    const tokenCli = runCli(t, ['token', '--room', 'cli', '--name', 'Ada'], env);
    assert.deepEqual(await withTimeout(tokenCli.exited, 'the token command', 10_000), { code: 0, signal: null });
    const token = tokenCli.stdout().trim();

    const client = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => client.disconnect());
    const joinWith = (extra: Record<string, unknown>): Promise<Record<string, any>> =>
      withTimeout(new Promise((resolve) => client.emit('join', { room: 'cli', name: 'Someone', ...extra }, resolve)), 'join ack');
    assert.equal((await joinWith({})).error?.code, 'unauthorized');
    const answer = await joinWith({ token });
    assert.equal(answer.ok, true);
    const [ice] = answer.iceServers as Array<{ urls: string[]; username: string; credential: string }>;
    assert.deepEqual(ice?.urls, ['turn:turn.example:3478']);
    assert.match(ice?.username ?? '', new RegExp(`^\\d+:${answer.selfId}$`));
    assert.ok(!cli.stdout().includes(token) && !cli.stderr().includes(token), 'the token is not logged');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await withTimeout(cli.exited, 'a clean exit', 10_000), { code: 0, signal: null });
  });

  it('prints a join token with `token`, and refuses without AUTH_SECRET', async (t) => {
    const secret = 'x'.repeat(40);
    const cli = runCli(t, ['token', '--room', 'standup', '--ttl', '90'], cleanEnv({ AUTH_SECRET: secret }));
    assert.deepEqual(await withTimeout(cli.exited, 'exit', 10_000), { code: 0, signal: null });
    const token = cli.stdout().trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(await verifyJoinToken(secret, token, 'standup'), { ok: true });
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number; iat: number };
    assert.equal(claims.exp - claims.iat, 90);

    const refused = runCli(t, ['token', '--room', 'standup']);
    assert.equal((await withTimeout(refused.exited, 'exit', 10_000)).code, 2);
    assert.match(refused.stderr(), /^rtc-signal-server token: AUTH_SECRET is not set/);
    assert.equal(refused.stdout(), '');
  });

  it('takes its settings from the environment too, and exits on SIGINT', async (t) => {
    const cli = runCli(t, [], cleanEnv({ PORT: '0', ROOM_CAPACITY: '2' }));
    const url = await listeningUrl(cli);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    cli.child.kill('SIGINT');
    assert.deepEqual(await withTimeout(cli.exited, 'a clean exit', 10_000), { code: 0, signal: null });
  });

  it('prints a wrong setting to stderr and exits with 2', async (t) => {
    const cli = runCli(t, ['--port', 'abc']);
    assert.deepEqual(await withTimeout(cli.exited, 'exit', 10_000), { code: 2, signal: null });
    assert.equal(cli.stderr(), 'rtc-signal-server: --port must be a whole number from 0 to 65535, got "abc"\n');
    assert.equal(cli.stdout(), '');

    const unknown = runCli(t, ['--nope']);
    assert.equal((await withTimeout(unknown.exited, 'exit', 10_000)).code, 2);
    assert.match(unknown.stderr(), /^rtc-signal-server: unknown flag --nope/);
  });

  it('refuses TOPOLOGY=sfu without JANUS_URL, and JANUS_URL without JANUS_API_SECRET, with exit 2', async (t) => {
    const sfu = runCli(t, ['--port', '0'], cleanEnv({ TOPOLOGY: 'sfu' }));
    assert.deepEqual(await withTimeout(sfu.exited, 'exit', 10_000), { code: 2, signal: null });
    assert.match(sfu.stderr(), /^rtc-signal-server: TOPOLOGY=sfu needs an SFU: set JANUS_URL/);
    const secretless = runCli(t, ['--port', '0'], cleanEnv({ JANUS_URL: 'ws://127.0.0.1:9' }));
    assert.equal((await withTimeout(secretless.exited, 'exit', 10_000)).code, 2);
    assert.match(secretless.stderr(), /JANUS_API_SECRET is not/);
  });

  it('prints the usage for --help and exits with 0', async (t) => {
    const cli = runCli(t, ['--help']);
    assert.deepEqual(await withTimeout(cli.exited, 'exit', 10_000), { code: 0, signal: null });
    assert.match(cli.stdout(), /^Usage: rtc-signal-server/);
    assert.match(cli.stdout(), /--room-capacity/);
  });

  it('serves https when TLS_CERT and TLS_KEY are set', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rtc-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    const cli = runCli(t, ['--port', '0', '--tls-cert', cert], cleanEnv({ TLS_KEY: key }));
    const url = await listeningUrl(cli);
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await withTimeout(
      new Promise<number | undefined>((resolve, reject) => {
        httpsGet(`${url}/healthz`, { rejectUnauthorized: false, agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on('error', reject);
      }),
      'an https answer',
    );
    assert.equal(status, 200);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await withTimeout(cli.exited, 'a clean exit', 5000), { code: 0, signal: null });
  });

  it('exits with 2 when a TLS file cannot be read', async (t) => {
    const cli = runCli(t, ['--port', '0'], cleanEnv({ TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' }));
    assert.equal((await withTimeout(cli.exited, 'exit', 10_000)).code, 2);
    assert.match(cli.stderr(), /^rtc-signal-server: TLS_CERT: cannot read "\/nonexistent\/cert\.pem" \(ENOENT\)/);
  });
});
