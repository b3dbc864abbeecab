import { LIMITS, type RelayedData, type RelayRequest } from '../../protocol/index.js';

/**
 * Chat and files in SFU rooms, where there is no peer connection between two pages to
 * open data channels on: the data goes through the signal server as `relay` events.
 *
 * `RelayChannel` behaves like the part of `RTCDataChannel` the chat and file-transfer
 * code uses (`send`, `close`, `readyState`, `bufferedAmount`,
 * `bufferedAmountLowThreshold`, `binaryType`, and the `open`, `message`, `close`,
 * `bufferedamountlow` events), so that code runs on it unchanged. Binary messages travel
 * as base64 (a third bigger: fine for chat and the occasional file). `bufferedAmount` is
 * the bytes the server has not acknowledged yet, which gives file transfers the same
 * back-pressure a data channel gives them.
 *
 * `RelayLinks` is one per call: it names channels, routes incoming `relay` events to
 * them (creating the receiving end on the first message), and paces what goes out so a
 * file does not run into the server's per-connection event rate limit.
 */

/** Largest binary message a relay channel carries: what fits `maxRelayDataLength` once in base64. */
export const RELAY_MAX_MESSAGE_BYTES = Math.floor(LIMITS.maxRelayDataLength / 4) * 3;

/** Sends one relay event and resolves once the server acknowledged it. */
export type RelaySend = (request: RelayRequest) => Promise<void>;

/** What `sendFile` needs from a connection: a way to open a channel, and the largest message. */
export interface RelayOpener {
  createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel;
  readonly sctp: { readonly maxMessageSize: number };
}

/** One relay channel between this page and one participant; see the module comment. */
export class RelayChannel extends EventTarget {
  /** Like `RTCDataChannel.label`: what the channel is for (`chat`, `rtc-file`). */
  readonly label: string;
  /** The name on the wire: unique per pair of participants while the channel is open. */
  readonly name: string;
  readonly peerId: string;
  binaryType: BinaryType = 'arraybuffer';
  bufferedAmountLowThreshold = 0;
  #readyState: RTCDataChannelState;
  #bufferedAmount = 0;
  readonly #links: RelayLinks;

  /** @internal Made by `RelayLinks` only. */
  constructor(links: RelayLinks, peerId: string, name: string, label: string, open: boolean) {
    super();
    this.#links = links;
    this.peerId = peerId;
    this.name = name;
    this.label = label;
    this.#readyState = open ? 'open' : 'connecting';
    // Nothing to set up through a server: an outgoing channel opens in the next task, once
    // its creator had the chance to listen for `open`, as a data channel would.
    if (!open) setTimeout(() => this.#open(), 0);
  }

  get readyState(): RTCDataChannelState {
    return this.#readyState;
  }

  /** Bytes sent but not yet acknowledged by the server. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** Sends text, or binary data (as base64). Throws, like a data channel, when not open or too big. */
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.#readyState !== 'open') throw new DOMException(`The relay channel is ${this.#readyState}`, 'InvalidStateError');
    let wire: string;
    let size: number;
    let binary = false;
    if (typeof data === 'string') {
      wire = data;
      size = new TextEncoder().encode(data).byteLength;
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      wire = toBase64(bytes);
      size = bytes.byteLength;
      binary = true;
    } else {
      throw new TypeError('A relay channel sends strings and binary buffers, not Blobs');
    }
    if (wire.length > LIMITS.maxRelayDataLength) {
      throw new DOMException(`A relay message is at most ${LIMITS.maxRelayDataLength} characters as sent`, 'OperationError');
    }
    this.#bufferedAmount += size;
    this.#links.enqueue(this, { to: this.peerId, channel: this.name, data: wire, ...(binary ? { binary } : {}) }, size);
  }

  /** Closes this end and tells the other one. */
  close(): void {
    if (this.#readyState === 'closed' || this.#readyState === 'closing') return;
    const wasOpen = this.#readyState === 'open';
    this.#readyState = 'closing';
    // After the data already queued, like a data channel: the other side gets it all first.
    if (wasOpen) this.#links.enqueue(this, { to: this.peerId, channel: this.name, close: true }, 0);
    this.closed();
  }

  /** @internal The server acknowledged `size` bytes of ours. */
  acknowledged(size: number): void {
    const before = this.#bufferedAmount;
    this.#bufferedAmount = Math.max(0, before - size);
    if (size > 0 && before > this.bufferedAmountLowThreshold && this.#bufferedAmount <= this.bufferedAmountLowThreshold) {
      this.dispatchEvent(new Event('bufferedamountlow'));
    }
  }

  /** @internal A message from the other side. */
  deliver(relayed: RelayedData): void {
    if (this.#readyState !== 'open') return;
    if (relayed.close) {
      this.closed();
      return;
    }
    if (relayed.data === undefined) return;
    let data: string | ArrayBuffer | Blob = relayed.data;
    if (relayed.binary) {
      const bytes = fromBase64(relayed.data);
      if (!bytes) return;
      data = this.binaryType === 'blob' ? new Blob([bytes]) : bytes.buffer;
    }
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  /** @internal Ends the channel (closed by either side, lost, or the call ended). */
  closed(): void {
    if (this.#readyState === 'closed') return;
    this.#readyState = 'closed';
    this.#bufferedAmount = 0;
    this.#links.forget(this);
    this.dispatchEvent(new Event('close'));
  }

  #open(): void {
    if (this.#readyState !== 'connecting') return;
    this.#readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
}

export interface RelayLinksOptions {
  send: RelaySend;
  /** The other side opened a channel (its first message is about to be delivered). */
  onChannel: (channel: RelayChannel) => void;
  /** Events per second the pacer lets out, sustained. Default 30: under the server's per-connection limit, with room for signaling. */
  perSecond?: number;
  /** Events the pacer lets out at once before pacing. Default 60. */
  burst?: number;
}

/** Names of channels closed lately, so their late messages do not open them again. */
const CLOSED_MEMORY = 256;

/** Every relay channel of one call; see the module comment. */
export class RelayLinks {
  readonly #options: RelayLinksOptions;
  readonly #channels = new Map<string, RelayChannel>();
  readonly #closed = new Set<string>();
  /** Messages waiting for the pacer, in the order they were sent (the server keeps that order). */
  readonly #queue: { channel: RelayChannel; request: RelayRequest; size: number }[] = [];
  #tokens: number;
  #refilledAt = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;

  constructor(options: RelayLinksOptions) {
    this.#options = options;
    this.#tokens = options.burst ?? 60;
  }

  /**
   * The `chat` channel with one participant: both sides use the same one, whoever sent
   * first, so it is announced through `onChannel` either way.
   */
  chat(peerId: string): RelayChannel {
    const existing = this.#channels.get(key(peerId, 'chat'));
    if (existing) return existing;
    const channel = this.#add(peerId, 'chat', 'chat', true);
    this.#options.onChannel(channel);
    return channel;
  }

  /** What `sendFile` takes as the connection to one participant: each channel it opens is new. */
  opener(peerId: string): RelayOpener {
    return {
      createDataChannel: (label) => this.#add(peerId, `${label}/${randomName()}`, label, false) as unknown as RTCDataChannel,
      sctp: { maxMessageSize: RELAY_MAX_MESSAGE_BYTES },
    };
  }

  /** Routes one incoming `relay` event. */
  handle(relayed: RelayedData): void {
    if (this.#disposed) return;
    const name = relayed.channel;
    let channel = this.#channels.get(key(relayed.from, name));
    if (!channel) {
      if (relayed.close || this.#closed.has(key(relayed.from, name))) return;
      channel = this.#add(relayed.from, name, name.split('/')[0]!, true);
      this.#options.onChannel(channel);
    }
    channel.deliver(relayed);
  }

  /** Closes every channel with a participant who left. */
  closePeer(peerId: string): void {
    for (const channel of [...this.#channels.values()]) if (channel.peerId === peerId) channel.closed();
  }

  /** Closes everything; nothing more goes out. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
    for (const channel of [...this.#channels.values()]) channel.closed();
  }

  /** @internal */
  enqueue(channel: RelayChannel, request: RelayRequest, size: number): void {
    if (this.#disposed) return;
    this.#queue.push({ channel, request, size });
    this.#pump();
  }

  /** @internal */
  forget(channel: RelayChannel): void {
    const id = key(channel.peerId, channel.name);
    if (this.#channels.get(id) !== channel) return;
    this.#channels.delete(id);
    this.#closed.add(id);
    if (this.#closed.size > CLOSED_MEMORY) this.#closed.delete(this.#closed.values().next().value!);
  }

  #add(peerId: string, name: string, label: string, open: boolean): RelayChannel {
    const channel = new RelayChannel(this, peerId, name, label, open);
    this.#channels.set(key(peerId, name), channel);
    return channel;
  }

  /** Lets queued messages out as the token bucket allows. */
  #pump(): void {
    if (this.#timer !== undefined) return;
    const perSecond = this.#options.perSecond ?? 30;
    const burst = this.#options.burst ?? 60;
    const now = performance.now();
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) / 1000) * perSecond);
    this.#refilledAt = now;
    while (this.#queue.length && this.#tokens >= 1) {
      this.#tokens -= 1;
      const { channel, request, size } = this.#queue.shift()!;
      this.#options.send(request).then(
        () => channel.acknowledged(size),
        // Refused or lost: the bytes after it would arrive with a hole, so the channel ends.
        () => channel.closed(),
      );
    }
    if (this.#queue.length) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, Math.ceil(((1 - this.#tokens) / perSecond) * 1000));
    }
  }
}

function key(peerId: string, name: string): string {
  return `${peerId}\n${name}`;
}

function randomName(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  // In slices: String.fromCharCode(...all) overflows the stack on large buffers.
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
