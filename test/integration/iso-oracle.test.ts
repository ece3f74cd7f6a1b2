/**
 * The ISO reader against independent readers on the same images: xorriso (extent LBAs and sizes),
 * osirrox and bsdtar (paths and bytes). Images are built here with xorriso/genisoimage, plus the real
 * ISOs Debian ships (ipxe, grub-rescue) when installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { EntryType, openIso, type IsoImage, type TreeChoice } from '../../electron/engine/iso/iso-image';
import { buildIso, deepTree, makeTempDir, sampleTree, type BuiltIso, type IsoBuildOptions, type TreeSpec } from '../helpers/iso-builder';
import { hasCommand, REQUIRE_LAB } from '../helpers/requirements';

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

function needs(t: TestContext, cmds: string[]): boolean {
  const missing = cmds.find((c) => !hasCommand(c));
  if (!missing) return true;
  if (REQUIRE_LAB) throw new Error(`needs ${missing}`);
  t.skip(`needs ${missing}`);
  return false;
}

async function build(spec: TreeSpec, o: IsoBuildOptions): Promise<BuiltIso> {
  const b = await buildIso(spec, o);
  cleanups.push(b.cleanup);
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function streamSha(image: IsoImage, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of image.createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every entry of our reader: path -> type/size. */
async function ourTree(image: IsoImage): Promise<Map<string, { type: string; size: number; target: string | null }>> {
  const m = new Map<string, { type: string; size: number; target: string | null }>();
  for await (const e of image.walk()) m.set(e.path, { type: e.type, size: e.size, target: e.linkTarget });
  return m;
}

/** bsdtar -tf: paths without the leading "./" and without "." itself. */
async function bsdtarPaths(iso: string): Promise<Set<string>> {
  const { stdout } = await run('bsdtar', ['-tf', iso], { maxBuffer: 64 << 20 });
  return new Set(stdout.split('\n').map((l) => l.replace(/\/$/, '')).filter((l) => l && l !== '.').map((l) => '/' + l.replace(/^\.\//, '')));
}

/** xorriso -find / -exec report_lba: path -> [extent start LBA, bytes] per extent, in order. */
async function xorrisoExtents(iso: string): Promise<Map<string, [number, number][]>> {
  const { stdout } = await run('xorriso', ['-indev', iso, '-find', '/', '-exec', 'report_lba'], { maxBuffer: 64 << 20 });
  const m = new Map<string, [number, number][]>();
  for (const line of stdout.split('\n')) {
    const r = /^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*'(.*)'$/.exec(line);
    if (!r) continue;
    const list = m.get(r[5] as string) ?? [];
    list[Number(r[1])] = [Number(r[2]), Number(r[4])];
    m.set(r[5] as string, list);
  }
  return m;
}

/** Extracts with a reference tool and compares every regular file byte for byte with our stream. */
async function compareExtracted(image: IsoImage, dir: string, ours: Map<string, { type: string; size: number }>): Promise<number> {
  let compared = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await fsp.readdir(join(dir, rel))) {
      const p = join(dir, rel, name);
      const st = await fsp.lstat(p);
      const isoPath = `/${rel ? rel + '/' : ''}${name}`;
      if (st.isDirectory()) await walk(rel ? `${rel}/${name}` : name);
      else if (st.isFile()) {
        const mine = ours.get(isoPath);
        assert.ok(mine, `${isoPath} extracted by the oracle but missing from our listing`);
        assert.equal(mine.size, st.size, `size of ${isoPath}`);
        assert.equal(await streamSha(image, isoPath), sha(await fsp.readFile(p)), `bytes of ${isoPath}`);
        compared++;
      }
    }
  };
  await walk('');
  return compared;
}

interface Case {
  name: string;
  image: () => Promise<string | null>;
  tree?: TreeChoice;
  expectNames: string;
}

const cases: Case[] = [
  { name: 'Rock Ridge + Joliet + El Torito BIOS/UEFI (xorriso)', image: async () => (await build(withBoot(sampleTree()), { biosBoot: 'boot/isolinux.bin', efiBoot: 'boot/efi.img' })).path, expectNames: 'rockridge' },
  { name: 'Rock Ridge only, no Joliet', image: async () => (await build(sampleTree(), { joliet: false })).path, expectNames: 'rockridge' },
  { name: 'Joliet only, no Rock Ridge', image: async () => (await build(noLinks(sampleTree()), { rockRidge: false })).path, expectNames: 'joliet' },
  { name: 'plain ISO 9660 (8.3 names)', image: async () => (await build(noLinks(sampleTree()), { rockRidge: false, joliet: false })).path, expectNames: 'iso9660' },
  { name: 'deep tree relocated to rr_moved (genisoimage, CL/PL/RE)', image: async () => (hasCommand('genisoimage') ? (await build(deepTree(12), { udfBridge: true, joliet: false })).path : null), tree: 'rockridge', expectNames: 'rockridge' },
  { name: 'deep tree without relocation (xorriso)', image: async () => (await build(deepTree(12), {})).path, expectNames: 'rockridge' },
  { name: 'Debian ipxe.iso', image: async () => (existsSync('/usr/lib/ipxe/ipxe.iso') ? '/usr/lib/ipxe/ipxe.iso' : null), expectNames: 'rockridge' },
  { name: 'Debian grub-rescue-cdrom.iso', image: async () => (existsSync('/usr/lib/grub-rescue/grub-rescue-cdrom.iso') ? '/usr/lib/grub-rescue/grub-rescue-cdrom.iso' : null), expectNames: 'rockridge' },
];

/** Boot images merged into the sample tree (the BIOS image must be big enough for the boot-info table). */
function withBoot(spec: TreeSpec): TreeSpec {
  return { ...spec, 'boot/isolinux.bin': Buffer.alloc(4096, 0x90), 'boot/efi.img': Buffer.alloc(8192, 0xef) };
}

/** Joliet and plain ISO 9660 have no symlinks: mkisofs skips them. */
function noLinks(spec: TreeSpec): TreeSpec {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => !(typeof v === 'object' && !Buffer.isBuffer(v) && 'symlink' in v)));
}

for (const c of cases) {
  test(`oracle: ${c.name}`, async (t) => {
    if (!needs(t, ['xorriso', 'osirrox', 'bsdtar'])) return;
    const iso = await c.image();
    if (!iso) {
      if (REQUIRE_LAB) throw new Error('image or tool missing');
      return void t.skip('image or tool not installed');
    }
    const image = await openIso(iso, c.tree ? { tree: c.tree } : {});
    try {
      assert.equal(image.info.filesystem, c.expectNames);
      const ours = await ourTree(image);

      // Paths: the same set as bsdtar (which also prefers Rock Ridge, then Joliet).
      const theirs = await bsdtarPaths(iso);
      assert.deepEqual([...ours.keys()].sort(), [...theirs].sort(), 'paths differ from bsdtar -tf');

      // Extents: every file xorriso reports has the same start LBA and size with us.
      if (c.expectNames === 'rockridge') {
        const xt = await xorrisoExtents(iso);
        assert.ok(xt.size > 0);
        for (const [path, list] of xt) {
          const mine = await image.extents(path);
          assert.ok(mine, `${path}: no extents`);
          assert.deepEqual(
            mine.map((e) => [e.position / 2048, e.length]),
            list,
            `${path}: extents differ from xorriso report_lba`,
          );
        }
      }

      // El Torito: the same boot entries (platform, load sector) as xorriso -report_el_torito.
      const { stdout: et } = await run('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { maxBuffer: 1 << 20 });
      const theirBoot = [...et.matchAll(/^El Torito boot img :\s+\d+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\d+)\s*$/gm)].map((m) => [
        m[1] === 'BIOS' ? 'bios' : m[1] === 'UEFI' ? 'uefi' : 'other',
        Number(m[2]),
      ]);
      assert.deepEqual(image.info.bootEntries.map((b) => [b.platform, b.loadRba]), theirBoot, 'El Torito entries');

      // Bytes: extracted by osirrox (Rock Ridge trees) or bsdtar, compared with our streams.
      const dir = await makeTempDir('fieldboot-oracle-');
      cleanups.push(() => fsp.rm(dir, { recursive: true, force: true }));
      if (c.expectNames === 'rockridge') await run('osirrox', ['-indev', iso, '-extract', '/', dir], { maxBuffer: 16 << 20 });
      else await run('bsdtar', ['-xf', iso, '-C', dir]);
      const n = await compareExtracted(image, dir, ours);
      const files = [...ours.values()].filter((e) => e.type === EntryType.File).length;
      assert.equal(n, files, 'every file of ours was compared');

      // Symlinks keep their targets (Rock Ridge SL).
      for (const [path, e] of ours) {
        if (e.type !== EntryType.Symlink) continue;
        const target = await fsp.readlink(join(dir, path));
        assert.equal(e.target, target, `symlink ${path}`);
      }
    } finally {
      await image.close();
    }
  });
}

test('oracle: bsdtar -xOf agrees with read() on ranges of a multi-sector file', async (t) => {
  if (!needs(t, ['bsdtar'])) return;
  const b = await build(sampleTree(), {});
  const image = await openIso(b.path);
  try {
    const { stdout } = await run('bsdtar', ['-xOf', b.path, 'MixedCase/Sub Dir/file.bin'], { encoding: 'buffer', maxBuffer: 16 << 20 });
    const whole = stdout as unknown as Buffer;
    assert.equal(whole.length, 70_000);
    for (const [off, len] of [[0, 1], [2047, 2], [2048, 4096], [69_999, 10], [12_345, 30_000]] as const) {
      assert.deepEqual(await image.read('/MixedCase/Sub Dir/file.bin', off, len), whole.subarray(off, off + len), `range ${off}+${len}`);
    }
    // Case-insensitive fallback, symlink following, and '..' that cannot climb above the root.
    assert.deepEqual(await image.read('/mixedcase/SUB DIR/FILE.BIN'), whole);
    assert.deepEqual(await image.read('/abs-link'), whole);
    assert.equal((await image.read('/../../link-to-readme')).toString(), 'hello\n');
  } finally {
    await image.close();
  }
});
