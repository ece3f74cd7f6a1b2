/**
 * The server driven by a hand-written client on a UDP socket, for what real clients cannot be made to
 * do: lose packets on purpose, never ACK, duplicate ACKs, speak from a wrong port, send garbage.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { TftpErrorCode, TftpOpcode } from '../../electron/engine/protocol/tftp/tftp-constants';
import { encodeTftpPacket, type TftpOption, type TftpPacket } from '../../electron/engine/protocol/tftp/tftp-packet';
import type { FileSource } from '../../electron/engine/files/file-source';
import { TftpServer } from '../../electron/engine/servers/tftp-server';
import { TFTP_READ_CHUNK_MAX_BYTES } from '../../electron/engine/servers/tftp-transfer';
import { loadTftpNative } from '../../electron/engine/servers/tftp-native';
import { LOOPBACK, randomFile, sha256, sleep, startTftp, UdpProbe, waitFor, type Received, type TftpHarness } from './tftp-fixtures';

const rrq = (filename: string, options: TftpOption[] = [], mode = 'octet'): TftpPacket => ({ opcode: TftpOpcode.ReadRequest, filename, mode, options });
const ack = (block: number): TftpPacket => ({ opcode: TftpOpcode.Ack, block: block & 0xffff });

function expectData(r: Received | null, block: number): Buffer {
  assert.ok(r, `expected DATA ${block}, got silence`);
  assert.equal(r.packet.opcode, TftpOpcode.Data, `expected DATA ${block}, got ${JSON.stringify(r.packet)}`);
  if (r.packet.opcode !== TftpOpcode.Data) throw new Error('unreachable');
  assert.equal(r.packet.block, block & 0xffff);
  return Buffer.from(r.packet.data);
}

function expectError(r: Received | null, code: number): string {
  assert.ok(r, `expected ERROR ${code}, got silence`);
  assert.equal(r.packet.opcode, TftpOpcode.Error, `expected ERROR ${code}, got ${JSON.stringify(r.packet)}`);
  if (r.packet.opcode !== TftpOpcode.Error) throw new Error('unreachable');
  assert.equal(r.packet.code, code);
  return r.packet.message;
}

/** Downloads `name` lock-step or windowed, ACKing the last block of each window; returns the bytes. */
async function fetchAll(
  probe: UdpProbe,
  port: number,
  name: string,
  opts: { blksize?: number; windowsize?: number; ackTwice?: boolean } = {},
): Promise<{ data: Buffer; dataPackets: number }> {
  const options: TftpOption[] = [];
  if (opts.blksize) options.push({ name: 'blksize', value: String(opts.blksize) });
  if (opts.windowsize) options.push({ name: 'windowsize', value: String(opts.windowsize) });
  probe.send(rrq(name, options), port);
  const blksize = opts.blksize ?? 512;
  const windowsize = opts.windowsize ?? 1;
  let tid = 0;
  if (options.length) {
    const oack = await probe.next();
    assert.equal(oack?.packet.opcode, TftpOpcode.OptionAck);
    tid = oack?.rinfo.port ?? 0;
    probe.send(ack(0), tid);
  }
  const parts: Buffer[] = [];
  let expected = 1;
  let dataPackets = 0;
  for (;;) {
    const r = await probe.next(5000);
    assert.ok(r, `silence while waiting for block ${expected}`);
    if (r.packet.opcode !== TftpOpcode.Data) assert.fail(`unexpected ${JSON.stringify(r.packet)}`);
    dataPackets++;
    tid ||= r.rinfo.port;
    if (r.packet.block !== (expected & 0xffff)) continue; // a duplicate: count it, do not use it
    parts.push(Buffer.from(r.packet.data));
    const last = r.packet.data.length < blksize;
    if (last || expected % windowsize === 0) {
      probe.send(ack(expected), tid);
      if (opts.ackTwice) probe.send(ack(expected), tid);
    }
    expected++;
    if (last) break;
  }
  // Anything the server still sends after the end is counted too.
  const extra = await probe.drain(300);
  dataPackets += extra.filter((x) => x.packet.opcode === TftpOpcode.Data).length;
  return { data: Buffer.concat(parts), dataPackets };
}

async function withServer(opts: Parameters<typeof startTftp>[0], fn: (h: TftpHarness, probe: UdpProbe) => Promise<void>): Promise<void> {
  const h = await startTftp(opts);
  const probe = await UdpProbe.open();
  try {
    await fn(h, probe);
  } finally {
    probe.close();
    await h.close();
  }
}

test('an ignored first DATA is resent after the timeout, from the same TID, and the transfer then completes', async () => {
  await withServer({ timeoutMs: 200 }, async (h, probe) => {
    const content = randomFile(1500);
    h.put('f.bin', content);
    probe.send(rrq('f.bin'), h.port);
    const first = await probe.next();
    const d1 = expectData(first, 1);
    assert.notEqual(first?.rinfo.port, h.port, 'DATA comes from a new TID, not the request port');
    const again = await probe.next(2000);
    assert.deepEqual(expectData(again, 1), d1);
    assert.equal(again?.rinfo.port, first?.rinfo.port);
    const waited = (again?.at ?? 0) - (first?.at ?? 0);
    assert.ok(waited >= 150 && waited < 1000, `resent after ${waited.toFixed(0)} ms`);
    const tid = first?.rinfo.port ?? 0;
    const parts = [d1];
    // 1500 bytes = 512 + 512 + 476: blocks 2 and 3 follow normally.
    for (let b = 1; b <= 2; b++) {
      probe.send(ack(b), tid);
      parts.push(expectData(await probe.next(), b + 1));
    }
    probe.send(ack(3), tid);
    assert.equal(sha256(Buffer.concat(parts)), sha256(content));
    await waitFor(() => h.fileEvents().some((e) => e.action === 'end'), 2000, 'end event');
  });
});

test('a client that never ACKs: retries with backoff, then ERROR, and the transfer is freed', async () => {
  await withServer({ timeoutMs: 100, retries: 3 }, async (h, probe) => {
    h.put('f.bin', randomFile(3000));
    probe.send(rrq('f.bin'), h.port);
    const got = await probe.drain(2500);
    const data = got.filter((r) => r.packet.opcode === TftpOpcode.Data);
    assert.equal(data.length, 4, 'the first DATA and 3 retransmissions');
    const gaps = data.slice(1).map((r, i) => r.at - (data[i]?.at ?? 0));
    // Doubling backoff: about 100, 200, 400 ms.
    assert.ok(gaps[0]! >= 80 && gaps[0]! < 190, `gap 1 ${gaps[0]}`);
    assert.ok(gaps[1]! >= 170 && gaps[1]! < 380, `gap 2 ${gaps[1]}`);
    assert.ok(gaps[2]! >= 350 && gaps[2]! < 760, `gap 3 ${gaps[2]}`);
    const last = got[got.length - 1] ?? null;
    assert.match(expectError(last, TftpErrorCode.NotDefined), /timed out/);
    await waitFor(() => h.server.activeTransfers().length === 0, 2000, 'transfer freed');
    const err = h.fileEvents().find((e) => e.action === 'error');
    assert.match(err?.error ?? '', /timed out/);
    // The freed TID no longer answers.
    probe.send(ack(1), last?.rinfo.port ?? 0);
    assert.equal(await probe.next(300), null);
  });
});

test('a window leaves in one UDP GSO send on Linux, as separate DATA datagrams; udpGso: false sends them one by one', async () => {
  for (const udpGso of [true, false]) {
    await withServer({ maxBlksize: 1468, udpGso }, async (h, probe) => {
      const content = randomFile(1468 * 8 + 100);
      h.put('f.bin', content);
      probe.send(rrq('f.bin', [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '8' }]), h.port);
      const oack = await probe.next();
      assert.equal(oack?.packet.opcode, TftpOpcode.OptionAck);
      const tid = oack?.rinfo.port ?? 0;
      probe.send(ack(0), tid);
      const parts: Buffer[] = [];
      for (let b = 1; b <= 8; b++) parts.push(expectData(await probe.next(), b));
      const stats = h.server.activeTransfers()[0]?.stats;
      assert.equal(stats?.dataSent, 8);
      assert.equal(stats?.gsoSends, udpGso && process.platform === 'linux' ? 1 : 0, `gsoSends with udpGso ${udpGso}`);
      probe.send(ack(8), tid);
      parts.push(expectData(await probe.next(), 9)); // the short last block: a lone datagram
      probe.send(ack(9), tid);
      assert.equal(sha256(Buffer.concat(parts)), sha256(content));
    });
  }
});

test('a client that closes its port: the transfer ends on the ICMP answer to the next retransmission, as end after the last block, else error', async () => {
  for (const [label, blocks, action] of [
    ['mid-transfer', 1, 'error'],
    ['final ACK lost', 2, 'end'],
  ] as const) {
    await withServer({ timeoutMs: 100 }, async (h) => {
      h.put('f.bin', randomFile(512 + 10)); // two blocks
      const probe = await UdpProbe.open();
      probe.send(rrq('f.bin'), h.port);
      let tid = 0;
      for (let b = 1; b <= blocks; b++) {
        const d = await probe.next();
        expectData(d, b);
        tid = d?.rinfo.port ?? 0;
        if (b < blocks) probe.send(ack(b), tid);
      }
      probe.close(); // gone without the ACK: the server's next retransmission meets ICMP port unreachable
      const started = Date.now();
      await waitFor(() => h.fileEvents().some((e) => e.action === 'end' || e.action === 'error'), 2000, `${label}: transfer ended`);
      assert.ok(Date.now() - started < 1000, `${label}: ended after ${Date.now() - started} ms, not after every retry`);
      assert.equal(h.fileEvents().find((e) => e.action === 'end' || e.action === 'error')?.action, action, label);
      await waitFor(() => h.server.activeTransfers().length === 0, 1000, `${label}: transfer freed`);
    });
  }
});

test('duplicate ACKs do not double the traffic (Sorcerer\'s Apprentice), lock-step and windowed', async () => {
  await withServer({}, async (h, probe) => {
    const content = randomFile(512 * 200 + 17);
    h.put('f.bin', content);
    // Each ACK is sent twice back to back. A server that answered duplicates would send ~402 DATA
    // (and, in lock-step, keep doubling); 201 blocks (+ at most a stray resend on a stalled CPU) is right.
    const lock = await fetchAll(probe, h.port, 'f.bin', { ackTwice: true });
    assert.equal(sha256(lock.data), sha256(content));
    assert.ok(lock.dataPackets >= 201 && lock.dataPackets <= 203, `${lock.dataPackets} DATA for 201 blocks`);

    const win = await fetchAll(probe, h.port, 'f.bin', { blksize: 512, windowsize: 8, ackTwice: true });
    assert.equal(sha256(win.data), sha256(content));
    assert.ok(win.dataPackets >= 201 && win.dataPackets <= 203, `${win.dataPackets} DATA for 201 blocks`);
  });
});

test('malformed datagrams on the request port are dropped silently; a valid RRQ after them is served', async () => {
  await withServer({}, async (h, probe) => {
    const content = randomFile(700);
    h.put('ok.bin', content);
    const garbage = [
      Buffer.of(0),
      Buffer.of(0, 9, 1, 2),
      Buffer.from('\0\x01no-terminator', 'latin1'),
      Buffer.from('\0\x01f\0octet\0blksize\0', 'latin1'),
      Buffer.from('\0\x03\0\x01data to port 69', 'latin1'),
      Buffer.from('\0\x04\0\x01', 'latin1'),
      Buffer.alloc(60_000, 0xff),
      Buffer.alloc(0),
    ];
    for (const g of garbage) probe.send(g, h.port);
    assert.equal(await probe.next(300), null, 'no answer to garbage');
    const { data } = await fetchAll(probe, h.port, 'ok.bin');
    assert.equal(sha256(data), sha256(content));
    assert.ok(h.logs.some((l) => l.level === 'debug' && /malformed/.test(l.message)), 'drops are logged at debug level');
  });
});

test('the RFC 2349 timeout option is echoed in the OACK and used for retransmission', async () => {
  await withServer({ timeoutMs: 5000 }, async (h, probe) => {
    h.put('f.bin', randomFile(100));
    probe.send(rrq('f.bin', [{ name: 'TIMEOUT', value: '1' }, { name: 'tsize', value: '0' }]), h.port);
    const oack = await probe.next();
    assert.equal(oack?.packet.opcode, TftpOpcode.OptionAck);
    if (oack?.packet.opcode !== TftpOpcode.OptionAck) return;
    assert.deepEqual(oack.packet.options, [
      { name: 'timeout', value: '1' },
      { name: 'tsize', value: '100' },
    ]);
    // Not ACKed: the OACK comes again after the client's 1 s, not the server's 5 s.
    const again = await probe.next(3000);
    assert.equal(again?.packet.opcode, TftpOpcode.OptionAck);
    const waited = (again?.at ?? 0) - oack.at;
    assert.ok(waited > 800 && waited < 2000, `OACK resent after ${waited.toFixed(0)} ms`);
    probe.send(ack(0), oack.rinfo.port);
    expectData(await probe.next(), 1);
    probe.send(ack(1), oack.rinfo.port);
  });
});

test('negotiation: blksize clamped, tsize real, windowsize sends whole windows; partial ACK restarts the window', async () => {
  await withServer({ maxBlksize: 1468, maxWindowsize: 4 }, async (h, probe) => {
    const content = randomFile(1468 * 10 + 5);
    h.put('f.bin', content);
    probe.send(rrq('f.bin', [{ name: 'blksize', value: '9000' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '32' }, { name: 'rollover', value: '0' }]), h.port);
    const oack = await probe.next();
    assert.deepEqual(oack?.packet, {
      opcode: TftpOpcode.OptionAck,
      options: [
        { name: 'blksize', value: '1468' },
        { name: 'tsize', value: String(content.length) },
        { name: 'windowsize', value: '4' },
      ],
    });
    const tid = oack?.rinfo.port ?? 0;
    probe.send(ack(0), tid);
    for (let b = 1; b <= 4; b++) assert.equal(expectData(await probe.next(), b).length, 1468);
    assert.equal(await probe.next(150), null, 'the server waits for the window ACK');
    // Pretend block 3 was lost: ACK 2; the next window starts at 3.
    probe.send(ack(2), tid);
    for (let b = 3; b <= 6; b++) expectData(await probe.next(), b);
    probe.send(ack(6), tid);
    for (let b = 7; b <= 10; b++) expectData(await probe.next(), b);
    probe.send(ack(10), tid);
    assert.equal(expectData(await probe.next(), 11).length, 5);
    probe.send(ack(11), tid);
    await waitFor(() => h.fileEvents().some((e) => e.action === 'end'), 2000, 'end event');
  });
});

test('invalid blksize gets ERROR 8; mail mode gets ERROR 4; WRQ gets ERROR 2', async () => {
  await withServer({}, async (h, probe) => {
    h.put('f.bin', randomFile(10));
    probe.send(rrq('f.bin', [{ name: 'blksize', value: '4' }]), h.port);
    expectError(await probe.next(), TftpErrorCode.OptionRefused);
    probe.send(rrq('f.bin', [], 'mail'), h.port);
    expectError(await probe.next(), TftpErrorCode.IllegalOperation);
    probe.send({ opcode: TftpOpcode.WriteRequest, filename: 'up.bin', mode: 'octet', options: [] }, h.port);
    assert.equal(expectError(await probe.next(), TftpErrorCode.AccessViolation), 'Access violation');
    await sleep(50);
    assert.equal(h.server.activeTransfers().length, 0);
  });
});

test('a packet from a wrong TID is refused (ICMP port unreachable: the transfer socket is connected) and the real transfer carries on', async () => {
  await withServer({}, async (h, probe) => {
    const content = randomFile(1200);
    h.put('f.bin', content);
    probe.send(rrq('f.bin'), h.port);
    const d1 = await probe.next();
    const parts = [expectData(d1, 1)];
    // RFC 1350 section 4 asks for an ERROR 5 to the stranger; a connected socket never sees its packet, and
    // the kernel answers with ICMP port unreachable, which a connected UDP socket reports as ECONNREFUSED.
    const stranger = createSocket('udp4');
    try {
      const answer = await new Promise<string>((resolve) => {
        stranger.on('message', (m) => resolve(`a TFTP answer (opcode ${m.readUInt16BE(0)})`));
        stranger.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        stranger.connect(d1?.rinfo.port ?? 0, LOOPBACK, () => stranger.send(encodeTftpPacket(ack(1))));
        setTimeout(() => resolve('silence'), 1000);
      });
      assert.equal(answer, 'ECONNREFUSED');
    } finally {
      stranger.close();
    }
    assert.equal(await probe.next(150), null, 'the stranger\'s ACK did not advance the transfer');
    probe.send(ack(1), d1?.rinfo.port ?? 0);
    parts.push(expectData(await probe.next(), 2));
    probe.send(ack(2), d1?.rinfo.port ?? 0);
    parts.push(expectData(await probe.next(), 3));
    probe.send(ack(3), d1?.rinfo.port ?? 0);
    assert.equal(sha256(Buffer.concat(parts)), sha256(content));
  });
});

test('a repeated RRQ from the same client port does not start a second transfer', async () => {
  await withServer({ timeoutMs: 300 }, async (h, probe) => {
    h.put('f.bin', randomFile(100));
    probe.send(rrq('f.bin'), h.port);
    probe.send(rrq('f.bin'), h.port);
    const d1 = await probe.next();
    expectData(d1, 1);
    assert.equal(await probe.next(150), null, 'only one DATA 1');
    assert.equal(h.server.activeTransfers().length, 1);
    probe.send(ack(1), d1?.rinfo.port ?? 0);
  });
});

test('block numbers roll over past 65535 (blksize 8, windowsize 16: 76,801 blocks)', { timeout: 120_000 }, async () => {
  await withServer({ maxWindowsize: 16 }, async (h, probe) => {
    const content = randomFile(8 * 76_800);
    h.put('roll.bin', content);
    const r = await fetchAll(probe, h.port, 'roll.bin', { blksize: 8, windowsize: 16 });
    assert.equal(r.data.length, content.length);
    assert.equal(sha256(r.data), sha256(content));
  });
});

test('file events: start, throttled progress, end with size and rate', async () => {
  await withServer({}, async (h, probe) => {
    const content = randomFile(512 * 60);
    h.put('slow.bin', content);
    probe.send(rrq('slow.bin'), h.port);
    let block = 1;
    for (;;) {
      const r = await probe.next();
      const d = expectData(r, block);
      await sleep(25); // a slow client: ~1.5 s in all
      probe.send(ack(block), r?.rinfo.port ?? 0);
      block++;
      if (d.length < 512) break;
    }
    await waitFor(() => h.fileEvents().some((e) => e.action === 'end'), 2000, 'end event');
    const ev = h.fileEvents();
    assert.equal(ev[0]?.action, 'start');
    assert.equal(ev[0]?.client, `127.0.0.1:${probe.port}`);
    assert.equal(ev[0]?.path, 'slow.bin');
    const progress = ev.filter((e) => e.action === 'progress');
    const took = (end0: typeof ev[number] | undefined) => end0?.durationMs ?? 0;
    const maxProgress = Math.floor(took(ev[ev.length - 1]) / 500);
    assert.ok(progress.length >= 1 && progress.length <= maxProgress, `${progress.length} progress events in ${took(ev[ev.length - 1])} ms`);
    for (let i = 1; i < progress.length; i++) {
      const gap = Date.parse(progress[i]!.time) - Date.parse(progress[i - 1]!.time);
      assert.ok(gap >= 450, `progress events ${gap} ms apart`);
    }
    for (const p of progress) assert.ok(p.bytes > 0 && p.bytes <= content.length && p.size === content.length, `progress ${JSON.stringify(p)}`);
    const end = ev[ev.length - 1];
    assert.equal(end?.action, 'end');
    assert.equal(end?.bytes, content.length);
    assert.ok((end?.rate ?? 0) > 0 && (end?.durationMs ?? 0) > 1000, `end ${JSON.stringify(end)}`);
  });
});

test('maxTransfers: the request over the limit gets ERROR 0, the others are served', async () => {
  await withServer({ maxTransfers: 1, timeoutMs: 2000 }, async (h, probe) => {
    h.put('f.bin', randomFile(2000));
    probe.send(rrq('f.bin'), h.port);
    expectData(await probe.next(), 1);
    const other = await UdpProbe.open();
    try {
      other.send(rrq('f.bin'), h.port);
      assert.match(expectError(await other.next(), TftpErrorCode.NotDefined), /busy/i);
    } finally {
      other.close();
    }
  });
});

test('stop() ends running transfers (the client is told) and frees the port', async () => {
  const h = await startTftp({ timeoutMs: 5000 });
  const probe = await UdpProbe.open();
  try {
    h.put('f.bin', randomFile(5000));
    probe.send(rrq('f.bin'), h.port);
    expectData(await probe.next(), 1);
    await h.server.stop();
    assert.match(expectError(await probe.next(), TftpErrorCode.NotDefined), /shutting down/);
    assert.equal(h.server.activeTransfers().length, 0);
    assert.deepEqual(h.server.services(), []);
    // The port is free again.
    const again = new TftpServer({ bindAddress: '127.0.0.1', port: h.port, source: new DirectorySource(h.root) }, { emit: () => {}, logSink: () => {} });
    await again.start();
    await again.stop();
  } finally {
    probe.close();
    await h.close();
  }
});

test('bind failure: a port in use is a FieldbootError PortInUse naming the port and address', async () => {
  const holder = createSocket('udp4');
  await new Promise<void>((res) => holder.bind(0, '127.0.0.1', () => res()));
  const port = holder.address().port;
  try {
    const s = new TftpServer({ bindAddress: '127.0.0.1', port, source: new DirectorySource('/nonexistent') }, { emit: () => {}, logSink: () => {} });
    await assert.rejects(s.start(), (err: unknown) => {
      assert.ok(err instanceof FieldbootError);
      assert.equal(err.code, ErrorCode.PortInUse);
      assert.match(err.message, new RegExp(`${port}`));
      assert.match(err.message, /127\.0\.0\.1/);
      return true;
    });
    assert.deepEqual(s.services(), []);
  } finally {
    holder.close();
  }
});

test('any FileSource works, and the file is read in bounded chunks, never whole (one handle per transfer)', async () => {
  const content = randomFile(3 * 1024 * 1024 + 123);
  const reads: number[] = [];
  let opened = 0;
  let closed = 0;
  const source: FileSource = {
    async stat() {
      return null;
    },
    async open(path) {
      if (path !== 'virtual.bin') return null;
      opened++;
      return {
        size: content.length,
        async read(buffer, offset, length, position) {
          reads.push(length);
          const n = Math.min(length, content.length - position, 10_000); // short reads must be handled too
          content.copy(buffer, offset, position, position + n);
          return Math.max(0, n);
        },
        async close() {
          closed++;
        },
      };
    },
  };
  const server = new TftpServer({ bindAddress: '127.0.0.1', port: 0, source }, { emit: () => {}, logSink: () => {} });
  await server.start();
  const probe = await UdpProbe.open();
  try {
    const port = server.services()[0]?.port ?? 0;
    const r = await fetchAll(probe, port, 'virtual.bin', { blksize: 1468, windowsize: 16 });
    assert.equal(sha256(r.data), sha256(content));
    // Reads are chunks of at most TFTP_READ_CHUNK_MAX_BYTES (a third of this file), never the whole file.
    assert.ok(Math.max(...reads) <= TFTP_READ_CHUNK_MAX_BYTES, `largest read ${Math.max(...reads)} bytes`);
    assert.equal(opened, 1);
    await waitFor(() => closed === 1, 2000, 'file closed after the transfer');
  } finally {
    probe.close();
    await server.stop();
  }
});

test('a client that re-ACKs after losing a DATA gets it again at once (not after the server timeout), once', async () => {
  await withServer({ timeoutMs: 3000 }, async (h, probe) => {
    const content = randomFile(512 * 4 + 10);
    h.put('f.bin', content);
    probe.send(rrq('f.bin'), h.port);
    const d1 = await probe.next();
    const tid = d1?.rinfo.port ?? 0;
    const parts = [expectData(d1, 1)];
    probe.send(ack(1), tid);
    const lost = await probe.next();
    expectData(lost, 2); // "lost": not used
    await sleep(250); // the client's own retransmit timer
    probe.send(ack(1), tid);
    const again = await probe.next(1000);
    parts.push(expectData(again, 2));
    assert.ok((again?.at ?? 0) - (lost?.at ?? 0) < 1500, 'resent long before the 3 s server timeout');
    // A second repeat of the same ACK is not answered again (the timer handles further loss).
    await sleep(150);
    probe.send(ack(1), tid);
    assert.equal(await probe.next(400), null);
    for (let b = 2; b <= 4; b++) {
      probe.send(ack(b), tid);
      parts.push(expectData(await probe.next(), b + 1));
    }
    probe.send(ack(5), tid);
    assert.equal(sha256(Buffer.concat(parts)), sha256(content));
  });
});

test('lock-step transfers of files on disk run in the native addon where it is built; windowed ones and generated files in JavaScript', async (t) => {
  const nativeOff = process.env.FIELDBOOT_TFTP_NATIVE === '0';
  const load = loadTftpNative();
  if (!load.addon && !nativeOff) {
    // CI builds it (npm ci); elsewhere (macOS, Windows, no compiler) the JavaScript path is the whole story.
    if (process.env.FIELDBOOT_REQUIRE_LAB === '1') assert.fail(`the native TFTP addon must be built here: ${load.why}`);
    t.skip(load.why);
    return;
  }
  const generated: FileSource = {
    stat: async () => null,
    open: async (p) => {
      if (p !== 'menu.cfg') return null;
      const body = Buffer.from('default local\n');
      return { size: body.length, read: async (buf, off, len, pos) => body.copy(buf, off, pos, Math.min(body.length, pos + len)), close: async () => {} };
    },
  };
  let dir: DirectorySource | null = null; // the harness's own root, known once it started
  const source: FileSource = {
    stat: async (p) => (dir ? dir.stat(p) : null),
    open: async (p) => (p === 'menu.cfg' ? generated.open(p) : dir ? dir.open(p) : null),
  };
  const h = await startTftp({ source });
  dir = new DirectorySource(h.root);
  const probe = await UdpProbe.open();
  try {
    const content = randomFile(512 * 70_000 + 99); // lock-step past block 65535
    h.put('big.bin', content);
    const lock = await fetchAll(probe, h.port, 'big.bin');
    assert.equal(sha256(lock.data), sha256(content), 'lock-step with rollover');
    const win = await fetchAll(probe, h.port, 'big.bin', { blksize: 1468, windowsize: 8 });
    assert.equal(sha256(win.data), sha256(content), 'windowed');
    const menu = await fetchAll(probe, h.port, 'menu.cfg');
    assert.equal(menu.data.toString(), 'default local\n');
    await waitFor(() => h.fileEvents().filter((e) => e.action === 'end').length === 3, 3000, 'three ends');
    const rrqLines = h.logs.map((l) => l.message).filter((m) => / RRQ /.test(m));
    assert.equal(rrqLines.length, 3, rrqLines.join('\n'));
    assert.equal(/native/.test(rrqLines[0] ?? ''), !nativeOff, `lock-step: ${rrqLines[0]}`);
    assert.doesNotMatch(rrqLines[1] ?? '', /native/, 'windowed stays in JavaScript');
    assert.doesNotMatch(rrqLines[2] ?? '', /native/, 'a generated file stays in JavaScript');
    const end = h.fileEvents().find((e) => e.action === 'end' && e.path === 'big.bin');
    assert.equal(end?.bytes, content.length);
  } finally {
    probe.close();
    await h.close();
  }
});
