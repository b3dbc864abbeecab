/**
 * Rooms shared by several signal server processes through one Redis (standalone or
 * replicated; not Redis Cluster: the scripts touch keys they compute themselves).
 *
 * Keys (prefix `rtc:` by default):
 *   rtc:participants        hash  participant id → room            (an id is in one room at most)
 *   rtc:room:<room>         hash  participant id → record JSON     (deleted by Redis when emptied)
 *   rtc:rooms               set   rooms that have participants     (for roomCount)
 *   rtc:seq                 counter giving each join its place     (members are listed in joining order)
 *   rtc:instance:<id>       string with an expiry: the heartbeat of a live store instance
 *   rtc:instances           set   instance ids that may own participants
 *   rtc:owned:<id>          set   participant ids owned by that instance
 *   rtc:sfu                 set   rooms that moved to the SFU       (TOPOLOGY=auto; left with the room)
 * A record is `{ s: joining order, o: owner instance, on: online, k: key hash hex or "", p: participant }`.
 * The key hash is kept only in the record, and only the participant (`p`) ever leaves this file.
 *
 * Every change is one Lua script, so it is atomic across processes: a join checks the
 * id, counts the room and writes in one step, hence concurrent joins never overfill a room.
 *
 * Crashed processes: each store refreshes its heartbeat key every `heartbeatIntervalMs`
 * with an expiry of `instanceTtlMs`. A process that dies stops refreshing; once its key has
 * expired, any surviving store's `sweepDeadInstances()` removes the participants it owned
 * (atomically, so exactly one survivor gets them, to announce as left). A store given
 * `onParticipantsSwept` sweeps by itself on every heartbeat.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRedisClient, throttledErrors, type RedisClient } from './redis-client.js';
import type { ParticipantInfo, Topology } from '../src/protocol/index.js';
import {
  newInstanceId,
  type CloseOptions,
  type Joiner,
  type LeaveOptions,
  type ParticipantPatch,
  type RoomJoinResult,
  type RoomLeaveResult,
  type RoomRejoinResult,
  type RoomStore,
} from './room-store.js';

export interface RedisRoomStoreOptions {
  /** The most participants one room may hold (every process should use the same). */
  capacity: number;
  /** Prefix of every key. Default `rtc:`. */
  keyPrefix?: string;
  /** How often this instance refreshes its heartbeat (and sweeps, see below). Default 3000 ms. */
  heartbeatIntervalMs?: number;
  /** How long a heartbeat lives: an instance silent for this long counts as dead. Default 10000 ms. */
  instanceTtlMs?: number;
  /**
   * When given, every heartbeat also sweeps dead instances and hands what it removed here,
   * for the server to announce (`participant-left` to each room).
   */
  onParticipantsSwept?: (removed: RoomLeaveResult[]) => void;
  /**
   * Called when a heartbeat finds that this instance's participants are gone from Redis:
   * it was swept as dead (Redis unreachable for longer than `instanceTtlMs`) or Redis lost
   * its data (a restart without persistence). The server should then disconnect its own
   * sockets (`io.local.disconnectSockets(true)`) so that clients resume, which rebuilds the
   * rooms from the ids they keep.
   */
  onStateLost?: () => void;
  /** Where connection errors go. Default: `console.error`, at most once per 10 s. */
  onError?: (error: Error) => void;
  /** Time for `ready()`'s PING. Default 1000 ms. */
  readyTimeoutMs?: number;
}


/** What is stored per participant, in its room's hash. */
interface StoredRecord {
  /** Joining order. */
  s: number;
  /** Owner: the instance id the participant last joined or rejoined through. */
  o: string;
  /** Online: false while in its disconnect grace. */
  on: boolean;
  /** SHA-256 of its session key, hex; "" if it sent none. */
  k: string;
  p: ParticipantInfo;
}

/**
 * Shared Lua: ARGV[1] is always the key prefix. `find` answers a participant's room and
 * decoded record; `remove` takes it out everywhere, the room's entry in `rooms` included
 * once the room hash is empty (Redis deletes an empty hash by itself).
 */
const LUA_PRELUDE = `
local P = ARGV[1]
local function roomKey(room) return P .. 'room:' .. room end
local function find(id)
  local room = redis.call('HGET', P .. 'participants', id)
  if not room then return nil end
  local raw = redis.call('HGET', roomKey(room), id)
  if not raw then return nil end
  return room, cjson.decode(raw), raw
end
local function remove(id, room, rec)
  redis.call('HDEL', P .. 'participants', id)
  redis.call('HDEL', roomKey(room), id)
  redis.call('SREM', P .. 'owned:' .. rec.o, id)
  if redis.call('EXISTS', roomKey(room)) == 0 then
    redis.call('SREM', P .. 'rooms', room)
    redis.call('SREM', P .. 'sfu', room)
  end
end
`;

/** A Lua script, sent by SHA once Redis has it. */
class Script {
  readonly source: string;
  readonly sha: string;
  constructor(body: string) {
    this.source = LUA_PRELUDE + body;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }
}

const SCRIPTS = {
  /** ARGV: prefix, room, id, participant JSON, key hash hex, owner, capacity → {'ok', others' records...} or {reason}. */
  join: new Script(`
local room, id, owner = ARGV[2], ARGV[3], ARGV[6]
if redis.call('HEXISTS', P .. 'participants', id) == 1 then return {'already-joined'} end
local key = roomKey(room)
if redis.call('HLEN', key) >= tonumber(ARGV[7]) then return {'room-full'} end
local answer = redis.call('HVALS', key)
table.insert(answer, 1, 'ok')
local rec = { s = redis.call('INCR', P .. 'seq'), o = owner, on = true, k = ARGV[5], p = cjson.decode(ARGV[4]) }
redis.call('HSET', key, id, cjson.encode(rec))
redis.call('HSET', P .. 'participants', id, room)
redis.call('SADD', P .. 'rooms', room)
redis.call('SADD', P .. 'owned:' .. owner, id)
return answer`),

  /** ARGV: prefix, id, participant JSON, owner → every record of its room (updated) or nil. */
  rejoin: new Script(`
local id, owner = ARGV[2], ARGV[4]
local room, rec = find(id)
if not room then return nil end
redis.call('SREM', P .. 'owned:' .. rec.o, id)
redis.call('SADD', P .. 'owned:' .. owner, id)
rec.p, rec.o, rec.on = cjson.decode(ARGV[3]), owner, true
redis.call('HSET', roomKey(room), id, cjson.encode(rec))
return redis.call('HVALS', roomKey(room))`),

  /** ARGV: prefix, id, required owner ("" for any) → {room, record} or nil. */
  leave: new Script(`
local id, owner = ARGV[2], ARGV[3]
local room, rec, raw = find(id)
if not room or (owner ~= '' and rec.o ~= owner) then return nil end
remove(id, room, rec)
return {room, raw}`),

  /** ARGV: prefix, id, patch JSON → the updated record or nil. Only the protocol's fields are copied. */
  update: new Script(`
local room, rec = find(ARGV[2])
if not room then return nil end
local patch = cjson.decode(ARGV[3])
for _, field in ipairs({'name', 'microphone', 'camera', 'screenSharing', 'screenStreamId', 'recording'}) do
  if patch[field] ~= nil then rec.p[field] = patch[field] end
end
local raw = cjson.encode(rec)
redis.call('HSET', roomKey(room), ARGV[2], raw)
return raw`),

  /** ARGV: prefix, id, owner → 1 when marked offline, 0 when absent or owned by another instance. */
  markOffline: new Script(`
local room, rec = find(ARGV[2])
if not room or rec.o ~= ARGV[3] then return 0 end
rec.on = false
redis.call('HSET', roomKey(room), ARGV[2], cjson.encode(rec))
return 1`),

  /** ARGV: prefix, room, limit → {topology, switched (1/0)}. A room moves to the SFU once, and only while it exists. */
  moveToSfuAbove: new Script(`
local room = ARGV[2]
if redis.call('SISMEMBER', P .. 'sfu', room) == 1 then return {'sfu', 0} end
local size = redis.call('HLEN', roomKey(room))
if size == 0 or size <= tonumber(ARGV[3]) then return {'mesh', 0} end
redis.call('SADD', P .. 'sfu', room)
return {'sfu', 1}`),

  /** ARGV: prefix, id → {room, record} or nil. */
  find: new Script(`
local room, _, raw = find(ARGV[2])
if not room then return nil end
return {room, raw}`),

  /**
   * ARGV: prefix, instance, "1" to act only if its heartbeat is gone (a sweep) → flat
   * {room, record, room, record, ...} of the participants removed. Forgets the instance.
   */
  removeOwned: new Script(`
local instance = ARGV[2]
if ARGV[3] == '1' and redis.call('EXISTS', P .. 'instance:' .. instance) == 1 then return {} end
local removed = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'owned:' .. instance)) do
  local room, rec, raw = find(id)
  if room and rec.o == instance then
    remove(id, room, rec)
    table.insert(removed, room)
    table.insert(removed, raw)
  end
end
redis.call('DEL', P .. 'owned:' .. instance)
redis.call('SREM', P .. 'instances', instance)
return removed`),

  /**
   * ARGV: prefix, instance, ttl ms → 1 if the instance was still registered, 0 if not (new,
   * swept, or Redis lost its data). Registers it and refreshes its heartbeat.
   */
  heartbeat: new Script(`
local known = redis.call('SADD', P .. 'instances', ARGV[2]) == 0
redis.call('SET', P .. 'instance:' .. ARGV[2], '1', 'PX', ARGV[3])
if known then return 1 else return 0 end`),
} as const;

export class RedisRoomStore implements RoomStore {
  readonly capacity: number;
  readonly instanceId = newInstanceId();
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #options: RedisRoomStoreOptions;
  readonly #ttlMs: number;
  readonly #onError: (error: Error) => void;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  /**
   * Connects to Redis, registers this instance and starts its heartbeat. Rejects if Redis
   * cannot be reached at startup (after a few quick retries); once connected, the client
   * reconnects on its own for as long as it takes, and `ready()` reports the outage.
   */
  static async connect(url: string, options: RedisRoomStoreOptions): Promise<RedisRoomStore> {
    // While Redis is away, operations fail at once (the server refuses the request).
    const client = createRedisClient(url);
    const store = new RedisRoomStore(client, options);
    try {
      await client.connect();
      await store.#heartbeat();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private constructor(client: RedisClient, options: RedisRoomStoreOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`room capacity must be a positive integer, got ${String(options.capacity)}`);
    }
    const intervalMs = options.heartbeatIntervalMs ?? 3000;
    this.#ttlMs = options.instanceTtlMs ?? 10_000;
    if (!(intervalMs > 0 && this.#ttlMs >= 2 * intervalMs)) {
      throw new RangeError('instanceTtlMs must be at least twice heartbeatIntervalMs');
    }
    this.capacity = options.capacity;
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'rtc:';
    this.#options = options;
    this.#onError = options.onError ?? throttledErrors((error) => console.error('rtc-signal-server: redis:', error.message));
    // An 'error' listener is mandatory: without one, node-redis would crash the process.
    client.on('error', (error: Error) => this.#onError(error));
    let beating = false;
    this.#heartbeatTimer = setInterval(() => {
      if (beating) return;
      beating = true;
      void this.#tick().finally(() => (beating = false));
    }, intervalMs);
    this.#heartbeatTimer.unref();
  }

  async join(room: string, participant: Joiner, keyHash?: Uint8Array): Promise<RoomJoinResult> {
    const self = toParticipant(participant);
    const keyHex = keyHash ? Buffer.from(keyHash).toString('hex') : '';
    const answer = (await this.#run(SCRIPTS.join, room, self.id, toJson(self), keyHex, this.instanceId, String(this.capacity))) as string[];
    const [status, ...others] = answer;
    if (status === 'room-full' || status === 'already-joined') return { ok: false, reason: status };
    return { ok: true, participant: self, others: inOrder(others) };
  }

  async rejoin(participant: Joiner): Promise<RoomRejoinResult | undefined> {
    const self = toParticipant(participant);
    const records = (await this.#run(SCRIPTS.rejoin, self.id, toJson(self), this.instanceId)) as string[] | null;
    if (!records) return undefined;
    return { participant: self, others: inOrder(records).filter((member) => member.id !== self.id) };
  }

  async keyMatches(id: string, keyHash: Uint8Array): Promise<boolean> {
    const stored = (await this.#find(id))?.record.k;
    if (!stored) return false;
    const storedBytes = Buffer.from(stored, 'hex');
    return storedBytes.length === keyHash.length && timingSafeEqual(storedBytes, keyHash);
  }

  async leave(id: string, options: LeaveOptions = {}): Promise<RoomLeaveResult | undefined> {
    const owner = options.onlyIfOwned ? this.instanceId : '';
    const answer = (await this.#run(SCRIPTS.leave, id, owner)) as [string, string] | null;
    return answer ? { room: answer[0], participant: parseRecord(answer[1]).p } : undefined;
  }

  async update(id: string, patch: ParticipantPatch): Promise<ParticipantInfo | undefined> {
    const raw = (await this.#run(SCRIPTS.update, id, toJson(patch))) as string | null;
    return raw === null ? undefined : parseRecord(raw).p;
  }

  async get(id: string): Promise<ParticipantInfo | undefined> {
    return (await this.#find(id))?.record.p;
  }

  async roomOf(id: string): Promise<string | undefined> {
    return (await this.#client.hGet(this.#prefix + 'participants', id)) ?? undefined;
  }

  async members(room: string): Promise<ParticipantInfo[]> {
    return inOrder(await this.#client.hVals(this.#prefix + 'room:' + room));
  }

  async roomCount(): Promise<number> {
    return this.#client.sCard(this.#prefix + 'rooms');
  }

  async participantCount(): Promise<number> {
    return this.#client.hLen(this.#prefix + 'participants');
  }

  async topology(room: string): Promise<Topology> {
    return (await this.#client.sIsMember(this.#prefix + 'sfu', room)) ? 'sfu' : 'mesh';
  }

  async moveToSfuAbove(room: string, limit: number): Promise<{ topology: Topology; switched: boolean }> {
    const [topology, switched] = (await this.#run(SCRIPTS.moveToSfuAbove, room, String(limit))) as [Topology, number];
    return { topology, switched: switched === 1 };
  }

  async sfuRoomCount(): Promise<number> {
    return this.#client.sCard(this.#prefix + 'sfu');
  }

  async markOffline(id: string): Promise<boolean> {
    return (await this.#run(SCRIPTS.markOffline, id, this.instanceId)) === 1;
  }

  async isOnline(id: string): Promise<boolean> {
    return (await this.#find(id))?.record.on === true;
  }

  /**
   * Removes every participant owned by `instanceId`, whether it is alive or not, and
   * forgets the instance. Answers what was removed, for the caller to announce.
   */
  async removeParticipantsOf(instanceId: string): Promise<RoomLeaveResult[]> {
    return removedList(await this.#run(SCRIPTS.removeOwned, instanceId, '0'));
  }

  /**
   * Removes the participants of every instance whose heartbeat has expired (a crashed or
   * partitioned process), never this one's. Atomic per instance: when several survivors
   * sweep at once, each participant is answered to exactly one of them.
   */
  async sweepDeadInstances(): Promise<RoomLeaveResult[]> {
    const instances = await this.#client.sMembers(this.#prefix + 'instances');
    const removed: RoomLeaveResult[] = [];
    for (const instance of instances) {
      if (instance === this.instanceId) continue;
      if ((await this.#client.exists(this.#prefix + 'instance:' + instance)) === 1) continue;
      removed.push(...removedList(await this.#run(SCRIPTS.removeOwned, instance, '1')));
    }
    return removed;
  }

  async ready(): Promise<boolean> {
    if (this.#closed || !this.#client.isReady) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#options.readyTimeoutMs ?? 1000);
    });
    const ping = this.#client.ping().then(
      (reply) => reply === 'PONG',
      () => false,
    );
    return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Stops the heartbeat and disconnects. The heartbeat key is deleted, or with `lingerMs`
   * set to expire after that long, so whatever this instance still owns is swept by a
   * surviving instance at its first sweep after that (the server normally removes its
   * participants itself before closing the store, or leaves those of the clients it sent
   * away, for them to resume elsewhere). Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#heartbeatTimer);
      if (this.#client.isReady) {
        try {
          const heartbeat = this.#prefix + 'instance:' + this.instanceId;
          const lingerMs = Math.floor(options.lingerMs ?? 0);
          if (lingerMs > 0) await this.#client.set(heartbeat, '1', { expiration: { type: 'PX', value: lingerMs } });
          else await this.#client.del(heartbeat);
          await this.#client.close();
          return;
        } catch {
          // Fall through: drop the connection without waiting.
        }
      }
      if (this.#client.isOpen) this.#client.destroy();
    })();
    return this.#closed;
  }

  /** One heartbeat: refresh this instance's key, then sweep if asked to. Never rejects. */
  async #tick(): Promise<void> {
    try {
      if (!this.#client.isReady) return;
      const known = await this.#heartbeat();
      if (!known) this.#options.onStateLost?.();
      const onSwept = this.#options.onParticipantsSwept;
      if (onSwept) {
        const removed = await this.sweepDeadInstances();
        if (removed.length > 0) onSwept(removed);
      }
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Refreshes the heartbeat; answers whether the instance was still registered. */
  async #heartbeat(): Promise<boolean> {
    return (await this.#run(SCRIPTS.heartbeat, this.instanceId, String(this.#ttlMs))) === 1;
  }

  async #find(id: string): Promise<{ room: string; record: StoredRecord } | undefined> {
    const answer = (await this.#run(SCRIPTS.find, id)) as [string, string] | null;
    return answer ? { room: answer[0], record: parseRecord(answer[1]) } : undefined;
  }

  /** Runs a script by its SHA, sending the source only when Redis does not have it yet. */
  async #run(script: Script, ...args: string[]): Promise<unknown> {
    const options = { arguments: [this.#prefix, ...args] };
    try {
      return await this.#client.evalSha(script.sha, options);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return this.#client.eval(script.source, options);
    }
  }
}

/** A participant record holding exactly the protocol's fields, defaults filled in (as rooms.ts does). */
function toParticipant(participant: Joiner | ParticipantInfo): ParticipantInfo {
  return {
    id: participant.id,
    name: participant.name,
    microphone: participant.microphone ?? false,
    camera: participant.camera ?? false,
    screenSharing: participant.screenSharing ?? false,
    screenStreamId: participant.screenStreamId ?? null,
    recording: participant.recording ?? false,
  };
}

function parseRecord(raw: string): StoredRecord {
  const record = JSON.parse(raw) as StoredRecord;
  return { ...record, p: toParticipant(record.p) };
}

/** Participants from their records, in joining order. */
function inOrder(records: string[]): ParticipantInfo[] {
  return records
    .map(parseRecord)
    .sort((a, b) => a.s - b.s)
    .map((record) => record.p);
}

/** A flat {room, record, ...} list from a script as leave results. */
function removedList(flat: unknown): RoomLeaveResult[] {
  const items = flat as string[];
  const removed: RoomLeaveResult[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    removed.push({ room: items[i] as string, participant: parseRecord(items[i + 1] as string).p });
  }
  return removed;
}

/**
 * JSON for the Lua side. Redis's cjson refuses lone UTF-16 surrogates (which JSON.stringify
 * escapes as `\ud800`), so they become U+FFFD; display names never hold any (validate.ts
 * strips them), so this only ever touches malformed strings.
 */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === 'string' ? field.replace(/\p{Cs}/gu, '\uFFFD') : field,
  );
}
