/**
 * The examples, built as a React or Vue developer would build them (Vite), served from
 * their own origin, joining a call on the real signal server: the framework's event
 * handler runs (the page shows "Joined as <id>"), and a person on the demo page is seen
 * and heard with moving video.
 *
 * Needs `npm run build` and `npm run build:examples` first (`npm test` does both).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { extname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  callSnapshot,
  joinFromDemo,
  openPage,
  uniqueRoom,
  useServerAndBrowser,
  waitForMovingVideo,
  waitForRemoteNames,
} from './harness.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Serves a folder on a port of its own (so another origin than the signal server), with `rewrite` applied to HTML. */
async function serveFolder(root: string, rewrite: (html: string) => string = (html) => html): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = join(root, normalize(pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const body = type.startsWith('text/html') ? rewrite(readFileSync(file, 'utf8')) : readFileSync(file);
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Opens `url` in a new person's browser, recording uncaught page errors from the first script on. */
async function openRecordingErrors(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await openPage(browser, 'about:blank');
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors };
}

/** A port on which nothing listens. */
async function deadPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the framework examples', () => {
  const env = useServerAndBrowser();

  for (const [framework, folder] of [
    ['React', 'examples/react/dist'],
    ['Vue', 'examples/vue/dist'],
  ] as const) {
    it(`${framework}: the ${framework} handler sees rtc-joined, and a second person's video moves`, async () => {
      assert.ok(existsSync(join(folder, 'index.html')), `${folder} is missing: run npm run build:examples`);
      const site = await serveFolder(join(process.cwd(), folder));
      try {
        assert.notEqual(new URL(site.url).origin, new URL(env.server.url).origin, 'really another origin');
        const room = uniqueRoom(framework.toLowerCase());
        const { page, errors } = await openRecordingErrors(
          env.browser,
          `${site.url}?room=${encodeURIComponent(room)}&server=${encodeURIComponent(env.server.url)}`,
        );

        // The framework's own listener put the id from the event's detail into the page.
        const joined = page.getByTestId('joined');
        await joined.waitFor({ timeout: 15000 });
        const selfId = await callSnapshot<string>(page, 's.selfId');
        assert.ok(selfId, 'the call has an id');
        assert.equal((await joined.textContent())?.trim(), `Joined as ${selfId}`);

        // A person joins from the demo page: each sees the other's camera moving.
        const guest = await joinFromDemo(env.browser, env.server.url, room, 'Guest');
        await waitForRemoteNames(page, ['Guest']);
        await waitForMovingVideo(page, ['Guest']);
        await waitForRemoteNames(guest, [framework]);
        await waitForMovingVideo(guest, [framework]);
        // ...and the rtc-participant-joined handler ran too.
        await page.getByTestId('people').filter({ hasText: 'Guest' }).waitFor({ timeout: 5000 });

        assert.deepEqual(errors, []);
        await guest.context().close();
        await page.context().close();
      } finally {
        await site.close();
      }
    });
  }

  describe('the script-tag example', () => {
    /** The example as a site would deploy it: its script tag pointed at this signal server. */
    const serveExample = (server: string) =>
      serveFolder(join(process.cwd(), 'examples/script-tag'), (html) => html.replaceAll('http://localhost:3000', server));

    it('joins through the pre-join screen; its inline listener shows rtc-joined', async () => {
      const site = await serveExample(env.server.url);
      try {
        const room = uniqueRoom('script');
        const { page, errors } = await openRecordingErrors(env.browser, `${site.url}?room=${encodeURIComponent(room)}`);
        await page.locator('rtc-prejoin [part~="name-input"]').fill('Script');
        await page.locator('rtc-prejoin [part~="join-button"]').click();
        const joined = page.getByTestId('joined');
        await joined.waitFor({ timeout: 15000 });
        assert.equal(await joined.textContent(), `Joined as ${await callSnapshot<string>(page, 's.selfId')}`);
        assert.equal(await callSnapshot<string>(page, 's.state'), 'joined');
        assert.deepEqual(errors, []);
        await page.context().close();
      } finally {
        await site.close();
      }
    });

    it('shows rtc-error when the signal server cannot be reached', async () => {
      const site = await serveExample(env.server.url);
      try {
        const nowhere = `http://127.0.0.1:${await deadPort()}`;
        const { page } = await openRecordingErrors(env.browser, `${site.url}?room=${uniqueRoom('script')}&server=${encodeURIComponent(nowhere)}`);
        await page.locator('rtc-prejoin [part~="name-input"]').fill('Script');
        await page.locator('rtc-prejoin [part~="join-button"]').click();
        const alert = page.locator('header [role="alert"]');
        await alert.waitFor({ timeout: 15000 });
        assert.match((await alert.textContent()) ?? '', /^signaling-unreachable: /);
        assert.equal(await page.getByTestId('joined').isVisible(), false);
        await page.context().close();
      } finally {
        await site.close();
      }
    });
  });
});
