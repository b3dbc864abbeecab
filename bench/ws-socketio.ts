/**
 * A PROTOTYPE for the load bench (issue 6, figure 3), not used by the product: the part of
 * socket.io's server API that the signal server uses, on plain `ws`, speaking the same wire
 * protocol as socket.io 4 (engine.io v4 open/ping/pong/close packets, socket.io v5 text
 * packets, acks), websocket transport only, one process, rooms in memory. The page's own
 * client (src/core/signaling/socket-io-connection.ts) speaks exactly this.
 *
 * `ws-socketio-hooks.ts` puts it in place of `socket.io` for the modules of the signal
 * server only, so that the real server (every validation, limit and room rule) runs on it
 * unchanged: `node --import tsx --import ./bench/ws-socketio-hooks.ts <cli>`. The question
 * it answers: how much of a connection's memory and of a message's CPU is socket.io's.
 *
 * Left out (the signal server does not need them, or a product version would add them):
 * long polling, binary packets, namespaces other than "/", the adapter (Redis scale-out),
 * connection state recovery, CORS (websockets do not use it), engine middlewares.
 * A socket is not in a room of its own id (the server never addresses one by it).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket as TcpSocket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Listener = (...args: unknown[]) => void;
type AllowRequest = (request: IncomingMessage, callback: (error: unknown, ok: boolean) => void) => void;

export interface ServerOptions {
  path?: string;
  maxHttpBufferSize?: number;
  pingInterval?: number;
  pingTimeout?: number;
  connectTimeout?: number;
  allowRequest?: AllowRequest;
  [other: string]: unknown;
}

/** socket.io's names that a client may not send as events (its parser refuses them). */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** What `io.engine` offers here: the client count, and no-op hooks for the engine's events. */
class Engine extends EventEmitter {
  clientsCount = 0;
  use(): void {}
}

/** Sends `packet` (a socket.io text packet) to every socket of `targets`: encoded once. */
function broadcast(targets: Iterable<Socket>, event: string, args: unknown[], except?: Socket | string): void {
  let frame: Buffer | undefined;
  for (const socket of targets) {
    if (socket === except || socket.id === except || !socket.connected) continue;
    frame ??= Buffer.from(`42${JSON.stringify([event, ...args])}`);
    socket.ws.send(frame, { binary: false });
  }
}

/** `io.to(room)`, `socket.to(room)`, `io.in(room).except(id)`. */
class Operator {
  constructor(
    private readonly server: Server,
    private readonly room: string,
    private readonly excluded?: Socket | string,
  ) {}

  except(id: string): Operator {
    return new Operator(this.server, this.room, id);
  }

  emit(event: string, ...args: unknown[]): boolean {
    const members = this.server.rooms.get(this.room);
    if (members) broadcast(members, event, args, this.excluded);
    return true;
  }

  disconnectSockets(close = false): void {
    for (const socket of [...(this.server.rooms.get(this.room) ?? [])]) {
      if (socket !== this.excluded && socket.id !== this.excluded) socket.disconnect(close);
    }
  }
}

export class Socket {
  readonly id: string;
  data: Record<string, unknown> = {};
  connected = false;
  /** Set once the client entered the namespace ("40"). */
  lastPingAt: number;
  pongPending = false;
  #rooms: Set<string> | undefined;
  #any: Listener | undefined;
  #onDisconnect: Listener | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly server: Server,
  ) {
    this.id = randomBytes(15).toString('base64url');
    this.lastPingAt = Date.now();
  }

  get rooms(): Set<string> {
    return (this.#rooms ??= new Set());
  }

  onAny(listener: Listener): this {
    this.#any = listener;
    return this;
  }

  on(event: string, listener: Listener): this {
    if (event !== 'disconnect') throw new Error(`ws-socketio: only onAny and on('disconnect') are supported, not on('${event}')`);
    this.#onDisconnect = listener;
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    if (this.connected) this.ws.send(`42${JSON.stringify([event, ...args])}`);
    return true;
  }

  to(room: string): Operator {
    return new Operator(this.server, room, this);
  }

  join(rooms: string | string[]): void {
    for (const room of typeof rooms === 'string' ? [rooms] : rooms) {
      this.rooms.add(room);
      let members = this.server.rooms.get(room);
      if (!members) this.server.rooms.set(room, (members = new Set()));
      members.add(this);
    }
  }

  leave(room: string): void {
    this.#rooms?.delete(room);
    const members = this.server.rooms.get(room);
    if (!members) return;
    members.delete(this);
    if (members.size === 0) this.server.rooms.delete(room);
  }

  /** Leaves the namespace (telling the client, as socket.io does), and with `close` the connection. */
  disconnect(close = false): this {
    if (this.connected) {
      this.ws.send('41');
      this.closed('server namespace disconnect');
    }
    if (close) this.ws.close();
    return this;
  }

  /** The client's text packet. */
  onMessage(text: string): void {
    const type = text.charCodeAt(0);
    if (type === 51 /* '3' pong */) {
      this.pongPending = false;
      return;
    }
    if (type === 49 /* '1' close */) return void this.ws.close();
    if (type !== 52 /* '4' message */) return;
    const kind = text.charCodeAt(1);
    if (kind === 48 /* '0' connect */) {
      if (this.connected) return;
      if (text.length > 2 && text.charCodeAt(2) !== 123 /* '{' auth */) {
        this.ws.send(`44${JSON.stringify({ message: 'Invalid namespace' })}`);
        return;
      }
      this.connected = true;
      this.ws.send(`40${JSON.stringify({ sid: this.id })}`);
      this.server.sockets.sockets.set(this.id, this);
      this.server.emitConnection(this);
      return;
    }
    if (!this.connected) return;
    if (kind === 49 /* '1' disconnect */) return void this.closed('client namespace disconnect');
    if (kind !== 50 /* '2' event */) return void this.ws.close(); // binary packets and the like: not spoken here
    let at = 2;
    while (at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
    const ackId = at > 2 ? text.slice(2, at) : undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(text.slice(at));
    } catch {
      return void this.ws.close();
    }
    // socket.io's parser: an array whose first item is an event name that is not reserved.
    if (!Array.isArray(payload) || payload.length === 0 || (typeof payload[0] !== 'string' && typeof payload[0] !== 'number') || RESERVED.has(payload[0] as string)) {
      return void this.ws.close();
    }
    const args = payload.slice(1);
    if (ackId !== undefined) {
      let answered = false;
      args.push((...answer: unknown[]) => {
        if (answered || !this.connected) return;
        answered = true;
        this.ws.send(`43${ackId}${JSON.stringify(answer)}`);
      });
    }
    this.#any?.(payload[0], ...args);
  }

  /** The socket leaves the namespace: its rooms, the server's list, then its `disconnect` listener. */
  closed(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    for (const room of [...(this.#rooms ?? [])]) this.leave(room);
    this.server.sockets.sockets.delete(this.id);
    this.#onDisconnect?.(reason);
  }
}

export class Server {
  readonly engine = new Engine();
  readonly rooms = new Map<string, Set<Socket>>();
  readonly sockets = { sockets: new Map<string, Socket>() };
  readonly #wss: InstanceType<typeof WebSocketServer>;
  readonly #all = new Set<Socket>();
  #onConnection: ((socket: Socket) => void) | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly http: HttpServer,
    options: ServerOptions = {},
  ) {
    const path = `${(options.path ?? '/socket.io').replace(/\/$/, '')}/`;
    const pingInterval = options.pingInterval ?? 25_000;
    const pingTimeout = options.pingTimeout ?? 20_000;
    const connectTimeout = options.connectTimeout ?? 45_000;
    const maxPayload = options.maxHttpBufferSize ?? 1e6;
    const open = `0${JSON.stringify({ upgrades: [], pingInterval, pingTimeout, maxPayload })}`;
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload, clientTracking: false });

    // Requests under the path that are not websocket upgrades: long polling is not spoken here.
    const others = http.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
    http.removeAllListeners('request');
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith(path)) response.writeHead(400, { 'content-type': 'text/plain' }).end('websocket transport only');
      else for (const listener of others) listener.call(http, request, response);
    });

    http.on('upgrade', (request: IncomingMessage, tcp: TcpSocket, head: Buffer) => {
      if (!request.url?.startsWith(path)) return;
      const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1));
      const refuse = (): void => {
        if (tcp.writable) tcp.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        tcp.destroy();
      };
      if (query.get('EIO') !== '4' || query.get('transport') !== 'websocket' || query.has('sid')) return refuse();
      const admit = options.allowRequest ?? ((_request, callback) => callback(null, true));
      admit(request, (_error, ok) => {
        // A refusal answered by allowRequest itself has ended the socket already.
        if (!ok) return void (tcp.destroyed || !tcp.writable ? tcp.destroy() : refuse());
        this.#wss.handleUpgrade(request, tcp, head, (ws) => this.#onWebSocket(ws, open));
      });
    });

    // One timer for every connection: pings (spread over the interval: a connection is
    // pinged once its own interval is over), cut-offs of those that did not answer in time,
    // and of those that never entered the namespace.
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const socket of this.#all) {
        const since = now - socket.lastPingAt;
        if (socket.pongPending ? since >= pingTimeout : !socket.connected && since >= connectTimeout) socket.ws.terminate();
        else if (!socket.pongPending && since >= pingInterval) {
          socket.pongPending = true;
          socket.lastPingAt = now;
          socket.ws.send('2');
        }
      }
    }, Math.min(500, pingInterval / 4));
  }

  #onWebSocket(ws: WebSocket, open: string): void {
    const socket = new Socket(ws, this);
    this.#all.add(socket);
    this.engine.clientsCount++;
    ws.send(`${open.slice(0, 2)}"sid":${JSON.stringify(socket.id)},${open.slice(2)}`);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return void ws.close();
      socket.onMessage(data.toString());
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.#all.delete(socket);
      this.engine.clientsCount--;
      socket.closed('transport close');
    });
  }

  emitConnection(socket: Socket): void {
    this.#onConnection?.(socket);
  }

  on(event: string, listener: (socket: Socket) => void): this {
    if (event !== 'connection') throw new Error(`ws-socketio: only on('connection') is supported, not on('${event}')`);
    this.#onConnection = listener;
    return this;
  }

  to(room: string): Operator {
    return new Operator(this, room);
  }

  in(room: string): Operator {
    return new Operator(this, room);
  }

  /** Closes every connection, then the http server, as socket.io does. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const socket of this.#all) socket.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
