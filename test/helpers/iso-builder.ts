/**
 * Builds small test ISOs with xorriso (or genisoimage for UDF bridges) from generated trees in temp dirs,
 * so the repo ships no images. Also holds the installer layouts (Rocky, Alma, RHEL, CentOS, Fedora,
 * Debian, Ubuntu) written from the formats' documentation: .treeinfo (productmd), .discinfo, .disk/info.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A file's content: text, bytes, N zero bytes (sparse), a symlink, or a copy of a host file. */
export type TreeItem = string | Buffer | { zeros: number } | { symlink: string } | { copyFrom: string } | { dir: true };
export type TreeSpec = Record<string, TreeItem>;

export interface IsoBuildOptions {
  volumeId?: string;
  /** Rock Ridge (default true). */
  rockRidge?: boolean;
  /** Joliet (default true). */
  joliet?: boolean;
  isoLevel?: 1 | 2 | 3;
  /** Path inside the tree of a BIOS no-emulation boot image (isolinux.bin). */
  biosBoot?: string;
  /** Path inside the tree of a UEFI boot image (efiboot.img). */
  efiBoot?: string;
  /** genisoimage with -udf: an ISO 9660 + UDF bridge image. */
  udfBridge?: boolean;
  extraArgs?: string[];
}

export interface BuiltIso {
  path: string;
  treeDir: string;
  dir: string;
  cleanup(): Promise<void>;
}

export const DEBIAN_NETBOOT_DIR = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64';
export const REAL_KERNEL = join(DEBIAN_NETBOOT_DIR, 'linux');
export const REAL_INITRD = join(DEBIAN_NETBOOT_DIR, 'initrd.gz');
export const hasRealKernel = (): boolean => existsSync(REAL_KERNEL) && existsSync(REAL_INITRD);

/** Deterministic pseudo-random bytes, so a test can check content without storing it. */
export function patternBytes(length: number, seed = 1): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export async function makeTempDir(prefix = 'fieldboot-iso-'): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), prefix));
}

export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  await fsp.mkdir(root, { recursive: true });
  for (const [rel, item] of Object.entries(spec)) {
    const p = join(root, rel.replace(/^\/+/, ''));
    if (typeof item === 'object' && !Buffer.isBuffer(item) && 'dir' in item) {
      await fsp.mkdir(p, { recursive: true });
      continue;
    }
    await fsp.mkdir(dirname(p), { recursive: true });
    if (typeof item === 'string' || Buffer.isBuffer(item)) await fsp.writeFile(p, item);
    else if ('zeros' in item) {
      await fsp.writeFile(p, '');
      await fsp.truncate(p, item.zeros);
    } else if ('symlink' in item) await fsp.symlink(item.symlink, p);
    else await fsp.copyFile(item.copyFrom, p);
  }
}

/** Runs xorriso/genisoimage over a tree directory into `out`. */
export async function mastering(treeDir: string, out: string, o: IsoBuildOptions = {}): Promise<void> {
  const args: string[] = [];
  // xorriso writes Rock Ridge unless told --norock; genisoimage only with -R.
  if (o.rockRidge !== false) args.push('-R');
  else if (!o.udfBridge) args.push('--norock');
  if (o.joliet !== false) args.push('-J', '-joliet-long');
  if (o.isoLevel) args.push('-iso-level', String(o.isoLevel));
  args.push('-V', o.volumeId ?? 'FIELDBOOT_TEST');
  if (o.biosBoot) args.push('-b', o.biosBoot, '-c', 'boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table');
  if (o.efiBoot) args.push(...(o.biosBoot ? ['-eltorito-alt-boot'] : ['-c', 'boot.cat']), '-e', o.efiBoot, '-no-emul-boot');
  args.push(...(o.extraArgs ?? []));
  if (o.udfBridge) {
    await run('genisoimage', ['-quiet', '-udf', ...args, '-o', out, treeDir], { maxBuffer: 16 << 20 });
  } else {
    await run('xorriso', ['-as', 'mkisofs', '-quiet', ...args, '-o', out, treeDir], { maxBuffer: 16 << 20 });
  }
}

/**
 * Masters to stdout and writes the image as a sparse file: runs of zero blocks become holes. A 4.5 GB
 * image of sparse payloads then costs a few MB of disk and seconds instead of minutes.
 */
export async function masteringSparse(treeDir: string, out: string, o: IsoBuildOptions = {}): Promise<number> {
  const args: string[] = ['-as', 'mkisofs', '-quiet'];
  if (o.rockRidge !== false) args.push('-R');
  else args.push('--norock');
  if (o.joliet !== false) args.push('-J', '-joliet-long');
  if (o.isoLevel) args.push('-iso-level', String(o.isoLevel));
  args.push('-V', o.volumeId ?? 'FIELDBOOT_TEST', ...(o.extraArgs ?? []), '-o', '-', treeDir);
  const fh = await fsp.open(out, 'w');
  const BLOCK = 64 * 1024;
  let pos = 0;
  let pending: Buffer = Buffer.alloc(0);
  const flush = async (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i += BLOCK) {
      const piece = chunk.subarray(i, i + BLOCK);
      // A zero block is skipped: the hole reads back as zeros.
      if (!isZero(piece)) await fh.write(piece, 0, piece.length, pos);
      pos += piece.length;
    }
  };
  try {
    const child = spawn('xorriso', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for await (const d of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      const whole = pending.length - (pending.length % BLOCK);
      if (whole > 0) {
        await flush(pending.subarray(0, whole));
        pending = Buffer.from(pending.subarray(whole));
      }
    }
    await flush(pending);
    const code = await exited;
    if (code !== 0) throw new Error(`xorriso exited ${code}: ${stderr}`);
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
  return pos;
}

const ZERO_BLOCK = Buffer.alloc(64 * 1024);

function isZero(b: Buffer): boolean {
  // Buffer.equals is a native memcmp: gigabytes per second, unlike a JS byte loop.
  return b.length === ZERO_BLOCK.length ? b.equals(ZERO_BLOCK) : b.equals(ZERO_BLOCK.subarray(0, b.length));
}

/** Writes `spec` into a temp dir and masters it. Call cleanup() when done. */
export async function buildIso(spec: TreeSpec, o: IsoBuildOptions = {}): Promise<BuiltIso> {
  const dir = await makeTempDir();
  const treeDir = join(dir, 'tree');
  await writeTree(treeDir, spec);
  const path = join(dir, 'image.iso');
  try {
    await mastering(treeDir, path, o);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { path, treeDir, dir, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
}

/**
 * A UDF-only image (no ISO 9660 at all, like the UDF part of Windows media): mkudffs formats a file and
 * udfclient (userspace, no mount or loop device) copies the tree in. Returns null if the tools are missing.
 */
export async function buildUdfOnly(spec: TreeSpec, o: { sizeMb?: number; revision?: string; label?: string } = {}): Promise<BuiltIso | null> {
  if (!existsSync('/usr/sbin/mkudffs') && !existsSync('/usr/bin/mkudffs')) return null;
  const dir = await makeTempDir('fieldboot-udf-');
  const treeDir = join(dir, 'tree');
  // udfclient copies what symlinks point to (and fails on dangling ones): leave them out.
  await writeTree(treeDir, Object.fromEntries(Object.entries(spec).filter(([, v]) => !(typeof v === 'object' && !Buffer.isBuffer(v) && 'symlink' in v))));
  const path = join(dir, 'image.udf');
  await fsp.writeFile(path, '');
  await fsp.truncate(path, (o.sizeMb ?? 128) * 1024 * 1024);
  try {
    await run('mkudffs', ['--media-type=hd', `--udfrev=${o.revision ?? '0x0201'}`, `--label=${o.label ?? 'UDFTEST'}`, '--blocksize=2048', path]);
    // udfclient mounts the volume under a generated name; read it, then cd there and put the tree.
    const ls = await runWithInput('udfclient', ['-b', '2048', path], 'ls\nquit\n');
    const vol = /^d\S*\s+\S+\s+\S+\s+\S+\s+(\S+LinuxUDF\S*)$/m.exec(ls)?.[1];
    if (!vol) throw new Error(`udfclient did not show the volume:\n${ls}`);
    const names = (await fsp.readdir(treeDir)).map((n) => `"${n}"`).join(' ');
    const out = await runWithInput('udfclient', ['-b', '2048', '-W', path], `cd "${vol}"\nlcd "${treeDir}"\nmput ${names}\nquit\n`);
    if (/error|can't|couldn't/i.test(out)) throw new Error(`udfclient failed:\n${out}`);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { path, treeDir, dir, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
}

function runWithInput(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
    child.stdin?.end(input);
  });
}

// ---------------------------------------------------------------------------------------------------
// Installer layouts. Small fake payloads unless `realKernel` asks for the Debian netboot kernel/initrd.

export interface LayoutOptions {
  realKernel?: boolean;
}

export interface Layout {
  name: string;
  spec: TreeSpec;
  options: IsoBuildOptions;
  /** What `iso inspect --json` must report. */
  expect: { family: string; version: string; arch: string; kernel: string; initrd: string; answerFormat: string; installTreeRoot: string | null };
}

function payload(o: LayoutOptions, which: 'kernel' | 'initrd', tag: string): TreeItem {
  if (o.realKernel && hasRealKernel()) return { copyFrom: which === 'kernel' ? REAL_KERNEL : REAL_INITRD };
  return `${which} for ${tag}\n`;
}

const BOOT_BLOB = patternBytes(2048, 7);
const EFI_IMG = patternBytes(4096, 9);

function treeinfoProductmd(r: { name: string; short: string; version: string; arch: string; variants: string[]; stage2: boolean }): string {
  // productmd treeinfo 1.2 ([header], [release], [tree], [images-ARCH], [stage2], [variant-X]) plus the
  // legacy [general] section Anaconda still writes for older tools.
  const v = r.variants;
  return [
    '[header]',
    'type = productmd.treeinfo',
    'version = 1.2',
    '',
    '[release]',
    `name = ${r.name}`,
    `short = ${r.short}`,
    `version = ${r.version}`,
    '',
    '[tree]',
    `arch = ${r.arch}`,
    'build_timestamp = 1700000000',
    `platforms = ${r.arch},xen`,
    `variants = ${v.join(',')}`,
    '',
    '[general]',
    `; WARNING.0 = This section provides compatibility with pre-productmd treeinfos.`,
    `arch = ${r.arch}`,
    `family = ${r.name}`,
    `name = ${r.name} ${r.version}`,
    'packagedir = ',
    `platforms = ${r.arch},xen`,
    'timestamp = 1700000000',
    `variant = ${v[0] ?? ''}`,
    `variants = ${v.join(',')}`,
    `version = ${r.version}`,
    '',
    `[images-${r.arch}]`,
    'efiboot.img = images/efiboot.img',
    'initrd = images/pxeboot/initrd.img',
    'kernel = images/pxeboot/vmlinuz',
    '',
    '[images-xen]',
    'initrd = images/pxeboot/initrd.img',
    'kernel = images/pxeboot/vmlinuz',
    '',
    ...(r.stage2 ? ['[stage2]', 'mainimage = images/install.img', ''] : []),
    ...v.flatMap((name) => [`[variant-${name}]`, `id = ${name}`, `name = ${name}`, `packages = ${name}/Packages`, `repository = ${name}`, 'type = variant', `uid = ${name}`, '']),
  ].join('\n');
}

function anacondaBoot(tag: string, o: LayoutOptions): TreeSpec {
  return {
    'images/pxeboot/vmlinuz': payload(o, 'kernel', tag),
    'images/pxeboot/initrd.img': payload(o, 'initrd', tag),
    'images/efiboot.img': EFI_IMG,
    'isolinux/isolinux.bin': BOOT_BLOB,
    'isolinux/isolinux.cfg': `default vesamenu.c32\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=${tag} quiet\n`,
    'isolinux/vmlinuz': `kernel for ${tag}\n`,
    'isolinux/initrd.img': `initrd for ${tag}\n`,
    'EFI/BOOT/BOOTX64.EFI': 'shim\n',
    'EFI/BOOT/grubx64.efi': 'grub\n',
    'EFI/BOOT/grub.cfg': `menuentry 'Install' {\n  linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=${tag} quiet\n  initrdefi /images/pxeboot/initrd.img\n}\n`,
  };
}

function rhel8Plus(name: string, short: string, version: string, volumeId: string, o: LayoutOptions, dvd = true): Layout {
  const variants = dvd ? ['AppStream', 'BaseOS'] : ['BaseOS'];
  const spec: TreeSpec = {
    ...anacondaBoot(volumeId, o),
    '.treeinfo': treeinfoProductmd({ name, short, version, arch: 'x86_64', variants, stage2: true }),
    '.discinfo': `1700000000.000000\n${version}\nx86_64\n`,
    'images/install.img': patternBytes(8192, 3),
  };
  if (dvd) {
    spec['media.repo'] = `[InstallMedia]\nname=${name} ${version}\nmediaid=None\nmetadata_expire=-1\ngpgcheck=0\ncost=500\n`;
    for (const v of variants) {
      spec[`${v}/repodata/repomd.xml`] = `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1700000000</revision></repomd>\n`;
      spec[`${v}/Packages/b/bash-5.1.8-6.el9.x86_64.rpm`] = patternBytes(3000, v.length);
    }
  }
  return {
    name: `${short.toLowerCase()}-${version}`,
    spec,
    options: { volumeId, biosBoot: 'isolinux/isolinux.bin', efiBoot: 'images/efiboot.img' },
    expect: { family: '', version, arch: 'x86_64', kernel: '/images/pxeboot/vmlinuz', initrd: '/images/pxeboot/initrd.img', answerFormat: 'kickstart', installTreeRoot: '/' },
  };
}

export function rockyLayout(major: 8 | 9, o: LayoutOptions = {}): Layout {
  const version = major === 9 ? '9.3' : '8.9';
  const l = rhel8Plus('Rocky Linux', 'Rocky', version, `Rocky-${version.replace('.', '-')}-x86_64-dvd`, o);
  l.expect.family = 'rocky';
  return l;
}

export function almaLayout(major: 8 | 9, o: LayoutOptions = {}): Layout {
  const version = major === 9 ? '9.3' : '8.9';
  const l = rhel8Plus('AlmaLinux', 'AlmaLinux', version, `AlmaLinux-${version.replace('.', '-')}-x86_64-dvd`, o);
  l.expect.family = 'alma';
  return l;
}

export function rhelLayout(o: LayoutOptions = {}): Layout {
  const l = rhel8Plus('Red Hat Enterprise Linux', 'RHEL', '9.3', 'RHEL-9-3-0-BaseOS-x86_64', o);
  l.expect.family = 'rhel';
  return l;
}

export function fedoraLayout(o: LayoutOptions = {}): Layout {
  // Fedora Server netinst: a boot image (installer only, packages from the network).
  const l = rhel8Plus('Fedora', 'Fedora', '39', 'Fedora-S-dvd-x86_64-39', o, false);
  l.name = 'fedora-39-netinst';
  l.expect.family = 'fedora';
  return l;
}

export function centosStreamLayout(o: LayoutOptions = {}): Layout {
  const l = rhel8Plus('CentOS Stream', 'CentOS-Stream', '9', 'CentOS-Stream-9-BaseOS-x86_64', o);
  l.name = 'centos-stream-9';
  l.expect.family = 'centos';
  return l;
}

export function centos7Layout(o: LayoutOptions = {}): Layout {
  // Pre-productmd .treeinfo as CentOS 7 media carry it; stage2 is LiveOS/squashfs.img.
  const treeinfo = [
    '[general]',
    'name = CentOS-7',
    'family = CentOS',
    'timestamp = 1604080000.00',
    'variant = ',
    'version = 7',
    'packagedir = ',
    'arch = x86_64',
    '',
    '[stage2]',
    'mainimage = LiveOS/squashfs.img',
    '',
    '[images-x86_64]',
    'kernel = images/pxeboot/vmlinuz',
    'initrd = images/pxeboot/initrd.img',
    'boot.iso = images/boot.iso',
    '',
    '[images-xen]',
    'kernel = images/pxeboot/vmlinuz',
    'initrd = images/pxeboot/initrd.img',
    '',
  ].join('\n');
  return {
    name: 'centos-7',
    spec: {
      ...anacondaBoot('CentOS 7 x86_64', o),
      '.treeinfo': treeinfo,
      '.discinfo': '1604080000.000000\n7.9\nx86_64\n1\n',
      'LiveOS/squashfs.img': patternBytes(8192, 5),
      'repodata/repomd.xml': '<?xml version="1.0" encoding="UTF-8"?>\n<repomd/>\n',
      'Packages/bash-4.2.46-34.el7.x86_64.rpm': patternBytes(3000, 11),
      'CentOS_BuildTag': '20201030-1907\n',
    },
    options: { volumeId: 'CentOS 7 x86_64', biosBoot: 'isolinux/isolinux.bin', efiBoot: 'images/efiboot.img' },
    expect: { family: 'centos', version: '7.9', arch: 'x86_64', kernel: '/images/pxeboot/vmlinuz', initrd: '/images/pxeboot/initrd.img', answerFormat: 'kickstart', installTreeRoot: '/' },
  };
}

export function debianLayout(major: 11 | 12, o: LayoutOptions = {}): Layout {
  const r = major === 12 ? { v: '12.5.0', code: 'bookworm', Code: 'Bookworm', kind: 'NETINST with firmware', vol: 'Debian 12.5.0 amd64 n' } : { v: '11.9.0', code: 'bullseye', Code: 'Bullseye', kind: 'DVD Binary-1', vol: 'Debian 11.9.0 amd64 1' };
  return {
    name: `debian-${major}`,
    spec: {
      '.disk/info': `Debian GNU/Linux ${r.v} "${r.Code}" - Official amd64 ${r.kind} 20240210-11:27`,
      '.disk/base_installable': '',
      '.disk/cd_type': major === 12 ? 'not_complete' : 'full_cd',
      '.disk/udeb_include': 'netcfg\nethdetect\n',
      'install.amd/vmlinuz': payload(o, 'kernel', 'debian'),
      'install.amd/initrd.gz': payload(o, 'initrd', 'debian'),
      'install.amd/gtk/vmlinuz': 'gtk kernel\n',
      'install.amd/gtk/initrd.gz': 'gtk initrd\n',
      'install.amd/xen/vmlinuz': 'xen kernel\n',
      'isolinux/isolinux.bin': BOOT_BLOB,
      'isolinux/isolinux.cfg': 'path \ninclude menu.cfg\ndefault vesamenu.c32\nprompt 0\ntimeout 0\n',
      'isolinux/txt.cfg': 'label install\n\tmenu label ^Install\n\tkernel /install.amd/vmlinuz\n\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet \n',
      'boot/grub/grub.cfg': "menuentry 'Install' {\n    linux    /install.amd/vmlinuz vga=788 --- quiet\n    initrd   /install.amd/initrd.gz\n}\n",
      'boot/grub/efi.img': EFI_IMG,
      'EFI/boot/bootx64.efi': 'shim\n',
      'EFI/boot/grubx64.efi': 'grub\n',
      [`dists/${r.code}/Release`]: `Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: ${r.code}\nArchitectures: amd64\nComponents: main\n`,
      [`dists/${r.code}/main/binary-amd64/Release`]: 'Archive: stable\nComponent: main\nArchitecture: amd64\n',
      'pool/main/b/bash/bash_5.2.15-2+b2_amd64.deb': patternBytes(4000, 13),
      'md5sum.txt': '0123456789abcdef0123456789abcdef  ./README.txt\n',
      'README.txt': `Debian GNU/Linux ${r.v}\n`,
      debian: { symlink: '.' },
    },
    options: { volumeId: r.vol, biosBoot: 'isolinux/isolinux.bin', efiBoot: 'boot/grub/efi.img' },
    expect: { family: 'debian', version: r.v, arch: 'amd64', kernel: '/install.amd/vmlinuz', initrd: '/install.amd/initrd.gz', answerFormat: 'preseed', installTreeRoot: '/' },
  };
}

export function ubuntuLiveLayout(release: '22.04' | '24.04', o: LayoutOptions = {}): Layout {
  const r = release === '22.04' ? { v: '22.04.4', code: 'jammy', Code: 'Jammy Jellyfish', date: '20240216' } : { v: '24.04.1', code: 'noble', Code: 'Noble Numbat', date: '20240827' };
  return {
    name: `ubuntu-${release}-live-server`,
    spec: {
      '.disk/info': `Ubuntu-Server ${r.v} LTS "${r.Code}" - Release amd64 (${r.date})`,
      '.disk/base_installable': '',
      '.disk/cd_type': 'full_cd/single',
      'casper/vmlinuz': payload(o, 'kernel', 'ubuntu'),
      'casper/initrd': payload(o, 'initrd', 'ubuntu'),
      'casper/ubuntu-server-minimal.squashfs': patternBytes(8192, 17),
      'casper/ubuntu-server-minimal.ubuntu-server.squashfs': patternBytes(4096, 19),
      'casper/install-sources.yaml': '- default: true\n  id: ubuntu-server\n  type: fsimage\n',
      'boot/grub/grub.cfg': 'menuentry "Try or Install Ubuntu Server" {\n\tset gfxpayload=keep\n\tlinux\t/casper/vmlinuz  ---\n\tinitrd\t/casper/initrd\n}\n',
      'boot/grub/i386-pc/eltorito.img': BOOT_BLOB,
      'boot/grub/efi.img': EFI_IMG,
      'EFI/boot/bootx64.efi': 'shim\n',
      'EFI/boot/grubx64.efi': 'grub\n',
      [`dists/${r.code}/Release`]: `Origin: Ubuntu\nSuite: ${r.code}\nCodename: ${r.code}\n`,
      'pool/main/l/linux/linux-image-generic.deb': patternBytes(2000, 23),
      'md5sum.txt': '0123456789abcdef0123456789abcdef  ./casper/vmlinuz\n',
      ubuntu: { symlink: '.' },
    },
    options: { volumeId: `Ubuntu-Server ${r.v} LTS amd64`, biosBoot: 'boot/grub/i386-pc/eltorito.img', efiBoot: 'boot/grub/efi.img' },
    expect: { family: 'ubuntu-live-server', version: r.v, arch: 'amd64', kernel: '/casper/vmlinuz', initrd: '/casper/initrd', answerFormat: 'autoinstall', installTreeRoot: null },
  };
}

export function ubuntuLegacyLayout(o: LayoutOptions = {}): Layout {
  return {
    name: 'ubuntu-18.04-legacy',
    spec: {
      '.disk/info': 'Ubuntu-Server 18.04.5 LTS "Bionic Beaver" - Release amd64 (20200806.1)',
      '.disk/base_installable': '',
      '.disk/cd_type': 'full_cd',
      'install/vmlinuz': 'cd kernel\n',
      'install/initrd.gz': 'cd initrd\n',
      'install/netboot/pxelinux.0': { symlink: 'ubuntu-installer/amd64/pxelinux.0' },
      'install/netboot/ubuntu-installer/amd64/linux': payload(o, 'kernel', 'ubuntu-legacy'),
      'install/netboot/ubuntu-installer/amd64/initrd.gz': payload(o, 'initrd', 'ubuntu-legacy'),
      'install/netboot/ubuntu-installer/amd64/pxelinux.0': patternBytes(1024, 29),
      'isolinux/isolinux.bin': BOOT_BLOB,
      'isolinux/txt.cfg': 'default install\nlabel install\n  kernel /install/vmlinuz\n  append  file=/cdrom/preseed/ubuntu-server.seed vga=788 initrd=/install/initrd.gz quiet ---\n',
      'preseed/ubuntu-server.seed': '# Suggest LVM by default.\nd-i\tpartman-auto/init_automatically_partition\tstring some_device_lvm\n',
      'boot/grub/efi.img': EFI_IMG,
      'EFI/BOOT/BOOTx64.EFI': 'shim\n',
      'dists/bionic/Release': 'Origin: Ubuntu\nSuite: bionic\n',
      'pool/main/b/bash/bash_4.4.18-2ubuntu1_amd64.deb': patternBytes(2000, 31),
      ubuntu: { symlink: '.' },
    },
    options: { volumeId: 'Ubuntu-Server 18.04.5 LTS amd64', biosBoot: 'isolinux/isolinux.bin', efiBoot: 'boot/grub/efi.img' },
    expect: {
      family: 'ubuntu-legacy',
      version: '18.04.5',
      arch: 'amd64',
      kernel: '/install/netboot/ubuntu-installer/amd64/linux',
      initrd: '/install/netboot/ubuntu-installer/amd64/initrd.gz',
      answerFormat: 'preseed',
      installTreeRoot: '/',
    },
  };
}

export function allDistroLayouts(o: LayoutOptions = {}): Layout[] {
  return [
    rockyLayout(8, o),
    rockyLayout(9, o),
    almaLayout(8, o),
    almaLayout(9, o),
    rhelLayout(o),
    centos7Layout(o),
    centosStreamLayout(o),
    fedoraLayout(o),
    debianLayout(11, o),
    debianLayout(12, o),
    ubuntuLiveLayout('22.04', o),
    ubuntuLiveLayout('24.04', o),
    ubuntuLegacyLayout(o),
  ];
}

/** A general-purpose tree: long and UTF-8 names, a symlink, nested dirs, a multi-sector file. */
export function sampleTree(): TreeSpec {
  return {
    'README.TXT': 'hello\n',
    'a-rather-long-file-name-that-does-not-fit-eight-dot-three.txt': 'long name\n',
    'Ünïcödé-名前.txt': 'utf-8 name\n',
    'MixedCase/Sub Dir/file.bin': patternBytes(70_000, 2),
    'empty.dat': '',
    'noext': 'no extension\n',
    'dir.with.dots/inner.cfg': 'x=1\n',
    'link-to-readme': { symlink: 'README.TXT' },
    'abs-link': { symlink: '/MixedCase/Sub Dir/file.bin' },
  };
}

/** A chain deeper than ISO 9660's 8 levels: mkisofs relocates it under RR_MOVED (Rock Ridge CL/PL/RE). */
export function deepTree(levels = 12): TreeSpec {
  const parts = Array.from({ length: levels }, (_, i) => `level${i + 1}`);
  return { [`${parts.join('/')}/deep.txt`]: 'at the bottom\n', [`${parts.slice(0, 4).join('/')}/mid.txt`]: 'middle\n' };
}
