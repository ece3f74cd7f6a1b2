/**
 * Generated files (boot scripts, menus) served like any other file. Paths are matched case-insensitively,
 * the way PXE loaders ask for them.
 */
import type { FileSource, FileStat, OpenFile } from './file-source';

export function normalizeVirtualPath(clientPath: string): string | null {
  if (clientPath.includes('\0')) return null;
  const parts = clientPath.replace(/\\/g, '/').split('/').filter((p) => p && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  return '/' + parts.join('/');
}

export class MemorySource implements FileSource {
  private readonly files = new Map<string, { path: string; data: Buffer; mtimeMs: number }>();

  set(path: string, content: string | Buffer): void {
    const norm = normalizeVirtualPath(path);
    if (!norm) throw new Error(`bad virtual path ${JSON.stringify(path)}`);
    this.files.set(norm.toLowerCase(), { path: norm, data: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), mtimeMs: Date.now() });
  }

  private find(clientPath: string) {
    const norm = normalizeVirtualPath(clientPath);
    return norm ? this.files.get(norm.toLowerCase()) : undefined;
  }

  async stat(clientPath: string): Promise<FileStat | null> {
    const f = this.find(clientPath);
    return f ? { path: f.path, size: f.data.length, isDirectory: false, mtimeMs: f.mtimeMs } : null;
  }

  /** Directories are implied by the files' paths: "/a/b.txt" makes "/a" a directory. */
  async list(clientDir: string): Promise<FileStat[] | null> {
    const norm = normalizeVirtualPath(clientDir);
    if (norm === null) return null;
    const base = norm === '/' ? '/' : `${norm.toLowerCase()}/`;
    const entries = new Map<string, FileStat>();
    for (const [key, f] of this.files) {
      if (!key.startsWith(base)) continue;
      const rest = f.path.slice(base.length);
      const slash = rest.indexOf('/');
      if (slash < 0) entries.set(rest.toLowerCase(), { path: f.path, size: f.data.length, isDirectory: false, mtimeMs: f.mtimeMs });
      else {
        const name = rest.slice(0, slash);
        const prev = entries.get(name.toLowerCase());
        if (!prev) entries.set(name.toLowerCase(), { path: f.path.slice(0, base.length + slash), size: 0, isDirectory: true, mtimeMs: f.mtimeMs });
        else if (prev.isDirectory) prev.mtimeMs = Math.max(prev.mtimeMs, f.mtimeMs);
      }
    }
    if (entries.size === 0 && norm !== '/') return null;
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    const f = this.find(clientPath);
    if (!f) return null;
    return bufferFile(f.data);
  }
}

/** A file held in memory, read like any other. */
export function bufferFile(data: Buffer): OpenFile {
  return {
    size: data.length,
    async read(buffer, offset, length, position) {
      if (position >= data.length) return 0;
      return data.copy(buffer, offset, position, Math.min(data.length, position + length));
    },
    async close() {},
  };
}
