import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extentSpans, type Extent } from '../../../electron/engine/files/file-span';

// A file of 100 bytes: 40 at 1000, 30 right after them on disk (one run), 30 at 500.
const EXTENTS: Extent[] = [
  { position: 1000, length: 40 },
  { position: 1040, length: 30 },
  { position: 500, length: 30 },
];

test('a range inside one extent is one span at the extent offset', () => {
  assert.deepEqual(extentSpans(7, EXTENTS, 5, 9), [{ fd: 7, offset: 1005, length: 5 }]);
  assert.deepEqual(extentSpans(7, EXTENTS, 70, 70), [{ fd: 7, offset: 500, length: 1 }]);
});

test('extents that follow each other on disk merge; a jump starts a new span', () => {
  assert.deepEqual(extentSpans(3, EXTENTS, 0, 99), [
    { fd: 3, offset: 1000, length: 70 },
    { fd: 3, offset: 500, length: 30 },
  ]);
  assert.deepEqual(extentSpans(3, EXTENTS, 39, 40), [{ fd: 3, offset: 1039, length: 2 }]);
  assert.deepEqual(extentSpans(3, EXTENTS, 69, 70), [
    { fd: 3, offset: 1069, length: 1 },
    { fd: 3, offset: 500, length: 1 },
  ]);
});

test('the spans always add up to the range', () => {
  for (let start = 0; start < 100; start += 7) {
    for (let end = start; end < 100; end += 11) {
      const spans = extentSpans(1, EXTENTS, start, end) ?? [];
      assert.equal(spans.reduce((a, s) => a + s.length, 0), end - start + 1, `${start}-${end}`);
    }
  }
});

test('null past the end, for an empty or bad range, and across a zero (sparse) extent', () => {
  assert.equal(extentSpans(1, EXTENTS, 90, 100), null);
  assert.equal(extentSpans(1, EXTENTS, 5, 4), null);
  assert.equal(extentSpans(1, EXTENTS, -1, 4), null);
  const sparse: Extent[] = [{ position: 0, length: 10 }, { position: 0, length: 10, zero: true }, { position: 50, length: 10 }];
  assert.equal(extentSpans(1, sparse, 5, 15), null);
  assert.deepEqual(extentSpans(1, sparse, 20, 25), [{ fd: 1, offset: 50, length: 6 }]);
});
