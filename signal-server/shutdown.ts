/**
 * A signal server's graceful shutdown (`SignalServer.close()`): every client is sent away
 * to come back elsewhere, the participants are removed or, with a shared store, left for
 * them to resume on another process, and the engine, the store and the SFU are closed.
 */
import type { Logger } from './logger.js';
import type { Participants } from './participants.js';
import type { RoomStore } from './room-store.js';
import type { SfuBackend } from './sfu/types.js';
import type { SignalIo } from './signal-socket.js';

/** How long `close()` waits for the disconnect notices to go out before closing transports. */
const CLOSE_DRAIN_MS = 1000;

/**
 * With a shared store, how much longer than the disconnect grace the participants of the
 * clients `close()` sends away are kept for them to resume on another process: the
 * library's client comes back 0.5 to 2 s after being sent away.
 */
const CLOSE_HANDOVER_MS = 2000;

export interface ShutdownOptions {
  io: SignalIo;
  rooms: RoomStore;
  participants: Participants;
  sfu: SfuBackend | undefined;
  logger: Logger;
  /** Whether other processes may share the store. */
  shared: boolean;
  /** The disconnect grace (ms). */
  graceMs: number;
}

/**
 * Shuts the server down, once the caller has marked it closing: the clients are sent away
 * at once; the promise settles when everything is closed.
 */
export function shutDown(options: ShutdownOptions): Promise<void> {
  const { io, rooms, participants, sfu, logger, shared, graceMs } = options;
  const { detach, graceTimers, cancelGrace, removeParticipant } = participants;
  const connected = [...io.sockets.sockets.values()];
  // Taken from their sockets first, so that the disconnects below do nothing more.
  const held = connected.flatMap((socket) => detach(socket)?.id ?? []);
  const inGrace = [...graceTimers.keys()];
  for (const id of inGrace) cancelGrace(id);
  logger.info({ clients: connected.length, participants: held.length, inGrace: inGrace.length }, 'closing: disconnecting every client');
  for (const socket of connected) socket.disconnect(true);
  return (async () => {
    const removals: Array<Promise<unknown>> = [
      // Everyone connected is about to reconnect and resume: with a shared store, their
      // participants stay (offline) for that, and the processes that remain sweep whoever
      // does not come back once this one is gone. Otherwise they go, without a word.
      ...held.map((id) => (shared ? rooms.markOffline(id) : removeParticipant(id, 'shutdown', false))),
      // Those in their grace are gone already: anyone left in their rooms (on other
      // processes) is told now.
      ...inGrace.map((id) => removeParticipant(id, 'shutdown')),
    ];
    for (const result of await Promise.allSettled(removals)) {
      if (result.status === 'rejected') logger.warn({ err: result.reason }, 'closing: could not update a participant');
    }
    // Let the disconnect notices go out (a polling client fetches its own) before the
    // engine closes every transport, discarding whatever is still buffered.
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while (io.engine.clientsCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await io.close();
    // With a shared store, those sent away have their grace (and the time to come back)
    // to resume elsewhere before the other processes sweep them as gone.
    await rooms.close(shared && held.length > 0 ? { lingerMs: graceMs + CLOSE_HANDOVER_MS } : {});
    await sfu?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing: could not close the SFU connections'));
  })();
}
