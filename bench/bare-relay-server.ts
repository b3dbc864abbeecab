/**
 * The baseline of the signal-server load bench (`server-load.ts`): a bare socket.io relay,
 * in its own process, speaking just enough of the signal protocol for the same load
 * generator (`join` with an ack naming the others, `participant-joined`, `signal` {to, data}
 * relayed as {from, data}) and checking nothing: no validation, no rate limits, no room
 * store, no metrics, no logging. It runs with the engine options the signal server itself
 * uses (`ENGINE_OPTIONS`), so that the difference is what our server does per message and
 * per connection, not how socket.io is configured.
 *
 * With `--engine ws`, the same relay written straight on `ws` instead (no socket.io, no
 * engine.io): it speaks the same wire protocol (engine.io v4 open/ping packets, socket.io v5
 * text packets, websocket transport only) with one ping timer for all connections. Not a
 * baseline of the table: a measure of what a server without socket.io could reach on
 * this machine (PeerJS's server is of that kind).
 *
 * Prints `bare relay listening on http://127.0.0.1:PORT`. Port: `PORT` (default 0).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Server } from 'socket.io';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS } from '../src/protocol/index.js';

/**
 * The engine options, from the same signal server build the bench measures
 * (`SIGNAL_SERVER_MODULE`: its server.js, or server.ts from source; default the source).
 * Builds older than `ENGINE_OPTIONS` get them rebuilt from the constants they export.
 */
const sourceModule = new URL('../signal-server/server.ts', import.meta.url).href;
const serverModule = (await import(process.env.SIGNAL_SERVER_MODULE ? pathToFileURL(process.env.SIGNAL_SERVER_MODULE).href : sourceModule).catch(
  // A build being replaced under our feet (dist/ rebuilt meanwhile): the source has the same options.
  () => import(sourceModule),
)) as {
  ENGINE_OPTIONS?: { maxHttpBufferSize: number; pingInterval: number; pingTimeout: number; connectTimeout: number; serveClient: boolean };
  PING_INTERVAL_MS: number;
  PING_TIMEOUT_MS: number;
};
const ENGINE_OPTIONS = serverModule.ENGINE_OPTIONS ?? {
  maxHttpBufferSize: LIMITS.maxFrameBytes,
  pingInterval: serverModule.PING_INTERVAL_MS,
  pingTimeout: serverModule.PING_TIMEOUT_MS,
  connectTimeout: 10_000,
  serveClient: false,
};

const http = createServer((_request, response) => {
  response.writeHead(404).end();
});

if (process.argv.includes('--engine') && process.argv[process.argv.indexOf('--engine') + 1] === 'ws') rawWsRelay();
else socketIoRelay();

/** The baseline: socket.io with the signal server's engine options, nothing else. */
function socketIoRelay(): void {
  const io = new Server(http, { ...ENGINE_OPTIONS });

  io.on('connection', (socket) => {
    socket.on('join', (request: { room?: unknown }, ack?: (answer: unknown) => void) => {
      const room = String(request?.room);
      const others = [...(io.sockets.adapter.rooms.get(room) ?? [])];
      void socket.join(room);
      ack?.({ ok: true, selfId: socket.id, participants: others.map((id) => ({ id })), iceServers: [], resumed: false });
      socket.to(room).emit('participant-joined', { id: socket.id });
    });
    // Relayed to the target's own socket.io room (its socket id), whatever it holds.
    socket.on('signal', (message: { to?: unknown; data?: unknown }) => {
      io.to(String(message?.to)).emit('signal', { from: socket.id, data: message?.data });
    });
  });
}

/** The same relay on bare `ws`, speaking socket.io's wire protocol by hand. */
function rawWsRelay(): void {
  interface Peer {
    ws: WebSocket;
    sid: string;
    room?: string;
    lastSeen: number;
  }
  const peers = new Map<string, Peer>();
  const rooms = new Map<string, Set<string>>();
  const wss = new WebSocketServer({ server: http, path: '/socket.io/', perMessageDeflate: false, maxPayload: ENGINE_OPTIONS.maxHttpBufferSize, clientTracking: false });
  const open = (sid: string): string =>
    `0${JSON.stringify({ sid, upgrades: [], pingInterval: ENGINE_OPTIONS.pingInterval, pingTimeout: ENGINE_OPTIONS.pingTimeout, maxPayload: ENGINE_OPTIONS.maxHttpBufferSize })}`;
  wss.on('connection', (ws) => {
    const peer: Peer = { ws, sid: randomBytes(15).toString('base64url'), lastSeen: Date.now() };
    peers.set(peer.sid, peer);
    ws.send(open(peer.sid));
    ws.on('message', (data: Buffer) => {
      peer.lastSeen = Date.now();
      const text = data.toString();
      if (text === '3') return;
      if (text.startsWith('40')) return ws.send(`40${JSON.stringify({ sid: peer.sid })}`);
      if (!text.startsWith('42')) return;
      let at = 2;
      while (at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
      const ackId = text.slice(2, at);
      const [event, payload] = JSON.parse(text.slice(at)) as [string, { room?: unknown; to?: unknown; data?: unknown }];
      if (event === 'signal') {
        peers.get(String(payload?.to))?.ws.send(`42${JSON.stringify(['signal', { from: peer.sid, data: payload?.data }])}`);
      } else if (event === 'join') {
        const room = String(payload?.room);
        const members = rooms.get(room) ?? new Set<string>();
        rooms.set(room, members);
        const others = [...members];
        members.add(peer.sid);
        peer.room = room;
        if (ackId) ws.send(`43${ackId}${JSON.stringify([{ ok: true, selfId: peer.sid, participants: others.map((id) => ({ id })), iceServers: [], resumed: false }])}`);
        const joined = `42${JSON.stringify(['participant-joined', { id: peer.sid }])}`;
        for (const id of others) peers.get(id)?.ws.send(joined);
      }
    });
    ws.on('close', () => {
      peers.delete(peer.sid);
      if (peer.room !== undefined) rooms.get(peer.room)?.delete(peer.sid);
    });
  });
  // One timer pings everyone, and drops whoever has not answered within the timeout.
  setInterval(() => {
    const deadline = Date.now() - ENGINE_OPTIONS.pingInterval - ENGINE_OPTIONS.pingTimeout;
    for (const peer of peers.values()) {
      if (peer.lastSeen < deadline) peer.ws.terminate();
      else peer.ws.send('2');
    }
  }, ENGINE_OPTIONS.pingInterval);
}

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`bare relay listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
