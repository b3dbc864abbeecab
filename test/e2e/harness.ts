/**
 * End-to-end harness: the real signal server (the built CLI, as `npm start` runs it),
 * real Chromium pages with a fake camera and microphone, and helpers that read what a
 * person would see on those pages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ALLOW_MEDIA_FLAGS, FAKE_MEDIA_FLAGS, QUIET_FLAGS, findChromium } from '../browser.mjs';

export interface RunningServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Kills a server without a goodbye (SIGKILL), as a crash or an OOM kill would. */
export async function killServer(server: RunningServer): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  server.process.kill('SIGKILL');
  await once(server.process, 'exit');
}

/** Starts `rtc-signal-server` (on a free port unless `port` is given) and waits for its `listening on` line. */
export async function startSignalServer(env: Record<string, string> = {}, port = 0): Promise<RunningServer> {
  const child = spawn(process.execPath, ['dist/server/signal-server/cli.js', '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signal server did not start:\n${output}`)), 10000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`signal server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Launches Debian's Chromium. `allowMedia: false` makes every camera prompt answer "denied". */
export async function launchBrowser(options: { allowMedia?: boolean; args?: string[] } = {}): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium not found: run `npm test` (it says how to install it)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      ...QUIET_FLAGS,
      ...FAKE_MEDIA_FLAGS,
      ...(options.allowMedia === false ? [] : ALLOW_MEDIA_FLAGS),
      ...(options.args ?? []),
    ],
  });
}

/** A page of its own (own context: own storage, own permissions), like another person's browser. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  // tsx compiles these tests keeping function names through an `__name` helper, which the
  // functions passed to page.evaluate carry into the page; give them a harmless one there.
  await context.addInitScript('globalThis.__name = (fn) => fn');
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(url);
  return page;
}

/** Opens the demo page for a room and joins through the pre-join screen, as a person would. */
export async function joinFromDemo(browser: Browser, server: string, room: string, name: string): Promise<Page> {
  const page = await openPage(browser, `${server}/?room=${encodeURIComponent(room)}`);
  await page.locator('rtc-prejoin [part~="name-input"]').fill(name);
  await page.locator('rtc-prejoin [part~="join-button"]').click();
  await page.locator('rtc-controls [part~="leave-button"]').waitFor();
  return page;
}

/** The names on the remote tiles this page shows. */
export function remoteNames(page: Page): Promise<string[]> {
  return page.locator('rtc-remote-video [part~="name"]').allTextContents();
}

/** Waits until this page shows exactly these remote participants (any order). */
export async function waitForRemoteNames(page: Page, names: string[], timeout = 15000): Promise<void> {
  const want = [...names].sort().join(',');
  const deadline = Date.now() + timeout;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await remoteNames(page)).sort().join(',');
    if (seen === want) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`expected remote tiles [${want}], saw [${seen}]`);
}

/** Frames decoded so far by each remote tile's video, by participant name. */
export function remoteFrameCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const counts: Record<string, number> = {};
    const walk = (root: ParentNode): void => {
      for (const tile of root.querySelectorAll('rtc-remote-video')) {
        const shadow = tile.shadowRoot!;
        const name = shadow.querySelector('[part~="name"]')?.textContent ?? '?';
        const video = shadow.querySelector('video');
        const visible = video && !video.classList.contains('hidden') && video.videoWidth > 0;
        counts[name] = visible ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
      }
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return counts;
  });
}

/** Waits until every named remote video shows new frames: pictures are really arriving. */
export async function waitForMovingVideo(page: Page, names: string[], timeout = 15000): Promise<void> {
  const deadline = Date.now() + timeout;
  let first: Record<string, number> | null = null;
  let last: Record<string, number> = {};
  while (Date.now() < deadline) {
    last = await remoteFrameCounts(page);
    if (names.every((n) => (last[n] ?? 0) > 0)) {
      first ??= last;
      if (names.every((n) => last[n]! >= first![n]! + 10)) return;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`remote video not moving for ${names.join(', ')}: ${JSON.stringify(last)}`);
}

/** The loudest level (0..1) heard from a remote participant's audio over `ms`. */
export function remoteAudioLevel(page: Page, name: string, ms = 2500): Promise<number> {
  return page.evaluate(
    async ({ name, ms }) => {
      const find = (root: ParentNode): HTMLVideoElement | null => {
        for (const tile of root.querySelectorAll('rtc-remote-video')) {
          if (tile.shadowRoot!.querySelector('[part~="name"]')?.textContent === name) return tile.shadowRoot!.querySelector('video');
        }
        for (const el of root.querySelectorAll('*')) {
          const found = el.shadowRoot && find(el.shadowRoot);
          if (found) return found;
        }
        return null;
      };
      const stream = find(document)?.srcObject as MediaStream | null;
      if (!stream?.getAudioTracks().length) return 0;
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let peak = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        analyser.getFloatTimeDomainData(samples);
        for (const s of samples) peak = Math.max(peak, Math.abs(s));
        await new Promise((r) => setTimeout(r, 20));
      }
      await context.close();
      return peak;
    },
    { name, ms },
  );
}

/** The `<rtc-call>` element's `Call` on a page, for reading its snapshot the way a page script would. */
export function callSnapshot<T>(page: Page, read: string): Promise<T> {
  return page.evaluate(`(() => { const s = document.querySelector('rtc-call').call.snapshot; return (${read}); })()`) as Promise<T>;
}

/** A remote tile on `page`, found by the participant's name. */
export function remoteTile(page: Page, name: string, options: { screen?: boolean } = {}) {
  const selector = options.screen ? 'rtc-remote-video[screen]' : 'rtc-remote-video:not([screen])';
  return page.locator(selector, { has: page.locator('[part~="name"]', { hasText: name }) });
}

/** Frames decoded so far by the first video inside `locator`. */
export async function framesOf(locator: import('playwright-core').Locator): Promise<number> {
  return locator.locator('video').first().evaluate((v: HTMLVideoElement) => (v.videoWidth > 0 ? v.getVideoPlaybackQuality().totalVideoFrames : 0));
}

/** Waits until the first video inside `locator` shows `count` new frames. */
export async function waitForFrames(locator: import('playwright-core').Locator, count = 10, timeout = 15000): Promise<void> {
  const deadline = Date.now() + timeout;
  let start = -1;
  let now = 0;
  while (Date.now() < deadline) {
    now = await framesOf(locator).catch(() => 0);
    if (now > 0 && start < 0) start = now;
    if (start >= 0 && now >= start + count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`video not moving: ${start} -> ${now} frames`);
}

/** Serves one HTML page from its own origin, for embedding tests. */
export async function serveHtml(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A room name no other test uses. */
export function uniqueRoom(prefix = 'e2e'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A signal server and a browser for the tests of one `describe`: started before them,
 * closed after. Read `server` and `browser` inside the tests.
 */
export function useServerAndBrowser(env: Record<string, string> = {}): { readonly server: RunningServer; readonly browser: Browser } {
  const held: { server?: RunningServer; browser?: Browser } = {};
  before(async () => {
    held.server = await startSignalServer(env);
    held.browser = await launchBrowser();
  });
  after(async () => {
    await held.browser?.close();
    await held.server?.stop();
  });
  return {
    get server() {
      return held.server!;
    },
    get browser() {
      return held.browser!;
    },
  };
}

/** Two people in a new room, each seeing the other's video move. */
export async function joinedPair(browser: Browser, server: RunningServer, names: [string, string] = ['Ada', 'Bo']): Promise<[Page, Page]> {
  const room = uniqueRoom();
  const first = await joinFromDemo(browser, server.url, room, names[0]);
  const second = await joinFromDemo(browser, server.url, room, names[1]);
  await waitForMovingVideo(first, [names[1]]);
  await waitForMovingVideo(second, [names[0]]);
  return [first, second];
}
