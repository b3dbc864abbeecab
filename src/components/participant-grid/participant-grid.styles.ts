import { css } from 'lit';

export const participantGridStyles = css`
  :host {
    display: block;
    min-height: 0;
  }
  .grid {
    display: grid;
    height: 100%;
    gap: var(--_gap);
    grid-template-columns: repeat(var(--_columns), minmax(0, 1fr));
    grid-template-rows: repeat(var(--_rows), minmax(0, 1fr));
    align-items: center;
  }
  .grid > * {
    max-height: 100%;
  }
  @media (max-width: 600px) {
    .grid {
      grid-template-columns: repeat(min(var(--_columns), 2), minmax(0, 1fr));
      grid-template-rows: none;
    }
  }
`;
