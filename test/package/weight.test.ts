/**
 * The deterministic part of `npm run bench`: the bundles' gzip sizes against their
 * ceilings (bench/budgets.ts), on the build `npm test` made.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUNDLE_CEILING_GZIP, CORE_CEILING_GZIP } from '../../bench/budgets.js';
import { measureWeight } from '../../bench/weight.js';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

describe('bundle weight', () => {
  it('stays under its ceilings', async () => {
    const weight = await measureWeight();
    assert.ok(
      weight.full.gzip <= BUNDLE_CEILING_GZIP,
      `dist/rtc-elements.min.js is ${kib(weight.full.gzip)} gzip, over its ceiling of ${kib(BUNDLE_CEILING_GZIP)}: see \`npm run bench\` for where the bytes go`,
    );
    assert.ok(
      weight.core.gzip <= CORE_CEILING_GZIP,
      `rtc-elements/core is ${kib(weight.core.gzip)} gzip, over its ceiling of ${kib(CORE_CEILING_GZIP)}`,
    );
    // The bundle carries the whole product: a near-empty file would pass the ceilings.
    assert.ok(weight.full.raw > 60_000, `dist/rtc-elements.min.js is suspiciously small (${weight.full.raw} bytes)`);
  });
});
