import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSamples, rateQuality, type StatsSample } from '../../src/core/peer/quality.js';
import { decodeChat, encodeChat, normalizeChatText, MAX_CHAT_LENGTH } from '../../src/core/data/chat.js';

const sample = (at: number, patch: Partial<StatsSample> = {}): StatsSample => ({
  at,
  bytesReceived: 0,
  packetsReceived: 0,
  packetsLost: 0,
  roundTripTime: 40,
  audioEnergy: 0,
  audioDuration: 0,
  ...patch,
});

describe('connection quality', () => {
  it('rates round-trip time and loss the way people hear them', () => {
    assert.equal(rateQuality(40, 0), 'good');
    assert.equal(rateQuality(350, 0.01), 'fair');
    assert.equal(rateQuality(40, 0.05), 'fair');
    assert.equal(rateQuality(800, 0), 'poor');
    assert.equal(rateQuality(40, 0.2), 'poor');
    assert.equal(rateQuality(null, 0), 'unknown');
  });

  it('computes loss and bitrate from the change between two samples', () => {
    const first = sample(1000, { bytesReceived: 0, packetsReceived: 100, packetsLost: 0 });
    const second = sample(2000, { bytesReceived: 125_000, packetsReceived: 190, packetsLost: 10 });
    const stats = compareSamples(first, second);
    assert.equal(stats.bitrate, 1_000_000);
    assert.equal(stats.packetLoss, 0.1);
    assert.equal(stats.quality, 'poor');
  });

  it('measures loudness as the root mean square of the energy received in between', () => {
    const quiet = compareSamples(sample(0, { audioEnergy: 1, audioDuration: 10 }), sample(1000, { audioEnergy: 1, audioDuration: 11 }));
    assert.equal(quiet.audioLevel, 0);
    const loud = compareSamples(sample(0, { audioEnergy: 1, audioDuration: 10 }), sample(1000, { audioEnergy: 1.25, audioDuration: 11 }));
    assert.equal(loud.audioLevel, 0.5);
  });

  it('has no loss or bitrate from a single sample', () => {
    const stats = compareSamples(null, sample(1000, { packetsLost: 50 }));
    assert.equal(stats.packetLoss, 0);
    assert.equal(stats.bitrate, 0);
    assert.equal(stats.quality, 'good');
  });
});

describe('chat messages on the wire', () => {
  it('round-trips id, text and time only', () => {
    const wire = encodeChat({ id: 'm1', text: '<b>hi</b>', sentAt: 5 });
    assert.deepEqual(decodeChat(wire), { id: 'm1', text: '<b>hi</b>', sentAt: 5 });
    // A forged sender in the message is not even read: the sender comes from the connection.
    assert.deepEqual(decodeChat(JSON.stringify({ id: 'm1', text: 'x', sentAt: 1, from: 'someone-else' })), { id: 'm1', text: 'x', sentAt: 1 });
  });

  it('drops anything malformed or oversized', () => {
    for (const bad of [
      'not json',
      '42',
      'null',
      JSON.stringify({ id: '', text: 'x', sentAt: 1 }),
      JSON.stringify({ id: 'a', text: '   ', sentAt: 1 }),
      JSON.stringify({ id: 'a', text: 'x', sentAt: 'now' }),
      JSON.stringify({ id: 'a', text: 'x'.repeat(MAX_CHAT_LENGTH + 1), sentAt: 1 }),
      new ArrayBuffer(8),
    ]) {
      assert.equal(decodeChat(bad), null, String(bad).slice(0, 40));
    }
  });

  it('refuses empty or too long text before sending', () => {
    assert.equal(normalizeChatText('  hello '), 'hello');
    assert.throws(() => normalizeChatText('   '), RangeError);
    assert.throws(() => normalizeChatText('x'.repeat(MAX_CHAT_LENGTH + 1)), RangeError);
  });
});
