import { css } from 'lit';

export const remoteVideoStyles = css`
  .unmute {
    position: absolute;
    inset: auto var(--_gap) var(--_gap) auto;
    border: 0;
    border-radius: 999px;
    padding: 6px 10px;
    background: var(--_accent);
    color: var(--_accent-text);
  }
`;
