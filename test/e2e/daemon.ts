/**
 * Starts a server program (coturn, Janus) for a test: its output collected, a probe
 * polled until it answers, and one `stop()` that ends it and removes its folder.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';

export interface Daemon {
  /** Everything it printed so far, for failure messages. */
  log(): string;
  /** SIGTERM, SIGKILL after 3 s, then its folder removed. Idempotent. */
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Its own temporary folder: the working directory, removed by `stop()`. */
  dir: string;
  /** What it is called in errors. */
  name: string;
  /** Resolves true once it serves; polled until then. */
  ready: (output: string) => Promise<boolean>;
  timeoutMs: number;
  pollMs?: number;
  /** Also copy its output to stderr. */
  echo?: boolean;
}

export async function startDaemon(command: string, args: string[], options: DaemonOptions): Promise<Daemon> {
  const child = spawn(command, args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    if (options.echo) process.stderr.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      output += `\n[spawn error] ${error.message}`;
      exited = true;
      resolve();
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exit;
        clearTimeout(killer);
      }
      await rm(options.dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`${options.name} exited before it served:\n${output}`);
    }
    if (await options.ready(output)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} did not serve within ${options.timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
  return { log: () => output, stop };
}
