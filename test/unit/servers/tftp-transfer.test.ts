import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  readChunkBytesFor,
  TFTP_READ_BUDGET_BYTES,
  TFTP_READ_CHUNK_MAX_BYTES,
  TFTP_READ_CHUNK_MIN_BYTES,
} from '../../../electron/engine/servers/tftp-transfer';

test('file reads: large while few transfers run, shrinking to the minimum so the total stays bounded', () => {
  assert.equal(readChunkBytesFor(0), TFTP_READ_CHUNK_MAX_BYTES);
  const full = TFTP_READ_BUDGET_BYTES / TFTP_READ_CHUNK_MAX_BYTES; // transfers that all get the maximum
  assert.equal(readChunkBytesFor(full - 1), TFTP_READ_CHUNK_MAX_BYTES);
  assert.equal(readChunkBytesFor(2 * full - 1), TFTP_READ_BUDGET_BYTES / (2 * full));
  assert.equal(readChunkBytesFor(255), TFTP_READ_CHUNK_MIN_BYTES);
  assert.equal(readChunkBytesFor(10_000), TFTP_READ_CHUNK_MIN_BYTES);
  for (let n = 0; n < 300; n++) {
    const c = readChunkBytesFor(n);
    assert.ok(c >= TFTP_READ_CHUNK_MIN_BYTES && c <= TFTP_READ_CHUNK_MAX_BYTES, `${n}: ${c}`);
    assert.ok(c <= readChunkBytesFor(n - 1 < 0 ? 0 : n - 1), 'never grows with more transfers');
    // Whatever mix of starts, the chunks in flight stay within the budget or the minimum per transfer.
    assert.ok((n + 1) * c <= Math.max(TFTP_READ_BUDGET_BYTES, (n + 1) * TFTP_READ_CHUNK_MIN_BYTES));
  }
});
