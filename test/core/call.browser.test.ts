import { expect } from '@open-wc/testing';
import { Call } from '../../src/core/call.js';
import type { RtcError } from '../../src/core/errors.js';
import { snapshotMatches, streamShowsFrames, uniqueRoom } from '../helpers/browser-helpers.js';

/**
 * The core on its own, against the real signal server the test runner hosts (capacity 3),
 * with Chromium's fake camera and microphone.
 */
describe('Call', () => {
  let calls: Call[] = [];
  const make = (room: string, name: string, extra: Partial<ConstructorParameters<typeof Call>[0]> = {}) => {
    const call = new Call({ room, name, server: location.origin, ...extra });
    calls.push(call);
    return call;
  };
  afterEach(async () => {
    await Promise.all(calls.map((c) => c.leave()));
    calls = [];
  });

  it('connects two participants with video flowing both ways', async () => {
    const room = uniqueRoom();
    const ada = make(room, 'Ada');
    const bo = make(room, 'Bo');
    const states: string[] = [];
    ada.addEventListener('statechange', (e) => states.push(e.detail.state));
    await ada.join();
    await bo.join();

    expect(ada.snapshot.state).to.equal('joined');
    expect(states).to.deep.equal(['joining', 'joined']);
    await snapshotMatches(ada, (s) => s.participants[0]?.connectionState === 'connected', 'Ada connected to Bo');
    await snapshotMatches(bo, (s) => s.participants[0]?.connectionState === 'connected', 'Bo connected to Ada');
    expect(ada.snapshot.participants.map((p) => p.name)).to.deep.equal(['Bo']);
    expect(bo.snapshot.participants.map((p) => p.name)).to.deep.equal(['Ada']);
    expect(ada.snapshot.selfId).to.be.a('string').and.not.equal(bo.snapshot.selfId);

    await snapshotMatches(ada, (s) => Boolean(s.participants[0]?.stream?.getVideoTracks().length), 'Ada has Bo’s video');
    await snapshotMatches(bo, (s) => Boolean(s.participants[0]?.stream?.getVideoTracks().length), 'Bo has Ada’s video');
    await streamShowsFrames(ada.snapshot.participants[0]!.stream!);
    await streamShowsFrames(bo.snapshot.participants[0]!.stream!);
    expect(bo.snapshot.participants[0]!.stream!.getAudioTracks()).to.have.length(1);
  });

  it('shows the other side when the microphone and camera are turned off and on', async () => {
    const room = uniqueRoom();
    const ada = make(room, 'Ada');
    const bo = make(room, 'Bo');
    await ada.join();
    await bo.join();
    await snapshotMatches(bo, (s) => s.participants[0]?.connectionState === 'connected', 'connected');

    await ada.setMicrophone(false);
    await snapshotMatches(bo, (s) => s.participants[0]?.microphone === false, 'Bo sees Ada muted');
    expect(ada.snapshot.localStream!.getAudioTracks()[0]!.enabled).to.equal(false);

    const cameraTrack = ada.snapshot.localStream!.getVideoTracks()[0]!;
    await ada.setCamera(false);
    await snapshotMatches(bo, (s) => s.participants[0]?.camera === false, 'Bo sees Ada’s camera off');
    expect(cameraTrack.readyState, 'camera released when off').to.equal('ended');

    await ada.setCamera(true);
    await ada.setMicrophone(true);
    await snapshotMatches(bo, (s) => s.participants[0]?.camera === true && s.participants[0]?.microphone === true, 'back on');
    // The new camera track reaches Bo without renegotiating: frames flow again.
    await streamShowsFrames(bo.snapshot.participants[0]!.stream!);
  });

  it('joins muted and with the camera off when asked to', async () => {
    const room = uniqueRoom();
    const ada = make(room, 'Ada', { microphone: false, camera: false });
    const bo = make(room, 'Bo');
    await ada.join();
    expect(ada.snapshot.microphone).to.equal(false);
    expect(ada.snapshot.camera).to.equal(false);
    expect(ada.snapshot.localStream?.getVideoTracks() ?? []).to.have.length(0);
    await bo.join();
    const seen = bo.snapshot.participants[0]!;
    expect(seen.microphone).to.equal(false);
    expect(seen.camera).to.equal(false);
  });

  it('removes a participant who leaves, and leaving twice is harmless', async () => {
    const room = uniqueRoom();
    const ada = make(room, 'Ada');
    const bo = make(room, 'Bo');
    await ada.join();
    await bo.join();
    await snapshotMatches(ada, (s) => s.participants.length === 1, 'Ada sees Bo');
    const left: string[] = [];
    ada.addEventListener('participantleft', (e) => left.push(e.detail.participant.name));
    const boTracks = bo.snapshot.localStream!.getTracks();

    await bo.leave();
    await bo.leave();

    await snapshotMatches(ada, (s) => s.participants.length === 0, 'Bo gone from Ada’s call');
    expect(left).to.deep.equal(['Bo']);
    expect(bo.snapshot.state).to.equal('left');
    expect(bo.snapshot.localStream).to.equal(null);
    expect(boTracks.map((t) => t.readyState)).to.deep.equal(['ended', 'ended']);
  });

  it('refuses a joiner past the room’s capacity with room-full', async () => {
    const room = uniqueRoom();
    for (const name of ['A', 'B', 'C']) await make(room, name, { audio: false, video: false }).join();
    const late = make(room, 'D', { audio: false, video: false });
    const errors: RtcError[] = [];
    late.addEventListener('error', (e) => errors.push(e.detail.error));

    const failure = await late.join().then(
      () => null,
      (e: RtcError) => e,
    );

    expect(failure?.code).to.equal('room-full');
    expect(errors.map((e) => e.code)).to.deep.equal(['room-full']);
    expect(late.snapshot.state).to.equal('failed');
    expect(late.snapshot.error?.code).to.equal('room-full');
  });

  it('says signaling-unreachable when no server answers', async () => {
    const call = make(uniqueRoom(), 'Ada', { server: 'http://127.0.0.1:9', audio: false, video: false });
    const failure = await call.join().then(
      () => null,
      (e: RtcError) => e,
    );
    expect(failure?.code).to.equal('signaling-unreachable');
    expect(call.snapshot.state).to.equal('failed');
  });

  it('stops the camera when left while joining', async () => {
    const call = make(uniqueRoom(), 'Ada');
    const joining = call.join();
    await call.leave();
    await joining;
    expect(call.snapshot.state).to.equal('left');
    expect(call.snapshot.localStream).to.equal(null);
  });

  it('falls back to another device when the camera in use goes away, and says so', async () => {
    const call = make(uniqueRoom(), 'Ada');
    await call.startPreview();
    const errors: RtcError[] = [];
    call.addEventListener('error', (e) => errors.push(e.detail.error));
    const unplugged = call.snapshot.localStream!.getVideoTracks()[0]!;
    // What the browser does when a camera is unplugged: the track ends by itself.
    unplugged.stop();
    unplugged.dispatchEvent(new Event('ended'));
    await snapshotMatches(call, (s) => Boolean(s.localStream?.getVideoTracks()[0] && s.localStream.getVideoTracks()[0] !== unplugged), 'a new camera');
    expect(call.snapshot.localStream!.getVideoTracks()[0]!.readyState).to.equal('live');
    expect(errors.map((e) => e.code)).to.deep.equal(['no-device']);
    expect(errors[0]!.message).to.contain('camera was disconnected');
  });

  it('rates each connection and finds the active speaker from audio levels', async () => {
    const room = uniqueRoom();
    const ada = make(room, 'Ada');
    const bo = make(room, 'Bo');
    await ada.join();
    await bo.join();
    await snapshotMatches(ada, (s) => Boolean(s.participants[0]?.stream), 'Bo’s stream');
    // Played out, as a tile does (Chromium measures received audio as it plays it).
    const speaker = document.createElement('audio');
    speaker.srcObject = ada.snapshot.participants[0]!.stream;
    document.body.append(speaker);
    await speaker.play();
    // Chromium's fake microphone beeps: Bo is heard speaking within a few seconds.
    await snapshotMatches(ada, (s) => s.activeSpeaker === bo.snapshot.selfId, 'Bo is the active speaker', 15000);
    await snapshotMatches(ada, (s) => s.participants[0]?.quality === 'good', 'a good loopback connection');
    // Figures are measured between two readings: wait until one spans some packets.
    let stats = (await ada.getStats())[0];
    for (let i = 0; i < 20 && !(stats && stats.bitrate > 0); i++) {
      await new Promise((r) => setTimeout(r, 250));
      stats = (await ada.getStats())[0];
    }
    expect(stats!.participantId).to.equal(bo.snapshot.selfId);
    expect(stats!.roundTripTime).to.be.a('number').and.lessThan(300);
    expect(stats!.bitrate).to.be.greaterThan(0);
    speaker.srcObject = null;
    speaker.remove();
  });
});
