import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/controls/rtc-controls.js';
import type { RtcControls } from '../../src/components/controls/controls.js';
import { Call } from '../../src/core/call.js';
import { uniqueRoom } from '../helpers/browser-helpers.js';

describe('<rtc-controls>', () => {
  let call: Call;
  beforeEach(() => {
    call = new Call({ room: uniqueRoom(), server: location.origin, name: 'Ada' });
  });
  afterEach(() => call.leave());

  const button = (el: RtcControls, part: string) => el.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="${part}"]`)!;

  it('has real buttons with names and aria-pressed that follow the call', async () => {
    await call.startPreview();
    const el = await fixture<RtcControls>(html`<rtc-controls .call=${call}></rtc-controls>`);
    const mic = button(el, 'mic-button');
    const camera = button(el, 'camera-button');

    expect(mic.tagName).to.equal('BUTTON');
    expect(mic.getAttribute('aria-label')).to.equal('Microphone');
    expect(camera.getAttribute('aria-label')).to.equal('Camera');
    expect(mic.getAttribute('aria-pressed')).to.equal('true');
    expect(camera.getAttribute('aria-pressed')).to.equal('true');

    mic.click();
    await waitUntil(() => mic.getAttribute('aria-pressed') === 'false', 'mic shows off');
    expect(call.snapshot.microphone).to.equal(false);
    expect(call.snapshot.localStream!.getAudioTracks()[0]!.enabled).to.equal(false);

    camera.click();
    await waitUntil(() => camera.getAttribute('aria-pressed') === 'false', 'camera shows off');
    expect(call.snapshot.localStream?.getVideoTracks() ?? []).to.have.length(0);

    camera.click();
    await waitUntil(() => camera.getAttribute('aria-pressed') === 'true', 'camera back on');
    expect(call.snapshot.localStream!.getVideoTracks()[0]!.readyState).to.equal('live');
  });

  it('works from the keyboard', async () => {
    await call.startPreview();
    const el = await fixture<RtcControls>(html`<rtc-controls .call=${call}></rtc-controls>`);
    const mic = button(el, 'mic-button');
    mic.focus();
    expect(el.shadowRoot!.activeElement).to.equal(mic);
    await sendKeys({ press: 'Space' });
    await waitUntil(() => mic.getAttribute('aria-pressed') === 'false', 'Space toggles the microphone');
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(button(el, 'camera-button'));
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => button(el, 'camera-button').getAttribute('aria-pressed') === 'false', 'Enter toggles the camera');
  });

  it('shows the leave button only in a call, and it leaves', async () => {
    const el = await fixture<RtcControls>(html`<rtc-controls .call=${call}></rtc-controls>`);
    expect(el.shadowRoot!.querySelector('[part~="leave-button"]')).to.equal(null);
    await call.join();
    await el.updateComplete;
    const leave = button(el, 'leave-button');
    expect(leave.getAttribute('aria-label')).to.equal('Leave call');
    leave.click();
    await waitUntil(() => call.snapshot.state === 'left', 'left');
  });

  it('is accessible and speaks Dutch under lang="nl"', async () => {
    await call.startPreview();
    const wrapper = await fixture(html`<div lang="nl"><rtc-controls .call=${call}></rtc-controls></div>`);
    const el = wrapper.querySelector('rtc-controls')!;
    await el.updateComplete;
    expect(button(el, 'mic-button').getAttribute('aria-label')).to.equal('Microfoon');
    await expect(el).to.be.accessible();
  });
});
