/**
 * The Storybook toolbar's Theme and Language: each story sits in a `.rtc-story` box whose
 * background follows the theme, so elements without a background of their own (controls)
 * show as they would on a page of that colour. A forced theme reaches the elements the way
 * `<rtc-call theme="...">` passes it on: through inherited custom properties.
 */
import { THEME_TOKENS, type ThemeName } from '../../src/components/shared/styles.js';

function colour(theme: ThemeName, property: string): string {
  return THEME_TOKENS.find((t) => t.property === property)![theme];
}

/** What `<rtc-call theme="...">` sets for the elements inside it (see styles.ts). */
function forcedVariables(theme: ThemeName): string {
  return [...THEME_TOKENS.map((t) => `--_theme-${t.internal.slice(3)}: ${t[theme]};`), `--_theme-scheme: ${theme};`].join(' ');
}

function box(theme: ThemeName): string {
  return `background: ${colour(theme, '--rtc-color-background')}; color: ${colour(theme, '--rtc-color-text')}; color-scheme: ${theme};`;
}

/** The stylesheet behind the `.rtc-story` box. */
export const storyThemeCss = `
  .rtc-story { ${box('dark')} padding: 16px; border-radius: 8px; font-family: system-ui, sans-serif; }
  @media (prefers-color-scheme: light) { .rtc-story { ${box('light')} } }
  .rtc-story[data-theme='dark'] { ${box('dark')} ${forcedVariables('dark')} }
  .rtc-story[data-theme='light'] { ${box('light')} ${forcedVariables('light')} }
  .rtc-story .story-note { margin: 0 0 12px; font-size: 0.9rem; opacity: 0.85; }
`;

/** The theme an element shows: the forced one, else the system's preference. */
export function effectiveTheme(forced: string | null | undefined): ThemeName {
  if (forced === 'light' || forced === 'dark') return forced;
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** A token's default in a theme, as `getComputedStyle` reports colours (`rgb(r, g, b)`). */
export function tokenRgb(theme: ThemeName, property: string): string {
  const probe = document.createElement('div');
  probe.style.color = colour(theme, property);
  document.body.append(probe);
  const rgb = getComputedStyle(probe).color;
  probe.remove();
  return rgb;
}
