/**
 * The signal server's transport: an engine.io-compatible server (engine.io protocol 4,
 * websocket transport only) on plain `ws`, which socket.io binds to (`io.bind(engine)`)
 * in place of engine.io. socket.io's rooms, acks, adapters (the Redis streams adapter
 * included) and wire protocol stay as they are; what goes is engine.io's per-connection
 * weight, measured by the load bench at 10,000 clients (bench/README.md): its Socket with
 * four timers and a dozen bound listeners, the websocket transport wrapped around `ws`,
 * the upgrade request it keeps, and long polling, which the page's client never uses.
 *
 * What a client sees is engine.io's: the open packet (`0{"sid",...}`), pings from the
 * server every `pingInterval` answered by pongs within `pingTimeout`, `4`-prefixed text
 * messages, a close packet. Long-polling requests are answered like engine.io answers a
 * transport it does not offer (400, `{"code":0,"message":"Transport unknown"}`), after the
 * same admission check as a websocket (403/429/503 keep their meaning).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** engine.io's `allowRequest`: called once per handshake, before the upgrade. */
export type AllowRequest = (request: IncomingMessage, callback: (error: string | null | undefined, ok: boolean) => void) => void;

export interface WsEngineOptions {
  /** Where the engine answers, e.g. `/socket.io/`. */
  path: string;
  pingInterval: number;
  pingTimeout: number;
  /** The largest message a client may send (bytes); a bigger frame closes its connection. */
  maxPayload: number;
  allowRequest: AllowRequest;
}

/** How long an upgrade to another path may stay unanswered before it is closed (engine.io's `destroyUpgradeTimeout`). */
const FOREIGN_UPGRADE_TIMEOUT_MS = 1000;

/** engine.io's answers to a transport it does not offer, and to another protocol version. */
const TRANSPORT_UNKNOWN = JSON.stringify({ code: 0, message: 'Transport unknown' });
const UNSUPPORTED_PROTOCOL_VERSION = JSON.stringify({ code: 5, message: 'Unsupported protocol version' });

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;
type ConnectionListener = (connection: WsConnection) => void;
type DataListener = (data: string | Buffer) => void;
type CloseListener = (reason: string, description?: unknown) => void;
type ErrorListener = (error: Error) => void;

/** The part of an engine.io server that socket.io uses. */
export class WsEngine {
  /** The options, where engine.io keeps them. */
  readonly opts: WsEngineOptions;
  readonly #http: HttpServer | HttpsServer;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<WsConnection>();
  readonly #onConnection: ConnectionListener[] = [];
  readonly #heartbeat: NodeJS.Timeout;
  readonly #otherRequestListeners: RequestListener[];
  /** The open packet without its session id: the same for every connection. */
  readonly #openFields: string;

  constructor(http: HttpServer | HttpsServer, options: WsEngineOptions) {
    this.opts = options;
    this.#http = http;
    const { pingInterval, pingTimeout, maxPayload } = options;
    this.#openFields = JSON.stringify({ upgrades: [], pingInterval, pingTimeout, maxPayload }).slice(1);
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload, clientTracking: false });
    // As engine.io does: the http server's own request listeners get every request outside the path.
    this.#otherRequestListeners = http.listeners('request') as RequestListener[];
    http.removeAllListeners('request');
    http.on('request', (request: IncomingMessage, response: ServerResponse) => this.#request(request, response));
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
    // One timer for every connection instead of two each: the sweep pings those whose
    // interval is over and closes those that left a ping unanswered past the timeout.
    this.#heartbeat = setInterval(() => this.#sweep(), Math.max(50, Math.min(500, pingInterval / 4)));
    this.#heartbeat.unref();
  }

  /** socket.io listens for `connection`; nothing else is emitted. */
  on(event: 'connection', listener: ConnectionListener): this {
    if (event === 'connection') this.#onConnection.push(listener);
    return this;
  }

  /**
   * Closes every connection. Requests keep being answered (a signal server that is closing
   * refuses handshakes with 503) until the http server closes, which is the caller's.
   */
  close(): this {
    clearInterval(this.#heartbeat);
    for (const connection of [...this.#connections]) connection.close();
    return this;
  }

  /** engine.io's test: the request's URL starts with the path. */
  #isOurs(request: IncomingMessage): boolean {
    return (request.url ?? '').startsWith(this.opts.path);
  }

  /** A plain request: outside the path, the server's own; inside, long polling, refused once admitted. */
  #request(request: IncomingMessage, response: ServerResponse): void {
    if (!this.#isOurs(request)) {
      for (const listener of this.#otherRequestListeners) listener.call(this.#http, request, response);
      return;
    }
    // How engine.io hands the response to a refusing `allowRequest` (see refuseHandshake).
    (request as IncomingMessage & { res?: ServerResponse }).res = response;
    this.opts.allowRequest(request, (_error, ok) => {
      if (!ok || response.headersSent) return;
      response.writeHead(400, { 'content-type': 'application/json' }).end(TRANSPORT_UNKNOWN);
    });
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.#isOurs(request)) return endIfUnanswered(socket);
    // Not a closure here: it would keep this call's scope (the request among it) alive for
    // as long as the socket lives.
    socket.on('error', destroySocket);
    const url = request.url ?? '';
    const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    if (query.get('EIO') !== '4') return endUpgrade(socket, 400, UNSUPPORTED_PROTOCOL_VERSION);
    // A session id means an upgrade from long polling, which never started here.
    if (query.get('transport') !== 'websocket' || query.has('sid')) return endUpgrade(socket, 400, TRANSPORT_UNKNOWN);
    this.opts.allowRequest(request, (_error, ok) => {
      // A refusing `allowRequest` has answered on the socket itself.
      if (!ok) return socket.writable ? endUpgrade(socket, 403, '') : void socket.destroy();
      if (socket.destroyed) return;
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#open(ws, request));
    });
  }

  #open(ws: WebSocket, request: IncomingMessage): void {
    const connection = new WsConnection(ws, remoteAddressOf(request), Date.now(), this.#connections);
    ws.send(`0{"sid":${JSON.stringify(connection.id)},${this.#openFields}`);
    for (const listener of this.#onConnection) listener(connection);
  }

  /** How many connections are open (engine.io's `clientsCount`). */
  get clientsCount(): number {
    return this.#connections.size;
  }

  #sweep(): void {
    const now = Date.now();
    const { pingInterval, pingTimeout } = this.opts;
    for (const connection of this.#connections) connection.heartbeat(now, pingInterval, pingTimeout);
  }
}

/**
 * One client's connection, shaped like an engine.io Socket where socket.io reads it: `id`,
 * `readyState`, `protocol`, `transport.writable`, `request`, `remoteAddress`, `write`,
 * `close`, and the `data`, `error` and `close` events (one listener each: socket.io's
 * Client is the only one listening).
 */
export class WsConnection {
  readonly id = randomBytes(15).toString('base64url');
  readonly protocol = 4;
  readyState: 'open' | 'closing' | 'closed' = 'open';
  /** socket.io reads the handshake from it; the upgrade request itself is not kept. */
  readonly request = HANDSHAKE_REQUEST;
  #onData: DataListener | undefined;
  #onClose: CloseListener | undefined;
  #onError: ErrorListener | undefined;
  /** When the last ping was sent, or (before any) when the connection opened. */
  #pingedAt: number;
  #awaitingPong = false;
  /** Why the connection closed, when the reason is known before the websocket's `close`. */
  #closeReason: string | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    openedAt: number,
    /** The engine's open connections: this one is in it until it closes. */
    readonly openConnections: Set<WsConnection>,
  ) {
    this.#pingedAt = openedAt;
    openConnections.add(this);
    // Shared listeners that find their connection on the websocket: no closures per connection.
    (ws as TaggedWebSocket)[CONNECTION] = this;
    ws.on('message', onWebSocketMessage);
    ws.on('error', onWebSocketError);
    ws.on('close', onWebSocketClose);
  }

  /** socket.io reads `transport.writable` before a volatile emit. */
  get transport(): { name: 'websocket'; writable: boolean } {
    return { name: 'websocket', writable: this.readyState === 'open' && this.ws.readyState === this.ws.OPEN };
  }

  on(event: 'data' | 'close' | 'error', listener: (...args: never[]) => void): this {
    if (event === 'data') this.#onData = listener as DataListener;
    else if (event === 'close') this.#onClose = listener as CloseListener;
    else if (event === 'error') this.#onError = listener as ErrorListener;
    return this;
  }

  removeListener(event: 'data' | 'close' | 'error', listener: (...args: never[]) => void): this {
    if (event === 'data' && this.#onData === listener) this.#onData = undefined;
    else if (event === 'close' && this.#onClose === listener) this.#onClose = undefined;
    else if (event === 'error' && this.#onError === listener) this.#onError = undefined;
    return this;
  }

  /** An encoded socket.io packet, as an engine.io message. */
  write(data: string | Buffer): this {
    if (this.readyState !== 'open') return this;
    if (typeof data === 'string') this.ws.send(`4${data}`);
    else this.ws.send(data, { binary: true });
    return this;
  }

  /** Closes the connection (engine.io's reason: `forced close`). */
  close(): void {
    if (this.readyState !== 'open') return;
    this.readyState = 'closing';
    this.#closeReason ??= 'forced close';
    // engine.io's close packet, then the websocket's close handshake.
    this.ws.send('1');
    this.ws.close();
  }

  /** The heartbeat sweep's visit: a ping when due, a cut-off when a pong is overdue. */
  heartbeat(now: number, pingInterval: number, pingTimeout: number): void {
    if (this.readyState !== 'open') return;
    if (this.#awaitingPong) {
      if (now - this.#pingedAt >= pingTimeout) this.cut('ping timeout');
    } else if (now - this.#pingedAt >= pingInterval) {
      this.#awaitingPong = true;
      this.#pingedAt = now;
      this.ws.send('2');
    }
  }

  /** A message from the client. */
  received(data: RawData, isBinary: boolean): void {
    // A binary message (a socket.io attachment) goes to socket.io as is: it decides.
    if (isBinary) return this.#onData?.(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
    const text = data.toString();
    switch (text.charCodeAt(0)) {
      case 52: // '4' message
        return this.#onData?.(text.slice(1));
      case 51: // '3' pong
        this.#awaitingPong = false;
        return;
      case 49: // '1' close
        this.#closeReason ??= 'transport close';
        return void this.ws.close();
      case 54: // '6' noop
        return;
      default: // there is no upgrade to make, and anything else is not engine.io
        return this.cut('parse error');
    }
  }

  /** The websocket failed (a frame over `maxPayload`, a protocol error). */
  failed(error: Error): void {
    this.#closeReason ??= 'transport error';
    this.#onError?.(error);
    this.ws.terminate();
  }

  /** Ends the connection at once, for `reason`. */
  cut(reason: string): void {
    this.#closeReason ??= reason;
    this.ws.terminate();
  }

  /** The websocket closed: the connection is gone. */
  closed(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.openConnections.delete(this);
    this.#onClose?.(this.#closeReason ?? 'transport close');
  }
}

const CONNECTION = Symbol('connection');
type TaggedWebSocket = WebSocket & { [CONNECTION]: WsConnection };

function onWebSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as TaggedWebSocket)[CONNECTION].received(data, isBinary);
}
function onWebSocketError(this: WebSocket, error: Error): void {
  (this as TaggedWebSocket)[CONNECTION].failed(error);
}
function onWebSocketClose(this: WebSocket): void {
  (this as TaggedWebSocket)[CONNECTION].closed();
}

/**
 * What socket.io's handshake reads from a connection's request (headers, url, query): one
 * shared, empty stand-in. The signal server reads the real request once, in
 * `allowRequest`; keeping ~1.5 KB of it per connection for its whole life would be waste.
 */
const HANDSHAKE_REQUEST = Object.freeze({
  headers: Object.freeze({}),
  url: '',
  _query: Object.freeze({}),
  connection: Object.freeze({ encrypted: false }),
});

function remoteAddressOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? '';
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * Someone else's upgrade, or nobody's: ended unless answered in time, so that a stray
 * upgrade cannot hold a socket forever.
 */
function endIfUnanswered(socket: Duplex): void {
  const timer = setTimeout(() => {
    if (socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0) socket.end();
  }, FOREIGN_UPGRADE_TIMEOUT_MS);
  socket.once('close', () => clearTimeout(timer));
}

/** Answers an upgrade that is not going to happen with a plain HTTP response. */
function endUpgrade(socket: Duplex, status: number, body: string): void {
  const reason = status === 400 ? 'Bad Request' : 'Forbidden';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
