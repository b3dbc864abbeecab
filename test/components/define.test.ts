import { expect } from '@open-wc/testing';
import { LitElement } from 'lit';
import '../../src/index.js';
import { defineElement } from '../../src/components/shared/define.js';
import { RtcCall } from '../../src/components/call/call.js';

describe('guarded definitions', () => {
  it('defines every tag of the library', () => {
    for (const tag of ['rtc-call', 'rtc-local-video', 'rtc-remote-video', 'rtc-participant-grid', 'rtc-controls', 'rtc-prejoin', 'rtc-chat', 'rtc-device-picker']) {
      expect(customElements.get(tag), tag).to.be.a('function');
    }
    expect(customElements.get('rtc-call')).to.equal(RtcCall);
  });

  it('skips a second definition of a tag with a warning instead of throwing', () => {
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      class SecondCopy extends HTMLElement {}
      expect(() => defineElement('rtc-call', SecondCopy)).not.to.throw();
      expect(customElements.get('rtc-call')).to.equal(RtcCall);
    } finally {
      console.warn = original;
    }
    expect(String(warnings[0]?.[0])).to.contain('<rtc-call> is already defined');
  });

  it('survives the whole bundle being loaded twice on one page', async () => {
    const errors: string[] = [];
    const onError = (e: ErrorEvent) => errors.push(e.message);
    window.addEventListener('error', onError);
    try {
      // A second copy of the module graph (another URL), as when two script tags load the embed.
      await import(/* @vite-ignore */ `${new URL('../../src/index.ts', import.meta.url).href}?copy=2`);
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(errors).to.deep.equal([]);
    expect(customElements.get('rtc-call')).to.equal(RtcCall);
  });

  it('gives a skipped second copy its properties all the same (what @lit/react looks for)', () => {
    class First extends HTMLElement {}
    class SecondCopy extends LitElement {
      static override properties = { room: {} };
    }
    customElements.define('rtc-define-test', First);
    const original = console.warn;
    console.warn = () => {};
    try {
      defineElement('rtc-define-test', SecondCopy);
    } finally {
      console.warn = original;
    }
    expect(customElements.get('rtc-define-test')).to.equal(First);
    expect(Object.getOwnPropertyDescriptor(SecondCopy.prototype, 'room')?.set).to.be.a('function');
  });
});
