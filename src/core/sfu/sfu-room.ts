import type { LocalMedia, RemotePeer } from '../peer/remote-peer.js';
import type { SignalingClient } from '../signaling/signaling-client.js';
import { SfuSession, type SfuLayer } from './sfu-session.js';

/**
 * Moving to the SFU, a mesh peer is closed as soon as that participant's media arrives
 * through the SFU; one who sends nothing (no camera, no microphone) never does, so its
 * mesh peer is closed after this long anyway.
 */
const MESH_HANDOVER_MAX_MS = 30000;

/** What an SFU room needs from its `Call`. */
export interface SfuRoomHost {
  /** The mesh peers still open, by participant id: closed one by one as the SFU takes over. */
  readonly peers: Map<string, RemotePeer>;
  signaling(): SignalingClient | null;
  configuration(): RTCConfiguration;
  localMedia(): LocalMedia;
  /** Their camera is on: a picture is expected, not only sound. */
  cameraOn(participantId: string): boolean;
  /** A mesh peer was closed because the SFU took over (its transfers end). */
  peerHandedOver(participantId: string): void;
  /** Participants' streams or states changed. */
  changed(): void;
}

/**
 * The `Call`'s side of a room on the SFU: its `SfuSession` (set up from scratch whenever
 * the server says so), the handover from mesh peers, and which simulcast layer each
 * participant's camera is received at, from the width of the tiles that show them.
 */
export class SfuRoom {
  readonly #host: SfuRoomHost;
  #session: SfuSession | null = null;
  /** Closes the mesh peers the SFU never took over (see MESH_HANDOVER_MAX_MS). */
  #handoverTimer: ReturnType<typeof setTimeout> | undefined;
  /** The width each tile shows a participant at, in device pixels, by tile. */
  readonly #tileWidths = new Map<string, Map<object, number>>();

  constructor(host: SfuRoomHost) {
    this.#host = host;
  }

  /** Our publisher and subscriber connections, while the room is on the SFU. */
  get session(): SfuSession | null {
    return this.#session;
  }

  /**
   * Connects to the room's SFU from scratch: on joining an SFU room, when the room moves
   * there, and when the server asks again (its SFU changed). Mesh peers are kept until
   * each participant's media comes through the SFU, so nobody goes dark in the move.
   */
  start(): void {
    const signaling = this.#host.signaling();
    if (!signaling) return;
    this.stop();
    this.#session = new SfuSession({
      configuration: this.#host.configuration(),
      local: this.#host.localMedia(),
      signaling: {
        publish: (request) => signaling.sfuPublish(request),
        answer: (sdp) => signaling.sfuAnswer(sdp),
        candidate: (candidate) => signaling.sfuCandidate(candidate),
        layer: (request) => signaling.sfuLayer(request),
        restart: (target) => signaling.sfuRestart(target),
      },
      onChange: () => this.#onChange(),
      onError: (error) => console.warn('rtc-elements: SFU negotiation failed', error),
    });
    for (const id of this.#tileWidths.keys()) this.#applyLayer(id);
    if (this.#host.peers.size) {
      this.#handoverTimer = setTimeout(() => {
        for (const id of [...this.#host.peers.keys()]) this.#handOver(id);
        this.#host.changed();
      }, MESH_HANDOVER_MAX_MS);
    }
    this.#onChange();
  }

  stop(): void {
    clearTimeout(this.#handoverTimer);
    this.#session?.close();
    this.#session = null;
  }

  /** The SFU shows this participant: their camera's frames (camera on) or their sound arrive through it. */
  shows(participantId: string): boolean {
    return this.#session?.hasMedia(participantId, { video: this.#host.cameraOn(participantId) }) ?? false;
  }

  /** How wide a tile shows a participant (CSS pixels; `null`: the tile went away). */
  setTileSize(participantId: string, tile: object, width: number | null): void {
    const tiles = this.#tileWidths.get(participantId) ?? new Map<object, number>();
    if (width === null) tiles.delete(tile);
    else tiles.set(tile, width * (globalThis.devicePixelRatio || 1));
    if (tiles.size) this.#tileWidths.set(participantId, tiles);
    else this.#tileWidths.delete(participantId);
    this.#applyLayer(participantId);
  }

  /** Closes the mesh peer of everyone whose media now arrives through the SFU. */
  #onChange(): void {
    if (!this.#session) return;
    for (const id of [...this.#host.peers.keys()]) if (this.shows(id)) this.#handOver(id);
    if (this.#host.peers.size === 0) clearTimeout(this.#handoverTimer);
    this.#host.changed();
  }

  #handOver(participantId: string): void {
    this.#host.peerHandedOver(participantId);
    this.#host.peers.get(participantId)?.close();
    this.#host.peers.delete(participantId);
  }

  /** Asks the SFU for the layer that fits the largest tile showing this participant. */
  #applyLayer(participantId: string): void {
    const widths = [...(this.#tileWidths.get(participantId)?.values() ?? [])];
    if (!this.#session || widths.length === 0) return;
    this.#session.setLayer(participantId, layerForWidth(Math.max(...widths)));
  }
}

/**
 * The simulcast layer for a tile this wide (device pixels): the quarter layer up to
 * 360 px, the half up to 720 px, else the full picture (¼, ½ and 1 of a 1280 px camera).
 */
export function layerForWidth(width: number): SfuLayer {
  return width <= 360 ? 0 : width <= 720 ? 1 : 2;
}
