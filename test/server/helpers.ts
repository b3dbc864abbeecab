/**
 * Helpers for the signal server's integration tests: a real server on an ephemeral
 * port, real socket.io clients, and waiting for what a client actually receives.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  JoinAnswer,
  JoinRequest,
  ServerToClientEvents,
} from '../../src/protocol/index.js';
import { createRequestHandler } from '../../signal-server/http.js';
import { MemoryRoomStore } from '../../signal-server/room-store.js';
import type { Rooms } from '../../signal-server/rooms.js';
import { createSignalServer, type SignalServer, type SignalServerOptions } from '../../signal-server/server.js';

export type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  port: number;
  httpServer: HttpServer;
  signal: SignalServer;
  /** The bookkeeping behind the server's in-memory store, to read synchronously. */
  rooms: Rooms;
}

/** The bookkeeping behind a server's store, which must be a `MemoryRoomStore`. */
export function memoryRooms(signal: SignalServer): Rooms {
  if (!(signal.rooms instanceof MemoryRoomStore)) throw new Error('this server does not keep its rooms in memory');
  return signal.rooms.rooms;
}

/**
 * Starts a signal server (with the HTTP routes) on 127.0.0.1 and an ephemeral port (or
 * `port`, to restart one where another was); closed when the test ends.
 */
export async function startServer(
  t: TestContext,
  options: SignalServerOptions = {},
  bundleDir = '/nonexistent-bundle-dir',
  port = 0,
): Promise<TestServer> {
  const httpServer = createServer(createRequestHandler({ bundleDir, isReady: () => signal.ready(), metrics: () => signal.metrics.registry }));
  const signal = createSignalServer(httpServer, options);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', resolve);
  });
  const { port: boundPort } = httpServer.address() as AddressInfo;
  t.after(() => signal.close());
  return { url: `http://127.0.0.1:${boundPort}`, port: boundPort, httpServer, signal, rooms: memoryRooms(signal) };
}

/** A connected websocket client that neither reconnects nor outlives the test. */
export async function connect(
  t: TestContext,
  server: TestServer,
  extraHeaders?: Record<string, string>,
): Promise<Client> {
  const client = createClient(t, server, extraHeaders);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

/** A client that has not connected yet (for tests about refused connections). */
export function createClient(t: TestContext, server: TestServer, extraHeaders?: Record<string, string>): Client {
  const client: Client = connectClient(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 3000,
    ...(extraHeaders ? { extraHeaders } : {}),
  });
  t.after(() => {
    client.disconnect();
  });
  return client;
}

/** Emits `join` and waits for the ack. */
export function join(client: Client, request: Record<string, unknown>): Promise<JoinAnswer> {
  return withTimeout(
    new Promise<JoinAnswer>((resolve) => client.emit('join', request as unknown as JoinRequest, resolve)),
    'join ack',
  );
}

/** Joins and asserts success; answers the join answer with its participant id. */
export async function joinOk(
  client: Client,
  request: Record<string, unknown>,
): Promise<Extract<JoinAnswer, { ok: true }>> {
  const answer = await join(client, request);
  if (!answer.ok) throw new Error(`join refused: ${answer.error.code} ${answer.error.message}`);
  return answer;
}

/** Emits any event, with arbitrary arguments, as a hostile or buggy client could. */
export function emitRaw(client: Client, event: string, ...args: unknown[]): void {
  (client.emit as (event: string, ...args: unknown[]) => void)(event, ...args);
}

/** Emits any event with an ack and waits for the ack's argument. */
export function emitWithAck(client: Client, event: string, ...args: unknown[]): Promise<unknown> {
  return withTimeout(
    new Promise<unknown>((resolve) => emitRaw(client, event, ...args, resolve)),
    `${event} ack`,
  );
}

/** Resolves with the first argument of the next `event` the client receives. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  client: Client,
  event: E,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return withTimeout(
    new Promise((resolve) => {
      (client.once as (event: string, listener: (value: never) => void) => void)(event, resolve);
    }),
    `event ${event}`,
  );
}

/** Collects every `event` the client receives from now on. */
export function collect<E extends keyof ServerToClientEvents>(
  client: Client,
  event: E,
): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const received: Array<Parameters<ServerToClientEvents[E]>[0]> = [];
  (client.on as (event: string, listener: (value: never) => void) => void)(event, (value) => {
    received.push(value);
  });
  return received;
}

/** Resolves when the client is disconnected, with the reason. */
export function disconnected(client: Client): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason))),
    'disconnect',
  );
}

/**
 * Lets in-flight messages arrive: a round trip through the server on each client's own
 * connection, which is ordered, proves everything sent to it before has been delivered.
 */
export async function flush(...clients: Client[]): Promise<void> {
  await Promise.all(clients.map((client) => emitWithAck(client, 'test-flush')));
}

/** Resolves once `condition` holds, checking every few milliseconds. */
export function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  return withTimeout(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    what,
    ms,
  );
}

export function withTimeout<T>(promise: Promise<T>, what: string, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
