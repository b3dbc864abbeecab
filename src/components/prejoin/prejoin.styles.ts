import { css } from 'lit';

export const prejoinStyles = css`
  :host {
    display: block;
  }
  .prejoin {
    display: grid;
    gap: calc(var(--_gap) * 2);
    max-width: 560px;
    margin: 0 auto;
    padding: calc(var(--_gap) * 2);
    background: var(--_surface);
    border-radius: var(--_radius);
  }
  h2 {
    margin: 0;
    font-size: 1.4rem;
  }
  .room,
  .consent {
    margin: 0;
    color: var(--_muted);
  }
  .form {
    display: grid;
    gap: calc(var(--_gap) * 1.5);
  }
  .field {
    display: grid;
    gap: 4px;
  }
  input {
    font: inherit;
    padding: 10px 12px;
    border-radius: calc(var(--_radius) / 2);
    border: 1px solid var(--_surface-2);
    background: var(--_bg);
    color: var(--_text);
  }
  .primary,
  .secondary {
    padding: 12px 16px;
    border-radius: calc(var(--_radius) / 2);
    border: 0;
    font-weight: 600;
  }
  .primary {
    background: var(--_accent);
    color: var(--_accent-text);
  }
  .secondary {
    background: var(--_surface-2);
    color: var(--_text);
  }
  button:disabled {
    opacity: 0.6;
    cursor: progress;
  }
`;
