import { html, nothing, svg, type PropertyDeclarations, type PropertyValues } from 'lit';
import { DEFAULT_MAX_FILE_SIZE, type Call } from '../../core/call.js';
import type { FileTransferSnapshot } from '../../core/call-state.js';
import { MAX_CHAT_LENGTH, type ChatMessage } from '../../core/data/chat.js';
import { RtcError } from '../../core/errors.js';
import { languageOf, type Language } from '../../i18n/index.js';
import { CallElement } from '../shared/call-element.js';
import { tokens } from '../shared/styles.js';
import { chatStyles } from './chat.styles.js';

/** The `Call`'s own limit when its `maxFileSize` option is unset (1 GiB, as in core/call.ts). */
/** How close to the bottom (px) still counts as "reading the newest messages". */
const STICK_THRESHOLD = 32;

const attachIcon = svg`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l9-9a3.7 3.7 0 0 1 5.2 5.2l-9 9a1.8 1.8 0 0 1-2.6-2.6l8.3-8.3"/></svg>`;

/**
 * @summary The call's chat: messages, an input, and file sending with progress.
 *
 * Messages are always shown as plain text. Only messages sent after this device joined
 * are shown (a note says so). Files go to everyone in the call; received files get a
 * download link. The list keeps to the newest message unless the person scrolled up.
 *
 * @csspart messages - the scrolling message list (`role="log"`)
 * @csspart history-note - the note that earlier messages are not shown
 * @csspart message - one message; `data-self` on your own
 * @csspart sender - a message's sender name
 * @csspart time - a message's time (`<time>`)
 * @csspart text - a message's text
 * @csspart transfer - one file transfer; `data-state` is `active`, `done`, `cancelled` or `failed`
 * @csspart file-name - the file's name
 * @csspart file-size - the file's size
 * @csspart file-direction - to everyone, or from whom
 * @csspart progress - the transfer's `<progress>`
 * @csspart file-state - progress in words, or the outcome
 * @csspart cancel-button - cancels an active transfer
 * @csspart download - the download link of a received file
 * @csspart error - a file that could not be sent (`role="alert"`)
 * @csspart status - why the input is disabled
 * @csspart form - the row with the input and buttons
 * @csspart input - the message field
 * @csspart attach-button - opens the file chooser
 * @csspart send-button - sends the message
 *
 * @cssprop --rtc-chat-height - the element's height (default 24rem)
 * @cssprop --rtc-chat-background - the panel's background
 * @cssprop --rtc-chat-bubble-background - others' messages and files
 * @cssprop --rtc-chat-self-bubble-background - your own messages and files
 * @cssprop --rtc-chat-input-background - the message field
 * @cssprop --rtc-chat-progress-color - transfer progress bars
 * @cssprop --rtc-color-accent - the Send button
 * @cssprop --rtc-color-danger - failed or cancelled transfers, errors
 * @cssprop --rtc-color-success - finished transfers
 */
export class RtcChat extends CallElement {
  static override styles = [tokens, chatStyles];
  static override properties: PropertyDeclarations = { fileError: { attribute: false } };

  /** A file that could not be sent, in words; cleared by the next send. */
  private fileError: string | null = null;

  get #list(): HTMLElement {
    return this.renderRoot.querySelector('[part="messages"]')!;
  }
  get #input(): HTMLInputElement {
    return this.renderRoot.querySelector('[part="input"]')!;
  }
  get #fileInput(): HTMLInputElement {
    return this.renderRoot.querySelector('[part="file-input"]')!;
  }

  /** Object URLs of received files, made when first shown, revoked when the element leaves the page. */
  readonly #urls = new Map<string, string>();
  /** Where each transfer sits in the list: after this many chat messages. */
  readonly #anchors = new Map<string, number>();
  #stickToBottom = true;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.#urls.values()) URL.revokeObjectURL(url);
    this.#urls.clear();
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    const snapshot = this.controller.snapshot;
    if (!snapshot) return;
    for (const transfer of snapshot.transfers) {
      if (!this.#anchors.has(transfer.id)) this.#anchors.set(transfer.id, snapshot.chat.length);
    }
  }

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    const inCall = snapshot?.state === 'joined' || snapshot?.state === 'reconnecting';
    const someoneThere = snapshot?.participants.some((p) => p.connectionState === 'connected') ?? false;
    const canSend = inCall && someoneThere;
    const status = !inCall ? this.t('chat.notJoined') : !someoneThere ? this.t('chat.alone') : '';
    return html`
      <div
        part="messages"
        class="messages"
        role="log"
        aria-live="polite"
        aria-label=${this.t('chat.messages')}
        tabindex="0"
        @scroll=${this.#onScroll}
      >
        <p part="history-note" class="note">${this.t('chat.historyNote')}</p>
        ${this.#renderItems(snapshot?.chat ?? [], snapshot?.transfers ?? [])}
      </div>
      ${this.fileError ? html`<p part="error" class="error" role="alert">${this.fileError}</p>` : nothing}
      ${status ? html`<p part="status" class="status" id="status">${status}</p>` : nothing}
      <form part="form" class="form" @submit=${this.#onSubmit}>
        <label class="visually-hidden" for="input">${this.t('chat.inputLabel')}</label>
        <input
          id="input"
          part="input"
          class="input"
          type="text"
          autocomplete="off"
          maxlength=${MAX_CHAT_LENGTH}
          placeholder=${this.t('chat.placeholder')}
          aria-describedby=${status ? 'status' : nothing}
          ?disabled=${!canSend}
        />
        <button
          part="attach-button"
          class="attach"
          type="button"
          aria-label=${this.t('chat.attach')}
          title=${this.t('chat.attach')}
          ?disabled=${!canSend}
          @click=${this.#chooseFile}
        >
          ${attachIcon}
        </button>
        <input part="file-input" type="file" multiple hidden tabindex="-1" @change=${this.#onFileChosen} />
        <button part="send-button" class="send" type="submit" ?disabled=${!canSend}>${this.t('chat.send')}</button>
      </form>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this.#stickToBottom) this.#list.scrollTop = this.#list.scrollHeight;
  }

  /** Messages in arrival order, each transfer after the message that came before it. */
  #renderItems(chat: readonly ChatMessage[], transfers: readonly FileTransferSnapshot[]): unknown[] {
    const language = languageOf(this);
    const items: unknown[] = [];
    const byAnchor = [...transfers].sort((a, b) => (this.#anchors.get(a.id) ?? 0) - (this.#anchors.get(b.id) ?? 0));
    let next = 0;
    const flushTransfers = (upTo: number): void => {
      while (next < byAnchor.length && (this.#anchors.get(byAnchor[next]!.id) ?? 0) <= upTo) {
        items.push(this.#renderTransfer(byAnchor[next]!, language));
        next++;
      }
    };
    chat.forEach((message, index) => {
      flushTransfers(index);
      items.push(this.#renderMessage(message, language));
    });
    flushTransfers(Infinity);
    return items;
  }

  #renderMessage(message: ChatMessage, language: Language): unknown {
    const sender = message.self ? this.t('chat.you') : message.fromName || this.t('chat.guest');
    const sentAt = new Date(message.sentAt);
    return html`
      <div part="message" class="message ${message.self ? 'self' : ''}" ?data-self=${message.self}>
        <div class="meta">
          <span part="sender" class="sender">${sender}</span>
          <time part="time" datetime=${sentAt.toISOString()}>${timeFormat(language).format(sentAt)}</time>
        </div>
        <p part="text" class="text">${message.text}</p>
      </div>
    `;
  }

  #renderTransfer(transfer: FileTransferSnapshot, language: Language): unknown {
    const outgoing = transfer.direction === 'send';
    const max = Math.max(transfer.size, 1);
    const value = transfer.state === 'done' ? max : Math.min(transfer.transferred, max);
    const direction = outgoing
      ? this.t('chat.fileToEveryone')
      : this.t('chat.fileFrom', { name: transfer.peerName || this.t('chat.guest') });
    const url = transfer.state === 'done' && !outgoing ? this.#urlFor(transfer) : undefined;
    return html`
      <div part="transfer" class="transfer ${outgoing ? 'self' : ''}" data-state=${transfer.state} data-direction=${transfer.direction}>
        <div class="meta">
          <span part="file-name" class="file-name">${transfer.name}</span>
          <span part="file-size" class="file-size">${formatBytes(transfer.size, language)}</span>
        </div>
        <p part="file-direction" class="file-direction">${direction}</p>
        <progress part="progress" value=${value} max=${max} aria-label=${this.t('chat.fileProgress', { name: transfer.name })}></progress>
        <p part="file-state" class="file-state">${this.#stateText(transfer, value / max, language)}</p>
        ${transfer.state === 'active' || url
          ? html`<div class="transfer-actions">
              ${transfer.state === 'active'
                ? html`<button
                    part="cancel-button"
                    class="small"
                    type="button"
                    aria-label=${this.t('chat.cancelFile', { name: transfer.name })}
                    @click=${() => this.call?.cancelTransfer(transfer.id)}
                  >
                    ${this.t('chat.cancel')}
                  </button>`
                : nothing}
              ${url
                ? html`<a part="download" class="download" href=${url} download=${transfer.name} aria-label=${this.t('chat.downloadFile', { name: transfer.name })}
                    >${this.t('chat.download')}</a
                  >`
                : nothing}
            </div>`
          : nothing}
      </div>
    `;
  }

  #stateText(transfer: FileTransferSnapshot, fraction: number, language: Language): string {
    switch (transfer.state) {
      case 'active': {
        const percent = new Intl.NumberFormat(language, { style: 'percent' }).format(Math.floor(fraction * 100) / 100);
        return this.t(transfer.direction === 'send' ? 'chat.fileSending' : 'chat.fileReceiving', { percent });
      }
      case 'done':
        return this.t('chat.fileDone');
      case 'cancelled':
        return this.t('chat.fileCancelled');
      case 'failed':
        return transfer.error ? this.t('chat.fileFailedBecause', { error: transfer.error }) : this.t('chat.fileFailed');
    }
  }

  /** The object URL of a received file, made when first shown. */
  #urlFor(transfer: FileTransferSnapshot): string | undefined {
    const existing = this.#urls.get(transfer.id);
    if (existing || !transfer.blob) return existing;
    const url = URL.createObjectURL(transfer.blob);
    this.#urls.set(transfer.id, url);
    return url;
  }

  readonly #onScroll = (): void => {
    const list = this.#list;
    this.#stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight <= STICK_THRESHOLD;
  };

  readonly #onSubmit = (event: Event): void => {
    event.preventDefault();
    const call = this.call;
    const text = this.#input.value;
    if (!call || !text.trim()) return;
    try {
      call.sendChat(text);
    } catch {
      // Only empty or oversized text throws, and the field rules both out.
      return;
    }
    this.#input.value = '';
    this.#input.focus();
    // Your own message always comes into view.
    this.#stickToBottom = true;
  };

  readonly #chooseFile = (): void => {
    this.#fileInput.click();
  };

  readonly #onFileChosen = (): void => {
    const files = [...(this.#fileInput.files ?? [])];
    // Let the same file be chosen again later.
    this.#fileInput.value = '';
    this.fileError = null;
    for (const file of files) this.#sendFile(file);
  };

  #sendFile(file: File): void {
    const call = this.call;
    if (!call) return;
    const before = call.snapshot.transfers.length;
    const sending = call.sendFile(file);
    // `sendFile` lists the transfer before its first await; if it did not, it refused the file.
    const started = call.snapshot.transfers.length > before;
    this.#stickToBottom = true;
    sending.catch((error: unknown) => {
      // A transfer that started shows its own outcome (failed or cancelled) in the list.
      if (!started) this.fileError = this.#sendError(file, call, error);
    });
  }

  #sendError(file: File, call: Call, error: unknown): string {
    const code = error instanceof RtcError ? error.code : null;
    if (code === 'invalid-input') {
      const limit = formatBytes(call.options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, languageOf(this));
      return this.t('chat.fileTooLarge', { name: file.name, limit });
    }
    if (code === 'connection-failed') return this.t('chat.fileNobody', { name: file.name });
    return this.t('chat.fileNotSent', { name: file.name, error: error instanceof Error ? error.message : String(error) });
  }
}

const timeFormats = new Map<Language, Intl.DateTimeFormat>();

function timeFormat(language: Language): Intl.DateTimeFormat {
  let format = timeFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' });
    timeFormats.set(language, format);
  }
  return format;
}

/** `1.5 MB`, `340 kB`: sizes in the reader's language, in powers of 1024 like the core's limits. */
function formatBytes(bytes: number, language: Language): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
