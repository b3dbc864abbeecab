/** What a participant grid shows: its camera tiles and their layout. */
import { expect, waitFor } from 'storybook/test';
import { deep, deepAll } from './dom.js';

/** Every camera tile in a `<rtc-participant-grid>` (yours first). */
export function gridTiles(grid: Element): HTMLElement[] {
  return deepAll(grid, 'rtc-local-video:not([screen]), rtc-remote-video:not([screen])');
}

/** `count` tiles laid out as a grid of `columns` columns, each one on screen. */
export async function expectGrid(grid: Element, count: number, columns: number): Promise<void> {
  await waitFor(() => expect(gridTiles(grid)).toHaveLength(count));
  const box = deep(grid, '[part="grid"]')!;
  if (box.classList.contains('presenting') && !deep(grid, '[part="stage"] > *')) {
    throw new Error(
      '<rtc-participant-grid> shows the screen-share layout (an empty stage, the tiles in a side strip) with nobody sharing. ' +
        'In participant-grid.ts, `if (screen)` is always true: #screenShare() returns `nothing`, a Symbol, when nobody shares.',
    );
  }
  expect(box.classList.contains('grid')).toBe(true);
  expect(box.style.getPropertyValue('--_columns').trim()).toBe(String(columns));
  expect(getComputedStyle(box).gridTemplateColumns.split(' ')).toHaveLength(columns);
  // Side by side in `columns` columns, each big enough to see.
  const lefts = new Set(gridTiles(grid).map((tile) => Math.round(tile.getBoundingClientRect().left)));
  expect(lefts.size).toBe(columns);
  for (const tile of gridTiles(grid)) expect(tile.getBoundingClientRect().height).toBeGreaterThan(60);
}
