import type { FileTransferSnapshot } from '../call-state.js';
import { RtcError } from '../errors.js';
import { FILE_CHANNEL_LABEL, receiveFile, sendFile, type DataChannelOpener, type ReceivedFile } from './file-transfer.js';

/** Largest file sent or accepted unless `maxFileSize` says otherwise: 1 GiB. */
export const DEFAULT_MAX_FILE_SIZE = 1024 ** 3;

/** A peer as file sharing needs it: its connection, or in SFU rooms its relay (same channels, through the server). */
export interface FilePeer {
  id: string;
  pc: DataChannelOpener;
}

export interface FileSharingOptions {
  maxFileSize: number;
  /** The list of transfers changed: write it to the snapshot. */
  onChange: (transfers: readonly FileTransferSnapshot[]) => void;
  /** A file arrived whole and checked. */
  onReceived: (file: ReceivedFile & { from: string }) => void;
}

export interface SendOptions {
  onProgress?: (progress: { transferred: number; total: number }) => void;
  signal?: AbortSignal;
}

/**
 * The call's file transfers in both directions: sends a file to every peer (one channel
 * each), receives files peers offer, keeps the list a view shows, and ends a peer's
 * transfers when that peer leaves (a closed connection may not say so on its channels).
 */
export class FileSharing {
  readonly #options: FileSharingOptions;
  #transfers: readonly FileTransferSnapshot[] = [];
  /** Cancels a whole transfer, by id. */
  readonly #aborts = new Map<string, AbortController>();
  /** Each peer's parts of transfers in progress. */
  readonly #byPeer = new Map<string, Set<AbortController>>();

  constructor(options: FileSharingOptions) {
    this.#options = options;
  }

  /** Sends a file to these peers. Resolves when at least one has it and none was cancelled. */
  async send(file: Blob & { name?: string }, peers: FilePeer[], options: SendOptions = {}): Promise<void> {
    const maxSize = this.#options.maxFileSize;
    const name = file.name ?? 'file';
    if (file.size > maxSize) throw new RtcError('invalid-input', `“${name}” is larger than the ${formatBytes(maxSize)} limit`);
    if (peers.length === 0) throw new RtcError('connection-failed', 'Nobody is connected to receive the file');
    const id = randomTransferId();
    const abort = new AbortController();
    options.signal?.addEventListener('abort', () => abort.abort(options.signal?.reason), { once: true });
    this.#aborts.set(id, abort);
    const progress = new Map<string, number>(peers.map((p) => [p.id, 0]));
    const report = (): void => {
      const transferred = progress.size ? Math.min(...progress.values()) : file.size;
      this.#update(id, { transferred });
      options.onProgress?.({ transferred, total: file.size });
    };
    this.#add({ id, direction: 'send', peerId: null, peerName: '', name, type: file.type, size: file.size });
    const results = await Promise.allSettled(
      peers.map((peer) => {
        // One receiver leaving ends its part only; the others keep receiving.
        const part = this.#track(peer.id, abort.signal);
        return sendFile(peer.pc, file, { id, name, type: file.type }, {
          signal: part.signal,
          onProgress: ({ transferred }) => {
            progress.set(peer.id, transferred);
            report();
          },
        }).finally(() => {
          progress.delete(peer.id);
          this.#byPeer.get(peer.id)?.delete(part);
        });
      }),
    );
    this.#aborts.delete(id);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure && (abort.signal.aborted || results.every((r) => r.status === 'rejected'))) {
      const cancelled = abort.signal.aborted;
      this.#update(id, { state: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : errorText(failure.reason) });
      throw failure.reason;
    }
    this.#update(id, { state: 'done', transferred: file.size });
  }

  /** Takes a data channel a peer opened; only file channels are accepted. */
  receive(from: string, fromName: string, channel: RTCDataChannel): void {
    if (channel.label !== FILE_CHANNEL_LABEL) {
      channel.close();
      return;
    }
    const abort = this.#track(from, new AbortController().signal);
    let id = '';
    // Called in the same task as the `datachannel` event, so the offer cannot be missed.
    void receiveFile(channel, {
      maxSize: this.#options.maxFileSize,
      signal: abort.signal,
      onOffer: (offer) => {
        id = offer.id;
        this.#aborts.set(id, abort);
        this.#add({ id, direction: 'receive', peerId: from, peerName: fromName, name: offer.name, type: offer.type, size: offer.size });
      },
      onProgress: ({ transferred }) => this.#update(id, { transferred }),
    })
      .then(
        (file) => {
          this.#update(file.id, { state: 'done', transferred: file.size, blob: file.blob });
          this.#options.onReceived({ ...file, from });
        },
        (error: unknown) => {
          if (!id) return;
          const cancelled = this.#stateOf(id) === 'cancelled' || /cancel/i.test(errorText(error));
          this.#update(id, { state: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : errorText(error) });
        },
      )
      .finally(() => {
        if (id) this.#aborts.delete(id);
        this.#byPeer.get(from)?.delete(abort);
      });
  }

  /** Cancels a transfer in either direction; the other side is told. */
  cancel(id: string): void {
    const abort = this.#aborts.get(id);
    if (!abort) return;
    this.#update(id, { state: 'cancelled' });
    abort.abort(new RtcError('connection-failed', 'The transfer was cancelled'));
  }

  /** Ends every transfer with a peer that left. */
  peerLeft(peerId: string): void {
    for (const part of this.#byPeer.get(peerId) ?? []) part.abort(new RtcError('connection-failed', 'The other side left the call'));
    this.#byPeer.delete(peerId);
  }

  /** Ends everything (leaving the call) and, with `forget`, clears the list (joining anew). */
  reset(forget: boolean): void {
    for (const abort of this.#aborts.values()) abort.abort(new RtcError('connection-failed', 'The call ended'));
    for (const peerId of [...this.#byPeer.keys()]) this.peerLeft(peerId);
    if (forget) this.#set([]);
  }

  /** An abort controller for one peer's part of a transfer, aborted with the transfer or when the peer goes. */
  #track(peerId: string, transfer: AbortSignal): AbortController {
    const part = new AbortController();
    transfer.addEventListener('abort', () => part.abort(transfer.reason), { once: true });
    if (transfer.aborted) part.abort(transfer.reason);
    const parts = this.#byPeer.get(peerId) ?? new Set<AbortController>();
    parts.add(part);
    this.#byPeer.set(peerId, parts);
    return part;
  }

  #add(transfer: Pick<FileTransferSnapshot, 'id' | 'direction' | 'peerId' | 'peerName' | 'name' | 'type' | 'size'>): void {
    this.#set([...this.#transfers, { ...transfer, transferred: 0, state: 'active', error: null, blob: null }]);
  }

  #stateOf(id: string): FileTransferSnapshot['state'] | undefined {
    return this.#transfers.find((t) => t.id === id)?.state;
  }

  #update(id: string, patch: Partial<FileTransferSnapshot>): void {
    const index = this.#transfers.findIndex((t) => t.id === id);
    const current = this.#transfers[index];
    // A finished transfer keeps its outcome; late progress or a second verdict is ignored.
    if (!current || current.state !== 'active') return;
    const next = [...this.#transfers];
    next[index] = { ...current, ...patch };
    this.#set(next);
  }

  #set(transfers: readonly FileTransferSnapshot[]): void {
    this.#transfers = transfers;
    this.#options.onChange(transfers);
  }
}

function randomTransferId(): string {
  return [...crypto.getRandomValues(new Uint8Array(9))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}
