/**
 * The image library: the ISOs the technician added, each inspected once, with a stable id for URLs,
 * kept in <stateDir>/images.json so they are still there after a restart (or a kill -9).
 *
 * Rules:
 * - add(path) inspects the file first (inspectIso: a full directory walk); a file that is not a readable
 *   ISO is refused with its IsoError message and nothing is added. The same file twice is one entry.
 * - An image whose file went away or changed since inspection is kept and flagged (missing / changed,
 *   with a warning), never silently dropped: a USB disk that is not plugged in yet is not a reason to
 *   forget the technician's images. add(path) again re-inspects a changed file and keeps its id.
 * - remove(id) forgets an image; it deletes the file only when it is our own upload copy.
 * - Every change is written atomically, then announced to onChange listeners.
 *
 * Runs in the app/host process (AppController), not in the engine: the engine gets the list of images
 * in its ServeConfig when serving starts.
 */
import { promises as fsp, type Stats } from 'node:fs';
import { basename, join, relative, resolve, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { IsoSummary } from '../../../shared/model/iso-summary';
import type { LibraryImage, LibraryImageOrigin } from '../../../shared/model/library-image';
import { inspectIso } from '../iso/inspect-iso';
import { isGzipFile, loadNetbootSet, NETBOOT_CACHE_DIR_NAME, type NetbootSet } from './debian-netboot';
import { OsFamily } from '../../../shared/model/iso-summary';
import { fileIdentityHash, imageSlug, makeImageId } from './image-id';
import { checkUploadName, freeFileName, isPartFile, receiveToPartFile, type ReceiveOptions } from './image-upload';
import { isLibraryTempFile, LIBRARY_FILE_NAME, readLibraryFile, writeLibraryFile, type StoredImage } from './library-file';

export const UPLOAD_DIR_NAME = 'images';

export interface ImageLibraryOptions {
  /** Defaults to inspectIso (open + verify + detect). Injectable for tests. */
  inspect?: (path: string) => Promise<IsoSummary>;
  now?: () => Date;
}

/** What the library keeps per image beyond LibraryImage. */
interface Entry {
  image: LibraryImage;
  /** SHA-256 of the content, known for uploads (computed while receiving). */
  sha256?: string;
}

export function missingWarning(path: string): string {
  return `The file is no longer at ${path} (moved, deleted, or its disk is not mounted). Put it back, or remove this image.`;
}

export function changedWarning(): string {
  return 'The file changed since it was inspected (its size or date differ). Re-check it before serving.';
}

type FileState = { kind: 'ok'; stats: Stats } | { kind: 'missing' } | { kind: 'changed'; stats: Stats };

async function fileState(image: Pick<LibraryImage, 'path' | 'size' | 'mtimeMs'>): Promise<FileState> {
  let stats: Stats;
  try {
    stats = await fsp.stat(image.path);
  } catch {
    return { kind: 'missing' };
  }
  if (!stats.isFile()) return { kind: 'missing' };
  if (stats.size !== image.size || stats.mtimeMs !== image.mtimeMs) return { kind: 'changed', stats };
  return { kind: 'ok', stats };
}

function withState(image: LibraryImage, state: FileState['kind']): LibraryImage {
  const { missing: _m, changed: _c, ...rest } = image;
  if (state === 'missing') return { ...rest, missing: true, warnings: [missingWarning(image.path)] };
  if (state === 'changed') return { ...rest, changed: true, warnings: [changedWarning()] };
  return { ...rest, warnings: [] };
}

/** The one-line reason an image is refused, naming the file (an IsoError message may not). */
function refusal(err: unknown, fileName: string): unknown {
  if (!(err instanceof FieldbootError)) return err;
  const message = err.message.includes(fileName) ? err.message : `${fileName}: ${err.message}`;
  return new FieldbootError(err.code, message, err.hint);
}

/** How a netboot archive reads in the image list (it is not an OS image: it completes one). */
function netbootSummary(path: string, size: number, set: NetbootSet): IsoSummary {
  const kernels = set.kernels.map((k) => `${k.arch} kernel ${k.kernelVersion ?? '(version unknown)'}`).join(', ');
  const arches = [...new Set(set.kernels.map((k) => k.arch))];
  return {
    path,
    sizeBytes: size,
    filesystem: 'tar.gz',
    volumeId: '',
    family: OsFamily.Debian,
    name: 'Debian netboot files',
    version: set.kernels[0]?.kernelVersion ?? null,
    arch: arches[0] ?? null,
    arches,
    variant: 'netboot',
    kernel: null,
    initrd: null,
    bootFiles: [],
    installTreeRoot: null,
    answerFormat: null,
    kernelArgsTemplate: null,
    minRamMb: null,
    firmware: { bios: true, uefi: true },
    bootEntries: [],
    fileCount: null,
    warnings: [],
    notes: [`${kernels}: boots the Debian DVD/netinst image of the same release over the network (that image is the package mirror). Paired when serving starts.`],
    evidence: ['debian-installer/<arch>/linux', 'debian-installer/<arch>/initrd.gz'],
  };
}

export class ImageLibrary {
  readonly file: string;
  /** Where web-mode uploads are saved. */
  readonly uploadDir: string;
  private readonly records = new Map<string, Entry>();
  private readonly listeners = new Set<(images: LibraryImage[]) => void>();
  private readonly inspect: (path: string) => Promise<IsoSummary>;
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();
  private loadWarningList: string[] = [];

  private constructor(
    readonly stateDir: string,
    options: ImageLibraryOptions,
  ) {
    this.file = join(stateDir, LIBRARY_FILE_NAME);
    this.uploadDir = join(stateDir, UPLOAD_DIR_NAME);
    this.inspect = options.inspect ?? ((path) => inspectIso(path));
    this.now = options.now ?? (() => new Date());
  }

  /** Loads images.json (missing or corrupt: empty, with warnings) and checks every file. */
  static async open(stateDir: string, options: ImageLibraryOptions = {}): Promise<ImageLibrary> {
    const library = new ImageLibrary(resolve(stateDir), options);
    await library.load();
    return library;
  }

  /** Problems met while loading images.json (corrupt file, dropped entries). */
  get loadWarnings(): readonly string[] {
    return this.loadWarningList;
  }

  list(): LibraryImage[] {
    return [...this.records.values()].map((r) => r.image);
  }

  get(id: string): LibraryImage | undefined {
    return this.records.get(id)?.image;
  }

  /** Called with the full list after every change. Returns the unsubscribe. */
  onChange(listener: (images: LibraryImage[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(path: string): Promise<LibraryImage> {
    return this.serial(() => this.addLocked(path, 'path'));
  }

  remove(id: string): Promise<LibraryImage> {
    return this.serial(async () => {
      const record = this.records.get(id);
      if (!record) throw new FieldbootError(ErrorCode.BadOption, `no image with id "${id}"`, 'Refresh the image list; it may have been removed already.');
      this.records.delete(id);
      try {
        await this.persist();
      } catch (err) {
        this.restore(id, record);
        throw err;
      }
      // Our own upload copy goes with its entry; a file the technician pointed us at is never touched.
      if (record.image.origin === 'upload' && this.isInUploadDir(record.image.path)) {
        await fsp.rm(record.image.path, { force: true }).catch(() => undefined);
      }
      this.emit();
      return record.image;
    });
  }

  /**
   * Re-checks every file (cheap: one stat each) so the list shows a disk that was unplugged or plugged
   * back. Returns whether any flag changed.
   */
  recheck(): Promise<boolean> {
    return this.serial(async () => {
      let changed = false;
      for (const record of this.records.values()) {
        const state = (await fileState(record.image)).kind;
        const before = record.image.missing ? 'missing' : record.image.changed ? 'changed' : 'ok';
        if (state !== before) {
          record.image = withState(record.image, state);
          changed = true;
        }
      }
      if (changed) this.emit();
      return changed;
    });
  }

  /**
   * Web-mode upload: streams `source` into the upload directory, inspects it, and adds it. Refused
   * (and the received bytes deleted) when the name is not a plain file name, the stream is too large
   * or breaks off, or the file is not a readable ISO. The same content uploaded twice is one entry.
   */
  async importUpload(name: string, source: Readable, options: ReceiveOptions = {}): Promise<LibraryImage> {
    checkUploadName(name);
    // Receiving can take minutes: it runs outside the queue so the list stays usable meanwhile.
    const received = await receiveToPartFile(source, this.uploadDir, name, options);
    return this.serial(async () => {
      let final: string | null = null;
      try {
        for (const record of this.records.values()) {
          if (record.sha256 === received.sha256 && !record.image.missing && !record.image.changed) return record.image;
        }
        final = join(this.uploadDir, await freeFileName(this.uploadDir, name));
        await fsp.rename(received.partPath, final);
        return await this.addLocked(final, 'upload', received.sha256);
      } catch (err) {
        if (final) await fsp.rm(final, { force: true });
        throw refusal(err, name);
      } finally {
        await fsp.rm(received.partPath, { force: true });
      }
    });
  }

  private async load(): Promise<void> {
    const loaded = await readLibraryFile(this.file);
    this.loadWarningList = loaded.warnings;
    for (const stored of loaded.images) {
      const { sha256, ...image } = stored as StoredImage & { sha256?: string };
      const state = (await fileState(image)).kind;
      this.records.set(image.id, { image: withState({ ...image, warnings: [] }, state), ...(sha256 ? { sha256 } : {}) });
    }
    await this.sweepLeftovers();
  }

  /** A crash mid-save or mid-upload leaves temp files; they are never valid data. */
  private async sweepLeftovers(): Promise<void> {
    const sweep = async (dir: string, isJunk: (name: string) => boolean): Promise<void> => {
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const name of names) if (isJunk(name)) await fsp.rm(join(dir, name), { force: true }).catch(() => undefined);
    };
    await sweep(this.stateDir, (n) => isLibraryTempFile(n));
    await sweep(this.uploadDir, isPartFile);
  }

  private async addLocked(path: string, origin: LibraryImageOrigin, sha256?: string): Promise<LibraryImage> {
    const given = resolve(path);
    const fileName = basename(given);
    let real: string;
    let stats: Stats;
    try {
      real = await fsp.realpath(given);
      stats = await fsp.stat(real);
    } catch {
      // Let the ISO reader say it, so a missing file reads the same as in `fieldboot iso inspect`.
      await this.inspect(given).catch((err: unknown) => {
        throw refusal(err, fileName);
      });
      throw new FieldbootError(ErrorCode.IsoUnreadable, `cannot open ${given}`);
    }
    const existing = [...this.records.values()].find((r) => r.image.path === real);
    if (existing && existing.image.size === stats.size && existing.image.mtimeMs === stats.mtimeMs) {
      if (existing.image.missing || existing.image.changed) {
        existing.image = withState(existing.image, 'ok');
        this.emit();
      }
      return existing.image;
    }

    let summary: IsoSummary;
    let netboot: NetbootSet | null = null;
    try {
      // Debian's netboot.tar.gz is a gzip file; everything else must be an ISO.
      if (await isGzipFile(real)) {
        netboot = await loadNetbootSet(real, join(this.stateDir, NETBOOT_CACHE_DIR_NAME));
        summary = netbootSummary(real, stats.size, netboot);
      } else summary = await this.inspect(real);
    } catch (err) {
      throw refusal(err, fileName);
    }

    const id = existing?.image.id ?? makeImageId(imageSlug(summary, fileName), fileIdentityHash(real, stats.size, stats.mtimeMs), (c) => this.records.has(c));
    const image: LibraryImage = {
      id,
      path: real,
      fileName: basename(real),
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      addedAt: existing?.image.addedAt ?? this.now().toISOString(),
      origin: existing?.image.origin ?? origin,
      summary,
      warnings: [],
      ...(netboot ? { netboot: { kernels: netboot.kernels.map((k) => ({ arch: k.arch, kernelVersion: k.kernelVersion })) } } : {}),
    };
    const previous = this.records.get(id);
    // A re-inspected file has new content: its old hash no longer holds.
    this.records.set(id, { image, ...(sha256 ? { sha256 } : {}) });
    try {
      await this.persist();
    } catch (err) {
      if (previous) this.restore(id, previous);
      else this.records.delete(id);
      throw err;
    }
    this.emit();
    return image;
  }

  private restore(id: string, record: Entry): void {
    this.records.set(id, record);
  }

  private isInUploadDir(path: string): boolean {
    const rel = relative(this.uploadDir, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  }

  private async persist(): Promise<void> {
    const stored = [...this.records.values()].map((r) => {
      const { warnings: _w, missing: _m, changed: _c, ...image } = r.image;
      return r.sha256 ? { ...image, sha256: r.sha256 } : image;
    });
    try {
      await writeLibraryFile(this.file, stored);
    } catch (err) {
      throw new FieldbootError(ErrorCode.StateDirUnwritable, `cannot save the image list to ${this.file}: ${(err as Error).message}`);
    }
  }

  private emit(): void {
    const images = this.list();
    for (const l of this.listeners) {
      try {
        l(images);
      } catch {
        // One broken listener must not stop the others.
      }
    }
  }

  /** One change at a time: two adds of the same file must not make two entries. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
