import { css } from 'lit';

export const chatStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    height: var(--rtc-chat-height, 24rem);
    min-height: 0;
    background: var(--rtc-chat-background, var(--_surface));
    border-radius: var(--_radius);
    overflow: hidden;
  }
  :host([hidden]) {
    display: none;
  }
  .messages {
    flex: 1 1 auto;
    min-height: 0;
    overflow-y: auto;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    padding: var(--_gap);
  }
  .note,
  .status {
    margin: 0;
    font-size: 0.85rem;
    color: var(--_muted);
  }
  .note {
    text-align: center;
  }
  .message,
  .transfer {
    max-width: 85%;
    align-self: flex-start;
    padding: 6px 10px;
    border-radius: calc(var(--_radius) / 1.5);
    background: var(--rtc-chat-bubble-background, var(--_surface-2));
  }
  .message.self,
  .transfer.self {
    align-self: flex-end;
    background: var(--rtc-chat-self-bubble-background, color-mix(in srgb, var(--_accent) 25%, var(--_surface-2)));
  }
  .meta {
    display: flex;
    align-items: baseline;
    gap: var(--_gap);
    font-size: 0.8rem;
    color: var(--_muted);
  }
  .sender,
  .file-name {
    font-weight: 600;
    color: var(--_text);
    overflow-wrap: anywhere;
  }
  .text {
    margin: 2px 0 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .transfer {
    display: grid;
    gap: 4px;
    min-width: min(16rem, 85%);
  }
  .transfer p {
    margin: 0;
    font-size: 0.85rem;
  }
  progress {
    width: 100%;
    accent-color: var(--rtc-chat-progress-color, var(--_accent));
  }
  /* Tinted towards the text colour, so the outcome stays readable on any bubble. */
  .transfer[data-state='done'] .file-state {
    color: color-mix(in srgb, var(--_success) 60%, var(--_text));
  }
  .transfer[data-state='failed'] .file-state,
  .transfer[data-state='cancelled'] .file-state {
    color: color-mix(in srgb, var(--_danger) 50%, var(--_text));
  }
  .transfer-actions {
    display: flex;
    gap: var(--_gap);
  }
  .error {
    margin: 0 var(--_gap);
    padding: 8px 12px;
    border-radius: calc(var(--_radius) / 2);
    border: 1px solid var(--_danger);
    background: color-mix(in srgb, var(--_danger) 22%, var(--_surface));
    font-size: 0.9rem;
  }
  .status {
    padding: 0 var(--_gap);
  }
  .form {
    display: flex;
    gap: var(--_gap);
    padding: var(--_gap);
    border-top: 1px solid var(--_surface-2);
  }
  .input {
    flex: 1;
    min-width: 0;
    font: inherit;
    padding: 8px 12px;
    border-radius: calc(var(--_radius) / 2);
    border: 1px solid var(--_surface-2);
    background: var(--rtc-chat-input-background, var(--_bg));
    color: var(--_text);
  }
  .attach,
  .send,
  .small {
    border: 0;
    border-radius: calc(var(--_radius) / 2);
    color: var(--_text);
    background: var(--_surface-2);
  }
  .attach {
    display: inline-grid;
    place-items: center;
    width: 40px;
  }
  .send {
    padding: 8px 16px;
    font-weight: 600;
    background: var(--_accent);
    color: var(--_accent-text);
  }
  .small {
    padding: 4px 10px;
    font-size: 0.85rem;
  }
  .download {
    color: var(--_text);
    font-size: 0.85rem;
  }
  button:disabled,
  input:disabled {
    opacity: 0.5;
    cursor: default;
  }
`;
