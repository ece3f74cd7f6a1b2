/**
 * The OS images one session serves: each ISO opened once (read in place, never extracted), recognised,
 * and given a stable id (the image library's: same file, same id, same URLs).
 */
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { targetForImage } from '../../../shared/answer/image-target';
import type { TargetId } from '../../../shared/answer/profile';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { IsoSummary } from '../../../shared/model/iso-summary';
import type { FileSource } from '../files/file-source';
import { fileIdentityHash, imageSlug, makeImageId } from '../images/image-id';
import { openIso, type IsoImage } from '../iso/iso-image';
import { detectOs } from '../iso/os-detect';

/** Where an image's contents and the image file itself sit on the HTTP and TFTP servers. */
export const ISO_PREFIX = '/iso/';

export interface ServedImage {
  id: string;
  file: string;
  summary: IsoSummary;
  /** The answer-file target for this image, or null when FieldBoot has no generator for it. */
  target: TargetId | null;
  source: FileSource;
  /** "/iso/<id>": contents below it. */
  mountPath: string;
  /** "/iso/<id>.iso": the whole image. */
  isoPath: string;
  close(): Promise<void>;
}

export function describeImage(summary: IsoSummary): string {
  return [summary.name, summary.arch].filter(Boolean).join(' ');
}

async function openOne(file: string, taken: Set<string>): Promise<ServedImage> {
  let image: IsoImage;
  let real: string;
  let st;
  try {
    real = realpathSync(file);
    st = statSync(real);
  } catch (err) {
    throw new FieldbootError(ErrorCode.FileNotFound, `cannot read the image ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Check the path of the ISO file.');
  }
  try {
    image = await openIso(real);
  } catch (err) {
    if (err instanceof FieldbootError) throw new FieldbootError(err.code, `${file}: ${err.message}`, err.hint);
    throw new FieldbootError(ErrorCode.IsoUnreadable, `${file}: ${(err as Error).message}`);
  }
  try {
    const summary = await detectOs(image);
    const id = makeImageId(imageSlug(summary, basename(real)), fileIdentityHash(real, st.size, st.mtimeMs), (c) => taken.has(c));
    taken.add(id);
    return {
      id,
      file: real,
      summary,
      target: targetForImage(summary),
      source: image.asFileSource(),
      mountPath: `${ISO_PREFIX}${id}`,
      isoPath: `${ISO_PREFIX}${id}.iso`,
      close: () => image.close(),
    };
  } catch (err) {
    await image.close().catch(() => {});
    throw err;
  }
}

/** Opens every image or none (a bad one closes those already open and throws with its name). */
export async function openServedImages(files: readonly string[]): Promise<ServedImage[]> {
  const out: ServedImage[] = [];
  const taken = new Set<string>();
  try {
    for (const f of files) out.push(await openOne(f, taken));
  } catch (err) {
    await Promise.allSettled(out.map((i) => i.close()));
    throw err;
  }
  return out;
}
