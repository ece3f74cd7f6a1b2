/**
 * The native lock-step sender (native/tftp, electron/engine/servers/tftp-native.ts) driven directly by a
 * hand-written client on loopback, for what the server-level tests (tftp-protocol.test.ts, which run it
 * for every lock-step transfer of a file on disk) do not reach: bytes spread over out-of-order spans (a
 * file's extents inside an ISO), a file shorter than announced, cancel, bad arguments, descriptors freed.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readdirSync, readlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TftpErrorCode, TftpOpcode } from '../../electron/engine/protocol/tftp/tftp-constants';
import { loadTftpNative, type TftpNativeAddon, type TftpNativeStartOptions } from '../../electron/engine/servers/tftp-native';
import { LOOPBACK, randomFile, sha256, UdpProbe, waitFor, type Received } from './tftp-fixtures';

const load = loadTftpNative();
const skip = load.addon ? false : process.env.FIELDBOOT_REQUIRE_LAB === '1' ? false : `the native TFTP addon is not built here (${load.why ?? ''})`;
const addon = load.addon as TftpNativeAddon;

function withFile(data: Buffer, fn: (fd: number, path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-tftp-native-'));
  const path = join(dir, 'f.bin');
  writeFileSync(path, data);
  const fd = openSync(path, 'r');
  return fn(fd, path).finally(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
}

function options(probe: UdpProbe, fd: number, o: Partial<TftpNativeStartOptions>): TftpNativeStartOptions {
  return { bindAddress: LOOPBACK, clientAddress: LOOPBACK, clientPort: probe.port, fileFd: fd, spans: [], size: 0, blksize: 512, timeoutMs: 1000, retries: 3, chunkBytes: 4096, oack: null, ...o };
}

function started(probe: UdpProbe, fd: number, o: Partial<TftpNativeStartOptions>) {
  let result: { errno: number; detail: string } | null = null;
  const job = addon.start(options(probe, fd, o), (errno, detail) => (result = { errno, detail }));
  return { job, result: () => result };
}

/** Lock-step download: ACKs every DATA; returns the payload. */
async function download(probe: UdpProbe, blksize: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let block = 1; ; block++) {
    const r: Received | null = await probe.next();
    assert.ok(r && r.packet.opcode === TftpOpcode.Data, `DATA ${block}: ${JSON.stringify(r?.packet)}`);
    if (r.packet.opcode !== TftpOpcode.Data) throw new Error('unreachable');
    assert.equal(r.packet.block, block & 0xffff);
    parts.push(Buffer.from(r.packet.data));
    probe.send({ opcode: TftpOpcode.Ack, block: block & 0xffff }, r.rinfo.port);
    if (r.packet.data.length < blksize) return Buffer.concat(parts);
  }
}

/** Descriptors of this process open on `path`. */
function fdsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {} // the directory's own descriptor, gone by now
  }
  return n;
}

/** Whether a UDP socket can bind LOOPBACK:port (the transfer's socket is closed). */
async function portFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((res, rej) => {
      s.once('error', rej);
      s.bind(port, LOOPBACK, () => res());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

test('bytes spread over out-of-order spans arrive in span order, across chunk and span boundaries', { skip }, async () => {
  // The file on disk holds three pieces in the order C A B; the spans say A B C (extents inside an ISO).
  const a = randomFile(3000), b = randomFile(5000), c = randomFile(1234);
  await withFile(Buffer.concat([c, a, b]), async (fd) => {
    const probe = await UdpProbe.open();
    try {
      const spans = [c.length, a.length, c.length + a.length, b.length, 0, c.length];
      const size = a.length + b.length + c.length;
      const run = started(probe, fd, { spans, size, chunkBytes: 2048 });
      const got = await download(probe, 512);
      assert.equal(sha256(got), sha256(Buffer.concat([a, b, c])));
      await waitFor(() => run.result() !== null, 2000, 'done');
      assert.deepEqual(run.result(), { errno: 0, detail: '' });
      assert.deepEqual(addon.stats(run.job), [size, Math.floor(size / 512) + 1, 0]);
    } finally {
      probe.close();
    }
  });
});

test('an OACK goes first and is resent until ACK 0; a file shorter than announced ends with a read error to the client', { skip }, async () => {
  await withFile(randomFile(1000), async (fd) => {
    const probe = await UdpProbe.open();
    try {
      const oack = Buffer.from('\x00\x06blksize\x00512\x00', 'binary');
      const run = started(probe, fd, { spans: [0, 4000], size: 4000, oack, timeoutMs: 100, chunkBytes: 512 });
      const first = await probe.next();
      // ACKs of 65535 acknowledge nothing before the OACK: no answer (a resend per stray ACK would be noise
      // feeding noise), so the OACK comes again only when its timer runs out.
      for (let i = 0; i < 5; i++) probe.send({ opcode: TftpOpcode.Ack, block: 65535 }, first?.rinfo.port ?? 0);
      const again = await probe.next();
      assert.equal(first?.packet.opcode, TftpOpcode.OptionAck);
      assert.equal(again?.packet.opcode, TftpOpcode.OptionAck, 'resent after the timeout');
      assert.ok((again?.at ?? 0) - (first?.at ?? 0) >= 80, `not before the timeout (${((again?.at ?? 0) - (first?.at ?? 0)).toFixed(0)} ms)`);
      probe.send({ opcode: TftpOpcode.Ack, block: 0 }, first?.rinfo.port ?? 0);
      // Block 1 comes from the 1000 bytes there are; reading block 2 (bytes 512-1023) finds the end of the file.
      const seen: Received[] = [];
      for (let r = await probe.next(); r; r = r.packet.opcode === TftpOpcode.Error ? null : await probe.next()) seen.push(r);
      const data = seen.filter((r) => r.packet.opcode === TftpOpcode.Data);
      const last = seen[seen.length - 1]?.packet;
      assert.ok(data.length >= 1 && data.every((r) => r.packet.opcode === TftpOpcode.Data && r.packet.block === 1), 'DATA 1 only');
      assert.ok(last?.opcode === TftpOpcode.Error && /read error/.test(last.message), JSON.stringify(last));
      await waitFor(() => run.result() !== null, 2000, 'done');
      assert.equal(run.result()?.errno, 61 /* ENODATA */);
    } finally {
      probe.close();
    }
  });
});

test('cancel() sends ERROR 0 with the reason, ends with ECANCELED, and frees the socket and the file descriptor', { skip }, async () => {
  await withFile(randomFile(100_000), async (fd, path) => {
    const probe = await UdpProbe.open();
    try {
      const run = started(probe, fd, { spans: [0, 100_000], size: 100_000, timeoutMs: 5000 });
      assert.equal(fdsOn(path), 2, 'the test\'s descriptor and the transfer\'s duplicate');
      const port = addon.port(run.job);
      assert.ok(port > 0);
      assert.equal(await portFree(port), false, 'the transfer holds its port');
      const d1 = await probe.next();
      assert.equal(d1?.rinfo.port, port, 'DATA comes from the reported port');
      addon.cancel(run.job, 'Server shutting down');
      const err = await probe.next();
      assert.equal(err?.packet.opcode, TftpOpcode.Error);
      if (err?.packet.opcode === TftpOpcode.Error) {
        assert.equal(err.packet.code, TftpErrorCode.NotDefined);
        assert.equal(err.packet.message, 'Server shutting down');
      }
      await waitFor(() => run.result() !== null, 2000, 'done');
      assert.equal(run.result()?.errno, 125 /* ECANCELED */);
      assert.equal(fdsOn(path), 1, 'the duplicate is closed when done ran');
      assert.equal(await portFree(port), true, 'and the socket');
      addon.cancel(run.job, 'again'); // a no-op once done
    } finally {
      probe.close();
    }
  });
});

test('the client ERROR ends the transfer with its message; bad arguments are TypeErrors and start nothing', { skip }, async () => {
  await withFile(randomFile(10_000), async (fd, path) => {
    const probe = await UdpProbe.open();
    try {
      const run = started(probe, fd, { spans: [0, 10_000], size: 10_000 });
      const d1 = await probe.next();
      probe.send({ opcode: TftpOpcode.Error, code: 0, message: 'disk full' }, d1?.rinfo.port ?? 0);
      await waitFor(() => run.result() !== null, 2000, 'done');
      assert.equal(run.result()?.errno, 71 /* EPROTO */);
      assert.equal(run.result()?.detail, 'client sent error 0: disk full');
      const bad: Partial<TftpNativeStartOptions>[] = [
        { spans: [0, 10], size: 11 }, // spans do not add up
        { spans: [0], size: 0 },
        { spans: [0, 10], size: 10, blksize: 7 },
        { spans: [0, 10], size: 10, clientAddress: 'not-an-address' },
        { spans: [0, 10], size: 10, clientPort: 0 },
        { spans: [0, -1], size: -1 },
      ];
      for (const o of bad) assert.throws(() => addon.start(options(probe, fd, o), () => assert.fail('done for a refused start')), TypeError, JSON.stringify(o));
      assert.equal(fdsOn(path), 1, 'nothing left open by refused starts');
    } finally {
      probe.close();
    }
  });
});
