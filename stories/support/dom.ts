/** Finding things through shadow roots, for play functions. */
import { waitFor } from 'storybook/test';

type Root = Element | ShadowRoot | Document;

/** Inside an element: its shadow root if it has one, else its children. */
function scopeOf(node: Root): ParentNode {
  return node instanceof Element ? (node.shadowRoot ?? node) : node;
}

/**
 * `deep(call, 'rtc-participant-grid', 'rtc-remote-video')`: each selector inside the
 * previous match's shadow root (or inside the match itself when it has none).
 */
export function deep<T extends Element = HTMLElement>(root: Root, ...selectors: string[]): T | null {
  let node: Root | null = root;
  for (const selector of selectors) {
    node = node ? scopeOf(node).querySelector(selector) : null;
    if (!node) return null;
  }
  return node as T | null;
}

/** Every match of the last selector, inside the shadow root of the path before it. */
export function deepAll<T extends Element = HTMLElement>(root: Root, ...selectors: string[]): T[] {
  const last = selectors.at(-1)!;
  const parent = selectors.length > 1 ? deep(root, ...selectors.slice(0, -1)) : root;
  return parent ? [...scopeOf(parent).querySelectorAll<T>(last)] : [];
}

/** Waits until `deep(...)` finds something, and returns it. */
export async function find<T extends Element = HTMLElement>(root: Root, ...selectors: string[]): Promise<T> {
  return waitFor(
    () => {
      const found = deep<T>(root, ...selectors);
      if (!found) throw new Error(`Nothing matches ${selectors.join(' → ')}`);
      return found;
    },
    { timeout: 5000 },
  );
}

/** The text of a node, with whitespace collapsed. */
export function text(node: Node | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Resolves once a `<video>` shows frames that change (its time moves on). */
export async function playing(video: HTMLVideoElement): Promise<void> {
  await waitFor(() => {
    if (video.videoWidth === 0 || video.readyState < 2) throw new Error('no frame yet');
  }, { timeout: 5000 });
  const start = video.currentTime;
  await waitFor(() => {
    if (video.currentTime <= start) throw new Error('frames do not advance');
  }, { timeout: 5000 });
}

/**
 * Types into a field inside a shadow root the way the page sees it (an `input` event).
 * (`userEvent.type` cannot focus fields inside shadow roots.)
 */
export function typeInto(input: HTMLInputElement, value: string): void {
  input.focus();
  input.value = value;
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true, data: value, inputType: 'insertText' }));
}
