/**
 * Calls through TURN: a private coturn (see coturn.ts) with time-limited credentials in
 * coturn's `use-auth-secret` REST scheme, the signal server started with `TURN_URLS` and
 * `TURN_SECRET` handing each joiner a fresh credential, and pages embedding
 * `<rtc-call ice-transport-policy="relay">`: media flows only through the relay, no host
 * address reaches the other side, the secret never leaves the server, and coturn refuses
 * forged and expired credentials.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { io as connectClient } from 'socket.io-client';
import { startCoturn, turnCredentialFor, turnCredentials, type RunningCoturn } from './coturn.js';
import {
  launchBrowser,
  serveHtml,
  startSignalServer,
  uniqueRoom,
  waitForMovingVideo,
  waitForRemoteNames,
  type RunningServer,
} from './harness.js';

/** The credential lifetime the signal server is started with, in seconds. */
const TTL = 600;

interface CandidateInfo {
  type: string;
  address: string | null;
  port: number | null;
  protocol: string | null;
}

interface PathReport {
  participants: number;
  local: CandidateInfo | null;
  remote: CandidateInfo | null;
  localCandidates: CandidateInfo[];
  remoteCandidates: CandidateInfo[];
}

/** The selected candidate pair of the page's call with its one peer, and every candidate either side knows. */
function selectedPath(page: Page): Promise<PathReport> {
  return page.evaluate(async () => {
    const call = (document.querySelector('rtc-call') as unknown as { call: { getStats(): Promise<{ report: RTCStatsReport }[]> } }).call;
    const peers = await call.getStats();
    const stats = [...(peers[0]?.report.values() ?? [])] as Record<string, unknown>[];
    const byId = (id: unknown) => stats.find((s) => s.id === id);
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair =
      byId(transport?.selectedCandidatePairId) ??
      stats.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
    const info = (s: Record<string, unknown> | undefined) =>
      s
        ? {
            type: String(s.candidateType),
            address: typeof s.address === 'string' ? s.address : typeof s.ip === 'string' ? s.ip : null,
            port: typeof s.port === 'number' ? s.port : null,
            protocol: typeof s.protocol === 'string' ? s.protocol : null,
          }
        : null;
    return {
      participants: peers.length,
      local: info(byId(pair?.localCandidateId)),
      remote: info(byId(pair?.remoteCandidateId)),
      localCandidates: stats.filter((s) => s.type === 'local-candidate').map((s) => info(s)!),
      remoteCandidates: stats.filter((s) => s.type === 'remote-candidate').map((s) => info(s)!),
    };
  });
}

/** Waits until the page's call has a selected candidate pair (video may flow a moment before stats say so). */
async function waitForSelectedPath(page: Page, timeout = 10000): Promise<PathReport> {
  const deadline = Date.now() + timeout;
  let path = await selectedPath(page);
  while ((!path.local || !path.remote) && Date.now() < deadline) {
    await page.waitForTimeout(200);
    path = await selectedPath(page);
  }
  return path;
}

interface Gathering {
  /** `complete` when ICE gathering finished, `timeout` when it had not after 10 s. */
  ended: 'complete' | 'timeout';
  candidateTypes: string[];
  errors: { errorCode: number; errorText: string; url: string }[];
}

/** Gathers ICE candidates in the page through one TURN server with `iceTransportPolicy: 'relay'`. */
function gatherThroughTurn(page: Page, server: { urls: string; username: string; credential: string }): Promise<Gathering> {
  return page.evaluate(async (server) => {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
    const candidateTypes: string[] = [];
    const errors: { errorCode: number; errorText: string; url: string }[] = [];
    pc.addEventListener('icecandidateerror', (event) => {
      const e = event as RTCPeerConnectionIceErrorEvent;
      errors.push({ errorCode: e.errorCode, errorText: e.errorText, url: e.url });
    });
    const ended = new Promise<'complete' | 'timeout'>((resolve) => {
      pc.addEventListener('icecandidate', (event) => {
        if (event.candidate?.candidate) candidateTypes.push(/ typ (\S+)/.exec(event.candidate.candidate)?.[1] ?? '?');
        else if (!event.candidate) resolve('complete');
      });
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve('complete');
      });
      setTimeout(() => resolve('timeout'), 10000);
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    const how = await ended;
    // An error event can trail the end of gathering by a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    pc.close();
    return { ended: how, candidateTypes, errors };
  }, server);
}

/** A page of its own whose WebSocket frames from servers are recorded, opened at `url`. */
async function openRecordedPage(browser: Browser, url: string): Promise<{ page: Page; received: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await context.addInitScript('globalThis.__name = (fn) => fn'); // as harness.openPage does
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  const received: string[] = [];
  page.on('websocket', (socket) => socket.on('framereceived', (frame) => received.push(String(frame.payload))));
  await page.goto(url);
  return { page, received };
}

interface JoinAnswerSeen {
  ok: boolean;
  selfId?: string;
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  error?: unknown;
}

/** Joins a new room over the real protocol from Node (socket.io-client), as a page would; answers the join answer. */
async function joinWithSocket(url: string): Promise<JoinAnswerSeen> {
  const client = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000 });
  try {
    const request = { room: uniqueRoom('turn'), name: 'Probe', session: { key: randomBytes(24).toString('base64url') } };
    const answer = (await client.timeout(5000).emitWithAck('join', request)) as JoinAnswerSeen;
    assert.equal(answer.ok, true, `join refused: ${JSON.stringify(answer.error)}`);
    return answer;
  } finally {
    client.disconnect();
  }
}

/** The ICE server for `turnUrl` in a join answer, its username split as `<expiry>:<user>`. */
function turnServerIn(answer: JoinAnswerSeen, turnUrl: string): { username: string; credential: string; expiry: number; user: string } {
  const iceServers = answer.iceServers ?? [];
  const turn = iceServers.find((s) => [s.urls].flat().includes(turnUrl));
  assert.ok(turn, `an ICE server with ${turnUrl}: ${JSON.stringify(iceServers)}`);
  const username = turn.username ?? '';
  const match = /^(\d+):(.+)$/.exec(username);
  assert.ok(match, `username is <expiry>:<participant id>, got "${username}"`);
  assert.equal(typeof turn.credential, 'string', 'a credential is given');
  return { username, credential: turn.credential!, expiry: Number(match[1]), user: match[2]! };
}

/** Runs every cleanup step even when some fail; throws the first failure afterwards. */
async function cleanUp(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const results = await Promise.allSettled(steps.map(async (step) => step()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

describe('calls through TURN (coturn, use-auth-secret)', () => {
  const secret = `turn-e2e-${randomBytes(18).toString('base64url')}`;
  let coturn: RunningCoturn | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  before(async () => {
    coturn = await startCoturn({ secret });
    server = await startSignalServer({ TURN_URLS: coturn.url, TURN_SECRET: secret, TURN_TTL: String(TTL) });
    browser = await launchBrowser();
  });
  after(async () => {
    try {
      await cleanUp(
        async () => browser?.close(),
        async () => server?.stop(),
      );
    } finally {
      await coturn?.stop();
    }
  });

  it('the join answer carries a time-limited TURN credential, never the secret', async () => {
    const answer = await joinWithSocket(server!.url);
    assert.ok(!JSON.stringify(answer).includes(secret), 'the answer does not contain the TURN secret');
    const { username, credential, expiry, user } = turnServerIn(answer, coturn!.url);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(expiry > now + TTL - 30 && expiry <= now + TTL + 5, `expiry ${expiry} is TURN_TTL (${TTL} s) after now (${now})`);
    assert.equal(user, answer.selfId, 'the username names the joiner');
    assert.notEqual(credential, secret);
    assert.equal(credential, turnCredentialFor(secret, username), 'credential = base64(HMAC-SHA1(secret, username))');

    // Each joiner gets a credential of its own.
    const other = turnServerIn(await joinWithSocket(server!.url), coturn!.url);
    assert.notEqual(other.username, username);
  });

  it('without TURN_TTL a credential lasts an hour', async () => {
    const plain = await startSignalServer({ TURN_URLS: coturn!.url, TURN_SECRET: secret });
    try {
      const answer = await joinWithSocket(plain.url);
      const { username, credential, expiry } = turnServerIn(answer, coturn!.url);
      const now = Math.floor(Date.now() / 1000);
      assert.ok(expiry > now + 3600 - 30 && expiry <= now + 3600 + 5, `expiry ${expiry} is 3600 s after now (${now})`);
      assert.equal(credential, turnCredentialFor(secret, username));
    } finally {
      await plain.stop();
    }
  });

  it('two embedded calls with ice-transport-policy="relay" talk only through the relay', async () => {
    const room = uniqueRoom('turn');
    const embed = (name: string) =>
      serveHtml(`<!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>${name}'s page</title></head>
        <body><script src="${server!.url}/rtc-elements.iife.min.js"></script>
        <rtc-call room="${room}" name="${name}" ice-transport-policy="relay" autojoin></rtc-call></body></html>`);
    const sites = await Promise.all([embed('Ada'), embed('Bo')]);
    const pages: Page[] = [];
    try {
      const ada = await openRecordedPage(browser!, sites[0].url);
      pages.push(ada.page);
      const bo = await openRecordedPage(browser!, sites[1].url);
      pages.push(bo.page);
      await waitForRemoteNames(ada.page, ['Bo']);
      await waitForRemoteNames(bo.page, ['Ada']);
      await waitForMovingVideo(ada.page, ['Bo']);
      await waitForMovingVideo(bo.page, ['Ada']);

      for (const [name, { page, received }] of [['Ada', ada], ['Bo', bo]] as const) {
        const path = await waitForSelectedPath(page);
        const shown = JSON.stringify(path);
        assert.equal(path.participants, 1, `${name} has one peer: ${shown}`);
        assert.equal(path.local?.type, 'relay', `${name}'s selected local candidate is a relay: ${shown}`);
        assert.equal(path.remote?.type, 'relay', `${name}'s selected remote candidate is a relay: ${shown}`);
        const { min, max } = coturn!.relayPorts;
        for (const end of [path.local!, path.remote!]) {
          if (end.port !== null) assert.ok(end.port >= min && end.port <= max, `${name}: port ${end.port} is one of coturn's relay ports ${min}-${max}: ${shown}`);
        }
        assert.ok(path.remoteCandidates.length > 0, `${name} knows the other side's candidates: ${shown}`);
        assert.deepEqual(
          path.remoteCandidates.filter((c) => c.type !== 'relay'),
          [],
          `${name} learned no host, srflx or prflx address of the other side: ${shown}`,
        );
        assert.deepEqual(
          path.localCandidates.filter((c) => c.type !== 'relay'),
          [],
          `${name} gathered relay candidates only: ${shown}`,
        );

        // What reached the page from the signal server: TURN credentials, but not the secret.
        const frames = received.join('\n');
        assert.ok(frames.includes('iceServers'), `${name}'s page received its join answer over the WebSocket`);
        assert.ok(!frames.includes(secret), `the TURN secret never reached ${name}'s page`);
      }
    } finally {
      await cleanUp(...pages.map((page) => () => page.context().close()), ...sites.map((site) => () => site.close()));
    }
  });

  it('coturn allocates with a valid credential and refuses forged and expired ones', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto('about:blank');
      const urls = coturn!.url;
      const valid = await gatherThroughTurn(page, { urls, ...turnCredentials(secret, TTL, 'valid-user') });
      const forged = await gatherThroughTurn(page, { urls, ...turnCredentials(`not-${secret}`, TTL, 'mallory') });
      const expired = await gatherThroughTurn(page, { urls, ...turnCredentials(secret, -60, 'late-user') });
      const shown = JSON.stringify({ valid, forged, expired });
      console.log(`[turn] gathering through coturn: ${shown}`);

      assert.ok(valid.candidateTypes.includes('relay'), `a valid credential gets a relay candidate: ${shown}`);
      assert.deepEqual(valid.errors.filter((e) => e.errorCode >= 400 && e.errorCode < 500), [], `no 4xx with a valid credential: ${shown}`);
      for (const [label, result] of [['forged', forged], ['expired', expired]] as const) {
        assert.deepEqual(result.candidateTypes, [], `a ${label} credential gets no candidate at all: ${shown}`);
        assert.ok(
          result.errors.some((e) => e.errorCode >= 400 && e.errorCode < 500),
          `a ${label} credential is refused with a 4xx (401 Unauthorized expected): ${shown}`,
        );
      }
    } finally {
      await context.close();
    }
  });
});
