/**
 * Defines a custom element only if its tag is free. An embed can be loaded twice on one
 * page (two script tags, or a bundle plus the npm copy); the second copy must not throw.
 */
export function defineElement(tag: string, element: CustomElementConstructor): void {
  if (customElements.get(tag)) {
    if (customElements.get(tag) !== element) {
      console.warn(`rtc-elements: <${tag}> is already defined (the library was loaded twice); keeping the first definition.`);
    }
    return;
  }
  customElements.define(tag, element);
}
