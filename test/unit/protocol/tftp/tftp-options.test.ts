import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TftpErrorCode } from '../../../../electron/engine/protocol/tftp/tftp-constants';
import { isNegotiationRefusal, negotiateReadOptions, parseOptionInteger, type TftpNegotiated } from '../../../../electron/engine/protocol/tftp/tftp-options';
import type { TftpOption } from '../../../../electron/engine/protocol/tftp/tftp-packet';

const limits = { maxBlksize: 1468, maxWindowsize: 16, maxWindowBytes: 256 * 1024 };
const o = (name: string, value: string): TftpOption => ({ name, value });

function ok(requested: TftpOption[], size = 1000, lim = limits): TftpNegotiated {
  const r = negotiateReadOptions(requested, lim, size);
  if (isNegotiationRefusal(r)) assert.fail(`refused: ${r.message}`);
  return r;
}

test('no options: RFC 1350 defaults and no OACK', () => {
  assert.deepEqual(ok([]), { blksize: 512, windowsize: 1, timeoutMs: null, reply: [] });
});

test('only unknown options: ignored, no OACK', () => {
  assert.deepEqual(ok([o('multicast', ''), o('rollover', '0')]).reply, []);
});

test('blksize is clamped to the server maximum and echoed', () => {
  const r = ok([o('blksize', '65464')]);
  assert.equal(r.blksize, 1468);
  assert.deepEqual(r.reply, [o('blksize', '1468')]);
  assert.equal(ok([o('blksize', '1024')]).blksize, 1024);
  assert.equal(ok([o('blksize', '8')]).blksize, 8);
  assert.equal(ok([o('blksize', '99999')], 1, { ...limits, maxBlksize: 100000 }).blksize, 65464, 'never above RFC 2348 max');
});

for (const bad of ['7', '0', '-1', 'abc', '', '1e3', ' 512', '12345678901']) {
  test(`blksize "${bad}" is refused with ERROR 8`, () => {
    const r = negotiateReadOptions([o('blksize', bad)], limits, 10);
    assert.ok(isNegotiationRefusal(r));
    assert.equal(r.error, TftpErrorCode.OptionRefused);
  });
}

test('tsize answers with the real file size', () => {
  assert.deepEqual(ok([o('tsize', '0')], 104857600).reply, [o('tsize', '104857600')]);
  assert.deepEqual(ok([o('tsize', '0')], 1).reply, [o('tsize', '1')]);
});

test('tsize is left out for an empty file (curl refuses "tsize 0" in an OACK)', () => {
  assert.deepEqual(ok([o('tsize', '0')], 0).reply, []);
  assert.deepEqual(ok([o('tsize', '0'), o('blksize', '1468')], 0).reply, [o('blksize', '1468')]);
});

test('timeout 1..255 is honoured and echoed; out of range is not acknowledged', () => {
  const r = ok([o('timeout', '3')]);
  assert.equal(r.timeoutMs, 3000);
  assert.deepEqual(r.reply, [o('timeout', '3')]);
  for (const bad of ['0', '256', 'x', '99999999999']) {
    const b = ok([o('timeout', bad)]);
    assert.equal(b.timeoutMs, null, bad);
    assert.deepEqual(b.reply, [], bad);
  }
});

test('windowsize is clamped to the server maximum, and to the window byte cap', () => {
  assert.equal(ok([o('windowsize', '8')]).windowsize, 8);
  assert.equal(ok([o('windowsize', '64')]).windowsize, 16);
  // The byte cap applies with the final blksize even when windowsize comes first.
  const r = ok([o('windowsize', '16'), o('blksize', '65464')], 1, { maxBlksize: 65464, maxWindowsize: 64, maxWindowBytes: 256 * 1024 });
  assert.equal(r.blksize, 65464);
  assert.equal(r.windowsize, 4);
  assert.deepEqual(r.reply, [o('windowsize', '4'), o('blksize', '65464')]);
  assert.deepEqual(ok([o('windowsize', '0')]).reply, []);
  assert.deepEqual(ok([o('windowsize', '65536')]).reply, []);
});

test('OACK keeps the client order', () => {
  const r = ok([o('tsize', '0'), o('windowsize', '4'), o('blksize', '1428'), o('timeout', '2')], 77);
  assert.deepEqual(r.reply, [o('tsize', '77'), o('windowsize', '4'), o('blksize', '1428'), o('timeout', '2')]);
});

test('parseOptionInteger accepts only plain decimal', () => {
  assert.equal(parseOptionInteger('0'), 0);
  assert.equal(parseOptionInteger('0512'), 512);
  assert.equal(parseOptionInteger('4294967295'), 4294967295);
  for (const bad of ['', '-1', '+1', '1.5', '0x10', ' 1', '1 ', '12345678901']) assert.equal(parseOptionInteger(bad), null, bad);
});
