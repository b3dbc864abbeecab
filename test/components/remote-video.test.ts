import { expect, fixture, fixtureCleanup, html, waitUntil } from '@open-wc/testing';
import '../../src/components/remote-video/rtc-remote-video.js';
import type { RtcRemoteVideo } from '../../src/components/remote-video/remote-video.js';
import { INITIAL_SNAPSHOT, type CallSnapshot } from '../../src/core/call-state.js';
import { layerForWidth, type Call } from '../../src/core/call.js';

/** A call that only has a snapshot and records the tile sizes it is told. */
function fakeCall(): { call: Call; sizes: [string, number | null][] } {
  const snapshot: CallSnapshot = {
    ...INITIAL_SNAPSHOT,
    state: 'joined',
    participants: [
      { id: 'p1', name: 'Ada', stream: null, screenStream: null, microphone: true, camera: true, screenSharing: false, connectionState: 'connected', quality: 'good', recording: false },
    ],
  };
  const sizes: [string, number | null][] = [];
  const call = Object.assign(new EventTarget(), {
    snapshot,
    setTileSize: (participantId: string, _tile: object, width: number | null) => sizes.push([participantId, width]),
  }) as unknown as Call;
  return { call, sizes };
}

describe('<rtc-remote-video> and simulcast layers', () => {
  afterEach(() => fixtureCleanup());

  it('tells its call how wide it is shown, as it resizes, and that it is gone when removed', async () => {
    const { call, sizes } = fakeCall();
    const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 200px"><rtc-remote-video participant="p1" .call=${call}></rtc-remote-video></div>`);
    const el = wrapper.querySelector<RtcRemoteVideo>('rtc-remote-video')!;
    await waitUntil(() => sizes.some(([, width]) => width === 200), 'reported 200 px');
    wrapper.style.width = '700px';
    await waitUntil(() => sizes.at(-1)?.[1] === 700, 'reported 700 px');
    expect(sizes.every(([id]) => id === 'p1')).to.equal(true);
    el.remove();
    expect(sizes.at(-1)).to.deep.equal(['p1', null]);
  });

  it('a screen tile reports nothing (a screen share has no layers)', async () => {
    const { call, sizes } = fakeCall();
    await fixture(html`<div style="width: 300px"><rtc-remote-video participant="p1" screen .call=${call}></rtc-remote-video></div>`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sizes).to.deep.equal([]);
  });

  it('maps a width in device pixels to a layer: ¼ up to 360, ½ up to 720, else full', () => {
    expect([100, 360, 361, 720, 721, 1920].map(layerForWidth)).to.deep.equal([0, 0, 1, 1, 2, 2]);
  });
});
