import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Sha256 } from '../../src/core/data/sha256.js';
import { bytesFrom } from './random-bytes.js';

function expected(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hashInPieces(bytes: Uint8Array, cuts: number[]): string {
  const sha = new Sha256();
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    sha.update(bytes.subarray(start, cut));
    start = cut;
  }
  return sha.digestHex();
}

describe('Sha256', () => {
  it('matches the published test vectors', () => {
    const hex = (text: string) => {
      const sha = new Sha256();
      sha.update(new TextEncoder().encode(text));
      return sha.digestHex();
    };
    assert.equal(hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto for every length from 0 to 300 in one update', () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = bytesFrom(length + 1, length);
      assert.equal(hashInPieces(bytes, []), expected(bytes), `length ${length}`);
    }
  });

  it('handles the padding edge cases at 55, 56, 63, 64 and 119, 120 bytes', () => {
    for (const length of [55, 56, 57, 63, 64, 65, 119, 120, 127, 128]) {
      const bytes = new Uint8Array(length).fill(0x61);
      assert.equal(hashInPieces(bytes, []), expected(bytes), `length ${length}`);
    }
  });

  it('gives the same digest however the input is split, including empty pieces', () => {
    let seed = 12345;
    const random = (below: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % below;
    };
    for (let round = 0; round < 400; round++) {
      const length = random(1000);
      const bytes = bytesFrom(round + 7, length);
      const cuts = Array.from({ length: random(12) }, () => random(length + 1)).sort((a, b) => a - b);
      assert.equal(hashInPieces(bytes, cuts), expected(bytes), `length ${length} cut at ${cuts.join(',')}`);
    }
  });

  it('hashes one byte at a time across block boundaries', () => {
    const bytes = bytesFrom(99, 200);
    assert.equal(hashInPieces(bytes, Array.from({ length: 200 }, (_, i) => i)), expected(bytes));
  });

  it('matches node:crypto on several megabytes fed in 64 KiB chunks and odd chunks', () => {
    const bytes = bytesFrom(42, 5 * 1024 * 1024 + 17);
    const want = expected(bytes);
    const even = Array.from({ length: Math.floor(bytes.length / 65536) }, (_, i) => (i + 1) * 65536);
    const odd = Array.from({ length: Math.floor(bytes.length / 99991) }, (_, i) => (i + 1) * 99991);
    assert.equal(hashInPieces(bytes, even), want);
    assert.equal(hashInPieces(bytes, odd), want);
  });

  it('encodes a length of 2^32 bits and more (files over 512 MiB) in the padding', () => {
    // The bit count's high word is only non-zero past 512 MiB: hash 513 MiB of one
    // repeated buffer, never holding more than 1 MiB.
    const piece = bytesFrom(3, 1024 * 1024);
    const ours = new Sha256();
    const theirs = createHash('sha256');
    for (let i = 0; i < 513; i++) {
      ours.update(piece);
      theirs.update(piece);
    }
    const tail = piece.subarray(0, 13);
    ours.update(tail);
    theirs.update(tail);
    assert.equal(ours.digestHex(), theirs.digest('hex'));
  });

  it('reads the bytes of a view, not its whole underlying buffer', () => {
    const backing = bytesFrom(5, 500);
    const view = backing.subarray(37, 437);
    assert.equal(hashInPieces(view, [3, 200]), expected(view));
  });

  it('refuses to be used after the digest is read', () => {
    const sha = new Sha256();
    sha.update(new Uint8Array([1, 2, 3]));
    sha.digestHex();
    assert.throws(() => sha.update(new Uint8Array(1)), /after digestHex/);
    assert.throws(() => sha.digestHex(), /twice/);
  });
});
