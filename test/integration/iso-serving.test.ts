/**
 * Serving out of an image: one descriptor per stream/open file (Node 20 closes a shared fd on the first
 * destroy()), an image that shrinks or disappears while files are being served gives errors on read,
 * never a crash, and the directory cache stays within its bound.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isIsoError } from '../../electron/engine/iso/iso-errors';
import { EntryType, openIso } from '../../electron/engine/iso/iso-image';
import { buildIso, makeTempDir, patternBytes, type BuiltIso } from '../helpers/iso-builder';

const BIG = patternBytes(3_000_000, 42);
let built: BuiltIso;
let dir: string;

before(async () => {
  const spec: Record<string, string | Buffer> = { 'big.bin': BIG, 'small.txt': 'small\n' };
  for (let d = 0; d < 20; d++) for (let f = 0; f < 10; f++) spec[`d${d}/f${f}.txt`] = `${d}/${f}\n`;
  built = await buildIso(spec, {});
  dir = await makeTempDir('fieldboot-serve-');
});
after(async () => {
  await built.cleanup();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function fdCount(): Promise<number> {
  return (await fsp.readdir('/proc/self/fd')).length;
}

test('serving: destroying one stream does not disturb another on the same file', async () => {
  const image = await openIso(built.path);
  try {
    const fds0 = await fdCount();
    const a = image.createReadStream('/big.bin', { highWaterMark: 16 * 1024 });
    const b = image.createReadStream('/big.bin', { highWaterMark: 16 * 1024 });
    const gotB: Buffer[] = [];
    let aChunks = 0;
    const aDone = new Promise<void>((resolve) => {
      a.on('data', () => {
        if (++aChunks === 3) a.destroy(); // what ftp-srv does on ABOR
      });
      a.on('close', resolve);
    });
    for await (const c of b) gotB.push(c as Buffer);
    await aDone;
    assert.ok(Buffer.concat(gotB).equals(BIG), 'the second stream read the whole file intact');
    // Both descriptors were released.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await fdCount(), fds0);
  } finally {
    await image.close();
  }
});

test('serving: the FileSource opens one descriptor per open file and releases it on close', async () => {
  const image = await openIso(built.path);
  try {
    const src = image.asFileSource();
    const fds0 = await fdCount();
    const files = await Promise.all([src.open('/big.bin'), src.open('/BIG.BIN'), src.open('big.bin')]);
    assert.equal(await fdCount(), fds0 + 3);
    await files[0]?.close();
    const buf = Buffer.alloc(1000);
    assert.equal(await files[1]?.read(buf, 0, 1000, 2_999_500), 500, 'short read at end of file');
    assert.ok(buf.subarray(0, 500).equals(BIG.subarray(2_999_500)));
    await files[1]?.close();
    await files[2]?.close();
    assert.equal(await fdCount(), fds0);
    assert.equal(await src.open('/d0'), null, 'a directory is not opened');
    assert.equal((await src.stat('/d0'))?.isDirectory, true);
    assert.equal(await src.open('/d0/../small.txt'), null, "'..' is refused");
    assert.equal(await src.open('/small.txt\0.cfg'), null, 'NUL is refused');
  } finally {
    await image.close();
  }
});

test('serving: an image that shrinks while served gives read errors, not a crash', async () => {
  const path = join(dir, 'shrinking.iso');
  await fsp.copyFile(built.path, path);
  const image = await openIso(path);
  try {
    const open = await image.open('/big.bin');
    const stream = image.createReadStream('/big.bin', { highWaterMark: 64 * 1024 });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', (c: Buffer) => resolve(c)));
    assert.ok(first.length > 0);
    stream.pause();
    await fsp.truncate(path, 64 * 1024); // the image loses everything but its first 64 KiB
    const err = await new Promise<Error>((resolve) => {
      stream.on('error', resolve);
      stream.resume();
    });
    assert.ok(isIsoError(err, 'truncated'), String(err));
    assert.match(err.message, /ended while reading \/big\.bin/);
    await assert.rejects(open.read(Buffer.alloc(10), 0, 10, 2_000_000), /ended while reading \/big\.bin/);
    await open.close();
    // New reads of file data beyond the new end are refused up front.
    await assert.rejects(image.read('/big.bin', 0, 10), /truncated/);
  } finally {
    await image.close();
  }
});

test('serving: an image deleted while served keeps open files readable and refuses new ones clearly', async () => {
  const path = join(dir, 'deleted.iso');
  await fsp.copyFile(built.path, path);
  const image = await openIso(path);
  try {
    const open = await image.open('/big.bin');
    await fsp.rm(path);
    const buf = Buffer.alloc(100);
    assert.equal(await open.read(buf, 0, 100, 1000), 100, 'POSIX keeps the inode while a descriptor is open');
    assert.ok(buf.equals(BIG.subarray(1000, 1100)));
    await open.close();
    await assert.rejects(image.open('/big.bin'), (e: unknown) => isIsoError(e, 'io') && /no such file/.test((e as Error).message));
    const s = image.createReadStream('/small.txt');
    const err = await new Promise<Error>((resolve) => s.on('error', resolve));
    assert.match(err.message, /no such file/);
  } finally {
    await image.close();
  }
});

test('serving: the directory cache stays within its bound and results stay right', async () => {
  const image = await openIso(built.path, { maxCachedEntries: 25 });
  try {
    let files = 0;
    for (let round = 0; round < 2; round++) {
      for (let d = 0; d < 20; d++) {
        const list = await image.list(`/d${d}`);
        assert.equal(list.length, 10);
        files += list.filter((e) => e.type === EntryType.File).length;
        assert.equal((await image.read(`/d${d}/f7.txt`)).toString(), `${d}/7\n`);
        assert.ok(image.cachedEntryCount <= 25, `cache holds ${image.cachedEntryCount} entries`);
      }
    }
    assert.equal(files, 400);
    const v = await image.verify();
    assert.equal(v.files, 202);
    assert.equal(v.directories, 20);
    await image.close();
    await assert.rejects(image.list('/'), /closed/);
  } finally {
    await image.close();
  }
});
