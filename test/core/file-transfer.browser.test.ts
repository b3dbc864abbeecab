import { expect, waitUntil } from '@open-wc/testing';
import { RtcError } from '../../src/core/errors.js';
import {
  FILE_CHANNEL_LABEL,
  receiveFile,
  sendFile,
  type FileProgress,
  type ReceiveFileOptions,
  type ReceivedFile,
} from '../../src/core/data/file-transfer.js';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

interface Pair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
}

/**
 * Two peer connections in this page wired to each other, with a negotiated data channel
 * on both so the SCTP association exists before any file channel is opened, as in a call.
 */
async function connectedPair(): Promise<Pair> {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  const trickle = (from: RTCPeerConnection, to: RTCPeerConnection) => {
    from.addEventListener('icecandidate', ({ candidate }) => {
      // Queued on `to`'s operations chain, after the setRemoteDescription called earlier.
      if (candidate) void to.addIceCandidate(candidate).catch(() => undefined);
    });
  };
  trickle(a, b);
  trickle(b, a);
  const control = [a, b].map((pc) => pc.createDataChannel('control', { negotiated: true, id: 0 }));
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await waitUntil(() => control.every((c) => c.readyState === 'open'), 'control channels open', { timeout: 10000 });
  return { a, b };
}

/** The next file channel `pc` receives, handed to `receiveFile` in the same task. */
function nextIncoming(pc: RTCPeerConnection, options: ReceiveFileOptions): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    pc.addEventListener(
      'datachannel',
      ({ channel }) => {
        if (channel.label === FILE_CHANNEL_LABEL) receiveFile(channel, options).then(resolve, reject);
      },
      { once: true },
    );
  });
}

/** Random bytes in 64 KiB pieces (getRandomValues' limit), kept as pieces for the bare baseline. */
function randomPieces(bytes: number): Uint8Array<ArrayBuffer>[] {
  const pieces: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 0; at < bytes; at += PIECE) {
    pieces.push(crypto.getRandomValues(new Uint8Array(Math.min(PIECE, bytes - at))));
  }
  return pieces;
}

async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Settles a promise into a value or the error, so a test can assert on either. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: RtcError }> {
  try {
    return { value: await promise };
  } catch (error) {
    expect(error, 'rejects with an RtcError').to.be.instanceOf(RtcError);
    return { error: error as RtcError };
  }
}

function expectProgressToEnd(events: FileProgress[], total: number, side: string): void {
  expect(events.length, `${side} progress events`).to.be.greaterThan(0);
  for (let i = 1; i < events.length; i++) {
    expect(events[i]!.transferred, `${side} progress increases`).to.be.greaterThan(events[i - 1]!.transferred);
  }
  expect(events.every((e) => e.total === total), `${side} total`).to.equal(true);
  expect(events.at(-1), `${side} ends at 100%`).to.deep.equal({ transferred: total, total });
}

/** A hand-written sender on `pc`: opens a file channel and records what comes back. */
async function rogueSender(pc: RTCPeerConnection): Promise<{ channel: RTCDataChannel; replies: unknown[] }> {
  const channel = pc.createDataChannel(FILE_CHANNEL_LABEL);
  const replies: unknown[] = [];
  channel.addEventListener('message', (e) => replies.push(JSON.parse(e.data as string)));
  await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
  return { channel, replies };
}

/**
 * The same bytes over a plain data channel with the same back-pressure scheme, no file
 * reading, hashing or protocol: the ceiling a file transfer is measured against.
 */
async function bareTransfer(pair: Pair, pieces: Uint8Array<ArrayBuffer>[], total: number): Promise<number> {
  const incoming = new Promise<void>((resolve) => {
    pair.b.addEventListener(
      'datachannel',
      ({ channel }) => {
        let received = 0;
        channel.addEventListener('message', (e) => {
          received += (e.data as ArrayBuffer).byteLength;
          if (received === total) resolve();
        });
      },
      { once: true },
    );
  });
  const channel = pair.a.createDataChannel('bare', { ordered: true });
  channel.bufferedAmountLowThreshold = 256 * 1024;
  await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
  const started = performance.now();
  for (const piece of pieces) {
    if (channel.bufferedAmount > 256 * 1024 && channel.bufferedAmount + piece.byteLength > MiB) {
      await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
    channel.send(piece);
  }
  await incoming;
  const elapsed = performance.now() - started;
  channel.close();
  return elapsed;
}

async function fileTransfer(pair: Pair, file: Blob): Promise<number> {
  const incoming = nextIncoming(pair.b, { maxSize: file.size });
  const started = performance.now();
  await sendFile(pair.a, file, { id: 'bench', name: 'bench.bin', type: '' });
  await incoming;
  return performance.now() - started;
}

describe('file transfer over a data channel', () => {
  let pairs: Pair[] = [];
  const pair = async () => {
    const made = await connectedPair();
    pairs.push(made);
    return made;
  };
  afterEach(() => {
    for (const { a, b } of pairs) {
      a.close();
      b.close();
    }
    pairs = [];
  });

  it('delivers a 20 MB file byte for byte, with progress on both sides ending at 100%', async () => {
    const { a, b } = await pair();
    const size = 20 * MiB;
    const source = new Blob(randomPieces(size), { type: 'application/octet-stream' });
    const sent: FileProgress[] = [];
    const received: FileProgress[] = [];
    const offers: unknown[] = [];
    const incoming = nextIncoming(b, {
      maxSize: 50 * MiB,
      onOffer: (offer) => offers.push(offer),
      onProgress: (p) => received.push(p),
    });

    const started = performance.now();
    const { sha256 } = await sendFile(a, source, { id: 'f1', name: 'random.bin', type: 'application/octet-stream' }, {
      onProgress: (p) => sent.push(p),
    });
    const file = await incoming;
    const seconds = (performance.now() - started) / 1000;
    console.log(`20 MiB file transfer: ${(size / MiB / seconds).toFixed(1)} MiB/s`);

    expect(offers).to.deep.equal([{ id: 'f1', name: 'random.bin', type: 'application/octet-stream', size }]);
    expect(file.id).to.equal('f1');
    expect(file.name).to.equal('random.bin');
    expect(file.size).to.equal(size);
    expect(file.blob.size).to.equal(size);
    expect(file.blob.type).to.equal('application/octet-stream');
    const want = await sha256Hex(source);
    expect(sha256, 'sender hash').to.equal(want);
    expect(await sha256Hex(file.blob), 'received bytes').to.equal(want);
    expectProgressToEnd(sent, size, 'sender');
    expectProgressToEnd(received, size, 'receiver');
    expect(received.length, 'receiver progress is throttled, not one call per chunk').to.be.lessThan(size / PIECE);
  });

  it('delivers an empty file', async () => {
    const { a, b } = await pair();
    const sent: FileProgress[] = [];
    const received: FileProgress[] = [];
    const incoming = nextIncoming(b, { maxSize: 10, onProgress: (p) => received.push(p) });
    const { sha256 } = await sendFile(a, new Blob([]), { id: 'e', name: 'empty.txt', type: 'text/plain' }, {
      onProgress: (p) => sent.push(p),
    });
    const file = await incoming;
    expect(sha256).to.equal(EMPTY_SHA256);
    expect(file).to.include({ id: 'e', name: 'empty.txt', type: 'text/plain', size: 0 });
    expect(file.blob.size).to.equal(0);
    expect(file.blob.type).to.equal('text/plain');
    expect(sent).to.deep.equal([{ transferred: 0, total: 0 }]);
    expect(received).to.deep.equal([{ transferred: 0, total: 0 }]);
  });

  it('refuses a file over maxSize on both sides, before keeping any of it', async () => {
    const { a, b } = await pair();
    const offers: unknown[] = [];
    const received: FileProgress[] = [];
    const incoming = outcome(nextIncoming(b, { maxSize: MiB, onOffer: (o) => offers.push(o), onProgress: (p) => received.push(p) }));
    const sending = outcome(sendFile(a, new Blob(randomPieces(3 * MiB)), { id: 'big', name: 'big.bin', type: '' }));

    const [receiver, sender] = await Promise.all([incoming, sending]);
    expect(sender.error?.code).to.equal('connection-failed');
    expect(sender.error?.message).to.equal('The receiver refused "big.bin": 3.0 MiB is larger than the limit of 1.0 MiB');
    expect(receiver.error?.code).to.equal('connection-failed');
    expect(receiver.error?.message).to.equal('Refused the file "big.bin": 3.0 MiB is larger than the limit of 1.0 MiB');
    expect(offers, 'a refused offer is not announced').to.deep.equal([]);
    expect(received).to.deep.equal([]);
  });

  it('cancels on the receiver when the sender aborts mid-way', async () => {
    const { a, b } = await pair();
    const size = 20 * MiB;
    const controller = new AbortController();
    let lastReceived = 0;
    const incoming = outcome(
      nextIncoming(b, {
        maxSize: size,
        onProgress: (p) => {
          lastReceived = p.transferred;
          if (p.transferred > 2 * MiB) controller.abort();
        },
      }),
    );
    const sending = outcome(sendFile(a, new Blob(randomPieces(size)), { id: 'c', name: 'c.bin', type: '' }, { signal: controller.signal }));

    const [receiver, sender] = await Promise.all([incoming, sending]);
    expect(controller.signal.aborted, 'aborted by the test').to.equal(true);
    expect(sender.error?.message).to.equal('The file transfer of "c.bin" was cancelled');
    expect(receiver.value).to.equal(undefined);
    expect(receiver.error?.message).to.equal('The sender cancelled the file transfer of "c.bin"');
    expect(lastReceived, 'stopped mid-way').to.be.lessThan(size);
  });

  it('cancels on the sender when the receiver aborts mid-way', async () => {
    const { a, b } = await pair();
    const size = 20 * MiB;
    const controller = new AbortController();
    const sent: FileProgress[] = [];
    const incoming = outcome(
      nextIncoming(b, {
        maxSize: size,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.transferred > 2 * MiB) controller.abort();
        },
      }),
    );
    const sending = outcome(
      sendFile(a, new Blob(randomPieces(size)), { id: 'r', name: 'r.bin', type: '' }, { onProgress: (p) => sent.push(p) }),
    );

    const [receiver, sender] = await Promise.all([incoming, sending]);
    expect(controller.signal.aborted, 'aborted by the test').to.equal(true);
    expect(receiver.error?.message).to.equal('The file transfer of "r.bin" was cancelled');
    expect(sender.value).to.equal(undefined);
    expect(sender.error?.message).to.equal('The receiver cancelled the transfer of "r.bin"');
    expect(sent.at(-1)?.transferred ?? 0, 'the sender stopped short').to.be.lessThan(size);
  });

  it('rejects as cancelled on the receiver when the sender closes the channel mid-way', async () => {
    const { a, b } = await pair();
    let progressed!: () => void;
    const halfway = new Promise<void>((resolve) => (progressed = resolve));
    const incoming = outcome(nextIncoming(b, { maxSize: MiB, onProgress: () => progressed() }));
    const { channel } = await rogueSender(a);
    channel.send(JSON.stringify({ t: 'offer', id: 'q', name: 'q.bin', type: '', size: 1000 }));
    channel.send(new Uint8Array(500));
    // Close only once the receiver has the first bytes: a close can overtake messages in flight.
    await halfway;
    channel.close();
    const receiver = await incoming;
    expect(receiver.error?.message).to.equal(
      'The file transfer of "q.bin" was cancelled: the sender closed the channel before it was complete',
    );
  });

  it('rejects on the sender when the receiver closes the channel mid-way', async () => {
    const { a, b } = await pair();
    b.addEventListener('datachannel', ({ channel }) => {
      let received = 0;
      channel.addEventListener('message', (e) => {
        if (e.data instanceof ArrayBuffer && (received += e.data.byteLength) > MiB) channel.close();
      });
    });
    const sender = await outcome(sendFile(a, new Blob(randomPieces(8 * MiB)), { id: 'k', name: 'k.bin', type: '' }));
    expect(sender.error?.message).to.equal('The file transfer of "k.bin" stopped: the channel closed before the receiver confirmed it');
  });

  it('rejects a sender that sends more bytes than it announced', async () => {
    const { a, b } = await pair();
    const incoming = outcome(nextIncoming(b, { maxSize: MiB }));
    const { channel, replies } = await rogueSender(a);
    channel.send(JSON.stringify({ t: 'offer', id: 'x', name: 'x.bin', type: '', size: 1000 }));
    channel.send(new Uint8Array(600));
    channel.send(new Uint8Array(600));
    channel.send(JSON.stringify({ t: 'done', sha256: EMPTY_SHA256 }));

    const receiver = await incoming;
    expect(receiver.error?.message).to.equal('File transfer protocol error: received more than the 1000 bytes announced');
    await waitUntil(() => replies.length > 0, 'the sender is told');
    expect(replies).to.deep.equal([{ t: 'fail', reason: receiver.error!.message }]);
    await waitUntil(() => channel.readyState === 'closed', 'the receiver closes the channel');
  });

  it('rejects a file whose hash does not match', async () => {
    const { a, b } = await pair();
    const incoming = outcome(nextIncoming(b, { maxSize: MiB }));
    const { channel, replies } = await rogueSender(a);
    channel.send(JSON.stringify({ t: 'offer', id: 'h', name: 'h.bin', type: '', size: 1000 }));
    channel.send(new Uint8Array(1000));
    channel.send(JSON.stringify({ t: 'done', sha256: EMPTY_SHA256 }));

    const receiver = await incoming;
    expect(receiver.error?.message).to.equal(
      'The file "h.bin" arrived damaged: the SHA-256 of the bytes received does not match the sender’s',
    );
    await waitUntil(() => replies.length > 0, 'the sender is told');
    expect(replies).to.deep.equal([{ t: 'fail', reason: 'the SHA-256 of the bytes received does not match the sender’s' }]);
  });

  it('tells a real sender when the hash does not match', async () => {
    const { a, b } = await pair();
    // A receiver that corrupts what it is given: the real sender must reject, not resolve.
    b.addEventListener('datachannel', ({ channel }) => {
      channel.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && JSON.parse(e.data).t === 'done') channel.send(JSON.stringify({ t: 'fail', reason: 'hash mismatch' }));
      });
    });
    const sender = await outcome(sendFile(a, new Blob([new Uint8Array(5000)]), { id: 'm', name: 'm.bin', type: '' }));
    expect(sender.error?.message).to.equal('The receiver rejected "m.bin": hash mismatch');
  });

  it('fails cleanly on text that is not a control message, and on bytes before the offer', async () => {
    const { a, b } = await pair();
    for (const poison of ['not json', '{"t":"offer","id":"i","name":"n","type":"","size":-1}', new Uint8Array(10)]) {
      const incoming = outcome(nextIncoming(b, { maxSize: MiB }));
      const { channel, replies } = await rogueSender(a);
      channel.send(poison as string);
      const receiver = await incoming;
      expect(receiver.error?.code).to.equal('connection-failed');
      expect(receiver.error?.message).to.match(/protocol error|Invalid file offer/);
      await waitUntil(() => replies.length > 0, 'the sender is told');
      expect((replies[0] as { t: string }).t).to.equal('fail');
    }
  });

  it('cleans the offered name and type of a hostile sender', async () => {
    const { a, b } = await pair();
    const incoming = nextIncoming(b, { maxSize: MiB });
    const { channel } = await rogueSender(a);
    const name = '../../etc/pass\u0000wd\u202Etxt.exe';
    channel.send(JSON.stringify({ t: 'offer', id: 'n', name, type: '<script>', size: 0 }));
    channel.send(JSON.stringify({ t: 'done', sha256: EMPTY_SHA256 }));
    const file = await incoming;
    expect(file.name).to.equal('.._.._etc_passwdtxt.exe');
    expect(file.type).to.equal('');
    expect(file.blob.type).to.equal('');
  });

  it('rejects a name longer than 255 characters on both sides', async () => {
    const { a } = await pair();
    const sender = await outcome(sendFile(a, new Blob(['x']), { id: 'l', name: 'n'.repeat(256), type: '' }));
    expect(sender.error?.code).to.equal('invalid-input');
    expect(sender.error?.message).to.match(/name must be at most 255/);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const { a } = await pair();
    const sender = await outcome(sendFile(a, new Blob(['x']), { id: 's', name: 's', type: '' }, { signal: AbortSignal.abort() }));
    expect(sender.error?.message).to.match(/cancelled before it started/);
  });

  it('moves a file at least half as fast as a bare channel with the same back-pressure', async function (this: Mocha.Context) {
    this.timeout(120000);
    const size = 20 * MiB;
    const pieces = randomPieces(size);
    const file = new Blob(pieces);
    const bare: number[] = [];
    const transfer: number[] = [];
    // Alternate and keep the best of three: one slow run (GC, scheduling) says nothing.
    for (let round = 0; round < 3; round++) {
      bare.push(await bareTransfer(await pair(), pieces, size));
      transfer.push(await fileTransfer(await pair(), file));
    }
    const rate = (ms: number) => size / MiB / (ms / 1000);
    const best = { bare: rate(Math.min(...bare)), file: rate(Math.min(...transfer)) };
    console.log(
      `throughput, 20 MiB, MiB/s: bare ${bare.map(rate).map((r) => r.toFixed(1)).join(' / ')}; ` +
        `file ${transfer.map(rate).map((r) => r.toFixed(1)).join(' / ')}; best ratio ${(best.file / best.bare).toFixed(2)}`,
    );
    expect(best.file / best.bare).to.be.greaterThan(0.5);
  });
});
