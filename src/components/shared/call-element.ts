import { LitElement } from 'lit';
import type { Call } from '../../core/call.js';
import { languageOf, translate, type MessageKey } from '../../i18n/index.js';
import { CallController } from './call-controller.js';

/**
 * Base of every element that shows part of a call: finds its `Call` (the `.call`
 * property, else the enclosing `<rtc-call>`), re-renders on every change, and speaks the
 * language of its nearest `lang` attribute.
 */
export class CallElement extends LitElement {
  protected readonly controller = new CallController(this);

  /** The call this element shows. Default: the one of the enclosing `<rtc-call>`. */
  get call(): Call | undefined {
    return this.controller.call;
  }
  set call(call: Call | undefined) {
    this.controller.setExplicit(call);
  }

  /** A message in the element's language. */
  protected t(key: MessageKey, params?: Record<string, string>): string {
    return translate(languageOf(this), key, params);
  }
}
