/**
 * HTTP over a file that is several extents inside the image: a 4.5 GB file (ISO 9660 level 3 cuts it into
 * extents of at most 4 GiB - 2 KiB), mastered sparse with markers on both sides of every cut. curl reads
 * byte ranges that cross the cuts (also inside one server chunk), past 4 GiB, a suffix, and the whole file;
 * a client that gives up mid-transfer must leave no descriptor and no handle behind.
 */
import assert from 'node:assert/strict';
import { promises as fsp, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openIso, type IsoImage } from '../../electron/engine/iso/iso-image';
import { DEFAULT_HTTP_CHUNK_BYTES, type HttpServer } from '../../electron/engine/servers/http-server';
import { makeTempDir, masteringSparse } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';
import { fdCount, LOOPBACK, run, sleep, startHttp, waitFor, type Harness } from './http-fixtures';

const BIG = 4.5e9;
const tools = ['curl', 'xorriso'].filter((c) => !hasCommand(c));

/** Text written into the sparse file at a position; everything else reads as zeros. */
type Mark = [number, string];

/** What bytes [start, end] of the file must be: zeros with the markers that overlap them. */
function expected(marks: Mark[], start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start + 1);
  for (const [pos, text] of marks) {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) {
      const at = pos + i - start;
      if (at >= 0 && at < out.length) out[at] = bytes[i] as number;
    }
  }
  return out;
}

describe('HTTP over a multi-extent file (> 4 GiB) inside an ISO', { skip: tools.length ? `needs ${tools.join(', ')}` : false, timeout: 300_000 }, () => {
  let dir = '';
  let image: IsoImage | null = null;
  let h: Harness<HttpServer> | null = null;
  let url = '';
  /** File offsets where one extent ends and the next begins. */
  const cuts: number[] = [];
  let marks: Mark[] = [];
  let skipWhy: string | null = null;

  before(async () => {
    dir = await makeTempDir('fb-http-extents-');
    const s = statfsSync(dir);
    if (s.bavail * s.bsize < 2e9) {
      skipWhy = 'less than 2 GB free in the temp dir';
      return;
    }
    const tree = join(dir, 'tree');
    await fsp.mkdir(tree);
    const big = join(tree, 'big.img');
    // xorriso cuts at 4 GiB - 2 KiB; the markers are placed from that, then checked against the real extents.
    const guess = 4 * 1024 ** 3 - 2048;
    marks = [
      [0, 'START'],
      [guess - 5, 'BEFORE|AFTER'], // straddles the cut: "BEFOR" in one extent, "E|AFTER" in the next
      [guess - 1024 * 1024 + 7, 'ONE-MIB-BEFORE'],
      [guess + 3 * 1024 * 1024, 'THREE-MIB-AFTER'],
      [4 * 1024 ** 3 + 100, 'PAST4G'],
      [BIG - 3, 'END'],
    ];
    const fh = await fsp.open(big, 'w');
    await fh.truncate(BIG);
    for (const [pos, text] of marks) await fh.write(Buffer.from(text), 0, text.length, pos);
    await fh.close();
    await masteringSparse(tree, join(dir, 'big.iso'), { isoLevel: 3, volumeId: 'BIGHTTP' });
    await fsp.rm(big);
    image = await openIso(join(dir, 'big.iso'));
    const extents = (await image.extents('/big.img')) ?? [];
    let acc = 0;
    for (const e of extents.slice(0, -1)) cuts.push((acc += e.length));
    h = await startHttp({ mounts: [{ prefix: '/iso/big/', source: image.asFileSource() }] });
    url = `http://${LOOPBACK}:${h.port}/iso/big/big.img`;
  });

  after(async () => {
    await h?.close();
    await image?.close();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const curl = (args: string[], timeoutMs = 60_000) => run('curl', ['-sS', '-f', ...args], timeoutMs);

  /** Fetches bytes [start, end] with curl and checks status, Content-Range and every byte. */
  async function checkRange(start: number, end: number): Promise<void> {
    const dest = join(dir, `range-${start}-${end}`);
    const r = await curl(['-D', '-', '-r', `${start}-${end}`, '-o', dest, url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 206/);
    assert.match(r.stdout, new RegExp(`Content-Range: bytes ${start}-${end}/${BIG}`, 'i'));
    const got = await fsp.readFile(dest);
    await fsp.rm(dest);
    assert.equal(got.length, end - start + 1, `length of ${start}-${end}`);
    assert.ok(got.equals(expected(marks, start, end)), `bytes ${start}-${end} (cuts at ${cuts.join(', ')})`);
  }

  test('the file is several extents, and HEAD announces all 4.5 GB', async (t) => {
    if (skipWhy) return void t.skip(skipWhy);
    assert.ok(cuts.length >= 1, `multi-extent: cuts at ${cuts.join(', ')}`);
    assert.equal(cuts[0], 4 * 1024 ** 3 - 2048, 'xorriso cut where the markers expect it');
    const r = await curl(['-I', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Content-Length: ${BIG}\\r`, 'i'));
    assert.match(r.stdout, /Accept-Ranges: bytes/i);
  });

  test('ranges across a cut, inside one server chunk and over several, past 4 GiB, and a suffix', async (t) => {
    if (skipWhy) return void t.skip(skipWhy);
    const cut = cuts[0] as number;
    await checkRange(cut - 1, cut); // the last byte of one extent and the first of the next
    await checkRange(cut - 5, cut + 6); // the straddling marker, whole
    await checkRange(cut - 3000, cut + 3000);
    // A window the server reads in several chunks, one of which holds the cut in its middle.
    await checkRange(cut - Math.floor(1.5 * DEFAULT_HTTP_CHUNK_BYTES), cut + 4 * DEFAULT_HTTP_CHUNK_BYTES);
    await checkRange(4 * 1024 ** 3 + 90, 4 * 1024 ** 3 + 120);
    const dest = join(dir, 'suffix');
    const r = await curl(['-r', '-3', '-o', dest, url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await fsp.readFile(dest, 'utf8'), 'END');
  });

  test('the whole 4.5 GB file: every byte counted, one end event with its size', { timeout: 240_000 }, async (t) => {
    if (skipWhy || !h) return void t.skip(skipWhy ?? 'no server');
    const before = h.fileEvents().length;
    const r = await curl(['-o', '/dev/null', '-w', '%{size_download}', url], 230_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Number(r.stdout), BIG);
    const ends = h.fileEvents().slice(before).filter((e) => e.action === 'end');
    assert.equal(ends.length, 1);
    assert.equal(ends[0]?.bytes, BIG);
  });

  test('a client that gives up mid-transfer leaves no handle or descriptor, and the next client is served', async (t) => {
    if (skipWhy || !h) return void t.skip(skipWhy ?? 'no server');
    const server = h;
    const fds0 = await fdCount();
    const before = server.fileEvents().length;
    // Starts just before the cut so the transfer is cut while reading across extents.
    const from = (cuts[0] as number) - 2 * DEFAULT_HTTP_CHUNK_BYTES;
    const r = await curl(['--limit-rate', '4M', '--max-time', '1', '-r', `${from}-`, '-o', '/dev/null', url], 10_000);
    assert.equal(r.code, 28, 'curl gave up (timeout) mid-transfer');
    await waitFor(() => server.server.openFileCount() === 0, 5000, 'open files to drop to 0');
    await sleep(50);
    assert.equal(await fdCount(), fds0, 'the process has the descriptors it had before');
    const err = server.fileEvents().slice(before).find((e) => e.action === 'error');
    assert.match(err?.error ?? '', /disconnected/);
    assert.ok((err?.bytes ?? 0) > 0 && (err?.bytes ?? 0) < BIG - from, `cut short: ${err?.bytes} bytes`);
    await checkRange(0, 4);
  });
});
