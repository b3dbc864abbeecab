import { expect, fixture, fixtureCleanup, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/call/rtc-call.js';
import type { RtcCall } from '../../src/components/call/call.js';
import '../../src/components/chat/rtc-chat.js';
import type { RtcChat } from '../../src/components/chat/chat.js';
import { Call, type CallOptions } from '../../src/core/call.js';
import { snapshotMatches, uniqueRoom } from '../helpers/browser-helpers.js';

const part = <T extends Element = HTMLElement>(el: RtcChat, name: string): T | null =>
  el.shadowRoot!.querySelector<T>(`[part~="${name}"]`);
const parts = <T extends Element = HTMLElement>(el: RtcChat, name: string): T[] => [
  ...el.shadowRoot!.querySelectorAll<T>(`[part~="${name}"]`),
];
const texts = (el: RtcChat, name: string): string[] => parts(el, name).map((n) => n.textContent!.trim());

/** Both calls see each other connected, and each chat offers its input. */
async function connected(a: Call, b: Call, elements: RtcChat[]): Promise<void> {
  const seesOther = (s: Call['snapshot']) => s.participants.some((p) => p.connectionState === 'connected');
  await snapshotMatches(a, seesOther, 'A sees B connected', 15000);
  await snapshotMatches(b, seesOther, 'B sees A connected', 15000);
  for (const el of elements) await waitUntil(() => !part<HTMLInputElement>(el, 'input')!.disabled, 'chat input enabled');
  // The chat data channel opens a moment after the peer connection reports connected, and
  // the core drops messages sent before that (it does not expose the channel's state).
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Puts files in the hidden file input, as the browser's file chooser does. */
function chooseFiles(el: RtcChat, ...files: File[]): void {
  const input = part<HTMLInputElement>(el, 'file-input')!;
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

function patternFile(name: string, size: number): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return new File([bytes], name, { type: 'application/octet-stream' });
}

describe('<rtc-chat>', () => {
  const calls: Call[] = [];
  function newCall(name: string, room: string, extra: Partial<CallOptions> = {}): Call {
    const call = new Call({ room, server: location.origin, name, audio: false, video: false, ...extra });
    calls.push(call);
    return call;
  }

  /** Two calls in one fresh room, each with its own chat element. */
  async function pair(extraA: Partial<CallOptions> = {}, lang = 'en') {
    const room = uniqueRoom('chat');
    const ada = newCall('Ada', room, extraA);
    const bo = newCall('Bo', room);
    const wrapper = await fixture(html`<div lang=${lang}>
      <rtc-chat id="a" .call=${ada}></rtc-chat>
      <rtc-chat id="b" .call=${bo}></rtc-chat>
    </div>`);
    const elA = wrapper.querySelector<RtcChat>('#a')!;
    const elB = wrapper.querySelector<RtcChat>('#b')!;
    await ada.join();
    await bo.join();
    await connected(ada, bo, [elA, elB]);
    return { ada, bo, elA, elB };
  }

  async function type(el: RtcChat, text: string): Promise<void> {
    part<HTMLInputElement>(el, 'input')!.focus();
    await sendKeys({ type: text });
  }

  afterEach(async () => {
    for (const el of document.querySelectorAll('rtc-call')) await el.leave();
    await Promise.all(calls.splice(0).map((call) => call.leave()));
    fixtureCleanup();
  });

  it('is disabled until in a call with someone else, and says why', async () => {
    const call = newCall('Ada', uniqueRoom('chat'));
    const el = await fixture<RtcChat>(html`<rtc-chat .call=${call}></rtc-chat>`);
    expect(part<HTMLInputElement>(el, 'input')!.disabled).to.equal(true);
    expect(part<HTMLButtonElement>(el, 'send-button')!.disabled).to.equal(true);
    expect(part<HTMLButtonElement>(el, 'attach-button')!.disabled).to.equal(true);
    expect(part(el, 'status')!.textContent).to.equal('Join the call to chat.');
    await call.join();
    await el.updateComplete;
    expect(part<HTMLInputElement>(el, 'input')!.disabled, 'alone in the room').to.equal(true);
    expect(part(el, 'status')!.textContent).to.equal('You can send messages once someone else is here.');
    expect(part(el, 'history-note')!.textContent).to.equal('Messages sent before you joined are not shown.');
    const log = part(el, 'messages')!;
    expect(log.getAttribute('role')).to.equal('log');
    expect(log.getAttribute('aria-live')).to.equal('polite');
    expect(part<HTMLInputElement>(el, 'input')!.maxLength).to.equal(4000);
    await expect(el).to.be.accessible();
  });

  it('sends both ways: each message shows in the other chat, with its sender and time', async () => {
    const { elA, elB } = await pair();

    await type(elA, 'Hello Bo');
    part<HTMLButtonElement>(elA, 'send-button')!.click();
    await waitUntil(() => texts(elB, 'text').includes('Hello Bo'), 'B shows A’s message');
    expect(texts(elB, 'sender')).to.deep.equal(['Ada']);
    expect(part<HTMLInputElement>(elA, 'input')!.value, 'input cleared').to.equal('');
    expect(texts(elA, 'sender'), 'own message shown as You').to.deep.equal(['You']);
    expect(texts(elA, 'text')).to.deep.equal(['Hello Bo']);
    const time = part(elB, 'time')!;
    expect(time.textContent).to.match(/^\d{2}:\d{2}( ?[AP]M)?$/);
    expect(Math.abs(Date.parse(time.getAttribute('datetime')!) - Date.now())).to.be.below(60000);

    await type(elB, 'Hi Ada');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => texts(elA, 'text').includes('Hi Ada'), 'A shows B’s message (sent with Enter)');
    expect(texts(elA, 'sender')).to.deep.equal(['You', 'Bo']);
    expect(part<HTMLInputElement>(elB, 'input')!.value).to.equal('');
    expect(elB.shadowRoot!.activeElement === part(elB, 'input'), 'focus stays in the input').to.equal(true);
    await expect(elA).to.be.accessible();
  });

  it('shows HTML-looking text as literal text', async () => {
    const { elA, elB } = await pair();
    const evil = '<img src=x onerror=alert(1)><b>bold</b>';
    // Were the text parsed as HTML, the image's error handler would run; catch it rather than block the page.
    let alerted = false;
    const alert = window.alert;
    window.alert = () => (alerted = true);
    try {
      await type(elA, evil);
      await sendKeys({ press: 'Enter' });
      await waitUntil(() => texts(elB, 'text').length === 1, 'B got the message');
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      window.alert = alert;
    }
    expect(alerted, 'no script ran').to.equal(false);
    expect(part(elB, 'text')!.textContent).to.equal(evil);
    for (const el of [elA, elB]) {
      expect(el.shadowRoot!.querySelectorAll('img, b').length, 'no element made from the text').to.equal(0);
    }
  });

  it('does nothing with empty text', async () => {
    const { ada, bo, elA } = await pair();
    const input = part<HTMLInputElement>(elA, 'input')!;
    await type(elA, '   ');
    await sendKeys({ press: 'Enter' });
    part<HTMLButtonElement>(elA, 'send-button')!.click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(parts(elA, 'message')).to.have.length(0);
    expect(ada.snapshot.chat).to.have.length(0);
    expect(bo.snapshot.chat).to.have.length(0);
    expect(input.value).to.equal('   ');
  });

  it('keeps to the newest message unless the person scrolled up', async () => {
    const { ada, elB } = await pair();
    elB.style.setProperty('--rtc-chat-height', '200px');
    const list = part(elB, 'messages')!;
    const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    for (let i = 1; i <= 15; i++) ada.sendChat(`message ${i}`);
    await waitUntil(() => texts(elB, 'text').length === 15, 'all 15 arrived');
    await elB.updateComplete;
    expect(list.scrollHeight).to.be.above(list.clientHeight);
    expect(atBottom(), 'scrolled to the newest').to.equal(true);

    list.scrollTop = 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
    ada.sendChat('message 16');
    await waitUntil(() => texts(elB, 'text').length === 16, 'message 16 arrived');
    await elB.updateComplete;
    expect(list.scrollTop, 'stays where the person is reading').to.equal(0);

    list.scrollTop = list.scrollHeight;
    await new Promise((resolve) => setTimeout(resolve, 100));
    ada.sendChat('message 17');
    await waitUntil(() => texts(elB, 'text').length === 17, 'message 17 arrived');
    await elB.updateComplete;
    expect(atBottom(), 'follows again once back at the bottom').to.equal(true);
  });

  it('opens the file chooser from the Attach button', async () => {
    const { elA } = await pair();
    const attach = part<HTMLButtonElement>(elA, 'attach-button')!;
    expect(attach.getAttribute('aria-label')).to.equal('Attach file');
    let opened = false;
    part(elA, 'file-input')!.addEventListener('click', (event) => {
      opened = true;
      event.preventDefault();
    });
    attach.click();
    expect(opened).to.equal(true);
  });

  it('sends a 1 MB file with progress; the receiver gets a download link with the right name and bytes', async () => {
    const room = uniqueRoom('chat');
    const wrapper = await fixture(html`<div>
      <rtc-call id="ada" room=${room} name="Ada" autojoin camera-off muted><rtc-chat></rtc-chat></rtc-call>
      <rtc-call id="bo" room=${room} name="Bo" autojoin camera-off muted><rtc-chat></rtc-chat></rtc-call>
    </div>`);
    const ada = wrapper.querySelector<RtcCall>('#ada')!;
    const bo = wrapper.querySelector<RtcCall>('#bo')!;
    const elA = ada.querySelector('rtc-chat')!;
    const elB = bo.querySelector('rtc-chat')!;
    expect(elA.call === ada.call, 'the chat uses its <rtc-call>’s call').to.equal(true);
    await connected(ada.call, bo.call, [elA, elB]);

    const file = patternFile('report.bin', 1024 * 1024);
    const seenProgress: number[] = [];
    const watch = setInterval(() => {
      const progress = part<HTMLProgressElement>(elB, 'progress');
      if (progress) seenProgress.push(progress.value / progress.max);
    }, 5);
    chooseFiles(elA, file);
    try {
      await waitUntil(() => part(elB, 'transfer')?.dataset.state === 'done', 'B shows the file done', { timeout: 15000 });
    } finally {
      clearInterval(watch);
    }
    await waitUntil(() => part(elA, 'transfer')?.dataset.state === 'done', 'A shows the file done');

    for (const el of [elA, elB]) {
      expect(texts(el, 'file-name')).to.deep.equal(['report.bin']);
      expect(texts(el, 'file-size')).to.deep.equal(['1 MB']);
      expect(texts(el, 'file-state')).to.deep.equal(['Done']);
      const progress = part<HTMLProgressElement>(el, 'progress')!;
      expect(progress.value).to.equal(progress.max);
      expect(part(el, 'cancel-button')?.textContent ?? null, 'no Cancel once done').to.equal(null);
    }
    expect(texts(elA, 'file-direction')).to.deep.equal(['To everyone']);
    expect(texts(elB, 'file-direction')).to.deep.equal(['From Ada']);
    expect(seenProgress.some((f) => f > 0 && f < 1), 'B showed partial progress on the way').to.equal(true);
    expect(part(elA, 'download')?.textContent ?? null, 'the sender gets no download link').to.equal(null);

    await waitUntil(() => part(elB, 'download'), 'download link');
    const link = part<HTMLAnchorElement>(elB, 'download')!;
    expect(link.getAttribute('download')).to.equal('report.bin');
    expect(link.textContent!.trim()).to.equal('Download');
    const received = await (await fetch(link.href)).blob();
    expect(received.size).to.equal(file.size);
    const [got, sent] = await Promise.all([received.arrayBuffer(), file.arrayBuffer()]);
    expect(new Uint8Array(got)).to.deep.equal(new Uint8Array(sent));
    await expect(elB).to.be.accessible();

    // Leaving the page revokes the download URL.
    const href = link.href;
    elB.remove();
    let revoked = false;
    await fetch(href).catch(() => (revoked = true));
    expect(revoked, 'object URL revoked').to.equal(true);
  });

  it('cancels a transfer mid-way, and both sides show Cancelled', async () => {
    const { elA, elB } = await pair();
    chooseFiles(elA, patternFile('big.bin', 30 * 1024 * 1024));
    await waitUntil(() => part(elA, 'cancel-button'), 'A shows a Cancel button');
    await waitUntil(() => part(elB, 'transfer'), 'B shows the incoming file');
    expect(part(elB, 'file-state')!.textContent).to.match(/^Receiving… \d+%$/);
    expect(part(elA, 'cancel-button')!.getAttribute('aria-label')).to.equal('Cancel big.bin');
    part<HTMLButtonElement>(elA, 'cancel-button')!.click();

    await waitUntil(() => part(elA, 'transfer')?.dataset.state === 'cancelled', 'A shows cancelled');
    await waitUntil(() => part(elB, 'transfer')?.dataset.state === 'cancelled', 'B shows cancelled', { timeout: 10000 });
    for (const el of [elA, elB]) {
      expect(texts(el, 'file-state')).to.deep.equal(['Cancelled']);
      expect(part(el, 'cancel-button')?.textContent ?? null).to.equal(null);
      expect(part(el, 'download')?.textContent ?? null).to.equal(null);
      const progress = part<HTMLProgressElement>(el, 'progress')!;
      expect(progress.value).to.be.below(progress.max);
    }
    expect(part(elA, 'error')?.textContent ?? null, 'a cancel is not an error').to.equal(null);
  });

  it('says inline when a file is too large, without sending it', async () => {
    const { bo, elA } = await pair({ maxFileSize: 1000 });
    chooseFiles(elA, patternFile('huge.bin', 5000));
    await waitUntil(() => part(elA, 'error'), 'error shown');
    const error = part(elA, 'error')!;
    expect(error.getAttribute('role')).to.equal('alert');
    expect(error.textContent).to.equal('“huge.bin” is too large to send. Files can be at most 1,000 byte.');
    expect(parts(elA, 'transfer')).to.have.length(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bo.snapshot.transfers).to.have.length(0);
    await expect(elA).to.be.accessible();
  });

  it('shows a transfer the receiver refused as failed, with the reason', async () => {
    const room = uniqueRoom('chat');
    const ada = newCall('Ada', room);
    const bo = newCall('Bo', room, { maxFileSize: 1000 });
    const wrapper = await fixture(html`<div><rtc-chat id="a" .call=${ada}></rtc-chat><rtc-chat id="b" .call=${bo}></rtc-chat></div>`);
    const elA = wrapper.querySelector<RtcChat>('#a')!;
    const elB = wrapper.querySelector<RtcChat>('#b')!;
    await ada.join();
    await bo.join();
    await connected(ada, bo, [elA, elB]);
    chooseFiles(elA, patternFile('photo.jpg', 5000));
    await waitUntil(() => part(elA, 'transfer')?.dataset.state === 'failed', 'A shows the transfer failed', { timeout: 10000 });
    expect(part(elA, 'file-state')!.textContent).to.match(/^Failed: .*refused/);
    expect(part(elA, 'cancel-button')?.textContent ?? null).to.equal(null);
    expect(part(elA, 'error')?.textContent ?? null, 'shown on the transfer, not twice').to.equal(null);
    expect(parts(elB, 'transfer')).to.have.length(0);
  });

  it('speaks Dutch under lang="nl"', async () => {
    const { elA, elB } = await pair({}, 'nl');
    expect(part(elA, 'history-note')!.textContent).to.equal('Berichten van voordat je deelnam, worden niet getoond.');
    expect(part(elA, 'send-button')!.textContent!.trim()).to.equal('Versturen');
    expect(part(elA, 'attach-button')!.getAttribute('aria-label')).to.equal('Bestand bijvoegen');
    expect(part(elA, 'input')!.getAttribute('placeholder')).to.equal('Typ een bericht…');
    await type(elA, 'Hallo');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => texts(elB, 'text').includes('Hallo'), 'B got it');
    expect(texts(elA, 'sender')).to.deep.equal(['Jij']);
    expect(part(elB, 'time')!.textContent).to.match(/^\d{2}:\d{2}$/);

    chooseFiles(elA, patternFile('notities.txt', 2048));
    await waitUntil(() => part(elB, 'transfer')?.dataset.state === 'done', 'file done');
    expect(texts(elB, 'file-direction')).to.deep.equal(['Van Ada']);
    expect(texts(elB, 'file-size')).to.deep.equal(['2 kB']);
    await waitUntil(() => part(elB, 'file-state')!.textContent === 'Klaar', 'Klaar');
    await waitUntil(() => part(elB, 'download'), 'download link');
    expect(part(elB, 'download')!.textContent!.trim()).to.equal('Downloaden');
    await expect(elB).to.be.accessible();
  });
});
