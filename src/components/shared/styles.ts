import { css, unsafeCSS } from 'lit';

/** The two built-in colour themes. */
export type ThemeName = 'dark' | 'light';

/** One themable design token: its public `--rtc-*` property and its default in each theme. */
export interface ThemeToken {
  /** The public custom property a page sets to override the token. */
  readonly property: `--rtc-${string}`;
  /** The private property elements read (`var(--_bg)`), resolved once per element. */
  readonly internal: `--_${string}`;
  readonly dark: string;
  readonly light: string;
}

/**
 * The colour tokens and their defaults in both themes; what each one colours is said in
 * docs/theming.md (the Theming story shows both and checks that they agree). Dark is the
 * default; light applies when the system prefers it (`prefers-color-scheme: light`) and no
 * theme is forced, or when `theme="light"` is set on `<rtc-call>` (or on any element, used
 * on its own). Every pair of text and background colours here meets WCAG AA (4.5:1) in
 * both themes.
 */
export const THEME_TOKENS: readonly ThemeToken[] = Object.freeze([
  { property: '--rtc-color-background', internal: '--_bg', dark: '#0f1115', light: '#f4f5f7' },
  { property: '--rtc-color-surface', internal: '--_surface', dark: '#1c1f26', light: '#ffffff' },
  { property: '--rtc-color-surface-raised', internal: '--_surface-2', dark: '#2a2e38', light: '#e6e8ec' },
  { property: '--rtc-color-text', internal: '--_text', dark: '#f2f3f5', light: '#15171c' },
  { property: '--rtc-color-text-muted', internal: '--_muted', dark: '#a9adb8', light: '#474d57' },
  { property: '--rtc-color-accent', internal: '--_accent', dark: '#2563eb', light: '#1d4ed8' },
  { property: '--rtc-color-accent-text', internal: '--_accent-text', dark: '#ffffff', light: '#ffffff' },
  { property: '--rtc-color-danger', internal: '--_danger', dark: '#e5484d', light: '#c9252c' },
  { property: '--rtc-color-danger-text', internal: '--_danger-text', dark: '#ffffff', light: '#ffffff' },
  { property: '--rtc-color-warning', internal: '--_warning', dark: '#f5a524', light: '#f5a524' },
  { property: '--rtc-color-warning-text', internal: '--_warning-text', dark: '#1b1b1b', light: '#1b1b1b' },
  { property: '--rtc-color-success', internal: '--_success', dark: '#30a46c', light: '#1a7f4b' },
  { property: '--rtc-color-focus', internal: '--_focus', dark: '#93c5fd', light: '#1d4ed8' },
  { property: '--rtc-color-overlay', internal: '--_overlay', dark: 'rgb(0 0 0 / 0.6)', light: 'rgb(0 0 0 / 0.75)' },
  { property: '--rtc-color-overlay-text', internal: '--_overlay-text', dark: '#ffffff', light: '#ffffff' },
  { property: '--rtc-color-mic-off', internal: '--_mic-off', dark: 'var(--_danger)', light: 'color-mix(in srgb, var(--_danger) 50%, #fff)' },
] satisfies ThemeToken[]);

/** `--_bg` → `--_theme-bg`: set only by a forced theme, inherited by every element inside. */
function forced(token: ThemeToken): string {
  return `--_theme-${token.internal.slice(3)}`;
}

/** Each token resolves as: the page's `--rtc-*` override, else a forced theme, else this theme's default. */
function defaults(theme: ThemeName): string {
  const colours = THEME_TOKENS.map((t) => `${t.internal}: var(${t.property}, var(${forced(t)}, ${t[theme]}));`);
  return [...colours, `color-scheme: var(--rtc-color-scheme, var(--_theme-scheme, ${theme}));`].join('\n');
}

/** What `theme="dark"` / `theme="light"` forces, for this element and everything inside it. */
function forcedTheme(theme: ThemeName): string {
  return [...THEME_TOKENS.map((t) => `${forced(t)}: ${t[theme]};`), `--_theme-scheme: ${theme};`].join('\n');
}

/**
 * The design tokens every element reads. Override any `--rtc-*` property on `<rtc-call>`
 * or a page ancestor to re-theme the whole call (custom properties inherit through shadow
 * roots); set `theme="light"` or `theme="dark"` on `<rtc-call>` to force a theme. See
 * docs/theming.md.
 */
export const tokens = css`
  :host {
    ${unsafeCSS(defaults('dark'))}
    --_radius: var(--rtc-radius, 12px);
    --_gap: var(--rtc-gap, 8px);
    --_font: var(--rtc-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-family: var(--_font);
    color: var(--_text);
    box-sizing: border-box;
  }
  @media (prefers-color-scheme: light) {
    :host {
      ${unsafeCSS(defaults('light'))}
    }
  }
  :host([theme='dark']) {
    ${unsafeCSS(forcedTheme('dark'))}
  }
  :host([theme='light']) {
    ${unsafeCSS(forcedTheme('light'))}
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    cursor: pointer;
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
