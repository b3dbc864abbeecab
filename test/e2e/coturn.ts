/**
 * A private coturn (`turnserver`, Debian package `coturn`) for the end-to-end tests: its
 * own flags only (`-n`: no `/etc/turnserver.conf`), on 127.0.0.1 and a free port, with
 * time-limited credentials (`use-auth-secret`, the TURN REST scheme), its pid file and
 * SQLite database in a temporary folder of its own, and its log on stdout (kept for
 * failure messages). `--allow-loopback-peers` is for tests only: here both peers and the
 * relay are on loopback.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';

/** Where Debian installs coturn's server. */
export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/** The realm the test coturn announces. */
export const TURN_REALM = 'rtc-elements.test';

export interface RunningCoturn {
  /** A `turn:` URL for UDP, e.g. `turn:127.0.0.1:34781?transport=udp`. */
  url: string;
  port: number;
  /** The relay port range handed to coturn. */
  relayPorts: { min: number; max: number };
  /** The exact command line, for reports and failure messages. */
  command: string[];
  /** Everything coturn printed so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after 3 s; removes its temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A TURN REST credential (coturn `use-auth-secret`): username `<expiry>:<user>` (expiry
 * in Unix seconds, `ttlSeconds` from now; negative for one that has already expired),
 * credential base64(HMAC-SHA1(secret, username)).
 */
export function turnCredentials(secret: string, ttlSeconds: number, user: string): { username: string; credential: string } {
  const expiry = Math.floor(Date.now() / 1000) + ttlSeconds;
  const username = `${expiry}:${user}`;
  return { username, credential: turnCredentialFor(secret, username) };
}

/** base64(HMAC-SHA1(secret, username)): the credential coturn expects for `username`. */
export function turnCredentialFor(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** A port free for both UDP and TCP on 127.0.0.1 (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const { port } = udp.address();
    const tcp = createServer();
    const tcpOk = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpOk) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (tcpOk) return port;
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

/** Sends a STUN Binding request to 127.0.0.1:`port`; true when a Binding success answers within `ms`. */
export async function stunBindingAnswers(port: number, ms = 300): Promise<boolean> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request
  request.writeUInt16BE(0, 2); // no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  const transactionId = Buffer.from(Array.from({ length: 12 }, () => Math.floor(Math.random() * 256)));
  transactionId.copy(request, 8);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      socket.on('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      socket.on('message', (message) => {
        if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transactionId)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Starts coturn in the foreground and waits until it answers STUN on its port. */
export async function startCoturn(options: { secret: string; realm?: string }): Promise<RunningCoturn> {
  if (!existsSync(TURNSERVER)) {
    throw new Error(`${TURNSERVER} not found: install Debian's coturn (apt-get install coturn; .ci/run installs it)`);
  }
  const port = await freePort();
  // Relay ports below Linux's ephemeral range (32768+), so they clash with no browser
  // socket; a window picked at random so two runs on one machine rarely share one.
  const min = 20000 + Math.floor(Math.random() * 45) * 200;
  const relayPorts = { min, max: min + 199 };
  const dir = await mkdtemp(join(tmpdir(), 'rtc-coturn-'));
  const args = [
    '-n', // no configuration file: these flags only
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--relay-ip=127.0.0.1',
    `--min-port=${relayPorts.min}`,
    `--max-port=${relayPorts.max}`,
    '--use-auth-secret',
    `--static-auth-secret=${options.secret}`,
    `--realm=${options.realm ?? TURN_REALM}`,
    '--fingerprint',
    '--allow-loopback-peers', // tests only: the peers are on loopback
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-rfc5780',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ];
  const daemon = await startDaemon(TURNSERVER, args, {
    dir,
    name: 'turnserver',
    ready: () => stunBindingAnswers(port),
    timeoutMs: 10_000,
  });

  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    port,
    relayPorts,
    command: [TURNSERVER, ...args],
    log: daemon.log,
    stop: daemon.stop,
  };
}
