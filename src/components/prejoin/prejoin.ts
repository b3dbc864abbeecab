import { html, nothing, type PropertyDeclarations } from 'lit';
import { CallElement } from '../shared/call-element.js';
import { tokens } from '../shared/styles.js';
import { prejoinStyles } from './prejoin.styles.js';
import '../local-video/rtc-local-video.js';
import '../controls/rtc-controls.js';

const NAME_KEY = 'rtc-elements:name';

/**
 * @summary The screen before joining: camera preview, name, consent, and Join.
 *
 * The camera and microphone start only after the person presses the consent button (or
 * Join). Media failures show as a message and do not stop the join: a person without a
 * camera can still watch and listen.
 *
 * @csspart prejoin - the whole screen
 * @csspart title - its heading
 * @csspart preview - the box around the camera preview
 * @csspart consent - the consent text
 * @csspart start-button - starts camera and microphone for the preview
 * @csspart name-input - the name field
 * @csspart join-button - joins the call
 *
 * @cssprop --rtc-color-accent - the Join button
 */
export class RtcPrejoin extends CallElement {
  static override styles = [tokens, prejoinStyles];

  static override properties: PropertyDeclarations = { busy: { attribute: false }, previewStarted: { attribute: false } };

  private busy = false;
  private previewStarted = false;

  protected override render(): unknown {
    const snapshot = this.controller.snapshot;
    const room = this.call?.options.room ?? '';
    return html`
      <section part="prejoin" class="prejoin" aria-labelledby="title">
        <h2 id="title" part="title">${this.t('prejoin.title')}</h2>
        ${room ? html`<p class="room">${this.t('prejoin.room', { room })}</p>` : nothing}
        <div part="preview" class="preview">
          <rtc-local-video .call=${this.call}></rtc-local-video>
          ${snapshot?.localStream ? html`<rtc-controls .call=${this.call}></rtc-controls>` : nothing}
        </div>
        <form class="form" @submit=${this.#join}>
          ${this.previewStarted
            ? nothing
            : html`<p part="consent" class="consent">${this.t('prejoin.consent')}</p>
                <button part="start-button" type="button" class="secondary" ?disabled=${this.busy} @click=${this.#startPreview}>
                  ${this.t('prejoin.start')}
                </button>`}
          <label class="field">
            <span>${this.t('prejoin.name')}</span>
            <input
              part="name-input"
              name="name"
              autocomplete="name"
              maxlength="64"
              placeholder=${this.t('prejoin.namePlaceholder')}
              .value=${snapshot?.name ?? ''}
              @input=${this.#onName}
            />
          </label>
          <button part="join-button" type="submit" class="primary" ?disabled=${this.busy || !this.call}>
            ${this.t('prejoin.join')}
          </button>
        </form>
      </section>
    `;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Offer the name used last time, unless the page set one.
    const call = this.call;
    if (call && !call.snapshot.name) {
      const remembered = readName();
      if (remembered) call.setName(remembered);
    }
  }

  /** Moves focus to the first thing to do, for keyboard and screen-reader users. */
  override focus(options?: FocusOptions): void {
    const target = this.renderRoot.querySelector<HTMLElement>('[part="start-button"], [part="name-input"]');
    (target ?? this).focus(options);
  }

  readonly #onName = (event: Event): void => {
    this.call?.setName((event.target as HTMLInputElement).value);
  };

  readonly #startPreview = async (): Promise<void> => {
    const call = this.call;
    if (!call) return;
    this.busy = true;
    this.previewStarted = true;
    // A failure is on the snapshot and fired as `error`; joining stays possible.
    await call.startPreview().catch(() => undefined);
    this.busy = false;
  };

  readonly #join = async (event: Event): Promise<void> => {
    event.preventDefault();
    const call = this.call;
    if (!call) return;
    writeName(call.snapshot.name);
    this.busy = true;
    await call.join().catch(() => undefined);
    this.busy = false;
  };
}

function readName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function writeName(name: string): void {
  try {
    if (name.trim()) localStorage.setItem(NAME_KEY, name.trim());
  } catch {
    // Storage can be blocked (private mode, sandboxed frames): remembering is only a nicety.
  }
}
