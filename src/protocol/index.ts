/**
 * The signaling protocol between a page's `Call` and the signal server, typed once and
 * shared by both sides. Transport: socket.io events with acknowledgements.
 *
 * Flow: the client emits `join` and gets a `JoinAnswer` through the ack. After that it
 * may emit `signal` (relayed to one participant of its own room), `update` (its media
 * state, broadcast to the room) and `leave`. The server pushes `participant-joined`,
 * `participant-updated`, `participant-left` and `signal` (with `from` set by the server).
 * Rooms on the SFU use the `sfu-*`, `talking` and `relay` events instead of `signal`.
 */

/** Error codes shared by the server's answers and the client's `RtcError`. */
export type ErrorCode =
  | 'permission-denied'
  | 'no-device'
  | 'device-in-use'
  | 'insecure-context'
  | 'signaling-unreachable'
  | 'room-full'
  | 'unauthorized'
  | 'connection-failed'
  | 'invalid-input'
  | 'rate-limited';

/** Limits every incoming message is checked against (the server rejects anything beyond). */
export const LIMITS = {
  /** socket.io's maxHttpBufferSize: a whole frame, sized for an SDP with simulcast and many m-lines. */
  maxFrameBytes: 64 * 1024,
  maxSdpLength: 48 * 1024,
  maxCandidateLength: 1024,
  maxRoomLength: 64,
  maxNameLength: 64,
  maxTokenLength: 4096,
  maxIdLength: 64,
  /** One `relay` payload (SFU rooms: chat and file chunks through the server), as sent. */
  maxRelayDataLength: 48 * 1024,
  maxRelayChannelLength: 64,
} as const;

/** Room names: letters, digits and `-_.`, so they are safe in URLs and logs. */
export const ROOM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface MediaState {
  microphone: boolean;
  camera: boolean;
  screenSharing: boolean;
  /** The id of the MediaStream that carries the screen share, so peers can tell it from the camera. */
  screenStreamId?: string | null;
  /** This participant is recording the call locally; everyone is shown an indicator. */
  recording?: boolean;
}

export interface ParticipantInfo extends MediaState {
  id: string;
  name: string;
}

export interface JoinRequest {
  room: string;
  name: string;
  token?: string;
  media?: Partial<MediaState>;
  /**
   * Lets a participant come back as itself after its connection to the server dropped
   * (or the server restarted), so peers keep their working connections to it. `key` is a
   * secret the client made up (base64url, 22 to 64 characters) and sends with every join;
   * `id` is the participant id to take back, sent only when rejoining.
   */
  session?: { key: string; id?: string };
}

export interface IceServerInfo {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type JoinAnswer =
  | {
      ok: true;
      selfId: string;
      participants: ParticipantInfo[];
      iceServers: IceServerInfo[];
      /** True when `session.id` was granted: the same participant as before, to everyone. */
      resumed: boolean;
      /**
       * How this room carries media now: `mesh` (one peer connection per participant, the
       * `signal` events) or `sfu` (a publisher and a subscriber connection to the server's
       * SFU, the `sfu-*` events). Absent from older servers: mesh.
       */
      topology?: Topology;
    }
  | { ok: false; error: { code: ErrorCode; message: string } };

/** What one peer sends another through the server: an SDP or an ICE candidate. */
export type SignalData =
  | { kind: 'description'; description: { type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string } }
  | { kind: 'candidate'; candidate: IceCandidateInfo | null };

/** An ICE candidate as `RTCIceCandidate.toJSON()` gives it; `null` ends the candidates. */
export interface IceCandidateInfo {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface SignalRequest {
  to: string;
  data: SignalData;
}

export interface RelayedSignal {
  from: string;
  data: SignalData;
}

/** How a room carries media. A room may move from `mesh` to `sfu` (never back) as it grows. */
export type Topology = 'mesh' | 'sfu';

// ---- SFU rooms ----
//
// In an SFU room each page has two peer connections with the server's SFU, negotiated
// through the signal server (the SFU itself is never reachable from pages):
//   publisher:  the page offers (`sfu-publish`, answered in the ack); camera, microphone
//               and screen share go up, video as three simulcast layers (rids h, m, l).
//   subscriber: the server offers (`sfu-offer`, whenever the set of streams changes);
//               the page answers (`sfu-answer`). Everyone else's streams come down on it.
// Candidates go both ways as `sfu-candidate`. Chat and files, which in a mesh use peer
// data channels, go through the server as `relay`.
// A failed publisher restarts its ICE with a new `sfu-publish` offer. A failed subscriber
// asks for one with `sfu-restart {target: 'subscriber'}` (acked once the SFU made it): the
// server sends a new `sfu-offer` (new ICE credentials, the current `streams`), answered
// with `sfu-answer` as usual. Refused (`invalid-input`) outside an SFU room or before the
// page was sent any `sfu-offer`.

/** Which of the page's two SFU connections a message is about. */
export type SfuTarget = 'publisher' | 'subscriber';

export interface SfuPublishRequest {
  /** The publisher connection's offer (a renegotiation is a new offer). */
  sdp: string;
  /** The offer's mid that carries the screen share, if one is shared. */
  screenMid?: string | null;
}

export type SfuPublishAnswer = { ok: true; sdp: string } | { ok: false; error: { code: ErrorCode; message: string } };

/** One stream of the subscriber connection: which participant it shows. */
export interface SfuStreamInfo {
  mid: string;
  participant: string;
  kind: 'audio' | 'video';
  /** True for a screen share, false for a camera or microphone. */
  screen: boolean;
}

export interface SfuOffer {
  /** The subscriber connection's offer; answer it with `sfu-answer`. */
  sdp: string;
  /** Every stream the offer carries, by mid. */
  streams: SfuStreamInfo[];
}

export interface SfuCandidate {
  target: SfuTarget;
  candidate: IceCandidateInfo | null;
}

/** Asks the SFU for an ICE restart of one of the page's connections (only the subscriber's: the publisher offers itself). */
export interface SfuRestartRequest {
  target: 'subscriber';
}

/** Which simulcast layer of a participant's camera a page wants: 0 smallest .. 2 full. */
export interface SfuLayerRequest {
  participant: string;
  layer: 0 | 1 | 2;
}

/** Data for one participant through the server (SFU rooms): chat, file chunks. */
export interface RelayRequest {
  to: string;
  /** Like a data channel's label: `chat`, or one per file transfer. */
  channel: string;
  /** Text, or base64 when `binary`. Absent with `close`. */
  data?: string;
  binary?: boolean;
  /** The sender closed this channel. */
  close?: boolean;
}

export interface RelayedData extends Omit<RelayRequest, 'to'> {
  from: string;
}

export type Ack = (answer: { ok: true } | { ok: false; error: { code: ErrorCode; message: string } }) => void;

export interface ClientToServerEvents {
  join: (request: JoinRequest, ack: (answer: JoinAnswer) => void) => void;
  signal: (request: SignalRequest) => void;
  update: (media: Partial<MediaState> & { name?: string }) => void;
  leave: (ack?: Ack) => void;
  'sfu-publish': (request: SfuPublishRequest, ack: (answer: SfuPublishAnswer) => void) => void;
  'sfu-answer': (answer: { sdp: string }, ack: Ack) => void;
  'sfu-candidate': (candidate: SfuCandidate) => void;
  'sfu-layer': (request: SfuLayerRequest) => void;
  /** Acknowledged once the SFU made the new offer, which follows as `sfu-offer`. */
  'sfu-restart': (request: SfuRestartRequest, ack: Ack) => void;
  /** Acknowledged once the server passed it on: the sender's back-pressure. */
  relay: (request: RelayRequest, ack: Ack) => void;
}

export interface ServerToClientEvents {
  'participant-joined': (participant: ParticipantInfo) => void;
  'participant-updated': (participant: ParticipantInfo) => void;
  'participant-left': (participant: { id: string }) => void;
  signal: (signal: RelayedSignal) => void;
  /** The room moved to the SFU: publish, and close mesh peers once the subscriber shows them. */
  topology: (change: { topology: Topology }) => void;
  'sfu-offer': (offer: SfuOffer) => void;
  'sfu-candidate': (candidate: SfuCandidate) => void;
  /** SFU rooms: who is speaking, from the SFU's audio levels. */
  talking: (change: { id: string; talking: boolean }) => void;
  relay: (data: RelayedData) => void;
  /** A message the server refused (for events without an ack). */
  'rtc-error': (error: { code: ErrorCode; message: string; event?: string }) => void;
}
