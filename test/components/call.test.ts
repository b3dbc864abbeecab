import { expect, fixture, fixtureCleanup, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/call/rtc-call.js';
import type { RtcCall } from '../../src/components/call/call.js';
import '../../src/components/local-video/rtc-local-video.js';
import { framesAdvance, uniqueRoom } from '../helpers/browser-helpers.js';

/** Finds a node through the shadow roots of the default interface. */
function deep<T extends Element = HTMLElement>(root: Element | ShadowRoot, ...selectors: string[]): T | null {
  let node: Element | ShadowRoot | null = root;
  for (const [i, selector] of selectors.entries()) {
    const scope: ParentNode | null = node instanceof Element ? node.shadowRoot : node;
    node = scope?.querySelector(selector) ?? null;
    if (!node) return null;
    if (i === selectors.length - 1) return node as T;
  }
  return null;
}

function remoteTiles(call: RtcCall): HTMLElement[] {
  const grid = deep(call, 'rtc-participant-grid');
  return [...(grid?.shadowRoot?.querySelectorAll<HTMLElement>('rtc-remote-video') ?? [])];
}

/** Ada and Bo, each an `<rtc-call autojoin>` in the same new room. */
async function adaAndBo(): Promise<[RtcCall, RtcCall]> {
  const room = uniqueRoom();
  const wrapper = await fixture(html`<div>
    <rtc-call id="ada" room=${room} name="Ada" autojoin></rtc-call>
    <rtc-call id="bo" room=${room} name="Bo" autojoin></rtc-call>
  </div>`);
  return [wrapper.querySelector<RtcCall>('#ada')!, wrapper.querySelector<RtcCall>('#bo')!];
}

describe('<rtc-call>', () => {
  afterEach(async () => {
    for (const el of document.querySelectorAll('rtc-call')) await el.leave();
    fixtureCleanup();
  });

  it('shows the pre-join screen with a consent button, a name field and Join', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()}></rtc-call>`);
    const prejoin = deep(el, 'rtc-prejoin')!;
    await (prejoin as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(el.state).to.equal('idle');
    expect(deep(prejoin, 'h2')!.textContent).to.equal('Ready to join?');
    expect(deep(prejoin, '[part~="start-button"]')!.textContent!.trim()).to.equal('Turn on camera and microphone');
    expect(deep(prejoin, '[part~="join-button"]')!.textContent!.trim()).to.equal('Join');
    // Nothing is captured before the person agrees.
    expect(el.call.snapshot.localStream).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('starts the camera preview only after consent', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()}></rtc-call>`);
    const prejoin = deep(el, 'rtc-prejoin')!;
    await (prejoin as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    deep<HTMLButtonElement>(prejoin, '[part~="start-button"]')!.click();
    await waitUntil(() => el.call.snapshot.localStream !== null, 'preview started');
    await waitUntil(() => deep(prejoin, 'rtc-local-video', 'video:not(.hidden)'), 'preview video shown');
    await framesAdvance(deep<HTMLVideoElement>(prejoin, 'rtc-local-video', 'video')!);
    expect(deep(prejoin, '[part~="start-button"]'), 'consent button gone once agreed').to.equal(null);
  });

  it('joins from the Join button, fires rtc-joined, and shows the grid and controls', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()} name="Ada"></rtc-call>`);
    const prejoin = deep(el, 'rtc-prejoin')!;
    await (prejoin as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    const joined = oneEvent(el, 'rtc-joined');
    deep<HTMLButtonElement>(prejoin, '[part~="join-button"]')!.click();
    const event = await joined;
    expect(event.detail.selfId).to.be.a('string');
    expect(event.bubbles && event.composed).to.equal(true);
    await el.updateComplete;
    expect(el.state).to.equal('joined');
    expect(deep(el, 'rtc-participant-grid')).to.be.ok;
    expect(deep(el, 'rtc-controls')).to.be.ok;
    expect(deep(el, 'rtc-prejoin')).to.equal(null);
  });

  it('shows a tile with moving video for each other participant, and removes it when they leave', async () => {
    const room = uniqueRoom();
    const wrapper = await fixture(html`<div>
      <rtc-call id="ada" room=${room} name="Ada" autojoin></rtc-call>
      <rtc-call id="bo" room=${room} name="Bo"></rtc-call>
    </div>`);
    const ada = wrapper.querySelector<RtcCall>('#ada')!;
    const bo = wrapper.querySelector<RtcCall>('#bo')!;
    await waitUntil(() => ada.state === 'joined', 'Ada joined');
    const participantJoined = oneEvent(ada, 'rtc-participant-joined');
    await bo.join();
    expect((await participantJoined).detail.participant.name).to.equal('Bo');

    await waitUntil(() => remoteTiles(ada).length === 1, 'Ada sees a tile for Bo');
    const tile = remoteTiles(ada)[0]!;
    await waitUntil(() => deep(tile, '[part~="name"]')?.textContent === 'Bo', 'named Bo');
    await waitUntil(() => deep(tile, 'video'), 'video element');
    await framesAdvance(deep<HTMLVideoElement>(tile, 'video')!);
    await waitUntil(() => tile.matches(':state(connected)'), 'tile reports connected');
    expect(deep(tile, '[part~="state"]'), 'no badge once connected').to.equal(null);

    const participantLeft = oneEvent(ada, 'rtc-participant-left');
    const left = oneEvent(bo, 'rtc-left');
    deep<HTMLButtonElement>(bo, 'rtc-controls', '[part~="leave-button"]')!.click();
    expect((await left).detail.reason).to.equal('user');
    expect((await participantLeft).detail.participant.name).to.equal('Bo');
    await waitUntil(() => remoteTiles(ada).length === 0, 'Bo’s tile is gone');
    await bo.updateComplete;
    expect(deep(bo, '[part~="status"]')!.textContent).to.equal('You left the call.');
  });

  it('shows the other side muted and with the camera off', async () => {
    const [ada, bo] = await adaAndBo();
    await waitUntil(() => remoteTiles(ada).length === 1 && bo.state === 'joined', 'both in');
    const tile = remoteTiles(ada)[0]!;
    expect(deep(tile, '[part~="mic-off"]')).to.equal(null);

    deep<HTMLButtonElement>(bo, 'rtc-controls', '[part~="mic-button"]')!.click();
    deep<HTMLButtonElement>(bo, 'rtc-controls', '[part~="camera-button"]')!.click();

    await waitUntil(() => deep(tile, '[part~="mic-off"]'), 'muted indicator on Bo’s tile');
    expect(deep(tile, '[part~="mic-off"]')!.getAttribute('aria-label')).to.equal('Microphone off');
    await waitUntil(() => deep(tile, '[part~="avatar"]')?.textContent === 'B', 'avatar instead of video');
    expect(tile.matches(':state(muted)') && tile.matches(':state(camera-off)')).to.equal(true);
  });

  it('turns room-full into a message and an rtc-error event', async () => {
    const room = uniqueRoom();
    // The test server holds 3 per room.
    const wrapper = await fixture(html`<div>
      ${[1, 2, 3].map((n) => html`<rtc-call room=${room} name=${`P${n}`} autojoin camera-off muted></rtc-call>`)}
    </div>`);
    await waitUntil(() => [...wrapper.querySelectorAll('rtc-call')].every((c) => c.state === 'joined'), 'three joined');
    const late = await fixture<RtcCall>(html`<rtc-call room=${room} name="Late"></rtc-call>`);
    const error = oneEvent(late, 'rtc-error');
    void late.join().catch(() => undefined);
    const { detail } = await error;
    expect(detail.code).to.equal('room-full');
    await late.updateComplete;
    const alert = deep(late, '[role="alert"]')!;
    expect(deep(alert, '[part~="error-title"]') ?? alert.querySelector('[part~="error-title"]')).to.be.ok;
    expect(alert.textContent).to.contain('This room is full');
    expect(alert.textContent).to.contain('Try again later');
    expect(late.state).to.equal('failed');
    expect(deep(late, '[part~="retry-button"]')!.textContent).to.equal('Try again');
  });

  it('says the server cannot be reached', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()} server="http://127.0.0.1:9" camera-off muted></rtc-call>`);
    const error = oneEvent(el, 'rtc-error');
    void el.join().catch(() => undefined);
    expect((await error).detail.code).to.equal('signaling-unreachable');
    await el.updateComplete;
    expect(deep(el, '[role="alert"]')!.textContent).to.contain('Cannot reach the call server');
  });

  it('speaks Dutch under lang="nl"', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call lang="nl" room=${uniqueRoom()}></rtc-call>`);
    const prejoin = deep(el, 'rtc-prejoin')!;
    await (prejoin as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(deep(prejoin, 'h2')!.textContent).to.equal('Klaar om deel te nemen?');
    expect(deep(prejoin, '[part~="join-button"]')!.textContent!.trim()).to.equal('Deelnemen');
  });

  it('leaves the call and releases the camera when removed from the page', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()} autojoin></rtc-call>`);
    await waitUntil(() => el.state === 'joined', 'joined');
    const tracks = el.call.snapshot.localStream!.getTracks();
    expect(tracks.length).to.equal(2);
    el.remove();
    await waitUntil(() => el.call.state === 'left', 'left after removal');
    expect(tracks.every((t) => t.readyState === 'ended')).to.equal(true);
  });

  it('keeps the call when only moved within the page', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()} autojoin camera-off muted></rtc-call>`);
    await waitUntil(() => el.state === 'joined', 'joined');
    document.body.append(el);
    await new Promise((r) => setTimeout(r, 50));
    expect(el.state).to.equal('joined');
  });

  it('lets children replace the default interface, all talking to the same call', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call room=${uniqueRoom()} autojoin>
      <rtc-local-video></rtc-local-video>
    </rtc-call>`);
    await waitUntil(() => el.state === 'joined', 'joined');
    expect(el.shadowRoot!.querySelector('slot')).to.be.ok;
    expect(el.shadowRoot!.querySelector('rtc-prejoin, rtc-participant-grid')).to.equal(null);
    const local = el.querySelector('rtc-local-video')!;
    expect(local.call).to.equal(el.call);
    await waitUntil(() => deep(local, 'video'), 'local video');
    await framesAdvance(deep<HTMLVideoElement>(local, 'video')!);
  });

  it('answers keyboard shortcuts inside the call and announces mutes to screen readers', async () => {
    const [ada, bo] = await adaAndBo();
    await waitUntil(() => remoteTiles(ada).length === 1 && bo.state === 'joined', 'both in');
    const mic = deep<HTMLButtonElement>(bo, 'rtc-controls', '[part~="mic-button"]')!;
    // Focus moved to the controls on joining; the shortcut works from there.
    mic.focus();
    await sendKeys({ press: 'm' });
    await waitUntil(() => mic.getAttribute('aria-pressed') === 'false', 'M turned the microphone off');
    const live = () => ada.shadowRoot!.querySelector('[aria-live="polite"]')!.textContent ?? '';
    await waitUntil(() => live().includes('Bo muted their microphone'), 'Ada hears that Bo muted');
    expect(mic.title).to.equal('Microphone (M)');

    // C opens the chat panel and puts focus in it.
    await sendKeys({ press: 'c' });
    await waitUntil(() => deep(bo, 'rtc-chat'), 'chat panel open');
    expect(deep(bo, 'rtc-controls', '[part~="chat-button"]')!.getAttribute('aria-pressed')).to.equal('true');
    // Typing in the chat does not trigger shortcuts.
    const input = deep<HTMLInputElement>(bo, 'rtc-chat', '[part~="input"]')!;
    // The field is enabled once Bo's connection to Ada is up; until then keys would go to the shortcuts.
    await waitUntil(() => !input.disabled, 'chat input enabled');
    input.focus();
    await sendKeys({ type: 'mmm' });
    expect(input.value).to.equal('mmm');
    expect(mic.getAttribute('aria-pressed')).to.equal('false');
  });

  it('shows everyone that a participant is recording, and offers the recording afterwards', async () => {
    const [ada, bo] = await adaAndBo();
    await waitUntil(() => remoteTiles(ada).length === 1 && remoteTiles(bo).length === 1, 'both in');
    const record = deep<HTMLButtonElement>(ada, 'rtc-controls', '[part~="record-button"]')!;
    record.click();
    await waitUntil(() => deep(bo, '[part~="recording-indicator"]')?.textContent?.includes('Ada is recording this call'), 'Bo sees it');
    expect(deep(ada, '[part~="recording-indicator"]')!.textContent).to.contain('You are recording this call');
    expect(record.getAttribute('aria-pressed')).to.equal('true');
    await new Promise((r) => setTimeout(r, 1500));
    record.click();
    await waitUntil(() => !deep(bo, '[part~="recording-indicator"]'), 'indicator gone for Bo');
    deep<HTMLButtonElement>(ada, 'rtc-controls', '[part~="settings-button"]')!.click();
    await waitUntil(() => deep(ada, '[part~="recording-download"]'), 'download link');
    const href = deep<HTMLAnchorElement>(ada, '[part~="recording-download"]')!.href;
    const blob = await (await fetch(href)).blob();
    expect(blob.size, 'the recording has content').to.be.greaterThan(1000);
    expect(blob.type).to.contain('video/webm');
  });

  it('joins when autojoin and room are set after the element is on the page (as React does)', async () => {
    const el = document.createElement('rtc-call');
    document.body.append(el);
    try {
      await el.updateComplete;
      expect(el.state).to.equal('idle');
      el.room = uniqueRoom();
      el.autojoin = true;
      await waitUntil(() => el.state === 'joined', 'joined once the properties arrived');
    } finally {
      await el.leave();
      el.remove();
    }
  });
});
