/**
 * Serving straight out of real ISO images (built with xorriso by test/helpers/iso-builder.ts): files at
 * /iso/<id>/... read in place, ranges inside a file, the whole image at /iso/<id>.iso, and a 1 GiB file
 * inside a sparse image fetched whole by curl with its sha256 checked.
 */
import assert from 'node:assert/strict';
import { promises as fsp, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openIso, type IsoImage } from '../../electron/engine/iso/iso-image';
import type { HttpServer } from '../../electron/engine/servers/http-server';
import { buildIso, makeTempDir, masteringSparse, patternBytes, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';
import { fdCount, LOOPBACK, run, sha256, sha256File, startHttp, waitFor, type Harness } from './http-fixtures';

const KERNEL = patternBytes(5_000_000, 11);
const CFG = 'default vesamenu.c32\nlabel install\n  kernel /install.amd/vmlinuz\n';
const tools = ['curl', 'xorriso'].filter((c) => !hasCommand(c));

describe('HTTP out of an ISO image', { skip: tools.length ? `needs ${tools.join(', ')}` : false }, () => {
  let built: BuiltIso;
  let image: IsoImage;
  let h: Harness<HttpServer>;
  let url: string;
  let out: string;

  before(async () => {
    built = await buildIso({
      'install.amd/vmlinuz': KERNEL,
      'isolinux/isolinux.cfg': CFG,
      'EFI/boot/bootx64.efi': patternBytes(4096, 3),
      'dists/bookworm/Release': 'Suite: bookworm\n',
      'doc/link-to-cfg': { symlink: '../isolinux/isolinux.cfg' },
    });
    image = await openIso(built.path);
    h = await startHttp({
      mounts: [
        { prefix: '/iso/deb12/', source: image.asFileSource() },
        { prefix: '/browse/deb12/', source: image.asFileSource(), listing: true },
        { path: '/iso/deb12.iso', file: built.path },
      ],
    });
    url = `http://${LOOPBACK}:${h.port}`;
    out = await makeTempDir('fb-http-iso-out-');
  });

  after(async () => {
    await h.close();
    await image.close();
    await built.cleanup();
    await fsp.rm(out, { recursive: true, force: true });
  });

  const curl = (args: string[], timeoutMs = 60_000) => run('curl', ['-sS', '-f', ...args], timeoutMs);

  test('files inside the image, byte for byte, with their sizes and types', async () => {
    const fds0 = await fdCount();
    const dest = join(out, 'vmlinuz');
    let r = await curl(['-o', dest, `${url}/iso/deb12/install.amd/vmlinuz`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256File(dest), sha256(KERNEL));
    r = await curl([`${url}/iso/deb12/ISOLINUX/ISOLINUX.CFG`]);
    assert.equal(r.stdout, CFG, 'case-insensitive lookups, like PXE loaders need');
    r = await curl([`${url}/iso/deb12/doc/link-to-cfg`]);
    assert.equal(r.stdout, CFG, 'Rock Ridge symlinks are followed inside the image');
    r = await curl(['-I', `${url}/iso/deb12/EFI/boot/bootx64.efi`]);
    assert.match(r.stdout, /^content-type: application\/efi\r$/im);
    assert.match(r.stdout, /^content-length: 4096\r$/im);
    r = await curl(['-I', `${url}/iso/deb12/install.amd/vmlinuz`]);
    assert.match(r.stdout, new RegExp(`^content-length: ${KERNEL.length}\\r$`, 'mi'));
    r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${url}/iso/deb12/install.amd/`]);
    assert.equal(r.stdout, '404', 'no listing of an image directory by default');
    r = await curl([`${url}/browse/deb12/install.amd/`]);
    assert.match(r.stdout, /href="vmlinuz">vmlinuz<\/a> 5000000/);
    await waitFor(() => h.server.openFileCount() === 0, 2000, 'handles released');
    // The sendfile path closes its duplicated descriptors on its own thread, a moment after the response ends.
    let fds = await fdCount();
    for (let i = 0; i < 40 && fds !== fds0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      fds = await fdCount();
    }
    assert.equal(fds, fds0);
  });

  test('a range inside a file of the image, and the whole image at its own path', async () => {
    const dest = join(out, 'part');
    const r = await curl(['-r', '1000000-1999999', '-o', dest, `${url}/iso/deb12/install.amd/vmlinuz`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256File(dest), sha256(KERNEL.subarray(1_000_000, 2_000_000)));
    const whole = join(out, 'whole.iso');
    assert.equal((await curl(['-o', whole, `${url}/iso/deb12.iso`])).code, 0);
    assert.equal(await sha256File(whole), await sha256File(built.path));
    const tail = join(out, 'tail');
    const size = (await fsp.stat(built.path)).size;
    assert.equal((await curl(['-r', `${size - 4096}-`, '-o', tail, `${url}/iso/deb12.iso`])).code, 0);
    assert.equal(await sha256File(tail), await sha256File(built.path, { start: size - 4096 }));
  });

  test('a 1 GiB file inside an ISO, fetched whole: sha256 equal', { timeout: 300_000 }, async (t) => {
    const dir = await makeTempDir('fb-http-1g-');
    try {
      if (statfsSync(dir).bavail * statfsSync(dir).bsize < 512e6) return void t.skip('less than 512 MB free');
      const GiB = 1024 ** 3;
      const tree = join(dir, 'tree');
      await fsp.mkdir(tree);
      const big = join(tree, 'big.img');
      // Sparse, with markers spread through it so a shifted or short body changes the hash.
      const fh = await fsp.open(big, 'w');
      await fh.truncate(GiB);
      for (let i = 0; i < 64; i++) await fh.write(patternBytes(4096, i + 1), 0, 4096, Math.floor((GiB - 4096) * (i / 63)));
      await fh.close();
      const want = await sha256File(big);
      const iso = join(dir, 'big.iso');
      await masteringSparse(tree, iso, { volumeId: 'BIG1G' });
      await fsp.rm(big);
      const bigImage = await openIso(iso);
      try {
        h.server.setMounts([...h.server.mounts(), { prefix: '/iso/big/', source: bigImage.asFileSource() }]);
        const t0 = performance.now();
        const r = await run('sh', ['-c', `curl -sS -f ${url}/iso/big/big.img | sha256sum`], 280_000);
        const secs = (performance.now() - t0) / 1000;
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.split(/\s/)[0], want);
        t.diagnostic(`1 GiB out of the ISO in ${secs.toFixed(1)} s (${(GiB / 1e6 / secs).toFixed(0)} MB/s including sha256sum)`);
        const end = h.fileEvents((e) => e.path === '/iso/big/big.img' && e.action === 'end')[0];
        assert.equal(end?.bytes, GiB);
        const progress = h.fileEvents((e) => e.path === '/iso/big/big.img' && e.action === 'progress');
        for (let i = 1; i < progress.length; i++) {
          const gap = Date.parse(progress[i]?.time ?? '') - Date.parse(progress[i - 1]?.time ?? '');
          assert.ok(gap >= 450, `progress events at most every 500 ms (gap ${gap} ms)`);
        }
      } finally {
        h.server.setMounts(h.server.mounts().filter((m) => !('prefix' in m && m.prefix === '/iso/big/')));
        await bigImage.close();
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
