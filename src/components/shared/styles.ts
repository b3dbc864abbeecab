import { css } from 'lit';

/**
 * The design tokens every element reads. Override any `--rtc-*` property on `<rtc-call>`
 * or a page ancestor to re-theme the whole call.
 */
export const tokens = css`
  :host {
    --_bg: var(--rtc-color-background, #0f1115);
    --_surface: var(--rtc-color-surface, #1c1f26);
    --_surface-2: var(--rtc-color-surface-raised, #2a2e38);
    --_text: var(--rtc-color-text, #f2f3f5);
    --_muted: var(--rtc-color-text-muted, #a9adb8);
    --_accent: var(--rtc-color-accent, #2563eb);
    --_accent-text: var(--rtc-color-accent-text, #ffffff);
    --_danger: var(--rtc-color-danger, #e5484d);
    --_warning: var(--rtc-color-warning, #f5a524);
    --_success: var(--rtc-color-success, #30a46c);
    --_radius: var(--rtc-radius, 12px);
    --_gap: var(--rtc-gap, 8px);
    --_font: var(--rtc-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_focus: var(--rtc-color-focus, #93c5fd);
    font-family: var(--_font);
    color: var(--_text);
    box-sizing: border-box;
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
