/**
 * What engine.io keeps per connection that the signal server never needs. Measured with
 * the load bench (bench/server-load.ts) and heap snapshots: the upgrade request (an
 * `IncomingMessage` with its headers, raw headers, stream state and the stand-in response
 * of the upgrade) stays alive for the whole connection, about 1.5 KB of a ~10 KB
 * connection. The server reads it once, at the handshake (`allowRequest`: the address, the
 * origin), and never again.
 *
 * It is held twice: as the engine socket's `request` (socket.io's documented advice is to
 * drop that one), and by engine.io's stand-in `WebSocketResponse`, whose `close` listener on
 * the TCP socket keeps it (and the request) for as long as the socket lives. Dropping
 * only the first, as socket.io advises, frees nothing.
 *
 * Consequence: `socket.request` is null and `socket.handshake` carries no headers, query or
 * url (socket.io builds it from the request, after this runs). Nothing here reads them.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

type Listener = (...args: unknown[]) => void;

/** Lets every connection's upgrade request go once the connection is open. */
export function releaseUpgradeRequests(engine: Server['engine']): void {
  // Middlewares run for every request of the engine, right after engine.io made the
  // upgrade's stand-in response (and its listener), before the handshake is checked.
  engine.use((request: IncomingMessage, response: unknown, next: (error?: unknown) => void) => {
    // A websocket upgrade: engine.io's stand-in, not a real response (polling has one).
    if (!(response instanceof ServerResponse)) dropStandInCloseListener(request.socket);
    next();
  });
  engine.on('connection', (socket: { request: IncomingMessage | null }) => {
    socket.request = null;
  });
}

/**
 * Removes the listener `new WebSocketResponse(req, socket)` has just added (the last
 * `close` listener: `socket.once("close", () => this.emit("close"))`), which only re-emits
 * `close` on the stand-in for engine middlewares that wait for it (none here). Checked by
 * its source, so that a different engine.io leaves everything as it was.
 */
function dropStandInCloseListener(socket: NetSocket): void {
  const wrapper = socket.rawListeners('close').at(-1) as (Listener & { listener?: Listener }) | undefined;
  const listener = wrapper?.listener;
  if (wrapper && typeof listener === 'function' && /emit\(["']close["']\)/.test(String(listener))) {
    socket.removeListener('close', listener);
  }
}
