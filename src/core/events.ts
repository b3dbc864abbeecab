/**
 * A platform `EventTarget` whose listeners are typed by an event map, so the core needs no
 * emitter library and works the same in every framework.
 */
// Declaration merging gives the class typed overloads without re-implementing anything.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface TypedEventTarget<M extends { [K in keyof M]: Event }> {
  addEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TypedEventTarget<M extends { [K in keyof M]: Event }> extends EventTarget {
  /** Dispatches a `CustomEvent` whose type and detail are checked against the map. */
  protected emit<K extends keyof M & string>(type: K, detail?: M[K] extends CustomEvent<infer D> ? D : never): void {
    this.dispatchEvent(detail === undefined ? new Event(type) : new CustomEvent(type, { detail }));
  }
}
