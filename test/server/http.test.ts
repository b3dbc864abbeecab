import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { escapeHtml, renderDemoPage } from '../../signal-server/demo-page.js';
import { createRequestHandler } from '../../signal-server/http.js';
import { startServer, type TestServer } from './helpers.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as written (fetch would normalize `..` away). */
function send(server: TestServer, path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path, method, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function bundleDirWith(t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rtc-bundles-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

describe('http routes', () => {
  it('answers /healthz with 200 ok, GET and HEAD', async (t) => {
    const server = await startServer(t);
    const response = await send(server, '/healthz');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'ok');
    const head = await send(server, '/healthz', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('answers /readyz with 200', async (t) => {
    const server = await startServer(t);
    assert.equal((await send(server, '/readyz')).status, 200);
  });

  it('answers /readyz with 503 while not ready', async (t) => {
    const httpServer = createServer(createRequestHandler({ bundleDir: '/nonexistent', isReady: () => false }));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => httpServer.close(resolve)));
    const port = (httpServer.address() as AddressInfo).port;
    const response = await send({ port } as TestServer, '/readyz');
    assert.deepEqual([response.status, response.body], [503, 'not ready']);
    assert.equal((await send({ port } as TestServer, '/metrics')).status, 404, 'no /metrics without a registry');
  });

  it('answers /readyz from an asynchronous check: 503 when it says no or fails, /healthz 200 regardless', async (t) => {
    let verdict: () => Promise<boolean> = async () => true;
    const httpServer = createServer(createRequestHandler({ bundleDir: '/nonexistent', isReady: () => verdict() }));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => httpServer.close(resolve)));
    const server = { port: (httpServer.address() as AddressInfo).port } as TestServer;
    assert.equal((await send(server, '/readyz')).status, 200);
    verdict = async () => false;
    assert.equal((await send(server, '/readyz')).status, 503);
    verdict = () => Promise.reject(new Error('redis is away'));
    assert.deepEqual([(await send(server, '/readyz')).status, (await send(server, '/healthz')).status], [503, 200]);
  });

  it('answers /readyz 503 once the signal server is closing', async (t) => {
    const server = await startServer(t);
    assert.equal((await send(server, '/readyz')).status, 200);
    assert.equal(await server.signal.ready(), true);
    const closed = server.signal.close();
    assert.equal(await server.signal.ready(), false);
    await closed;
  });

  it('serves /metrics in the Prometheus text format, not cached, GET and HEAD only', async (t) => {
    const server = await startServer(t, { processMetrics: false });
    const response = await send(server, '/metrics');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(response.body, /^# HELP rtc_signal_connected_sockets /m);
    assert.equal((await send(server, '/metrics', 'HEAD')).body, '');
    assert.equal((await send(server, '/metrics', 'POST')).status, 405);
  });

  it('answers 404 for anything else, traversal attempts included', async (t) => {
    const dir = await bundleDirWith(t, { 'rtc-elements.min.js': 'x', 'secret.txt': 'secret' });
    const server = await startServer(t, {}, dir);
    for (const path of ['/nope', '/secret.txt', '/../package.json', '/%2e%2e/package.json', '/rtc-elements.min.js/', '//healthz', '/healthz/x', '/index.html']) {
      const response = await send(server, path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(response.body, /secret/);
    }
  });

  it('answers 405 for other methods on known routes', async (t) => {
    const server = await startServer(t);
    const response = await send(server, '/', 'POST');
    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'GET, HEAD');
  });

  it('serves a built bundle as JavaScript, for any origin, with a short cache', async (t) => {
    const code = 'var RtcElements = {};\n';
    const dir = await bundleDirWith(t, { 'rtc-elements.iife.min.js': code, 'rtc-elements.min.js': 'export {};', 'rtc-elements.min.js.map': '{"version":3}' });
    const server = await startServer(t, {}, dir);
    const response = await send(server, '/rtc-elements.iife.min.js');
    assert.equal(response.status, 200);
    assert.equal(response.body, code);
    assert.match(String(response.headers['content-type']), /^text\/javascript\b/);
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.match(String(response.headers['cache-control']), /max-age=\d+/);
    assert.equal((await send(server, '/rtc-elements.min.js')).body, 'export {};');

    const map = await send(server, '/rtc-elements.min.js.map');
    assert.equal(map.status, 200);
    assert.match(String(map.headers['content-type']), /^application\/json\b/);
    assert.equal((await send(server, '/rtc-elements.iife.min.js.map')).status, 404, 'a missing map is simply not found');
  });

  it('answers 503 saying to run npm run build when a bundle is missing', async (t) => {
    const dir = await bundleDirWith(t, {});
    const server = await startServer(t, {}, dir);
    for (const path of ['/rtc-elements.min.js', '/rtc-elements.iife.min.js']) {
      const response = await send(server, path);
      assert.equal(response.status, 503);
      assert.match(response.body, /npm run build/);
    }
  });
});

describe('demo page', () => {
  it('offers a room form on /, accessible and in English', async (t) => {
    const server = await startServer(t);
    const response = await send(server, '/');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
    const html = response.body;
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.match(html, /<title>rtc-elements demo<\/title>/);
    assert.match(html, /<form method="get" action="\/">/);
    assert.match(html, /<label for="room">/);
    assert.match(html, /<input id="room" name="room"/);
    assert.doesNotMatch(html, /<rtc-call/);
    assert.doesNotMatch(html, /<script/);
  });

  it('puts the call on the page for a valid room, loading the classic bundle', async (t) => {
    const server = await startServer(t);
    const html = (await send(server, '/?room=team-standup.2')).body;
    assert.match(html, /<rtc-call room="team-standup\.2"><\/rtc-call>/);
    assert.match(html, /<script src="\/rtc-elements\.iife\.min\.js"><\/script>/);
    assert.match(html, /bundle is missing/, 'the page says the bundle has not been built');
    assert.doesNotMatch(html, /<form/);
  });

  it('does not mention a missing bundle when it is there', async (t) => {
    const dir = await bundleDirWith(t, { 'rtc-elements.iife.min.js': '' });
    const server = await startServer(t, {}, dir);
    const html = (await send(server, '/?room=abc')).body;
    assert.match(html, /<rtc-call room="abc">/);
    assert.doesNotMatch(html, /bundle is missing/);
  });

  it('escapes a hostile room and shows the form with a message instead of the call', async (t) => {
    const server = await startServer(t);
    const hostile = '"><script>alert(1)</script><rtc-call room="x';
    const html = (await send(server, `/?room=${encodeURIComponent(hostile)}`)).body;
    assert.doesNotMatch(html, /<script>alert/);
    assert.doesNotMatch(html, /<rtc-call/);
    assert.match(html, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /is not a valid room name/);
    assert.match(html, /role="alert"/);
    assert.match(html, /aria-invalid="true"/);
    assert.match(html, /<input id="room" name="room"/);
  });

  it('renders the same rules without a server', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    assert.match(renderDemoPage({ suggestedRoom: 'a"b' }), /value="a&quot;b"/);
    assert.doesNotMatch(renderDemoPage({ room: 'a'.repeat(65) }), /<rtc-call/);
    assert.doesNotMatch(renderDemoPage({ room: 'a room' }), /<rtc-call/);
    assert.match(renderDemoPage({ room: 'a'.repeat(64) }), /<rtc-call room="a{64}">/);
  });
});
