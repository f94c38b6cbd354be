// The retry delay: doubles from the initial value, stops at the cap, and is jittered into [50%, 100%].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/sources/kube/index.ts';

const timing = { backoffInitialMs: 100, backoffMaxMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap when the jitter is at its top', () => {
    const top = (): number => 1;
    assert.deepEqual([0, 1, 2, 3, 7, 8, 50].map((a) => backoffDelay(a, timing, top)), [100, 200, 400, 800, 10_000, 10_000, 10_000]);
  });

  it('never goes below half of the un-jittered delay', () => {
    const bottom = (): number => 0;
    assert.deepEqual([0, 1, 10].map((a) => backoffDelay(a, timing, bottom)), [50, 100, 5000]);
  });

  it('stays within [50%, 100%] for random jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(10_000, 100 * 2 ** attempt);
      const d = backoffDelay(attempt, timing);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
    }
  });
});
