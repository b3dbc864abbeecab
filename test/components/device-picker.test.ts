import { expect, fixture, fixtureCleanup, html, waitUntil } from '@open-wc/testing';
import '../../src/components/call/rtc-call.js';
import type { RtcCall } from '../../src/components/call/call.js';
import '../../src/components/device-picker/rtc-device-picker.js';
import type { RtcDevicePicker } from '../../src/components/device-picker/device-picker.js';
import { Call } from '../../src/core/call.js';
import { uniqueRoom } from '../helpers/browser-helpers.js';

const select = (el: RtcDevicePicker, part: string) => el.shadowRoot!.querySelector<HTMLSelectElement>(`[part~="${part}"]`);
const optionTexts = (s: HTMLSelectElement) => [...s.options].map((o) => o.textContent!.trim());
/** The accessible name a person hears: the text of the `<label>` around the select. */
const labelOf = (s: HTMLSelectElement) => s.labels[0]!.querySelector('[part~="label"]')!.textContent!.trim();

function choose(s: HTMLSelectElement, value: string): void {
  s.value = value;
  s.dispatchEvent(new Event('change', { bubbles: true }));
}

function forgetDevices(): void {
  for (const key of Object.keys(localStorage)) if (key.startsWith('rtc-elements:device:')) localStorage.removeItem(key);
}

describe('<rtc-device-picker>', () => {
  const calls: Call[] = [];
  function newCall(): Call {
    const call = new Call({ room: uniqueRoom('devices'), server: location.origin, name: 'Ada' });
    calls.push(call);
    return call;
  }

  beforeEach(forgetDevices);
  afterEach(async () => {
    for (const el of document.querySelectorAll('rtc-call')) await el.leave();
    await Promise.all(calls.splice(0).map((call) => call.leave()));
    fixtureCleanup();
    forgetDevices();
  });

  it('says devices appear once camera and microphone are allowed', async () => {
    const el = await fixture<RtcDevicePicker>(html`<rtc-device-picker .call=${newCall()}></rtc-device-picker>`);
    expect(el.shadowRoot!.querySelectorAll('select').length).to.equal(0);
    expect(el.shadowRoot!.querySelector('[part~="note"]')!.textContent).to.equal(
      'Your cameras and microphones appear here once you allow camera and microphone.',
    );
    await expect(el).to.be.accessible();
  });

  it('lists the browser’s cameras, microphones and speakers with their labels once the preview runs', async () => {
    const call = newCall();
    const el = await fixture<RtcDevicePicker>(html`<rtc-device-picker .call=${call}></rtc-device-picker>`);
    await call.startPreview();
    await waitUntil(() => select(el, 'camera-select'), 'camera select shown');

    const all = await navigator.mediaDevices.enumerateDevices();
    const expected = (kind: MediaDeviceKind) => all.filter((d) => d.kind === kind && d.deviceId).map((d) => d.label);
    const cameras = select(el, 'camera-select')!;
    const microphones = select(el, 'microphone-select')!;
    expect(expected('videoinput').length).to.be.above(0);
    expect(optionTexts(cameras)).to.deep.equal(expected('videoinput'));
    expect(optionTexts(microphones)).to.deep.equal(expected('audioinput'));
    expect(optionTexts(cameras).every((label) => label.length > 0), 'labels present after permission').to.equal(true);
    expect(labelOf(cameras)).to.equal('Camera');
    expect(labelOf(microphones)).to.equal('Microphone');

    // Nothing chosen yet: the first entry (the browser's default) shows.
    expect(call.snapshot.selectedDevices.videoinput).to.equal(null);
    expect(cameras.selectedIndex).to.equal(0);
    expect(microphones.selectedIndex).to.equal(0);

    // Chromium can choose where sound plays.
    const speakers = select(el, 'speaker-select');
    expect(speakers !== null, 'speaker select in Chromium').to.equal(true);
    expect(optionTexts(speakers!)).to.deep.equal(expected('audiooutput'));
    expect(labelOf(speakers!)).to.equal('Speaker');
    expect(el.shadowRoot!.querySelector('[part~="speaker-note"]') === null, 'no speaker note').to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('switches the camera, and a later call starts with the same one', async () => {
    const call = newCall();
    await call.startPreview();
    const el = await fixture<RtcDevicePicker>(html`<rtc-device-picker .call=${call}></rtc-device-picker>`);
    await waitUntil(() => select(el, 'camera-select'), 'camera select shown');
    const cameras = select(el, 'camera-select')!;
    const before = call.snapshot.localStream!.getVideoTracks()[0]!;
    // Another camera when the fake offers one; else the same one, which must still work.
    const target = cameras.options[cameras.options.length > 1 ? 1 : 0]!.value;

    choose(cameras, target);
    await waitUntil(() => call.snapshot.selectedDevices.videoinput === target, 'the call uses the chosen camera');
    await waitUntil(() => call.snapshot.localStream?.getVideoTracks()[0] !== before, 'a new camera track');
    const track = call.snapshot.localStream!.getVideoTracks()[0]!;
    expect(track.readyState).to.equal('live');
    expect(track.getSettings().deviceId).to.equal(target);
    expect(before.readyState, 'the old camera is released').to.equal('ended');
    await el.updateComplete;
    expect(cameras.value).to.equal(target);
    // And a microphone other than the default (the fake has several).
    const microphones = select(el, 'microphone-select')!;
    const microphone = microphones.options[microphones.options.length - 1]!.value;
    expect(microphones.selectedIndex).to.equal(0);
    choose(microphones, microphone);
    await waitUntil(() => call.snapshot.selectedDevices.audioinput === microphone, 'the call records the chosen microphone');

    // Remembered for next time.
    const next = newCall();
    expect(next.snapshot.selectedDevices.videoinput).to.equal(target);
    expect(next.snapshot.selectedDevices.audioinput).to.equal(microphone);
    await next.startPreview();
    expect(next.snapshot.localStream!.getVideoTracks()[0]!.getSettings().deviceId).to.equal(target);
    const second = await fixture<RtcDevicePicker>(html`<rtc-device-picker .call=${next}></rtc-device-picker>`);
    await waitUntil(() => select(second, 'camera-select'), 'camera select shown');
    expect(select(second, 'camera-select')!.value).to.equal(target);
    const secondMicrophones = select(second, 'microphone-select')!;
    expect(secondMicrophones.value, 'the picker shows the remembered microphone').to.equal(microphone);
    expect(secondMicrophones.selectedIndex).to.equal(secondMicrophones.options.length - 1);
  });

  it('captures from the microphone the person chose', async () => {
    const call = newCall();
    await call.startPreview();
    const el = await fixture<RtcDevicePicker>(html`<rtc-device-picker .call=${call}></rtc-device-picker>`);
    await waitUntil(() => select(el, 'microphone-select'), 'microphone select shown');
    const microphones = select(el, 'microphone-select')!;
    expect(microphones.options.length, 'the fake offers several microphones').to.be.above(1);
    const target = microphones.options[microphones.options.length - 1]!.value;
    const label = microphones.options[microphones.options.length - 1]!.textContent!.trim();
    choose(microphones, target);
    await waitUntil(() => call.snapshot.selectedDevices.audioinput === target, 'the call records the choice');
    // What was picked must be what records: the track's own device, not just the snapshot.
    await waitUntil(
      () => call.snapshot.localStream?.getAudioTracks()[0]?.getSettings().deviceId === target,
      `the microphone track comes from “${label}”`,
      { timeout: 5000 },
    );
    expect(call.snapshot.localStream!.getAudioTracks()[0]!.label).to.equal(label);
  });

  it('names devices without a label "Camera 1", "Microphone 1"', async () => {
    const call = newCall();
    await call.startPreview();
    await waitUntil(() => call.snapshot.devices.videoinput.length > 0, 'devices listed');
    // A snapshot as a browser gives it before permission for one kind: ids, no labels.
    const unlabelled = {
      ...call.snapshot,
      devices: {
        videoinput: [{ deviceId: 'c1', kind: 'videoinput', label: '' }],
        audioinput: [
          { deviceId: 'm1', kind: 'audioinput', label: '' },
          { deviceId: 'm2', kind: 'audioinput', label: '' },
        ],
        audiooutput: [],
      },
    };
    const fake = Object.assign(new EventTarget(), { snapshot: unlabelled, selectDevice: () => Promise.resolve() }) as unknown as Call;
    const wrapper = await fixture(html`<div lang="nl"><rtc-device-picker .call=${fake}></rtc-device-picker></div>`);
    const el = wrapper.querySelector('rtc-device-picker')!;
    await el.updateComplete;
    expect(optionTexts(select(el, 'camera-select')!)).to.deep.equal(['Camera 1']);
    expect(optionTexts(select(el, 'microphone-select')!)).to.deep.equal(['Microfoon 1', 'Microfoon 2']);
    // No outputs listed: no speaker select, a note instead.
    expect(select(el, 'speaker-select') === null, 'no speaker select').to.equal(true);
    expect(el.shadowRoot!.querySelector('[part~="speaker-note"]')!.textContent).to.equal(
      'Geluid komt uit de standaardluidspreker van je systeem.',
    );
  });

  it('switches the microphone mid-call inside <rtc-call>, and speaks Dutch', async () => {
    const el = await fixture<RtcCall>(html`<rtc-call lang="nl" room=${uniqueRoom('devices')} name="Ada" autojoin>
      <rtc-device-picker></rtc-device-picker>
    </rtc-call>`);
    await waitUntil(() => el.state === 'joined', 'joined');
    const picker = el.querySelector('rtc-device-picker')!;
    await waitUntil(() => select(picker, 'microphone-select'), 'microphone select shown');
    const microphones = select(picker, 'microphone-select')!;
    expect(labelOf(microphones)).to.equal('Microfoon');
    expect(labelOf(select(picker, 'camera-select')!)).to.equal('Camera');
    expect(labelOf(select(picker, 'speaker-select')!)).to.equal('Luidspreker');

    const target = microphones.options[microphones.options.length - 1]!.value;
    const before = el.call.snapshot.localStream!.getAudioTracks()[0]!;
    choose(microphones, target);
    await waitUntil(() => el.call.snapshot.selectedDevices.audioinput === target, 'the call uses the chosen microphone');
    await waitUntil(() => el.call.snapshot.localStream?.getAudioTracks()[0] !== before, 'a new microphone track');
    expect(el.call.snapshot.localStream!.getAudioTracks()[0]!.readyState).to.equal('live');
    expect(microphones.value).to.equal(target);

    const speakers = select(picker, 'speaker-select')!;
    const output = speakers.options[speakers.options.length - 1]!.value;
    choose(speakers, output);
    await waitUntil(() => el.call.snapshot.selectedDevices.audiooutput === output, 'the speaker choice is kept');
    await expect(picker).to.be.accessible();
  });
});
