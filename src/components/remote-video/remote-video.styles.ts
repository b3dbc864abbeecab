import { css } from 'lit';

export const remoteVideoStyles = css`
  :host(:state(speaking)) .tile {
    outline: var(--rtc-speaking-outline, 3px solid var(--_accent));
    outline-offset: -3px;
  }
  .screen video {
    object-fit: contain;
  }
  .quality {
    display: inline-flex;
    align-items: flex-end;
    gap: 2px;
    height: 12px;
    margin-left: 2px;
  }
  .quality i {
    display: block;
    width: 3px;
    background: rgb(255 255 255 / 0.35);
    border-radius: 1px;
  }
  .quality i:nth-child(1) {
    height: 5px;
  }
  .quality i:nth-child(2) {
    height: 8px;
  }
  .quality i:nth-child(3) {
    height: 12px;
  }
  .quality[data-quality='good'] i.on {
    background: var(--_success);
  }
  .quality[data-quality='fair'] i.on {
    background: var(--_warning);
  }
  .quality[data-quality='poor'] i.on {
    background: var(--_danger);
  }
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
