import { css } from 'lit';

export const controlsStyles = css`
  :host {
    display: block;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: var(--_gap);
    padding: var(--_gap);
  }
  button {
    position: relative;
    display: inline-grid;
    place-items: center;
    width: 48px;
    height: 48px;
    border: 0;
    border-radius: 50%;
    color: var(--_text);
    background: var(--rtc-control-background, var(--_surface-2));
  }
  button:hover {
    filter: brightness(1.15);
  }
  .device[aria-pressed='false'] {
    background: var(--rtc-control-off-background, var(--_danger));
    color: var(--_danger-text);
  }
  .panel[aria-pressed='true'] {
    background: var(--rtc-control-active-background, var(--_accent));
    color: var(--_accent-text);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .badge {
    position: absolute;
    top: -2px;
    right: -2px;
    min-width: 20px;
    height: 20px;
    padding: 0 5px;
    border-radius: 10px;
    /* Darkened: small text needs 4.5:1 on it, which the plain danger colour gives only in light. */
    background: color-mix(in srgb, var(--_danger) 80%, #000);
    color: var(--_danger-text);
    font-size: 0.75rem;
    line-height: 20px;
    font-weight: 700;
  }
  .leave {
    width: 64px;
    border-radius: 24px;
    background: var(--_danger);
    color: var(--_danger-text);
  }
`;
