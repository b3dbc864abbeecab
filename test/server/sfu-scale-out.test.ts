/**
 * SFU rooms with several signal-server processes: two built `rtc-signal-server` processes
 * sharing one real redis-server (`REDIS_URL`) and two real Janus instances (`JANUS_URL`),
 * one room whose participants are split over both processes, pages in Chromium carrying
 * the media. What it shows:
 * - both processes put the room on the same Janus, although each, alone, would have
 *   chosen differently (the room is on one instance only, and Redis names it);
 * - a participant that publishes nothing, alone on its process, receives everyone (its
 *   process learns of the other process's publishers through its own watcher handle);
 * - every page receives every publisher's video (frames decoded per publisher).
 *
 * Run `node scripts/build.mjs` first. Skipped when Janus or Chromium is not installed,
 * except in CI, where that fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createClient } from 'redis';
import type { JoinAnswer, SfuOffer } from '../../src/protocol/index.js';
import { launchBrowser, serveHtml, startSignalServer, type RunningServer } from '../e2e/harness.js';
import { JANUS_BROWSER_FLAGS, janusTestsMissing, roomName, startJanus, until, type RunningJanus } from '../e2e/janus.js';
import type { Client } from './helpers.js';
import { answerOffer, connect, janusHasRoom, publish, sfuPage } from './sfu-clients.js';
import { startRedis, type TestRedis } from './redis-helpers.js';

const missing = janusTestsMissing('the SFU scale-out tests');

interface Person {
  name: string;
  client: Client;
  id: string;
  page: Page;
  offers: SfuOffer[];
  errors: unknown[];
  talking: { id: string; talking: boolean }[];
  /** Every sfu-offer is answered on the page, in order, until it leaves; this is the last answer's promise. */
  answering: Promise<void>;
  left: boolean;
}

const clients: Client[] = [];

/**
 * Joins `room` through `url` with a page of its own: a publisher and a subscriber
 * RTCPeerConnection whose candidates go to the server, and every `sfu-offer` answered.
 */
async function join(browser: Browser, site: string, url: string, room: string, name: string): Promise<Person> {
  const client = await connect(url, clients);
  const page = await sfuPage(browser, site, client);
  const person: Person = { name, client, id: '', page, offers: [], errors: [], talking: [], answering: Promise.resolve(), left: false };
  client.on('rtc-error', (error) => person.errors.push(error));
  client.on('talking', (change) => person.talking.push(change));
  client.on('sfu-offer', (offer) => {
    person.offers.push(offer);
    person.answering = person.answering.then(() => (person.left ? undefined : answerOffer(person.client, person.page, offer))).catch((error: unknown) => {
      person.errors.push(String(error));
    });
  });
  const answer = (await client.emitWithAck('join', { room, name })) as Extract<JoinAnswer, { ok: true }>;
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.equal(answer.topology, 'sfu');
  person.id = answer.selfId;
  return person;
}

/** Video frames decoded so far from `publisher` at `person`'s page (by the mid its latest offer names), or -1. */
async function framesFrom(person: Person, publisher: Person): Promise<number> {
  const offer = [...person.offers].reverse().find((o) => o.streams.some((s) => s.participant === publisher.id && s.kind === 'video'));
  const mid = offer?.streams.find((s) => s.participant === publisher.id && s.kind === 'video' && !s.screen)?.mid;
  if (mid === undefined) return -1;
  return person.page.evaluate(async (wanted) => {
    const pc = (window as unknown as { sub: RTCPeerConnection }).sub;
    const transceiver = pc.getTransceivers().find((t) => t.mid === wanted);
    if (!transceiver) return -1;
    let decoded = 0;
    (await transceiver.receiver.getStats()).forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') decoded += report.framesDecoded ?? 0;
    });
    return decoded;
  }, mid);
}

/** Waits until `person`'s page decodes fresh video frames from `publisher`. */
async function receives(person: Person, publisher: Person, janus: RunningJanus[]): Promise<void> {
  const describe = (): string =>
    `${person.name} gets no video from ${publisher.name}; offers: ${JSON.stringify(person.offers.map((o) => o.streams))}; errors: ${JSON.stringify(person.errors)}\n` +
    janus.map((j) => j.log().split('\n').slice(-10).join('\n')).join('\n---\n');
  const first = await until(async () => ((await framesFrom(person, publisher)) > 0 ? await framesFrom(person, publisher) : null), 30_000, describe);
  await until(async () => (await framesFrom(person, publisher)) >= first + 10, 15_000, () => `frames from ${publisher.name} stopped at ${person.name}`);
}

/** Whether `janus` has the VideoRoom for `room`. */
function janusHasRoomOn(janus: RunningJanus, roomKey: string, room: string): Promise<boolean> {
  return janusHasRoom(janus.url, janus.apiSecret, roomKey, room);
}

describe('SFU rooms over two signal-server processes (REDIS_URL, two Janus)', { skip: missing }, () => {
  let browser: Browser;
  let site: { url: string; close(): Promise<void> };
  let redis: TestRedis;
  const janus: RunningJanus[] = [];
  const servers: RunningServer[] = [];
  const roomKey = randomBytes(32).toString('base64url');

  before(async () => {
    redis = await startRedis();
    const apiSecret = randomBytes(24).toString('base64url');
    for (let i = 0; i < 2; i++) janus.push(await startJanus({ apiSecret }));
    const env = {
      TOPOLOGY: 'sfu',
      REDIS_URL: redis.url,
      JANUS_URL: janus.map((instance) => instance.url).join(','),
      JANUS_API_SECRET: apiSecret,
      JANUS_ROOM_KEY: roomKey,
      // Exactly the room's three participants: the VideoRooms' max_publishers is 3 too, so a
      // watcher counting as a publisher would make Dave's publish fail.
      ROOM_CAPACITY: '3',
      LOG_LEVEL: process.env.SFU_LOG === '1' ? 'info' : 'warn',
    };
    for (let i = 0; i < 2; i++) {
      const server = await startSignalServer(env);
      if (process.env.SFU_LOG === '1') {
        server.process.stdout?.on('data', (chunk: Buffer) => process.stderr.write(`[p${i + 1}] ${chunk}`));
        server.process.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[p${i + 1}] ${chunk}`));
      }
      servers.push(server);
    }
    browser = await launchBrowser({ args: JANUS_BROWSER_FLAGS });
    site = await serveHtml('<!doctype html><title>sfu</title>');
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await browser?.close();
    await site?.close();
    for (const server of servers) await server.stop();
    await Promise.all(janus.map((instance) => instance.stop()));
    await redis?.dispose();
  });

  it('places the room on one Janus for both processes, and every page receives every publisher, a lone receive-only page too', async () => {
    const [p1, p2] = servers as [RunningServer, RunningServer];
    const redisClient = createClient({ url: redis.url });
    await redisClient.connect();
    try {
      // A room of P2's alone, first: from then on P2 by itself would put the next room on
      // the other instance (the least loaded), while P1, knowing nothing of it, would not.
      const filler = roomName('filler');
      const fillerClient = await connect(p2.url, clients);
      assert.equal(((await fillerClient.emitWithAck('join', { room: filler, name: 'Filler' })) as { ok: boolean }).ok, true);
      const fillerUrl = await until(() => redisClient.get(`rtc:sfu:room:${filler}`), 5000, () => 'the filler room was not placed');

      const room = roomName('split');
      const browserSite = site.url;
      // Alice publishes on P1; Carol, on P2, publishes nothing and is alone there.
      const alice = await join(browser, browserSite, p1.url, room, 'Alice');
      const carol = await join(browser, browserSite, p2.url, room, 'Carol');
      await publish(alice.client, alice.page);
      await receives(carol, alice, janus);
      // Who talks is heard on P2 too, through its watcher (Alice's tone).
      await until(() => carol.talking.some((t) => t.id === alice.id && t.talking), 20_000, () => `Carol was not told that Alice talks: ${JSON.stringify(carol.talking)}`);

      // One instance for the room, the same the shared record names, the filler's (P1 chose
      // it, P2 took it although it would have chosen the other).
      const recorded = await redisClient.get(`rtc:sfu:room:${room}`);
      assert.equal(recorded, fillerUrl, 'the room is recorded on the instance P1 chose');
      const holders: string[] = [];
      for (const instance of janus) if (await janusHasRoomOn(instance, roomKey, room)) holders.push(instance.url);
      assert.deepEqual(holders, [recorded], 'the VideoRoom exists on that one instance only');

      // Dave joins on P2 and publishes: everyone gets everyone, across both processes.
      const dave = await join(browser, browserSite, p2.url, room, 'Dave');
      // A newcomer on P2 is told at once that Alice (on P1) talks: P2's watcher heard it.
      await until(() => dave.talking.some((t) => t.id === alice.id && t.talking), 5_000, () => `Dave was not told that Alice talks: ${JSON.stringify(dave.talking)}`);
      // Each change reaches a page once, from Alice's own process only.
      const aliceTalking = carol.talking.filter((t) => t.id === alice.id).map((t) => t.talking);
      assert.ok(aliceTalking.every((talking, i) => i === 0 || talking !== aliceTalking[i - 1]), `Carol heard a change twice: ${JSON.stringify(aliceTalking)}`);
      await publish(dave.client, dave.page);
      await receives(alice, dave, janus);
      await receives(carol, dave, janus);
      await receives(dave, alice, janus);
      await receives(carol, alice, janus);
      assert.deepEqual(holders, (await Promise.all(janus.map(async (instance) => ((await janusHasRoomOn(instance, roomKey, room)) ? instance.url : null)))).filter(Boolean));

      // Alice leaves (P1 has no one left in the room): the others' offers drop her; the room stays placed.
      const before = carol.offers.length;
      alice.left = true;
      assert.equal((await alice.client.emitWithAck('leave')).ok, true);
      await until(() => carol.offers.slice(before).some((o) => !o.streams.some((s) => s.participant === alice.id)), 10_000, () => 'Carol still gets Alice');
      assert.equal(await redisClient.get(`rtc:sfu:room:${room}`), recorded);
      // Everyone leaves: the placement goes with the room.
      carol.left = dave.left = true;
      await Promise.all([carol.answering, dave.answering]);
      assert.equal((await carol.client.emitWithAck('leave')).ok, true);
      assert.equal((await dave.client.emitWithAck('leave')).ok, true);
      await until(async () => (await redisClient.get(`rtc:sfu:room:${room}`)) === null, 5000, () => 'the placement outlived the room');
      await until(async () => !(await janusHasRoomOn(janus.find((j) => j.url === recorded)!, roomKey, room)), 5000, () => 'the VideoRoom outlived the room');
      for (const person of [alice, carol, dave]) {
        await person.answering;
        assert.deepEqual(person.errors, [], `${person.name}: ${JSON.stringify(person.errors)}`);
        await person.page.context().close();
      }
      fillerClient.disconnect();
    } finally {
      await redisClient.close();
    }
  });

  it('moves a room whose Janus dies once, to one instance both processes then use', async () => {
    const [p1, p2] = servers as [RunningServer, RunningServer];
    const redisClient = createClient({ url: redis.url });
    await redisClient.connect();
    try {
      const room = roomName('move');
      const topology = (client: Client): unknown[] => {
        const seen: unknown[] = [];
        client.on('topology', (change) => seen.push(change));
        return seen;
      };
      const ann = await connect(p1.url, clients);
      const annTopology = topology(ann);
      assert.equal(((await ann.emitWithAck('join', { room, name: 'Ann' })) as { ok: boolean }).ok, true);
      const ben = await connect(p2.url, clients);
      const benTopology = topology(ben);
      assert.equal(((await ben.emitWithAck('join', { room, name: 'Ben' })) as { ok: boolean }).ok, true);
      const before = await until(() => redisClient.get(`rtc:sfu:room:${room}`), 5000, () => 'the room was not placed');
      const doomed = janus.find((instance) => instance.url === before)!;
      const survivor = janus.find((instance) => instance.url !== before)!;
      await doomed.stop();
      // Both processes tell their pages to set up again (socket.io rooms span processes, so
      // each page hears it from each process that had the room).
      await until(() => annTopology.length > 0 && benTopology.length > 0, 15_000, () => 'the pages were not told');
      assert.ok([...annTopology, ...benTopology].every((change) => JSON.stringify(change) === '{"topology":"sfu"}'));
      await until(async () => (await redisClient.get(`rtc:sfu:room:${room}`)) === survivor.url, 10_000, () => 'the placement did not move to the survivor');
      await until(() => janusHasRoomOn(survivor, roomKey, room), 10_000, () => 'the room was not made again on the survivor');
      ann.disconnect();
      ben.disconnect();
    } finally {
      await redisClient.close();
    }
  });
});
