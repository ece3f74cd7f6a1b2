/**
 * The OS images one session serves: each ISO opened once (read in place, never extracted), recognised,
 * and given a stable id (the image library's: same file, same id, same URLs).
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { targetForImage } from '../../../shared/answer/image-target';
import type { TargetId } from '../../../shared/answer/profile';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { IsoSummary } from '../../../shared/model/iso-summary';
import { promises as fsp } from 'node:fs';
import type { FileSource, FileStat, OpenFile } from '../files/file-source';
import { normalizeVirtualPath } from '../files/memory-source';
import { fileIdentityHash, imageSlug, makeImageId } from '../images/image-id';
import { LayeredSource } from '../files/layered-source';
import { MountedSource } from '../files/mounted-source';
import { DirectorySource } from '../files/directory-source';
import { loadNetbootSet, pairNetboot, udebKernelVersions, type NetbootCandidate, type NetbootSet } from '../images/debian-netboot';
import { EntryType, openIso, type IsoImage } from '../iso/iso-image';
import { OsFamily } from '../../../shared/model/iso-summary';
import { detectOs } from '../iso/os-detect';

/** Where an image's contents and the image file itself sit on the HTTP and TFTP servers. */
export const ISO_PREFIX = '/iso/';

export interface ServedImage {
  id: string;
  file: string;
  summary: IsoSummary;
  /** The answer-file target for this image, or null when FieldBoot has no generator for it. */
  target: TargetId | null;
  source: FileSource;
  /** "/iso/<id>": contents below it. */
  mountPath: string;
  /** "/iso/<id>.iso": the whole image. */
  isoPath: string;
  close(): Promise<void>;
  /** Set when the image boots with separate Debian netboot files (see debian-netboot.ts). */
  netboot?: { source: string; arch: string; kernelVersion: string | null }[];
  /** Kernel ABIs of the image's Debian installer udebs (Debian images only). */
  udebKernels?: string[];
}

/** Where a Debian image's netboot kernel and initrd appear inside its tree: /iso/<id>/.netboot/<arch>/. */
export const NETBOOT_DIR = '/.netboot';

export function describeImage(summary: IsoSummary): string {
  return [summary.name, summary.arch].filter(Boolean).join(' ');
}

async function openOne(file: string, taken: Set<string>): Promise<ServedImage> {
  let image: IsoImage;
  let real: string;
  let st;
  try {
    real = realpathSync(file);
    st = statSync(real);
  } catch (err) {
    throw new FieldbootError(ErrorCode.FileNotFound, `cannot read the image ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Check the path of the ISO file.');
  }
  try {
    image = await openIso(real);
  } catch (err) {
    if (err instanceof FieldbootError) throw new FieldbootError(err.code, `${file}: ${err.message}`, err.hint);
    throw new FieldbootError(ErrorCode.IsoUnreadable, `${file}: ${(err as Error).message}`);
  }
  try {
    const summary = await detectOs(image);
    const id = makeImageId(imageSlug(summary, basename(real)), fileIdentityHash(real, st.size, st.mtimeMs), (c) => taken.has(c));
    taken.add(id);
    const served: ServedImage = {
      id,
      file: real,
      summary,
      target: targetForImage(summary),
      source: image.asFileSource(),
      mountPath: `${ISO_PREFIX}${id}`,
      isoPath: `${ISO_PREFIX}${id}.iso`,
      close: () => image.close(),
    };
    if (summary.family === OsFamily.Debian) served.udebKernels = await installerKernels(image);
    return served;
  } catch (err) {
    await image.close().catch(() => {});
    throw err;
  }
}

/** Kernel ABIs of the installer udebs in the image's pool (pool/main/l/linux*\/kernel-image-*-di_*.udeb). */
async function installerKernels(image: IsoImage): Promise<string[]> {
  const names: string[] = [];
  const dirs = await image.list('/pool/main/l').catch(() => []);
  for (const d of dirs) {
    if (d.type !== EntryType.Directory || !d.name.startsWith('linux')) continue;
    for (const f of await image.list(d.path).catch(() => [])) names.push(f.name);
  }
  return udebKernelVersions(names);
}

/**
 * Gives Debian CD/DVD images the netboot kernel and initrd of their release: layered into the image's own
 * tree at /.netboot/<arch>/ (so HTTP, TFTP and FTP serve them like any file of the image) and named as
 * the image's boot files for that arch. The image stays the installer's package mirror.
 */
async function attachNetboot(images: ServedImage[], netboot: readonly string[], cacheDir: string): Promise<void> {
  const sets: NetbootSet[] = [];
  for (const n of netboot) sets.push(await loadNetbootSet(n, cacheDir));
  const debian = images.filter((i) => i.summary.family === OsFamily.Debian);
  const candidates: NetbootCandidate[] = debian.map((i) => ({
    label: `${i.summary.name || i.id}`,
    arches: i.summary.bootFiles.map((b) => b.arch),
    kernelVersions: i.udebKernels ?? [],
  }));
  const pairs = pairNetboot(sets, candidates);
  for (const [index, img] of debian.entries()) {
    const mine = pairs.filter((p) => p.image === index);
    if (!mine.length) continue;
    img.source = new LayeredSource([new MountedSource(NETBOOT_DIR, new NetbootTree(mine.map((p) => p.kernel))), img.source]);
    const bootFiles = img.summary.bootFiles.map((b) => {
      const p = mine.find((m) => m.kernel.arch === b.arch);
      return p ? { arch: b.arch, kernel: `${NETBOOT_DIR}/${b.arch}/linux`, initrd: `${NETBOOT_DIR}/${b.arch}/initrd.gz` } : b;
    });
    const first = bootFiles[0];
    img.summary = {
      ...img.summary,
      bootFiles,
      kernel: first?.kernel ?? img.summary.kernel,
      initrd: first?.initrd ?? img.summary.initrd,
      warnings: img.summary.warnings.filter((w) => !/looks for the installer on a CD/.test(w)),
      notes: [
        ...img.summary.notes,
        ...mine.map((p) => `Boots Debian's netboot kernel ${p.kernel.kernelVersion ?? ''} and initrd from ${p.kernel.kernel.startsWith(cacheDir) ? 'the netboot archive' : 'the netboot folder'} (${basename(setFor(sets, p.kernel))}); this image is the package mirror.${p.unchecked ? ' The image has no kernel udebs, so the release match was not checked.' : ''}`),
      ],
    };
    img.netboot = mine.map((p) => ({ source: setFor(sets, p.kernel), arch: p.kernel.arch, kernelVersion: p.kernel.kernelVersion }));
  }
}

function setFor(sets: { source: string; kernels: unknown[] }[], k: unknown): string {
  return sets.find((s) => s.kernels.includes(k))?.source ?? '';
}

/**
 * The netboot kernels and initrds of one image as a tree: /<arch>/linux and /<arch>/initrd.gz, read from
 * the netboot folder or the unpack cache. Nothing else beside them shows through. Case-insensitive, like
 * every TFTP path.
 */
class NetbootTree implements FileSource {
  private readonly files = new Map<string, string>();
  private readonly dirs = new Set<string>(['/']);
  constructor(kernels: readonly { arch: string; kernel: string; initrd: string }[]) {
    for (const k of kernels) {
      this.dirs.add(`/${k.arch}`);
      this.files.set(`/${k.arch}/linux`, k.kernel);
      this.files.set(`/${k.arch}/initrd.gz`, k.initrd);
    }
  }
  private canonical(clientPath: string): string | null {
    const n = normalizeVirtualPath(clientPath);
    if (!n) return null;
    const lower = n.toLowerCase();
    for (const p of [...this.files.keys(), ...this.dirs]) if (p.toLowerCase() === lower) return p;
    return null;
  }
  async stat(clientPath: string): Promise<FileStat | null> {
    const p = this.canonical(clientPath);
    if (p === null) return null;
    const real = this.files.get(p);
    if (!real) return { path: p, size: 0, isDirectory: true, mtimeMs: 0 };
    const st = await fsp.stat(real).catch(() => null);
    return st ? { path: p, size: st.size, isDirectory: false, mtimeMs: st.mtimeMs } : null;
  }
  async open(clientPath: string): Promise<OpenFile | null> {
    const p = this.canonical(clientPath);
    const real = p === null ? undefined : this.files.get(p);
    return real ? new DirectorySource(dirname(real)).open(`/${basename(real)}`) : null;
  }
  async list(clientDir: string): Promise<FileStat[] | null> {
    const d = this.canonical(clientDir);
    if (d === null || !this.dirs.has(d)) return null;
    const prefix = d === '/' ? '/' : `${d}/`;
    const children = [...this.dirs, ...this.files.keys()].filter((p) => p !== d && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'));
    const out: FileStat[] = [];
    for (const c of children) {
      const st = await this.stat(c);
      if (st) out.push(st);
    }
    return out;
  }
}

export interface ServedImageOptions {
  /** Debian netboot files (netboot.tar.gz or folders) to pair with the Debian images by release. */
  netboot?: readonly string[];
  /** Where netboot archives are unpacked (kernel and initrd only), reused across sessions. */
  cacheDir?: string;
}

/** Opens every image or none (a bad one closes those already open and throws with its name). */
export async function openServedImages(files: readonly string[], opts: ServedImageOptions = {}): Promise<ServedImage[]> {
  const out: ServedImage[] = [];
  const taken = new Set<string>();
  try {
    for (const f of files) out.push(await openOne(f, taken));
    if (opts.netboot?.length) await attachNetboot(out, opts.netboot, opts.cacheDir ?? join(tmpdir(), 'fieldboot-netboot'));
  } catch (err) {
    await Promise.allSettled(out.map((i) => i.close()));
    throw err;
  }
  return out;
}
