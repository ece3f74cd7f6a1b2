/**
 * One OS image in the image library (electron/engine/images/image-library.ts): the file, what was
 * detected in it, and whether it is still the file that was inspected. Plain data: persisted in
 * <stateDir>/images.json, sent to the UI, and (later) handed to the engine in ServeConfig.isos.
 */
import type { IsoSummary } from './iso-summary';

/** How the image came in: a path on this machine (never deleted by us) or a web-mode upload (our copy). */
export type LibraryImageOrigin = 'path' | 'upload';

export interface LibraryImage {
  /** Stable, URL-safe ([a-z0-9-]), unique: used in `/iso/<id>/...`. */
  id: string;
  /** Absolute, symlinks resolved. */
  path: string;
  fileName: string;
  size: number;
  mtimeMs: number;
  /** ISO time the image was added. */
  addedAt: string;
  origin: LibraryImageOrigin;
  summary: IsoSummary;
  /**
   * The library's own warnings about the file (missing, changed since inspection). What the technician
   * must know about the OS itself is in summary.warnings / summary.notes.
   */
  warnings: string[];
  /** The file is gone from `path` (unplugged disk, moved, deleted). */
  missing?: boolean;
  /** The file at `path` has another size or modification time than when it was inspected. */
  changed?: boolean;
  /**
   * Set when the file is Debian's netboot.tar.gz rather than an ISO: the kernels in it. Served beside the
   * Debian CD/DVD image of the same release (paired by kernel ABI when serving starts); `summary` then
   * describes the archive for the list.
   */
  netboot?: { kernels: { arch: string; kernelVersion: string | null }[] };
}

/** `id` rules, shared so the UI and URL parsers agree with the library. */
export const LIBRARY_IMAGE_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_LIBRARY_IMAGE_ID_LENGTH = 64;
