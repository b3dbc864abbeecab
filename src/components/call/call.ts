import { ContextProvider } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Call } from '../../core/call.js';
import type { CallState } from '../../core/call-state.js';
import type { RtcError } from '../../core/errors.js';
import { languageOf, translate, type MessageKey } from '../../i18n/index.js';
import { callContext } from '../shared/call-context.js';
import { CallController } from '../shared/call-controller.js';
import {
  RtcErrorEvent,
  RtcJoinedEvent,
  RtcLeftEvent,
  RtcParticipantJoinedEvent,
  RtcParticipantLeftEvent,
  RtcStateChangeEvent,
} from '../shared/events.js';
import { tokens } from '../shared/styles.js';
import { callStyles } from './call.styles.js';
import { SCRIPT_ORIGIN } from './script-origin.js';
import '../controls/rtc-controls.js';
import '../participant-grid/rtc-participant-grid.js';
import '../prejoin/rtc-prejoin.js';

/** Settings that shape the `Call` itself; changing one before joining makes a new one. */
const CALL_SETTINGS = ['room', 'server', 'token', 'iceTransportPolicy'] as const;

/**
 * @summary One call and its default interface: pre-join screen, participant grid,
 * controls, and a human message for every error.
 *
 * Without children it renders the whole interface. Children (`<rtc-participant-grid>`,
 * `<rtc-controls>`, ...) replace it, and all of them talk to this call.
 *
 * @slot - your own layout of call elements, replacing the default interface
 *
 * @csspart stage - the area holding the grid
 * @csspart error - the error message box (`role="alert"`)
 * @csspart error-title - its first line, what happened
 * @csspart error-hint - its second line, what to do next
 * @csspart status - joining / reconnecting / left messages
 * @csspart retry-button - Try again / Rejoin
 *
 * @cssprop --rtc-color-background - the call's background
 * @cssprop --rtc-color-surface - tiles and panels
 * @cssprop --rtc-color-surface-raised - buttons and avatars
 * @cssprop --rtc-color-text - text
 * @cssprop --rtc-color-text-muted - secondary text
 * @cssprop --rtc-color-accent - primary buttons
 * @cssprop --rtc-color-danger - leave button, devices that are off, failures
 * @cssprop --rtc-radius - corner radius
 * @cssprop --rtc-gap - spacing unit
 * @cssprop --rtc-font-family - font
 *
 * @fires rtc-state-change - `{ state, previous }`
 * @fires rtc-joined - `{ selfId }`
 * @fires rtc-left - `{ reason }`: `'user'`, `'kicked'` or `'error'`
 * @fires rtc-participant-joined - `{ participant }`
 * @fires rtc-participant-left - `{ participant }`
 * @fires rtc-error - `{ code, message }`
 */
export class RtcCall extends LitElement {
  static override styles = [tokens, callStyles];

  /** The room to join; peers in the same room on the same server meet. */
  @property({ reflect: true }) room = '';
  /** Signal server URL. Default: the origin the script was loaded from, else the page's. */
  @property() server?: string;
  /** Display name shown to others; asked for in the pre-join screen when unset. */
  @property() name?: string;
  /** Access token, for servers that require one. */
  @property() token?: string;
  /** Skip the pre-join screen and join at once. */
  @property({ type: Boolean }) autojoin = false;
  /** Join with the microphone off. */
  @property({ type: Boolean }) muted = false;
  /** Join with the camera off. */
  @property({ type: Boolean, attribute: 'camera-off' }) cameraOff = false;
  /** `relay` hides this device's IP addresses from peers (needs TURN). */
  @property({ attribute: 'ice-transport-policy' }) iceTransportPolicy: RTCIceTransportPolicy = 'all';

  @state() private dismissedError: RtcError | null = null;

  readonly #provider = new ContextProvider(this, { context: callContext });
  readonly #controller = new CallController(
    this,
    {
      statechange: (event) => this.#onStateChange(event.detail.state, event.detail.previous, event.detail.reason),
      participantjoined: (event) => this.dispatchEvent(new RtcParticipantJoinedEvent(event.detail)),
      participantleft: (event) => this.dispatchEvent(new RtcParticipantLeftEvent(event.detail)),
      error: ({ detail: { error } }) => this.dispatchEvent(new RtcErrorEvent({ code: error.code, message: error.message })),
    },
    { consume: false },
  );
  #call: Call | undefined;
  /** True when this element made the call (and so may replace or end it). */
  #ownsCall = false;

  /** The `Call` behind this element. Set one before joining to supply your own. */
  get call(): Call {
    if (!this.#call) this.#useCall(this.#createCall(), true);
    return this.#call!;
  }
  set call(call: Call) {
    if (call === this.#call) return;
    if (this.#ownsCall) void this.#call?.leave();
    this.#useCall(call, false);
  }

  /** The call's state. */
  get state(): CallState {
    return this.#call?.state ?? 'idle';
  }

  /** Joins the room; resolves once in it. */
  join(): Promise<void> {
    return this.call.join();
  }

  /** Leaves the call and releases camera and microphone. Idempotent. */
  leave(): Promise<void> {
    return this.#call?.leave() ?? Promise.resolve();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autojoin && this.room) void this.join().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // Removed from the page, not just moved: leave nothing running.
    queueMicrotask(() => {
      if (!this.isConnected && this.#ownsCall) void this.#call?.leave();
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const settingChanged = CALL_SETTINGS.some((key) => changed.has(key) && changed.get(key) !== undefined);
    const state = this.#call?.state;
    if (settingChanged && this.#ownsCall && (state === 'idle' || state === 'left' || state === 'failed')) {
      void this.#call?.leave();
      this.#useCall(this.#createCall(), true);
    }
    if (changed.has('name') && this.name !== undefined && this.#call) this.#call.setName(this.name);
    // Make the call (and provide it) before children render and ask for it.
    if (this.room) void this.call;
  }

  protected override render(): unknown {
    if (this.#hasOwnLayout()) return html`<slot></slot>`;
    if (!this.room) return nothing;
    const snapshot = this.call.snapshot;
    return html`
      <div class="call" data-state=${snapshot.state}>
        ${this.#renderError(snapshot.error)}
        ${this.#renderBody(snapshot.state)}
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this.#focusPending) {
      this.#focusPending = false;
      this.renderRoot.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
  }

  #focusPending = false;

  #renderBody(state: CallState): unknown {
    switch (state) {
      case 'idle':
        return this.autojoin ? this.#status('call.joining') : html`<rtc-prejoin data-autofocus></rtc-prejoin>`;
      case 'joining':
        return this.#status('call.joining');
      case 'joined':
      case 'reconnecting':
        return html`
          ${state === 'reconnecting' ? this.#status('call.reconnecting') : nothing}
          <rtc-participant-grid part="stage" class="stage"></rtc-participant-grid>
          <rtc-controls data-autofocus></rtc-controls>
        `;
      case 'left':
        return html`<div class="center">
          ${this.#status('call.left')}
          <button part="retry-button" class="primary" data-autofocus @click=${this.#rejoin}>${this.t('call.rejoin')}</button>
        </div>`;
      case 'failed':
        return html`<div class="center">
          <button part="retry-button" class="primary" data-autofocus @click=${this.#rejoin}>${this.t('call.retry')}</button>
        </div>`;
    }
  }

  #renderError(error: RtcError | null): unknown {
    if (!error || error === this.dismissedError) return nothing;
    return html`
      <div part="error" class="error" role="alert" data-code=${error.code}>
        <div>
          <p part="error-title" class="error-title">${this.t(`error.${error.code}.title`)}</p>
          <p part="error-hint" class="error-hint">${this.t(`error.${error.code}.hint`)}</p>
        </div>
        <button class="dismiss" aria-label=${this.t('call.dismiss')} @click=${() => (this.dismissedError = error)}>×</button>
      </div>
    `;
  }

  #status(key: MessageKey): unknown {
    return html`<p part="status" class="status" role="status">${this.t(key)}</p>`;
  }

  #hasOwnLayout(): boolean {
    return this.children.length > 0;
  }

  #createCall(): Call {
    return new Call({
      room: this.room,
      server: this.server || SCRIPT_ORIGIN || globalThis.location?.origin,
      ...(this.name !== undefined ? { name: this.name } : {}),
      ...(this.token ? { token: this.token } : {}),
      iceTransportPolicy: this.iceTransportPolicy === 'relay' ? 'relay' : 'all',
      microphone: !this.muted,
      camera: !this.cameraOff,
    });
  }

  #useCall(call: Call, owned: boolean): void {
    this.#call = call;
    this.#ownsCall = owned;
    this.#provider.setValue(call);
    this.#controller.setExplicit(call);
  }

  #onStateChange(state: CallState, previous: CallState, reason: 'user' | 'kicked' | 'error' | undefined): void {
    this.#focusPending = true;
    this.dispatchEvent(new RtcStateChangeEvent({ state, previous }));
    const selfId = this.#call?.snapshot.selfId;
    if (state === 'joined' && previous === 'joining' && selfId) this.dispatchEvent(new RtcJoinedEvent({ selfId }));
    if (state === 'left') this.dispatchEvent(new RtcLeftEvent({ reason: reason ?? 'user' }));
    if (state === 'failed' && previous !== 'joining') this.dispatchEvent(new RtcLeftEvent({ reason: 'error' }));
  }

  readonly #rejoin = (): void => {
    void this.join().catch(() => undefined);
  };

  private t(key: MessageKey, params?: Record<string, string>): string {
    return translate(languageOf(this), key, params);
  }
}
