import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileEvent } from '../../../shared/model/engine-event';
import { clientLabel, HTTP_PROGRESS_INTERVAL_MS, TransferReport } from '../../../electron/engine/servers/http-transfer-report';

test('start, progress at most every interval, exactly one end', () => {
  let now = 1000;
  const events: FileEvent[] = [];
  const r = new TransferReport({ protocol: 'http', client: '10.0.0.5:4000', path: '/iso/a/big', size: 1000, emit: (e) => events.push(e), now: () => now });
  for (let i = 0; i < 10; i++) {
    now += 100;
    r.add(90);
  }
  r.end();
  r.end();
  r.fail('late');
  const actions = events.map((e) => e.action);
  assert.deepEqual(actions, ['start', 'progress', 'progress', 'end'], '1000 ms of transfer, one progress per 500 ms');
  const end = events.at(-1) as FileEvent;
  assert.equal(end.bytes, 900);
  assert.equal(end.durationMs, 1000);
  assert.equal(end.rate, 900);
  assert.equal(end.protocol, 'http');
  assert.equal(end.size, 1000);
  assert.ok(HTTP_PROGRESS_INTERVAL_MS <= 500);
});

test('an aborted transfer ends with one error event carrying the reason', () => {
  const events: FileEvent[] = [];
  const r = new TransferReport({ protocol: 'ftp', client: '1.2.3.4:5', path: '/pub/x', size: 10, emit: (e) => events.push(e) });
  r.add(3);
  r.fail('client went away');
  r.end();
  assert.deepEqual(
    events.map((e) => [e.action, e.error]),
    [
      ['start', undefined],
      ['error', 'client went away'],
    ],
  );
});

test('client labels show IPv4-mapped addresses as IPv4', () => {
  assert.equal(clientLabel('::ffff:10.0.0.7', 1234), '10.0.0.7:1234');
  assert.equal(clientLabel('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(clientLabel('fe80::1', 5), 'fe80::1:5');
});
