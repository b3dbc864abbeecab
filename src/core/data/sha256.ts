// Incremental SHA-256 (FIPS 180-4). WebCrypto only digests a whole buffer at once, and
// a file transfer must hash hundreds of megabytes chunk by chunk without holding them.

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array(64);
/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL_STATE = new Int32Array(8);
// Computed rather than listed: 72 hex literals are ~600 bytes that gzip cannot shrink.
// Before truncation every value is at least 0.005 from an integer, far beyond the
// last-bit error of any engine's Math.cbrt/Math.sqrt; a wrong constant would fail every
// digest in test/core/sha256.test.ts.
for (let n = 2, i = 0; i < 64; n++) {
  let prime = true;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
  if (!prime) continue;
  // Storing into an Int32Array truncates and wraps, as FIPS 180-4's words do.
  if (i < 8) INITIAL_STATE[i] = (Math.sqrt(n) % 1) * 2 ** 32;
  K[i++] = (Math.cbrt(n) % 1) * 2 ** 32;
}

const BLOCK_BYTES = 64;

/**
 * The message schedule, shared by every instance: compression is synchronous, so no two
 * runs overlap, and V8 optimises a module-level array noticeably better than a field.
 */
const SCHEDULE = new Int32Array(64);

/**
 * A streaming SHA-256: feed bytes with `update` in pieces of any size, then read the
 * digest once with `digestHex`. Memory use is constant (one 64-byte block buffer).
 */
export class Sha256 {
  readonly #state = new Int32Array(INITIAL_STATE);
  /** Bytes of an incomplete block carried over to the next `update`. */
  readonly #pending = new Uint8Array(BLOCK_BYTES);
  readonly #pendingView = new DataView(this.#pending.buffer);
  #pendingLength = 0;
  /** Total bytes hashed; a double is exact up to 2^53, far beyond any file we send. */
  #length = 0;
  #finished = false;

  /** Hashes `bytes`, continuing from everything given before. */
  update(bytes: Uint8Array): void {
    if (this.#finished) throw new Error('Sha256: update() after digestHex()');
    this.#length += bytes.length;
    let offset = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(BLOCK_BYTES - this.#pendingLength, bytes.length);
      this.#pending.set(bytes.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      offset = take;
      if (this.#pendingLength < BLOCK_BYTES) return;
      this.#compress(this.#pendingView, 0, BLOCK_BYTES);
      this.#pendingLength = 0;
    }
    const whole = offset + Math.floor((bytes.length - offset) / BLOCK_BYTES) * BLOCK_BYTES;
    // Whole blocks straight from the input, without copying them.
    if (whole > offset) this.#compress(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, whole);
    if (whole < bytes.length) {
      this.#pending.set(bytes.subarray(whole), 0);
      this.#pendingLength = bytes.length - whole;
    }
  }

  /** Pads, finishes and returns the digest as 64 lower-case hex digits. Call it once. */
  digestHex(): string {
    if (this.#finished) throw new Error('Sha256: digestHex() called twice');
    this.#finished = true;
    this.#pad();
    let hex = '';
    for (const word of this.#state) hex += (word >>> 0).toString(16).padStart(8, '0');
    return hex;
  }

  /** Appends 0x80, zeros, and the message length in bits as a 64-bit big-endian number. */
  #pad(): void {
    const block = this.#pending;
    let used = this.#pendingLength;
    block[used++] = 0x80;
    // No room left for the 8 length bytes: zero-fill, compress, start an empty block.
    if (used > BLOCK_BYTES - 8) {
      block.fill(0, used);
      this.#compress(this.#pendingView, 0, BLOCK_BYTES);
      used = 0;
    }
    block.fill(0, used, BLOCK_BYTES - 8);
    const bits = this.#length * 8;
    this.#pendingView.setUint32(BLOCK_BYTES - 8, Math.floor(bits / 0x1_0000_0000));
    this.#pendingView.setUint32(BLOCK_BYTES - 4, bits >>> 0);
    this.#compress(this.#pendingView, 0, BLOCK_BYTES);
  }

  /**
   * The compression function over every 64-byte block of `view` from `offset` to `end`.
   * The working state stays in locals across blocks and the message schedule is built
   * inside the rounds: both measurably faster in V8 than the textbook layout.
   */
  #compress(view: DataView, offset: number, end: number): void {
    const w = SCHEDULE;
    const state = this.#state;
    let h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!;
    let h4 = state[4]!, h5 = state[5]!, h6 = state[6]!, h7 = state[7]!;
    for (; offset < end; offset += BLOCK_BYTES) {
      let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (let i = 0; i < 64; i++) {
        let wi: number;
        if (i < 16) {
          wi = w[i] = view.getInt32(offset + (i << 2));
        } else {
          const x = w[i - 15]!;
          const y = w[i - 2]!;
          const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          wi = w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
        }
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + (g ^ (e & (f ^ g))) + K[i]! + wi) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0;
      h1 = (h1 + b) | 0;
      h2 = (h2 + c) | 0;
      h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0;
      h5 = (h5 + f) | 0;
      h6 = (h6 + g) | 0;
      h7 = (h7 + h) | 0;
    }
    state[0] = h0;
    state[1] = h1;
    state[2] = h2;
    state[3] = h3;
    state[4] = h4;
    state[5] = h5;
    state[6] = h6;
    state[7] = h7;
  }
}
