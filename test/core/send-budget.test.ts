import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CameraSendBudget,
  FULL_CAMERA,
  LARGE_MESH_CAMERA,
  LOWER_CAMERA_FROM,
  MESH_CAMERA,
  applyCameraEncoding,
  cameraEncodingFor,
  encodingMatches,
} from '../../src/core/peer/send-budget.js';

/** A stand-in RTCRtpSender: keeps its parameters, can refuse, records what was set. */
function fakeSender(encodings: RTCRtpEncodingParameters[] = [{ active: true }]) {
  const state = { encodings, sets: [] as RTCRtpEncodingParameters[][], refuse: 0, onSet: null as null | (() => void) };
  const sender = {
    getParameters: () => ({ transactionId: 't', encodings: state.encodings.map((e) => ({ ...e })), codecs: [], headerExtensions: [], rtcp: {} }),
    setParameters: async (parameters: RTCRtpSendParameters) => {
      state.onSet?.();
      if (state.refuse > 0) {
        state.refuse--;
        throw new DOMException('negotiation in flight', 'InvalidModificationError');
      }
      state.sets.push(parameters.encodings);
      state.encodings = parameters.encodings;
    },
  } as unknown as RTCRtpSender;
  return { sender, state };
}

describe('send budget policy', () => {
  it('sends full quality up to 3 participants, lowers at 4 and 5, and lowers more from 6', () => {
    assert.equal(LOWER_CAMERA_FROM, 4);
    for (const n of [0, 1, 2, 3]) assert.equal(cameraEncodingFor(n), FULL_CAMERA, `${n} participants`);
    for (const n of [4, 5]) assert.equal(cameraEncodingFor(n), MESH_CAMERA, `${n} participants`);
    for (const n of [6, 8, 12]) assert.equal(cameraEncodingFor(n), LARGE_MESH_CAMERA, `${n} participants`);
  });

  it('takes another threshold, and Infinity never lowers', () => {
    assert.equal(cameraEncodingFor(2, 3), FULL_CAMERA);
    assert.equal(cameraEncodingFor(3, 3), MESH_CAMERA);
    assert.equal(cameraEncodingFor(4, 3), MESH_CAMERA);
    assert.equal(cameraEncodingFor(5, 3), LARGE_MESH_CAMERA);
    assert.equal(cameraEncodingFor(50, Infinity), FULL_CAMERA);
  });

  it('each step lowers resolution and bitrate further, never the frame rate, never below a thumbnail', () => {
    assert.equal(FULL_CAMERA.scaleResolutionDownBy, 1);
    assert.equal(FULL_CAMERA.maxBitrate, null);
    assert.equal(FULL_CAMERA.maxFramerate, null);
    let previous = FULL_CAMERA;
    for (const step of [MESH_CAMERA, LARGE_MESH_CAMERA]) {
      assert.ok(step.scaleResolutionDownBy > previous.scaleResolutionDownBy && step.scaleResolutionDownBy <= 4);
      assert.ok(step.maxBitrate !== null && step.maxBitrate >= 100_000 && step.maxBitrate < (previous.maxBitrate ?? Infinity));
      // 15 frames/s or more is the point of it all: the frame rate is left alone.
      assert.equal(step.maxFramerate, null);
      previous = step;
    }
    for (const step of [FULL_CAMERA, MESH_CAMERA, LARGE_MESH_CAMERA]) assert.ok(Object.isFrozen(step));
  });

  it('compares a sender encoding, absent fields counting as the defaults', () => {
    assert.equal(encodingMatches({}, FULL_CAMERA), true);
    assert.equal(encodingMatches({ scaleResolutionDownBy: 1 }, FULL_CAMERA), true);
    assert.equal(encodingMatches({ scaleResolutionDownBy: 2 }, FULL_CAMERA), false);
    assert.equal(encodingMatches({ scaleResolutionDownBy: MESH_CAMERA.scaleResolutionDownBy, maxBitrate: MESH_CAMERA.maxBitrate! }, MESH_CAMERA), true);
    assert.equal(encodingMatches({ scaleResolutionDownBy: MESH_CAMERA.scaleResolutionDownBy }, MESH_CAMERA), false);
  });
});

describe('applyCameraEncoding', () => {
  it('touches only the first encoding and keeps its other fields', async () => {
    const { sender, state } = fakeSender([{ active: true, priority: 'high' } as RTCRtpEncodingParameters, { active: false }]);
    assert.equal(await applyCameraEncoding(sender, MESH_CAMERA), true);
    assert.deepEqual(state.encodings[0], {
      active: true,
      priority: 'high',
      scaleResolutionDownBy: MESH_CAMERA.scaleResolutionDownBy,
      maxBitrate: MESH_CAMERA.maxBitrate,
    });
    assert.deepEqual(state.encodings[1], { active: false });
  });

  it('restores full quality by lifting the caps', async () => {
    const { sender, state } = fakeSender([{ active: true, scaleResolutionDownBy: 2, maxBitrate: 250_000, maxFramerate: 15 }]);
    assert.equal(await applyCameraEncoding(sender, FULL_CAMERA), true);
    assert.deepEqual(state.encodings[0], { active: true, scaleResolutionDownBy: 1 });
  });

  it('does not call setParameters when the sender already has it', async () => {
    const { sender, state } = fakeSender([{ active: true }]);
    assert.equal(await applyCameraEncoding(sender, FULL_CAMERA), true);
    assert.equal(state.sets.length, 0);
  });

  it('reports false, without throwing, when there is no encoding yet or setParameters rejects', async () => {
    assert.equal(await applyCameraEncoding(fakeSender([]).sender, MESH_CAMERA), false);
    const { sender, state } = fakeSender();
    state.refuse = 1;
    assert.equal(await applyCameraEncoding(sender, MESH_CAMERA), false);
    assert.equal(await applyCameraEncoding(sender, MESH_CAMERA), true);
    const broken = { getParameters: () => { throw new Error('closed'); } } as unknown as RTCRtpSender;
    assert.equal(await applyCameraEncoding(broken, MESH_CAMERA), false);
  });
});

describe('CameraSendBudget', () => {
  it('starts from the given wish and waits for a sender', async () => {
    let current: RTCRtpSender | undefined;
    const budget = new CameraSendBudget(() => current, MESH_CAMERA);
    assert.equal(budget.wanted, MESH_CAMERA);
    assert.equal(await budget.apply(), false, 'no sender yet');
    const { sender, state } = fakeSender();
    current = sender;
    assert.equal(await budget.apply(), true);
    assert.equal(state.encodings[0]!.scaleResolutionDownBy, MESH_CAMERA.scaleResolutionDownBy);
  });

  it('runs one setParameters at a time and ends on the newest wish', async () => {
    const { sender, state } = fakeSender();
    const budget = new CameraSendBudget(() => sender);
    let inFlight = 0;
    let most = 0;
    const original = sender.setParameters.bind(sender);
    sender.setParameters = async (p: RTCRtpSendParameters) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await original(p);
      inFlight--;
    };
    const results = await Promise.all([budget.set(MESH_CAMERA), budget.set(FULL_CAMERA), budget.set(MESH_CAMERA)]);
    assert.equal(most, 1);
    assert.deepEqual(results, [true, true, true]);
    assert.equal(state.encodings[0]!.scaleResolutionDownBy, MESH_CAMERA.scaleResolutionDownBy);
    assert.equal(state.encodings[0]!.maxBitrate, MESH_CAMERA.maxBitrate);
  });

  it('tries again after a refusal when asked to (after the next negotiation)', async () => {
    const { sender, state } = fakeSender();
    state.refuse = 1;
    const budget = new CameraSendBudget(() => sender);
    assert.equal(await budget.set(MESH_CAMERA), false);
    assert.equal(await budget.apply(), true);
    assert.equal(state.encodings[0]!.maxBitrate, MESH_CAMERA.maxBitrate);
  });
});
