import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bzImageVersion, extractFromTarGz, loadNetbootSet, pairNetboot, udebKernelVersions } from '../../electron/engine/images/debian-netboot';
import { FieldbootError } from '../../shared/errors';
import { fakeBzImage } from '../helpers/fake-bzimage';
import { REAL_KERNEL, hasRealKernel } from '../helpers/iso-builder';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fb-netboot-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('bzImageVersion reads the release from the boot header, null for anything else', () => {
  assert.equal(bzImageVersion(fakeBzImage('6.1.0-13-amd64')), '6.1.0-13-amd64');
  assert.equal(bzImageVersion(Buffer.alloc(4096)), null);
  assert.equal(bzImageVersion(Buffer.from('not a kernel')), null);
  const noPtr = fakeBzImage('6.1.0-13-amd64');
  noPtr.writeUInt16LE(0, 0x20e);
  assert.equal(bzImageVersion(noPtr), null);
  const pastEnd = fakeBzImage('6.1.0-13-amd64');
  pastEnd.writeUInt16LE(0xff00, 0x20e);
  assert.equal(bzImageVersion(pastEnd), null);
});

test('bzImageVersion on the real Debian netboot kernel', { skip: !hasRealKernel() && 'debian-installer-12-netboot-amd64 not installed' }, () => {
  const v = bzImageVersion(execFileSync('head', ['-c', '65536', REAL_KERNEL]));
  assert.match(v ?? '', /^\d+\.\d+\.\d+-\d+-amd64$/);
});

test('udebKernelVersions keeps the ABIs of kernel-image udebs only', () => {
  assert.deepEqual(
    udebKernelVersions([
      'kernel-image-6.1.0-13-amd64-di_6.1.55-1_amd64.udeb',
      'nic-modules-6.1.0-13-amd64-di_6.1.55-1_amd64.udeb',
      'kernel-image-6.1.0-13-amd64-di_6.1.55-1_amd64.udeb',
      'linux-image-6.1.0-13-amd64_6.1.55-1_amd64.deb',
      'kernel-image-5.10.0-26-amd64-di_5.10.197-1_amd64.udeb',
    ]),
    ['5.10.0-26-amd64', '6.1.0-13-amd64'],
  );
});

function netbootTree(root: string, release: string): void {
  const d = join(root, 'debian-installer', 'amd64');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'linux'), fakeBzImage(release));
  writeFileSync(join(d, 'initrd.gz'), Buffer.from('initrd for ' + release));
  writeFileSync(join(d, 'pxelinux.0'), 'loader');
}

test('a netboot.tar.gz made by GNU tar: kernel and initrd unpacked once, long names and symlinks skipped', async () => {
  const src = temp();
  netbootTree(src, '6.1.0-13-amd64');
  const long = join(src, 'debian-installer', 'amd64', 'boot-screens', 'x'.repeat(150));
  mkdirSync(join(long, '..'), { recursive: true });
  writeFileSync(long, 'long name');
  execFileSync('ln', ['-s', 'debian-installer/amd64/pxelinux.0', join(src, 'pxelinux.0')]);
  writeFileSync(join(src, 'version.info'), 'Debian version:  12 (bookworm)\n');
  const tarball = join(temp(), 'netboot.tar.gz');
  execFileSync('tar', ['czf', tarball, '-C', src, '.']);

  const all = await extractFromTarGz(tarball, () => true);
  assert.ok(all.has('debian-installer/amd64/linux'));
  assert.equal(all.get(`debian-installer/amd64/boot-screens/${'x'.repeat(150)}`)?.toString(), 'long name');
  assert.ok(!all.has('pxelinux.0'), 'symlinks are not files');

  const cache = temp();
  const set = await loadNetbootSet(tarball, cache);
  assert.equal(set.kernels.length, 1);
  assert.equal(set.kernels[0]?.arch, 'amd64');
  assert.equal(set.kernels[0]?.kernelVersion, '6.1.0-13-amd64');
  assert.ok(set.kernels[0]?.kernel.startsWith(cache));
  const mtime = statSync(set.kernels[0]?.kernel ?? '').mtimeMs;
  const again = await loadNetbootSet(tarball, cache);
  assert.equal(statSync(again.kernels[0]?.kernel ?? '').mtimeMs, mtime, 'the cache is reused, not unpacked again');
});

test('netboot folders: a netboot tree, or one arch folder with linux and initrd.gz', async () => {
  const tree = temp();
  netbootTree(tree, '6.1.0-18-amd64');
  const a = await loadNetbootSet(tree, temp());
  assert.deepEqual(a.kernels.map((k) => [k.arch, k.kernelVersion]), [['amd64', '6.1.0-18-amd64']]);
  const b = await loadNetbootSet(join(tree, 'debian-installer', 'amd64'), temp());
  assert.deepEqual(b.kernels.map((k) => [k.arch, k.kernelVersion]), [['amd64', '6.1.0-18-amd64']]);
  const bare = temp();
  writeFileSync(join(bare, 'linux'), fakeBzImage('6.1.0-18-686', { x86_64: false }));
  writeFileSync(join(bare, 'initrd.gz'), 'x');
  assert.equal((await loadNetbootSet(bare, temp())).kernels[0]?.arch, 'i386');
});

test('unusable netboot input: clear errors, nothing left half-unpacked', async () => {
  const cache = temp();
  await assert.rejects(loadNetbootSet(join(cache, 'missing.tar.gz'), cache), (e: unknown) => e instanceof FieldbootError && /cannot read the netboot files/.test(e.message));
  const notGz = join(temp(), 'netboot.tar.gz');
  writeFileSync(notGz, 'plain text');
  await assert.rejects(loadNetbootSet(notGz, cache), /not a gzip file/);
  const truncated = join(temp(), 'broken.tar.gz');
  const src = temp();
  netbootTree(src, '6.1.0-13-amd64');
  const good = join(temp(), 'good.tar.gz');
  execFileSync('tar', ['czf', good, '-C', src, '.']);
  writeFileSync(truncated, execFileSync('head', ['-c', '200', good]));
  await assert.rejects(loadNetbootSet(truncated, cache), (e: unknown) => e instanceof FieldbootError && e.code === 'netboot-unusable');
  const empty = temp();
  await assert.rejects(loadNetbootSet(empty, cache), /no netboot kernel and initrd/);
  assert.ok(!existsSync(join(cache, 'complete')));
});

test('pairNetboot matches by arch and kernel ABI and explains a mismatch', () => {
  const k = (v: string | null, arch = 'amd64') => ({ arch, kernel: '/k', initrd: '/i', kernelVersion: v });
  const images = [
    { label: 'Debian 12.2', arches: ['amd64'], kernelVersions: ['6.1.0-13-amd64'] },
    { label: 'Debian 12.5', arches: ['amd64'], kernelVersions: ['6.1.0-18-amd64'] },
  ];
  const pairs = pairNetboot([{ source: 'a.tar.gz', kernels: [k('6.1.0-18-amd64')] }, { source: 'b', kernels: [k('6.1.0-13-amd64')] }], images);
  assert.deepEqual(pairs.map((p) => [p.image, p.kernel.kernelVersion, p.unchecked]), [[1, '6.1.0-18-amd64', false], [0, '6.1.0-13-amd64', false]]);
  assert.throws(
    () => pairNetboot([{ source: 'old.tar.gz', kernels: [k('6.1.0-10-amd64')] }], images),
    (e: unknown) => e instanceof FieldbootError && /old\.tar\.gz \(amd64 kernel 6\.1\.0-10-amd64\) match no image: Debian 12\.2 needs 6\.1\.0-13-amd64/.test(e.message),
  );
  assert.throws(() => pairNetboot([{ source: 'arm', kernels: [k('6.1.0-13-arm64', 'arm64')] }], images), /match no image/);
  // An image without kernel udebs cannot be checked: paired, and said so.
  const unchecked = pairNetboot([{ source: 'x', kernels: [k(null)] }], [{ label: 'custom', arches: ['amd64'], kernelVersions: [] }]);
  assert.equal(unchecked[0]?.unchecked, true);
});
