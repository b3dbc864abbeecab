import { ContextProvider } from '@lit/context';
import { html, LitElement, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { Call } from '../../core/call.js';
import type { CallSnapshot, CallState } from '../../core/call-state.js';
import type { RtcError } from '../../core/errors.js';
import { languageOf, translate, type MessageKey } from '../../i18n/index.js';
import { callContext } from '../shared/call-context.js';
import { CallController } from '../shared/call-controller.js';
import {
  RtcChatMessageEvent,
  RtcErrorEvent,
  RtcFileReceivedEvent,
  RtcJoinedEvent,
  RtcLeftEvent,
  RtcParticipantJoinedEvent,
  RtcParticipantLeftEvent,
  RtcStateChangeEvent,
  type ControlAction,
  type RtcControlEvent,
} from '../shared/events.js';
import { tokens } from '../shared/styles.js';
import { SHORTCUTS } from '../controls/controls.js';
import { announcementsBetween } from './announcements.js';
import { callStyles } from './call.styles.js';
import { CallRecorder } from './recorder.js';
import { SCRIPT_ORIGIN } from './script-origin.js';
import '../chat/rtc-chat.js';
import '../controls/rtc-controls.js';
import '../device-picker/rtc-device-picker.js';
import '../participant-grid/rtc-participant-grid.js';
import '../prejoin/rtc-prejoin.js';

/** Settings that shape the `Call` itself; changing one before joining makes a new one. */
const CALL_SETTINGS = ['room', 'server', 'token', 'iceTransportPolicy'] as const;

type Panel = 'chat' | 'settings' | null;

/**
 * @summary One call and its default interface: pre-join screen, participant grid,
 * controls, chat, settings, and a human message for every error.
 *
 * Without children it renders the whole interface. Children (`<rtc-participant-grid>`,
 * `<rtc-controls>`, ...) replace it, and all of them talk to this call.
 *
 * Keyboard, inside the call: M microphone, V camera, S screen share, C chat.
 *
 * @slot - your own layout of call elements, replacing the default interface
 *
 * @csspart stage - the area holding the grid
 * @csspart panel - the chat or settings side panel
 * @csspart panel-title - its heading
 * @csspart panel-close - its close button
 * @csspart error - the error message box (`role="alert"`)
 * @csspart error-title - its first line, what happened
 * @csspart error-hint - its second line, what to do next
 * @csspart status - joining / reconnecting / left messages
 * @csspart recording-indicator - shown to everyone while anyone records
 * @csspart recording-download - the link to a finished local recording
 * @csspart retry-button - Try again / Rejoin
 *
 * @cssprop --rtc-color-background - the call's background
 * @cssprop --rtc-color-surface - tiles and panels
 * @cssprop --rtc-color-surface-raised - buttons and avatars
 * @cssprop --rtc-color-text - text
 * @cssprop --rtc-color-text-muted - secondary text
 * @cssprop --rtc-color-accent - primary buttons, the active speaker
 * @cssprop --rtc-color-danger - leave button, devices that are off, failures
 * @cssprop --rtc-radius - corner radius
 * @cssprop --rtc-gap - spacing unit
 * @cssprop --rtc-font-family - font
 * @cssprop --rtc-panel-width - width of the chat and settings panel
 *
 * @fires rtc-state-change - `{ state, previous }`
 * @fires rtc-joined - `{ selfId }`
 * @fires rtc-left - `{ reason }`: `'user'`, `'kicked'` or `'error'`
 * @fires rtc-participant-joined - `{ participant }`
 * @fires rtc-participant-left - `{ participant }`
 * @fires rtc-chat-message - `{ message: { id, from, fromName, text, sentAt } }`
 * @fires rtc-file-received - `{ file: { id, from, name, type, size, blob } }`
 * @fires rtc-error - `{ code, message }`
 */
export class RtcCall extends LitElement {
  static override styles = [tokens, callStyles];

  static override properties: PropertyDeclarations = {
    room: { reflect: true },
    server: {},
    name: {},
    token: {},
    autojoin: { type: Boolean },
    muted: { type: Boolean },
    cameraOff: { type: Boolean, attribute: 'camera-off' },
    iceTransportPolicy: { attribute: 'ice-transport-policy' },
    theme: { reflect: true },
    dismissedError: { attribute: false },
    panel: { attribute: false },
    announcement: { attribute: false },
    recordingUrl: { attribute: false },
  };

  /** The room to join; peers in the same room on the same server meet. */
  room = '';
  /** Signal server URL. Default: the origin the script was loaded from, else the page's. */
  server?: string;
  /** Display name shown to others; asked for in the pre-join screen when unset. */
  name?: string;
  /** Access token, for servers that require one. */
  token?: string;
  /** Skip the pre-join screen and join at once. */
  autojoin = false;
  /** Join with the microphone off. */
  muted = false;
  /** Join with the camera off. */
  cameraOff = false;
  /** `relay` hides this device's IP addresses from peers (needs TURN). */
  iceTransportPolicy: RTCIceTransportPolicy = 'all';
  /**
   * Colour theme of the call and every element inside it: `light` or `dark`. Unset, it
   * follows the system (`prefers-color-scheme`), dark unless light is preferred. See docs/theming.md.
   */
  theme?: 'light' | 'dark';

  private dismissedError: RtcError | null = null;
  private panel: Panel = null;
  private announcement = '';
  private recordingUrl: string | null = null;
  /** Chat messages from others already seen (the chat was open when they came). */
  #seenMessages = 0;

  readonly #provider = new ContextProvider(this, { context: callContext });
  readonly #controller = new CallController(
    this,
    {
      statechange: (event) => this.#onStateChange(event.detail.state, event.detail.previous, event.detail.reason),
      participantjoined: (event) => this.dispatchEvent(new RtcParticipantJoinedEvent(event.detail)),
      participantleft: (event) => this.dispatchEvent(new RtcParticipantLeftEvent(event.detail)),
      chatmessage: ({ detail: { message } }) => {
        const { id, from, fromName, text, sentAt } = message;
        this.dispatchEvent(new RtcChatMessageEvent({ message: { id, from, fromName, text, sentAt } }));
      },
      filereceived: (event) => this.dispatchEvent(new RtcFileReceivedEvent(event.detail)),
      error: ({ detail: { error } }) => this.dispatchEvent(new RtcErrorEvent({ code: error.code, message: error.message })),
      change: () => this.#onChange(),
    },
    { consume: false },
  );
  #call: Call | undefined;
  /** True when this element made the call (and so may replace or end it). */
  #ownsCall = false;
  #previous: CallSnapshot | undefined;
  #recorder: CallRecorder | null = null;
  #pipVideo: HTMLVideoElement | null = null;
  #focusPending = false;

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
    this.addEventListener('rtc-control', this.#onControl);
    this.addEventListener('keydown', this.#onKeyDown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('rtc-control', this.#onControl);
    this.removeEventListener('keydown', this.#onKeyDown);
    // Removed from the page, not just moved: leave nothing running.
    queueMicrotask(() => {
      if (this.isConnected) return;
      if (this.#ownsCall) void this.#call?.leave();
      void this.#stopRecording();
      if (this.recordingUrl) URL.revokeObjectURL(this.recordingUrl);
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
    // Here rather than on connect: frameworks (React through @lit/react) set `autojoin`
    // and `room` after putting the element in the page.
    if (this.autojoin && this.room && this.isConnected && this.#call?.state === 'idle') void this.join().catch(() => undefined);
  }

  protected override render(): unknown {
    if (this.children.length > 0) return html`<slot></slot>`;
    if (!this.room) return nothing;
    const snapshot = this.call.snapshot;
    return html`
      <div class="call" data-state=${snapshot.state}>
        ${this.#renderError(snapshot.error)} ${this.#renderRecording(snapshot)} ${this.#renderBody(snapshot)}
        <div class="visually-hidden" role="status" aria-live="polite">${this.announcement}</div>
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

  #renderBody(snapshot: CallSnapshot): unknown {
    switch (snapshot.state) {
      case 'idle':
        return this.autojoin ? this.#status('call.joining') : html`<rtc-prejoin data-autofocus></rtc-prejoin>`;
      case 'joining':
        return this.#status('call.joining');
      case 'joined':
      case 'reconnecting':
        return html`
          ${snapshot.state === 'reconnecting' ? this.#status('call.reconnecting') : nothing}
          <div class="body">
            <rtc-participant-grid part="stage" class="stage"></rtc-participant-grid>
            ${this.#renderPanel()}
          </div>
          <rtc-controls
            data-autofocus
            show-panels
            ?chat-open=${this.panel === 'chat'}
            ?settings-open=${this.panel === 'settings'}
            .unread=${this.#unread(snapshot)}
          ></rtc-controls>
        `;
      case 'left':
        return html`<div class="center">
          ${this.#status('call.left')}
          ${this.#renderRecordingLink()}
          <button part="retry-button" class="primary" data-autofocus @click=${this.#rejoin}>${this.t('call.rejoin')}</button>
        </div>`;
      case 'failed':
        return html`<div class="center">
          <button part="retry-button" class="primary" data-autofocus @click=${this.#rejoin}>${this.t('call.retry')}</button>
        </div>`;
    }
  }

  #renderPanel(): unknown {
    if (!this.panel) return nothing;
    const title = this.t(this.panel === 'chat' ? 'panel.chat' : 'panel.settings');
    return html`<aside part="panel" class="panel" aria-label=${title}>
      <header>
        <h2 part="panel-title">${title}</h2>
        <button part="panel-close" class="close" aria-label=${this.t('panel.close')} @click=${() => this.#togglePanel(this.panel)}>×</button>
      </header>
      ${this.panel === 'chat' ? html`<rtc-chat data-panel-focus></rtc-chat>` : html`<rtc-device-picker data-panel-focus></rtc-device-picker>`}
      ${this.#renderRecordingLink()}
    </aside>`;
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

  /** Everyone sees when anyone records: consent is not only the recorder's business. */
  #renderRecording(snapshot: CallSnapshot): unknown {
    const inCall = snapshot.state === 'joined' || snapshot.state === 'reconnecting';
    const recorders = snapshot.participants.filter((p) => p.recording).map((p) => p.name);
    if (!inCall || (!snapshot.recording && recorders.length === 0)) return nothing;
    const text = snapshot.recording
      ? this.t('recording.self')
      : recorders.map((name) => this.t('recording.other', { name })).join(' · ');
    return html`<p part="recording-indicator" class="recording" role="status"><span class="dot" aria-hidden="true"></span>${text}</p>`;
  }

  #renderRecordingLink(): unknown {
    if (!this.recordingUrl) return nothing;
    return html`<a part="recording-download" class="download" href=${this.recordingUrl} download="call-recording.webm">
      ${this.t('recording.download')}
    </a>`;
  }

  #status(key: MessageKey): unknown {
    return html`<p part="status" class="status" role="status">${this.t(key)}</p>`;
  }

  /** Messages from others that arrived while the chat was closed. */
  #unread(snapshot: CallSnapshot): number {
    const fromOthers = snapshot.chat.filter((m) => !m.self).length;
    if (this.panel === 'chat') this.#seenMessages = fromOthers;
    return Math.max(0, fromOthers - this.#seenMessages);
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
    this.#previous = call.snapshot;
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
    if (state === 'left' || state === 'failed') {
      this.panel = null;
      void this.#stopRecording();
      void this.#exitPip();
    }
    if (state === 'joining') this.#seenMessages = 0;
  }

  /** Speaks joins, leaves and mutes to screen-reader users, and keeps picture-in-picture on the speaker. */
  #onChange(): void {
    const snapshot = this.#call?.snapshot;
    if (!snapshot) return;
    const messages = announcementsBetween(this.#previous, snapshot);
    this.#previous = snapshot;
    if (messages.length) {
      const lang = languageOf(this);
      this.announcement = messages.map(({ key, params }) => translate(lang, key, params)).join('. ');
    }
    this.#followSpeakerInPip(snapshot);
  }

  readonly #onControl = (event: RtcControlEvent): void => {
    const action: ControlAction = event.detail.action;
    if (action === 'chat' || action === 'settings') this.#togglePanel(action);
    else if (action === 'record') void this.#toggleRecording();
    else if (action === 'pip') void this.#togglePip();
  };

  readonly #onKeyDown = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.composedPath()[0];
    if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    const call = this.#call;
    const action = SHORTCUTS[event.key.toLowerCase()];
    if (!call || !action || (call.state !== 'joined' && call.state !== 'reconnecting')) return;
    event.preventDefault();
    if (action === 'microphone') void call.setMicrophone(!call.snapshot.microphone);
    else if (action === 'camera') void call.setCamera(!call.snapshot.camera).catch(() => undefined);
    else if (action === 'screen') void (call.snapshot.screenSharing ? call.stopScreenShare() : call.startScreenShare()).catch(() => undefined);
    else if (action === 'chat') this.#togglePanel('chat');
  };

  #togglePanel(panel: Panel): void {
    this.panel = this.panel === panel ? null : panel;
    void this.updateComplete.then(() => {
      const target = this.panel
        ? this.renderRoot.querySelector<HTMLElement>('[data-panel-focus]')
        : this.renderRoot.querySelector<HTMLElement>('rtc-controls');
      target?.focus();
    });
  }

  async #toggleRecording(): Promise<void> {
    const call = this.#call;
    if (!call) return;
    if (this.#recorder) return this.#stopRecording();
    this.#recorder = new CallRecorder(() => {
      const s = call.snapshot;
      const videos = [s.screenStream, s.localStream, ...s.participants.flatMap((p) => [p.screenStream, p.stream])];
      return {
        videos: videos.filter((v): v is MediaStream => Boolean(v?.getVideoTracks().length)),
        audios: [s.localStream, ...s.participants.map((p) => p.stream)].filter((a): a is MediaStream => Boolean(a)),
      };
    });
    this.#recorder.start();
    call.setRecording(true);
  }

  async #stopRecording(): Promise<void> {
    const recorder = this.#recorder;
    if (!recorder) return;
    this.#recorder = null;
    if (this.#call && this.#call.state !== 'left') this.#call.setRecording(false);
    const blob = await recorder.stop();
    if (this.recordingUrl) URL.revokeObjectURL(this.recordingUrl);
    this.recordingUrl = URL.createObjectURL(blob);
    this.announcement = this.t('recording.saved');
  }

  async #togglePip(): Promise<void> {
    if (document.pictureInPictureElement) return this.#exitPip();
    const video = (this.#pipVideo ??= Object.assign(document.createElement('video'), { muted: true, playsInline: true }));
    this.#followSpeakerInPip(this.#call?.snapshot, true);
    await video.play().catch(() => undefined);
    await video.requestPictureInPicture().catch(() => undefined);
  }

  #followSpeakerInPip(snapshot: CallSnapshot | undefined, force = false): void {
    const video = this.#pipVideo;
    if (!video || !snapshot || (!force && document.pictureInPictureElement !== video)) return;
    const speaker = snapshot.participants.find((p) => p.id === snapshot.activeSpeaker) ?? snapshot.participants[0];
    const stream = speaker?.screenStream ?? speaker?.stream ?? null;
    if (video.srcObject !== stream) video.srcObject = stream;
  }

  async #exitPip(): Promise<void> {
    if (document.pictureInPictureElement && document.pictureInPictureElement === this.#pipVideo) {
      await document.exitPictureInPicture().catch(() => undefined);
    }
  }

  readonly #rejoin = (): void => {
    void this.join().catch(() => undefined);
  };

  private t(key: MessageKey, params?: Record<string, string>): string {
    return translate(languageOf(this), key, params);
  }
}
