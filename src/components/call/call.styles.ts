import { css } from 'lit';

export const callStyles = css`
  :host {
    display: block;
    position: relative;
    min-height: 360px;
    background: var(--_bg);
    border-radius: var(--_radius);
    overflow: hidden;
  }
  :host([hidden]) {
    display: none;
  }
  .call {
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    height: 100%;
    min-height: inherit;
    padding: var(--_gap);
  }
  .body {
    flex: 1;
    min-height: 0;
    display: flex;
    gap: var(--_gap);
  }
  .stage {
    flex: 1;
    min-width: 0;
    min-height: 0;
  }
  .panel {
    width: var(--rtc-panel-width, 320px);
    max-width: 100%;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    padding: var(--_gap);
    background: var(--_surface);
    border-radius: var(--_radius);
    min-height: 0;
  }
  .panel header {
    display: flex;
    align-items: center;
    justify-content: space-between;
  }
  .panel h2 {
    margin: 0;
    font-size: 1.05rem;
  }
  .panel > :not(header) {
    flex: 1;
    min-height: 0;
  }
  .panel .download {
    flex: 0;
  }
  .close,
  .dismiss {
    border: 0;
    background: transparent;
    color: var(--_text);
    font-size: 1.4rem;
    line-height: 1;
  }
  .recording {
    display: flex;
    align-items: center;
    gap: 8px;
    margin: 0;
    padding: 6px 12px;
    border-radius: calc(var(--_radius) / 2);
    background: color-mix(in srgb, var(--_danger) 18%, var(--_surface));
    font-weight: 600;
  }
  .recording .dot {
    width: 10px;
    height: 10px;
    border-radius: 50%;
    background: var(--_danger);
  }
  .download {
    color: var(--_text);
  }
  @media (max-width: 700px) {
    .body {
      flex-direction: column;
    }
    .panel {
      width: auto;
      max-height: 50%;
    }
  }
  .center {
    flex: 1;
    display: grid;
    place-content: center;
    justify-items: center;
    gap: var(--_gap);
  }
  .status {
    margin: 0;
    text-align: center;
    color: var(--_muted);
  }
  .error {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: var(--_gap);
    padding: 12px 16px;
    border-radius: calc(var(--_radius) / 2);
    background: color-mix(in srgb, var(--_danger) 22%, var(--_surface));
    border: 1px solid var(--_danger);
  }
  .error p {
    margin: 0;
  }
  .error-title {
    font-weight: 600;
  }
  .error-hint {
    color: var(--_text);
    opacity: 0.9;
  }
  .primary {
    padding: 12px 20px;
    border-radius: calc(var(--_radius) / 2);
    border: 0;
    font-weight: 600;
    background: var(--_accent);
    color: var(--_accent-text);
  }
`;
