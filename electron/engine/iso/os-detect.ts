/**
 * Recognises the installer on an image and says how to network-boot it, as a plain IsoSummary.
 * Evidence, strongest first: .treeinfo (Anaconda: RHEL, Rocky, Alma, CentOS, Fedora), .disk/info
 * (Debian and Ubuntu), the layout (casper/, install.amd/, install/netboot/, images/pxeboot/), .discinfo,
 * isolinux/GRUB configs, and the volume id. Reads only a few small files, so it takes milliseconds on a
 * 10 GB DVD.
 */
import { AnswerFormat, OsFamily, type IsoBootEntrySummary, type IsoBootFiles, type IsoSummary } from '../../../shared/model/iso-summary';
import type { IsoImage } from './iso-image';
import { EntryType } from './volume-tree';

/** INI as written by productmd (.treeinfo): sections of key = value; ';' and '#' start comments. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      const name = (sec[1] ?? '').trim().toLowerCase();
      cur = out.get(name) ?? new Map();
      out.set(name, cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && cur) cur.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

export interface DiskInfo {
  name: string;
  version: string | null;
  codename: string | null;
  arches: string[];
  flavour: string | null;
}

const DEB_ARCHES = ['amd64', 'i386', 'arm64', 'armhf', 'armel', 'ppc64el', 's390x', 'riscv64', 'mips64el'] as const;

/**
 * .disk/info, one line: `Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 NETINST with firmware 20240210-11:27`
 * or `Ubuntu-Server 22.04.4 LTS "Jammy Jellyfish" - Release amd64 (20240216)`.
 */
export function parseDiskInfo(text: string): DiskInfo {
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  const quote = line.indexOf('"');
  const head = (quote > 0 ? line.slice(0, quote) : line).trim();
  const version = /\b(\d+(?:\.\d+)+|\d+)\b/.exec(head)?.[1] ?? null;
  const codename = /"([^"]+)"/.exec(line)?.[1] ?? null;
  const tail = quote > 0 ? line.slice(line.indexOf('"', quote + 1) + 1) : line;
  const arches = DEB_ARCHES.filter((a) => new RegExp(`\\b${a}\\b`).test(tail));
  const flavour = /\b(NETINST|DVD|BD|CD|DLBD|live|Release|Beta|Daily)\b/i.exec(tail)?.[1] ?? null;
  return { name: head, version, codename, arches: [...arches], flavour };
}

/** Anaconda family names in .treeinfo ([release] name / [general] family) -> our families. */
function anacondaFamily(name: string, short: string): OsFamily {
  const n = `${name} ${short}`.toLowerCase();
  if (n.includes('rocky')) return OsFamily.Rocky;
  if (n.includes('alma')) return OsFamily.Alma;
  if (n.includes('centos')) return OsFamily.CentOs;
  if (n.includes('fedora')) return OsFamily.Fedora;
  if (n.includes('red hat') || /\brhel\b/.test(n)) return OsFamily.Rhel;
  return OsFamily.Unknown;
}

/** Debian ports: install.<dir> per architecture on CD/DVD images. */
const DEBIAN_INSTALL_DIRS: readonly [string, string][] = [
  ['amd64', '/install.amd'],
  ['i386', '/install.386'],
  ['arm64', '/install.a64'],
  ['ppc64el', '/install.ppc'],
  ['s390x', '/install.s390x'],
];

/** Names we look for in the boot catalog's image, to name it. */
const BOOT_IMAGE_DIRS = ['/', '/isolinux', '/images', '/boot', '/boot/grub', '/boot/grub/i386-pc', '/EFI/BOOT', '/efi/boot'];

interface Detected {
  family: OsFamily;
  name: string;
  version: string | null;
  arch: string | null;
  arches: string[];
  variant: string | null;
  bootFiles: IsoBootFiles[];
  installTreeRoot: string | null;
  answerFormat: AnswerFormat | null;
  kernelArgsTemplate: string | null;
  minRamMb: number | null;
  warnings: string[];
  notes: string[];
  evidence: string[];
}

const blank = (): Detected => ({
  family: OsFamily.Unknown,
  name: '',
  version: null,
  arch: null,
  arches: [],
  variant: null,
  bootFiles: [],
  installTreeRoot: null,
  answerFormat: null,
  kernelArgsTemplate: null,
  minRamMb: null,
  warnings: [],
  notes: [],
  evidence: [],
});

const abs = (p: string) => (p.startsWith('/') ? p : `/${p}`);

async function isFile(image: IsoImage, path: string): Promise<string | null> {
  const s = await image.stat(path).catch(() => null);
  return s && s.type === EntryType.File ? s.path : null;
}

async function isDir(image: IsoImage, path: string): Promise<boolean> {
  const s = await image.stat(path).catch(() => null);
  return !!s && s.type === EntryType.Directory;
}

async function firstFile(image: IsoImage, paths: readonly string[]): Promise<string | null> {
  for (const p of paths) {
    const f = await isFile(image, p);
    if (f) return f;
  }
  return null;
}

async function readText(image: IsoImage, path: string): Promise<string | null> {
  return image.readText(path, 256 * 1024).catch(() => null);
}

/** Anaconda media: .treeinfo (productmd 1.x, or the older CentOS 7 layout), then .discinfo. */
async function detectAnaconda(image: IsoImage, d: Detected): Promise<boolean> {
  const tiText = await readText(image, '/.treeinfo');
  const discinfo = await readText(image, '/.discinfo');
  if (!tiText && !discinfo) return false;
  const ti = parseIni(tiText ?? '');
  const release = ti.get('release');
  const general = ti.get('general');
  const tree = ti.get('tree');
  const releaseName = release?.get('name') ?? general?.get('family') ?? '';
  const short = release?.get('short') ?? '';
  const dLines = (discinfo ?? '').split(/\r?\n/).map((l) => l.trim());
  const discVersion = dLines[1] ? (/(\d+(?:\.\d+)*)/.exec(dLines[1])?.[1] ?? null) : null;
  d.version = release?.get('version') ?? general?.get('version') ?? discVersion;
  // CentOS 7 writes "version = 7" in .treeinfo but the point release ("7.9") in .discinfo: take the finer one.
  if (d.version && discVersion && discVersion.startsWith(`${d.version}.`)) d.version = discVersion;
  d.arch = tree?.get('arch') ?? general?.get('arch') ?? (dLines[2] || null);
  d.family = anacondaFamily(releaseName || image.info.volumeId, short);
  if (d.family === OsFamily.Unknown && !tiText) return false;
  if (tiText) d.evidence.push('.treeinfo');
  if (discinfo) d.evidence.push('.discinfo');
  d.name = [releaseName || general?.get('name') || 'Anaconda installer', d.version].filter(Boolean).join(' ');

  // Kernel and initrd per architecture: [images-<arch>] (productmd) then the usual place.
  for (const [section, keys] of ti) {
    if (!section.startsWith('images-')) continue;
    const arch = section.slice('images-'.length);
    if (arch === 'xen') continue; // same files as the main arch, for Xen PV
    const k = keys.get('kernel');
    const i = keys.get('initrd');
    if (k && i && (await isFile(image, abs(k))) && (await isFile(image, abs(i)))) d.bootFiles.push({ arch, kernel: abs(k), initrd: abs(i) });
  }
  if (d.bootFiles.length === 0) {
    const k = await isFile(image, '/images/pxeboot/vmlinuz');
    const i = await isFile(image, '/images/pxeboot/initrd.img');
    if (k && i) d.bootFiles.push({ arch: d.arch ?? 'x86_64', kernel: k, initrd: i });
    else d.warnings.push('No kernel and initrd found (expected images/pxeboot/vmlinuz and initrd.img).');
  }
  d.arches = [...new Set(d.bootFiles.map((b) => b.arch).concat(d.arch ? [d.arch] : []))];

  // A DVD carries repositories (repodata at the root, or BaseOS/AppStream variants); a boot ISO only stage2.
  const variants = (tree?.get('variants') ?? general?.get('variants') ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  const repoDirs = ['/repodata/repomd.xml', ...variants.map((v) => `/${ti.get(`variant-${v.toLowerCase()}`)?.get('repository') ?? v}/repodata/repomd.xml`)];
  const hasRepo = (await firstFile(image, repoDirs)) !== null;
  const stage2 = ti.get('stage2')?.get('mainimage');
  d.installTreeRoot = hasRepo || stage2 ? '/' : null;
  d.variant = hasRepo ? 'dvd' : 'boot';
  d.answerFormat = AnswerFormat.Kickstart;
  const major = Number.parseInt(d.version ?? '', 10);
  if (d.family === OsFamily.CentOs && major === 7) {
    // RHEL 7 anaconda takes inst.* (ks= and method= still work as legacy aliases).
    d.kernelArgsTemplate = 'inst.repo={{repo_url}} inst.ks={{answer_url}} ip=dhcp';
    d.notes.push('CentOS 7 also accepts the older ks= and method= arguments; inst.ks/inst.repo are used here.');
    d.warnings.push('CentOS 7 reached end of life on 2024-06-30: no updates, and its mirrors moved to vault.centos.org.');
    d.minRamMb = 2048;
  } else {
    d.kernelArgsTemplate = hasRepo ? 'inst.repo={{repo_url}} inst.ks={{answer_url}} ip=dhcp' : 'inst.stage2={{repo_url}} inst.ks={{answer_url}} ip=dhcp';
    // RHEL 8/9 installation guides: 3 GiB for installs from an HTTP/FTP source (1.5 GiB from local media).
    d.minRamMb = d.family === OsFamily.Fedora ? 2048 : 3072;
  }
  if (!hasRepo) {
    d.warnings.push('Boot-only image: it holds the installer but no packages. The kickstart must name a network repository (url --mirrorlist=... or url --url=...), or use the full DVD image.');
  }
  if (stage2) d.notes.push(`Installer stage 2: /${stage2.replace(/^\//, '')}.`);
  if (d.family === OsFamily.Unknown) d.notes.push(`Anaconda-based media (".treeinfo" family "${releaseName}") that FieldBoot does not know by name; kickstart is assumed.`);
  return true;
}

/** Debian and Ubuntu media: .disk/info plus the layout. */
async function detectDebianLike(image: IsoImage, d: Detected): Promise<boolean> {
  const infoText = await readText(image, '/.disk/info');
  const vol = image.info.volumeId;
  const info = infoText ? parseDiskInfo(infoText) : null;
  const isUbuntu = /ubuntu/i.test(info?.name ?? vol);
  const isDebian = /debian/i.test(info?.name ?? vol);
  const casperKernel = await firstFile(image, ['/casper/vmlinuz', '/casper/vmlinuz.efi']);
  if (!info && !casperKernel && !(await isDir(image, '/install.amd'))) return false;
  if (infoText) d.evidence.push('.disk/info');
  d.name = info?.name ?? vol;
  d.version = info?.version ?? /\b(\d+(?:\.\d+)+)\b/.exec(vol)?.[1] ?? null;
  d.arches = info?.arches.length ? info.arches : DEB_ARCHES.filter((a) => vol.includes(a));
  d.arch = d.arches[0] ?? null;
  if (info?.codename) d.notes.push(`Release "${info.codename}".`);

  if (casperKernel && (isUbuntu || !isDebian)) {
    // Subiquity live-server (20.04 and later): casper boots the ISO fetched whole into RAM (url=).
    const initrd = await firstFile(image, ['/casper/initrd', '/casper/initrd.gz', '/casper/initrd.lz', '/casper/initrd.img']);
    d.evidence.push('casper/');
    d.family = OsFamily.UbuntuLiveServer;
    d.variant = 'live-server';
    if (initrd) d.bootFiles.push({ arch: d.arch ?? 'amd64', kernel: casperKernel, initrd });
    else d.warnings.push('casper/ has a kernel but no initrd.');
    d.installTreeRoot = null;
    d.answerFormat = AnswerFormat.Autoinstall;
    // Ubuntu Server docs (netboot): the ISO over HTTP, NoCloud seed URL ending in "/", no second ISO download.
    d.kernelArgsTemplate = 'ip=dhcp url={{iso_url}} autoinstall ds=nocloud-net;s={{answer_url}} cloud-config-url=/dev/null';
    d.minRamMb = 4096;
    d.warnings.push('Ubuntu live-server downloads the whole ISO into RAM before installing: clients need at least 4 GB of memory.');
    d.notes.push('The image file itself is served over HTTP (url=); the answer URL must end with "/" (cloud-init fetches user-data and meta-data from it).');
    if (!/server/i.test(d.name) && !(await firstFile(image, ['/casper/ubuntu-server-minimal.squashfs', '/casper/filesystem.squashfs']))) {
      d.warnings.push('This looks like a desktop live image, not live-server: unattended installs may not work.');
    }
    return true;
  }

  const netboot = await (async () => {
    for (const a of [d.arch ?? 'amd64', ...d.arches]) {
      const base = `/install/netboot/ubuntu-installer/${a}`;
      const k = await isFile(image, `${base}/linux`);
      const i = await isFile(image, `${base}/initrd.gz`);
      if (k && i) return { arch: a, kernel: k, initrd: i };
    }
    return null;
  })();
  if (isUbuntu) {
    // 18.04 "alternative" (debian-installer) server media.
    d.family = OsFamily.UbuntuLegacy;
    d.variant = 'server';
    d.answerFormat = AnswerFormat.Preseed;
    d.kernelArgsTemplate = 'auto=true priority=critical url={{answer_url}} interface=auto';
    d.minRamMb = 1024;
    d.installTreeRoot = '/';
    if (netboot) {
      d.evidence.push('install/netboot/');
      d.bootFiles.push(netboot);
      d.notes.push('Uses the netboot kernel and initrd from install/netboot/; point the preseed mirror at the served image (it is an apt archive: dists/ and pool/).');
    } else {
      const k = await isFile(image, '/install/vmlinuz');
      const i = await isFile(image, '/install/initrd.gz');
      if (k && i) {
        d.bootFiles.push({ arch: d.arch ?? 'amd64', kernel: k, initrd: i });
        d.evidence.push('install/');
      }
      d.warnings.push("This image's install/initrd.gz expects to boot from a CD: over the network it needs the netboot initrd of the same release, or the image served as a mirror.");
    }
    return true;
  }

  // Debian CD/DVD/netinst.
  d.family = OsFamily.Debian;
  d.variant = info?.flavour ? info.flavour.toLowerCase() : null;
  d.answerFormat = AnswerFormat.Preseed;
  // Debian installation guide, appendix B.2.2: auto=true defers locale/keyboard questions until the
  // preseed is loaded; priority=critical hides the rest.
  d.kernelArgsTemplate = 'auto=true priority=critical url={{answer_url}} interface=auto';
  d.minRamMb = 1024;
  d.installTreeRoot = (await isDir(image, '/dists')) ? '/' : null;
  const found: string[] = [];
  for (const [arch, dir] of DEBIAN_INSTALL_DIRS) {
    const k = await isFile(image, `${dir}/vmlinuz`);
    const i = await isFile(image, `${dir}/initrd.gz`);
    if (k && i) {
      d.bootFiles.push({ arch, kernel: k, initrd: i });
      found.push(arch);
    }
  }
  if (d.bootFiles.length) d.evidence.push(`${DEBIAN_INSTALL_DIRS.find(([a]) => a === found[0])?.[1].slice(1)}/`);
  for (const a of found) if (!d.arches.includes(a)) d.arches.push(a);
  d.arch ??= found[0] ?? null;
  d.warnings.push(
    "Debian's CD/DVD initrd (install.*/initrd.gz) looks for the installer on a CD: over the network give the netboot.tar.gz of the same release with the image (drop it on the window, or serve --netboot FILE); the image is then the mirror.",
  );
  if (d.variant === 'netinst') d.notes.push('Netinst image: most packages come from a network mirror, so clients need Internet access or a local mirror.');
  return true;
}

/** Kernel and initrd named in isolinux or GRUB configs: the fallback for unknown media. */
async function detectFromBootConfigs(image: IsoImage, d: Detected): Promise<void> {
  const configs = ['/isolinux/isolinux.cfg', '/isolinux.cfg', '/isolinux/txt.cfg', '/syslinux/syslinux.cfg', '/boot/grub/grub.cfg', '/EFI/BOOT/grub.cfg'];
  for (const cfg of configs) {
    const text = await readText(image, cfg);
    if (!text) continue;
    const dir = cfg.slice(0, cfg.lastIndexOf('/')) || '/';
    const kernel = /^\s*(?:kernel|linux|linuxefi)\s+(\S+)/im.exec(text)?.[1];
    const initrd = /^\s*(?:initrd|initrdefi)\s+(\S+)/im.exec(text)?.[1] ?? /\binitrd=(\S+)/i.exec(text)?.[1]?.split(',')[0];
    if (!kernel || !initrd) continue;
    const resolve = (p: string) => (p.startsWith('/') ? p : `${dir === '/' ? '' : dir}/${p}`);
    const k = await isFile(image, resolve(kernel));
    const i = await isFile(image, resolve(initrd));
    if (k && i) {
      d.bootFiles.push({ arch: d.arch ?? 'unknown', kernel: k, initrd: i });
      d.evidence.push(cfg.slice(1));
      return;
    }
  }
}

/** Reads the image's boot information and installer layout into an IsoSummary. */
export async function detectOs(image: IsoImage): Promise<IsoSummary> {
  const d = blank();
  const known = (await detectAnaconda(image, d)) || (await detectDebianLike(image, d));
  if (!known) {
    d.name = image.info.volumeId || 'Unknown image';
    await detectFromBootConfigs(image, d);
    d.warnings.push('Unrecognised image: FieldBoot can serve its files, but does not know how to install it unattended.');
  }
  d.evidence.push('volume id');

  const bootEntries: IsoBootEntrySummary[] = [];
  for (const e of image.info.bootEntries) {
    const imagePath = await image.findFileAtSector(e.loadRba, BOOT_IMAGE_DIRS).catch(() => null);
    bootEntries.push({ platform: e.platform, emulation: e.emulation, imagePath });
  }
  const efiLoader = await firstFile(image, ['/EFI/BOOT/BOOTX64.EFI', '/EFI/BOOT/BOOTAA64.EFI', '/EFI/BOOT/BOOTIA32.EFI']);
  const firmware = { bios: bootEntries.some((e) => e.platform === 'bios'), uefi: bootEntries.some((e) => e.platform === 'uefi') || efiLoader !== null };
  if (d.arches.length > 1) d.notes.push(`Several architectures on one image: ${d.arches.join(', ')}. The boot files listed first are used unless you pick another.`);
  if (image.info.filesystem === 'udf') d.notes.push('Files are read from the UDF tree (the ISO 9660 tree is missing or a stub).');

  const primary = d.bootFiles.find((b) => b.arch === d.arch) ?? d.bootFiles[0] ?? null;
  return {
    path: image.path,
    sizeBytes: image.size,
    filesystem: image.info.filesystem,
    volumeId: image.info.volumeId,
    family: d.family,
    name: d.name,
    version: d.version,
    arch: d.arch ?? primary?.arch ?? null,
    arches: d.arches,
    variant: d.variant,
    kernel: primary?.kernel ?? null,
    initrd: primary?.initrd ?? null,
    bootFiles: d.bootFiles,
    installTreeRoot: d.installTreeRoot,
    answerFormat: d.answerFormat,
    kernelArgsTemplate: d.kernelArgsTemplate,
    minRamMb: d.minRamMb,
    firmware,
    bootEntries,
    fileCount: null,
    warnings: d.warnings,
    notes: d.notes,
    evidence: d.evidence,
  };
}
