import { css } from 'lit';

export const localVideoStyles = css`
  video:not(.screen) {
    transform: scaleX(var(--rtc-local-mirror, -1));
  }
  video.screen {
    object-fit: contain;
  }
`;
