#!/usr/bin/env node
/**
 * `rtc-signal-server`: reads the settings, serves the HTTP routes and the signal server
 * on one port, logs JSON lines to stdout, and shuts down cleanly on SIGINT/SIGTERM.
 * `rtc-signal-server token --room R` prints a join token instead.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signJoinToken } from './auth.js';
import {
  ConfigError,
  configWarnings,
  loadConfig,
  loadTokenCommand,
  tokenUsage,
  usage,
  wantsHelp,
  type SignalServerConfig,
} from './config.js';
import { createRequestHandler } from './http.js';
import { createLogger, type Logger } from './logger.js';
import type { SfuBackend } from './sfu/types.js';
import type { SignalServer } from './server.js';
import { connectSignalServer, redactRedisUrl } from './start.js';
import { turnIceServers } from './turn.js';

const NAME = 'rtc-signal-server';
/**
 * How long a shutdown may take before the process exits anyway (connections that will not
 * close are cut): within the 10 s most process managers wait before a SIGKILL.
 */
const SHUTDOWN_TIMEOUT_MS = 9000;

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

/**
 * The SFU, when `JANUS_URL` is set: imported only then, since janode loads a native addon
 * that a mesh-only deployment never needs. Janus instances that cannot be reached yet are
 * retried in the background.
 */
async function startSfu(config: SignalServerConfig, logger: Logger): Promise<SfuBackend | undefined> {
  if (config.janusUrls === undefined || config.janusApiSecret === undefined) return undefined;
  const { createSfu } = await import('./sfu/index.js');
  return createSfu({
    urls: config.janusUrls,
    apiSecret: config.janusApiSecret,
    ...(config.janusRoomKey === undefined ? {} : { roomKey: config.janusRoomKey }),
    ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
    logger,
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `rtc-signal-server token --room R [--name N] [--ttl S]`: prints a join token. */
async function tokenCommand(argv: readonly string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${tokenUsage()}\n`);
    return;
  }
  let command;
  try {
    command = loadTokenCommand(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${NAME} token: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const token = await signJoinToken(command.secret, {
    room: command.room,
    ...(command.name === undefined ? {} : { name: command.name }),
    expiresIn: command.ttl,
  });
  process.stdout.write(`${token}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'token') {
    await tokenCommand(argv.slice(1)).catch((error: unknown) => {
      process.stderr.write(`${NAME} token: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
    return;
  }
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
  for (const warning of configWarnings(config)) process.stderr.write(`${NAME}: warning: ${warning}\n`);

  const logger = createLogger({ level: config.logLevel });
  let accepting = true;
  // Set before the server listens, hence before any request reaches the handler.
  let signalServer: SignalServer | undefined;
  const handler = createRequestHandler({
    bundleDir: bundleDir(),
    isReady: async () => accepting && signalServer !== undefined && (await signalServer.ready()),
    metrics: () => (signalServer as SignalServer).metrics.registry,
  });
  const server: HttpServer | HttpsServer = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  let sfu: SfuBackend | undefined;
  try {
    sfu = await startSfu(config, logger);
  } catch (error) {
    if (config.redisUrl === undefined) throw error;
    // With REDIS_URL the SFU's placement lives in Redis: the only thing that can fail here.
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${NAME}: cannot reach Redis at ${redactRedisUrl(config.redisUrl)} (${reason}); is REDIS_URL right, and Redis running?\n`);
    process.exit(2);
  }
  try {
    signalServer = await connectSignalServer(server, {
      roomCapacity: config.roomCapacity,
      disconnectGraceMs: config.disconnectGraceMs,
      ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
      ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
      ...(config.authSecret === undefined ? {} : { authSecret: config.authSecret }),
      ...(config.turnUrls === undefined
        ? {}
        : {
            iceServers: turnIceServers({
              urls: config.turnUrls,
              ...(config.turnSecret === undefined ? {} : { secret: config.turnSecret }),
              ttlSeconds: config.turnTtl,
            }),
          }),
      trustProxy: config.trustProxy,
      connectionRateLimit: config.connectionRateLimit === 0 ? false : { max: config.connectionRateLimit, windowMs: 10_000 },
      logger,
      processMetrics: true,
      topology: config.topology,
      meshLimit: config.meshLimit,
      ...(sfu === undefined ? {} : { sfu }),
    });
  } catch (error) {
    await sfu?.close().catch(() => {});
    if (config.redisUrl === undefined) throw error;
    // The only thing that can fail here with a URL that parsed: Redis is not there.
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${NAME}: cannot reach Redis at ${redactRedisUrl(config.redisUrl)} (${reason}); is REDIS_URL right, and Redis running?\n`);
    // Its clients may still be closing their sockets: leave without waiting for them.
    process.exit(2);
  }
  const signal = signalServer;

  server.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`${NAME}: cannot listen on ${formatHost(config.host)}:${config.port}: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const url = `${tls ? 'https' : 'http'}://${formatHost(config.host)}:${port}`;
    process.stdout.write(`${NAME} listening on ${url}\n`);
    // What is switched on, never a secret.
    logger.info(
      {
        url,
        roomCapacity: config.roomCapacity,
        auth: config.authSecret !== undefined,
        turnUrls: config.turnUrls ?? [],
        turnCredentials: config.turnSecret !== undefined,
        allowedOrigins: config.allowedOrigins ?? 'any',
        trustProxy: config.trustProxy,
        connectionRateLimit: config.connectionRateLimit,
        tls: tls !== undefined,
        redis: config.redisUrl === undefined ? false : redactRedisUrl(config.redisUrl),
        topology: config.topology,
        ...(config.topology === 'auto' ? { meshLimit: config.meshLimit } : {}),
        janusUrls: config.janusUrls ?? [],
      },
      'listening',
    );
  });

  const shutdown = (signalName: NodeJS.Signals): void => {
    if (!accepting) {
      // A second signal: the person wants out now.
      process.exit(1);
    }
    // /readyz answers 503 from now on; the signal server refuses new connections, tells
    // every client to reconnect (they come back, with jitter, to whichever server is up),
    // and closes.
    accepting = false;
    logger.info({ signal: signalName }, 'shutting down');
    setTimeout(() => {
      logger.warn({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown is taking too long: exiting anyway');
      server.closeAllConnections();
      process.exit(0);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    signal.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
