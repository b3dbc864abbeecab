import { css } from 'lit';

export const localVideoStyles = css`
  video {
    transform: scaleX(var(--rtc-local-mirror, -1));
  }
`;
