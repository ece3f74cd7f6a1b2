/**
 * Several sources seen as one: the first layer that has a path wins. A session stacks its generated files,
 * the user's boot tree (--root) and the built-in loaders (resources/boot), in that order.
 */
import type { FileSource, FileStat, OpenFile } from './file-source';

export class LayeredSource implements FileSource {
  constructor(private readonly layers: readonly FileSource[]) {}

  async stat(clientPath: string): Promise<FileStat | null> {
    for (const layer of this.layers) {
      const s = await layer.stat(clientPath);
      if (s) return s;
    }
    return null;
  }

  /** Every layer's entries merged; a name in an upper layer hides the same name (any case) below it. */
  async list(clientDir: string): Promise<FileStat[] | null> {
    let found = false;
    const merged = new Map<string, FileStat>();
    for (const layer of this.layers) {
      const entries = layer.list ? await layer.list(clientDir) : null;
      if (!entries) continue;
      found = true;
      for (const e of entries) {
        const key = (e.path.slice(e.path.lastIndexOf('/') + 1) || e.path).toLowerCase();
        if (!merged.has(key)) merged.set(key, e);
      }
    }
    return found ? [...merged.values()] : null;
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    for (const layer of this.layers) {
      const f = await layer.open(clientPath);
      if (f) return f;
    }
    return null;
  }
}
