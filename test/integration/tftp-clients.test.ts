/**
 * Interop with the real clients: tftp-hpa (RFC 1350, no options), atftp (blksize, tsize, windowsize) and
 * curl (blksize), on 127.0.0.1, each download checked by sha256.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasCommand } from '../helpers/requirements';
import { LOOPBACK as LOOP, randomFile, run, sha256File, startTftp, waitFor, type TftpHarness } from './tftp-fixtures';

const CLIENTS = ['tftp', 'atftp', 'curl'];
const missing = CLIENTS.filter((c) => !hasCommand(c));

describe('TFTP with real clients', { skip: missing.length ? `missing ${missing.join(', ')}` : false }, () => {
  let h: TftpHarness;
  let out: string;
  const sums = new Map<string, string>();

  before(async () => {
    h = await startTftp();
    out = mkdtempSync(join(tmpdir(), 'fb-tftp-out-'));
    const files: Array<[string, number]> = [
      ['empty.bin', 0],
      ['one.bin', 1],
      ['x512.bin', 512 * 7], // exact multiple of the RFC 1350 block: ends with an empty DATA
      ['x1468.bin', 1468 * 5], // exact multiple of the negotiated block
      ['x1468w8.bin', 1468 * 8 * 3], // exact multiple of a whole window of 8
      ['mid.bin', 1_234_567],
    ];
    for (const [name, size] of files) sums.set(name, h.put(name, randomFile(size)));
    writeFileSync(join(h.root, '..', 'outside.txt'), 'secret');
    symlinkSync(join(h.root, '..', 'outside.txt'), join(h.root, 'link-out'));
  });

  after(async () => {
    await h.close();
    rmSync(out, { recursive: true, force: true });
  });

  async function check(name: string, dest: string): Promise<void> {
    assert.ok(existsSync(dest), `${dest} was not written`);
    assert.equal(statSync(dest).size, statSync(join(h.root, name)).size, `${name}: size`);
    assert.equal(await sha256File(dest), sums.get(name), `${name}: sha256`);
  }

  const names = ['empty.bin', 'one.bin', 'x512.bin', 'x1468.bin', 'x1468w8.bin', 'mid.bin'];

  for (const name of names) {
    test(`tftp-hpa fetches ${name}`, async () => {
      const dest = join(out, `hpa-${name}`);
      const r = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', name, dest], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /Error|timed out/i);
      await check(name, dest);
    });

    test(`atftp (blksize 1468, tsize, windowsize 8) fetches ${name}`, async () => {
      const dest = join(out, `atftp-${name}`);
      const r = await run('atftp', ['--option', 'blksize 1468', '--option', 'tsize 0', '--option', 'windowsize 8', '-g', '-r', name, '-l', dest, LOOP, String(h.port)], 30_000);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await check(name, dest);
    });

    test(`curl --tftp-blksize 1468 fetches ${name}`, async () => {
      const dest = join(out, `curl-${name}`);
      const r = await run('curl', ['-sS', '--max-time', '30', `tftp://${LOOP}:${h.port}/${name}`, '--tftp-blksize', '1468', '-o', dest], 35_000);
      assert.equal(r.code, 0, r.stderr);
      await check(name, dest);
    });
  }

  test('tftp-hpa -v (verbose) reports the transfer and the file matches', async () => {
    const dest = join(out, 'hpa-v-mid.bin');
    const r = await run('tftp', ['-v', LOOP, String(h.port), '-m', 'binary', '-c', 'get', 'mid.bin', dest], 30_000);
    assert.match(r.stdout + r.stderr, /Received 1234567 bytes/);
    await check('mid.bin', dest);
  });

  test('atftp with windowsize 16 and blksize 512 fetches a file', async () => {
    const dest = join(out, 'atftp-w16-mid.bin');
    const r = await run('atftp', ['--option', 'blksize 512', '--option', 'windowsize 16', '-g', '-r', 'mid.bin', '-l', dest, LOOP, String(h.port)], 30_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await check('mid.bin', dest);
  });

  test('odd case and backslashes from Windows-style loaders resolve', async () => {
    const dest = join(out, 'case.bin');
    const r = await run('curl', ['-sS', '--max-time', '20', `tftp://${LOOP}:${h.port}/MID.BIN`, '-o', dest], 25_000);
    assert.equal(r.code, 0, r.stderr);
    await check('mid.bin', dest);
    const dest2 = join(out, 'bs.bin');
    const r2 = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', '\\One.bin', dest2], 20_000);
    assert.doesNotMatch(r2.stdout + r2.stderr, /Error/);
    await check('one.bin', dest2);
  });

  test('a 40 MB file with 512-byte blocks (block number rollover past 65535) via tftp-hpa', { timeout: 180_000 }, async () => {
    sums.set('big.bin', h.put('big.bin', randomFile(40 * 1024 * 1024)));
    const dest = join(out, 'hpa-big.bin');
    const r = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', 'big.bin', dest], 170_000);
    assert.doesNotMatch(r.stdout + r.stderr, /Error|timed out/i);
    await check('big.bin', dest);
    console.log(`# 40 MB, tftp-hpa lock-step 512-byte blocks: ${(r.ms / 1000).toFixed(2)} s`);
    rmSync(join(h.root, 'big.bin'));
    rmSync(dest);
  });

  test('WRQ is refused with ERROR 2 (tftp-hpa put)', async () => {
    const src = join(out, 'upload.txt');
    writeFileSync(src, 'upload');
    const r = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'put', src, 'uploaded.txt'], 20_000);
    assert.match(r.stdout + r.stderr, /Error code 2: Access violation/);
    assert.equal(existsSync(join(h.root, 'uploaded.txt')), false);
  });

  test('a missing file gives ERROR 1 to each client', async () => {
    const hpa = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', 'nope.bin', join(out, 'nope1')], 20_000);
    assert.match(hpa.stdout + hpa.stderr, /Error code 1: File not found/);
    const at = await run('atftp', ['-g', '-r', 'nope.bin', '-l', join(out, 'nope2'), LOOP, String(h.port)], 20_000);
    assert.notEqual(at.code, 0);
    assert.match(at.stdout + at.stderr, /File not found/);
    const cu = await run('curl', ['-sS', '--max-time', '20', `tftp://${LOOP}:${h.port}/nope.bin`, '-o', join(out, 'nope3')], 25_000);
    assert.equal(cu.code, 68, 'curl exit 68: TFTP file not found');
    const ev = h.fileEvents().find((e) => e.action === 'error' && e.path === 'nope.bin');
    assert.ok(ev, 'an error file event for the missing file');
  });

  const traversal = ['../outside.txt', '..\\outside.txt', 'x/../../outside.txt', '/../outside.txt', '/etc/passwd', 'C:\\outside.txt', 'link-out'];
  for (const attempt of traversal) {
    test(`traversal ${JSON.stringify(attempt)} is refused`, async () => {
      const dest = join(out, 'trav');
      rmSync(dest, { force: true });
      const r = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', attempt, dest], 20_000);
      assert.match(r.stdout + r.stderr, /Error code 1: File not found/);
      assert.ok(!existsSync(dest) || statSync(dest).size === 0, 'nothing was received');
    });
  }

  test('absolute path to the real outside file is refused', async () => {
    const abs = join(h.root, '..', 'outside.txt');
    assert.equal(readFileSync(abs, 'utf8'), 'secret');
    const dest = join(out, 'abs');
    const r = await run('tftp', [LOOP, String(h.port), '-m', 'binary', '-c', 'get', abs, dest], 20_000);
    assert.match(r.stdout + r.stderr, /Error code 1: File not found/);
  });

  test('100 concurrent downloads (curl, blksize 1468) all complete with the right sha256', { timeout: 240_000 }, async () => {
    const files = ['c0.bin', 'c1.bin', 'c2.bin'];
    for (const f of files) sums.set(f, h.put(f, randomFile(300_000 + files.indexOf(f) * 1001)));
    const runs = Array.from({ length: 100 }, (_, i) => {
      const name = files[i % files.length] ?? 'c0.bin';
      const dest = join(out, `par-${i}`);
      return run('curl', ['-sS', '--max-time', '200', `tftp://${LOOP}:${h.port}/${name}`, '--tftp-blksize', '1468', '-o', dest], 220_000).then((r) => ({ r, name, dest }));
    });
    const results = await Promise.all(runs);
    let okCount = 0;
    for (const { r, name, dest } of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(dest), sums.get(name));
      okCount++;
    }
    assert.equal(okCount, 100);
    const ends = h.fileEvents().filter((e) => e.action === 'end' && files.includes(e.path));
    assert.equal(ends.length, 100, 'one end event per transfer');
    await waitFor(() => h.server.activeTransfers().length === 0, 5000, 'every transfer freed');
  });
});
