/**
 * A signal server wired to private Janus instances, for tests of SFU rooms: starts
 * `count` Janus (test/e2e/janus.ts, one API secret for all) and the built signal server
 * (`dist/server`, run `node scripts/build.mjs` first) with `TOPOLOGY=sfu`, `JANUS_URL`
 * listing them and `JANUS_API_SECRET`. `extraEnv` overrides or adds settings
 * (`{ TOPOLOGY: 'auto', MESH_LIMIT: '2' }`).
 *
 * Pages that talk to these Janus need `JANUS_BROWSER_FLAGS` (real host addresses in
 * their candidates): `launchBrowser({ args: JANUS_BROWSER_FLAGS })`.
 */
import { randomBytes } from 'node:crypto';
import { startJanus, type RunningJanus } from './janus.js';
import { startSignalServer, type RunningServer } from './harness.js';

export interface RunningSfuSignalServer {
  /** The signal server's URL (`http://127.0.0.1:PORT`). */
  url: string;
  /** The signal server process. */
  server: RunningServer;
  /** The Janus instances, in `JANUS_URL` order. */
  janus: RunningJanus[];
  /** Stops the signal server, then every Janus. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts Janus(es) and the built signal server wired to them.
 * @param extraEnv settings for the signal server, over the defaults above
 * @param options.janusCount how many Janus instances (default 1)
 */
export async function startSfuSignalServer(
  extraEnv: Record<string, string> = {},
  options: { janusCount?: number } = {},
): Promise<RunningSfuSignalServer> {
  const apiSecret = randomBytes(24).toString('base64url');
  const janus: RunningJanus[] = [];
  try {
    for (let i = 0; i < (options.janusCount ?? 1); i++) janus.push(await startJanus({ apiSecret }));
    const server = await startSignalServer({
      TOPOLOGY: 'sfu',
      JANUS_URL: janus.map((instance) => instance.url).join(','),
      JANUS_API_SECRET: apiSecret,
      LOG_LEVEL: process.env.SFU_LOG === '1' ? 'info' : 'warn',
      ...extraEnv,
    });
    if (process.env.SFU_LOG === '1') {
      server.process.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      server.process.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    }
    let stopped: Promise<void> | undefined;
    return {
      url: server.url,
      server,
      janus,
      stop: () =>
        (stopped ??= (async () => {
          await server.stop();
          await Promise.all(janus.map((instance) => instance.stop()));
        })()),
    };
  } catch (error) {
    await Promise.all(janus.map((instance) => instance.stop()));
    throw error;
  }
}
