/**
 * A plain folder served as a FileSource (`--root DIR`, the bundled loaders). Client paths come from PXE
 * firmware and loaders, so they are cleaned up the way those clients send them (Windows backslashes, a
 * leading slash, odd case) and anything that could leave the folder is refused: `..`, NUL bytes, drive
 * letters and alternate data streams (`:`), and symlinks that resolve outside the root.
 */
import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { FileSource, FileSpan, FileStat, OpenFile } from './file-source';

/**
 * Client path -> path segments inside the root, or null when refused. Backslashes become '/', empty and
 * '.' segments vanish (so leading slashes and '//' collapse), '..' anywhere is refused rather than
 * resolved: a loader never needs it, and resolving it is how traversal bugs start.
 */
export function clientPathSegments(clientPath: string): string[] | null {
  if (clientPath.includes('\0')) return null;
  const segments = clientPath
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return null;
  for (const s of segments) {
    if (s === '..') return null;
    // "C:" (drive letter, absolute or drive-relative on Windows) and "file:stream" (NTFS alternate data
    // streams) are both ways out of a plain join on Windows; no boot file name needs a colon.
    if (s.includes(':')) return null;
  }
  return segments;
}

interface Resolved {
  /** Real (symlink-free) absolute path on disk. */
  real: string;
  /** Canonical path inside the source, as the disk spells it ("/pxelinux.cfg/default"). */
  canonical: string;
  stats: Stats;
}

const isNotFound = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export class DirectorySource implements FileSource {
  readonly root: string;
  private realRoot: Promise<string | null> | null = null;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private getRealRoot(): Promise<string | null> {
    // Resolved lazily and once; a missing root makes every lookup a miss rather than an exception.
    this.realRoot ??= fsp.realpath(this.root).catch(() => null);
    return this.realRoot;
  }

  /**
   * Finds the entry a client means: the exact path first (the common, cheap case), then segment by
   * segment with a case-insensitive match, because loaders ask for "PXELINUX.CFG/01-..." on a tree
   * written in lower case, and Windows loaders send whatever case their config had.
   */
  private async locate(rootReal: string, segments: string[]): Promise<string | null> {
    const exact = join(rootReal, ...segments);
    try {
      await fsp.lstat(exact);
      return exact;
    } catch (err) {
      if (!isNotFound(err)) return null;
    }
    let dir = rootReal;
    for (const segment of segments) {
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        return null;
      }
      let found: string | undefined = names.includes(segment) ? segment : undefined;
      if (found === undefined) {
        const lower = segment.toLowerCase();
        // Sorted so that two names differing only by case resolve the same way every time.
        found = names.filter((n) => n.toLowerCase() === lower).sort()[0];
      }
      if (found === undefined) return null;
      dir = join(dir, found);
    }
    return dir;
  }

  private async resolveClientPath(clientPath: string): Promise<Resolved | null> {
    const segments = clientPathSegments(clientPath);
    if (!segments) return null;
    const rootReal = await this.getRealRoot();
    if (!rootReal) return null;
    const found = await this.locate(rootReal, segments);
    if (!found) return null;
    let real: string;
    try {
      real = await fsp.realpath(found);
    } catch {
      return null; // dangling symlink
    }
    // A symlink may point anywhere; only what really lies under the root is served.
    const prefix = rootReal.endsWith(sep) ? rootReal : rootReal + sep;
    if (!real.startsWith(prefix)) return null;
    let stats: Stats;
    try {
      stats = await fsp.stat(real);
    } catch {
      return null;
    }
    const canonical = '/' + real.slice(prefix.length).split(sep).join('/');
    return { real, canonical, stats };
  }

  async stat(clientPath: string): Promise<FileStat | null> {
    const r = await this.resolveClientPath(clientPath);
    if (!r) return null;
    if (!r.stats.isFile() && !r.stats.isDirectory()) return null;
    return { path: r.canonical, size: r.stats.size, isDirectory: r.stats.isDirectory(), mtimeMs: r.stats.mtimeMs };
  }

  /** Directory entries, each checked like stat (symlinks leaving the root and special files left out). */
  async list(clientDir: string): Promise<FileStat[] | null> {
    if (clientDir.includes('\0')) return null;
    // The root itself has no segments (clientPathSegments refuses that for files); "/" and "" mean it.
    const atRoot = clientDir.replace(/\\/g, '/').split('/').every((s) => s === '' || s === '.');
    let dirReal: string;
    let canonical: string;
    if (atRoot) {
      const rootReal = await this.getRealRoot();
      if (!rootReal) return null;
      dirReal = rootReal;
      canonical = '';
    } else {
      const r = await this.resolveClientPath(clientDir);
      if (!r || !r.stats.isDirectory()) return null;
      dirReal = r.real;
      canonical = r.canonical;
    }
    let names: string[];
    try {
      names = await fsp.readdir(dirReal);
    } catch {
      return null;
    }
    const out: FileStat[] = [];
    for (const name of names.sort()) {
      const path = `${canonical}/${name}`;
      const s = await this.stat(path);
      // Listed under its own name: a symlink inside the root shows as the link, not as its target's path.
      if (s) out.push({ ...s, path });
    }
    return out;
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    const r = await this.resolveClientPath(clientPath);
    if (!r || !r.stats.isFile()) return null;
    // The real path is opened (no symlink left in it) and O_NOFOLLOW refuses a symlink swapped in at the
    // last component since the check (undefined on Windows, hence the ?? 0).
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(r.real, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    } catch {
      return null;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.ino !== r.stats.ino || st.dev !== r.stats.dev) {
        await handle.close();
        return null;
      }
      return new DirectoryFile(handle, st.size);
    } catch {
      await handle.close().catch(() => {});
      return null;
    }
  }
}

/** One open file with its own descriptor: never shared between transfers. */
class DirectoryFile implements OpenFile {
  private closed = false;
  constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (this.closed) throw new Error('read after close');
    if (length <= 0 || position >= this.size) return 0;
    const { bytesRead } = await this.handle.read(buffer, offset, length, position);
    return bytesRead;
  }

  /** The file is one run of its own descriptor. */
  span(start: number, end: number): FileSpan[] | null {
    if (this.closed || start < 0 || end < start || end >= this.size) return null;
    return [{ fd: this.handle.fd, offset: start, length: end - start + 1 }];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
