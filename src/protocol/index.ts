/**
 * The signaling protocol between a page's `Call` and the signal server, typed once and
 * shared by both sides. Transport: socket.io events with acknowledgements.
 *
 * Flow: the client emits `join` and gets a `JoinAnswer` through the ack. After that it
 * may emit `signal` (relayed to one participant of its own room), `update` (its media
 * state, broadcast to the room) and `leave`. The server pushes `participant-joined`,
 * `participant-updated`, `participant-left` and `signal` (with `from` set by the server).
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
    }
  | { ok: false; error: { code: ErrorCode; message: string } };

/** What one peer sends another through the server: an SDP or an ICE candidate. */
export type SignalData =
  | { kind: 'description'; description: { type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string } }
  | {
      kind: 'candidate';
      candidate: {
        candidate: string;
        sdpMid?: string | null;
        sdpMLineIndex?: number | null;
        usernameFragment?: string | null;
      } | null;
    };

export interface SignalRequest {
  to: string;
  data: SignalData;
}

export interface RelayedSignal {
  from: string;
  data: SignalData;
}

export type Ack = (answer: { ok: true } | { ok: false; error: { code: ErrorCode; message: string } }) => void;

export interface ClientToServerEvents {
  join: (request: JoinRequest, ack: (answer: JoinAnswer) => void) => void;
  signal: (request: SignalRequest) => void;
  update: (media: Partial<MediaState> & { name?: string }) => void;
  leave: (ack?: Ack) => void;
}

export interface ServerToClientEvents {
  'participant-joined': (participant: ParticipantInfo) => void;
  'participant-updated': (participant: ParticipantInfo) => void;
  'participant-left': (participant: { id: string }) => void;
  signal: (signal: RelayedSignal) => void;
  /** A message the server refused (for events without an ack). */
  'rtc-error': (error: { code: ErrorCode; message: string; event?: string }) => void;
}
