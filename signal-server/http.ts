/**
 * The signal server's plain HTTP routes: health, metrics, the demo page and the browser bundles.
 * socket.io takes its own path before these handlers see a request.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { renderDemoPage } from './demo-page.js';

/** How the request handler finds what it serves. */
export interface RequestHandlerOptions {
  /** The folder holding the built bundles (the package's `dist/`). */
  bundleDir: string;
  /**
   * Answers `GET /readyz`: false while the server cannot serve (shutting down, its Redis
   * unreachable), e.g. `() => signal.ready()`. Default: always ready. `GET /healthz`
   * answers 200 regardless.
   */
  isReady?: () => boolean | Promise<boolean>;
  /**
   * Answers `GET /metrics` in the Prometheus text format, e.g.
   * `() => signal.metrics.registry` for a `SignalServer` made later. Without it, `/metrics` is 404.
   */
  metrics?: () => { contentType: string; metrics(): Promise<string> };
}

/** A `node:http` request listener. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The bundle files served at the root, by name; nothing outside this list is ever read from disk. */
const BUNDLE_FILES: ReadonlyMap<string, { contentType: string; required: boolean }> = new Map([
  ['rtc-elements.min.js', { contentType: 'text/javascript; charset=utf-8', required: true }],
  ['rtc-elements.iife.min.js', { contentType: 'text/javascript; charset=utf-8', required: true }],
  ['rtc-elements.min.js.map', { contentType: 'application/json; charset=utf-8', required: false }],
  ['rtc-elements.iife.min.js.map', { contentType: 'application/json; charset=utf-8', required: false }],
]);

/** Short, so a redeployed bundle reaches embedding pages soon. */
const BUNDLE_CACHE_CONTROL = 'public, max-age=300';

/** Creates the request listener for the signal server's HTTP routes. */
export function createRequestHandler(options: RequestHandlerOptions): RequestHandler {
  return (request, response) => {
    handle(request, response, options).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'internal server error');
      else response.destroy();
    });
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: RequestHandlerOptions): Promise<void> {
  // Split by hand rather than `new URL()`: a path like `//host/x` must not be read as a host.
  const target = request.url ?? '/';
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));

  const bundle = BUNDLE_FILES.get(path.slice(1));
  const known =
    path === '/' || path === '/healthz' || path === '/readyz' || (path === '/metrics' && options.metrics !== undefined) || bundle !== undefined;
  if (!known) return sendText(response, 404, 'not found');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return sendText(response, 405, 'method not allowed');
  }

  if (path === '/healthz') return sendText(response, 200, 'ok');
  if (path === '/readyz') {
    let ready: boolean;
    try {
      ready = (await options.isReady?.()) ?? true;
    } catch {
      ready = false;
    }
    return sendText(response, ready ? 200 : 503, ready ? 'ready' : 'not ready');
  }
  if (path === '/metrics' && options.metrics) {
    const registry = options.metrics();
    const text = await registry.metrics();
    response.writeHead(200, {
      'content-type': registry.contentType,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : text);
    return;
  }
  if (path === '/') {
    const bundleAvailable = await isFile(join(options.bundleDir, 'rtc-elements.iife.min.js'));
    const html = renderDemoPage({ room: query.get('room'), bundleAvailable });
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : html);
    return;
  }
  if (bundle) return sendBundle(request, response, options.bundleDir, path.slice(1), bundle);
}

async function sendBundle(
  request: IncomingMessage,
  response: ServerResponse,
  bundleDir: string,
  name: string,
  bundle: { contentType: string; required: boolean },
): Promise<void> {
  const file = join(bundleDir, name);
  const size = await fileSize(file);
  if (size === undefined) {
    if (!bundle.required) return sendText(response, 404, 'not found');
    return sendText(response, 503, `${name} has not been built: run \`npm run build\`, then reload.`);
  }
  response.writeHead(200, {
    'content-type': bundle.contentType,
    'content-length': size,
    'cache-control': BUNDLE_CACHE_CONTROL,
    'access-control-allow-origin': '*',
    // Embedding pages may run with cross-origin isolation (COEP).
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await fileSize(path)) !== undefined;
}
