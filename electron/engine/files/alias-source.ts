/**
 * One file of a source seen under other names: the Secure Boot image's signed GRUB at the TFTP root, where
 * shim looks for "grubx64.efi" (LAB.md: shim fetches it from the root, not from its own folder).
 * Names are matched case-insensitively, like every TFTP path.
 */
import type { FileSource, FileStat, OpenFile } from './file-source';
import { normalizeVirtualPath } from './memory-source';

export class AliasSource implements FileSource {
  private readonly aliases = new Map<string, string>();

  /** `aliases`: client path -> path inside `source`. */
  constructor(
    private readonly source: FileSource,
    aliases: Record<string, string>,
  ) {
    for (const [from, to] of Object.entries(aliases)) {
      const norm = normalizeVirtualPath(from);
      if (!norm) throw new Error(`bad alias ${JSON.stringify(from)}`);
      this.aliases.set(norm.toLowerCase(), to);
    }
  }

  private target(clientPath: string): string | undefined {
    const norm = normalizeVirtualPath(clientPath);
    return norm ? this.aliases.get(norm.toLowerCase()) : undefined;
  }

  async stat(clientPath: string): Promise<FileStat | null> {
    const to = this.target(clientPath);
    if (!to) return null;
    const s = await this.source.stat(to);
    return s && !s.isDirectory ? { ...s, path: normalizeVirtualPath(clientPath) ?? s.path } : null;
  }

  async open(clientPath: string): Promise<OpenFile | null> {
    const to = this.target(clientPath);
    return to ? this.source.open(to) : null;
  }
}
