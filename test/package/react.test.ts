/**
 * `rtc-elements/react` from Node, as a server-rendering React app (Next.js, Remix) loads
 * it: importing it must not need a DOM, and rendering gives the custom element's tag.
 * Imported by its package name, so through package.json `exports`. Needs `npm run build`.
 * (In a browser, the React example's end-to-end test drives the components.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';

const components = {
  RtcCall: 'rtc-call',
  RtcLocalVideo: 'rtc-local-video',
  RtcRemoteVideo: 'rtc-remote-video',
  RtcParticipantGrid: 'rtc-participant-grid',
  RtcControls: 'rtc-controls',
  RtcChat: 'rtc-chat',
  RtcDevicePicker: 'rtc-device-picker',
  RtcPrejoin: 'rtc-prejoin',
} as const;

describe('rtc-elements/react', () => {
  it('imports in Node (no DOM) and exports a component for every element', async () => {
    const react = (await import('rtc-elements/react')) as Record<string, unknown>;
    for (const name of Object.keys(components)) {
      const component = react[name] as { $$typeof?: symbol; displayName?: string } | undefined;
      assert.ok(component, `${name} is exported`);
      assert.equal(component.$$typeof, Symbol.for('react.forward_ref'), `${name} is a React component that forwards its ref`);
      assert.equal(component.displayName, name);
    }
  });

  it('server-renders each component as its custom element, with children', async () => {
    const react = (await import('rtc-elements/react')) as unknown as Record<keyof typeof components, Parameters<typeof createElement>[0]>;
    for (const [name, tag] of Object.entries(components) as [keyof typeof components, string][]) {
      const html = renderToString(createElement(react[name], { id: 'x', onRtcJoined: () => undefined } as never, createElement('span', null, 'child')));
      assert.match(html, new RegExp(`^<${tag} id="x"><span>child</span></${tag}>$`), `${name}: ${html}`);
    }
  });
});
