/**
 * A small typed wrapper over janode (Meetecho's Node client for Janus) that drives the
 * Janus VideoRoom plugin for our call rooms. One `JanusVideoRoom` talks to one Janus over
 * its private WebSocket API (loopback, API secret set); pages never see Janus, they only
 * talk to the signal server, which calls this wrapper and relays the SDP and candidates.
 *
 * Per call room: one VideoRoom, created on demand. Per participant: one publisher handle
 * (its camera/microphone/screen go up) and one multistream subscriber handle (everyone
 * else's streams come down on one RTCPeerConnection, `update`d as publishers come and go).
 * With several signal-server processes, each also `watch`es its rooms: one handle per
 * room that joins as a publisher and never publishes, so it hears every publisher.
 *
 * Room ids and secrets are derived from the room name with an HMAC under `roomKey`: two
 * signal-server processes given the same key agree on both without talking to each other,
 * so "create if missing" is idempotent even across processes (Janus answers 427 "already
 * exists" to the second, which is then known to be ours), and a restarted server can
 * still manage (destroy) the rooms it made. Without a shared key each process draws a
 * random one, so its room secrets are random.
 *
 * Participants are identified in Janus by their signal-server id, carried as the
 * publisher's `display`: the publisher lists Janus sends then name our participants
 * directly, whichever process published them.
 */
// janode ships JavaScript without type declarations; the interfaces below type the part we use.
// @ts-ignore TS7016: no declaration file for 'janode'
import JanodeModule from 'janode';
// @ts-ignore TS7016: no declaration file for 'janode/plugins/videoroom'
import VideoRoomPluginModule from 'janode/plugins/videoroom';
import { createHmac, randomBytes } from 'node:crypto';

/* ------------------------------------------------------------------ janode, typed */

// janode hands each event its own payload shape; the listeners below declare theirs.
type Listener = (...args: any[]) => void;

interface JanodeEmitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

interface JanodeConnection extends JanodeEmitter {
  create(keepAliveSeconds?: number): Promise<JanodeSession>;
  close(): Promise<void>;
}

interface JanodeSession extends JanodeEmitter {
  attach(plugin: unknown): Promise<VideoRoomHandle>;
  destroy(): Promise<void>;
}

/** A JSEP as Janus sends and takes it. */
interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** One stream of a publisher or a subscription, as the VideoRoom (1.x, multistream) lists it. */
export interface JanusStream {
  type: 'audio' | 'video' | 'data';
  mid: string;
  mindex?: number;
  /** Subscriptions: the publisher's feed and its mid. */
  feed_id?: number;
  feed_mid?: string;
  feed_display?: string;
  /** Publishers: the stream's description (`descriptions` at publish); subscriptions: the publisher stream's. */
  description?: string;
  feed_description?: string;
  codec?: string;
  simulcast?: boolean;
  disabled?: boolean;
  active?: boolean;
}

interface JanodePublisher {
  feed: number;
  display?: string;
  streams?: JanusStream[];
  talking?: boolean;
}

interface VideoRoomHandle extends JanodeEmitter {
  id: number;
  feed: number | null;
  create(params: Record<string, unknown>): Promise<{ room: number; permanent: boolean }>;
  destroy(params: { room: number; secret?: string }): Promise<{ room: number }>;
  exists(params: { room: number }): Promise<{ room: number; exists: boolean }>;
  joinPublisher(params: Record<string, unknown>): Promise<{ feed: number; publishers: JanodePublisher[] }>;
  joinConfigurePublisher(params: Record<string, unknown>): Promise<{ feed: number; publishers: JanodePublisher[]; jsep?: Jsep }>;
  configure(params: Record<string, unknown>): Promise<{ jsep?: Jsep; streams?: JanusStream[] }>;
  joinSubscriber(params: Record<string, unknown>): Promise<{ jsep?: Jsep; streams?: JanusStream[] }>;
  update(params: { subscribe?: object[]; unsubscribe?: object[] }): Promise<{ jsep?: Jsep; streams?: JanusStream[] }>;
  start(params: { jsep: Jsep }): Promise<unknown>;
  trickle(candidate: object): Promise<void>;
  trickleComplete(): Promise<void>;
  detach(): Promise<void>;
}

interface JanodeApi {
  connect(config: Record<string, unknown>): Promise<JanodeConnection>;
  Logger: { setLevel(level: string): string };
  EVENT: Record<
    | 'CONNECTION_CLOSED' | 'CONNECTION_ERROR' | 'SESSION_DESTROYED' | 'HANDLE_DETACHED' | 'HANDLE_ICE_FAILED'
    | 'HANDLE_HANGUP' | 'HANDLE_WEBRTCUP' | 'HANDLE_TRICKLE' | 'HANDLE_MEDIA',
    string
  >;
}

interface VideoRoomPlugin {
  id: string;
  EVENT: Record<
    'VIDEOROOM_PUB_LIST' | 'VIDEOROOM_UNPUBLISHED' | 'VIDEOROOM_LEAVING' | 'VIDEOROOM_TALKING' | 'VIDEOROOM_UPDATED' | 'VIDEOROOM_KICKED' | 'VIDEOROOM_DESTROYED',
    string
  >;
}

const Janode = JanodeModule as JanodeApi;
const VideoRoomPlugin = VideoRoomPluginModule as VideoRoomPlugin;

/* ------------------------------------------------------------------ public types */

/** Levels of janode's own (process-wide) logger. */
export type JanodeLogLevel = 'none' | 'error' | 'warning' | 'info' | 'verbose' | 'debug';

export interface JanusVideoRoomOptions {
  /** The Janus WebSocket API URL (`ws://127.0.0.1:8188`). */
  url: string;
  /** Janus's `api_secret`. */
  apiSecret: string;
  /** Key the room ids and secrets are derived from; give every process that shares rooms the same one. Default: random. */
  roomKey?: string | Buffer;
  /** The publishers' bitrate cap in bit/s, sent to them by REMB. Default 2 Mbit/s: room for three simulcast layers of VP8. */
  bitrate?: number;
  /** janode's logger level (it is process-wide; janode warns about harmless things, such as trickle acks). Default `error`. */
  janodeLogLevel?: JanodeLogLevel;
  /** Connection attempts before `connect` fails, one second apart. Default 3. */
  connectAttempts?: number;
}

/** Settings of a call room's VideoRoom. */
export interface RoomSettings {
  /** The most publishers (the call room's capacity). */
  capacity: number;
}

/** Which of a participant's two connections to Janus. */
export type PeerTarget = 'publisher' | 'subscriber';

/** An ICE candidate as `RTCIceCandidate.toJSON()` gives it; `null` ends the candidates. */
export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** A participant publishing in a room, as the wrapper reports it. */
export interface PublisherInfo {
  /** The signal-server participant id (the publisher's Janus `display`). */
  participantId: string;
  /** Janus's feed id. */
  feed: number;
  streams: JanusStream[];
}

/** The wrapper's events and what each carries. */
export interface JanusVideoRoomEvents {
  /** A participant started publishing (or its streams changed) in a room. */
  publisherjoined: { room: string; publisher: PublisherInfo };
  /** A participant stopped publishing (unpublished, left, was kicked or its handle went away). */
  publisherleft: { room: string; participantId: string; feed: number };
  /** A publisher started or stopped talking (the room's `audiolevel_event`). */
  talking: { room: string; participantId: string; talking: boolean; level?: number };
  /**
   * Janus made a new offer for a participant's subscriber connection on its own (a
   * subscribed publisher left, or an `update` queued behind an unanswered offer): relay it
   * to the page and pass its answer to `start`.
   */
  subscriberoffer: { room: string; participantId: string; sdp: string };
  /** A candidate from Janus for a page (only with Janus's `full_trickle`; otherwise they are in its SDP). */
  candidate: { room: string; participantId: string; target: PeerTarget; candidate: CandidateInit | null };
  /** A participant's connection to Janus is up (ICE and DTLS done). */
  webrtcup: { room: string; participantId: string; target: PeerTarget };
  /** A participant's connection to Janus ended (`reason` from Janus, e.g. ICE failed, DTLS alert). */
  hangup: { room: string; participantId: string; target: PeerTarget; reason: string };
  /** The room's VideoRoom was destroyed by someone else (another process sharing the room key); its participants are forgotten. */
  roomdestroyed: { room: string };
  /** The connection to Janus is gone; every room and participant on it with it. The wrapper is closed. */
  disconnected: { error?: Error };
}

/** An error from Janus (its VideoRoom or core error code) or from the wrapper. */
export class JanusError extends Error {
  constructor(
    message: string,
    /** Janus's error code, e.g. 427 room exists, 433 unauthorized, 428 no such feed. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'JanusError';
  }
}

/** VideoRoom error codes the wrapper acts on. */
const ROOM_EXISTS = 427;
const NO_SUCH_ROOM = 426;

/* ------------------------------------------------------------------ internal state */

interface Participant {
  id: string;
  room: RoomState;
  publisher?: VideoRoomHandle;
  /** The in-flight attach of the publisher handle, so candidates can wait for it. */
  publisherReady?: Promise<VideoRoomHandle>;
  feed?: number;
  subscriber?: VideoRoomHandle;
  subscriberReady?: Promise<VideoRoomHandle>;
  /** The publishers (participant ids) this participant's subscriber connection carries. */
  subscribedTo: Set<string>;
  /** The subscriber connection's streams as Janus last listed them (mids, feeds). */
  subscriberStreams: JanusStream[];
  /** Candidates that came before their handle existed. */
  pendingCandidates: Record<PeerTarget, (CandidateInit | null)[]>;
  /** Removes every janode listener added for this participant. */
  cleanups: (() => void)[];
}

interface RoomState {
  name: string;
  id: number;
  participants: Map<string, Participant>;
  /** Publishers by participant id, fed by every handle's events (deduplicated here). */
  publishers: Map<string, PublisherInfo>;
  /** Who is talking, so repeated notifications (one per handle in the room) become one event. */
  talking: Map<string, boolean>;
  /** The room's watcher (see `watch`), once asked for. */
  watcher?: Promise<VideoRoomHandle>;
  /** Removes the watcher's janode listeners. */
  watcherCleanups: (() => void)[];
}

/** The `display` of a watcher handle: not a participant id (those never hold a `~`), and never publishing. */
const WATCHER_DISPLAY = '~watcher';

/* ------------------------------------------------------------------ the wrapper */

/**
 * One Janus instance's VideoRoom, driven for our call rooms. Make one with
 * {@link JanusVideoRoom.connect}; `close()` it when done.
 *
 * Every method that takes a `room` creates the VideoRoom on first use. Methods for a
 * participant that is not (or no longer) known resolve quietly where nothing is left to do
 * (`leave`, `trickle` after leave) and throw a `JanusError` where an answer is expected.
 */
export class JanusVideoRoom {
  readonly url: string;
  readonly #connection: JanodeConnection;
  readonly #session: JanodeSession;
  /** Creates and destroys rooms; never joins one. */
  readonly #control: VideoRoomHandle;
  readonly #roomKey: Buffer;
  readonly #bitrate: number;
  readonly #rooms = new Map<string, RoomState>();
  /** Room creations in flight, so concurrent callers share one. */
  readonly #creating = new Map<string, Promise<RoomState>>();
  readonly #participants = new Map<string, Participant>();
  /** The last subscription change per participant: changes run one after another, as Janus handles one negotiation at a time. */
  readonly #subscriptionChains = new Map<string, Promise<void>>();
  readonly #listeners = new Map<keyof JanusVideoRoomEvents, Set<(detail: never) => void>>();
  #closed = false;
  readonly #onConnectionLost: (error?: Error) => void;

  private constructor(url: string, connection: JanodeConnection, session: JanodeSession, control: VideoRoomHandle, options: JanusVideoRoomOptions) {
    this.url = url;
    this.#connection = connection;
    this.#session = session;
    this.#control = control;
    this.#roomKey = options.roomKey === undefined ? randomBytes(32) : Buffer.from(options.roomKey);
    this.#bitrate = options.bitrate ?? 2_000_000;
    // janode turns a dropped WebSocket into CONNECTION_ERROR (and a clean close into
    // CONNECTION_CLOSED), then destroys the session and detaches every handle itself;
    // what is left to us is forgetting our own state and telling the owner.
    this.#onConnectionLost = (error?: Error) => this.#lost(error instanceof Error ? error : undefined);
    connection.once(Janode.EVENT.CONNECTION_ERROR, this.#onConnectionLost);
    connection.once(Janode.EVENT.CONNECTION_CLOSED, this.#onConnectionLost);
    session.once(Janode.EVENT.SESSION_DESTROYED, this.#onConnectionLost);
  }

  /** Connects to one Janus, opens a session and attaches a control handle to the VideoRoom. */
  static async connect(options: JanusVideoRoomOptions): Promise<JanusVideoRoom> {
    Janode.Logger.setLevel(options.janodeLogLevel ?? 'error');
    const connection = await Janode.connect({
      address: { url: options.url, apisecret: options.apiSecret },
      retry_time_secs: 1,
      max_retries: options.connectAttempts ?? 3,
    }).catch((error: Error) => {
      throw new JanusError(`cannot reach Janus at ${options.url}: ${error.message}`);
    });
    try {
      // Keep-alives every 15 s, well inside Janus's default 60 s session timeout.
      const session = await connection.create(15);
      const control = await session.attach(VideoRoomPlugin);
      return new JanusVideoRoom(options.url, connection, session, control, options);
    } catch (error) {
      await connection.close().catch(() => {});
      throw toJanusError(error, `Janus at ${options.url} refused a session`);
    }
  }

  /** True once closed or disconnected: every call then throws. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How loaded this Janus is, for placing rooms: rooms and participants this wrapper has on it. */
  get load(): { rooms: number; participants: number; publishers: number } {
    let publishers = 0;
    for (const room of this.#rooms.values()) publishers += room.publishers.size;
    return { rooms: this.#rooms.size, participants: this.#participants.size, publishers };
  }

  /** Listens to one of the wrapper's events; returns the matching remove. */
  on<K extends keyof JanusVideoRoomEvents>(type: K, listener: (detail: JanusVideoRoomEvents[K]) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as (detail: never) => void);
    return () => this.off(type, listener);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof JanusVideoRoomEvents>(type: K, listener: (detail: JanusVideoRoomEvents[K]) => void): void {
    this.#listeners.get(type)?.delete(listener as (detail: never) => void);
  }

  #emit<K extends keyof JanusVideoRoomEvents>(type: K, detail: JanusVideoRoomEvents[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        (listener as (detail: JanusVideoRoomEvents[K]) => void)(detail);
      } catch (error) {
        // A listener's bug must not break Janus event handling for everyone else.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /* -------------------------------------------------------------- rooms */

  /** The Janus room id for a call room (a 48-bit number derived from the name). */
  roomId(room: string): number {
    return createHmac('sha256', this.#roomKey).update(`room-id:${room}`).digest().readUIntBE(0, 6);
  }

  /** The room secret for a call room: Janus asks for it to edit or destroy the room. */
  roomSecret(room: string): string {
    return createHmac('sha256', this.#roomKey).update(`room-secret:${room}`).digest('base64url');
  }

  /**
   * Makes sure the call room has its VideoRoom; idempotent, and safe to call concurrently.
   * Returns the Janus room id.
   */
  async ensureRoom(room: string, settings: RoomSettings): Promise<number> {
    return (await this.#room(room, settings)).id;
  }

  /** True when Janus has the call room's VideoRoom (asks Janus, not our memory). */
  async roomExists(room: string): Promise<boolean> {
    this.#assertOpen();
    const answer = await this.#control.exists({ room: this.roomId(room) }).catch((error) => {
      throw toJanusError(error, 'exists failed');
    });
    return answer.exists;
  }

  /**
   * Makes this wrapper hear everything the room's publishers do, whoever's handles they
   * came through: one handle per room that joins the VideoRoom as a publisher and never
   * publishes (Janus sends every participant of a room, publishing or not, the `publishers`
   * list when it joins and the `publishers`, `unpublished`, `leaving` and `talking` events
   * after). Several signal-server processes share a room this way: each learns of the
   * publishers of the others. Idempotent; the watcher goes with `forgetRoom`/`destroyRoom`.
   */
  async watch(room: string, settings: RoomSettings): Promise<void> {
    const state = await this.#room(room, settings);
    if (!state.watcher) {
      let ready: Promise<VideoRoomHandle> | undefined;
      ready = (async () => {
        const handle = await this.#session.attach(VideoRoomPlugin).catch((error) => {
          throw toJanusError(error, 'attaching a watcher to the VideoRoom failed');
        });
        if (this.#rooms.get(room) !== state || state.watcher !== ready) {
          await handle.detach().catch(() => {});
          throw new JanusError(`room ${room} was let go while watching it`);
        }
        this.#wireWatcher(state, handle);
        const joined = await handle.joinPublisher({ room: state.id, display: WATCHER_DISPLAY }).catch((error) => {
          throw toJanusError(error, `watching ${room} failed`);
        });
        // Publishers already in the room: the join answer lists them, no event follows.
        for (const publisher of joined.publishers ?? []) this.#publisherSeen(state, publisher);
        return handle;
      })();
      state.watcher = ready;
      const attempt = ready;
      attempt.catch(() => {
        if (state.watcher === attempt) state.watcher = undefined;
      });
    }
    await state.watcher;
  }

  /**
   * This wrapper is done with a room that lives on (its participants on this process have
   * all left, others elsewhere stay): its watcher leaves and what it knew is forgotten,
   * the VideoRoom stays. Idempotent.
   */
  async forgetRoom(room: string): Promise<void> {
    const state = this.#rooms.get(room);
    if (!state) return;
    for (const participant of [...state.participants.values()]) await this.leave(participant.id);
    if (this.#rooms.get(room) === state) this.#rooms.delete(room);
    await this.#unwatch(state);
  }

  async #unwatch(state: RoomState): Promise<void> {
    const watcher = state.watcher;
    state.watcher = undefined;
    state.watcherCleanups.splice(0).forEach((cleanup) => cleanup());
    const handle = await watcher?.catch(() => undefined);
    if (handle && !this.#closed) await handle.detach().catch(() => {});
  }

  /** The watcher's janode events: who publishes, stops, talks; the room's end. */
  #wireWatcher(room: RoomState, handle: VideoRoomHandle): void {
    const listen = (event: string, listener: Listener): void => {
      handle.on(event, listener);
      room.watcherCleanups.push(() => handle.removeListener(event, listener));
    };
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_DESTROYED, () => void this.#roomGone(room));
    this.#listenToPublishers(room, listen);
  }

  /**
   * What a handle that joined the room as a publisher hears of the others: who publishes,
   * stops and talks (every such handle hears it; #publisherSeen/Gone and #talkingSeen
   * deduplicate). `self`: the handle's own participant, whose talking is reported to it too.
   */
  #listenToPublishers(room: RoomState, listen: (event: string, listener: Listener) => void, self?: Participant): void {
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_PUB_LIST, (data: { publishers: JanodePublisher[] }) => {
      for (const publisher of data.publishers ?? []) this.#publisherSeen(room, publisher);
    });
    const gone = (data: { feed?: number }): void => {
      const entry = [...room.publishers.values()].find((p) => p.feed === data.feed);
      if (entry) this.#publisherGone(room, entry.participantId);
    };
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_UNPUBLISHED, gone);
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_LEAVING, gone);
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_KICKED, gone);
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_TALKING, (data: { feed: number; talking: boolean; audio_level?: number }) => {
      const entry = [...room.publishers.values()].find((p) => p.feed === data.feed);
      const participantId = entry?.participantId ?? (self && data.feed === self.feed ? self.id : undefined);
      if (participantId) this.#talkingSeen(room, participantId, data.talking, data.audio_level);
    });
  }

  #talkingSeen(room: RoomState, participantId: string, talking: boolean, level: number | undefined): void {
    if (room.talking.get(participantId) === talking) return;
    room.talking.set(participantId, talking);
    this.#emit('talking', { room: room.name, participantId, talking, ...(level === undefined ? {} : { level }) });
  }

  async #room(name: string, settings: RoomSettings): Promise<RoomState> {
    this.#assertOpen();
    const known = this.#rooms.get(name);
    if (known) return known;
    let pending = this.#creating.get(name);
    if (!pending) {
      pending = this.#createRoom(name, settings).finally(() => this.#creating.delete(name));
      this.#creating.set(name, pending);
    }
    return pending;
  }

  async #createRoom(name: string, settings: RoomSettings): Promise<RoomState> {
    if (!Number.isInteger(settings.capacity) || settings.capacity < 1) throw new RangeError(`capacity must be a positive whole number, got ${settings.capacity}`);
    const id = this.roomId(name);
    try {
      await this.#control.create({
        room: id,
        description: `rtc-elements ${name}`,
        secret: this.roomSecret(name),
        // Hidden from `list`: only this server needs to know which rooms exist.
        is_private: true,
        permanent: false,
        max_publishers: settings.capacity,
        // VP8: the codec every browser simulcasts; Janus relays its three layers and
        // picks one per subscriber.
        videocodec: 'vp8',
        audiocodec: 'opus',
        bitrate: this.#bitrate,
        // A keyframe request every 10 s so a subscriber never waits long for a picture.
        fir_freq: 10,
        // Talking events (audio levels from the RFC 6464 header extension) for the active speaker.
        talking_events: true,
        talking_level_threshold: 25,
        talking_packets_threshold: 50,
        notify_joining: true,
      });
    } catch (error) {
      const janusError = toJanusError(error, `creating the VideoRoom for ${name} failed`);
      // Already there: made by us earlier or by a process sharing our room key (same id, same secret).
      if (janusError.code !== ROOM_EXISTS) throw janusError;
    }
    if (this.#closed) throw new JanusError('closed');
    const state: RoomState = { name, id, participants: new Map(), publishers: new Map(), talking: new Map(), watcherCleanups: [] };
    this.#rooms.set(name, state);
    return state;
  }

  /**
   * Destroys the call room's VideoRoom (Janus hangs up everyone in it) and forgets its
   * participants. Resolves quietly when there is no such room.
   */
  async destroyRoom(room: string): Promise<void> {
    this.#assertOpen();
    await this.#creating.get(room)?.catch(() => {});
    const state = this.#rooms.get(room);
    for (const participant of [...(state?.participants.values() ?? [])]) await this.leave(participant.id);
    this.#rooms.delete(room);
    if (state) await this.#unwatch(state);
    try {
      await this.#control.destroy({ room: this.roomId(room), secret: this.roomSecret(room) });
    } catch (error) {
      const janusError = toJanusError(error, `destroying the VideoRoom for ${room} failed`);
      if (janusError.code !== NO_SUCH_ROOM) throw janusError;
    }
  }

  /* -------------------------------------------------------------- publishing */

  /**
   * Publishes a participant's media: joins it to the VideoRoom as a publisher with its
   * offer (or, when it already publishes, renegotiates: a screen share added, a track
   * removed) and returns Janus's answer.
   */
  async publish(
    room: string,
    participantId: string,
    offerSdp: string,
    settings: RoomSettings,
    options: { descriptions?: { mid: string; description: string }[] } = {},
  ): Promise<string> {
    const state = await this.#room(room, settings);
    const participant = this.#participant(state, participantId);
    const jsep: Jsep = { type: 'offer', sdp: offerSdp };
    // Janus keeps a description per published stream and lists it to subscribers
    // (`feed_description`): that is how a screen share is told from a camera.
    const descriptions = options.descriptions && options.descriptions.length > 0 ? { descriptions: options.descriptions } : {};
    let answer: Jsep | undefined;
    if (participant.publisher && participant.feed !== undefined) {
      const configured = await participant.publisher.configure({ jsep, ...descriptions }).catch((error) => {
        throw toJanusError(error, `renegotiating ${participantId}'s publisher failed`);
      });
      answer = configured.jsep;
      // The streams after the renegotiation: `subscribe` adds the new ones to subscriptions.
      const known = state.publishers.get(participantId);
      if (known && configured.streams) known.streams = configured.streams;
    } else {
      const handle = await this.#handle(participant, 'publisher');
      const joined = await handle
        .joinConfigurePublisher({ room: state.id, display: participantId, audio: true, video: true, data: false, jsep, ...descriptions })
        .catch((error) => {
          throw toJanusError(error, `publishing ${participantId} failed`);
        });
      participant.feed = joined.feed;
      answer = joined.jsep;
      // Publishers already in the room (the join answer lists them; no event follows for them).
      for (const publisher of joined.publishers ?? []) this.#publisherSeen(state, publisher);
      this.#publisherSeen(state, { feed: joined.feed, display: participantId, streams: [] });
    }
    if (!answer) throw new JanusError(`Janus answered ${participantId}'s offer without an SDP`);
    return answer.sdp;
  }

  /** The participants publishing in a room, as far as this wrapper has seen. */
  publishers(room: string): PublisherInfo[] {
    return [...(this.#rooms.get(room)?.publishers.values() ?? [])];
  }

  /** The streams of a participant's subscriber connection, as Janus last listed them (empty when it has none). */
  subscription(participantId: string): JanusStream[] {
    return [...(this.#participants.get(participantId)?.subscriberStreams ?? [])];
  }

  /** The call rooms this wrapper has a VideoRoom for. */
  rooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /* -------------------------------------------------------------- subscribing */

  /**
   * Sets which publishers a participant receives, on its one subscriber connection: the
   * first call joins it as a subscriber, later calls `update` the subscription (adding the
   * newcomers, dropping who is gone). Returns Janus's offer for the page to answer (pass
   * the answer to `start`), or `null` when nothing changed or Janus will send the offer
   * later as a `subscriberoffer` event (it does so while an earlier offer is unanswered).
   */
  subscribe(room: string, participantId: string, publisherIds: readonly string[], settings: RoomSettings): Promise<string | null> {
    const run = async (): Promise<string | null> => {
      const state = await this.#room(room, settings);
      const participant = this.#participant(state, participantId);
      const wanted = new Set(publisherIds.filter((id) => id !== participantId));
      const feedOf = (id: string): number => {
        const publisher = state.publishers.get(id);
        if (!publisher) throw new JanusError(`${id} does not publish in ${room}`, 428);
        return publisher.feed;
      };
      const adding = [...wanted].filter((id) => !participant.subscribedTo.has(id));
      const dropping = [...participant.subscribedTo].filter((id) => !wanted.has(id));
      if (!participant.subscriber && !participant.subscriberReady) {
        if (adding.length === 0) return null; // Janus refuses a subscription to nothing
        const handle = await this.#handle(participant, 'subscriber');
        const joined = await handle
          .joinSubscriber({
            room: state.id,
            // Every stream of each publisher: no mid means all of them.
            streams: adding.map((id) => ({ feed: feedOf(id) })),
            // The page can tell whose stream is whose from the msid (Janus names it after the feed).
            use_msid: true,
            // When a subscribed publisher leaves, Janus renegotiates by itself (see `subscriberoffer`).
            autoupdate: true,
          })
          .catch(async (error) => {
            // A handle whose join failed cannot be updated later ("unconfigured participant"):
            // drop it, so the next change starts a subscription afresh.
            if (participant.subscriber === handle) {
              participant.subscriber = undefined;
              participant.subscriberReady = undefined;
              await handle.detach().catch(() => {});
            }
            throw toJanusError(error, `subscribing ${participantId} failed`);
          });
        for (const id of adding) participant.subscribedTo.add(id);
        if (joined.streams) participant.subscriberStreams = joined.streams;
        return joined.jsep?.sdp ?? null;
      }
      // Streams a subscribed publisher added since (a screen share): Janus does not add
      // them to existing subscriptions by itself.
      const newStreams: { feed: number; mid: string }[] = [];
      for (const id of wanted) {
        if (!participant.subscribedTo.has(id)) continue;
        const publisher = state.publishers.get(id);
        if (!publisher) continue;
        for (const stream of publisher.streams) {
          if (stream.disabled || (stream.type !== 'audio' && stream.type !== 'video')) continue;
          const carried = participant.subscriberStreams.some((s) => s.feed_id === publisher.feed && s.feed_mid === stream.mid && s.active !== false);
          if (!carried) newStreams.push({ feed: publisher.feed, mid: stream.mid });
        }
      }
      if (adding.length === 0 && dropping.length === 0 && newStreams.length === 0) return null;
      const handle = await this.#handle(participant, 'subscriber');
      const subscribe = [...adding.map((id) => ({ feed: feedOf(id) })), ...newStreams];
      const unsubscribe = dropping.filter((id) => state.publishers.has(id)).map((id) => ({ feed: feedOf(id) }));
      const updated = await handle
        // Janus refuses an empty list (430), so each is sent only when it has something.
        .update({ ...(subscribe.length > 0 ? { subscribe } : {}), ...(unsubscribe.length > 0 ? { unsubscribe } : {}) })
        .catch((error) => {
          throw toJanusError(error, `updating ${participantId}'s subscription failed`);
        });
      for (const id of adding) participant.subscribedTo.add(id);
      for (const id of dropping) participant.subscribedTo.delete(id);
      if (updated.streams) participant.subscriberStreams = updated.streams;
      return updated.jsep?.sdp ?? null;
    };
    return this.#inLine(participantId, run);
  }

  /**
   * Asks Janus for an ICE restart of a participant's subscriber connection (the page's
   * side failed): a `configure` with `restart: true` on its subscriber handle, in line
   * with its other subscription changes. Returns Janus's new offer (new ICE credentials,
   * same streams) for the page to answer (pass the answer to `start`), or `null` when
   * Janus will send it later as a `subscriberoffer` event. Throws a `JanusError` without
   * a code when the participant has no subscription.
   */
  restartSubscriber(participantId: string): Promise<string | null> {
    const run = async (): Promise<string | null> => {
      this.#assertOpen();
      const participant = this.#participants.get(participantId);
      const handle = participant && (await (participant.subscriberReady ?? Promise.resolve(participant.subscriber)).catch(() => undefined));
      if (!participant || !handle) throw new JanusError(`${participantId} has no subscription to restart`);
      const configured = await handle.configure({ restart: true }).catch((error) => {
        throw toJanusError(error, `restarting ${participantId}'s subscription failed`);
      });
      if (configured.streams) participant.subscriberStreams = configured.streams;
      return configured.jsep?.type === 'offer' ? configured.jsep.sdp : null;
    };
    return this.#inLine(participantId, run);
  }

  /** Passes the page's answer to Janus's subscriber offer: media starts flowing to the page. */
  async start(participantId: string, answerSdp: string): Promise<void> {
    this.#assertOpen();
    const participant = this.#participants.get(participantId);
    const handle = participant && (await (participant.subscriberReady ?? Promise.resolve(participant.subscriber)));
    if (!handle) throw new JanusError(`${participantId} has no subscription to answer`);
    await handle.start({ jsep: { type: 'answer', sdp: answerSdp } }).catch((error) => {
      throw toJanusError(error, `starting ${participantId}'s subscription failed`);
    });
  }

  /**
   * Chooses which simulcast layer of a publisher's video a participant receives: 0 is the
   * smallest, 2 the full picture (Janus starts everyone on the best the link carries).
   * `temporal` (VP8 frame-rate layers, 0 to 2) is optional.
   */
  async selectLayer(participantId: string, publisherId: string, layer: { substream: 0 | 1 | 2; temporal?: 0 | 1 | 2 }): Promise<void> {
    this.#assertOpen();
    const participant = this.#participants.get(participantId);
    const handle = participant?.subscriber;
    const feed = participant?.room.publishers.get(publisherId)?.feed;
    const stream = participant?.subscriberStreams.find((s) => s.type === 'video' && s.feed_id === feed && s.active !== false);
    if (!participant || !handle || feed === undefined || !stream) throw new JanusError(`${participantId} receives no video from ${publisherId}`);
    await handle
      .configure({ streams: [{ mid: stream.mid, substream: layer.substream, ...(layer.temporal === undefined ? {} : { temporal: layer.temporal }) }] })
      .catch((error) => {
        throw toJanusError(error, `choosing a layer for ${participantId} failed`);
      });
  }

  /**
   * Hands Janus a candidate from a page for one of its two connections (`null`: the page
   * has no more). Candidates that come before the connection exists wait for it.
   */
  async trickle(participantId: string, target: PeerTarget, candidate: CandidateInit | null): Promise<void> {
    this.#assertOpen();
    const participant = this.#participants.get(participantId);
    if (!participant) return; // left already: nothing to connect
    const handle = target === 'publisher' ? participant.publisher : participant.subscriber;
    if (!handle) {
      participant.pendingCandidates[target].push(candidate);
      return;
    }
    await sendCandidate(handle, candidate);
  }

  /**
   * Takes a participant out of Janus: detaching its handles makes Janus hang up both
   * connections and tell the room its feed is gone. Idempotent.
   */
  async leave(participantId: string): Promise<void> {
    const participant = this.#participants.get(participantId);
    if (!participant) return;
    this.#forgetParticipant(participant);
    const handles = await Promise.all([
      participant.publisherReady?.catch(() => undefined),
      participant.subscriberReady?.catch(() => undefined),
    ]);
    if (!this.#closed) await Promise.all(handles.map((handle) => handle?.detach().catch(() => {})));
  }

  /** Leaves every room's participants, closes the session and the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const participant of [...this.#participants.values()]) await this.leave(participant.id);
    for (const state of [...this.#rooms.values()]) await this.#unwatch(state);
    this.#closed = true;
    this.#unlisten();
    this.#rooms.clear();
    await this.#session.destroy().catch(() => {});
    await this.#connection.close().catch(() => {});
  }

  /* -------------------------------------------------------------- internals */

  #assertOpen(): void {
    if (this.#closed) throw new JanusError(`the connection to Janus at ${this.url} is closed`);
  }

  #unlisten(): void {
    this.#connection.removeListener(Janode.EVENT.CONNECTION_ERROR, this.#onConnectionLost);
    this.#connection.removeListener(Janode.EVENT.CONNECTION_CLOSED, this.#onConnectionLost);
    this.#session.removeListener(Janode.EVENT.SESSION_DESTROYED, this.#onConnectionLost);
  }

  #lost(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    // janode has already detached every handle; drop ours without per-participant events,
    // the owner hears one `disconnected` and moves or ends the rooms.
    for (const participant of this.#participants.values()) participant.cleanups.splice(0).forEach((cleanup) => cleanup());
    for (const state of this.#rooms.values()) state.watcherCleanups.splice(0).forEach((cleanup) => cleanup());
    this.#participants.clear();
    this.#subscriptionChains.clear();
    this.#rooms.clear();
    // The session can also end with the WebSocket still open (Janus timed it out): close that too.
    void this.#connection.close().catch(() => {});
    this.#emit('disconnected', error ? { error } : {});
  }

  /** Runs one subscription change per participant at a time, in call order: each waits for the one before. */
  #inLine<T>(participantId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#subscriptionChains.get(participantId) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.then(
      () => {},
      () => {},
    );
    this.#subscriptionChains.set(participantId, settled);
    void settled.then(() => {
      if (this.#subscriptionChains.get(participantId) === settled) this.#subscriptionChains.delete(participantId);
    });
    return result;
  }

  #participant(state: RoomState, participantId: string): Participant {
    const known = this.#participants.get(participantId);
    if (known) {
      if (known.room !== state) throw new JanusError(`${participantId} is in room ${known.room.name}, not ${state.name}`);
      return known;
    }
    const participant: Participant = {
      id: participantId,
      room: state,
      subscribedTo: new Set(),
      subscriberStreams: [],
      pendingCandidates: { publisher: [], subscriber: [] },
      cleanups: [],
    };
    this.#participants.set(participantId, participant);
    state.participants.set(participantId, participant);
    return participant;
  }

  /** The participant's handle for one target, attached (and wired to our events) on first use. */
  #handle(participant: Participant, target: PeerTarget): Promise<VideoRoomHandle> {
    const readyKey = target === 'publisher' ? 'publisherReady' : 'subscriberReady';
    const existing = participant[readyKey];
    if (existing) return existing;
    const ready = (async () => {
      const handle = await this.#session.attach(VideoRoomPlugin).catch((error) => {
        throw toJanusError(error, 'attaching to the VideoRoom failed');
      });
      if (this.#participants.get(participant.id) !== participant) {
        // Left while attaching: do not leave the handle behind.
        await handle.detach().catch(() => {});
        throw new JanusError(`${participant.id} left`);
      }
      this.#wire(participant, target, handle);
      participant[target] = handle;
      for (const candidate of participant.pendingCandidates[target].splice(0)) await sendCandidate(handle, candidate);
      return handle;
    })();
    participant[readyKey] = ready;
    ready.catch(() => {
      if (participant[readyKey] === ready) participant[readyKey] = undefined;
    });
    return ready;
  }

  /** Turns one handle's janode events into ours; the removes go to `participant.cleanups`. */
  #wire(participant: Participant, target: PeerTarget, handle: VideoRoomHandle): void {
    const room = participant.room;
    const listen = (event: string, listener: Listener): void => {
      handle.on(event, listener);
      participant.cleanups.push(() => handle.removeListener(event, listener));
    };
    const base = { room: room.name, participantId: participant.id };
    listen(Janode.EVENT.HANDLE_WEBRTCUP, () => this.#emit('webrtcup', { ...base, target }));
    listen(Janode.EVENT.HANDLE_HANGUP, (data: { reason?: string }) => this.#emit('hangup', { ...base, target, reason: data?.reason ?? 'hangup' }));
    listen(Janode.EVENT.HANDLE_ICE_FAILED, () => this.#emit('hangup', { ...base, target, reason: 'ICE failed' }));
    listen(Janode.EVENT.HANDLE_TRICKLE, (data: { completed?: boolean; candidate?: string; sdpMid?: string; sdpMLineIndex?: number }) =>
      this.#emit('candidate', {
        ...base,
        target,
        candidate: data.completed ? null : { candidate: data.candidate ?? '', sdpMid: data.sdpMid ?? null, sdpMLineIndex: data.sdpMLineIndex ?? null },
      }),
    );
    listen(Janode.EVENT.HANDLE_DETACHED, () => {
      // Janus dropped the handle (session gone, room destroyed): the participant's media with it.
      if (target === 'publisher' && this.#participants.get(participant.id) === participant) this.#publisherGone(room, participant.id);
    });
    listen(VideoRoomPlugin.EVENT.VIDEOROOM_DESTROYED, () => void this.#roomGone(room));
    if (target === 'publisher') {
      this.#listenToPublishers(room, listen, participant);
    } else {
      // An offer Janus makes by itself (autoupdate after a publisher left, or a queued update).
      listen(VideoRoomPlugin.EVENT.VIDEOROOM_UPDATED, (data: { jsep?: Jsep; streams?: JanusStream[] }) => {
        if (data.streams) {
          participant.subscriberStreams = data.streams;
          const feeds = new Set(data.streams.map((s) => s.feed_id).filter((f) => f !== undefined));
          for (const id of [...participant.subscribedTo]) {
            const feed = room.publishers.get(id)?.feed;
            if (feed === undefined || !feeds.has(feed)) participant.subscribedTo.delete(id);
          }
        }
        if (data.jsep?.type === 'offer') this.#emit('subscriberoffer', { ...base, sdp: data.jsep.sdp });
      });
    }
  }

  /** Janus destroyed the room under us: let its participants go (once, though every handle hears it). */
  async #roomGone(room: RoomState): Promise<void> {
    if (this.#rooms.get(room.name) !== room) return;
    this.#rooms.delete(room.name);
    await this.#unwatch(room);
    await Promise.all([...room.participants.keys()].map((id) => this.leave(id)));
    this.#emit('roomdestroyed', { room: room.name });
  }

  #publisherSeen(room: RoomState, publisher: JanodePublisher): void {
    const participantId = publisher.display;
    if (!participantId) return; // not one of ours: every publisher we make carries its id as display
    const known = room.publishers.get(participantId);
    const info: PublisherInfo = { participantId, feed: publisher.feed, streams: publisher.streams ?? known?.streams ?? [] };
    room.publishers.set(participantId, info);
    if (!known || known.feed !== info.feed) {
      this.#emit('publisherjoined', { room: room.name, publisher: info });
    }
  }

  #publisherGone(room: RoomState, participantId: string): void {
    const known = room.publishers.get(participantId);
    if (!known) return;
    room.publishers.delete(participantId);
    room.talking.delete(participantId);
    // With autoupdate Janus has already dropped the feed from every subscription.
    for (const other of room.participants.values()) other.subscribedTo.delete(participantId);
    this.#emit('publisherleft', { room: room.name, participantId, feed: known.feed });
  }

  #forgetParticipant(participant: Participant): void {
    for (const cleanup of participant.cleanups.splice(0)) cleanup();
    this.#participants.delete(participant.id);
    participant.room.participants.delete(participant.id);
    this.#publisherGone(participant.room, participant.id);
  }
}

async function sendCandidate(handle: VideoRoomHandle, candidate: CandidateInit | null): Promise<void> {
  if (candidate === null || candidate.candidate === '') await handle.trickleComplete();
  else {
    // Janus wants the RTCIceCandidateInit fields; drop the nulls JSON would carry.
    const { candidate: line, sdpMid, sdpMLineIndex } = candidate;
    await handle.trickle({ candidate: line, ...(sdpMid == null ? {} : { sdpMid }), ...(sdpMLineIndex == null ? {} : { sdpMLineIndex }) });
  }
}

/** janode rejects with `Error("<code> <reason>")` (VideoRoom errors also carry `_code`). */
function toJanusError(error: unknown, context: string): JanusError {
  if (error instanceof JanusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const coded = (error as { _code?: number } | null)?._code;
  const code = typeof coded === 'number' ? coded : Number(/^(\d{3})\b/.exec(message)?.[1]) || undefined;
  return new JanusError(`${context}: ${message}`, code);
}
