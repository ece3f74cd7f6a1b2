/**
 * The broken-image table: each damaged or foreign file gives a clear IsoError from the API in under a
 * second, and through `fieldboot iso inspect` a one-line message and exit code 3. Damage is made by
 * patching real directory records of an xorriso image (loops, absurd extents, CE chains), by cutting it
 * (incomplete downloads), or by feeding files that are not images at all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isIsoError } from '../../electron/engine/iso/iso-errors';
import { inspectIso } from '../../electron/engine/iso/inspect-iso';
import { openIso } from '../../electron/engine/iso/iso-image';
import { buildIso, buildUdfOnly, makeTempDir, sampleTree, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'fieldboot.mjs');
const S = 2048;

let base: BuiltIso;
let pristine: Buffer;
let dir: string;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  base = await buildIso(sampleTree(), { volumeId: 'BROKEN_BASE' });
  cleanups.push(base.cleanup);
  pristine = await fsp.readFile(base.path);
  dir = await makeTempDir('fieldboot-broken-');
  cleanups.push(() => fsp.rm(dir, { recursive: true, force: true }));
});
after(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

// --- locating ISO 9660 structures to damage (ECMA-119 8.4 and 9.1) ---------------------------------

const rootOf = (img: Buffer) => ({ lba: img.readUInt32LE(16 * S + 156 + 2), size: img.readUInt32LE(16 * S + 156 + 10) });

/** Byte offset of the directory record whose ISO 9660 name starts with `prefix`, in the directory at `lba`. */
function findRecord(img: Buffer, lba: number, size: number, prefix: string): number {
  for (let off = lba * S; off < lba * S + size; ) {
    const len = img[off] ?? 0;
    if (len === 0) {
      off = (Math.floor(off / S) + 1) * S;
      continue;
    }
    const name = img.toString('latin1', off + 33, off + 33 + (img[off + 32] ?? 0));
    if (name.toUpperCase().startsWith(prefix)) return off;
    off += len;
  }
  throw new Error(`no record ${prefix} in directory at ${lba}`);
}

/** ECMA-119 7.3.3: both-byte-order 32-bit field. */
function setBoth32(img: Buffer, off: number, v: number): void {
  img.writeUInt32LE(v >>> 0, off);
  img.writeUInt32BE(v >>> 0, off + 4);
}

function patched(fn: (img: Buffer) => void): Buffer {
  const img = Buffer.from(pristine);
  fn(img);
  return img;
}

const record = (img: Buffer, ...names: string[]) => {
  let { lba, size } = rootOf(img);
  let off = -1;
  for (const n of names) {
    off = findRecord(img, lba, size, n);
    lba = img.readUInt32LE(off + 2);
    size = img.readUInt32LE(off + 10);
  }
  return off;
};

/** Replaces the Rock Ridge PX entry of a record with a CE entry pointing at its own system use area. */
function selfCe(img: Buffer): void {
  const off = record(img, 'README');
  const len = img[off] ?? 0;
  const nameLen = img[off + 32] ?? 0;
  const su = off + 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0);
  let px = -1;
  for (let p = su; p + 4 <= off + len; p += img[p + 2] || 1) {
    if (img.toString('latin1', p, p + 2) === 'PX') {
      px = p;
      break;
    }
  }
  assert.ok(px > 0, 'README has a PX entry');
  img.write('CE', px, 'latin1');
  setBoth32(img, px + 4, Math.floor(su / S));
  setBoth32(img, px + 12, su % S);
  setBoth32(img, px + 20, off + len - su);
}

interface Case {
  name: string;
  make: () => Promise<Buffer | string>;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'empty file', make: async () => Buffer.alloc(0), message: /not an ISO 9660 or UDF image: 0 bytes is too small/ },
  { name: 'text file', make: async () => Buffer.from('#!/bin/sh\necho not an iso\n'.repeat(3000)), message: /not an ISO 9660 or UDF image: .* no volume descriptor at sector 16/ },
  { name: 'zeroed 1 MiB', make: async () => Buffer.alloc(1 << 20), message: /not an ISO 9660 or UDF image: .* only zeros at sector 16/ },
  { name: 'random bytes 4 MiB', make: async () => randomBytes(4 << 20), message: /not an ISO 9660 or UDF image/ },
  { name: 'gzip-compressed ISO', make: async () => (await import('node:zlib')).gzipSync(pristine), message: /not an ISO 9660 or UDF image/ },
  { name: 'truncated inside the descriptors', make: async () => pristine.subarray(0, 16 * S + 100), message: /too small to hold a volume descriptor/ },
  {
    name: 'truncated before the root directory',
    make: async () => pristine.subarray(0, rootOf(pristine).lba * S),
    message: /^truncated: root directory at sector \d+ lies beyond the end of the file \(size \d+\)$/,
  },
  {
    name: 'incomplete download (file data cut off)',
    make: async () => {
      const off = record(pristine, 'MIXEDCAS', 'SUB_DIR', 'FILE');
      return pristine.subarray(0, pristine.readUInt32LE(off + 2) * S + 1000);
    },
    message: /^truncated: \/MixedCase\/Sub Dir\/file\.bin has data at byte \d+ .* beyond the end of the image/,
  },
  {
    name: 'subdirectory beyond the end of the file',
    make: async () => patched((img) => setBoth32(img, record(img, 'MIXEDCAS') + 2, 0x00ffffff)),
    message: /^truncated: directory \/MixedCase at sector 16777215 lies beyond the end of the file \(size \d+\)$/,
  },
  {
    name: 'directory loop (child points at the root)',
    make: async () => patched((img) => setBoth32(img, record(img, 'MIXEDCAS') + 2, rootOf(img).lba)),
    message: /^directory loop at \/MixedCase: it is the same directory as one of its ancestors$/,
  },
  {
    name: 'directory loop (grandchild points at its parent)',
    make: async () => patched((img) => setBoth32(img, record(img, 'MIXEDCAS', 'SUB_DIR') + 2, img.readUInt32LE(record(img, 'MIXEDCAS') + 2))),
    message: /^directory loop at \/MixedCase\/Sub Dir/,
  },
  {
    name: 'absurd directory size (4 GB)',
    make: async () => patched((img) => setBoth32(img, record(img, 'DIR_WITH') + 10, 0xfffff800)),
    message: /directory \/dir\.with\.dots at sector \d+ claims 4294965248 bytes \(limit \d+\)/,
  },
  {
    name: 'absurd file extent (sector 2^31)',
    make: async () => patched((img) => setBoth32(img, record(img, 'README') + 2, 0x7ffffff0)),
    message: /^truncated: \/README\.TXT has data at byte 4398046478336 .* beyond the end of the image/,
  },
  {
    name: 'Rock Ridge CE continuation chain that never ends',
    make: async () => patched(selfCe),
    message: /Rock Ridge continuation \(CE\) chain in directory at sector \d+ is longer than 16 hops/,
  },
  {
    name: 'bad logical block size in the primary descriptor',
    make: async () => patched((img) => {
      img.writeUInt16LE(0, 16 * S + 128);
      img.writeUInt16BE(0, 16 * S + 130);
    }),
    message: /primary volume descriptor has logical block size 0/,
  },
  { name: 'a directory, not a file', make: async () => dir, message: /is not a regular file|it is a directory/ },
  { name: 'missing file', make: async () => join(dir, 'does-not-exist.iso'), message: /^cannot open .*does-not-exist\.iso: no such file$/ },
];

if (hasCommand('mkudffs') && hasCommand('udfclient')) {
  cases.push({
    name: 'UDF-only image whose volume descriptor sequence is wiped',
    make: async () => {
      const u = (await buildUdfOnly({ 'a.txt': 'a\n' })) as BuiltIso;
      cleanups.push(u.cleanup);
      const img = await fsp.readFile(u.path);
      // AVDP at 256 -> main VDS extent: zero it, keep the anchor.
      const loc = img.readUInt32LE(256 * S + 20);
      const len = img.readUInt32LE(256 * S + 16);
      img.fill(0, loc * S, loc * S + len);
      return img;
    },
    message: /UDF image has no logical volume descriptor/,
  });
}

let n = 0;
for (const c of cases) {
  test(`broken: ${c.name}`, async () => {
    const made = await c.make();
    const path = typeof made === 'string' ? made : join(dir, `case-${++n}.iso`);
    if (typeof made !== 'string') await fsp.writeFile(path, made);

    // API: an IsoError with the message, well under a second.
    const t0 = performance.now();
    const err = await inspectIso(path).then(
      () => null,
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(isIsoError(err), `expected an IsoError, got ${err === null ? 'success' : String(err)}`);
    assert.match(err.message, c.message);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);

    // CLI: exit 3 and that message on one line of stderr (process start-up is not part of the budget).
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'iso', 'inspect', path, '--json'], { cwd: ROOT, timeout: 20_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stderr, stdout }),
      );
    });
    assert.equal(r.code, 3, `exit code (stderr: ${r.stderr})`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0] ?? '', /^fieldboot: /);
    assert.match((lines[0] ?? '').replace(/^fieldboot: /, ''), c.message);
  });
}

test('broken: a loop is also refused by list/stat on the path that enters it', async () => {
  const path = join(dir, 'loop-api.iso');
  await fsp.writeFile(path, patched((img) => setBoth32(img, record(img, 'MIXEDCAS') + 2, rootOf(img).lba)));
  const image = await openIso(path);
  try {
    // The directory itself lists (it is the root's content), but going "through" it is a loop.
    await assert.rejects(image.list('/MixedCase/MixedCase'), /directory loop at \/MixedCase/);
    await assert.rejects(image.stat('/MixedCase/README.TXT'), /directory loop/);
    // The healthy rest of the image stays readable.
    assert.equal((await image.read('/README.TXT')).toString(), 'hello\n');
    await assert.rejects(
      (async () => {
        for await (const _ of image.walk()) void _;
      })(),
      /directory loop/,
    );
  } finally {
    await image.close();
  }
});

test('broken: usage errors exit 2', async () => {
  for (const args of [['iso'], ['iso', 'inspect'], ['iso', 'frobnicate', 'x.iso'], ['iso', 'inspect', 'a.iso', 'b.iso'], ['iso', 'inspect', '--bogus', 'a.iso']]) {
    const code = await new Promise<number | null>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: ROOT }, (e) => resolve(e ? ((e as { code?: number }).code ?? null) : 0));
    });
    assert.equal(code, 2, args.join(' '));
  }
});
