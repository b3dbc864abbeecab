import { ContextConsumer } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Call, CallEventMap } from '../../core/call.js';
import type { CallSnapshot } from '../../core/call-state.js';
import { callContext } from './call-context.js';

type Host = ReactiveControllerHost & HTMLElement;
type Listeners = { [K in keyof CallEventMap]?: (event: CallEventMap[K]) => void };

/**
 * Connects an element to a `Call`: the one set on the element (`explicit`) or else the
 * one its enclosing `<rtc-call>` provides. It re-renders the host on every `change` and
 * removes every listener it added when the host leaves the page or the call is replaced.
 */
export class CallController implements ReactiveController {
  readonly #host: Host;
  readonly #listeners: Listeners;
  #explicit: Call | undefined;
  #provided: Call | undefined;
  #subscribed: Call | undefined;
  #connected = false;

  constructor(host: Host, listeners: Listeners = {}, options: { consume?: boolean } = {}) {
    this.#host = host;
    this.#listeners = listeners;
    host.addController(this);
    if (options.consume !== false) {
      new ContextConsumer(host, {
        context: callContext,
        subscribe: true,
        callback: (call) => {
          this.#provided = call;
          this.#resubscribe();
        },
      });
    }
  }

  /** The call in use, if any. */
  get call(): Call | undefined {
    return this.#explicit ?? this.#provided;
  }

  /** Its latest snapshot, or `undefined` before there is a call. */
  get snapshot(): CallSnapshot | undefined {
    return this.call?.snapshot;
  }

  /** Uses this call instead of the provided one (the element's `.call` property). */
  setExplicit(call: Call | undefined): void {
    this.#explicit = call;
    this.#resubscribe();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#resubscribe();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#resubscribe();
  }

  #resubscribe(): void {
    const next = this.#connected ? this.call : undefined;
    if (next === this.#subscribed) return;
    if (this.#subscribed) this.#toggle(this.#subscribed, 'removeEventListener');
    this.#subscribed = next;
    if (next) this.#toggle(next, 'addEventListener');
    this.#host.requestUpdate();
  }

  #toggle(call: Call, method: 'addEventListener' | 'removeEventListener'): void {
    call[method]('change', this.#onChange);
    for (const [type, listener] of Object.entries(this.#listeners)) {
      call[method](type, listener as EventListener);
    }
  }

  readonly #onChange = (): void => {
    this.#host.requestUpdate();
  };
}
