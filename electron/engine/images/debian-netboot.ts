/**
 * Debian's CD/DVD/netinst initrd (install.<arch>/initrd.gz) looks for the installer on a CD and stops
 * when it boots over the network. The Debian installation guide's answer (section 4.5, "Preparing Files
 * for TFTP Net Booting") is the netboot kernel and initrd of the same release; the image itself then
 * serves as the package mirror (it is an apt archive: dists/ and pool/).
 *
 * This module reads a technician's netboot files (Debian's netboot.tar.gz, an unpacked netboot tree, or
 * the debian-installer-<N>-netboot-<arch> package's folder), finds each architecture's kernel and initrd,
 * reads the kernel's version from the bzImage header, and pairs it with the image whose installer udebs
 * were built for the same kernel ABI. A netboot kernel from another point release would boot, then fail
 * to load its kernel-module udebs from the image ("No kernel modules were found"), so a mismatch is an
 * error up front, not twenty minutes into a pallet of installs.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ErrorCode, FieldbootError } from '../../../shared/errors';

/** Where netboot archives are unpacked in the state folder (kernel and initrd only), shared by the image library and sessions. */
export const NETBOOT_CACHE_DIR_NAME = 'netboot-cache';

/** Debian architecture names a netboot tree uses as folder names (debian-installer/<arch>/). */
export const DEBIAN_NETBOOT_ARCHES = ['amd64', 'i386', 'arm64', 'armhf', 'ppc64el', 's390x', 'riscv64'] as const;

export interface NetbootKernel {
  arch: string;
  /** Absolute path of the kernel on disk (in the netboot folder, or in the extraction cache). */
  kernel: string;
  initrd: string;
  /** "6.1.0-50-amd64": the kernel ABI the udebs must match; null when the kernel's header has none. */
  kernelVersion: string | null;
}

export interface NetbootSet {
  /** What the technician gave (file or folder). */
  source: string;
  kernels: NetbootKernel[];
}

/** Linux x86 boot protocol (Documentation/arch/x86/boot.rst): the setup header fields we read. */
const BZIMAGE = {
  /** "HdrS" at 0x202. */
  magicOffset: 0x202,
  magic: 0x53726448,
  /** Boot protocol version at 0x206; kernel_version exists from 2.00 on. */
  versionOffset: 0x206,
  /** kernel_version at 0x20e: pointer to a NUL-terminated string, minus 0x200. */
  kernelVersionOffset: 0x20e,
  kernelVersionBase: 0x200,
  /** xloadflags at 0x236 (protocol 2.12+), bit 0 = XLF_KERNEL_64. */
  xloadflagsOffset: 0x236,
} as const;

/** The kernel release ("6.1.0-50-amd64") from an x86 bzImage's header, or null when it is not one. */
export function bzImageVersion(head: Buffer): string | null {
  if (head.length < 0x240 || head.readUInt32LE(BZIMAGE.magicOffset) !== BZIMAGE.magic) return null;
  if (head.readUInt16LE(BZIMAGE.versionOffset) < 0x200) return null;
  const ptr = head.readUInt16LE(BZIMAGE.kernelVersionOffset);
  if (ptr === 0) return null;
  const at = ptr + BZIMAGE.kernelVersionBase;
  if (at >= head.length) return null;
  const end = head.indexOf(0, at);
  const text = head.subarray(at, end < 0 ? Math.min(head.length, at + 256) : end).toString('latin1');
  const release = /^(\S+)/.exec(text)?.[1];
  return release && /^\d+\.\d+/.test(release) ? release : null;
}

function readHead(path: string, bytes = 64 * 1024): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(bytes);
    return head.subarray(0, readSync(fd, head, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The kernel ABIs ("6.1.0-13-amd64") of the installer udebs on the image (pool/main/l/linux*\/kernel-image-*-di_*.udeb). */
export function udebKernelVersions(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const m = /^kernel-image-(.+)-di_[^/]*\.udeb$/.exec(n);
    if (m?.[1]) out.add(m[1]);
  }
  return [...out].sort();
}

/** RFC 1952 section 2.3.1: a gzip member starts with ID1 0x1f, ID2 0x8b (how a netboot.tar.gz is told from an ISO). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Minimal ustar/GNU tar reader: calls `want` for each regular file name and collects the chosen ones. */
export async function extractFromTarGz(file: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  let buf: Buffer = Buffer.alloc(0);
  let state: { kind: 'header' } | { kind: 'data'; name: string | null; left: number; pad: number; chunks: Buffer[]; longName: boolean; pax: boolean } = { kind: 'header' };
  let nextName: string | null = null;
  let zeroBlocks = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  const octal = (b: Buffer) => {
    const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
    if (!/^[0-7]*$/.test(s)) throw new Error('bad octal field');
    return s ? parseInt(s, 8) : 0;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (state.kind === 'header') {
          if (buf.length < 512) break;
          const h = buf.subarray(0, 512);
          buf = buf.subarray(512);
          if (h.every((b) => b === 0)) {
            if (++zeroBlocks >= 2) return found;
            continue;
          }
          zeroBlocks = 0;
          const size = octal(h.subarray(124, 136));
          const type = String.fromCharCode(h[156] ?? 0);
          const magic = h.subarray(257, 262).toString('latin1');
          let name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
          const prefix = magic === 'ustar' ? h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '') : '';
          if (prefix) name = `${prefix}/${name}`;
          if (nextName !== null && type !== 'L' && type !== 'x') {
            name = nextName;
            nextName = null;
          }
          name = name.replace(/^(\.\/)+/, '');
          const isFile = type === '0' || type === '\0' || type === '7';
          const keep = type === 'L' || type === 'x' || (isFile && want(name));
          state = { kind: 'data', name: keep ? name : null, left: size, pad: (512 - (size % 512)) % 512, chunks: [], longName: type === 'L', pax: type === 'x' };
        }
        if (state.kind === 'data') {
          if (state.left > 0) {
            if (!buf.length) break;
            const take = Math.min(state.left, buf.length);
            if (state.name !== null) state.chunks.push(buf.subarray(0, take));
            buf = buf.subarray(take);
            state.left -= take;
            if (state.left > 0) break;
          }
          if (buf.length < state.pad) break;
          buf = buf.subarray(state.pad);
          const body = Buffer.concat(state.chunks);
          if (state.longName) nextName = body.toString('utf8').replace(/\0.*$/s, '');
          else if (state.pax) {
            const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
            if (path) nextName = path;
          } else if (state.name !== null) found.set(state.name, body);
          state = { kind: 'header' };
        }
      }
    }
  } catch (err) {
    throw new FieldbootError(ErrorCode.NetbootUnusable, `${file} is not a readable netboot.tar.gz: ${(err as Error).message}`, "Use Debian's netboot.tar.gz (images/netboot/) of the same release as the image.");
  }
  return found;
}

function kernelFrom(arch: string, kernel: string, initrd: string): NetbootKernel {
  return { arch, kernel, initrd, kernelVersion: bzImageVersion(readHead(kernel)) };
}

/** Netboot files in a folder: a netboot tree (debian-installer/<arch>/linux) or one arch's folder. */
function fromFolder(dir: string): NetbootKernel[] {
  const out: NetbootKernel[] = [];
  for (const arch of DEBIAN_NETBOOT_ARCHES) {
    for (const base of [join(dir, 'debian-installer', arch), join(dir, arch)]) {
      const k = join(base, 'linux');
      const i = join(base, 'initrd.gz');
      if (existsSync(k) && existsSync(i)) {
        out.push(kernelFrom(arch, k, i));
        break;
      }
    }
  }
  if (!out.length && existsSync(join(dir, 'linux')) && existsSync(join(dir, 'initrd.gz'))) {
    const k = join(dir, 'linux');
    const named = DEBIAN_NETBOOT_ARCHES.find((a) => a === basename(dir));
    // A bare folder: its name says the arch, else the bzImage's 64-bit flag does.
    const head = readHead(k);
    const x86 = bzImageVersion(head) !== null;
    const arch = named ?? (x86 ? ((head[BZIMAGE.xloadflagsOffset] ?? 0) & 1 ? 'amd64' : 'i386') : null);
    if (!arch) throw new FieldbootError(ErrorCode.NetbootUnusable, `cannot tell the architecture of the netboot kernel in ${dir}`, 'Give the netboot tree (the folder holding debian-installer/) or netboot.tar.gz.');
    out.push(kernelFrom(arch, k, join(dir, 'initrd.gz')));
  }
  return out;
}

/**
 * Reads a netboot.tar.gz (unpacking only kernel and initrd, once, into `cacheDir`) or a netboot folder.
 * Throws a FieldbootError that says what to give when it holds no kernel and initrd.
 */
export async function loadNetbootSet(source: string, cacheDir: string): Promise<NetbootSet> {
  let st;
  try {
    st = statSync(source);
  } catch (err) {
    throw new FieldbootError(ErrorCode.FileNotFound, `cannot read the netboot files ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "Give Debian's netboot.tar.gz or the folder it unpacks to.");
  }
  let kernels: NetbootKernel[];
  if (st.isDirectory()) kernels = fromFolder(source);
  else {
    const key = createHash('sha256').update(`${source}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
    const root = join(cacheDir, key);
    kernels = existsSync(join(root, 'complete')) ? fromFolder(root) : [];
    if (!kernels.length) {
      if (!(await isGzipFile(source))) {
        throw new FieldbootError(ErrorCode.NetbootUnusable, `${source} is not a gzip file`, "Use Debian's netboot.tar.gz (images/netboot/) of the same release as the image.");
      }
      const files = await extractFromTarGz(source, (n) => /^debian-installer\/[^/]+\/(linux|initrd\.gz)$/.test(n));
      for (const [name, data] of files) {
        const out = join(root, name);
        mkdirSync(join(out, '..'), { recursive: true });
        writeFileSync(`${out}.part`, data);
        renameSync(`${out}.part`, out);
      }
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'complete'), `${source}\n`);
      kernels = fromFolder(root);
    }
  }
  if (!kernels.length) {
    throw new FieldbootError(ErrorCode.NetbootUnusable, `no netboot kernel and initrd in ${source}`, 'Expected debian-installer/<arch>/linux and initrd.gz (netboot.tar.gz from the Debian mirror: dists/<release>/main/installer-<arch>/current/images/netboot/).');
  }
  return { source, kernels };
}

/** One image's installer needs, as far as pairing goes. */
export interface NetbootCandidate {
  label: string;
  arches: string[];
  /** Kernel ABIs of the image's installer udebs; empty when the image carries none (cannot check). */
  kernelVersions: string[];
}

export interface NetbootPairing {
  /** Index into the candidates. */
  image: number;
  kernel: NetbootKernel;
  /** Set when the image has no kernel udebs to check against. */
  unchecked: boolean;
}

/**
 * Pairs netboot kernels with images: same arch and the image's udebs built for that kernel. Every set
 * must serve some image, or the technician hears why (which kernel it has, which each image wants).
 */
export function pairNetboot(sets: readonly NetbootSet[], images: readonly NetbootCandidate[]): NetbootPairing[] {
  const out: NetbootPairing[] = [];
  for (const set of sets) {
    let used = false;
    for (const k of set.kernels) {
      images.forEach((img, index) => {
        if (!img.arches.includes(k.arch)) return;
        if (out.some((p) => p.image === index && p.kernel.arch === k.arch)) return;
        const checked = img.kernelVersions.length > 0;
        if (checked && (!k.kernelVersion || !img.kernelVersions.includes(k.kernelVersion))) return;
        out.push({ image: index, kernel: k, unchecked: !checked });
        used = true;
      });
    }
    if (!used) {
      const has = set.kernels.map((k) => `${k.arch} kernel ${k.kernelVersion ?? '(version unknown)'}`).join(', ');
      const wants = images.length
        ? images.map((i) => `${i.label} needs ${i.kernelVersions.length ? i.kernelVersions.join(' or ') : 'any'} (${i.arches.join(', ')})`).join('; ')
        : 'no Debian image is being served';
      throw new FieldbootError(
        ErrorCode.NetbootUnusable,
        `the netboot files ${set.source} (${has}) match no image: ${wants}`,
        "Use netboot.tar.gz from the same Debian point release as the image: its kernel must match the image's installer modules.",
      );
    }
  }
  return out;
}
