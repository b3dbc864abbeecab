/**
 * Relay channels (chat and files through the signal server in SFU rooms) against a fake
 * server: two pages' `RelayLinks` back to back. The real file-transfer code runs on them
 * unchanged; the end-to-end proof with the real server is test/e2e/sfu.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { LIMITS, type RelayedData, type RelayRequest } from '../../src/protocol/index.js';
import { receiveFile, sendFile } from '../../src/core/data/file-transfer.js';
import { RELAY_MAX_MESSAGE_BYTES, RelayLinks, type RelayChannel } from '../../src/core/sfu/relay-channel.js';
import { bytesFrom } from './random-bytes.js';

/**
 * Two participants, `a` and `b`, whose relays go through a fake server: it checks each
 * event against the protocol's limit, acknowledges it (after `ackDelayMs`, or refuses it
 * when `refuse` says so) and passes it on in order.
 */
function pair(
  options: {
    ackDelayMs?: number;
    refuse?: (request: RelayRequest) => boolean;
    perSecond?: number;
    burst?: number;
    onChannel?: (self: 'a' | 'b', channel: RelayChannel) => void;
  } = {},
) {
  const sent: { from: string; request: RelayRequest; at: number }[] = [];
  const channels: Record<'a' | 'b', RelayChannel[]> = { a: [], b: [] };
  const links = {} as Record<'a' | 'b', RelayLinks>;
  const make = (self: 'a' | 'b'): RelayLinks =>
    new RelayLinks({
      perSecond: options.perSecond,
      burst: options.burst,
      onChannel: (channel) => {
        channels[self].push(channel);
        options.onChannel?.(self, channel);
      },
      send: (request) => {
        sent.push({ from: self, request, at: performance.now() });
        assert.ok((request.data?.length ?? 0) <= LIMITS.maxRelayDataLength, 'within the relay limit');
        if (options.refuse?.(request)) return Promise.reject(new Error('refused'));
        const { to, ...rest } = request;
        const relayed: RelayedData = { ...rest, from: self };
        // In order and in a later task, like one socket.io connection; acknowledged a little later.
        setTimeout(() => links[to as 'a' | 'b'].handle(relayed), 0);
        return new Promise((resolve) => setTimeout(resolve, options.ackDelayMs ?? 0));
      },
    });
  links.a = make('a');
  links.b = make('b');
  return { links, channels, sent };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('RelayChannel', () => {
  it('carries text and binary messages, in order, to the same channel on the other side', async () => {
    const { links, channels } = pair();
    const chatA = links.a.chat('b');
    const received: unknown[] = [];
    chatA.send('hello');
    chatA.send(new Uint8Array([1, 2, 3]));
    chatA.send(new Uint8Array([9, 8, 7, 6]).subarray(1, 3));
    await tick();
    const chatB = channels.b.find((c) => c.label === 'chat');
    assert.ok(chatB, 'b got the chat channel announced on the first message');
    // The first message was delivered while the channel was being announced; listen for the rest.
    chatB.addEventListener('message', (event) => received.push((event as MessageEvent).data));
    chatA.send('bye');
    await tick();
    assert.deepEqual(received, ['bye']);
    // Both sides use the one `chat` channel: b answering does not open another.
    assert.equal(links.b.chat('a'), chatB);
    const back: unknown[] = [];
    chatA.addEventListener('message', (event) => back.push((event as MessageEvent).data));
    chatB.send(new Uint8Array([42]));
    await tick();
    assert.ok(back[0] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(back[0] as ArrayBuffer)], [42]);
  });

  it('counts unacknowledged bytes in bufferedAmount and fires bufferedamountlow as acks come in', async () => {
    const { links } = pair({ ackDelayMs: 20 });
    const channel = links.a.opener('b').createDataChannel('rtc-file') as unknown as RelayChannel;
    assert.equal(channel.readyState, 'connecting');
    await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
    channel.bufferedAmountLowThreshold = 1000;
    let lows = 0;
    channel.addEventListener('bufferedamountlow', () => lows++);
    for (let i = 0; i < 4; i++) channel.send(new Uint8Array(1000));
    assert.equal(channel.bufferedAmount, 4000);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(channel.bufferedAmount, 0);
    assert.equal(lows, 1, 'once, when it fell to the threshold');
  });

  it('refuses a message larger than the relay limit, like a data channel refuses one over its max size', () => {
    const { links } = pair();
    const chat = links.a.chat('b');
    assert.throws(() => chat.send(new Uint8Array(RELAY_MAX_MESSAGE_BYTES + 1)), /at most/);
    chat.send(new Uint8Array(RELAY_MAX_MESSAGE_BYTES));
  });

  it('closes when the server refuses a message (the data after it would have a hole)', async () => {
    const { links } = pair({ refuse: (request) => request.data === 'bad' });
    const chat = links.a.chat('b');
    let closed = false;
    chat.addEventListener('close', () => (closed = true));
    chat.send('bad');
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(closed, true);
    assert.equal(chat.readyState, 'closed');
    assert.throws(() => chat.send('more'), /closed/);
  });

  it('tells the other side when it closes, and ignores late messages to a closed channel', async () => {
    const { links, channels } = pair();
    const channel = links.a.opener('b').createDataChannel('rtc-file') as unknown as RelayChannel;
    await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
    channel.send('{"t":"cancel"}');
    await tick();
    const remote = channels.b[0]!;
    assert.equal(remote.label, 'rtc-file');
    let remoteClosed = false;
    remote.addEventListener('close', () => (remoteClosed = true));
    channel.close();
    await tick();
    assert.equal(remoteClosed, true);
    // A message still on its way to a channel that closed does not open it again.
    links.b.handle({ from: 'a', channel: remote.name, data: 'late' });
    assert.equal(channels.b.length, 1);
  });

  it('paces what goes out under the server rate limit', async () => {
    const { links, sent } = pair({ perSecond: 50, burst: 5 });
    const chat = links.a.chat('b');
    const started = performance.now();
    for (let i = 0; i < 10; i++) chat.send(`m${i}`);
    assert.equal(sent.length, 5, 'the burst goes at once');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(sent.length, 10);
    assert.ok(sent[9]!.at - started >= 80, 'the rest at the sustained rate');
    assert.deepEqual(sent.map((s) => s.request.data), Array.from({ length: 10 }, (_, i) => `m${i}`), 'in order');
  });

  it('runs the real file transfer unchanged: chunks within the limit, SHA-256 checked', async () => {
    // The receiver is wired the way the Call does it: in onChannel, before the offer is delivered.
    const incoming: { file?: Promise<{ blob: Blob; name: string }> } = {};
    const { links, sent } = pair({ ackDelayMs: 1, perSecond: 1000, burst: 100, onChannel: (self, channel) => {
      if (self === 'b' && channel.label === 'rtc-file') incoming.file = receiveFile(channel as unknown as RTCDataChannel, { maxSize: 1e6 });
    } });
    const data = bytesFrom(0x9e3779b9, 300_000);
    const progress: number[] = [];
    const result = await sendFile(links.a.opener('b'), new Blob([data]), { id: 'f1', name: 'data.bin', type: 'application/octet-stream' }, {
      onProgress: ({ transferred }) => progress.push(transferred),
    });
    assert.ok(incoming.file, 'b received a file channel');
    const file = await incoming.file;
    const got = new Uint8Array(await file.blob.arrayBuffer());
    const want = createHash('sha256').update(data).digest('hex');
    assert.equal(createHash('sha256').update(got).digest('hex'), want);
    assert.equal(result.sha256, want);
    assert.equal(file.name, 'data.bin');
    assert.equal(progress.at(-1), data.byteLength);
    const binary = sent.filter((s) => s.request.binary);
    assert.ok(binary.length >= Math.ceil(data.byteLength / RELAY_MAX_MESSAGE_BYTES), 'chunked to fit the relay');
    assert.ok(binary.every((s) => s.request.data!.length <= LIMITS.maxRelayDataLength));
  });
});
