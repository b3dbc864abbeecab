/**
 * custom-elements.json, as IDEs, Storybook and framework tooling read it: every element
 * the library defines is there under its tag, with the attributes, events, CSS parts and
 * CSS custom properties the API promises. Needs `npm run build` (it runs the analyzer).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

interface Named {
  name: string;
  type?: { text: string };
  fieldName?: string;
  inheritedFrom?: { name: string };
}
interface Declaration {
  kind: string;
  name: string;
  tagName?: string;
  customElement?: boolean;
  summary?: string;
  attributes?: Named[];
  members?: (Named & { kind: string; privacy?: string })[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
  slots?: Named[];
}
interface Manifest {
  schemaVersion: string;
  modules: { path: string; declarations?: Declaration[]; exports?: { kind: string; name: string; declaration: { name: string; module?: string } }[] }[];
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { customElements?: string; files?: string[] };
const manifestPath = pkg.customElements ?? 'custom-elements.json';
assert.ok(existsSync(manifestPath), `${manifestPath} is missing: run npm run build`);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;

const elements = new Map<string, Declaration>();
for (const module of manifest.modules) {
  for (const declaration of module.declarations ?? []) {
    if (declaration.tagName) elements.set(declaration.tagName, declaration);
  }
}
const names = (list: Named[] | undefined): string[] => (list ?? []).map((item) => item.name);
function element(tag: string): Declaration {
  const found = elements.get(tag);
  assert.ok(found, `<${tag}> is in the manifest`);
  return found;
}

/** The tags src/components defines: `defineElement('rtc-…', …)` in each define file. */
function definedTags(): string[] {
  const tags: string[] = [];
  for (const folder of readdirSync('src/components', { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(join('src/components', folder.name))) {
      const match = /defineElement\('(rtc-[a-z-]+)'/.exec(readFileSync(join('src/components', folder.name, file), 'utf8'));
      if (match) tags.push(match[1]!);
    }
  }
  return tags.sort();
}

describe('custom-elements.json', () => {
  it('is named by package.json and shipped', () => {
    assert.equal(pkg.customElements, 'custom-elements.json');
    assert.ok(pkg.files?.includes('custom-elements.json'), 'in "files"');
    assert.match(manifest.schemaVersion, /^\d+\.\d+\.\d+$/);
  });

  it('lists every element the library defines, and only those, each with a summary', () => {
    const api = ['rtc-call', 'rtc-chat', 'rtc-controls', 'rtc-device-picker', 'rtc-local-video', 'rtc-participant-grid', 'rtc-prejoin', 'rtc-remote-video'];
    assert.deepEqual([...elements.keys()].sort(), api);
    assert.deepEqual(definedTags(), api, 'the define files in src/components define the same tags');
    for (const [tag, declaration] of elements) {
      assert.equal(declaration.customElement, true, tag);
      assert.match(declaration.name, /^Rtc[A-Z]/, tag);
      assert.ok((declaration.summary ?? '').length > 20, `<${tag}> has a @summary`);
    }
  });

  it('has a custom-element-definition per tag, pointing at a shipped module', () => {
    const definitions = manifest.modules.flatMap((m) => m.exports ?? []).filter((e) => e.kind === 'custom-element-definition');
    assert.deepEqual(definitions.map((d) => d.name).sort(), [...elements.keys()].sort());
    for (const definition of definitions) {
      assert.equal(definition.declaration.name, elements.get(definition.name)!.name);
      assert.match(definition.declaration.module ?? '', /^dist\/components\/.+\.js$/);
    }
    for (const module of manifest.modules) assert.match(module.path, /^dist\/.+\.js$/, 'module paths name files the package ships');
  });

  it('<rtc-call>: its attributes, with the properties behind them', () => {
    const call = element('rtc-call');
    const attributes = new Map((call.attributes ?? []).map((a) => [a.name, a]));
    for (const [attribute, field] of [
      ['room', 'room'],
      ['server', 'server'],
      ['name', 'name'],
      ['token', 'token'],
      ['autojoin', 'autojoin'],
      ['muted', 'muted'],
      ['camera-off', 'cameraOff'],
      ['ice-transport-policy', 'iceTransportPolicy'],
    ]) {
      assert.equal(attributes.get(attribute!)?.fieldName, field, `attribute ${attribute} → .${field}`);
    }
    assert.equal(attributes.get('autojoin')?.type?.text, 'boolean');
    assert.equal(attributes.get('camera-off')?.type?.text, 'boolean');
    const publicMembers = (call.members ?? []).filter((m) => !m.privacy || m.privacy === 'public').map((m) => m.name);
    for (const member of ['call', 'state', 'join', 'leave']) assert.ok(publicMembers.includes(member), `.${member}`);
  });

  it('<rtc-call>: every event of the API, typed with its event class', () => {
    const events = new Map((element('rtc-call').events ?? []).map((e) => [e.name, e.type?.text]));
    assert.deepEqual(Object.fromEntries(events), {
      'rtc-state-change': 'RtcStateChangeEvent',
      'rtc-joined': 'RtcJoinedEvent',
      'rtc-left': 'RtcLeftEvent',
      'rtc-participant-joined': 'RtcParticipantJoinedEvent',
      'rtc-participant-left': 'RtcParticipantLeftEvent',
      'rtc-chat-message': 'RtcChatMessageEvent',
      'rtc-file-received': 'RtcFileReceivedEvent',
      'rtc-error': 'RtcErrorEvent',
    });
    assert.deepEqual(
      (element('rtc-controls').events ?? []).map((e) => [e.name, e.type?.text]),
      [['rtc-control', 'RtcControlEvent']],
    );
    for (const [tag, declaration] of elements) {
      for (const event of declaration.events ?? []) assert.match(event.name, /^rtc-[a-z-]+$/, `<${tag}> has no nameless event`);
    }
  });

  it('the other elements: their attributes and the inherited .call property', () => {
    assert.ok(names(element('rtc-remote-video').attributes).includes('participant'), '<rtc-remote-video participant>');
    assert.ok(names(element('rtc-remote-video').attributes).includes('screen'), '<rtc-remote-video screen>');
    assert.ok(names(element('rtc-local-video').attributes).includes('screen'), '<rtc-local-video screen>');
    for (const [tag, declaration] of elements) {
      assert.ok(names(declaration.members).includes('call'), `<${tag}> has .call`);
    }
  });

  it('CSS parts: the API ones on <rtc-controls>, and parts on every element', () => {
    const controlParts = names(element('rtc-controls').cssParts);
    for (const part of ['mic-button', 'camera-button', 'screen-button', 'chat-button', 'settings-button', 'leave-button']) {
      assert.ok(controlParts.includes(part), `<rtc-controls> part ${part}`);
    }
    for (const part of ['video', 'name', 'mic-off']) {
      assert.ok(names(element('rtc-remote-video').cssParts).includes(part), `<rtc-remote-video> part ${part}`);
    }
    assert.ok(names(element('rtc-prejoin').cssParts).includes('join-button'));
    assert.ok(names(element('rtc-chat').cssParts).includes('input'));
    assert.ok(names(element('rtc-call').cssParts).includes('error'));
    for (const [tag, declaration] of elements) {
      assert.ok((declaration.cssParts ?? []).length > 0, `<${tag}> documents its parts`);
      for (const part of names(declaration.cssParts)) assert.match(part, /^[a-z]+(-[a-z]+)*$/, `<${tag}> part ${part}`);
    }
  });

  it('CSS custom properties: every element documents its --rtc-* ones', () => {
    for (const property of ['--rtc-color-accent', '--rtc-color-background', '--rtc-radius', '--rtc-font-family']) {
      assert.ok(names(element('rtc-call').cssProperties).includes(property), `<rtc-call> ${property}`);
    }
    assert.ok(names(element('rtc-local-video').cssProperties).includes('--rtc-local-mirror'));
    for (const [tag, declaration] of elements) {
      assert.ok((declaration.cssProperties ?? []).length > 0, `<${tag}> documents its custom properties`);
      for (const property of names(declaration.cssProperties)) assert.match(property, /^--rtc-[a-z-]+$/, `<${tag}> ${property}`);
    }
  });
});
