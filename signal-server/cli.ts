#!/usr/bin/env node
/**
 * `rtc-signal-server`: reads the settings, serves the HTTP routes and the signal server
 * on one port, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, usage, wantsHelp, type SignalServerConfig } from './config.js';
import { createRequestHandler } from './http.js';
import { createSignalServer } from './server.js';

const NAME = 'rtc-signal-server';
/** How long a shutdown may wait for clients before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 3000;

/**
 * Where the browser bundles are. Compiled, this file is `dist/server/signal-server/cli.js`
 * and the bundles sit in `dist/`; run from source (tsx), it is `signal-server/cli.ts`
 * next to the repository's `dist/`.
 */
function bundleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return import.meta.url.endsWith('.ts') ? resolve(here, '../dist') : resolve(here, '../..');
}

function readTls(config: SignalServerConfig): { cert: Buffer; key: Buffer } | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  return { cert: readSettingFile('TLS_CERT', config.tlsCert), key: readSettingFile('TLS_KEY', config.tlsKey) };
}

function readSettingFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`${setting}: cannot read "${path}" (${reason})`);
  }
}

/** Settings that parse but do nothing yet: say so, rather than let an operator believe otherwise. */
function warnAboutUnimplemented(config: SignalServerConfig): void {
  const unimplemented: string[] = [];
  if (config.authSecret !== undefined) unimplemented.push('AUTH_SECRET (joining is NOT protected yet)');
  if (config.turnUrls !== undefined || config.turnSecret !== undefined) unimplemented.push('TURN_URLS/TURN_SECRET');
  if (config.redisUrl !== undefined) unimplemented.push('REDIS_URL (rooms stay in this process)');
  if (config.topology !== 'mesh' || config.janusUrls !== undefined) unimplemented.push('TOPOLOGY/JANUS_URL (calls stay peer to peer)');
  for (const setting of unimplemented) process.stderr.write(`${NAME}: warning: ${setting} is not supported yet and is ignored\n`);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function main(argv: readonly string[]): void {
  if (wantsHelp(argv)) {
    process.stdout.write(`${usage()}\n`);
    return;
  }

  let config: SignalServerConfig;
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    config = loadConfig(argv, process.env);
    tls = readTls(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  warnAboutUnimplemented(config);

  let accepting = true;
  const handler = createRequestHandler({ bundleDir: bundleDir(), isReady: () => accepting });
  const server: HttpServer | HttpsServer = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  const signalServer = createSignalServer(server, {
    roomCapacity: config.roomCapacity,
    disconnectGraceMs: config.disconnectGraceMs,
    ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
  });

  server.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`${NAME}: cannot listen on ${formatHost(config.host)}:${config.port}: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${NAME} listening on ${tls ? 'https' : 'http'}://${formatHost(config.host)}:${port}\n`);
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (!accepting) {
      // A second signal: the person wants out now.
      process.exit(1);
    }
    accepting = false;
    process.stderr.write(`${NAME}: ${signal} received, shutting down\n`);
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
    signalServer.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
