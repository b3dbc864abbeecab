/**
 * What the SFU server tests do as a page would, shared by sfu.test.ts and
 * sfu-scale-out.test.ts: socket.io protocol clients in this process, and raw
 * RTCPeerConnections in a Chromium page (`window.pub`, `window.sub`) carrying the media.
 * The functions passed to `page.evaluate` run in the page, so they close over nothing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { io as connectClient } from 'socket.io-client';
// @ts-ignore TS7016: janode ships no types; used raw to look at what the servers made on Janus
import Janode from 'janode';
// @ts-ignore TS7016
import VideoRoomPlugin from 'janode/plugins/videoroom';
import type { SfuOffer } from '../../src/protocol/index.js';
import { openPage } from '../e2e/harness.js';
import type { Client } from './helpers.js';

/** Connects a protocol client to `url` (websocket only, no reconnection); `clients` keeps it for closing. */
export async function connect(url: string, clients: Client[]): Promise<Client> {
  const client: Client = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000 });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

/** Emits with an ack, loosely typed (for garbage payloads). */
export function ask(client: Client, event: string, payload: unknown): Promise<{ ok: boolean; sdp?: string; error?: { code: string; message: string } }> {
  return (client as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<never> } }).timeout(10_000).emitWithAck(event, payload);
}

/**
 * A page with a publisher and a subscriber RTCPeerConnection (`window.pub`, `window.sub`)
 * whose candidates go to the server as `sfu-candidate` through `client`. `showVideo`: the
 * first received video plays in the page's <video>.
 */
export async function sfuPage(browser: Browser, url: string, client: Client, { showVideo = false } = {}): Promise<Page> {
  const page = await openPage(browser, url);
  await page.exposeFunction('sendCandidate', (target: 'publisher' | 'subscriber', candidate: unknown) => {
    client.emit('sfu-candidate', { target, candidate } as never);
  });
  await page.evaluate((show) => {
    const w = window as unknown as { pub: RTCPeerConnection; sub: RTCPeerConnection; sendCandidate(t: string, c: unknown): void };
    w.pub = new RTCPeerConnection();
    w.sub = new RTCPeerConnection();
    w.pub.onicecandidate = (event) => w.sendCandidate('publisher', event.candidate ? event.candidate.toJSON() : null);
    w.sub.onicecandidate = (event) => w.sendCandidate('subscriber', event.candidate ? event.candidate.toJSON() : null);
    if (!show) return;
    w.sub.ontrack = (event) => {
      if (event.track.kind !== 'video') return;
      const video = document.querySelector('video')!;
      video.srcObject = new MediaStream([event.track]);
      void video.play().catch(() => {});
    };
  }, showVideo);
  return page;
}

/** The page's publisher offer: its fake camera (three simulcast layers) and a loud tone. */
export function cameraOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { pub: RTCPeerConnection }).pub;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
    // A loud tone rather than the fake microphone's quiet beeps, so Janus hears someone talking.
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const destination = audio.createMediaStreamDestination();
    tone.connect(destination);
    tone.start();
    const voice = destination.stream.getAudioTracks()[0]!;
    stream.addTrack(voice);
    pc.addTransceiver(voice, { direction: 'sendonly', streams: [stream] });
    pc.addTransceiver(stream.getVideoTracks()[0]!, {
      direction: 'sendonly',
      streams: [stream],
      sendEncodings: [
        { rid: 'h', maxBitrate: 800_000 },
        { rid: 'm', maxBitrate: 300_000, scaleResolutionDownBy: 2 },
        { rid: 'l', maxBitrate: 100_000, scaleResolutionDownBy: 4 },
      ],
    });
    await pc.setLocalDescription();
    return pc.localDescription!.sdp;
  });
}

/** Publishes the page's camera and tone through `client` (`sfu-publish`) and applies the answer. */
export async function publish(client: Client, page: Page): Promise<void> {
  const offer = await cameraOffer(page);
  const answer = await ask(client, 'sfu-publish', { sdp: offer });
  assert.equal(answer.ok, true, JSON.stringify(answer));
  await page.evaluate((sdp) => (window as unknown as { pub: RTCPeerConnection }).pub.setRemoteDescription({ type: 'answer', sdp }), answer.sdp!);
}

/** Answers an `sfu-offer` on the page's subscriber connection and sends the answer through `client`. */
export async function answerOffer(client: Client, page: Page, offer: SfuOffer): Promise<void> {
  const sdp = await page.evaluate(async (offerSdp) => {
    const pc = (window as unknown as { sub: RTCPeerConnection }).sub;
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    await pc.setLocalDescription();
    return pc.localDescription!.sdp;
  }, offer.sdp);
  const ack = await ask(client, 'sfu-answer', { sdp });
  assert.equal(ack.ok, true, JSON.stringify(ack));
}

/** Whether Janus at `url` has the VideoRoom for `room` (ids derived from the room key, as the wrapper does). */
export async function janusHasRoom(url: string, apiSecret: string, roomKey: string, room: string): Promise<boolean> {
  const id = createHmac('sha256', Buffer.from(roomKey)).update(`room-id:${room}`).digest().readUIntBE(0, 6);
  const connection = await Janode.connect({ address: { url, apisecret: apiSecret }, retry_time_secs: 1, max_retries: 1 });
  try {
    const session = await connection.create();
    const handle = await session.attach(VideoRoomPlugin);
    return (await handle.exists({ room: id })).exists as boolean;
  } finally {
    await connection.close().catch(() => {});
  }
}
