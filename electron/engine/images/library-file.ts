/**
 * images.json: the image library on disk. Written atomically (temp file in the same directory, fsync,
 * rename, fsync of the directory), so a crash or kill -9 at any moment leaves either the old or the new
 * list, never half of one. Read defensively: a file that is not ours, or entries that do not check,
 * become warnings and an emptier library, never a crash at start-up.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { LibraryImage, LibraryImageOrigin } from '../../../shared/model/library-image';
import { isValidImageId } from './image-id';

export const LIBRARY_FILE_NAME = 'images.json';
export const LIBRARY_FILE_VERSION = 1;

/** What is persisted per image: the entry without its live state (missing/changed/warnings are recomputed). */
export type StoredImage = Omit<LibraryImage, 'warnings' | 'missing' | 'changed'>;

export interface LibraryFile {
  version: typeof LIBRARY_FILE_VERSION;
  images: StoredImage[];
}

export interface LoadedLibrary {
  images: StoredImage[];
  /** Why entries (or the whole file) were not loaded. */
  warnings: string[];
}

const ORIGINS: ReadonlySet<string> = new Set<LibraryImageOrigin>(['path', 'upload']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A stored entry, or a reason it is not one. The summary is checked only for what the library uses. */
export function checkStoredImage(raw: unknown): StoredImage | string {
  if (!isObject(raw)) return 'not an object';
  const { id, path, fileName, size, mtimeMs, addedAt, origin, summary } = raw;
  if (typeof id !== 'string' || !isValidImageId(id)) return `bad id ${JSON.stringify(id)}`;
  if (typeof path !== 'string' || !isAbsolute(path)) return `${id}: path is not absolute`;
  if (typeof fileName !== 'string' || !fileName) return `${id}: no file name`;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return `${id}: bad size`;
  if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) return `${id}: bad mtime`;
  if (typeof addedAt !== 'string') return `${id}: bad addedAt`;
  if (typeof origin !== 'string' || !ORIGINS.has(origin)) return `${id}: bad origin`;
  if (!isObject(summary) || typeof summary.family !== 'string' || typeof summary.name !== 'string') return `${id}: bad summary`;
  return raw as unknown as StoredImage;
}

/**
 * Reads images.json. Missing file: an empty library, no warning (first start). Unreadable JSON or a
 * foreign shape: an empty library with a warning, and the bad file is kept beside as
 * images.json.corrupt-<time> so nothing the technician had is silently destroyed by the next save.
 */
export async function readLibraryFile(file: string): Promise<LoadedLibrary> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { images: [], warnings: [] };
    return { images: [], warnings: [`cannot read ${basename(file)}: ${(err as Error).message}; starting with an empty image list`] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { images: [], warnings: [await setAside(file, `is not valid JSON (${(err as Error).message})`)] };
  }
  if (!isObject(parsed) || parsed.version !== LIBRARY_FILE_VERSION || !Array.isArray(parsed.images)) {
    return { images: [], warnings: [await setAside(file, `is not a version ${LIBRARY_FILE_VERSION} image list`)] };
  }
  const images: StoredImage[] = [];
  const warnings: string[] = [];
  const ids = new Set<string>();
  for (const [i, raw] of parsed.images.entries()) {
    const checked = checkStoredImage(raw);
    if (typeof checked === 'string') warnings.push(`${basename(file)}: entry ${i} dropped: ${checked}`);
    else if (ids.has(checked.id)) warnings.push(`${basename(file)}: entry ${i} dropped: duplicate id ${checked.id}`);
    else {
      ids.add(checked.id);
      images.push(checked);
    }
  }
  return { images, warnings };
}

async function setAside(file: string, why: string): Promise<string> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await fsp.rename(file, aside);
    return `${basename(file)} ${why}; kept it as ${basename(aside)} and started with an empty image list`;
  } catch {
    return `${basename(file)} ${why}; started with an empty image list`;
  }
}

/** Replaces `file` with `data` atomically and durably. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  // The rename is only durable once the directory entry is on disk (POSIX; Windows cannot open a directory).
  if (process.platform !== 'win32') {
    const dh = await fsp.open(dir, 'r').catch(() => null);
    await dh?.sync().catch(() => undefined);
    await dh?.close();
  }
}

export async function writeLibraryFile(file: string, images: StoredImage[]): Promise<void> {
  const body: LibraryFile = { version: LIBRARY_FILE_VERSION, images };
  await writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n');
}

/** Left over by a crash between open and rename; safe to delete at start-up. */
export function isLibraryTempFile(name: string, fileName = LIBRARY_FILE_NAME): boolean {
  return name.startsWith(`.${fileName}.`) && name.endsWith('.tmp');
}
