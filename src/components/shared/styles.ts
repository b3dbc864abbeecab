import { css, unsafeCSS } from 'lit';

/** The two built-in colour themes. */
export type ThemeName = 'dark' | 'light';

/** One themable design token: its public `--rtc-*` property and its default in each theme. */
export interface ThemeToken {
  /** The public custom property a page sets to override the token. */
  readonly property: `--rtc-${string}`;
  /** The private property elements read (`var(--_bg)`), resolved once per element. */
  readonly internal: `--_${string}`;
  /** What it colours, in a few words (the same words as docs/theming.md). */
  readonly meaning: string;
  readonly dark: string;
  readonly light: string;
}

/**
 * The colour tokens and their defaults in both themes. Dark is the default; light applies
 * when the system prefers it (`prefers-color-scheme: light`) and no theme is forced, or
 * when `theme="light"` is set on `<rtc-call>` (or on any element, used on its own).
 * Every pair of text and background colours here meets WCAG AA (4.5:1) in both themes.
 */
export const THEME_TOKENS: readonly ThemeToken[] = Object.freeze([
  { property: '--rtc-color-background', internal: '--_bg', meaning: 'the call’s background, inputs', dark: '#0f1115', light: '#f4f5f7' },
  { property: '--rtc-color-surface', internal: '--_surface', meaning: 'tiles, panels, chat, pre-join card', dark: '#1c1f26', light: '#ffffff' },
  { property: '--rtc-color-surface-raised', internal: '--_surface-2', meaning: 'buttons, avatars, chat bubbles, borders', dark: '#2a2e38', light: '#e6e8ec' },
  { property: '--rtc-color-text', internal: '--_text', meaning: 'text and icons', dark: '#f2f3f5', light: '#15171c' },
  { property: '--rtc-color-text-muted', internal: '--_muted', meaning: 'secondary text: notes, times, statuses', dark: '#a9adb8', light: '#474d57' },
  { property: '--rtc-color-accent', internal: '--_accent', meaning: 'primary buttons, open panels, the active speaker’s outline', dark: '#2563eb', light: '#1d4ed8' },
  { property: '--rtc-color-accent-text', internal: '--_accent-text', meaning: 'text and icons on the accent colour', dark: '#ffffff', light: '#ffffff' },
  { property: '--rtc-color-danger', internal: '--_danger', meaning: 'leave, devices that are off, errors, failures, recording', dark: '#e5484d', light: '#c9252c' },
  { property: '--rtc-color-danger-text', internal: '--_danger-text', meaning: 'text and icons on the danger colour', dark: '#ffffff', light: '#ffffff' },
  { property: '--rtc-color-warning', internal: '--_warning', meaning: 'reconnecting badge, fair connection quality', dark: '#f5a524', light: '#f5a524' },
  { property: '--rtc-color-warning-text', internal: '--_warning-text', meaning: 'text on the warning colour', dark: '#1b1b1b', light: '#1b1b1b' },
  { property: '--rtc-color-success', internal: '--_success', meaning: 'good connection quality, finished transfers', dark: '#30a46c', light: '#1a7f4b' },
  { property: '--rtc-color-focus', internal: '--_focus', meaning: 'the keyboard focus ring', dark: '#93c5fd', light: '#1d4ed8' },
  { property: '--rtc-color-overlay', internal: '--_overlay', meaning: 'name labels and badges over video', dark: 'rgb(0 0 0 / 0.6)', light: 'rgb(0 0 0 / 0.75)' },
  { property: '--rtc-color-overlay-text', internal: '--_overlay-text', meaning: 'text on the overlay colour', dark: '#ffffff', light: '#ffffff' },
  {
    property: '--rtc-color-mic-off',
    internal: '--_mic-off',
    meaning: 'the muted-microphone icon on a name label',
    dark: 'var(--_danger)',
    light: 'color-mix(in srgb, var(--_danger) 50%, #fff)',
  },
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
