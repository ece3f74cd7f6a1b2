/**
 * A source seen under a folder of another tree: an ISO's contents at "/iso/<id>/" in the TFTP root, beside
 * the loaders. Paths outside the folder are not this source's; the folder itself lists the source's root.
 * The prefix is matched case-insensitively, like every other TFTP path (loaders change case at will).
 */
import type { FileSource, FileStat, OpenFile } from './file-source';
import { normalizeVirtualPath } from './memory-source';

export class MountedSource implements FileSource {
  private readonly prefix: string;

  /** `prefix`: "/iso/rocky-9-3a1b2c3d" (no trailing slash needed). */
  constructor(
    prefix: string,
    private readonly source: FileSource,
  ) {
    const norm = normalizeVirtualPath(prefix);
    if (!norm || norm === '/') throw new Error(`bad mount prefix ${JSON.stringify(prefix)}`);
    this.prefix = norm;
  }

  /** The path inside the source, or null when `clientPath` is not under the prefix. */
  private inner(clientPath: string): string | null {
    const path = normalizeVirtualPath(clientPath);
    if (!path) return null;
    const lower = path.toLowerCase();
    const p = this.prefix.toLowerCase();
    if (lower === p) return '/';
    if (!lower.startsWith(`${p}/`)) return null;
    return path.slice(p.length);
  }

  private outer(stat: FileStat): FileStat {
    return { ...stat, path: stat.path === '/' ? this.prefix : `${this.prefix}${stat.path.startsWith('/') ? '' : '/'}${stat.path}` };
  }

  async stat(clientPath: string): Promise<FileStat | null> {
    const inner = this.inner(clientPath);
    if (inner === null) return null;
    const s = await this.source.stat(inner);
    return s ? this.outer(s) : null;
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    const inner = this.inner(clientPath);
    return inner === null ? null : this.source.open(inner);
  }

  async list(clientDir: string): Promise<FileStat[] | null> {
    const inner = this.inner(clientDir);
    if (inner === null || !this.source.list) return null;
    const entries = await this.source.list(inner);
    return entries ? entries.map((e) => this.outer(e)) : null;
  }
}
