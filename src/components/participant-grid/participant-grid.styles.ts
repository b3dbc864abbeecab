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
  }
  /* Tiles fill their cell (the video covers it), so they never outgrow a short row. */
  .grid > * {
    min-height: 0;
  }
  .presenting {
    display: grid;
    height: 100%;
    gap: var(--_gap);
    grid-template-columns: minmax(0, 1fr) minmax(120px, 22%);
  }
  .stage {
    min-height: 0;
    display: grid;
    align-items: center;
  }
  .stage > * {
    --rtc-tile-aspect-ratio: auto;
    height: 100%;
  }
  .strip {
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    overflow-y: auto;
    min-height: 0;
  }
  @media (max-width: 600px) {
    .grid {
      grid-template-columns: repeat(min(var(--_columns), 2), minmax(0, 1fr));
      grid-template-rows: none;
    }
    .presenting {
      grid-template-columns: none;
      grid-template-rows: minmax(0, 1fr) auto;
    }
    .strip {
      flex-direction: row;
      overflow-x: auto;
    }
    .strip > * {
      flex: 0 0 40%;
    }
  }
`;
