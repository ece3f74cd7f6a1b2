/**
 * OS detection on installer layouts built with xorriso, through the real CLI: `fieldboot iso inspect
 * --json` must report family, version, arch, kernel and initrd for each, and the kernel/initrd it names
 * must be readable byte for byte.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import type { IsoSummary } from '../../shared/model/iso-summary';
import { KERNEL_ARG_PLACEHOLDERS } from '../../shared/model/iso-summary';
import { openIso } from '../../electron/engine/iso/iso-image';
import { allDistroLayouts, buildIso, debianLayout, hasRealKernel, REAL_INITRD, REAL_KERNEL, ubuntuLegacyLayout, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'fieldboot.mjs');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

async function inspect(iso: string): Promise<IsoSummary> {
  const { stdout } = await run(process.execPath, [CLI, 'iso', 'inspect', iso, '--json'], { cwd: ROOT, maxBuffer: 4 << 20 });
  return JSON.parse(stdout) as IsoSummary;
}

for (const layout of allDistroLayouts()) {
  test(`detect: ${layout.name}`, { skip: !hasCommand('xorriso') && 'needs xorriso' }, async () => {
    const built: BuiltIso = await buildIso(layout.spec, layout.options);
    cleanups.push(built.cleanup);
    const s = await inspect(built.path);
    const e = layout.expect;
    assert.equal(s.family, e.family, 'family');
    assert.equal(s.version, e.version, 'version');
    assert.equal(s.arch, e.arch, 'arch');
    assert.equal(s.kernel, e.kernel, 'kernel');
    assert.equal(s.initrd, e.initrd, 'initrd');
    assert.equal(s.answerFormat, e.answerFormat, 'answer format');
    assert.equal(s.installTreeRoot, e.installTreeRoot, 'install tree root');
    assert.equal(s.volumeId, layout.options.volumeId);
    assert.ok(s.name.length > 0);
    assert.ok(s.kernelArgsTemplate && KERNEL_ARG_PLACEHOLDERS.some((p) => s.kernelArgsTemplate?.includes(p)), 'kernel args template with placeholders');
    assert.ok(s.minRamMb && s.minRamMb >= 1024);
    assert.deepEqual(s.firmware, { bios: true, uefi: true }, 'firmware from El Torito');
    assert.ok(s.fileCount && s.fileCount > 5);
    // The kernel and initrd it names are the files of the tree, byte for byte.
    const image = await openIso(built.path);
    try {
      for (const p of [s.kernel, s.initrd] as string[]) {
        const item = layout.spec[p.slice(1)];
        assert.equal(typeof item, 'string', `${p} is a generated file`);
        assert.equal((await image.read(p)).toString(), item);
      }
    } finally {
      await image.close();
    }
    // Family-specific facts a technician needs.
    if (s.family === 'ubuntu-live-server') {
      assert.match(s.kernelArgsTemplate ?? '', /url=\{\{iso_url\}\}.*autoinstall.*ds=nocloud-net;s=\{\{answer_url\}\}.*cloud-config-url=\/dev\/null/);
      assert.equal(s.minRamMb, 4096);
      assert.ok(s.warnings.some((w) => /4 GB/.test(w)));
    }
    if (s.family === 'debian') {
      assert.match(s.kernelArgsTemplate ?? '', /auto=true priority=critical url=\{\{answer_url\}\}/);
      assert.ok(s.warnings.some((w) => /looks for the installer on a CD.*serve --netboot/.test(w)));
    }
    if (['rocky', 'alma', 'rhel'].includes(s.family)) assert.match(s.kernelArgsTemplate ?? '', /inst\.repo=\{\{repo_url\}\} inst\.ks=\{\{answer_url\}\}/);
    if (s.family === 'fedora') {
      assert.equal(s.variant, 'boot');
      assert.match(s.kernelArgsTemplate ?? '', /inst\.stage2=\{\{repo_url\}\}/);
      assert.ok(s.warnings.some((w) => /Boot-only/.test(w)));
    }
    if (s.family === 'centos' && s.version?.startsWith('7')) assert.ok(s.warnings.some((w) => /end of life/.test(w)));
    if (s.family === 'centos' && s.version === '9') assert.match(s.kernelArgsTemplate ?? '', /inst.repo=/);
    if (s.family === 'ubuntu-legacy') assert.ok(s.notes.some((n) => /netboot/.test(n)));
  });
}

test('detect: human-readable output names the OS and exits 0', { skip: !hasCommand('xorriso') && 'needs xorriso' }, async () => {
  const l = allDistroLayouts()[1]!;
  const built = await buildIso(l.spec, l.options);
  cleanups.push(built.cleanup);
  const { stdout } = await run(process.execPath, [CLI, 'iso', 'inspect', built.path], { cwd: ROOT });
  assert.match(stdout, /OS\s+Rocky Linux 9\.3 \[rocky\]/);
  assert.match(stdout, /Kernel\s+\/images\/pxeboot\/vmlinuz/);
  assert.match(stdout, /Firmware\s+BIOS \+ UEFI/);
});

test('detect: real Debian netboot kernel and initrd served byte for byte from a Debian 12 layout', { skip: (!hasRealKernel() && 'needs the Debian netboot images') || (!hasCommand('xorriso') && 'needs xorriso') }, async () => {
  const l = debianLayout(12, { realKernel: true });
  const built = await buildIso(l.spec, l.options);
  cleanups.push(built.cleanup);
  const s = await inspect(built.path);
  assert.equal(s.kernel, '/install.amd/vmlinuz');
  const image = await openIso(built.path);
  try {
    const source = image.asFileSource();
    for (const [isoPath, host] of [[s.kernel, REAL_KERNEL], [s.initrd, REAL_INITRD]] as const) {
      const want = await fsp.readFile(host);
      const st = await source.stat(isoPath ?? '');
      assert.equal(st?.size, want.length);
      // Read through the FileSource in odd-sized chunks, as a TFTP server with blksize 1468 would.
      const f = await source.open((isoPath ?? '').toUpperCase());
      assert.ok(f, 'case-insensitive open');
      const got = Buffer.alloc(f.size);
      for (let pos = 0; pos < f.size; pos += 1468) await f.read(got, pos, Math.min(1468, f.size - pos), pos);
      await f.close();
      assert.ok(got.equals(want), `${isoPath} differs from ${host}`);
    }
    // Debian's "debian -> ." symlink lets the image root act as a mirror's /debian.
    assert.equal((await source.stat('/debian/debian/dists/bookworm/Release'))?.path, '/dists/bookworm/Release');
    assert.equal(await source.stat('/../etc/passwd'), null);
    assert.equal(await source.stat('/nope'), null);
  } finally {
    await image.close();
  }
});

test('detect: Ubuntu 18.04 media without install/netboot falls back to install/ with a CD-initrd warning', { skip: !hasCommand('xorriso') && 'needs xorriso' }, async () => {
  const l = ubuntuLegacyLayout();
  const spec = Object.fromEntries(Object.entries(l.spec).filter(([k]) => !k.startsWith('install/netboot')));
  const built = await buildIso(spec, l.options);
  cleanups.push(built.cleanup);
  const s = await inspect(built.path);
  assert.equal(s.family, 'ubuntu-legacy');
  assert.equal(s.kernel, '/install/vmlinuz');
  assert.equal(s.initrd, '/install/initrd.gz');
  assert.ok(s.warnings.some((w) => /expects to boot from a CD/.test(w)));
});

test('detect: multi-arch Debian media lists every architecture and its boot files', { skip: !hasCommand('xorriso') && 'needs xorriso' }, async () => {
  const l = debianLayout(12);
  const spec = {
    ...l.spec,
    '.disk/info': 'Debian GNU/Linux 12.5.0 "Bookworm" - Official Multi-architecture amd64 i386 NETINST #1 20240210-11:28',
    'install.386/vmlinuz': 'i386 kernel\n',
    'install.386/initrd.gz': 'i386 initrd\n',
  };
  const built = await buildIso(spec, l.options);
  cleanups.push(built.cleanup);
  const s = await inspect(built.path);
  assert.equal(s.family, 'debian');
  assert.deepEqual(s.arches, ['amd64', 'i386']);
  assert.equal(s.arch, 'amd64');
  assert.deepEqual(s.bootFiles.map((b) => [b.arch, b.kernel]), [['amd64', '/install.amd/vmlinuz'], ['i386', '/install.386/vmlinuz']]);
  assert.ok(s.notes.some((n) => /Several architectures/.test(n)));
});

test('detect: an unknown bootable image is "unknown" with its kernel found through isolinux.cfg', { skip: !hasCommand('xorriso') && 'needs xorriso' }, async () => {
  const built = await buildIso(
    { 'isolinux/isolinux.bin': Buffer.alloc(4096, 1), 'isolinux/isolinux.cfg': 'default x\nlabel x\n  kernel /boot/krnl\n  append initrd=/boot/init.img quiet\n', 'boot/krnl': 'k\n', 'boot/init.img': 'i\n' },
    { volumeId: 'SOMETHING_ELSE', biosBoot: 'isolinux/isolinux.bin' },
  );
  cleanups.push(built.cleanup);
  const s = await inspect(built.path);
  assert.equal(s.family, 'unknown');
  assert.equal(s.kernel, '/boot/krnl');
  assert.equal(s.initrd, '/boot/init.img');
  assert.equal(s.answerFormat, null);
  assert.deepEqual(s.firmware, { bios: true, uefi: false });
  assert.ok(s.warnings.some((w) => /Unrecognised image/.test(w)));
});
