import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { int64ToMillis, int64ToSeconds } from '../../src/pdata/time.js';

test('nanoseconds to whole milliseconds and seconds are exact beyond 2^53', () => {
  // As a double, 1763812345002000000 ns rounds just below itself: dividing it gives ...001.
  const ms = 1763812345002;
  const ns = Long.fromNumber(ms, true).multiply(1_000_000);
  assert.equal(Math.floor(ns.toNumber() / 1e6), ms - 1, 'the lossy path this guards against');
  assert.equal(int64ToMillis(ns), ms);
  assert.equal(int64ToMillis(ns.add(999_999)), ms);
  assert.equal(int64ToSeconds(ns), 1763812345);
  assert.equal(int64ToMillis(Long.fromString('18446744073709551615', true)), 18446744073709);
  assert.equal(int64ToMillis(undefined), 0);
});
