/**
 * What the ISO 9660 and UDF readers both produce: directory entries whose file data is a list of byte
 * ranges in the image (or bytes held inline, UDF only). The image layer (iso-image.ts) does path lookup,
 * caching and loop checks on top of this, the same way for both formats.
 */

export const EntryType = { File: 'file', Directory: 'directory', Symlink: 'symlink' } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** A run of file bytes: `length` bytes at absolute `position` in the image, or `length` zeros (sparse). */
export interface DataExtent {
  position: number;
  length: number;
  zero?: boolean;
}

export type FileData = { kind: 'extents'; extents: DataExtent[] } | { kind: 'inline'; bytes: Buffer };

export const NO_DATA: FileData = { kind: 'extents', extents: [] };

export interface VolumeEntry {
  name: string;
  type: EntryType;
  size: number;
  mtimeMs: number;
  /** POSIX mode bits when the image records them (Rock Ridge PX, UDF permissions), else null. */
  mode: number | null;
  linkTarget: string | null;
  data: FileData;
  /**
   * Identity of a directory's on-disc structure (extent sector, ICB location). Two entries with the same
   * key are the same directory: that is how loops are caught and how parsed directories are cached.
   */
  dirKey: string | null;
}

export const NameScheme = { RockRidge: 'rockridge', Joliet: 'joliet', Iso9660: 'iso9660', Udf: 'udf' } as const;
export type NameScheme = (typeof NameScheme)[keyof typeof NameScheme];

export interface VolumeTree {
  readonly names: NameScheme;
  readonly root: VolumeEntry;
  /** Parses one directory's entries ('.' and '..' excluded). `where` names it in error messages. */
  readDirectory(dir: VolumeEntry, where: string): Promise<VolumeEntry[]>;
}

/** Total bytes described by a FileData. */
export function dataLength(data: FileData): number {
  if (data.kind === 'inline') return data.bytes.length;
  let n = 0;
  for (const e of data.extents) n += e.length;
  return n;
}
