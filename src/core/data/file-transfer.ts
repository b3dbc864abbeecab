/**
 * File transfer between two peers, one file per RTCDataChannel.
 *
 * Wire protocol, on a channel labelled `rtc-file` (ordered, reliable) that the sender
 * opens on an already connected RTCPeerConnection. Text messages are JSON control
 * messages; binary messages are file bytes, in order.
 *
 *   sender -> receiver   {"t":"offer","id","name","type","size"}  first message, exactly once
 *   sender -> receiver   <binary> ...                             the file, `size` bytes in total
 *   sender -> receiver   {"t":"done","sha256":"<64 hex>"}         SHA-256 of all the bytes
 *   receiver -> sender   {"t":"ack"}                              hashes matched: success
 *   receiver -> sender   {"t":"refuse","reason"}                  offer declined (e.g. too large)
 *   receiver -> sender   {"t":"fail","reason"}                    hash mismatch, too many bytes, bad message
 *   either -> other      {"t":"cancel"}                           the sending side gave up
 *
 * The sender streams right after the offer (no accept round trip), so a refusal arrives
 * while bytes are in flight; whoever ends a transfer sends its message and closes the
 * channel, and the other side treats a close before the end as a cancellation. Neither
 * side ever holds the whole file in one buffer: the sender reads the Blob slice by slice,
 * the receiver keeps the chunks as Blob parts.
 */
import { RtcError } from '../errors.js';
import { Sha256 } from './sha256.js';

/** The label of every file transfer channel; route `datachannel` events with it. */
export const FILE_CHANNEL_LABEL = 'rtc-file';

/**
 * What `sendFile` needs of a connection: an RTCPeerConnection, or in SFU rooms a relay
 * through the signal server (`RelayLinks.opener`), whose channels behave like data channels.
 */
export interface DataChannelOpener {
  createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel;
  readonly sctp: { readonly maxMessageSize: number } | null;
}

/** What a sender announces, after the receiver has validated and cleaned it. */
export interface FileOffer {
  id: string;
  /** A bare file name: no path separators, no control or bidi characters, ≤ 255 chars. */
  name: string;
  /** A MIME type, or `''` when the sender gave none or something that is not one. */
  type: string;
  /** Bytes; a safe non-negative integer. */
  size: number;
}

/** A file received completely, with its SHA-256 checked. */
export interface ReceivedFile extends FileOffer {
  blob: Blob;
}

/** How far a transfer is, in bytes. */
export interface FileProgress {
  transferred: number;
  total: number;
}

export interface SendFileOptions {
  /** Throttled; the last call is always `transferred === total`, once the receiver confirmed. */
  onProgress?: (progress: FileProgress) => void;
  /** Aborting cancels the transfer and tells the receiver. */
  signal?: AbortSignal;
  /** Bytes per binary message, 64 KiB by default; capped at the connection's max message size. */
  chunkSize?: number;
}

export interface ReceiveFileOptions {
  /** Offers larger than this many bytes are refused before any data is kept. */
  maxSize: number;
  /** Called once with the validated offer, unless it is refused for its size, before the bytes arrive. */
  onOffer?: (offer: FileOffer) => void;
  /** Throttled; the last call is always `transferred === total`, once the hash matched. */
  onProgress?: (progress: FileProgress) => void;
  /** Aborting cancels the transfer and tells the sender. */
  signal?: AbortSignal;
}

type Control =
  | ({ t: 'offer' } & FileOffer)
  | { t: 'done'; sha256: string }
  | { t: 'ack' }
  | { t: 'refuse'; reason: string }
  | { t: 'fail'; reason: string }
  | { t: 'cancel' };

const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Chromium's SCTP max message size; larger sends throw. */
const MAX_CHUNK_BYTES = 256 * 1024;
/** Back-pressure: stop queueing above ~1 MiB, resume when the queue drains to 256 KiB. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** The sender reads the Blob 1 MiB at a time (never the whole file) and sends it in chunks. */
const READ_BLOCK_BYTES = 1024 * 1024;
const MAX_NAME_CHARS = 255;
const MAX_TYPE_CHARS = 255;
const MAX_ID_CHARS = 255;
/** No control message comes near this; a bigger text message is an attack, not JSON to parse. */
const MAX_CONTROL_CHARS = 4096;
const MAX_REASON_CHARS = 200;
const PROGRESS_INTERVAL_MS = 50;

/**
 * Sends `file` to the peer at the other end of `pc` on a new `rtc-file` data channel
 * and resolves once the receiver has confirmed the SHA-256 of what arrived.
 *
 * `pc` must already have an SCTP association (a data channel was negotiated when it
 * connected), else the channel never opens. Rejects with an `RtcError`: `invalid-input`
 * for bad `meta` or `chunkSize`, `connection-failed` when the receiver refuses or
 * reports a mismatch, the channel closes early, or `signal` aborts (the receiver is told).
 */
export function sendFile(
  pc: DataChannelOpener,
  file: Blob,
  meta: { id: string; name: string; type: string },
  options: SendFileOptions = {},
): Promise<{ sha256: string }> {
  let offer: FileOffer;
  let chunkSize: number;
  try {
    offer = checkOffer({ ...meta, size: file.size });
    chunkSize = checkChunkSize(options.chunkSize, pc.sctp?.maxMessageSize);
  } catch (error) {
    return Promise.reject(error);
  }
  if (options.signal?.aborted) return Promise.reject(cancelled('The file transfer was cancelled before it started'));
  const channel = pc.createDataChannel(FILE_CHANNEL_LABEL, { ordered: true });
  return new FileSender(channel, file, offer, chunkSize, options).result;
}

/**
 * Receives one file on a channel from `pc.ondatachannel` whose label is
 * `FILE_CHANNEL_LABEL`. Call it in the same task as the `datachannel` event so the
 * offer cannot be missed.
 *
 * Resolves with the file once its SHA-256 matched; rejects with an `RtcError`
 * (`connection-failed`) when the offer is invalid or larger than `maxSize` (it is
 * refused), the sender misbehaves, or either side cancels (the message says so).
 */
export function receiveFile(channel: RTCDataChannel, options: ReceiveFileOptions): Promise<ReceivedFile> {
  return new FileReceiver(channel, options).result;
}

interface LinkHandlers {
  onText: (control: Control) => void;
  onBinary: (data: ArrayBuffer) => void;
  /** The error to reject with when the channel closes before the transfer ended. */
  closedEarly: () => RtcError;
  /** The error to reject with when our own signal aborts; the other side gets `cancel`. */
  aborted: () => RtcError;
}

/**
 * The part both sides share: one channel, one settled-once result, every listener
 * removed when it settles, and a way for an async loop to wait on a channel event
 * that also wakes when the transfer ends.
 */
class Link<T> {
  readonly result: Promise<T>;
  readonly channel: RTCDataChannel;
  #resolve!: (value: T) => void;
  #reject!: (error: RtcError) => void;
  #ended = false;
  readonly #wakers = new Set<() => void>();
  readonly #handlers: LinkHandlers;
  readonly #signal: AbortSignal | undefined;

  constructor(channel: RTCDataChannel, signal: AbortSignal | undefined, handlers: LinkHandlers) {
    this.channel = channel;
    this.#signal = signal;
    this.#handlers = handlers;
    this.result = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', this.#onMessage);
    channel.addEventListener('close', this.#onClose);
    signal?.addEventListener('abort', this.#onAbort);
    if (signal?.aborted) this.#onAbort();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends a control message if the channel can still carry it. */
  send(control: Control): void {
    if (this.channel.readyState === 'open') this.channel.send(JSON.stringify(control));
  }

  /** Resolves once `type` fires on the channel, or at once if the transfer has ended. */
  waitFor(type: 'open' | 'bufferedamountlow'): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.channel.removeEventListener(type, wake);
        this.#wakers.delete(wake);
        resolve();
      };
      this.channel.addEventListener(type, wake);
      this.#wakers.add(wake);
    });
  }

  finish(value: T): void {
    if (this.#end()) this.#resolve(value);
  }

  /** Ends the transfer with `error`, telling the other side with `notify` first. */
  fail(error: RtcError, notify?: Control): void {
    if (this.#ended) return;
    try {
      if (notify) this.send(notify);
    } catch {
      // The channel is going away anyway; the other side will see it close.
    }
    if (this.#end()) this.#reject(error);
  }

  #end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.channel.removeEventListener('message', this.#onMessage);
    this.channel.removeEventListener('close', this.#onClose);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    // Queued messages are still delivered: the SCTP stream resets after they are sent.
    this.channel.close();
    for (const wake of [...this.#wakers]) wake();
    return true;
  }

  readonly #onMessage = (event: MessageEvent): void => {
    try {
      if (typeof event.data === 'string') {
        const control = parseControl(event.data);
        if (!control) throw protocolError('an unreadable control message');
        this.#handlers.onText(control);
      } else if (event.data instanceof ArrayBuffer) {
        this.#handlers.onBinary(event.data);
      } else {
        throw protocolError('a message of an unexpected kind');
      }
    } catch (error) {
      this.fail(toRtcError(error), { t: 'fail', reason: describe(error) });
    }
  };

  /** Ends the transfer as closed early (the close event may not have fired yet). */
  closed(): void {
    this.fail(this.#handlers.closedEarly());
  }

  readonly #onClose = (): void => this.closed();

  readonly #onAbort = (): void => this.fail(this.#handlers.aborted(), { t: 'cancel' });
}

/** One outgoing file: offer, chunks under back-pressure, hash, then wait for the verdict. */
class FileSender {
  readonly #link: Link<{ sha256: string }>;
  readonly #file: Blob;
  readonly #offer: FileOffer;
  readonly #chunkSize: number;
  readonly #progress: (transferred: number, final?: boolean) => void;
  #sha256: string | null = null;

  constructor(channel: RTCDataChannel, file: Blob, offer: FileOffer, chunkSize: number, options: SendFileOptions) {
    this.#file = file;
    this.#offer = offer;
    this.#chunkSize = chunkSize;
    this.#progress = progressReporter(offer.size, options.onProgress);
    this.#link = new Link(channel, options.signal, {
      onText: (control) => this.#onControl(control),
      onBinary: () => {
        throw protocolError('file bytes from the receiver');
      },
      closedEarly: () =>
        new RtcError('connection-failed', `The file transfer of "${offer.name}" stopped: the channel closed before the receiver confirmed it`),
      aborted: () => cancelled(`The file transfer of "${offer.name}" was cancelled`),
    });
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    void this.#pump().catch((error: unknown) => {
      this.#link.fail(toRtcError(error, 'The file could not be sent'), { t: 'cancel' });
    });
  }

  get result(): Promise<{ sha256: string }> {
    return this.#link.result;
  }

  async #pump(): Promise<void> {
    const link = this.#link;
    if (link.channel.readyState !== 'open') await link.waitFor('open');
    if (link.ended) return;
    link.send({ t: 'offer', ...this.#offer });
    const hash = new Sha256();
    const size = this.#offer.size;
    // Read a block ahead while the current one is sent: one Blob read per chunk would
    // stall the refill after each back-pressure pause on read latency.
    const blockSize = Math.ceil(READ_BLOCK_BYTES / this.#chunkSize) * this.#chunkSize;
    let next = size > 0 ? this.#read(0, blockSize) : null;
    for (let offset = 0; next; ) {
      const block = new Uint8Array(await next);
      if (link.ended) return;
      // A File edited on disk mid-transfer can read short; never loop on empty reads.
      if (block.byteLength === 0) throw new Error('the file changed while it was being sent');
      const end = offset + block.byteLength;
      next = end < size ? this.#read(end, blockSize) : null;
      hash.update(block);
      if (!(await this.#sendBlock(block, offset))) return;
      offset = end;
    }
    this.#sha256 = hash.digestHex();
    link.send({ t: 'done', sha256: this.#sha256 });
  }

  /** Sends one block in chunks, pausing while ~1 MiB is queued; false once the transfer ended. */
  async #sendBlock(block: Uint8Array<ArrayBuffer>, blockOffset: number): Promise<boolean> {
    const link = this.#link;
    const channel = link.channel;
    for (let start = 0; start < block.byteLength; start += this.#chunkSize) {
      const chunk = block.subarray(start, start + this.#chunkSize);
      if (channel.bufferedAmount > LOW_WATER_BYTES && channel.bufferedAmount + chunk.byteLength > HIGH_WATER_BYTES) {
        await link.waitFor('bufferedamountlow');
        if (link.ended) return false;
      }
      // Closing, after the other side closed: say so rather than fail on send().
      if (channel.readyState !== 'open') {
        link.closed();
        return false;
      }
      channel.send(chunk);
      this.#progress(Math.max(0, blockOffset + start + chunk.byteLength - channel.bufferedAmount));
    }
    return true;
  }

  /** One block of the file; a failed read is handled where it is awaited, not unhandled. */
  #read(offset: number, length: number): Promise<ArrayBuffer> {
    const read = this.#file.slice(offset, offset + length).arrayBuffer();
    read.catch(() => undefined);
    return read;
  }

  #onControl(control: Control): void {
    const name = this.#offer.name;
    switch (control.t) {
      case 'ack':
        if (this.#sha256 === null) throw protocolError('a confirmation before the file was complete');
        this.#progress(this.#offer.size, true);
        this.#link.finish({ sha256: this.#sha256 });
        return;
      case 'refuse':
        this.#link.fail(new RtcError('connection-failed', `The receiver refused "${name}": ${control.reason}`));
        return;
      case 'fail':
        this.#link.fail(new RtcError('connection-failed', `The receiver rejected "${name}": ${control.reason}`));
        return;
      case 'cancel':
        this.#link.fail(cancelled(`The receiver cancelled the transfer of "${name}"`));
        return;
      default:
        throw protocolError(`a "${control.t}" message from the receiver`);
    }
  }
}

/** One incoming file: validate the offer, collect and hash the chunks, check the hash. */
class FileReceiver {
  readonly #link: Link<ReceivedFile>;
  readonly #options: ReceiveFileOptions;
  readonly #hash = new Sha256();
  readonly #chunks: ArrayBuffer[] = [];
  #offer: FileOffer | null = null;
  #received = 0;
  #progress: (transferred: number, final?: boolean) => void = () => undefined;

  constructor(channel: RTCDataChannel, options: ReceiveFileOptions) {
    this.#options = options;
    this.#link = new Link(channel, options.signal, {
      onText: (control) => this.#onControl(control),
      onBinary: (data) => this.#onChunk(data),
      closedEarly: () => cancelled(`The file transfer${this.#named()} was cancelled: the sender closed the channel before it was complete`),
      aborted: () => cancelled(`The file transfer${this.#named()} was cancelled`),
    });
  }

  get result(): Promise<ReceivedFile> {
    return this.#link.result;
  }

  #named(): string {
    return this.#offer ? ` of "${this.#offer.name}"` : '';
  }

  #onControl(control: Control): void {
    switch (control.t) {
      case 'offer':
        this.#onOffer(control);
        return;
      case 'done':
        this.#onDone(control.sha256);
        return;
      case 'cancel':
        this.#link.fail(cancelled(`The sender cancelled the file transfer${this.#named()}`));
        return;
      default:
        throw protocolError(`a "${control.t}" message from the sender`);
    }
  }

  #onOffer(control: FileOffer): void {
    if (this.#offer) throw protocolError('a second offer');
    const offer = checkOffer(control, 'connection-failed');
    this.#offer = offer;
    const { maxSize } = this.#options;
    if (offer.size > maxSize) {
      const reason = `${formatBytes(offer.size)} is larger than the limit of ${formatBytes(maxSize)}`;
      this.#link.fail(new RtcError('connection-failed', `Refused the file "${offer.name}": ${reason}`), { t: 'refuse', reason });
      return;
    }
    this.#progress = progressReporter(offer.size, this.#options.onProgress);
    this.#options.onOffer?.({ ...offer });
  }

  #onChunk(data: ArrayBuffer): void {
    const offer = this.#offer;
    if (!offer) throw protocolError('file bytes before the offer');
    if (this.#received + data.byteLength > offer.size) {
      throw protocolError(`more than the ${offer.size} bytes announced`);
    }
    this.#received += data.byteLength;
    this.#chunks.push(data);
    this.#hash.update(new Uint8Array(data));
    this.#progress(this.#received);
  }

  #onDone(sha256: string): void {
    const offer = this.#offer;
    if (!offer) throw protocolError('"done" before the offer');
    if (this.#received !== offer.size) {
      throw protocolError(`"done" after ${this.#received} of the ${offer.size} bytes announced`);
    }
    if (this.#hash.digestHex() !== sha256) {
      const reason = 'the SHA-256 of the bytes received does not match the sender’s';
      this.#link.fail(new RtcError('connection-failed', `The file "${offer.name}" arrived damaged: ${reason}`), { t: 'fail', reason });
      return;
    }
    // Blob parts, not one concatenated buffer: the browser may page large Blobs to disk.
    const blob = new Blob(this.#chunks, { type: offer.type });
    this.#chunks.length = 0;
    this.#link.send({ t: 'ack' });
    this.#progress(offer.size, true);
    this.#link.finish({ ...offer, blob });
  }
}

/** Parses one text message into a control message of a known shape, or `null`. */
function parseControl(text: string): Control | null {
  if (text.length > MAX_CONTROL_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  switch (message.t) {
    case 'offer':
      return { t: 'offer', id: message.id, name: message.name, type: message.type, size: message.size } as Control;
    case 'done':
      return typeof message.sha256 === 'string' && /^[0-9a-f]{64}$/.test(message.sha256) ? { t: 'done', sha256: message.sha256 } : null;
    case 'refuse':
    case 'fail':
      return { t: message.t, reason: typeof message.reason === 'string' ? message.reason.slice(0, MAX_REASON_CHARS) : 'no reason given' };
    case 'ack':
    case 'cancel':
      return { t: message.t };
    default:
      return null;
  }
}

/**
 * Validates an offer's fields (they come from the other peer, so nothing is trusted)
 * and returns a clean copy. The sender runs it too, so it never announces what a
 * receiver would reject.
 */
function checkOffer(offer: { id: unknown; name: unknown; type: unknown; size: unknown }, code: 'invalid-input' | 'connection-failed' = 'invalid-input'): FileOffer {
  const { id, name, type, size } = offer;
  const invalid = (what: string) => new RtcError(code, `Invalid file offer: ${what}`);
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_CHARS) throw invalid(`the id must be 1 to ${MAX_ID_CHARS} characters`);
  if (typeof name !== 'string' || name.length > MAX_NAME_CHARS) throw invalid(`the name must be at most ${MAX_NAME_CHARS} characters`);
  if (typeof type !== 'string' || type.length > MAX_TYPE_CHARS) throw invalid(`the type must be at most ${MAX_TYPE_CHARS} characters`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid('the size must be a whole number of bytes');
  return { id, name: cleanFileName(name), type: cleanMimeType(type), size };
}

/**
 * A name safe to show and to save under: path separators become `_` so it cannot climb
 * directories; control and bidi-override characters go (they disguise extensions).
 */
export function cleanFileName(name: string): string {
  const cleaned = name
    .replace(/[/\\]/g, '_')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/** `type/subtype` (parameters allowed) in lower case, else `''`: a Blob type is not free text. */
function cleanMimeType(type: string): string {
  const lower = type.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?$/.test(lower) ? lower : '';
}

function checkChunkSize(requested: number | undefined, maxMessageSize: number | undefined): number {
  if (requested === undefined) return Math.min(DEFAULT_CHUNK_BYTES, maxMessageSize || DEFAULT_CHUNK_BYTES);
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw new RtcError('invalid-input', `chunkSize must be a positive whole number of bytes, not ${requested}`);
  }
  return Math.min(requested, MAX_CHUNK_BYTES, maxMessageSize || MAX_CHUNK_BYTES);
}

/**
 * Calls `onProgress` at most every 50 ms, never twice with the same value, and always
 * for a `final` call, so a view re-rendering on each call is not flooded.
 */
function progressReporter(total: number, onProgress: ((p: FileProgress) => void) | undefined) {
  let last = -1;
  let at = -Infinity;
  return (transferred: number, final = false): void => {
    if (!onProgress || transferred <= last) return;
    const now = performance.now();
    if (!final && now - at < PROGRESS_INTERVAL_MS) return;
    last = transferred;
    at = now;
    onProgress({ transferred, total });
  };
}

function protocolError(what: string): RtcError {
  return new RtcError('connection-failed', `File transfer protocol error: received ${what}`);
}

function cancelled(message: string): RtcError {
  return new RtcError('connection-failed', message);
}

function toRtcError(error: unknown, prefix = 'The file transfer failed'): RtcError {
  if (error instanceof RtcError) return error;
  return new RtcError('connection-failed', `${prefix}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, MAX_REASON_CHARS);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
