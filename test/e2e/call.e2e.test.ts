/**
 * Real calls: the real signal server, several real Chromium pages with fake cameras,
 * joining through the demo page's pre-join screen. Assertions are about what each
 * person sees: tiles, names, moving video, audio, indicators.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  joinFromDemo,
  launchBrowser,
  openPage,
  remoteAudioLevel,
  uniqueRoom,
  useServerAndBrowser,
  waitForMovingVideo,
  waitForRemoteNames,
} from './harness.js';

describe('a call between real pages', () => {
  const env = useServerAndBrowser();

  it('1:1: each side sees the other’s video moving and hears their audio', async () => {
    const room = uniqueRoom();
    const ada = await joinFromDemo(env.browser, env.server.url, room, 'Ada');
    const bo = await joinFromDemo(env.browser, env.server.url, room, 'Bo');

    await waitForRemoteNames(ada, ['Bo']);
    await waitForRemoteNames(bo, ['Ada']);
    await waitForMovingVideo(ada, ['Bo']);
    await waitForMovingVideo(bo, ['Ada']);
    // Chromium's fake microphone beeps; silence would mean no audio arrived.
    assert.ok((await remoteAudioLevel(ada, 'Bo')) > 0.01, 'Ada hears Bo');
    assert.ok((await remoteAudioLevel(bo, 'Ada')) > 0.01, 'Bo hears Ada');
    await ada.context().close();
    await bo.context().close();
  });

  it('3-party mesh: everyone sees both others', async () => {
    const room = uniqueRoom();
    const names = ['Ada', 'Bo', 'Cy'];
    const pages = [];
    for (const name of names) pages.push(await joinFromDemo(env.browser, env.server.url, room, name));
    for (const [i, page] of pages.entries()) {
      const others = names.filter((_, j) => j !== i);
      await waitForRemoteNames(page, others);
      await waitForMovingVideo(page, others);
    }
    for (const page of pages) await page.context().close();
  });

  it('mute and camera off are seen by the other side', async () => {
    const room = uniqueRoom();
    const ada = await joinFromDemo(env.browser, env.server.url, room, 'Ada');
    const bo = await joinFromDemo(env.browser, env.server.url, room, 'Bo');
    await waitForMovingVideo(bo, ['Ada']);
    const adaTile = bo.locator('rtc-remote-video', { has: bo.locator('[part~="name"]', { hasText: 'Ada' }) });
    assert.equal(await adaTile.locator('[part~="mic-off"]').count(), 0);

    const mic = ada.locator('rtc-controls [part~="mic-button"]');
    await mic.click();
    assert.equal(await mic.getAttribute('aria-pressed'), 'false');
    await adaTile.locator('[part~="mic-off"]').waitFor();

    const camera = ada.locator('rtc-controls [part~="camera-button"]');
    await camera.click();
    assert.equal(await camera.getAttribute('aria-pressed'), 'false');
    await adaTile.locator('[part~="avatar"]').waitFor();
    assert.equal(await adaTile.locator('[part~="avatar"]').textContent(), 'A');
    assert.equal(await adaTile.locator('video').isVisible(), false);

    await camera.click();
    await adaTile.locator('[part~="avatar"]').waitFor({ state: 'detached' });
    await waitForMovingVideo(bo, ['Ada']);
    await ada.context().close();
    await bo.context().close();
  });

  it('a tile disappears when its participant leaves, and when their tab is closed abruptly', async () => {
    const room = uniqueRoom();
    const ada = await joinFromDemo(env.browser, env.server.url, room, 'Ada');
    const bo = await joinFromDemo(env.browser, env.server.url, room, 'Bo');
    const cy = await joinFromDemo(env.browser, env.server.url, room, 'Cy');
    await waitForRemoteNames(ada, ['Bo', 'Cy']);

    await bo.locator('rtc-controls [part~="leave-button"]').click();
    await waitForRemoteNames(ada, ['Cy']);
    await waitForRemoteNames(cy, ['Ada']);
    assert.equal(await bo.locator('rtc-call [part~="status"]').textContent(), 'You left the call.');

    // No goodbye: the tab just goes away.
    await cy.context().close();
    await waitForRemoteNames(ada, []);
    await ada.context().close();
    await bo.context().close();
  });
});

describe('errors a person understands', () => {
  const env = useServerAndBrowser({ ROOM_CAPACITY: '2' });

  it('the third joiner of a capacity-2 room is told the room is full', async () => {
    const room = uniqueRoom();
    const ada = await joinFromDemo(env.browser, env.server.url, room, 'Ada');
    const bo = await joinFromDemo(env.browser, env.server.url, room, 'Bo');
    const cy = await openPage(env.browser, `${env.server.url}/?room=${room}`);
    await cy.evaluate(() => {
      const w = window as unknown as { rtcErrors: string[] };
      w.rtcErrors = [];
      document.addEventListener('rtc-error', (e) => w.rtcErrors.push((e as CustomEvent<{ code: string }>).detail.code));
    });
    await cy.locator('rtc-prejoin [part~="join-button"]').click();

    const alert = cy.locator('rtc-call [role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /This room is full/);
    assert.match((await alert.textContent()) ?? '', /Try again later/);
    assert.deepEqual(await cy.evaluate(() => (window as unknown as { rtcErrors: string[] }).rtcErrors), ['room-full']);
    await waitForRemoteNames(ada, ['Bo']);
    for (const page of [ada, bo, cy]) await page.context().close();
  });

  it('camera permission denied: a clear message, and the person can still join to watch and listen', async () => {
    const denying = await launchBrowser({ allowMedia: false });
    try {
      const room = uniqueRoom();
      const ada = await joinFromDemo(env.browser, env.server.url, room, 'Ada');
      const page = await openPage(denying, `${env.server.url}/?room=${room}`);
      await page.locator('rtc-prejoin [part~="start-button"]').click();
      const alert = page.locator('rtc-call [role="alert"]');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /Camera and microphone are blocked/);
      assert.match((await alert.textContent()) ?? '', /still join to watch and listen/);

      await page.locator('rtc-prejoin [part~="name-input"]').fill('Watcher');
      await page.locator('rtc-prejoin [part~="join-button"]').click();
      await waitForRemoteNames(page, ['Ada']);
      await waitForMovingVideo(page, ['Ada']);
      // Ada sees the watcher's tile, with no camera and no microphone.
      await waitForRemoteNames(ada, ['Watcher']);
      const tile = ada.locator('rtc-remote-video', { has: ada.locator('[part~="name"]', { hasText: 'Watcher' }) });
      await tile.locator('[part~="avatar"]').waitFor();
      await tile.locator('[part~="mic-off"]').waitFor();
      await ada.context().close();
    } finally {
      await denying.close();
    }
  });

  it('an insecure page says so instead of failing silently', async () => {
    // A name that is not localhost, over plain http: browsers hide cameras there.
    const insecure = await launchBrowser({ args: ['--host-resolver-rules=MAP insecure.test 127.0.0.1'] });
    try {
      const page = await openPage(insecure, `${env.server.url.replace('127.0.0.1', 'insecure.test')}/?room=${uniqueRoom()}`);
      assert.equal(await page.evaluate(() => window.isSecureContext), false);
      await page.locator('rtc-prejoin [part~="start-button"]').click();
      const alert = page.locator('rtc-call [role="alert"]');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /This page is not secure/);
    } finally {
      await insecure.close();
    }
  });
});
