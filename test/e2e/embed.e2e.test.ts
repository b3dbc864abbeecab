/**
 * A page on another origin embeds a call with nothing but a script tag pointing at the
 * signal server, and meets a person on the demo page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  joinFromDemo,
  openPage,
  serveHtml,
  uniqueRoom,
  useServerAndBrowser,
  waitForMovingVideo,
  waitForRemoteNames,
} from './harness.js';

describe('embedding on another origin', () => {
  const env = useServerAndBrowser();

  for (const [label, tag] of [
    ['a classic script tag (IIFE bundle)', (base: string) => `<script src="${base}/rtc-elements.iife.min.js"></script>`],
    ['a module script tag (ES bundle)', (base: string) => `<script type="module" src="${base}/rtc-elements.min.js"></script>`],
  ] as const) {
    it(`joins with ${label} and no server attribute`, async () => {
      const room = uniqueRoom();
      const site = await serveHtml(`<!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Someone else's site</title></head>
        <body><h1>Team page</h1>${tag(env.server.url)}
        <rtc-call room="${room}" name="Embedded" autojoin></rtc-call></body></html>`);
      try {
        const embedded = await openPage(env.browser, site.url);
        assert.notEqual(new URL(site.url).origin, new URL(env.server.url).origin, 'really another origin');
        if (label.includes('IIFE')) {
          // The classic script also hands pages the library as a global.
          assert.equal(await embedded.evaluate(() => typeof (window as unknown as { RtcElements?: { Call?: unknown } }).RtcElements?.Call), 'function');
        }
        const host = await joinFromDemo(env.browser, env.server.url, room, 'Host');
        await waitForRemoteNames(embedded, ['Host']);
        await waitForRemoteNames(host, ['Embedded']);
        await waitForMovingVideo(embedded, ['Host']);
        await waitForMovingVideo(host, ['Embedded']);
        await embedded.context().close();
        await host.context().close();
      } finally {
        await site.close();
      }
    });
  }

  it('loading the bundle twice on one page does not throw', async () => {
    const site = await serveHtml(`<!doctype html><html lang="en"><head><title>twice</title></head><body>
      <script src="${env.server.url}/rtc-elements.iife.min.js"></script>
      <script src="${env.server.url}/rtc-elements.iife.min.js?again"></script>
      <rtc-call room="${uniqueRoom()}"></rtc-call></body></html>`);
    try {
      const page = await openPage(env.browser, 'about:blank');
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const warnings: string[] = [];
      page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
      await page.goto(site.url);
      await page.locator('rtc-prejoin [part~="join-button"]').waitFor();
      assert.deepEqual(errors, []);
      assert.ok(warnings.some((w) => w.includes('already defined')), `warned: ${warnings.join(' | ')}`);
      await page.context().close();
    } finally {
      await site.close();
    }
  });
});
