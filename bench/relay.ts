/**
 * The bench's own server: it serves the bench pages (ours and the floor) and, for the
 * floor only, a minimal socket.io relay that passes offers, answers and candidates
 * between the two pages of a room and does nothing else.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Server } from 'socket.io';
import { floorPage, oursPage, previewPage } from './pages.js';

export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A bench server: HTML pages chosen by `pageFor` from the request's URL, and a socket.io
 * server (which also serves /socket.io/socket.io.min.js to the baseline pages) that
 * `relay` sets up.
 */
export async function startPageServer(pageFor: (url: URL) => string | undefined, relay: (io: Server) => void): Promise<BenchServer> {
  const http = createServer((request, response) => {
    const html = pageFor(new URL(request.url ?? '/', 'http://localhost'));
    if (!html) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(html);
  });
  const io = new Server(http);
  relay(io);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        io.close();
        http.close(() => resolve());
      }),
  };
}

export function startBenchServer(signalUrl: string): Promise<BenchServer> {
  return startPageServer(
    (url) => {
      const room = url.searchParams.get('room') ?? 'bench';
      const role = url.searchParams.get('role') ?? 'a';
      if (url.pathname === '/floor') return floorPage(room, role);
      if (url.pathname === '/ours') return oursPage(signalUrl, room, role);
      if (url.pathname === '/preview') return previewPage(signalUrl);
      return undefined;
    },
    (io) => {
      io.on('connection', (socket) => {
        socket.on('join', async (room: string, ack: (others: number) => void) => {
          const others = (await io.in(room).fetchSockets()).length;
          await socket.join(room);
          socket.data.room = room;
          ack(others);
        });
        socket.on('signal', (message: unknown) => {
          if (typeof socket.data.room === 'string') socket.to(socket.data.room).emit('signal', message);
        });
      });
    },
  );
}
