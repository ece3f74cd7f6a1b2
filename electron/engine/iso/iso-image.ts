/**
 * The public face of the ISO reader: `openIso(path)` gives an IsoImage to list, stat, read and stream
 * files in place (no mount, no extraction). It picks the best tree of the image (Rock Ridge names, then
 * UDF, then Joliet, then plain ISO 9660), caches parsed directories (bounded), resolves symlinks inside the
 * image, and refuses loops. Each stream and each opened file gets its own file descriptor: on Node 20 a
 * descriptor shared by several streams is closed by the first destroy(), even with autoClose: false.
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import type { FileSource, FileSpan, FileStat, OpenFile } from '../files/file-source';
import { extentSpans } from '../files/file-span';
import { readBootCatalog, type BootEntry } from './el-torito';
import { ImageFile, ioError } from './image-file';
import { IsoError, IsoErrorKind } from './iso-errors';
import { Iso9660Tree, readDescriptorSet } from './iso-reader';
import { UdfTree, findAnchor } from './udf-reader';
import { EntryType, dataLength, type FileData, type NameScheme, type VolumeEntry, type VolumeTree } from './volume-tree';

export { EntryType } from './volume-tree';
export type { NameScheme } from './volume-tree';

/** Which tree to read; 'auto' picks Rock Ridge, then UDF, then Joliet, then plain ISO 9660. */
export type TreeChoice = 'auto' | 'rockridge' | 'joliet' | 'iso9660' | 'udf';

export interface OpenIsoOptions {
  tree?: TreeChoice;
  /** Directory entries kept parsed in memory, summed over all cached directories. */
  maxCachedEntries?: number;
}

export const DEFAULT_MAX_CACHED_ENTRIES = 200_000;
/** Deeper than any real tree (ISO 9660 itself allows 8 levels; RR relocation gets past that). */
export const MAX_DEPTH = 256;
const MAX_SYMLINK_HOPS = 40;
const MAX_PATH_STEPS = 4096;
/** Lookup failures a file server answers with "not found" rather than an error. */
const MISSES = [IsoErrorKind.NotFound, IsoErrorKind.NotADirectory, IsoErrorKind.NotAFile, IsoErrorKind.Loop] as const;

export interface IsoEntry {
  name: string;
  /** Absolute path inside the image ("/images/pxeboot/vmlinuz"). */
  path: string;
  type: EntryType;
  size: number;
  mtimeMs: number;
  mode: number | null;
  linkTarget: string | null;
}

export interface IsoVolumeInfo {
  /** Which tree the names come from. */
  filesystem: NameScheme;
  volumeId: string;
  hasIso9660: boolean;
  hasRockRidge: boolean;
  hasJoliet: boolean;
  hasUdf: boolean;
  udfRevision: string | null;
  bootEntries: BootEntry[];
}

interface CachedDir {
  entries: VolumeEntry[];
  byName: Map<string, VolumeEntry>;
  byLower: Map<string, VolumeEntry>;
}

/** Splits a path into segments; backslashes count as separators (Windows-minded loaders send them). */
function segments(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

export async function openIso(path: string, options: OpenIsoOptions = {}): Promise<IsoImage> {
  const file = await ImageFile.open(path);
  try {
    const set = await readDescriptorSet(file);
    const choice = options.tree ?? 'auto';
    const primary = set.primary ? await Iso9660Tree.open(file, set.primary, false) : null;
    const joliet = set.joliet ? await Iso9660Tree.open(file, set.joliet, true) : null;
    // A UDF anchor is looked for even without a recognition sequence: some mastering tools omit it.
    let udf: UdfTree | null = null;
    if (set.hasUdfVrs || !primary || choice === 'udf') {
      if (await findAnchor(file)) udf = await UdfTree.open(file);
    }
    if (!primary && !joliet && !udf) {
      const head = await file.readAt(16 * 2048, 2048, 'sector 16');
      const zero = head.every((b) => b === 0);
      throw new IsoError(IsoErrorKind.NotAnImage, `not an ISO 9660 or UDF image: ${path} has ${zero ? 'only zeros' : 'no volume descriptor'} at sector 16 and no UDF anchor at sector 256`);
    }
    const pick = (): VolumeTree | null => {
      switch (choice) {
        case 'rockridge':
          return primary?.hasRockRidge ? primary : null;
        case 'joliet':
          return joliet;
        case 'iso9660':
          return primary;
        case 'udf':
          return udf;
        case 'auto':
          // Rock Ridge carries POSIX names, modes and symlinks: best for Linux media. Windows media put the
          // real tree in UDF and a README-only stub in ISO 9660, so UDF comes before Joliet and 8.3.
          return (primary?.hasRockRidge ? primary : null) ?? udf ?? joliet ?? primary;
      }
    };
    const tree = pick();
    if (!tree) throw new IsoError(IsoErrorKind.NotFound, `${path} has no ${choice} tree`);
    const bootEntries = set.bootCatalogLba !== null ? await readBootCatalog(file, set.bootCatalogLba) : [];
    const info: IsoVolumeInfo = {
      filesystem: tree.names,
      volumeId: set.primary?.volumeId || udf?.info.volumeId || set.joliet?.volumeId || '',
      hasIso9660: primary !== null,
      hasRockRidge: primary?.hasRockRidge ?? false,
      hasJoliet: joliet !== null,
      hasUdf: udf !== null,
      udfRevision: udf?.info.udfRevision ?? null,
      bootEntries,
    };
    return new IsoImage(file, tree, info, options.maxCachedEntries ?? DEFAULT_MAX_CACHED_ENTRIES);
  } catch (err) {
    await file.close();
    throw err;
  }
}

export class IsoImage {
  readonly path: string;
  readonly size: number;
  private readonly cache = new Map<string, CachedDir>();
  private cachedEntries = 0;
  private closed = false;

  constructor(
    private readonly file: ImageFile,
    private readonly tree: VolumeTree,
    readonly info: IsoVolumeInfo,
    private readonly maxCachedEntries: number,
  ) {
    this.path = file.path;
    this.size = file.size;
  }

  /** Directory entries currently held parsed (bounded by maxCachedEntries, or one directory if larger). */
  get cachedEntryCount(): number {
    return this.cachedEntries;
  }

  private checkOpen(): void {
    if (this.closed) throw new IsoError(IsoErrorKind.Closed, `image ${this.path} is closed`);
  }

  /** Parsed directory, from the cache (LRU, bounded by total entries) or the disc. */
  private async directory(dir: VolumeEntry, where: string): Promise<CachedDir> {
    this.checkOpen();
    const key = dir.dirKey ?? `?${where}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const entries = await this.tree.readDirectory(dir, where || '/');
    const byName = new Map<string, VolumeEntry>();
    const byLower = new Map<string, VolumeEntry>();
    for (const e of entries) {
      if (!byName.has(e.name)) byName.set(e.name, e);
      const lower = e.name.toLowerCase();
      const prev = byLower.get(lower);
      // Two names differing only in case: the smallest wins, so a lookup is the same every time.
      if (!prev || e.name < prev.name) byLower.set(lower, e);
    }
    const parsed: CachedDir = { entries, byName, byLower };
    this.cache.set(key, parsed);
    this.cachedEntries += entries.length;
    for (const [k, v] of this.cache) {
      if (this.cachedEntries <= this.maxCachedEntries || k === key) break;
      this.cache.delete(k);
      this.cachedEntries -= v.entries.length;
    }
    return parsed;
  }

  /**
   * Resolves a path to its entry. Case-sensitive first, then case-insensitive (PXE loaders ask in odd
   * case). Symlinks are followed inside the image (the last one only when `follow`); '..' never leaves
   * the root. Returns null when nothing is there; throws IsoError on loops and broken structures.
   */
  private async resolve(path: string, follow: boolean): Promise<{ entry: VolumeEntry; path: string } | null> {
    this.checkOpen();
    let pending = segments(path);
    const stack: { entry: VolumeEntry; name: string }[] = [{ entry: this.tree.root, name: '' }];
    const here = () => '/' + stack.slice(1).map((s) => s.name).join('/');
    let hops = 0;
    let steps = 0;
    while (pending.length) {
      if (++steps > MAX_PATH_STEPS) throw new IsoError(IsoErrorKind.LimitExceeded, `path ${path} takes more than ${MAX_PATH_STEPS} steps to resolve`);
      const seg = pending.shift() as string;
      if (seg === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const top = stack[stack.length - 1] as { entry: VolumeEntry };
      if (top.entry.type !== EntryType.Directory) return null;
      const dir = await this.directory(top.entry, here());
      const child = dir.byName.get(seg) ?? dir.byLower.get(seg.toLowerCase());
      if (!child) return null;
      if (child.type === EntryType.Symlink && (pending.length > 0 || follow)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new IsoError(IsoErrorKind.Loop, `symlink loop resolving ${path} (more than ${MAX_SYMLINK_HOPS} links)`);
        const target = child.linkTarget ?? '';
        if (target.startsWith('/')) stack.length = 1;
        pending = [...segments(target), ...pending];
        continue;
      }
      if (child.type === EntryType.Directory && stack.some((s) => s.entry.dirKey === child.dirKey)) {
        throw new IsoError(IsoErrorKind.Loop, `directory loop at ${joinPath(here(), child.name)}: it is the same directory as one of its ancestors`);
      }
      stack.push({ entry: child, name: child.name });
      if (stack.length > MAX_DEPTH) throw new IsoError(IsoErrorKind.LimitExceeded, `path ${path} is deeper than ${MAX_DEPTH} levels`);
    }
    const last = stack[stack.length - 1] as { entry: VolumeEntry };
    return { entry: last.entry, path: here() };
  }

  private toIsoEntry(e: VolumeEntry, path: string): IsoEntry {
    return { name: e.name || '/', path, type: e.type, size: e.size, mtimeMs: e.mtimeMs, mode: e.mode, linkTarget: e.linkTarget };
  }

  /** Entries of a directory (symlinks are listed as symlinks, not followed). */
  async list(dirPath = '/'): Promise<IsoEntry[]> {
    const r = await this.resolve(dirPath, true);
    if (!r) throw new IsoError(IsoErrorKind.NotFound, `${dirPath}: no such directory in ${this.path}`);
    if (r.entry.type !== EntryType.Directory) throw new IsoError(IsoErrorKind.NotADirectory, `${dirPath} is not a directory`);
    const dir = await this.directory(r.entry, r.path);
    return dir.entries.map((e) => this.toIsoEntry(e, joinPath(r.path, e.name)));
  }

  /** The entry at `path` (symlinks followed), or null when there is none. */
  async stat(path: string): Promise<IsoEntry | null> {
    const r = await this.resolve(path, true);
    return r ? this.toIsoEntry(r.entry, r.path) : null;
  }

  /** Like stat, but a final symlink is returned as the link itself. */
  async lstat(path: string): Promise<IsoEntry | null> {
    const r = await this.resolve(path, false);
    return r ? this.toIsoEntry(r.entry, r.path) : null;
  }

  /** Every entry under `dir`, depth first, symlinks not followed. Loops and depth are checked. */
  async *walk(dir = '/'): AsyncGenerator<IsoEntry> {
    const start = await this.resolve(dir, true);
    if (!start || start.entry.type !== EntryType.Directory) throw new IsoError(IsoErrorKind.NotADirectory, `${dir} is not a directory`);
    const visit = async function* (this: IsoImage, entry: VolumeEntry, path: string, ancestors: string[]): AsyncGenerator<IsoEntry> {
      if (ancestors.length > MAX_DEPTH) throw new IsoError(IsoErrorKind.LimitExceeded, `${path} is deeper than ${MAX_DEPTH} levels`);
      const parsed = await this.directory(entry, path);
      for (const child of parsed.entries) {
        const childPath = joinPath(path, child.name);
        yield this.toIsoEntry(child, childPath);
        if (child.type !== EntryType.Directory) continue;
        if (child.dirKey && ancestors.includes(child.dirKey)) {
          throw new IsoError(IsoErrorKind.Loop, `directory loop at ${childPath}: it is the same directory as one of its ancestors`);
        }
        yield* visit.call(this, child, childPath, [...ancestors, child.dirKey ?? '']);
      }
    };
    yield* visit.call(this, start.entry, start.path, [start.entry.dirKey ?? '']);
  }

  /**
   * The file whose data starts at `sector` (2048-byte units), looked for in `dirs` only: how an El Torito
   * boot image is named without walking a 10,000-file tree.
   */
  async findFileAtSector(sector: number, dirs: readonly string[]): Promise<string | null> {
    const want = sector * 2048;
    for (const d of dirs) {
      const r = await this.resolve(d, true).catch(() => null);
      if (!r || r.entry.type !== EntryType.Directory) continue;
      const parsed = await this.directory(r.entry, r.path);
      for (const e of parsed.entries) {
        const first = e.type === EntryType.File && e.data.kind === 'extents' ? e.data.extents[0] : undefined;
        if (first && first.position === want) return joinPath(r.path, e.name);
      }
    }
    return null;
  }

  /**
   * Walks the whole tree without reading file data and checks every structure: directories parse, no
   * loops, no tree deeper than MAX_DEPTH, every file's data lies inside the image (the usual sign of an
   * incomplete download). Throws the first problem as an IsoError; returns counts when all is well.
   * Memory stays bounded: the directory cache is capped and only the current path is kept.
   */
  async verify(limits: { maxEntries?: number } = {}): Promise<{ files: number; directories: number; symlinks: number; fileBytes: number }> {
    const maxEntries = limits.maxEntries ?? 5_000_000;
    const counts = { files: 0, directories: 0, symlinks: 0, fileBytes: 0 };
    const visit = async (entry: VolumeEntry, path: string, ancestors: string[]): Promise<void> => {
      if (ancestors.length > MAX_DEPTH) throw new IsoError(IsoErrorKind.LimitExceeded, `${path} is deeper than ${MAX_DEPTH} levels`);
      const parsed = await this.directory(entry, path);
      // Copied: the cache may drop this directory while its subdirectories are being read.
      for (const child of [...parsed.entries]) {
        if (counts.files + counts.directories + counts.symlinks >= maxEntries) {
          throw new IsoError(IsoErrorKind.LimitExceeded, `more than ${maxEntries} entries in the image`);
        }
        const childPath = joinPath(path || '/', child.name);
        if (child.type === EntryType.File) {
          counts.files++;
          counts.fileBytes += child.size;
          checkData(child.data, child.size, childPath, this.size);
        } else if (child.type === EntryType.Symlink) counts.symlinks++;
        else {
          counts.directories++;
          if (child.dirKey && ancestors.includes(child.dirKey)) {
            throw new IsoError(IsoErrorKind.Loop, `directory loop at ${childPath}: it is the same directory as one of its ancestors`);
          }
          await visit(child, childPath, [...ancestors, child.dirKey ?? '']);
        }
      }
    };
    this.checkOpen();
    await visit(this.tree.root, '/', [this.tree.root.dirKey ?? '']);
    return counts;
  }

  /** The file at `path`, checked: a regular file whose data lies inside the image. */
  private async fileAt(path: string): Promise<{ entry: VolumeEntry; path: string }> {
    const r = await this.resolve(path, true);
    if (!r) throw new IsoError(IsoErrorKind.NotFound, `${path}: no such file in ${this.path}`);
    if (r.entry.type !== EntryType.File) throw new IsoError(IsoErrorKind.NotAFile, `${path} is a ${r.entry.type}, not a file`);
    checkData(r.entry.data, r.entry.size, r.path, this.size);
    return r;
  }

  /** Reads `length` bytes (default: to the end) from `offset` of a file. Short at end of file. */
  async read(path: string, offset = 0, length?: number): Promise<Buffer> {
    const { entry, path: p } = await this.fileAt(path);
    const start = Math.max(0, Math.min(offset, entry.size));
    const n = Math.max(0, Math.min(length ?? entry.size - start, entry.size - start));
    if (n > 256 * 1024 * 1024) throw new IsoError(IsoErrorKind.LimitExceeded, `read of ${n} bytes from ${p}: use createReadStream for large reads`);
    const file = await this.openEntry(entry, p);
    try {
      const buf = Buffer.alloc(n);
      const got = await file.read(buf, 0, n, start);
      return got === n ? buf : buf.subarray(0, got);
    } finally {
      await file.close();
    }
  }

  /** Small text files for detection (.treeinfo, .disk/info): null when missing or larger than `max`. */
  async readText(path: string, max = 1024 * 1024): Promise<string | null> {
    const s = await this.stat(path);
    if (!s || s.type !== EntryType.File || s.size > max) return null;
    return (await this.read(path)).toString('utf8');
  }

  /**
   * Where a file's bytes lie in the image: absolute byte ranges in order (zero ranges are sparse), or
   * null for inline (UDF) data. A server may stream these ranges of the image file directly.
   */
  async extents(path: string): Promise<{ position: number; length: number; zero?: boolean }[] | null> {
    const { entry } = await this.fileAt(path);
    return entry.data.kind === 'extents' ? entry.data.extents.map((e) => ({ ...e })) : null;
  }

  /** Opens a file for ranged reads on its own descriptor (close it when done). */
  async open(path: string): Promise<OpenFile & { path: string }> {
    const { entry, path: p } = await this.fileAt(path);
    const f = await this.openEntry(entry, p);
    return Object.assign(f, { path: p });
  }

  private async openEntry(entry: VolumeEntry, path: string): Promise<OpenFile> {
    this.checkOpen();
    const data = entry.data;
    if (data.kind === 'inline') {
      const bytes = data.bytes;
      return {
        size: entry.size,
        async read(buffer, offset, length, position) {
          if (position >= bytes.length) return 0;
          return bytes.copy(buffer, offset, position, Math.min(bytes.length, position + length));
        },
        async close() {},
      };
    }
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.path, 'r');
    } catch (err) {
      throw ioError(this.path, err, 'open');
    }
    return new ExtentFile(handle, data.extents, entry.size, path, this.path);
  }

  /** A stream of a file's bytes [start, end] (end inclusive, like fs.createReadStream), on its own descriptor. */
  createReadStream(path: string, range: { start?: number; end?: number; highWaterMark?: number } = {}): Readable {
    return new IsoReadStream(this, path, range);
  }

  /**
   * This image as a FileSource for TFTP, HTTP and FTP. Client paths may not contain '..' or NUL; paths
   * that do not resolve (missing, through a file, into a loop) are null. I/O errors and a truncated
   * image still throw, so the server can log them and fail that one transfer.
   */
  asFileSource(): FileSource {
    const clean = (p: string): string | null => {
      if (p.includes('\0')) return null;
      const segs = segments(p);
      if (segs.some((s) => s === '..')) return null;
      return '/' + segs.join('/');
    };
    const miss = (err: unknown): null => {
      if (err instanceof IsoError && (MISSES as readonly string[]).includes(err.kind)) return null;
      throw err;
    };
    return {
      stat: async (clientPath: string): Promise<FileStat | null> => {
        const p = clean(clientPath);
        if (p === null) return null;
        const s = await this.stat(p).catch(miss);
        if (!s || s.type === EntryType.Symlink) return null;
        return { path: s.path, size: s.size, isDirectory: s.type === EntryType.Directory, mtimeMs: s.mtimeMs };
      },
      open: async (clientPath: string): Promise<OpenFile | null> => {
        const p = clean(clientPath);
        if (p === null) return null;
        const s = await this.stat(p).catch(miss);
        if (!s || s.type !== EntryType.File) return null;
        return this.open(p);
      },
      list: async (clientDir: string): Promise<FileStat[] | null> => {
        const p = clean(clientDir);
        if (p === null) return null;
        const entries = await this.list(p).catch(miss);
        if (!entries) return null;
        const out: FileStat[] = [];
        for (const e of entries) {
          // Symlinks are shown as what they point to inside the image; dangling or looping ones are left out.
          const s = e.type === EntryType.Symlink ? await this.stat(e.path).catch(miss) : e;
          if (!s || s.type === EntryType.Symlink) continue;
          out.push({ path: e.path, size: s.size, isDirectory: s.type === EntryType.Directory, mtimeMs: s.mtimeMs });
        }
        return out;
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.cachedEntries = 0;
    await this.file.close();
  }
}

/** A file's data must cover its size and lie inside the image; otherwise say so before serving a byte. */
function checkData(data: FileData, size: number, path: string, imageSize: number): void {
  const have = dataLength(data);
  if (have < size) {
    throw new IsoError(IsoErrorKind.Corrupt, `${path}: its data extents cover ${have} of its ${size} bytes (interleaved or damaged)`);
  }
  if (data.kind !== 'extents') return;
  for (const e of data.extents) {
    if (!e.zero && e.position + e.length > imageSize) {
      throw new IsoError(IsoErrorKind.Truncated, `truncated: ${path} has data at byte ${e.position} (${e.length} bytes) beyond the end of the image (size ${imageSize})`);
    }
  }
}

/** Ranged reads of a file made of extents, on a descriptor of its own. */
class ExtentFile implements OpenFile {
  private readonly starts: number[] = [];
  private closed = false;

  constructor(
    private readonly handle: fsp.FileHandle,
    private readonly extents: { position: number; length: number; zero?: boolean }[],
    readonly size: number,
    private readonly path: string,
    private readonly imagePath: string,
  ) {
    let acc = 0;
    for (const e of extents) {
      this.starts.push(acc);
      acc += e.length;
    }
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (this.closed) throw new IsoError(IsoErrorKind.Closed, `${this.path} is closed`);
    if (position >= this.size || length <= 0) return 0;
    const want = Math.min(length, this.size - position, buffer.length - offset);
    // Binary search for the extent holding `position` (multi-extent files have a handful; UDF may have many).
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= position) lo = mid;
      else hi = mid - 1;
    }
    let done = 0;
    for (let i = lo; i < this.extents.length && done < want; i++) {
      const e = this.extents[i] as { position: number; length: number; zero?: boolean };
      const within = position + done - (this.starts[i] ?? 0);
      const n = Math.min(e.length - within, want - done);
      if (n <= 0) continue;
      if (e.zero) {
        buffer.fill(0, offset + done, offset + done + n);
        done += n;
        continue;
      }
      let got = 0;
      while (got < n) {
        let r: number;
        try {
          ({ bytesRead: r } = await this.handle.read(buffer, offset + done + got, n - got, e.position + within + got));
        } catch (err) {
          throw ioError(this.imagePath, err, `read ${this.path} from`);
        }
        if (r === 0) {
          throw new IsoError(IsoErrorKind.Truncated, `truncated: the image ${this.imagePath} ended while reading ${this.path} (it shrank or was replaced while in use)`);
        }
        got += r;
      }
      done += n;
    }
    return done;
  }

  /** The image's own byte ranges holding [start, end] (a zero-copy sender's input); null across sparse extents. */
  span(start: number, end: number): FileSpan[] | null {
    if (this.closed || end >= this.size) return null;
    return extentSpans(this.handle.fd, this.extents, start, end);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => {});
  }
}

/** Readable over one file of the image; opens its own descriptor in _construct, closes it on destroy. */
class IsoReadStream extends Readable {
  private file: OpenFile | null = null;
  private pos: number;
  private end: number;

  constructor(
    private readonly image: IsoImage,
    private readonly filePath: string,
    range: { start?: number; end?: number; highWaterMark?: number },
  ) {
    super({ highWaterMark: range.highWaterMark ?? 64 * 1024 });
    this.pos = range.start ?? 0;
    this.end = range.end ?? Number.MAX_SAFE_INTEGER;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.image.open(this.filePath).then(
      (f) => {
        this.file = f;
        this.end = Math.min(this.end, f.size - 1);
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _read(size: number): void {
    const f = this.file;
    if (!f) return void this.destroy(new IsoError(IsoErrorKind.Closed, `${this.filePath} is not open`));
    const n = Math.min(size, this.end - this.pos + 1);
    if (n <= 0) return void this.push(null);
    const buf = Buffer.allocUnsafe(n);
    f.read(buf, 0, n, this.pos).then(
      (got) => {
        if (got === 0) return void this.push(null);
        this.pos += got;
        this.push(got === n ? buf : buf.subarray(0, got));
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const f = this.file;
    this.file = null;
    if (!f) return callback(error);
    f.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
