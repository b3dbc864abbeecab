import { en, type MessageKey } from './en.js';
import { nl } from './nl.js';

export type { MessageKey };
export type Language = 'en' | 'nl';

const CATALOGUES: Record<Language, Record<MessageKey, string>> = { en, nl };

/** `nl-BE` → `nl`; anything without a catalogue → `en`. */
export function toLanguage(tag: string | null | undefined): Language {
  const base = (tag ?? '').toLowerCase().split('-')[0];
  return base === 'nl' ? 'nl' : 'en';
}

/** The message for `key` in `lang`, with `{param}` placeholders filled in. */
export function translate(lang: Language, key: MessageKey, params: Record<string, string> = {}): string {
  return CATALOGUES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}

/** The nearest `lang` attribute, looking through shadow roots up to the page's `<html>`. */
export function languageOf(element: Element): Language {
  let node: Node | null = element;
  while (node) {
    if (node instanceof Element) {
      const lang = node.getAttribute('lang');
      if (lang) return toLanguage(lang);
    }
    node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null);
  }
  return 'en';
}
