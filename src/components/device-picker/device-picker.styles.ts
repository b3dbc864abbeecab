import { css } from 'lit';

export const devicePickerStyles = css`
  :host {
    display: block;
  }
  :host([hidden]) {
    display: none;
  }
  .picker {
    display: grid;
    gap: calc(var(--_gap) * 1.5);
    padding: var(--rtc-device-picker-padding, calc(var(--_gap) * 1.5));
    background: var(--rtc-device-picker-background, var(--_surface));
    border-radius: var(--_radius);
  }
  .field {
    display: grid;
    gap: 4px;
  }
  .label {
    font-size: 0.9rem;
    font-weight: 600;
  }
  select {
    font: inherit;
    width: 100%;
    padding: 8px 10px;
    border-radius: calc(var(--_radius) / 2);
    border: 1px solid var(--_surface-2);
    background: var(--rtc-select-background, var(--_bg));
    color: var(--_text);
  }
  select:disabled {
    opacity: 0.6;
  }
  .note {
    margin: 0;
    font-size: 0.85rem;
    color: var(--_muted);
  }
`;
