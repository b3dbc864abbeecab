import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { en } from '../../src/i18n/en.js';
import { nl } from '../../src/i18n/nl.js';
import { toLanguage, translate } from '../../src/i18n/index.js';

describe('message catalogues', () => {
  it('has every English key in Dutch, translated and with the same placeholders', () => {
    assert.deepEqual(Object.keys(nl).sort(), Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.ok(nl[key].trim(), `nl ${key} is empty`);
      const params = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      assert.deepEqual(params(nl[key]), params(en[key]), `placeholders of ${key}`);
    }
  });

  it('has a title and a hint for every error code', () => {
    const codes = ['permission-denied', 'no-device', 'device-in-use', 'insecure-context', 'signaling-unreachable', 'room-full', 'unauthorized', 'connection-failed', 'invalid-input'];
    for (const code of codes) {
      assert.ok(`error.${code}.title` in en, `${code} title`);
      assert.ok(`error.${code}.hint` in en, `${code} hint`);
    }
  });

  it('resolves language tags and fills placeholders', () => {
    assert.equal(toLanguage('nl-BE'), 'nl');
    assert.equal(toLanguage('NL'), 'nl');
    assert.equal(toLanguage('fr'), 'en');
    assert.equal(toLanguage(undefined), 'en');
    assert.equal(translate('nl', 'prejoin.room', { room: 'standup' }), 'Kamer: standup');
    assert.equal(translate('en', 'tile.you', { name: 'Ada' }), 'Ada (you)');
  });
});
