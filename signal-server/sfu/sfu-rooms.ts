/**
 * The SFU rooms of one signal-server process: turns the pages' `sfu-*` requests into
 * calls on the room's Janus (through the pool) and Janus's events into messages for the
 * pages. It keeps who of this process's participants is in which SFU room, and keeps
 * each of them subscribed to everyone else publishing there:
 *
 * - a participant entering an SFU room is subscribed at once to whoever publishes (and
 *   gets an `sfu-offer`), whether it publishes itself or not;
 * - whenever the publishers or their streams change (someone publishes, renegotiates,
 *   leaves), everyone else's subscription is updated and a new `sfu-offer` goes out;
 *   offers Janus makes by itself (a publisher left) go out the same way;
 * - a room whose Janus went down is placed on another and its pages are told
 *   `topology {sfu}` again: they set up both connections from scratch;
 * - with placement shared between processes (`REDIS_URL`), each process watches each of
 *   its rooms through one handle of its own (`JanusVideoRoom.watch`), so it hears of the
 *   publishers of every process, and lets the room go when its last participant here leaves.
 *
 * Nothing here logs an SDP, a candidate or a secret.
 */
import type { IceCandidateInfo, SfuStreamInfo, SfuTarget } from '../../src/protocol/index.js';
import type { Logger } from '../logger.js';
import { JanusError, type JanusStream, type JanusVideoRoom } from './janus-videoroom.js';
import type { JanusPool } from './janus-pool.js';
import { SfuRequestError, type SfuBackend, type SfuSink, type SfuStats } from './types.js';

/** The description a screen-share stream is published with; subscribers see it as `feed_description`. */
export const SCREEN_DESCRIPTION = 'screen';

export class SfuRooms implements SfuBackend {
  readonly #pool: JanusPool;
  readonly #logger: Logger;
  #sink: SfuSink | undefined;
  #capacity = 8;
  /** This process's participants in SFU rooms: participant id → room. */
  readonly #members = new Map<string, string>();
  /** Room → its participants on this process. */
  readonly #rooms = new Map<string, Set<string>>();
  /** Participant → the mid of its screen share, as its last `sfu-publish` said. */
  readonly #screenMids = new Map<string, string>();
  /**
   * This process's participants whose publisher connection is up. Janus refuses to
   * subscribe anyone to a publisher before that (428 "no such feed").
   */
  readonly #started = new Set<string>();
  /** This process's participants that were sent an `sfu-offer` (and so have something to answer). */
  readonly #offered = new Set<string>();
  /** ICE restarts of subscriber connections in flight: a page asking again meanwhile shares the one under way. */
  readonly #restarts = new Map<string, Promise<void>>();
  /** Who is talking now, by room: Janus only says when it changes, so newcomers are told from here. */
  readonly #talking = new Map<string, Set<string>>();

  constructor(pool: JanusPool, logger: Logger) {
    this.#pool = pool;
    this.#logger = logger;
    pool.on('publisherjoined', ({ room, publisher }) => this.#refresh(room, publisher.participantId));
    pool.on('publisherleft', ({ room, participantId }) => {
      this.#started.delete(participantId);
      // Gone, so not talking (a publisher of another process is not seen leaving otherwise).
      this.#setTalking(room, participantId, false);
      this.#refresh(room, participantId);
    });
    pool.on('webrtcup', ({ room, participantId, target }) => {
      if (target !== 'publisher' || this.#members.get(participantId) !== room) return;
      this.#started.add(participantId);
      this.#refresh(room, participantId);
    });
    pool.on('subscriberoffer', ({ room, participantId, sdp }) => {
      if (this.#members.get(participantId) === room) this.#sendOffer(room, participantId, sdp);
    });
    pool.on('talking', ({ room, participantId, talking }) => {
      this.#setTalking(room, participantId, talking);
      // With several processes in a room each hears it (watchers): the publisher's own
      // process tells the room, once; the others only keep it for their newcomers.
      if (!pool.shared || this.#members.get(participantId) === room) this.#sink?.toRoom(room, 'talking', { id: participantId, talking });
    });
    pool.on('candidate', ({ room, participantId, target, candidate }) => {
      if (this.#members.get(participantId) === room) this.#sink?.toParticipant(participantId, 'sfu-candidate', { target, candidate });
    });
    pool.on('hangup', ({ room, participantId, target, reason }) => this.#logger.info({ room, participantId, target, reason }, 'SFU connection ended'));
    pool.on('moved', ({ rooms, from }) => {
      for (const room of rooms) this.#restart(room, `its Janus (${from}) went away`);
    });
    // Rooms left without an instance (none was up when theirs died) go to the one back now.
    pool.on('up', () => {
      for (const room of this.#rooms.keys()) if (!pool.placed(room)) this.#restart(room, 'an SFU is reachable again');
    });
    // Someone else (a process sharing the room key) destroyed the VideoRoom: set it up again.
    pool.on('roomdestroyed', ({ room }) => this.#restart(room, 'its VideoRoom was destroyed'));
  }

  bind(sink: SfuSink): void {
    this.#sink = sink;
  }

  setCapacity(capacity: number): void {
    this.#capacity = capacity;
  }

  async enter(room: string, participantId: string): Promise<void> {
    const known = this.#members.get(participantId);
    if (known === room) return;
    if (known !== undefined) await this.leave(known, participantId, false);
    this.#members.set(participantId, room);
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(participantId);
    for (const id of this.#talking.get(room) ?? []) this.#sink?.toParticipant(participantId, 'talking', { id, talking: true });
    await this.#subscribe(room, participantId);
  }

  async publish(room: string, participantId: string, sdp: string, screenMid: string | null): Promise<string> {
    await this.enter(room, participantId);
    const sfu = await this.#sfu(room);
    if (screenMid) this.#screenMids.set(participantId, screenMid);
    else this.#screenMids.delete(participantId);
    let answer: string;
    try {
      answer = await sfu.publish(room, participantId, sdp, this.#settings(), {
        ...(screenMid ? { descriptions: [{ mid: screenMid, description: SCREEN_DESCRIPTION }] } : {}),
      });
    } catch (error) {
      throw this.#failure(error, 'publishing failed', { room, participantId });
    }
    // A renegotiation may have added a stream (a screen share): Janus raises no event for
    // that, so everyone else's subscription is brought up to date here.
    this.#refresh(room, participantId);
    return answer;
  }

  async answer(room: string, participantId: string, sdp: string): Promise<void> {
    this.#assertMember(room, participantId);
    if (!this.#offered.has(participantId)) throw new SfuRequestError('there is no sfu-offer to answer', 'invalid-input');
    try {
      await (await this.#sfu(room)).start(participantId, sdp);
    } catch (error) {
      throw this.#failure(error, 'the subscription could not start', { room, participantId });
    }
  }

  async candidate(room: string, participantId: string, target: SfuTarget, candidate: IceCandidateInfo | null): Promise<void> {
    this.#assertMember(room, participantId);
    const sfu = this.#pool.placed(room);
    if (!sfu) return; // nowhere to go now; the pages are told to start over once placed
    await sfu.trickle(participantId, target, candidate).catch((error: unknown) => {
      this.#logger.debug({ err: error, room, participantId, target }, 'a candidate could not be passed to Janus');
    });
  }

  async layer(room: string, participantId: string, publisherId: string, layer: 0 | 1 | 2): Promise<void> {
    this.#assertMember(room, participantId);
    try {
      await (await this.#sfu(room)).selectLayer(participantId, publisherId, { substream: layer });
    } catch (error) {
      // The wrapper's own refusal (no code from Janus): it does not receive that video.
      if (error instanceof JanusError && error.code === undefined) throw new SfuRequestError(`you receive no video from ${publisherId}`, 'invalid-input');
      throw this.#failure(error, 'the layer could not be chosen', { room, participantId });
    }
  }

  restartSubscriber(room: string, participantId: string): Promise<void> {
    const running = this.#restarts.get(participantId);
    if (running) return running;
    const restart = this.#restartSubscriber(room, participantId).finally(() => this.#restarts.delete(participantId));
    this.#restarts.set(participantId, restart);
    return restart;
  }

  async #restartSubscriber(room: string, participantId: string): Promise<void> {
    this.#assertMember(room, participantId);
    if (!this.#offered.has(participantId)) throw new SfuRequestError('there is no subscription to restart: wait for an sfu-offer', 'invalid-input');
    const sfu = await this.#sfu(room);
    let sdp: string | null;
    try {
      sdp = await sfu.restartSubscriber(participantId);
    } catch (error) {
      // The wrapper's own refusal (no code from Janus): no subscriber handle (any more).
      if (error instanceof JanusError && error.code === undefined && !sfu.closed) throw new SfuRequestError('there is no subscription to restart', 'invalid-input');
      throw this.#failure(error, 'the subscription could not be restarted', { room, participantId });
    }
    // `null`: Janus sends the offer by itself (`subscriberoffer`), once an earlier one is answered.
    if (sdp !== null && this.#members.get(participantId) === room) this.#sendOffer(room, participantId, sdp);
  }

  async leave(room: string, participantId: string, roomEmpty: boolean): Promise<void> {
    if (this.#members.get(participantId) === room) {
      this.#members.delete(participantId);
      this.#screenMids.delete(participantId);
      this.#started.delete(participantId);
      this.#offered.delete(participantId);
      this.#setTalking(room, participantId, false);
      const members = this.#rooms.get(room);
      members?.delete(participantId);
      if (members?.size === 0) this.#rooms.delete(room);
    }
    const sfu = this.#pool.placed(room);
    // Its publisher leaving makes Janus tell the room; `publisherleft` updates the others.
    await sfu?.leave(participantId).catch((error: unknown) => {
      this.#logger.warn({ err: error, room, participantId }, 'could not take a participant out of Janus');
    });
    if (this.#rooms.has(room)) return;
    if (roomEmpty) await this.#pool.release(room);
    // Others are left on other processes: this one stops watching the room.
    else if (this.#pool.shared) {
      this.#talking.delete(room);
      await this.#pool.forget(room);
    }
  }

  #setTalking(room: string, participantId: string, talking: boolean): void {
    const talkers = this.#talking.get(room) ?? new Set<string>();
    if (talking) talkers.add(participantId);
    else talkers.delete(participantId);
    if (talkers.size) this.#talking.set(room, talkers);
    else this.#talking.delete(room);
  }

  stats(): SfuStats {
    let publishers = 0;
    for (const sfu of this.#pool.live) publishers += sfu.load.publishers;
    return { instancesUp: this.#pool.upCount, instances: this.#pool.size, rooms: this.#rooms.size, publishers };
  }

  async close(): Promise<void> {
    this.#members.clear();
    this.#rooms.clear();
    await this.#pool.close();
  }

  /* ---------------------------------------------------------------- internals */

  #settings(): { capacity: number } {
    return { capacity: this.#capacity };
  }

  #assertMember(room: string, participantId: string): void {
    if (this.#members.get(participantId) !== room) {
      throw new SfuRequestError('publish or wait for an sfu-offer first', 'invalid-input');
    }
  }

  /** The room's Janus; places the room when it has none. */
  async #sfu(room: string): Promise<JanusVideoRoom> {
    const sfu = await this.#placed(room);
    if (!sfu) throw new SfuRequestError('the SFU is not reachable right now: try again shortly', 'connection-failed');
    return sfu;
  }

  /**
   * The room's Janus, placing the room when it has none (shared placement: where every
   * process puts it), and, with shared placement, watching the room there so that the
   * publishers of the other processes are heard of. Undefined when no Janus is up.
   */
  async #placed(room: string): Promise<JanusVideoRoom | undefined> {
    const sfu = await this.#pool.assign(room);
    if (sfu && this.#pool.shared && this.#rooms.has(room)) {
      await sfu.watch(room, this.#settings()).catch((error: unknown) => {
        if (!sfu.closed) this.#logger.warn({ room, reason: error instanceof Error ? error.message : String(error) }, 'SFU: could not watch a room');
      });
    }
    return sfu;
  }

  /** A Janus failure as the page hears it (the log keeps Janus's reason, never an SDP). */
  #failure(error: unknown, what: string, context: Record<string, string>): SfuRequestError {
    if (error instanceof SfuRequestError) return error;
    this.#logger.warn({ ...context, reason: error instanceof Error ? error.message : String(error), code: error instanceof JanusError ? error.code : undefined }, `SFU: ${what}`);
    return new SfuRequestError(`${what} on the SFU`, 'connection-failed');
  }

  /** Updates the subscriptions of this room's participants other than `changed`. */
  #refresh(room: string, changed: string): void {
    for (const participantId of this.#rooms.get(room) ?? []) {
      if (participantId !== changed) void this.#subscribe(room, participantId);
    }
  }

  /**
   * Subscribes a participant to everyone else publishing in its room (adding newcomers and
   * new streams, dropping who is gone) and sends Janus's offer, if it made one. Never rejects.
   */
  async #subscribe(room: string, participantId: string): Promise<void> {
    const sfu = await this.#placed(room);
    if (!sfu || this.#members.get(participantId) !== room) return;
    // Publishers of other processes are only heard of once started; ours count from then.
    const publishers = sfu
      .publishers(room)
      .map((publisher) => publisher.participantId)
      .filter((id) => !this.#members.has(id) || this.#started.has(id));
    try {
      const sdp = await sfu.subscribe(room, participantId, publishers, this.#settings());
      if (sdp !== null && this.#members.get(participantId) === room) this.#sendOffer(room, participantId, sdp);
    } catch (error) {
      if (this.#members.get(participantId) !== room || sfu.closed) return; // left, or Janus went away: nothing to do
      this.#logger.warn({ room, participantId, reason: error instanceof Error ? error.message : String(error) }, 'SFU: could not update a subscription');
    }
  }

  #sendOffer(room: string, participantId: string, sdp: string): void {
    const sfu = this.#pool.placed(room);
    const streams = sfu ? this.#streamsOf(room, sfu.subscription(participantId), sfu) : [];
    this.#offered.add(participantId);
    this.#sink?.toParticipant(participantId, 'sfu-offer', { sdp, streams });
  }

  /** The subscriber streams that carry someone: mid → participant, kind, screen. */
  #streamsOf(room: string, streams: JanusStream[], sfu: JanusVideoRoom): SfuStreamInfo[] {
    const byFeed = new Map(sfu.publishers(room).map((publisher) => [publisher.feed, publisher.participantId]));
    const infos: SfuStreamInfo[] = [];
    for (const stream of streams) {
      if (stream.type !== 'audio' && stream.type !== 'video') continue;
      if (stream.active === false || stream.feed_id === undefined) continue;
      // Every publisher joins Janus with its participant id as `display`.
      const participant = stream.feed_display ?? byFeed.get(stream.feed_id);
      if (!participant) continue;
      const screen =
        stream.type === 'video' &&
        (stream.feed_description === SCREEN_DESCRIPTION || (stream.feed_mid !== undefined && this.#screenMids.get(participant) === stream.feed_mid));
      infos.push({ mid: stream.mid, participant, kind: stream.type, screen });
    }
    return infos;
  }

  /** The room must be set up again from scratch (new Janus, or its VideoRoom gone). */
  #restart(room: string, why: string): void {
    const members = this.#rooms.get(room);
    if (!members || members.size === 0) return;
    this.#logger.warn({ room, participants: members.size, janus: this.#pool.urlOf(room) ?? null }, `SFU room restarted: ${why}`);
    for (const participantId of members) {
      this.#started.delete(participantId);
      this.#offered.delete(participantId);
    }
    this.#sink?.toRoom(room, 'topology', { topology: 'sfu' });
    // Nobody publishes on the new instance yet; subscriptions follow as pages publish again.
    for (const participantId of members) void this.#subscribe(room, participantId);
  }
}
