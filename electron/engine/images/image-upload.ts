/**
 * Receiving an image over a stream (web mode: the browser cannot hand us a path, so it sends the bytes).
 * The bytes go straight to a hidden `.part` file beside where the image will live, with backpressure:
 * memory stays at a few stream buffers whatever the image size. Any failure (too large, client gone,
 * disk full) removes the partial file; nothing half-written is ever taken for an image.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, FieldbootError } from '../../../shared/errors';

/** Bigger than any installer DVD we know of (RHEL 9 DVD ~ 10 GB, Windows Server ~ 6 GB), with room. */
export const DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 ** 3;
/** Bytes of UTF-8; ext4 and NTFS allow 255. */
export const MAX_UPLOAD_NAME_BYTES = 200;
export const PART_SUFFIX = '.part';

export class UploadTooLargeError extends FieldbootError {
  constructor(readonly limitBytes: number) {
    super(
      ErrorCode.BadOption,
      `the upload is larger than the ${formatLimit(limitBytes)} limit`,
      'Copy the ISO to this machine and add it by path, or start FieldBoot with a larger upload limit.',
    );
    this.name = 'UploadTooLargeError';
  }
}

export class UploadNameError extends FieldbootError {
  constructor(message: string) {
    super(ErrorCode.BadOption, message, 'Rename the file to a plain name such as "rocky-9.3-dvd.iso" and try again.');
    this.name = 'UploadNameError';
  }
}

export class UploadInterruptedError extends FieldbootError {
  constructor(detail: string) {
    super(ErrorCode.BadOption, `the upload was interrupted (${detail}); nothing was added`, 'Drop the ISO on the window again.');
    this.name = 'UploadInterruptedError';
  }
}

function formatLimit(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 ? 1 : 0)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(bytes % 1024 ** 2 ? 1 : 0)} MiB`;
  return `${bytes} bytes`;
}

// Windows refuses these device names with any extension; an image saved as "CON.iso" could never be opened there.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * The name an uploaded file is saved under, exactly as given or refused: no path separators, no
 * traversal, no hidden or control-character names. Refusing (rather than cleaning up) keeps the rule
 * simple to test and leaves no doubt about where a file lands.
 */
export function checkUploadName(name: string): string {
  if (name.length === 0) throw new UploadNameError('the upload has no file name');
  if (Buffer.byteLength(name, 'utf8') > MAX_UPLOAD_NAME_BYTES) throw new UploadNameError(`the file name is longer than ${MAX_UPLOAD_NAME_BYTES} bytes`);
  if (/[/\\]/.test(name)) throw new UploadNameError(`"${name}" contains a path separator; send the file name only`);
  if (name === '.' || name === '..' || name.startsWith('.')) throw new UploadNameError(`"${name}" is not an allowed file name (it starts with a dot)`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new UploadNameError('the file name contains control characters');
  if (/[<>:"|?*]/.test(name)) throw new UploadNameError(`"${name}" contains a character file systems refuse (< > : " | ? *)`);
  if (WINDOWS_RESERVED.test(name) || /[. ]$/.test(name)) throw new UploadNameError(`"${name}" is not a valid file name on every system`);
  return name;
}

/** "x.iso", then "x-2.iso", "x-3.iso"... the first name not present in `dir`. */
export async function freeFileName(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${stem}-${i}${ext}`;
    try {
      await fsp.lstat(join(dir, candidate));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return candidate;
      throw err;
    }
  }
}

export interface ReceiveOptions {
  maxBytes?: number;
  /** Content-Length, when the sender gave one: fewer bytes than that means the sender went away. */
  expectedBytes?: number | null;
}

export interface ReceivedFile {
  /** The `.part` file holding the bytes; the caller renames or removes it. */
  partPath: string;
  size: number;
  /** Of the content: the same ISO uploaded twice is recognised without reading it again. */
  sha256: string;
}

/**
 * Streams `source` into a new `.part` file in `dir`. Rejects (after removing the partial file) when the
 * stream exceeds `maxBytes`, errors, or ends short of `expectedBytes`.
 */
export async function receiveToPartFile(source: Readable, dir: string, name: string, options: ReceiveOptions = {}): Promise<ReceivedFile> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const expected = options.expectedBytes ?? null;
  if (expected !== null && expected > maxBytes) throw new UploadTooLargeError(maxBytes);
  await fsp.mkdir(dir, { recursive: true });
  const partPath = join(dir, `.${checkUploadName(name)}.${randomBytes(6).toString('hex')}${PART_SUFFIX}`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) return callback(new UploadTooLargeError(maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    // 'wx': never follow or overwrite something already there.
    await pipeline(source, meter, createWriteStream(partPath, { flags: 'wx', mode: 0o644 }));
    if (expected !== null && size !== expected) throw new UploadInterruptedError(`got ${size} of ${expected} bytes`);
  } catch (err) {
    await fsp.rm(partPath, { force: true });
    if (err instanceof FieldbootError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new FieldbootError(ErrorCode.StateDirUnwritable, `no space left for the upload in ${dir}`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new FieldbootError(ErrorCode.StateDirUnwritable, `cannot write the upload to ${dir}: ${(err as Error).message}`);
    throw new UploadInterruptedError((err as Error).message);
  }
  return { partPath, size, sha256: hash.digest('hex') };
}

export function isPartFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith(PART_SUFFIX);
}
