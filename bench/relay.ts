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

export async function startBenchServer(signalUrl: string): Promise<BenchServer> {
  const http = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const room = url.searchParams.get('room') ?? 'bench';
    const role = url.searchParams.get('role') ?? 'a';
    let html: string | undefined;
    if (url.pathname === '/floor') html = floorPage(room, role);
    else if (url.pathname === '/ours') html = oursPage(signalUrl, room, role);
    else if (url.pathname === '/preview') html = previewPage(signalUrl);
    if (!html) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(html);
  });
  // serveClient (the default) serves /socket.io/socket.io.min.js to the floor pages.
  const io = new Server(http);
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
