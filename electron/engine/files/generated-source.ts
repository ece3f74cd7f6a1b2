/**
 * Files made on request from their path: per-machine menus (pxelinux.cfg/01-<mac>, a GRUB config by MAC).
 * The generator runs at stat and again at open, so what a loader gets always reflects the arming at that
 * moment; a generator returning null means "no such file" and the next layer is asked.
 */
import type { FileSource, FileStat, OpenFile } from './file-source';
import { bufferFile, normalizeVirtualPath } from './memory-source';

export type FileGenerator = (path: string) => string | Buffer | null;

export class GeneratedSource implements FileSource {
  private readonly mtimeMs = Date.now();

  constructor(private readonly generate: FileGenerator) {}

  private content(clientPath: string): { path: string; data: Buffer } | null {
    const path = normalizeVirtualPath(clientPath);
    if (!path) return null;
    const out = this.generate(path);
    if (out === null) return null;
    return { path, data: Buffer.isBuffer(out) ? out : Buffer.from(out, 'utf8') };
  }

  async stat(clientPath: string): Promise<FileStat | null> {
    const c = this.content(clientPath);
    return c ? { path: c.path, size: c.data.length, isDirectory: false, mtimeMs: this.mtimeMs } : null;
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    const c = this.content(clientPath);
    if (!c) return null;
    return bufferFile(c.data);
  }
}
