/**
 * Transfers under packet loss, without netem (not available everywhere): a hand-written RFC 7440 receiver
 * drops a seeded-random 5% of what it receives and of what it sends. Every transfer must still complete
 * with the right bytes, through the server's timer retransmits, repeated-ACK answers and partial ACKs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TftpOpcode } from '../../electron/engine/protocol/tftp/tftp-constants';
import type { TftpOption } from '../../electron/engine/protocol/tftp/tftp-packet';
import { randomFile, sha256, startTftp, UdpProbe } from './tftp-fixtures';

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A lossy RFC 7440 receiver: ACKs the end of each window, ACKs the last in-order block on a gap, and
 * re-ACKs after `retransmitMs` of silence (like a real client's timer).
 */
async function lossyFetch(port: number, name: string, opts: { blksize: number; windowsize: number; loss: number; seed: number; retransmitMs: number }) {
  const probe = await UdpProbe.open();
  const random = prng(opts.seed);
  const lose = () => random() < opts.loss;
  const options: TftpOption[] = [
    { name: 'blksize', value: String(opts.blksize) },
    { name: 'windowsize', value: String(opts.windowsize) },
  ];
  const send = (block: number, to: number) => {
    if (!lose()) probe.send({ opcode: TftpOpcode.Ack, block: block & 0xffff }, to);
  };
  try {
    let tid = 0;
    // Handshake: RRQ until an OACK gets through, then ACK 0.
    for (let tries = 0; !tid; tries++) {
      assert.ok(tries < 20, 'no OACK');
      if (!lose()) probe.send({ opcode: TftpOpcode.ReadRequest, filename: name, mode: 'octet', options }, port);
      const r = await probe.next(opts.retransmitMs);
      if (r && !lose() && r.packet.opcode === TftpOpcode.OptionAck) tid = r.rinfo.port;
    }
    const parts: Buffer[] = [];
    let last = 0; // last in-order block received (absolute)
    let silentRounds = 0;
    send(0, tid);
    for (;;) {
      const r = await probe.next(opts.retransmitMs);
      if (!r) {
        assert.ok(++silentRounds < 40, `stuck at block ${last}`);
        send(last, tid); // our timer: repeat the last ACK
        continue;
      }
      if (lose()) continue;
      if (r.packet.opcode === TftpOpcode.OptionAck) {
        send(0, tid); // our ACK 0 was lost; the server resent the OACK
        continue;
      }
      if (r.packet.opcode !== TftpOpcode.Data) assert.fail(`unexpected ${JSON.stringify(r.packet)}`);
      silentRounds = 0;
      const expected = (last + 1) & 0xffff;
      if (r.packet.block !== expected) {
        // Out of order (a gap) or an old duplicate: say where we are (RFC 7440 section 4).
        if (r.packet.block !== (last & 0xffff)) send(last, tid);
        continue;
      }
      last++;
      parts.push(Buffer.from(r.packet.data));
      const final = r.packet.data.length < opts.blksize;
      if (final || last % opts.windowsize === 0) send(last, tid);
      if (final) {
        // Dally like RFC 1350 asks: answer a resent last block in case our final ACK was lost.
        for (;;) {
          const extra = await probe.next(opts.retransmitMs * 3);
          if (!extra) break;
          if (extra.packet.opcode === TftpOpcode.Data && extra.packet.block === (last & 0xffff)) probe.send({ opcode: TftpOpcode.Ack, block: last & 0xffff }, tid);
        }
        return Buffer.concat(parts);
      }
    }
  } finally {
    probe.close();
  }
}

for (const [label, windowsize, blksize] of [
  ['lock-step', 1, 1468],
  ['windowsize 8', 8, 1468],
] as const) {
  test(`5% loss each way, ${label}: four transfers of 600 KB all complete with the right sha256`, { timeout: 180_000 }, async () => {
    const h = await startTftp({ timeoutMs: 300, retries: 8 });
    try {
      const content = randomFile(600 * 1024);
      h.put('lossy.bin', content);
      const results = await Promise.all(
        [1, 2, 3, 4].map((seed) => lossyFetch(h.port, 'lossy.bin', { blksize, windowsize, loss: 0.05, seed: seed * 7919 + windowsize, retransmitMs: 200 })),
      );
      for (const data of results) assert.equal(sha256(data), sha256(content));
      const ends = h.fileEvents().filter((e) => e.action === 'end');
      assert.ok(ends.length >= 1, 'the server saw transfers complete');
    } finally {
      await h.close();
    }
  });
}
