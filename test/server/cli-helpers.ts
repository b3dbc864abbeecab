/** Running the real `rtc-signal-server` command from source, for the CLI and scale-out tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './helpers.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Settings the CLI reads from the environment: removed, so the test's own environment cannot leak in. */
const SETTING_VARIABLES = ['PORT', 'HOST', 'ROOM_CAPACITY', 'DISCONNECT_GRACE_MS', 'ALLOWED_ORIGINS', 'AUTH_SECRET', 'TURN_URLS', 'TURN_SECRET', 'TURN_TTL', 'REDIS_URL', 'TLS_CERT', 'TLS_KEY', 'TOPOLOGY', 'MESH_LIMIT', 'JANUS_URL', 'JANUS_API_SECRET', 'JANUS_ROOM_KEY', 'LOG_LEVEL', 'TRUST_PROXY', 'CONNECTION_RATE_LIMIT'];

/** The environment without any of the server's settings, plus the given ones. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of SETTING_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the command with these arguments and environment; it is killed when the test ends
 * (through `onCleanup` when given, else `t.after`).
 */
export function runCli(
  t: TestContext,
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
  onCleanup: (t: TestContext, cleanup: () => unknown) => void = (test, cleanup) => test.after(cleanup),
): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signal-server/cli.ts', ...args], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  onCleanup(t, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for the `listening on` line and answers the URL it names. */
export function listeningUrl(cli: RunningCli, ms = 15_000): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const match = /rtc-signal-server listening on (https?:\/\/[^\s]+)\n/.exec(cli.stdout());
        if (match?.[1]) resolve(match[1]);
      };
      cli.child.stdout.on('data', check);
      cli.exited.then(() => reject(new Error(`exited before listening: ${cli.stderr()}`)), reject);
      check();
    }),
    'the listening line',
    ms,
  );
}
