/**
 * ISO reader benchmark (not part of `npm test`): builds a ~4 GB image with 10,000 files in a temp dir
 * (sparse: the big payload costs no disk), then measures our open + inspect time and peak RSS and the time
 * to list every file, side by side with `xorriso -find` and `bsdtar -tf` on the same image. A second image
 * with the same 10,000 files but no payload shows that memory does not depend on the image's size.
 *
 * Run: node --import tsx bench/iso/iso-bench.ts [--keep]
 */
import { execFile } from 'node:child_process';
import { promises as fsp, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, masteringSparse, patternBytes, writeTree, type TreeSpec } from '../../test/helpers/iso-builder';

const run = promisify(execFile);
const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
const DIRS = 100;
const PER_DIR = 100;
const PAYLOAD_FILES = 4;
const PAYLOAD_BYTES = 1024 ** 3; // 4 x 1 GiB, sparse
const REPEAT = 3;

interface Sample {
  wallMs: number;
  innerMs: number | null;
  maxRssKb: number;
  entries: number | null;
}

async function timed(cmd: string, args: string[]): Promise<Sample> {
  // GNU time: wall seconds and peak RSS (KB) of the whole process, start-up included.
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'TIME %e %M', cmd, ...args], { cwd: ROOT, maxBuffer: 256 << 20 });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(stderr);
  if (!m) throw new Error(`no timing from ${cmd}: ${stderr}`);
  let inner: { ms: number; entries: number } | null = null;
  const last = stdout.trim().split('\n').pop() ?? '';
  if (last.startsWith('{')) inner = JSON.parse(last) as { ms: number; entries: number };
  const lines = stdout.split('\n').filter(Boolean).length;
  return { wallMs: Number(m[1]) * 1000, innerMs: inner?.ms ?? null, maxRssKb: Number(m[2]), entries: inner ? inner.entries : lines };
}

async function best(cmd: string, args: string[]): Promise<Sample> {
  let b: Sample | null = null;
  for (let i = 0; i < REPEAT; i++) {
    const s = await timed(cmd, args);
    if (!b || (s.innerMs ?? s.wallMs) < (b.innerMs ?? b.wallMs)) b = s;
  }
  return b as Sample;
}

const ours = (mode: string, iso: string) => best(process.execPath, ['--import', 'tsx', join(HERE, 'measure.ts'), mode, iso]);

function tree(): TreeSpec {
  const spec: TreeSpec = {};
  for (let d = 0; d < DIRS; d++) {
    for (let f = 0; f < PER_DIR; f++) spec[`pool/d${String(d).padStart(3, '0')}/package-${d}-${f}.rpm`] = patternBytes(1024 + ((d * PER_DIR + f) % 2048), d * PER_DIR + f + 1);
  }
  return spec;
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const dir = await makeTempDir('fieldboot-isobench-');
  const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
  console.log(`temp dir ${dir}, ${(free / 1e9).toFixed(1)} GB free`);
  if (free < 2e9) throw new Error('need at least 2 GB free (the image is sparse, but the file tree and pipes need room)');
  try {
    const small = join(dir, 'small-tree');
    const big = join(dir, 'big-tree');
    await writeTree(small, tree());
    await writeTree(big, tree());
    for (let i = 0; i < PAYLOAD_FILES; i++) {
      const p = join(big, 'payload', `part${i}.img`);
      await fsp.mkdir(join(big, 'payload'), { recursive: true });
      const fh = await fsp.open(p, 'w');
      await fh.truncate(PAYLOAD_BYTES);
      await fh.write(Buffer.from(`part ${i}`), 0, 6, PAYLOAD_BYTES / 2);
      await fh.close();
    }
    const bigIso = join(dir, 'big.iso');
    const smallIso = join(dir, 'small.iso');
    let t = Date.now();
    await masteringSparse(big, bigIso, { volumeId: 'BENCH_BIG' });
    console.log(`built ${bigIso}: ${((await fsp.stat(bigIso)).size / 1e9).toFixed(2)} GB apparent, ${(((await fsp.stat(bigIso)).blocks * 512) / 1e6).toFixed(0)} MB on disk, in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await masteringSparse(small, smallIso, { volumeId: 'BENCH_SMALL' });
    console.log(`built ${smallIso}: ${((await fsp.stat(smallIso)).size / 1e6).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await fsp.rm(big, { recursive: true, force: true });
    await fsp.rm(small, { recursive: true, force: true });

    const noop = await ours('noop', bigIso);
    const rows: [string, Sample][] = [];
    for (const [label, iso] of [['4.3 GB image', bigIso], ['same files, 0 payload', smallIso]] as const) {
      rows.push([`ours: open + detect (${label})`, await ours('open', iso)]);
      rows.push([`ours: inspect = open + check all dirs + detect (${label})`, await ours('inspect', iso)]);
      rows.push([`ours: list every file (${label})`, await ours('list', iso)]);
    }
    const xorriso = await best('xorriso', ['-indev', bigIso, '-find', '/']);
    const bsdtar = await best('bsdtar', ['-tf', bigIso]);
    rows.push(['xorriso -indev X -find / (4.3 GB image)', xorriso]);
    rows.push(['bsdtar -tf X (4.3 GB image)', bsdtar]);

    console.log(`\nbest of ${REPEAT}; "inner" = time inside our process (excludes Node + tsx start-up); RSS = peak of the whole process`);
    console.log(`Node + tsx doing nothing: wall ${noop.wallMs.toFixed(0)} ms, peak RSS ${(noop.maxRssKb / 1024).toFixed(1)} MB\n`);
    const head = ['operation', 'entries', 'inner ms', 'wall ms', 'peak RSS MB', 'RSS above idle MB'];
    const table = rows.map(([name, s]) => [
      name,
      String(s.entries ?? '-'),
      s.innerMs === null ? '-' : s.innerMs.toFixed(0),
      s.wallMs.toFixed(0),
      (s.maxRssKb / 1024).toFixed(1),
      s.innerMs === null ? '-' : ((s.maxRssKb - noop.maxRssKb) / 1024).toFixed(1),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? '').length)));
    for (const r of [head, ...table]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));

    const listOurs = rows[2]?.[1] as Sample;
    const inspectBig = rows[1]?.[1] as Sample;
    const inspectSmall = rows[4]?.[1] as Sample;
    console.log('\nratios (ours / tool; wall clock, both including process start-up):');
    console.log(`  list every file: ours ${listOurs.wallMs.toFixed(0)} ms vs xorriso ${xorriso.wallMs.toFixed(0)} ms = ${(listOurs.wallMs / xorriso.wallMs).toFixed(2)}x, vs bsdtar ${bsdtar.wallMs.toFixed(0)} ms = ${(listOurs.wallMs / bsdtar.wallMs).toFixed(2)}x`);
    console.log(`  list every file, ours without start-up: ${(listOurs.innerMs ?? 0).toFixed(0)} ms = ${((listOurs.innerMs ?? 0) / xorriso.wallMs).toFixed(2)}x xorriso, ${((listOurs.innerMs ?? 0) / bsdtar.wallMs).toFixed(2)}x bsdtar`);
    console.log(`  peak RSS: ours ${(listOurs.maxRssKb / 1024).toFixed(1)} MB vs xorriso ${(xorriso.maxRssKb / 1024).toFixed(1)} MB, bsdtar ${(bsdtar.maxRssKb / 1024).toFixed(1)} MB`);
    console.log(`  memory vs image size: inspect of 4.3 GB image ${(inspectBig.maxRssKb / 1024).toFixed(1)} MB, of the same files without payload ${(inspectSmall.maxRssKb / 1024).toFixed(1)} MB`);
    console.log(`  target "open and inspect under 1 s": ${(inspectBig.innerMs ?? Infinity) < 1000 ? 'met' : 'NOT met'} (${(inspectBig.innerMs ?? 0).toFixed(0)} ms inside the process)`);
  } finally {
    if (keep) console.log(`kept ${dir}`);
    else await fsp.rm(dir, { recursive: true, force: true });
  }
}

await main();
