/**
 * The UDF reader. bsdtar cannot read UDF, so the oracle is the source tree itself: UDF-only images made
 * with mkudffs + udfclient (no mount needed) in UDF 1.02 and 2.01, and the UDF half of a genisoimage
 * ISO/UDF bridge, read with the UDF reader forced and compared with the ISO 9660 half.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EntryType, openIso, type IsoImage } from '../../electron/engine/iso/iso-image';
import { buildIso, buildUdfOnly, patternBytes, sampleTree, type BuiltIso, type TreeSpec } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** udfclient writes names byte for byte as 8-bit CS0 (UTF-8 would not round-trip), and reports a full disc early on small images:
 * and fails to grow a directory past ~40 entries: ASCII names, 30 files in one directory, a 128 MB (sparse) image. */
function udfSpec(): TreeSpec {
  const { ['Ünïcödé-名前.txt']: _u, ...rest } = sampleTree();
  return { ...rest, 'big/large.bin': patternBytes(3_000_000, 5), 'many/': { dir: true }, ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`many/file-${i}.txt`, `file ${i}\n`])) };
}

async function treeFiles(root: string, rel = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await fsp.readdir(join(root, rel))) {
    const p = join(root, rel, name);
    const st = await fsp.lstat(p);
    if (st.isDirectory()) for (const [k, v] of await treeFiles(root, rel ? `${rel}/${name}` : name)) out.set(k, v);
    else if (st.isFile()) out.set(`/${rel ? rel + '/' : ''}${name}`, await fsp.readFile(p));
  }
  return out;
}

async function assertSameAsTree(image: IsoImage, treeDir: string): Promise<void> {
  const want = await treeFiles(treeDir);
  const got = new Map<string, number>();
  for await (const e of image.walk()) if (e.type === EntryType.File) got.set(e.path, e.size);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'file list');
  for (const [path, bytes] of want) {
    assert.equal(got.get(path), bytes.length, `size of ${path}`);
    assert.equal(sha(await image.read(path)), sha(bytes), `bytes of ${path}`);
  }
}

for (const revision of ['0x0102', '0x0201'] as const) {
  test(`udf: UDF-only image (mkudffs ${revision} + udfclient) lists and reads every file`, { skip: (!hasCommand('mkudffs') || !hasCommand('udfclient')) && 'needs udftools and udfclient' }, async () => {
    const built = (await buildUdfOnly(udfSpec(), { revision, label: 'UDFONLY' })) as BuiltIso;
    cleanups.push(built.cleanup);
    const image = await openIso(built.path);
    try {
      assert.equal(image.info.filesystem, 'udf');
      assert.equal(image.info.hasIso9660, false);
      assert.equal(image.info.volumeId, 'UDFONLY');
      assert.equal(image.info.udfRevision, revision === '0x0102' ? '1.02' : '2.01');
      await assertSameAsTree(image, built.treeDir);
      // Case-insensitive lookups and streams work the same on UDF.
      const chunks: Buffer[] = [];
      for await (const c of image.createReadStream('/BIG/LARGE.BIN', { start: 1_000_000, end: 1_999_999 })) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(patternBytes(3_000_000, 5).subarray(1_000_000, 2_000_000)));
      assert.equal((await image.list("/many")).length, 30);
      const v = await image.verify();
      assert.equal(v.files, (await treeFiles(built.treeDir)).size);
    } finally {
      await image.close();
    }
  });
}

test('udf: the UDF tree of an ISO/UDF bridge (genisoimage -udf) matches its ISO 9660 tree', { skip: !hasCommand('genisoimage') && 'needs genisoimage' }, async () => {
  const spec = { ...sampleTree(), 'big/large.bin': patternBytes(1_500_000, 8) };
  const built = await buildIso(spec, { udfBridge: true });
  cleanups.push(built.cleanup);
  const udf = await openIso(built.path, { tree: 'udf' });
  const iso = await openIso(built.path, { tree: 'rockridge' });
  try {
    assert.equal(udf.info.filesystem, 'udf');
    assert.equal(udf.info.hasUdf, true);
    const fromIso = new Map<string, IsoEntryLite>();
    for await (const e of iso.walk()) if (e.type === EntryType.File) fromIso.set(e.path, e);
    const fromUdf = new Map<string, IsoEntryLite>();
    for await (const e of udf.walk()) if (e.type === EntryType.File) fromUdf.set(e.path, e);
    // genisoimage writes no symlinks into UDF (it stores them as empty files): compare regular files.
    for (const [path, e] of fromIso) {
      const u = fromUdf.get(path);
      assert.ok(u, `${path} missing from the UDF tree`);
      assert.equal(u.size, e.size, `size of ${path}`);
      assert.equal(sha(await udf.read(path)), sha(await iso.read(path)), `bytes of ${path}`);
    }
    // Unicode names come through the UDF tree (OSTA CS0, 16-bit) too.
    assert.ok(fromUdf.has('/Ünïcödé-名前.txt'));
  } finally {
    await udf.close();
    await iso.close();
  }
});

test('udf: without Rock Ridge, "auto" reads the UDF tree before Joliet (Windows media keep their real tree in UDF)', { skip: !hasCommand('genisoimage') && 'needs genisoimage' }, async () => {
  const built = await buildIso({ 'sources/install.wim': patternBytes(50_000, 4), 'setup.exe': 'MZ' }, { udfBridge: true, rockRidge: false });
  cleanups.push(built.cleanup);
  const image = await openIso(built.path);
  try {
    assert.equal(image.info.filesystem, 'udf');
    assert.equal(image.info.hasJoliet, true);
    assert.ok((await image.read('/sources/install.wim')).equals(patternBytes(50_000, 4)));
  } finally {
    await image.close();
  }
});

interface IsoEntryLite {
  path: string;
  size: number;
}
