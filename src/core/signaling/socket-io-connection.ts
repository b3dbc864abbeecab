/**
 * A small client of the socket.io protocol (v5, over Engine.IO v4) on one WebSocket.
 *
 * It does what the page's side of the signal server needs and no more: events, events
 * with an acknowledgement, the server's heartbeat, and reconnection with backoff and
 * jitter. It stands in for socket.io-client, which was about a quarter of the bundle
 * (~13 KiB gzip); the server is plain socket.io, and socket.io-client still talks to it.
 *
 * Left out on purpose: HTTP long-polling (WebSocket is everywhere a call can run), binary
 * packets, namespaces other than `/`, and queueing emits while offline (after a
 * reconnection the `Call` joins again and re-sends what matters; stale signals would only
 * be refused).
 *
 * Protocols: https://socket.io/docs/v4/engine-io-protocol/ and
 * https://socket.io/docs/v4/socket-io-protocol/
 */

type Listener = (...args: never[]) => void;

export interface ConnectionHooks {
  /** Connected (the server accepted the socket.io CONNECT), first time or again. */
  onConnect(): void;
  /** A connection that was up went down; reconnection is scheduled. */
  onDisconnect(reason: 'server' | 'lost'): void;
  /** An attempt to connect failed (refused, unreachable, or too slow). */
  onConnectError(error: Error): void;
}

export interface ConnectionOptions {
  /** How long one attempt may take, from opening the WebSocket to the server's CONNECT. */
  connectTimeoutMs: number;
  /** First pause before reconnecting; doubled each failed attempt up to `reconnectDelayMaxMs`. */
  reconnectDelayMs: number;
  reconnectDelayMaxMs: number;
}

// Engine.IO packet types (the first character of a WebSocket frame).
const EIO_OPEN = '0';
const EIO_CLOSE = '1';
const EIO_PING = '2';
const EIO_PONG = '3';
const EIO_MESSAGE = '4';
// socket.io packet types (the character after EIO_MESSAGE).
const SIO_CONNECT = '0';
const SIO_DISCONNECT = '1';
const SIO_EVENT = '2';
const SIO_ACK = '3';
const SIO_CONNECT_ERROR = '4';

/** The address of the Engine.IO WebSocket endpoint under a server URL (which may have a path). */
export function socketIoEndpoint(serverUrl: string): string {
  const base = new URL(serverUrl);
  base.protocol = base.protocol === 'https:' || base.protocol === 'wss:' ? 'wss:' : 'ws:';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const url = new URL('socket.io/', base);
  url.search = '?EIO=4&transport=websocket';
  return url.href;
}

export class SocketIoConnection {
  readonly #endpoint: string;
  readonly #hooks: ConnectionHooks;
  readonly #options: ConnectionOptions;
  readonly #listeners = new Map<string, Listener>();
  readonly #acks = new Map<number, { resolve: (args: unknown[]) => void; reject: (error: Error) => void }>();
  #ws: WebSocket | null = null;
  #connected = false;
  /** open() was called and close() was not. */
  #wanted = false;
  #nextAckId = 0;
  #failedAttempts = 0;
  #attemptTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatMs = 0;

  constructor(serverUrl: string, hooks: ConnectionHooks, options: ConnectionOptions) {
    this.#endpoint = socketIoEndpoint(serverUrl);
    this.#hooks = hooks;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Handles the server's event `name` (one handler per event). */
  on(name: string, listener: Listener): void {
    this.#listeners.set(name, listener);
  }

  /** Connects, and keeps reconnecting after every loss until `close()`. */
  open(): void {
    this.#wanted = true;
    if (!this.#ws) this.#attempt();
  }

  /** Closes for good: no reconnection, pending acknowledgements rejected. */
  close(): void {
    this.#wanted = false;
    clearTimeout(this.#reconnectTimer);
    this.#drop(new Error('closed'));
  }

  /** Sends an event; returns false (and sends nothing) while not connected. */
  emit(name: string, ...args: unknown[]): boolean {
    return this.#send(`${EIO_MESSAGE}${SIO_EVENT}${JSON.stringify([name, ...args])}`);
  }

  /** Sends an event and resolves with the first argument of the server's acknowledgement. */
  request<T>(name: string, arg: unknown, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.#nextAckId++;
      const timer = setTimeout(() => {
        this.#acks.delete(id);
        reject(new Error('timed out'));
      }, timeoutMs);
      this.#acks.set(id, {
        resolve: (args) => {
          clearTimeout(timer);
          resolve(args[0] as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (!this.#send(`${EIO_MESSAGE}${SIO_EVENT}${id}${JSON.stringify([name, arg])}`)) {
        this.#settleAck(id, new Error('not connected'));
      }
    });
  }

  #send(frame: string): boolean {
    if (!this.#connected || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(frame);
    return true;
  }

  #attempt(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#endpoint);
    } catch (error) {
      this.#attemptFailed(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#ws = ws;
    this.#attemptTimer = setTimeout(() => this.#attemptFailed(new Error('timeout')), this.#options.connectTimeoutMs);
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') this.#onFrame(event.data);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      if (this.#connected) this.#lost('lost');
      else this.#attemptFailed(new Error('websocket error'));
    };
  }

  #onFrame(frame: string): void {
    const type = frame[0];
    if (type === EIO_PING) {
      this.#ws?.send(EIO_PONG);
      this.#armHeartbeat();
    } else if (type === EIO_OPEN) {
      const open = parseJson(frame.slice(1)) as { pingInterval?: number; pingTimeout?: number } | undefined;
      this.#heartbeatMs = (open?.pingInterval ?? 25000) + (open?.pingTimeout ?? 20000);
      this.#armHeartbeat();
      this.#ws?.send(`${EIO_MESSAGE}${SIO_CONNECT}`);
    } else if (type === EIO_CLOSE) {
      this.#lost('server');
    } else if (type === EIO_MESSAGE) {
      this.#onPacket(frame[1], frame.slice(2));
    }
  }

  #onPacket(type: string | undefined, rest: string): void {
    const digits = /^\d*/.exec(rest)![0];
    const payload = parseJson(rest.slice(digits.length));
    switch (type) {
      case SIO_CONNECT:
        clearTimeout(this.#attemptTimer);
        this.#connected = true;
        this.#failedAttempts = 0;
        this.#hooks.onConnect();
        break;
      case SIO_DISCONNECT:
        this.#lost('server');
        break;
      case SIO_EVENT:
        if (Array.isArray(payload) && typeof payload[0] === 'string') {
          const listener = this.#listeners.get(payload[0]) as ((...args: unknown[]) => void) | undefined;
          listener?.(...payload.slice(1));
        }
        break;
      case SIO_ACK:
        if (digits && Array.isArray(payload)) this.#acks.get(Number(digits))?.resolve(payload);
        this.#acks.delete(Number(digits));
        break;
      case SIO_CONNECT_ERROR:
        this.#attemptFailed(new Error((payload as { message?: string } | undefined)?.message ?? 'refused'));
        break;
    }
  }

  /** The server went quiet for longer than its own heartbeat allows: the link is dead. */
  #armHeartbeat(): void {
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = setTimeout(() => this.#lost('lost'), this.#heartbeatMs);
  }

  #attemptFailed(error: Error): void {
    this.#drop(error);
    this.#failedAttempts++;
    this.#hooks.onConnectError(error);
    this.#scheduleReconnect();
  }

  #lost(reason: 'server' | 'lost'): void {
    const wasConnected = this.#connected;
    this.#drop(new Error('connection lost'));
    if (wasConnected) this.#hooks.onDisconnect(reason);
    this.#scheduleReconnect();
  }

  /** Backoff with ±50 % jitter, so that a restarted server is not hit by everyone at once. */
  #scheduleReconnect(): void {
    if (!this.#wanted || this.#reconnectTimer !== undefined) return;
    const { reconnectDelayMs, reconnectDelayMaxMs } = this.#options;
    const delay = Math.min(reconnectDelayMaxMs, reconnectDelayMs * 2 ** this.#failedAttempts) * (0.5 + Math.random());
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#wanted && !this.#ws) this.#attempt();
    }, delay);
  }

  /** Forgets the current WebSocket and everything waiting on it. */
  #drop(error: Error): void {
    clearTimeout(this.#attemptTimer);
    clearTimeout(this.#heartbeatTimer);
    const ws = this.#ws;
    this.#ws = null;
    this.#connected = false;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN) ws.send(`${EIO_MESSAGE}${SIO_DISCONNECT}`);
      ws.close();
    }
    for (const id of [...this.#acks.keys()]) this.#settleAck(id, error);
  }

  #settleAck(id: number, error: Error): void {
    this.#acks.get(id)?.reject(error);
    this.#acks.delete(id);
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
