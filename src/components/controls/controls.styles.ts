import { css } from 'lit';

export const controlsStyles = css`
  :host {
    display: block;
  }
  .toolbar {
    display: flex;
    justify-content: center;
    gap: var(--_gap);
    padding: var(--_gap);
  }
  button {
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
  button[aria-pressed='false'] {
    background: var(--rtc-control-off-background, var(--_danger));
    color: #fff;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .leave {
    width: 64px;
    border-radius: 24px;
    background: var(--_danger);
    color: #fff;
  }
`;
