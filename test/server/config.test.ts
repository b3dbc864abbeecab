import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, configWarnings, loadConfig, loadTokenCommand, tokenUsage, usage, wantsHelp } from '../../signal-server/config.js';

function configError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(loadConfig([], {}), {
      port: 3000,
      host: '127.0.0.1',
      roomCapacity: 8,
      disconnectGraceMs: 4000,
      allowedOrigins: undefined,
      authSecret: undefined,
      turnUrls: undefined,
      turnSecret: undefined,
      turnTtl: 3600,
      redisUrl: undefined,
      tlsCert: undefined,
      tlsKey: undefined,
      topology: 'mesh',
      meshLimit: 4,
      janusUrls: undefined,
      janusApiSecret: undefined,
      janusRoomKey: undefined,
      logLevel: 'info',
      trustProxy: 0,
      connectionRateLimit: 100,
    });
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig([], {
      PORT: '8080',
      HOST: '0.0.0.0',
      ROOM_CAPACITY: '4',
      DISCONNECT_GRACE_MS: '250',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173 ,',
      AUTH_SECRET: 's3cret',
      TURN_URLS: 'turn:turn.example:3478?transport=udp,turns:turn.example:5349',
      TURN_SECRET: 'turn-secret',
      TURN_TTL: '3600',
      REDIS_URL: 'redis://localhost:6379/0',
      TLS_CERT: '/etc/cert.pem',
      TLS_KEY: '/etc/key.pem',
      TOPOLOGY: 'auto',
      MESH_LIMIT: '3',
      JANUS_URL: 'ws://janus1:8188,wss://janus2/janus',
      JANUS_API_SECRET: 'janus-secret',
      JANUS_ROOM_KEY: 'room-key',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '1',
      CONNECTION_RATE_LIMIT: '500',
    });
    assert.deepEqual(config, {
      port: 8080,
      host: '0.0.0.0',
      roomCapacity: 4,
      disconnectGraceMs: 250,
      allowedOrigins: ['https://a.example', 'http://localhost:5173'],
      authSecret: 's3cret',
      turnUrls: ['turn:turn.example:3478?transport=udp', 'turns:turn.example:5349'],
      turnSecret: 'turn-secret',
      turnTtl: 3600,
      redisUrl: 'redis://localhost:6379/0',
      tlsCert: '/etc/cert.pem',
      tlsKey: '/etc/key.pem',
      topology: 'auto',
      meshLimit: 3,
      janusUrls: ['ws://janus1:8188', 'wss://janus2/janus'],
      janusApiSecret: 'janus-secret',
      janusRoomKey: 'room-key',
      logLevel: 'debug',
      trustProxy: 1,
      connectionRateLimit: 500,
    });
  });

  it('lets a flag win over its variable, in both --flag value and --flag=value forms', () => {
    const config = loadConfig(
      ['--port', '4000', '--host=::1', '--room-capacity', '2', '--allowed-origins=https://b.example', '--topology', 'sfu', '--disconnect-grace-ms=0', '--janus-api-secret', 'flag-secret'],
      {
        PORT: '8080', HOST: '0.0.0.0', ROOM_CAPACITY: '6', ALLOWED_ORIGINS: 'https://a.example', TOPOLOGY: 'mesh', DISCONNECT_GRACE_MS: '9000',
        JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: 'env-secret',
      },
    );
    assert.equal(config.disconnectGraceMs, 0);
    assert.equal(config.port, 4000);
    assert.equal(config.host, '::1');
    assert.equal(config.roomCapacity, 2);
    assert.deepEqual(config.allowedOrigins, ['https://b.example']);
    assert.equal(config.topology, 'sfu');
    assert.equal(config.janusApiSecret, 'flag-secret');
  });

  it('needs JANUS_URL for the sfu and auto topologies, and JANUS_API_SECRET with JANUS_URL', () => {
    configError(() => loadConfig([], { TOPOLOGY: 'sfu' }), /^TOPOLOGY=sfu needs an SFU: set JANUS_URL/);
    configError(() => loadConfig(['--topology', 'auto'], {}), /^TOPOLOGY=auto needs an SFU/);
    configError(() => loadConfig([], { JANUS_URL: 'ws://127.0.0.1:8188' }), /^JANUS_URL is set but JANUS_API_SECRET is not/);
    configError(
      () => loadConfig([], { JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: 's', REDIS_URL: 'redis://127.0.0.1:6379' }),
      /^REDIS_URL and JANUS_URL are set but JANUS_ROOM_KEY is not/,
    );
    configError(() => loadConfig([], { JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: ' ' }), /JANUS_API_SECRET must not be blank/);
    // JANUS_URL with the mesh topology is allowed (the SFU is connected, rooms stay meshes).
    assert.equal(loadConfig([], { JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: 's' }).topology, 'mesh');
    assert.equal(loadConfig([], { TOPOLOGY: 'sfu', JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: 's' }).janusRoomKey, undefined);
  });

  it('accepts port 0 and treats an empty variable as unset', () => {
    assert.equal(loadConfig(['--port', '0'], {}).port, 0);
    assert.equal(loadConfig([], { PORT: '', ALLOWED_ORIGINS: '' }).port, 3000);
    assert.equal(loadConfig([], { ALLOWED_ORIGINS: '' }).allowedOrigins, undefined);
  });

  it('refuses a port that is not a number, naming the setting', () => {
    configError(() => loadConfig([], { PORT: 'abc' }), /^PORT must be a whole number from 0 to 65535, got "abc"$/);
    configError(() => loadConfig(['--port', '3.5'], {}), /^--port .*"3\.5"/);
    configError(() => loadConfig(['--port', '-1'], {}), /--port/);
    configError(() => loadConfig(['--port=70000'], {}), /--port/);
    configError(() => loadConfig(['--port='], {}), /--port/);
    configError(() => loadConfig([], { PORT: '0x10' }), /PORT/);
  });

  it('refuses a room capacity below 2', () => {
    configError(() => loadConfig([], { ROOM_CAPACITY: '1' }), /^ROOM_CAPACITY must be a whole number from 2/);
    configError(() => loadConfig(['--room-capacity', '0'], {}), /--room-capacity/);
    configError(() => loadConfig(['--room-capacity', 'many'], {}), /--room-capacity/);
  });

  it('refuses a disconnect grace outside 0 to 60000 ms', () => {
    configError(() => loadConfig([], { DISCONNECT_GRACE_MS: '60001' }), /^DISCONNECT_GRACE_MS must be a whole number from 0 to 60000, got "60001"$/);
    configError(() => loadConfig(['--disconnect-grace-ms', '-1'], {}), /--disconnect-grace-ms/);
    configError(() => loadConfig(['--disconnect-grace-ms', '1.5'], {}), /--disconnect-grace-ms/);
    configError(() => loadConfig([], { DISCONNECT_GRACE_MS: '4s' }), /DISCONNECT_GRACE_MS/);
    assert.equal(loadConfig([], { DISCONNECT_GRACE_MS: '60000' }).disconnectGraceMs, 60_000);
  });

  it('refuses unknown flags, stray arguments and flags without a value', () => {
    configError(() => loadConfig(['--prot', '3000'], {}), /^unknown flag --prot/);
    configError(() => loadConfig(['--port=1', '--verbose'], {}), /unknown flag --verbose/);
    configError(() => loadConfig(['3000'], {}), /unexpected argument "3000"/);
    configError(() => loadConfig(['-p', '3000'], {}), /unexpected argument "-p"/);
    configError(() => loadConfig(['--port'], {}), /^--port needs a value$/);
    configError(() => loadConfig(['--port', '--host', 'x'], {}), /^--port needs a value$/);
  });

  it('refuses a topology that is not mesh, sfu or auto', () => {
    configError(() => loadConfig([], { TOPOLOGY: 'star' }), /^TOPOLOGY must be one of mesh, sfu, auto, got "star"$/);
    configError(() => loadConfig(['--topology', 'MESH'], {}), /--topology/);
  });

  it('refuses only one of TLS_CERT and TLS_KEY', () => {
    configError(() => loadConfig([], { TLS_CERT: '/c.pem' }), /TLS_CERT is set but TLS_KEY is not/);
    configError(() => loadConfig(['--tls-key', '/k.pem'], {}), /TLS_KEY is set but TLS_CERT is not/);
    assert.equal(loadConfig(['--tls-key', '/k.pem'], { TLS_CERT: '/c.pem' }).tlsKey, '/k.pem');
  });

  it('refuses malformed origins and URLs', () => {
    configError(() => loadConfig([], { ALLOWED_ORIGINS: 'example.com' }), /ALLOWED_ORIGINS: "example.com" is not an origin/);
    configError(() => loadConfig([], { ALLOWED_ORIGINS: 'https://a.example/path' }), /ALLOWED_ORIGINS/);
    configError(() => loadConfig(['--allowed-origins', ' , '], {}), /--allowed-origins lists nothing/);
    configError(() => loadConfig([], { TURN_URLS: 'http://turn.example' }), /TURN_URLS/);
    configError(() => loadConfig([], { REDIS_URL: 'localhost:6379' }), /REDIS_URL/);
    configError(() => loadConfig([], { JANUS_URL: 'http://janus' }), /JANUS_URL/);
    configError(() => loadConfig([], { MESH_LIMIT: '1' }), /MESH_LIMIT/);
    configError(() => loadConfig([], { TURN_TTL: 'forever' }), /TURN_TTL/);
    configError(() => loadConfig(['--auth-secret', ' '], {}), /--auth-secret must not be blank/);
    assert.deepEqual(loadConfig([], { ALLOWED_ORIGINS: '*' }).allowedOrigins, ['*']);
    assert.deepEqual(loadConfig([], { ALLOWED_ORIGINS: 'https://a.example/' }).allowedOrigins, ['https://a.example']);
  });

  it('recognizes --help and describes every setting in the usage', () => {
    assert.equal(wantsHelp(['--help']), true);
    assert.equal(wantsHelp(['--port', '1', '-h']), true);
    assert.equal(wantsHelp(['--port', '1']), false);
    const text = usage();
    for (const name of ['--port', 'PORT', '--host', '--room-capacity', 'ROOM_CAPACITY', '--disconnect-grace-ms', 'DISCONNECT_GRACE_MS', '--allowed-origins', 'AUTH_SECRET', 'TURN_URLS', 'TURN_SECRET', 'TURN_TTL', 'REDIS_URL', 'TLS_CERT', 'TLS_KEY', 'TOPOLOGY', 'MESH_LIMIT', 'JANUS_URL', 'JANUS_API_SECRET', '--janus-room-key', 'JANUS_ROOM_KEY', 'LOG_LEVEL', 'TRUST_PROXY', 'CONNECTION_RATE_LIMIT', 'token --room']) {
      assert.ok(text.includes(name), name);
    }
  });

  it('refuses a log level, proxy count or connection limit out of range', () => {
    configError(() => loadConfig([], { LOG_LEVEL: 'verbose' }), /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
    configError(() => loadConfig(['--trust-proxy', '-1'], {}), /--trust-proxy/);
    configError(() => loadConfig([], { TRUST_PROXY: 'true' }), /TRUST_PROXY must be a whole number from 0 to 10/);
    configError(() => loadConfig([], { CONNECTION_RATE_LIMIT: 'lots' }), /CONNECTION_RATE_LIMIT/);
    assert.equal(loadConfig(['--connection-rate-limit', '0'], {}).connectionRateLimit, 0);
  });

  it('needs TURN_URLS with TURN_SECRET, and TURN_SECRET for turn: URLs', () => {
    configError(() => loadConfig([], { TURN_SECRET: 'x'.repeat(32) }), /^TURN_SECRET is set but TURN_URLS is not/);
    configError(() => loadConfig([], { TURN_URLS: 'stun:stun.example:3478,turns:turn.example:5349' }), /^TURN_URLS lists turn: servers but TURN_SECRET is not set/);
    // STUN alone needs no credentials.
    assert.deepEqual(loadConfig([], { TURN_URLS: 'stun:stun.example:3478' }).turnUrls, ['stun:stun.example:3478']);
  });

  it('warns about short secrets, without showing them', () => {
    assert.deepEqual(configWarnings(loadConfig([], {})), []);
    const warnings = configWarnings(loadConfig([], { AUTH_SECRET: 'hunter2', TURN_URLS: 'turn:t.example', TURN_SECRET: 's'.repeat(32) }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^AUTH_SECRET is only 7 characters long/);
    assert.ok(!warnings[0]?.includes('hunter2'));
  });
});

describe('loadTokenCommand', () => {
  it('reads the room, name and lifetime, and the secret from AUTH_SECRET or --auth-secret', () => {
    assert.deepEqual(loadTokenCommand(['--room', 'standup'], { AUTH_SECRET: 'env-secret' }), { secret: 'env-secret', room: 'standup', ttl: 3600 });
    assert.deepEqual(loadTokenCommand(['--room=r.1', '--name', 'Ada L.', '--ttl', '60', '--auth-secret', 'flag'], { AUTH_SECRET: 'env' }), {
      secret: 'flag', room: 'r.1', name: 'Ada L.', ttl: 60,
    });
  });

  it('refuses a missing secret or room, a bad room, name or lifetime', () => {
    configError(() => loadTokenCommand(['--room', 'r'], {}), /^AUTH_SECRET is not set/);
    configError(() => loadTokenCommand([], { AUTH_SECRET: 's' }), /^--room is required/);
    configError(() => loadTokenCommand(['--room', '../x'], { AUTH_SECRET: 's' }), /^--room: "\.\.\/x" is not a room name/);
    configError(() => loadTokenCommand(['--room', 'r', '--name', ' '], { AUTH_SECRET: 's' }), /^--name must not be blank/);
    configError(() => loadTokenCommand(['--room', 'r', '--ttl', '0'], { AUTH_SECRET: 's' }), /^--ttl must be a whole number from 1 to 2678400/);
    configError(() => loadTokenCommand(['--room', 'r', '--port', '1'], { AUTH_SECRET: 's' }), /^unknown flag --port/);
    assert.match(tokenUsage(), /^Usage: rtc-signal-server token --room/);
  });
});
