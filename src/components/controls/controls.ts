import { html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import type { MessageKey } from '../../i18n/index.js';
import { CallElement } from '../shared/call-element.js';
import { RtcControlEvent, type ControlAction } from '../shared/events.js';
import {
  cameraIcon,
  cameraOffIcon,
  chatIcon,
  leaveIcon,
  micIcon,
  micOffIcon,
  pipIcon,
  recordIcon,
  screenIcon,
  settingsIcon,
} from '../shared/icons.js';
import { tokens } from '../shared/styles.js';
import { controlsStyles } from './controls.styles.js';

/** Keyboard shortcuts, shown in the buttons' tooltips; `<rtc-call>` listens for them. */
export const SHORTCUTS: Readonly<Record<string, ControlAction | 'microphone' | 'camera'>> = {
  m: 'microphone',
  v: 'camera',
  s: 'screen',
  c: 'chat',
};

/**
 * @summary The call's buttons: microphone, camera, screen share, chat, settings, and leave.
 *
 * Toggles are real `<button>`s with a fixed accessible name and `aria-pressed`. Microphone,
 * camera, screen share and leave act on the call; chat, settings, record and
 * picture-in-picture fire `rtc-control` for the enclosing `<rtc-call>` (or your page).
 * Shortcuts inside a call: M microphone, V camera, S screen share, C chat.
 *
 * @csspart toolbar - the group around the buttons
 * @csspart mic-button - microphone on/off (`aria-pressed`)
 * @csspart camera-button - camera on/off (`aria-pressed`)
 * @csspart screen-button - screen share on/off (`aria-pressed`)
 * @csspart chat-button - chat panel open/closed (`aria-pressed`), with the unread count
 * @csspart unread-badge - the unread count on the chat button
 * @csspart settings-button - settings panel open/closed (`aria-pressed`)
 * @csspart record-button - local recording on/off (`aria-pressed`)
 * @csspart pip-button - picture-in-picture of the active speaker
 * @csspart leave-button - leave the call
 *
 * @cssprop --rtc-control-background - a button's background
 * @cssprop --rtc-control-off-background - a device toggle's background while its device is off
 * @cssprop --rtc-control-active-background - a panel or share toggle's background while on
 *
 * @fires rtc-control - `{ action }`: `'chat'`, `'settings'`, `'record'`, `'pip'` or `'screen'`
 */
export class RtcControls extends CallElement {
  static override styles = [tokens, controlsStyles];
  static override properties: PropertyDeclarations = {
    chatOpen: { type: Boolean, attribute: 'chat-open' },
    settingsOpen: { type: Boolean, attribute: 'settings-open' },
    unread: { type: Number },
    showPanels: { type: Boolean, attribute: 'show-panels' },
  };

  /** Whether the chat panel is open (drives the chat button's `aria-pressed`). */
  chatOpen = false;
  /** Whether the settings panel is open. */
  settingsOpen = false;
  /** Chat messages not seen yet, shown on the chat button. */
  unread = 0;
  /** Show the chat, settings, record and picture-in-picture buttons (the default interface does). */
  showPanels = false;

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    const inCall = snapshot?.state === 'joined' || snapshot?.state === 'reconnecting';
    const canShare = inCall && Boolean(navigator.mediaDevices?.getDisplayMedia);
    const canRecord = inCall && typeof MediaRecorder !== 'undefined';
    const canPip = inCall && Boolean(document.pictureInPictureEnabled);
    return html`
      <div part="toolbar" class="toolbar" role="group" aria-label=${this.t('controls.label')}>
        ${this.#toggle('mic-button', 'controls.microphone', 'M', snapshot?.microphone ?? false, snapshot?.microphone ? micIcon : micOffIcon, this.#toggleMicrophone, 'device')}
        ${this.#toggle('camera-button', 'controls.camera', 'V', snapshot?.camera ?? false, snapshot?.camera ? cameraIcon : cameraOffIcon, this.#toggleCamera, 'device')}
        ${canShare ? this.#toggle('screen-button', 'controls.screen', 'S', snapshot?.screenSharing ?? false, screenIcon, this.#toggleScreen) : nothing}
        ${inCall && this.showPanels
          ? html`${this.#toggle('chat-button', 'controls.chat', 'C', this.chatOpen, chatIcon, () => this.#fire('chat'), 'panel', this.#unreadBadge())}
            ${this.#toggle('settings-button', 'controls.settings', null, this.settingsOpen, settingsIcon, () => this.#fire('settings'), 'panel')}
            ${canRecord ? this.#toggle('record-button', 'controls.record', null, snapshot?.recording ?? false, recordIcon, () => this.#fire('record'), 'panel') : nothing}
            ${canPip ? html`<button part="pip-button" aria-label=${this.t('controls.pip')} title=${this.t('controls.pip')} @click=${() => this.#fire('pip')}>${pipIcon}</button>` : nothing}`
          : nothing}
        ${inCall
          ? html`<button part="leave-button" class="leave" aria-label=${this.t('controls.leave')} title=${this.t('controls.leave')} @click=${this.#leave}>
              ${leaveIcon}
            </button>`
          : nothing}
      </div>
    `;
  }

  /** Puts focus on the first button, for keyboard users arriving in a call. */
  override focus(options?: FocusOptions): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button')?.focus(options);
  }

  #toggle(
    part: string,
    label: MessageKey,
    key: string | null,
    pressed: boolean,
    icon: unknown,
    onClick: () => void,
    kind: 'device' | 'panel' = 'panel',
    extra: unknown = nothing,
  ): TemplateResult {
    // The unread count is part of the name: a visible "3" must be in what is announced.
    const name = part === 'chat-button' && this.unread > 0 ? `${this.t(label)}, ${this.t('controls.unread', { count: String(this.unread) })}` : this.t(label);
    return html`<button
      part=${part}
      class="toggle ${kind}"
      aria-pressed=${String(pressed)}
      aria-label=${name}
      title=${key ? this.t('controls.shortcut', { label: name, key }) : name}
      ?disabled=${!this.call}
      @click=${onClick}
    >
      ${icon}${extra}
    </button>`;
  }

  #unreadBadge(): unknown {
    if (this.unread <= 0) return nothing;
    return html`<span part="unread-badge" class="badge">${this.unread > 99 ? '99+' : this.unread}</span>`;
  }

  #fire(action: ControlAction): void {
    this.dispatchEvent(new RtcControlEvent({ action }));
  }

  readonly #toggleMicrophone = (): void => {
    const call = this.call;
    // A failure is already on the snapshot and fired as `error`.
    if (call) void call.setMicrophone(!call.snapshot.microphone).catch(() => undefined);
  };

  readonly #toggleCamera = (): void => {
    const call = this.call;
    if (call) void call.setCamera(!call.snapshot.camera).catch(() => undefined);
  };

  readonly #toggleScreen = (): void => {
    const call = this.call;
    if (!call) return;
    const action = call.snapshot.screenSharing ? call.stopScreenShare() : call.startScreenShare();
    void action.catch(() => undefined);
  };

  readonly #leave = (): void => {
    void this.call?.leave();
  };
}
