/**
 * Image ids: a readable slug of the detected OS (or the file name) plus a short hash of the file's
 * identity, e.g. "rocky-9-3-x86-64-3f9a1c2e". They appear in URLs (`/iso/<id>/images/pxeboot/vmlinuz`)
 * that installers fetch and that technicians read in logs, so: lowercase [a-z0-9-] only, no leading,
 * trailing or doubled dash, bounded length. The library stores the id once made, so it stays the same
 * across restarts even if the inputs (mtime) later change.
 */
import { createHash } from 'node:crypto';
import { LIBRARY_IMAGE_ID_PATTERN, MAX_LIBRARY_IMAGE_ID_LENGTH } from '../../../shared/model/library-image';
import { OsFamily, type IsoSummary } from '../../../shared/model/iso-summary';

/** Slug part only; the hash (8..16 hex) and its dash make up the rest of MAX_LIBRARY_IMAGE_ID_LENGTH. */
export const MAX_SLUG_LENGTH = 40;
export const DEFAULT_HASH_LENGTH = 8;
export const MAX_HASH_LENGTH = 16;

/** Anything -> lowercase words of [a-z0-9] joined by single dashes, at most `max` characters. */
export function slugify(text: string, max = MAX_SLUG_LENGTH): string {
  const words = text
    .normalize('NFKD')
    // Combining marks left by NFKD ("é" -> "e" + U+0301) go; everything else not [a-z0-9] splits words.
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let out = '';
  for (const w of words) {
    const next = out ? `${out}-${w}` : w;
    if (next.length > max) {
      // A first word longer than the limit is cut; later ones are dropped whole.
      if (!out) out = w.slice(0, max);
      break;
    }
    out = next;
  }
  return out;
}

/** The words that name an image: the OS family, version and arch when detected, else the file name. */
export function imageSlug(summary: Pick<IsoSummary, 'family' | 'version' | 'arch'>, fileName: string): string {
  if (summary.family !== OsFamily.Unknown) {
    const slug = slugify([summary.family, summary.version ?? '', summary.arch ?? ''].join(' '));
    if (slug) return slug;
  }
  const stem = fileName.replace(/\.(iso|img|udf)$/i, '');
  return slugify(stem) || 'image';
}

/** The file's identity: the same file (path, size, mtime) always hashes the same. */
export function fileIdentityHash(realPath: string, size: number, mtimeMs: number): string {
  return createHash('sha256').update(`${realPath}\0${size}\0${mtimeMs}`).digest('hex');
}

/**
 * A new id for an image: slug + the shortest hash prefix (8..16 hex digits) not taken. Two different
 * files that share a 16-digit prefix get a counter; with 2^64 prefixes that is a safety net, not a plan.
 */
export function makeImageId(slug: string, identityHash: string, taken: (id: string) => boolean): string {
  const base = slugify(slug) || 'image';
  for (let n = DEFAULT_HASH_LENGTH; n <= MAX_HASH_LENGTH; n += 4) {
    const id = `${base}-${identityHash.slice(0, n)}`;
    if (!taken(id)) return id;
  }
  for (let i = 2; ; i++) {
    const id = `${base}-${identityHash.slice(0, MAX_HASH_LENGTH)}-${i}`;
    if (!taken(id)) return id;
  }
}

export function isValidImageId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_LIBRARY_IMAGE_ID_LENGTH && LIBRARY_IMAGE_ID_PATTERN.test(id);
}
