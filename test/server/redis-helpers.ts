/**
 * A real, throwaway `redis-server` for tests: no persistence, on 127.0.0.1 and a free
 * port, in a temporary directory. It can be stopped and started again on the same port
 * (to test reconnection), and is killed when the test process exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** Every redis-server started here and still running: killed if the test process exits early. */
const running = new Set<ChildProcess>();
function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
process.once('exit', killAll);
// 'exit' does not run when a signal ends the process (a test runner's timeout, Ctrl-C):
// kill the servers, then let the signal do what it would have done.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL); it can be started again. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with empty data. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/** Starts a redis-server and waits until it answers PING. */
export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  let disposed = false;

  const start = async (): Promise<void> => {
    if (child) return;
    const spawned = spawn(
      REDIS_SERVER,
      ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = spawned;
    running.add(spawned);
    let output = '';
    spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<never>((_, reject) =>
      spawned.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}): ${output.slice(-500)}`))),
    );
    exited.catch(() => {});
    try {
      await Promise.race([waitForPong(port, 5000), exited]);
    } catch (error) {
      await stop();
      throw error;
    }
  };

  const stop = async (): Promise<void> => {
    const current = child;
    if (!current) return;
    child = undefined;
    if (current.exitCode === null && current.signalCode === null) {
      const gone = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill('SIGTERM');
      const killer = setTimeout(() => current.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(killer);
    }
    running.delete(current);
  };

  // A free port may be taken between finding it and redis binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a raw `PING` on `port` gets `+PONG`; retries until `ms` have passed. */
async function waitForPong(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
