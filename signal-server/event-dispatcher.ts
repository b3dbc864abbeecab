/**
 * Every event of a connection, known or not, goes through one dispatcher that trusts
 * nothing: it is checked at once against the connection's rate (a `relay` against its byte
 * budget instead) and for an ack, then handed to its handler behind the connection's
 * earlier events, so that they take effect in the order they were sent.
 */
import { EventRateLimiter, RelayBudget, type EventRateLimit, type EventVerdict, type RelayRateLimit } from './limits.js';
import type { Logger } from './logger.js';
import type { SignalMetrics } from './metrics.js';
import type { SfuEvents } from './sfu-events.js';
import { REFUSALS, type AckCallback, type Refuse, type SignalSocket } from './signal-socket.js';

/** A handler of one client event. */
type EventHandler = (socket: SignalSocket, payload: unknown, ack: AckCallback | undefined) => void | Promise<void>;

export interface EventDispatcherOptions {
  /** Undefined when events are not rate limited. */
  eventLimit: EventRateLimit | undefined;
  /** Undefined when relays have no byte budget. */
  relayLimit: RelayRateLimit | undefined;
  metrics: SignalMetrics;
  logger: Logger;
  refuse: Refuse;
  onJoin: EventHandler;
  onSignal: EventHandler;
  onUpdate: EventHandler;
  onLeave: (socket: SignalSocket, ack: AckCallback | undefined) => void | Promise<void>;
  onRelay: EventHandler;
  sfuEvents: SfuEvents;
  /** The socket's connection closed, after its earlier events were handled. */
  onDisconnect: (socket: SignalSocket) => void;
}

/** The `connection` listener of one server: see the file comment. */
export function createEventDispatcher(options: EventDispatcherOptions): (socket: SignalSocket) => void {
  const { eventLimit, relayLimit, metrics, logger, refuse, onJoin, onSignal, onUpdate, onLeave, onRelay, sfuEvents, onDisconnect } = options;

  /**
   * Each connection's relay budget, made at its first `relay` (full, as it would be then
   * anyway): only SFU rooms relay, and an idle connection should cost as little as can be.
   */
  const relayBudgets = new WeakMap<SignalSocket, RelayBudget>();
  function relayBudgetOf(socket: SignalSocket, limit: RelayRateLimit): RelayBudget {
    let budget = relayBudgets.get(socket);
    if (!budget) relayBudgets.set(socket, (budget = new RelayBudget(limit)));
    return budget;
  }

  /**
   * Checks an incoming event at once (rate, ack) and queues its handling behind the
   * connection's earlier events, so that they take effect in the order they were sent
   * even though each waits for the store.
   */
  function onEvent(
    socket: SignalSocket,
    queue: EventQueue,
    limiter: EventRateLimiter | undefined,
    event: string,
    args: unknown[],
  ): void {
    // Packets decoded before a cut-off may still arrive: nothing more is handled.
    if (!socket.connected) return;
    // socket.io appends an ack function when the client asked for one; nothing else
    // coming off the wire can be a function.
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
    const payload = args[0];
    if (event === 'relay') {
      // Relays have a byte budget of their own (see `relayRateLimit`): a file transfer
      // neither eats the signaling budget nor gets the connection cut off.
      if (relayLimit && !relayBudgetOf(socket, relayLimit).take(relaySize(payload))) {
        // A page's relays ask for an ack and back off when refused; a sender that asks for
        // none does not listen, and its overflow is flooding like any other event's: one
        // notice a second, then cut off.
        if (!ack && limiter) return onRateLimited(socket, limiter, limiter.drop(), event, undefined, REFUSALS.relayRateLimited);
        metrics.rejections.inc({ reason: 'rate-limited' });
        const error = { code: 'rate-limited' as const, message: REFUSALS.relayRateLimited };
        if (ack) ack({ ok: false, error });
        else socket.emit('rtc-error', { ...error, event: 'relay' });
        return;
      }
    } else if (limiter) {
      const verdict = limiter.check();
      if (verdict !== 'allow') return onRateLimited(socket, limiter, verdict, event, ack);
    }
    const fail = (error: unknown): void => {
      logger.error({ err: error, event: printableEventName(event) }, 'error while handling an event');
      try {
        refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.internal, ack);
      } catch {
        // The answer itself failed (an ack already used, a socket gone): nothing left to tell.
      }
    };
    const handle = (): void | Promise<void> => {
      switch (event) {
        case 'join':
          return onJoin(socket, payload, ack);
        case 'signal':
          return onSignal(socket, payload, ack);
        case 'update':
          return onUpdate(socket, payload, ack);
        case 'leave':
          return onLeave(socket, ack);
        case 'sfu-publish':
          return sfuEvents.onPublish(socket, payload, ack);
        case 'sfu-answer':
          return sfuEvents.onAnswer(socket, payload, ack);
        case 'sfu-candidate':
          return sfuEvents.onCandidate(socket, payload, ack);
        case 'sfu-layer':
          return sfuEvents.onLayer(socket, payload, ack);
        case 'sfu-restart':
          return sfuEvents.onRestart(socket, payload, ack);
        case 'relay':
          return onRelay(socket, payload, ack);
        default:
          return refuse(socket, printableEventName(event), 'invalid-input', REFUSALS.unknownEvent, ack);
      }
    };
    queue.run(handle, fail);
  }

  /**
   * An event beyond the connection's rate: dropped. An ack is answered (its sender waits
   * for it); otherwise the client hears `rate-limited` at most once per second. A
   * connection that keeps flooding is cut off (its client sees `io server disconnect`).
   */
  function onRateLimited(
    socket: SignalSocket,
    limiter: EventRateLimiter,
    verdict: Exclude<EventVerdict, 'allow'>,
    event: string,
    ack: AckCallback | undefined,
    message: string = REFUSALS.rateLimited,
  ): void {
    metrics.rejections.inc({ reason: 'rate-limited' });
    const participantId = socket.data.participantId;
    if (verdict === 'disconnect') {
      metrics.abuseDisconnects.inc();
      logger.warn({ participantId, dropped: limiter.dropped }, 'connection cut off: it kept flooding');
      socket.disconnect(true);
      return;
    }
    if (limiter.dropped === 1) logger.warn({ participantId, event: printableEventName(event) }, 'connection rate limited');
    const error = { code: 'rate-limited' as const, message };
    if (ack) ack({ ok: false, error });
    else if (verdict === 'drop-and-notify') socket.emit('rtc-error', { ...error, event: printableEventName(event) });
  }

  return (socket) => {
    const limiter = eventLimit ? new EventRateLimiter(eventLimit) : undefined;
    const queue = new EventQueue();
    // Every event, known or not, goes through one dispatcher that trusts nothing. (socket.io
    // itself keeps a client-sent "error" event from throwing; onAny answers it as unknown.)
    socket.onAny((event: unknown, ...args: unknown[]) => onEvent(socket, queue, limiter, String(event), args));
    // Queued too: a `leave` (or a join) that arrived before the connection closed is handled first.
    socket.on('disconnect', () =>
      queue.run(
        () => onDisconnect(socket),
        (error) => logger.error({ err: error }, 'error while handling a disconnect'),
      ),
    );
  };
}

/**
 * Runs one connection's handlers one after another, each once the previous one has
 * finished (asynchronous ones included), in the order they were queued. A handler that
 * throws or rejects goes to its own `fail` and the queue goes on.
 */
class EventQueue {
  #tail: Promise<void> = Promise.resolve();

  run(handle: () => void | Promise<void>, fail: (error: unknown) => void): void {
    this.#tail = this.#tail.then(handle).catch((error: unknown) => {
      try {
        fail(error);
      } catch {
        // Nothing more to do; the queue must go on.
      }
    });
  }
}

/** What a `relay` costs against the relay budget: the length of its data (anything else counts as empty). */
function relaySize(payload: unknown): number {
  const data = typeof payload === 'object' && payload !== null ? (payload as { data?: unknown }).data : undefined;
  return typeof data === 'string' ? data.length : 0;
}

/** An event name as it may be echoed back: short and without control characters. */
function printableEventName(event: string): string {
  return event.replace(/\p{Cc}/gu, '').slice(0, 64);
}
