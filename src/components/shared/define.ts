/**
 * Defines a custom element only if its tag is free. An embed can be loaded twice on one
 * page (two script tags, or a bundle plus the npm copy); the second copy must not throw.
 */
export function defineElement(tag: string, element: CustomElementConstructor): void {
  if (customElements.get(tag)) {
    if (customElements.get(tag) !== element) {
      console.warn(`rtc-elements: <${tag}> is already defined (the library was loaded twice); keeping the first definition.`);
      // Lit gives a class its property accessors when it is finalized, which `define`
      // would have done (it reads `observedAttributes`). Done here, this copy's class still
      // shows its properties: `@lit/react` sets a prop as a property only when it does.
      void (element as { observedAttributes?: unknown }).observedAttributes;
    }
    return;
  }
  customElements.define(tag, element);
}
