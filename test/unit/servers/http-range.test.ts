import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RANGES, parseRange } from '../../../electron/engine/servers/http-range';

test('single ranges (RFC 9110 section 14.1.2 examples and edges)', () => {
  const size = 10000;
  const table: [string, number, number][] = [
    ['bytes=0-499', 0, 499],
    ['bytes=500-999', 500, 999],
    ['bytes=-500', 9500, 9999],
    ['bytes=9500-', 9500, 9999],
    ['bytes=0-0', 0, 0],
    ['bytes=-1', 9999, 9999],
    ['bytes=0-999999', 0, 9999], // last-pos past the end is clamped
    ['bytes=-20000', 0, 9999], // suffix longer than the body: all of it
    ['BYTES = 1-2', 1, 2], // unit is case-insensitive
    ['bytes=9999-99999999999999999999', 9999, 9999],
  ];
  for (const [h, start, end] of table) assert.deepEqual(parseRange(h, size), { kind: 'single', start, end }, h);
});

test('unsatisfiable, multiple, and ignored headers', () => {
  assert.deepEqual(parseRange('bytes=10000-', 10000), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=20000-30000', 10000), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-0', 10000), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' }, 'nothing of an empty body is satisfiable');
  assert.deepEqual(parseRange('bytes=99999999999999999999-', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-1,5-6', 10000), { kind: 'multiple' });
  assert.deepEqual(parseRange('bytes=0-1, 20000-', 10000), { kind: 'multiple' }, 'one satisfiable part is enough');
  assert.deepEqual(parseRange('bytes=20000-,30000-', 10000), { kind: 'unsatisfiable' });
  for (const ignored of [undefined, '', 'bytes', 'bytes=', 'items=0-1', 'bytes=5-1', 'bytes=a-b', 'bytes=--1', 'bytes=1-2-3', 'bytes=0-1,x']) {
    assert.deepEqual(parseRange(ignored, 10000), { kind: 'none' }, String(ignored));
  }
  const many = 'bytes=' + Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(',');
  assert.deepEqual(parseRange(many, 10000), { kind: 'none' });
});
