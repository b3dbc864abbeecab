/**
 * SFU rooms through the built signal server and real Janus instances (test/e2e/janus.ts,
 * started by test/e2e/sfu-harness.ts): socket.io clients in this process speak the
 * protocol, and raw RTCPeerConnections in Chromium pages carry the media, so what is
 * tested is exactly what a page goes through: join → `sfu-publish` → `sfu-offer` →
 * `sfu-answer` → frames, with the candidates relayed by the server.
 *
 * Run `node scripts/build.mjs` first. Skipped when Janus or Chromium is not installed,
 * except in CI, where that fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LIMITS, type JoinAnswer, type SfuOffer } from '../../src/protocol/index.js';
import { JANUS_BROWSER_FLAGS, janusTestsMissing, roomName, until } from '../e2e/janus.js';
import { launchBrowser, serveHtml } from '../e2e/harness.js';
import { startSfuSignalServer, type RunningSfuSignalServer } from '../e2e/sfu-harness.js';
import type { Client } from './helpers.js';
import { answerOffer, ask, connect, janusHasRoom, publish, sfuPage } from './sfu-clients.js';

const missing = janusTestsMissing('the SFU tests');

/** A protocol client that records what the server pushes. */
interface Person {
  client: Client;
  id: string;
  answer: Extract<JoinAnswer, { ok: true }>;
  offers: SfuOffer[];
  topology: unknown[];
  relays: unknown[];
  errors: unknown[];
  talking: unknown[];
}

const clients: Client[] = [];

async function join(url: string, room: string, name: string): Promise<Person> {
  const client = await connect(url, clients);
  const person = { client, offers: [], topology: [], relays: [], errors: [], talking: [] } as unknown as Person;
  client.on('sfu-offer', (offer) => person.offers.push(offer));
  client.on('topology', (change) => person.topology.push(change));
  client.on('relay', (data) => person.relays.push(data));
  client.on('rtc-error', (error) => person.errors.push(error));
  client.on('talking', (change) => person.talking.push(change));
  const answer = await client.emitWithAck('join', { room, name });
  assert.equal(answer.ok, true, JSON.stringify(answer));
  person.answer = answer as Extract<JoinAnswer, { ok: true }>;
  person.id = person.answer.selfId;
  return person;
}

/** Video frames decoded on the page's subscriber connection so far. */
function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let decoded = 0;
    (await (window as unknown as { sub: RTCPeerConnection }).sub.getStats()).forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') decoded += report.framesDecoded ?? 0;
    });
    return decoded;
  });
}

describe('SFU rooms through the signal server (real Janus)', { skip: missing }, () => {
  let browser: Browser;
  let site: { url: string; close(): Promise<void> };

  before(async () => {
    browser = await launchBrowser({ args: JANUS_BROWSER_FLAGS });
    site = await serveHtml('<!doctype html><title>sfu</title><video autoplay muted playsinline></video>');
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await browser?.close();
    await site?.close();
  });

  describe('TOPOLOGY=sfu', () => {
    let sfu: RunningSfuSignalServer;
    before(async () => {
      sfu = await startSfuSignalServer();
    });
    after(async () => {
      await sfu?.stop();
    });

    it('publishes a page and subscribes another through the server; a leaver drops out of the offer', async () => {
      const room = roomName('media');
      const alice = await join(sfu.url, room, 'Alice');
      const bob = await join(sfu.url, room, 'Bob');
      assert.equal(alice.answer.topology, 'sfu');
      assert.equal(bob.answer.topology, 'sfu');

      const pageA = await sfuPage(browser, site.url, alice.client, { showVideo: true });
      const pageB = await sfuPage(browser, site.url, bob.client, { showVideo: true });
      // Bob publishes nothing: he still gets a subscription once Alice publishes.
      await publish(alice.client, pageA);
      const offer = await until(() => bob.offers.find((o) => o.streams.some((s) => s.participant === alice.id)), 15_000, () => 'no sfu-offer naming Alice at Bob');
      const kinds = offer.streams.filter((s) => s.participant === alice.id).map((s) => s.kind).sort();
      assert.deepEqual(kinds, ['audio', 'video']);
      assert.ok(offer.streams.every((s) => s.screen === false));
      for (const stream of offer.streams) assert.match(offer.sdp, new RegExp(`a=mid:${stream.mid}\\r?\\n`));
      await answerOffer(bob.client, pageB, offer);

      const first = await until(async () => (await framesDecoded(pageB)) || null, 20_000, () => `no video at Bob; Janus log:\n${sfu.janus[0]!.log().split('\n').slice(-20).join('\n')}`);
      await until(async () => (await framesDecoded(pageB)) >= first + 10, 10_000, () => 'frames stopped');
      assert.deepEqual(alice.offers, [], 'Alice is alone in publishing: nothing to subscribe to');

      // Simulcast layer requests are accepted for a publisher Bob receives.
      assert.equal((await ask(bob.client, 'sfu-layer', { participant: alice.id, layer: 0 })).ok, true);

      // Alice shares a screen (a renegotiation adding a video, its mid named): Bob's next
      // offer carries it, marked as a screen.
      const offersBefore = bob.offers.length;
      const { sdp: screenOffer, mid: screenMid } = await pageA.evaluate(async () => {
        const pc = (window as unknown as { pub: RTCPeerConnection }).pub;
        const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 360 });
        const context = canvas.getContext('2d')!;
        setInterval(() => {
          context.fillStyle = `hsl(${Date.now() % 360}, 80%, 50%)`;
          context.fillRect(0, 0, 640, 360);
        }, 50);
        const track = canvas.captureStream(15).getVideoTracks()[0]!;
        const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
        await pc.setLocalDescription();
        return { sdp: pc.localDescription!.sdp, mid: transceiver.mid! };
      });
      const screenAnswer = await ask(alice.client, 'sfu-publish', { sdp: screenOffer, screenMid });
      assert.equal(screenAnswer.ok, true, JSON.stringify(screenAnswer));
      await pageA.evaluate((sdp) => (window as unknown as { pub: RTCPeerConnection }).pub.setRemoteDescription({ type: 'answer', sdp }), screenAnswer.sdp!);
      const withScreen = await until(
        () => bob.offers.slice(offersBefore).find((o) => o.streams.some((s) => s.participant === alice.id && s.screen)),
        15_000,
        () => `no offer with Alice's screen at Bob: ${JSON.stringify(bob.offers.slice(offersBefore).map((o) => o.streams))}`,
      );
      assert.deepEqual(withScreen.streams.filter((s) => s.participant === alice.id).map((s) => `${s.kind}${s.screen ? '+screen' : ''}`).sort(), ['audio', 'video', 'video+screen']);
      await answerOffer(bob.client, pageB, withScreen);

      // Who is talking comes from Janus's audio levels (the fake microphone beeps).
      await until(() => bob.talking.find((t) => (t as { id: string }).id === alice.id), 20_000, () => 'no talking event for Alice');
      // Someone who comes in while she talks is told at once, not at her next change.
      const carol = await join(sfu.url, room, 'Carol');
      await until(
        () => carol.talking.find((t) => (t as { id: string; talking: boolean }).id === alice.id && (t as { talking: boolean }).talking),
        5_000,
        () => `Carol was not told that Alice is talking: ${JSON.stringify(carol.talking)}`,
      );
      carol.client.disconnect();

      // Alice leaves: Bob gets an offer without her streams.
      const before = bob.offers.length;
      assert.equal((await alice.client.emitWithAck('leave')).ok, true);
      const later = await until(() => bob.offers.slice(before).at(-1), 10_000, () => 'no new offer after Alice left');
      assert.ok(!later.streams.some((s) => s.participant === alice.id), JSON.stringify(later.streams));
      await answerOffer(bob.client, pageB, later);
      await pageA.context().close();
      await pageB.context().close();
    });

    it('restarts a subscriber’s ICE on sfu-restart: a new sfu-offer with new credentials, and the video goes on', async () => {
      const room = roomName('restart');
      const alice = await join(sfu.url, room, 'Alice');
      const bob = await join(sfu.url, room, 'Bob');
      const pageA = await sfuPage(browser, site.url, alice.client, { showVideo: true });
      const pageB = await sfuPage(browser, site.url, bob.client, { showVideo: true });
      await publish(alice.client, pageA);
      const offer = await until(() => bob.offers.find((o) => o.streams.some((s) => s.participant === alice.id && s.kind === 'video')), 15_000, () => 'no sfu-offer naming Alice at Bob');
      await answerOffer(bob.client, pageB, offer);
      await until(async () => (await framesDecoded(pageB)) || null, 20_000, () => 'no video at Bob before the restart');
      await until(async () => (await pageB.evaluate(() => (window as unknown as { sub: RTCPeerConnection }).sub.connectionState)) === 'connected', 10_000, () => 'Bob’s subscriber is not connected');

      const ufrag = (sdp: string): string => /^a=ice-ufrag:(.+)$/m.exec(sdp)![1]!;
      const localSdp = (): Promise<string> => pageB.evaluate(() => (window as unknown as { sub: RTCPeerConnection }).sub.localDescription!.sdp);
      const answerUfrag = ufrag(await localSdp());
      const offersBefore = bob.offers.length;
      assert.deepEqual(await ask(bob.client, 'sfu-restart', { target: 'subscriber' }), { ok: true });
      const restarted = await until(() => bob.offers[offersBefore], 10_000, () => 'no sfu-offer after sfu-restart');
      assert.notEqual(ufrag(restarted.sdp), ufrag(offer.sdp), 'the restart offer carries new ICE credentials');
      assert.deepEqual(
        restarted.streams.map((s) => `${s.participant}:${s.kind}`).sort(),
        offer.streams.map((s) => `${s.participant}:${s.kind}`).sort(),
        'the same streams',
      );
      await answerOffer(bob.client, pageB, restarted);
      // The page's answer took new credentials too, and media flows on the restarted ICE.
      assert.notEqual(ufrag(await localSdp()), answerUfrag, 'the page answered with new credentials');
      await until(async () => (await pageB.evaluate(() => (window as unknown as { sub: RTCPeerConnection }).sub.connectionState)) === 'connected', 10_000, () => 'Bob’s subscriber did not reconnect');
      const after = await framesDecoded(pageB);
      await until(async () => (await framesDecoded(pageB)) >= after + 10, 10_000, () => 'frames stopped after the restart');
      assert.deepEqual(bob.errors, []);
      await pageA.context().close();
      await pageB.context().close();
    });

    it('relays data within the room, with the sender set by the server', async () => {
      const room = roomName('relay');
      const alice = await join(sfu.url, room, 'Alice');
      const bob = await join(sfu.url, room, 'Bob');
      const outsider = await join(sfu.url, roomName('other'), 'Eve');
      assert.deepEqual(await ask(alice.client, 'relay', { to: bob.id, channel: 'chat', data: 'hello' }), { ok: true });
      assert.deepEqual(await ask(alice.client, 'relay', { to: bob.id, channel: 'file-1', data: 'AAEC', binary: true }), { ok: true });
      assert.deepEqual(await ask(alice.client, 'relay', { to: bob.id, channel: 'file-1', close: true }), { ok: true });
      await until(() => bob.relays.length === 3, 5000, () => 'relays did not arrive');
      assert.deepEqual(bob.relays, [
        { from: alice.id, channel: 'chat', data: 'hello' },
        { from: alice.id, channel: 'file-1', data: 'AAEC', binary: true },
        { from: alice.id, channel: 'file-1', close: true },
      ]);
      const refused = await ask(alice.client, 'relay', { to: outsider.id, channel: 'chat', data: 'psst' });
      assert.equal(refused.error?.code, 'invalid-input');
      assert.deepEqual(outsider.relays, []);
      // A layer for someone Bob receives nothing from (Alice publishes nothing).
      assert.equal((await ask(bob.client, 'sfu-layer', { participant: alice.id, layer: 1 })).error?.code, 'invalid-input');
    });

    it('answers a resumed participant of an SFU room with the topology again', async () => {
      const room = roomName('resume');
      const client = await connect(sfu.url, clients);
      const key = randomBytes(24).toString('base64url');
      const first = (await client.emitWithAck('join', { room, name: 'Ada', session: { key } })) as Extract<JoinAnswer, { ok: true }>;
      assert.equal(first.topology, 'sfu');
      client.disconnect(); // dropped, not left: within the grace it can come back as itself
      const again = await connect(sfu.url, clients);
      const back = (await again.emitWithAck('join', { room, name: 'Ada', session: { key, id: first.selfId } })) as Extract<JoinAnswer, { ok: true }>;
      assert.equal(back.resumed, true);
      assert.equal(back.selfId, first.selfId);
      assert.equal(back.topology, 'sfu');
    });

    it('refuses malformed SFU and relay messages with invalid-input', async () => {
      const room = roomName('garbage');
      const alice = await join(sfu.url, room, 'Alice');
      const bob = await join(sfu.url, room, 'Bob');
      const stranger = await connect(sfu.url, clients);
      const cases: [Client, string, unknown][] = [
        [stranger, 'sfu-publish', { sdp: 'v=0' }], // not joined
        [alice.client, 'sfu-publish', { sdp: 5 }],
        [alice.client, 'sfu-publish', { sdp: 'x'.repeat(LIMITS.maxSdpLength + 1) }],
        [alice.client, 'sfu-publish', { sdp: 'v=0', screenMid: 'a b' }],
        [alice.client, 'sfu-publish', 'nonsense'],
        [alice.client, 'sfu-answer', { sdp: '' }],
        [alice.client, 'sfu-answer', { sdp: 'v=0' }], // nothing to answer yet
        [alice.client, 'sfu-candidate', { target: 'both', candidate: null }],
        [alice.client, 'sfu-candidate', { target: 'publisher', candidate: { candidate: 'x'.repeat(LIMITS.maxCandidateLength + 1) } }],
        [alice.client, 'sfu-layer', { participant: bob.id, layer: 3 }],
        [alice.client, 'sfu-layer', { participant: '../etc', layer: 0 }],
        [alice.client, 'sfu-layer', { participant: alice.id, layer: 0 }],
        [alice.client, 'sfu-restart', 'nonsense'],
        [alice.client, 'sfu-restart', {}],
        [alice.client, 'sfu-restart', { target: 'publisher' }],
        [alice.client, 'sfu-restart', { target: 'subscriber' }], // no sfu-offer yet: nothing to restart
        [stranger, 'sfu-restart', { target: 'subscriber' }], // not joined
        [alice.client, 'relay', { to: bob.id, channel: 'chat' }],
        [alice.client, 'relay', { to: bob.id, channel: '', data: 'x' }],
        [alice.client, 'relay', { to: bob.id, channel: 'x'.repeat(LIMITS.maxRelayChannelLength + 1), data: 'x' }],
        [alice.client, 'relay', { to: bob.id, channel: 'f', data: 'x'.repeat(LIMITS.maxRelayDataLength + 1) }],
        [alice.client, 'relay', { to: bob.id, channel: 'f', data: 'not base64!', binary: true }],
        [alice.client, 'relay', { to: alice.id, channel: 'chat', data: 'me' }],
      ];
      for (const [client, event, payload] of cases) {
        const answer = await ask(client, event, payload);
        assert.equal(answer.ok, false, `${event} ${JSON.stringify(payload).slice(0, 80)} was accepted`);
        assert.equal(answer.error?.code, 'invalid-input', `${event}: ${JSON.stringify(answer)}`);
      }
      // Still connected and served.
      assert.deepEqual(await ask(alice.client, 'relay', { to: bob.id, channel: 'chat', data: 'still here' }), { ok: true });
    });
  });

  describe('TOPOLOGY=auto, MESH_LIMIT=2', () => {
    let sfu: RunningSfuSignalServer;
    before(async () => {
      sfu = await startSfuSignalServer({ TOPOLOGY: 'auto', MESH_LIMIT: '2' });
    });
    after(async () => {
      await sfu?.stop();
    });

    it('keeps a small room a mesh and moves it to the SFU on the join that makes it too big', async () => {
      const room = roomName('auto');
      const alice = await join(sfu.url, room, 'Alice');
      const bob = await join(sfu.url, room, 'Bob');
      assert.equal(alice.answer.topology, 'mesh');
      assert.equal(bob.answer.topology, 'mesh');
      // SFU messages in a mesh room are refused; signals and relays work.
      const refused = await ask(alice.client, 'sfu-publish', { sdp: 'v=0' });
      assert.equal(refused.error?.code, 'invalid-input');
      const noRestart = await ask(alice.client, 'sfu-restart', { target: 'subscriber' });
      assert.equal(noRestart.error?.code, 'invalid-input');
      assert.equal(noRestart.error?.message, 'this room is not on the SFU: sfu-* messages are for SFU rooms');
      assert.deepEqual(await ask(alice.client, 'relay', { to: bob.id, channel: 'chat', data: 'hi' }), { ok: true });

      const carol = await join(sfu.url, room, 'Carol');
      assert.equal(carol.answer.topology, 'sfu');
      await until(() => alice.topology.length > 0 && bob.topology.length > 0, 5000, () => 'the first two were not told');
      assert.deepEqual(alice.topology, [{ topology: 'sfu' }]);
      assert.deepEqual(bob.topology, [{ topology: 'sfu' }]);
      assert.deepEqual(carol.topology, []);
      // Now SFU messages are taken (a bad SDP is Janus's to refuse, not a mesh refusal).
      const attempt = await ask(alice.client, 'sfu-answer', { sdp: 'v=0' });
      assert.notEqual(attempt.error?.message, 'this room is not on the SFU: sfu-* messages are for SFU rooms');
      // It stays on the SFU when it shrinks.
      await carol.client.emitWithAck('leave');
      const dave = await join(sfu.url, room, 'Dave');
      assert.equal(dave.answer.topology, 'sfu');
    });
  });

  describe('two Janus instances', () => {
    let sfu: RunningSfuSignalServer;
    const roomKey = randomBytes(32).toString('base64url');
    before(async () => {
      sfu = await startSfuSignalServer({ JANUS_ROOM_KEY: roomKey }, { janusCount: 2 });
    });
    after(async () => {
      await sfu?.stop();
    });

    it('spreads rooms over both, and moves the rooms of one that dies', async () => {
      const [one, two] = sfu.janus as [typeof sfu.janus[0], typeof sfu.janus[0]];
      const rooms = [roomName('spread'), roomName('spread')] as const;
      const first = await join(sfu.url, rooms[0], 'Ann');
      await until(async () => (await janusHasRoom(one.url, one.apiSecret, roomKey, rooms[0])) || (await janusHasRoom(two.url, two.apiSecret, roomKey, rooms[0])), 5000, () => 'first room not on Janus');
      const second = await join(sfu.url, rooms[1], 'Ben');
      const where = async (room: string): Promise<string[]> => {
        const found: string[] = [];
        for (const janus of sfu.janus) if (await janusHasRoom(janus.url, janus.apiSecret, roomKey, room).catch(() => false)) found.push(janus.url);
        return found;
      };
      const placed = await until(async () => {
        const [a, b] = [await where(rooms[0]), await where(rooms[1])];
        return a.length === 1 && b.length === 1 ? [a[0]!, b[0]!] : null;
      }, 5000, () => 'rooms not placed');
      assert.notEqual(placed[0], placed[1], 'the two rooms are on different instances');

      // The instance holding the first room dies: its page is told to set up the SFU again,
      // and the room is made again on the other instance.
      const doomed = sfu.janus.find((janus) => janus.url === placed[0])!;
      const survivor = sfu.janus.find((janus) => janus.url !== placed[0])!;
      await doomed.stop();
      await until(() => first.topology.length > 0, 10_000, () => 'the moved room was not told');
      assert.deepEqual(first.topology, [{ topology: 'sfu' }]);
      assert.deepEqual(second.topology, [], 'the other room stays where it is');
      await until(() => janusHasRoom(survivor.url, survivor.apiSecret, roomKey, rooms[0]), 5000, () => 'the room was not made again on the survivor');
      const metrics = await (await fetch(`${sfu.url}/metrics`)).text();
      assert.match(metrics, /^rtc_signal_janus_instances_up 1$/m);
      assert.match(metrics, /^rtc_signal_rooms_by_topology\{topology="sfu"\} 2$/m);
    });
  });
});
