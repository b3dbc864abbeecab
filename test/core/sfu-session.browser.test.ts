import { expect, waitUntil } from '@open-wc/testing';
import type { SfuLayerRequest, SfuPublishRequest, SfuStreamInfo } from '../../src/protocol/index.js';
import { SfuSession } from '../../src/core/sfu/sfu-session.js';
import type { LocalMedia } from '../../src/core/peer/remote-peer.js';

/**
 * The SFU session against a fake SFU made of two plain RTCPeerConnections in the same
 * page: one answers our publisher's offers (as `sfu-publish` would), one offers us other
 * participants' streams (as `sfu-offer` would). The real Janus is in test/e2e/sfu.e2e.test.ts.
 */
interface FakeSfu {
  session: SfuSession;
  publishes: SfuPublishRequest[];
  layers: SfuLayerRequest[];
  /** `sfu-restart` requests, with when each was made (`performance.now()`). */
  restarts: { target: string; at: number }[];
  errors: unknown[];
  /** The SFU's side of our subscriber connection. */
  down: RTCPeerConnection;
  /** Offers the streams added to `down` so far, with this list of who is who. */
  offer(streams: (mid: string[]) => SfuStreamInfo[]): Promise<void>;
  close(): void;
}

async function fakeSfu(local: LocalMedia): Promise<FakeSfu> {
  const up = new RTCPeerConnection();
  const down = new RTCPeerConnection();
  const publishes: SfuPublishRequest[] = [];
  const layers: SfuLayerRequest[] = [];
  const restarts: { target: string; at: number }[] = [];
  const errors: unknown[] = [];
  let session!: SfuSession;
  session = new SfuSession({
    configuration: {},
    local,
    signaling: {
      publish: async (request) => {
        publishes.push(request);
        await up.setRemoteDescription({ type: 'offer', sdp: request.sdp });
        await up.setLocalDescription();
        return up.localDescription!.sdp;
      },
      answer: async (sdp) => {
        await down.setRemoteDescription({ type: 'answer', sdp });
      },
      candidate: ({ target, candidate }) => {
        const pc = target === 'publisher' ? up : down;
        void pc.addIceCandidate(candidate ?? undefined).catch(() => undefined);
      },
      layer: (request) => layers.push(request),
      restart: async (target) => {
        restarts.push({ target, at: performance.now() });
      },
    },
    onChange: () => undefined,
    onError: (error) => errors.push(error),
  });
  up.addEventListener('icecandidate', ({ candidate }) => void session.handleCandidate({ target: 'publisher', candidate: candidate?.toJSON() as { candidate: string } | null }));
  down.addEventListener('icecandidate', ({ candidate }) => void session.handleCandidate({ target: 'subscriber', candidate: candidate?.toJSON() as { candidate: string } | null }));
  return {
    session,
    publishes,
    layers,
    restarts,
    errors,
    down,
    async offer(streams) {
      await down.setLocalDescription();
      const mids = down.getTransceivers().map((t) => t.mid!);
      await session.handleOffer({ sdp: down.localDescription!.sdp, streams: streams(mids) });
    },
    close() {
      session.close();
      up.close();
      down.close();
    },
  };
}

async function camera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
}

/** A moving canvas: stands in for a screen share. */
function canvasStream(): MediaStream {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const context = canvas.getContext('2d')!;
  let frame = 0;
  const timer = setInterval(() => {
    context.fillStyle = `hsl(${frame++ * 10 % 360} 80% 50%)`;
    context.fillRect(0, 0, 320, 180);
  }, 50);
  const stream = canvas.captureStream(20);
  stream.getVideoTracks()[0]!.addEventListener('ended', () => clearInterval(timer));
  return stream;
}

function mLines(sdp: string): string[] {
  return [...sdp.matchAll(/^m=(\w+)/gm)].map((m) => m[1]!);
}

describe('SfuSession', () => {
  let sfu: FakeSfu | undefined;
  const stopped: MediaStream[] = [];
  afterEach(() => {
    sfu?.close();
    sfu = undefined;
    for (const stream of stopped.splice(0)) for (const track of stream.getTracks()) track.stop();
  });

  it('publishes microphone and camera, the camera as three VP8 simulcast layers', async () => {
    const media = await camera();
    stopped.push(media);
    const local = { stream: new MediaStream(), audio: media.getAudioTracks()[0]!, video: media.getVideoTracks()[0]!, screen: null };
    sfu = await fakeSfu(local);
    // Read before the fake SFU answers: a plain RTCPeerConnection does not receive simulcast, so its answer drops the layers.
    const encodings = sfu.session.publisher.getTransceivers()[1]!.sender.getParameters().encodings;
    expect(encodings.map((e) => [e.rid, e.scaleResolutionDownBy ?? 1])).to.deep.equal([['h', 1], ['m', 2], ['l', 4]]);
    await waitUntil(() => sfu!.publishes.length === 1 && sfu!.session.publisher.signalingState === 'stable', 'published once');
    const { sdp, screenMid } = sfu.publishes[0]!;
    expect(mLines(sdp)).to.deep.equal(['audio', 'video']);
    expect(sdp).to.match(/a=simulcast:send h;m;l/);
    for (const rid of ['h', 'm', 'l']) expect(sdp).to.match(new RegExp(`a=rid:${rid} send`));
    const video = sdp.slice(sdp.indexOf('m=video'));
    const firstPayload = /^m=video \d+ \S+ (\d+)/m.exec(video)![1];
    expect(new RegExp(`a=rtpmap:${firstPayload} VP8/90000`).test(video), 'VP8 first').to.equal(true);
    expect(screenMid).to.equal(null);
    expect(sfu.errors).to.deep.equal([]);
  });

  it('mutes, turns the camera off and switches devices without renegotiating; a screen share is a second video, with screenMid', async () => {
    const media = await camera();
    const other = await camera();
    stopped.push(media, other);
    const stream = new MediaStream();
    const local: LocalMedia = { stream, audio: media.getAudioTracks()[0]!, video: media.getVideoTracks()[0]!, screen: null };
    sfu = await fakeSfu(local);
    await waitUntil(() => sfu!.publishes.length === 1 && sfu!.session.publisher.signalingState === 'stable', 'published once');

    await sfu.session.setLocalMedia({ ...local, video: null });
    await sfu.session.setLocalMedia({ ...local, audio: other.getAudioTracks()[0]!, video: other.getVideoTracks()[0]! });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sfu.publishes.length, 'no renegotiation for track swaps').to.equal(1);
    expect(sfu.session.publisher.getSenders().map((s) => s.track?.id)).to.deep.equal([other.getAudioTracks()[0]!.id, other.getVideoTracks()[0]!.id]);

    const screen = canvasStream();
    stopped.push(screen);
    await sfu.session.setLocalMedia({ ...local, screen });
    await waitUntil(() => sfu!.publishes.length === 2 && sfu!.session.publisher.signalingState === 'stable', 'published again with the screen');
    const withScreen = sfu.publishes[1]!;
    expect(mLines(withScreen.sdp)).to.deep.equal(['audio', 'video', 'video']);
    const screenTransceiver = sfu.session.publisher.getTransceivers()[2]!;
    expect(withScreen.screenMid).to.equal(screenTransceiver.mid);
    expect(withScreen.screenMid).to.not.equal(null);

    await sfu.session.setLocalMedia({ ...local, screen: null });
    await waitUntil(() => sfu!.publishes.length === 3 && sfu!.session.publisher.signalingState === 'stable', 'published again without it');
    expect(sfu.publishes[2]!.screenMid).to.equal(null);
    expect(sfu.errors).to.deep.equal([]);
  });

  it('restarts the publisher’s ICE with a new sfu-publish (new credentials, same media)', async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    stopped.push(media);
    sfu = await fakeSfu({ stream: new MediaStream(), audio: media.getAudioTracks()[0]!, video: null, screen: null });
    await waitUntil(() => sfu!.publishes.length === 1 && sfu!.session.publisher.signalingState === 'stable', 'published');
    // What a `failed` publisher connection does.
    sfu.session.publisher.restartIce();
    await waitUntil(() => sfu!.publishes.length === 2 && sfu!.session.publisher.signalingState === 'stable', 'published again');
    const ufrag = (sdp: string) => /^a=ice-ufrag:(.+)$/m.exec(sdp)![1];
    expect(ufrag(sfu.publishes[1]!.sdp)).to.not.equal(ufrag(sfu.publishes[0]!.sdp));
    expect(mLines(sfu.publishes[1]!.sdp)).to.deep.equal(['audio']);
    expect(sfu.errors).to.deep.equal([]);
  });

  it('an audio-only participant publishes no video at all', async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    stopped.push(media);
    sfu = await fakeSfu({ stream: new MediaStream(), audio: media.getAudioTracks()[0]!, video: null, screen: null });
    await waitUntil(() => sfu!.publishes.length === 1, 'published');
    expect(mLines(sfu.publishes[0]!.sdp)).to.deep.equal(['audio']);
    expect(sfu.publishes[0]!.sdp).to.not.match(/simulcast/);
  });

  it('maps the subscriber’s tracks to participants by mid, replaces streams only when they change, and asks for layers', async () => {
    const media = await camera();
    const remote = await camera();
    const screen = canvasStream();
    stopped.push(media, remote, screen);
    sfu = await fakeSfu({ stream: new MediaStream(), audio: media.getAudioTracks()[0]!, video: null, screen: null });
    // The SFU sends us p1's microphone, camera and screen.
    sfu.down.addTransceiver(remote.getAudioTracks()[0]!, { direction: 'sendonly' });
    sfu.down.addTransceiver(remote.getVideoTracks()[0]!, { direction: 'sendonly' });
    sfu.down.addTransceiver(screen.getVideoTracks()[0]!, { direction: 'sendonly' });
    sfu.session.setLayer('p1', 0);
    const all = (mids: string[]): SfuStreamInfo[] => [
      { mid: mids[0]!, participant: 'p1', kind: 'audio', screen: false },
      { mid: mids[1]!, participant: 'p1', kind: 'video', screen: false },
      { mid: mids[2]!, participant: 'p1', kind: 'video', screen: true },
    ];
    await sfu.offer(all);
    const camera1 = sfu.session.streamOf('p1');
    expect(camera1?.getTracks().map((t) => t.kind).sort()).to.deep.equal(['audio', 'video']);
    expect(sfu.session.screenStreamOf('p1')?.getVideoTracks().length).to.equal(1);
    expect(sfu.session.streamOf('nobody')).to.equal(null);
    await waitUntil(() => sfu!.session.hasMedia('p1'), 'p1’s media arrives (tracks unmute)', { timeout: 10000 });
    await waitUntil(() => sfu!.session.connectionState === 'connected', 'subscriber connected', { timeout: 10000 });
    expect(sfu.layers).to.deep.equal([{ participant: 'p1', layer: 0 }]);
    sfu.session.setLayer('p1', 0);
    sfu.session.setLayer('p1', 2);
    expect(sfu.layers).to.deep.equal([{ participant: 'p1', layer: 0 }, { participant: 'p1', layer: 2 }]);

    // p1 stops sharing: the SFU renegotiates without the screen's mid in the list.
    await sfu.offer((mids) => all(mids).slice(0, 2));
    expect(sfu.session.screenStreamOf('p1')).to.equal(null);
    expect(sfu.session.streamOf('p1'), 'the unchanged camera stream is the same object').to.equal(camera1);
    // p1 leaves.
    await sfu.offer(() => []);
    expect(sfu.session.streamOf('p1')).to.equal(null);
    expect(sfu.errors).to.deep.equal([]);
  });

  it('asks the SFU for an ICE restart (sfu-restart) when the subscriber connection is lost, one at a time, again after a backoff', async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    const remote = await navigator.mediaDevices.getUserMedia({ audio: true });
    stopped.push(media, remote);
    sfu = await fakeSfu({ stream: new MediaStream(), audio: media.getAudioTracks()[0]!, video: null, screen: null });
    sfu.down.addTransceiver(remote.getAudioTracks()[0]!, { direction: 'sendonly' });
    await sfu.offer((mids) => [{ mid: mids[0]!, participant: 'p1', kind: 'audio', screen: false }]);
    await waitUntil(() => sfu!.session.connectionState === 'connected', 'subscriber connected', { timeout: 10000 });
    expect(sfu.restarts).to.deep.equal([]);

    // The SFU's side goes away for real: our subscriber connection breaks.
    const lost = performance.now();
    sfu.down.close();
    await waitUntil(() => sfu!.restarts.length === 1, 'sfu-restart asked', { timeout: 15000 });
    expect(sfu.restarts[0]!.target).to.equal('subscriber');
    const state = sfu.session.subscriber.connectionState;
    expect(['disconnected', 'failed']).to.include(state);
    // `disconnected` waits DISCONNECTED_RESTART_MS (2.5 s) before asking; `failed` asks at once.
    if (state === 'disconnected') expect(sfu.restarts[0]!.at - lost).to.be.at.least(2400);
    // Still broken (the fake SFU cannot answer): asked again, but only after a backoff.
    await waitUntil(() => sfu!.restarts.length === 2, 'sfu-restart asked again', { timeout: 10000 });
    expect(sfu.restarts[1]!.at - sfu.restarts[0]!.at).to.be.at.least(1900);
    expect(sfu.errors).to.deep.equal([]);
  });
});
