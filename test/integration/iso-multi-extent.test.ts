/**
 * A file over 4 GiB: ISO 9660 level 3 splits it into several directory records (multi-extent, flag
 * 0x80). Built from a sparse 4.5 GB file with markers at the extent boundaries, written as a sparse image,
 * then read back through every API and checked against xorriso's extent report.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statfsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openIso } from '../../electron/engine/iso/iso-image';
import { makeTempDir, masteringSparse } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const run = promisify(execFile);
const BIG = 4.5e9;
const GiB4 = 4 * 1024 ** 3;
const MARKS: [number, string][] = [
  [0, 'START'],
  [GiB4 - 2048 - 3, 'EDGE'], // straddles the end of the first extent (xorriso cuts at 4 GiB - 2 KiB)
  [GiB4 + 100, 'PAST4G'],
  [BIG - 3, 'END'],
];

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

test('multi-extent: a 4.5 GB sparse file reads back with the right size, zeros and markers', { timeout: 120_000, skip: !hasCommand('xorriso') && 'needs xorriso' }, async (t) => {
  const dir = await makeTempDir('fieldboot-big-');
  if (freeBytes(dir) < 2e9) {
    await fsp.rm(dir, { recursive: true, force: true });
    return void t.skip('less than 2 GB free in the temp dir');
  }
  try {
    const tree = join(dir, 'tree');
    await fsp.mkdir(tree);
    const big = join(tree, 'big.img');
    const fh = await fsp.open(big, 'w');
    await fh.truncate(BIG);
    for (const [pos, text] of MARKS) await fh.write(Buffer.from(text), 0, text.length, pos);
    await fh.close();
    await fsp.writeFile(join(tree, 'small.txt'), 'small\n');
    const iso = join(dir, 'big.iso');
    const t0 = Date.now();
    await masteringSparse(tree, iso, { isoLevel: 3, volumeId: 'BIGFILE' });
    t.diagnostic(`mastered a ${((await fsp.stat(iso)).size / 1e9).toFixed(2)} GB sparse image in ${Date.now() - t0} ms`);
    await fsp.rm(big); // the source is not needed any more; free its blocks early

    const image = await openIso(iso);
    try {
      const s = await image.stat('/big.img');
      assert.equal(s?.size, BIG);
      const extents = (await image.extents('/big.img')) ?? [];
      assert.ok(extents.length >= 2, `multi-extent: ${extents.length} extents`);
      assert.equal(extents.reduce((a, e) => a + e.length, 0), BIG);

      const { stdout } = await run('xorriso', ['-indev', iso, '-find', '/big.img', '-exec', 'report_lba'], { maxBuffer: 1 << 20 });
      // Columns: extent index, start LBA, blocks, file size (the whole file's, on every line).
      const theirs = [...stdout.matchAll(/^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,/gm)].map((m) => [Number(m[2]), Number(m[3])]);
      assert.deepEqual(extents.map((e) => [e.position / 2048, Math.ceil(e.length / 2048)]), theirs, 'extents as xorriso reports them');

      for (const [pos, text] of MARKS) {
        const got = await image.read('/big.img', pos, text.length);
        assert.equal(got.toString(), text, `marker at ${pos}`);
        const around = await image.read('/big.img', Math.max(0, pos - 8), 8);
        if (pos >= 8) assert.ok(around.every((b) => b === 0), `zeros before ${pos}`);
      }
      // A stream across the extent boundary, on its own descriptor.
      const chunks: Buffer[] = [];
      for await (const c of image.createReadStream('/big.img', { start: GiB4 - 4096, end: GiB4 + 4095 })) chunks.push(c as Buffer);
      const span = Buffer.concat(chunks);
      assert.equal(span.length, 8192);
      const edge = GiB4 - 2048 - 3 - (GiB4 - 4096);
      assert.equal(span.subarray(edge, edge + 4).toString(), 'EDGE');
      const past = 100 + 4096;
      assert.equal(span.subarray(past, past + 6).toString(), 'PAST4G');
      assert.equal(span.filter((b) => b !== 0).length, 'EDGE'.length + 'PAST4G'.length, 'zeros everywhere else');
      // End of file: reads are clipped, not errors.
      assert.equal((await image.read('/big.img', BIG - 1, 100)).toString(), 'D');
      assert.equal((await image.read('/big.img', BIG + 10, 100)).length, 0);
      assert.equal((await image.read('/small.txt')).toString(), 'small\n');
      const v = await image.verify();
      assert.equal(v.files, 2);
      assert.equal(v.fileBytes, BIG + 6);
    } finally {
      await image.close();
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
