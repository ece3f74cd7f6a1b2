import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineDecoder, encodeLine, type HostCommand } from '../../../shared/engine-protocol';

test('line decoder reassembles split lines and skips garbage without throwing', () => {
  const got: HostCommand[] = [];
  const bad: string[] = [];
  const d = new LineDecoder<HostCommand>((v) => got.push(v), (line) => bad.push(line));
  const a = encodeLine({ type: 'heartbeat', seq: 1 });
  const b = encodeLine({ type: 'stop', id: 7 });
  d.push(a.slice(0, 5));
  d.push(a.slice(5) + 'not json\n' + '42\n' + b.slice(0, 3));
  d.push(b.slice(3) + '\n\n');
  assert.deepEqual(got, [{ type: 'heartbeat', seq: 1 }, { type: 'stop', id: 7 }]);
  assert.deepEqual(bad, ['not json', '42']);
});

test('an endless line is dropped, not buffered forever', () => {
  const bad: string[] = [];
  const d = new LineDecoder<HostCommand>(() => {}, (line) => bad.push(line), 1000);
  d.push('x'.repeat(2000));
  assert.equal(bad.length, 1);
  d.push(encodeLine({ type: 'heartbeat', seq: 2 }));
});
