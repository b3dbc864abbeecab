/**
 * Everything a person expects inside a call, between real pages through the real
 * signal server: screen share, chat, files, switching camera, the server going away and
 * coming back, a tab that vanishes, ICE restart, and the Dutch interface.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  callSnapshot,
  joinFromDemo,
  joinedPair,
  killServer,
  launchBrowser,
  openPage,
  remoteTile,
  serveHtml,
  startSignalServer,
  uniqueRoom,
  waitForFrames,
  waitForMovingVideo,
  useServerAndBrowser,
  waitForRemoteNames,
} from './harness.js';

async function closeAll(...pages: Page[]): Promise<void> {
  for (const page of pages) await page.context().close().catch(() => undefined);
}

describe('inside a call', () => {
  const env = useServerAndBrowser();

  it('a screen share is seen large by the other side, and goes away when stopped (button or env.browser bar)', async () => {
    const [ada, bo] = await joinedPair(env.browser, env.server);
    const share = ada.locator('rtc-controls [part~="screen-button"]');
    await share.click();
    await assertPressed(share, 'true');
    const screen = remoteTile(bo, 'Ada’s screen', { screen: true });
    await screen.waitFor();
    await waitForFrames(screen);
    // The sharer's camera stays beside the screen.
    await waitForFrames(remoteTile(bo, 'Ada'));

    await share.click();
    await screen.waitFor({ state: 'detached' });
    await assertPressed(share, 'false');

    // Again, then stop it the way the browser's own "Stop sharing" bar does: the track ends.
    await share.click();
    await screen.waitFor();
    await ada.evaluate(() => {
      const track = (document.querySelector('rtc-call') as unknown as { call: { snapshot: { screenStream: MediaStream } } }).call.snapshot.screenStream.getVideoTracks()[0]!;
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
    await screen.waitFor({ state: 'detached' });
    await assertPressed(share, 'false');
    await closeAll(ada, bo);
  });

  it('chat goes both ways, shows HTML-looking text as text, and counts unread messages', async () => {
    const [ada, bo] = await joinedPair(env.browser, env.server);
    await ada.locator('rtc-controls [part~="chat-button"]').click();
    const hostile = '<img src=x onerror="window.hacked=1"><b>bold</b>';
    await ada.locator('rtc-chat [part~="input"]').fill(hostile);
    await ada.locator('rtc-chat [part~="input"]').press('Enter');

    const badge = bo.locator('rtc-controls [part~="unread-badge"]');
    await badge.waitFor();
    assert.equal((await badge.textContent())?.trim(), '1');
    await bo.locator('rtc-controls [part~="chat-button"]').click();
    await badge.waitFor({ state: 'detached' });
    const messages = bo.locator('rtc-chat [part~="messages"]');
    await messages.getByText(hostile, { exact: false }).waitFor();
    assert.equal(await messages.locator('img, b').count(), 0, 'no HTML was made from the message');
    assert.equal(await bo.evaluate(() => (window as unknown as { hacked?: number }).hacked), undefined);
    assert.match((await messages.textContent()) ?? '', /Ada/);

    await bo.locator('rtc-chat [part~="input"]').fill('Hoi Ada');
    await bo.locator('rtc-chat [part~="send-button"]').click();
    await ada.locator('rtc-chat [part~="messages"]').getByText('Hoi Ada').waitFor();
    await closeAll(ada, bo);
  });

  it('a 20 MB file arrives identical, with progress on both sides', async () => {
    const [ada, bo] = await joinedPair(env.browser, env.server);
    const bytes = randomBytes(20 * 1024 * 1024);
    const expected = createHash('sha256').update(bytes).digest('hex');
    await bo.evaluate(() => {
      const w = window as unknown as { received: Promise<{ name: string; size: number; sha256: string }> };
      w.received = new Promise((resolve) => {
        document.addEventListener('rtc-file-received', async (event) => {
          const { file } = (event as CustomEvent<{ file: { name: string; size: number; blob: Blob } }>).detail;
          const digest = await crypto.subtle.digest('SHA-256', await file.blob.arrayBuffer());
          const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
          resolve({ name: file.name, size: file.size, sha256 });
        });
      });
    });
    const progress = await ada.evaluate(async (base64) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const file = new File([data], 'report.bin', { type: 'application/octet-stream' });
      const seen: number[] = [];
      const call = (document.querySelector('rtc-call') as unknown as { call: { sendFile(f: File, o: object): Promise<void> } }).call;
      await call.sendFile(file, { onProgress: ({ transferred }: { transferred: number }) => seen.push(transferred) });
      return seen;
    }, bytes.toString('base64'));

    const received = await bo.evaluate(() => (window as unknown as { received: Promise<unknown> }).received);
    assert.deepEqual(received, { name: 'report.bin', size: bytes.length, sha256: expected });
    assert.ok(progress.length > 10, `progress events: ${progress.length}`);
    assert.deepEqual([...progress].sort((a, b) => a - b), progress, 'progress only grows');
    assert.equal(progress.at(-1), bytes.length);
    // The receiving side showed it too, with a download link.
    await bo.locator('rtc-controls [part~="chat-button"]').click();
    const link = bo.locator('rtc-chat [part~="download"]');
    await link.waitFor();
    assert.equal(await link.getAttribute('download'), 'report.bin');
    await closeAll(ada, bo);
  });

  it('switching camera mid-call keeps the other side’s video playing without renegotiating', async () => {
    const [ada, bo] = await joinedPair(env.browser, env.server);
    const tile = remoteTile(bo, 'Ada');
    // Mark Bo's video element: if the tile were rebuilt (a flicker), the mark would be gone.
    await tile.locator('video').evaluate((v: HTMLVideoElement) => (v.dataset.mark = 'before-switch'));
    const devices = await callSnapshot<{ deviceId: string }[]>(ada, 's.devices.videoinput');
    assert.ok(devices.length >= 1, 'the fake camera is listed');
    const target = devices.at(-1)!.deviceId;
    const oldTrackId = await callSnapshot<string>(ada, 's.localStream.getVideoTracks()[0].id');

    await ada.locator('rtc-controls [part~="settings-button"]').click();
    await ada.locator('rtc-device-picker [part~="camera-select"]').selectOption(target);

    await ada.waitForFunction(
      (old) => (document.querySelector('rtc-call') as unknown as { call: { snapshot: { localStream: MediaStream } } }).call.snapshot.localStream.getVideoTracks()[0]!.id !== old,
      oldTrackId,
    );
    assert.equal(await callSnapshot<string>(ada, 's.selectedDevices.videoinput'), target);
    await waitForFrames(tile, 15);
    // The remote tile kept its video element: no flicker, and the connection never dropped.
    assert.equal(await tile.locator('video').evaluate((v: HTMLVideoElement) => v.dataset.mark), 'before-switch');
    assert.equal(await callSnapshot<string>(bo, 's.participants[0].connectionState'), 'connected');
    await closeAll(ada, bo);
  });

  it('the Dutch interface is rendered under lang="nl"', async () => {
    const site = await serveHtml(`<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Vergadering</title></head>
      <body><script src="${env.server.url}/rtc-elements.iife.min.js"></script><rtc-call room="${uniqueRoom()}"></rtc-call></body></html>`);
    const page = await openPage(env.browser, site.url);
    await page.locator('rtc-prejoin h2').waitFor();
    assert.equal(await page.locator('rtc-prejoin h2').textContent(), 'Klaar om deel te nemen?');
    assert.equal((await page.locator('rtc-prejoin [part~="join-button"]').textContent())?.trim(), 'Deelnemen');
    await page.locator('rtc-prejoin [part~="join-button"]').click();
    await page.locator('rtc-controls [part~="leave-button"]').waitFor();
    assert.equal(await page.locator('rtc-controls [part~="mic-button"]').getAttribute('aria-label'), 'Microfoon');
    assert.equal(await page.locator('rtc-controls [part~="leave-button"]').getAttribute('aria-label'), 'Gesprek verlaten');
    await closeAll(page);
    await site.close();
  });
});

describe('a connection that heals itself', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('the signal server killed and restarted mid-call: media keeps flowing, then a third participant joins both', async () => {
    let server = await startSignalServer();
    const port = Number(new URL(server.url).port);
    try {
      const [ada, bo] = await joinedPair(browser, server);
      const idsBefore = [await callSnapshot<string>(ada, 's.selfId'), await callSnapshot<string>(bo, 's.selfId')];

      await killServer(server);
      await ada.locator('rtc-call [part~="status"]', { hasText: 'Reconnecting' }).waitFor();
      // While the server is gone, the peer connections carry on.
      await waitForFrames(remoteTile(ada, 'Bo'));
      await waitForFrames(remoteTile(bo, 'Ada'));

      server = await startSignalServer({}, port);
      await ada.locator('rtc-call [part~="status"]', { hasText: 'Reconnecting' }).waitFor({ state: 'detached', timeout: 20000 });
      await bo.locator('rtc-call [part~="status"]', { hasText: 'Reconnecting' }).waitFor({ state: 'detached', timeout: 20000 });
      assert.deepEqual([await callSnapshot<string>(ada, 's.selfId'), await callSnapshot<string>(bo, 's.selfId')], idsBefore, 'same ids');
      await waitForRemoteNames(ada, ['Bo']);
      await waitForFrames(remoteTile(ada, 'Bo'));

      const room = await ada.evaluate(() => new URL(location.href).searchParams.get('room')!);
      const cy = await joinFromDemo(browser, server.url, room, 'Cy');
      await waitForRemoteNames(cy, ['Ada', 'Bo']);
      await waitForMovingVideo(cy, ['Ada', 'Bo']);
      await waitForRemoteNames(ada, ['Bo', 'Cy']);
      await waitForRemoteNames(bo, ['Ada', 'Cy']);
      await closeAll(ada, bo, cy);
    } finally {
      await server.stop();
    }
  });

  it('a tab that vanishes without a goodbye is gone from the others within 15 s', async () => {
    const server = await startSignalServer();
    try {
      const [ada, bo] = await joinedPair(browser, server);
      const started = Date.now();
      // A renderer crash: no pagehide, no leave message, the socket just drops.
      await bo.goto('chrome://crash').catch(() => undefined);
      await waitForRemoteNames(ada, [], 15000);
      const gone = Date.now() - started;
      assert.ok(gone < 15000, `gone after ${gone} ms`);
      console.log(`vanished peer removed after ${gone} ms`);
      await closeAll(ada, bo);
    } finally {
      await server.stop();
    }
  });
});

async function assertPressed(locator: import('playwright-core').Locator, value: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await locator.getAttribute('aria-pressed')) !== value) {
    if (Date.now() > deadline) assert.equal(await locator.getAttribute('aria-pressed'), value);
    await new Promise((r) => setTimeout(r, 50));
  }
}

