/**
 * Random-access reads of the image file for metadata (descriptors, directories). Every read is checked
 * against the file size captured at open, and a short read (the file shrank or vanished under us) is an
 * IsoError, never a silently zero-filled buffer.
 */
import { promises as fsp, type Stats } from 'node:fs';
import { IsoError, IsoErrorKind } from './iso-errors';

export const SECTOR_SIZE = 2048;

/** Largest single metadata read we ever do; bigger requests are a corrupt length, not a real structure. */
export const MAX_METADATA_READ = 64 * 1024 * 1024;

export class ImageFile {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<ImageFile> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, 'r');
    } catch (err) {
      throw ioError(path, err, 'open');
    }
    let stats: Stats;
    try {
      stats = await handle.stat();
    } catch (err) {
      await handle.close().catch(() => {});
      throw ioError(path, err, 'stat');
    }
    if (!stats.isFile() && !stats.isBlockDevice()) {
      await handle.close().catch(() => {});
      throw new IsoError(IsoErrorKind.NotAnImage, `${path} is not a regular file`);
    }
    return new ImageFile(path, handle, stats.size);
  }

  /** Reads exactly `length` bytes at `position`, or throws Truncated naming `what` (e.g. "directory at sector 20"). */
  async readAt(position: number, length: number, what: string): Promise<Buffer> {
    if (this.closed) throw new IsoError(IsoErrorKind.Closed, `image ${this.path} is closed`);
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
      throw new IsoError(IsoErrorKind.Corrupt, `${what}: bad position ${position} / length ${length}`);
    }
    if (position + length > this.size) {
      throw new IsoError(IsoErrorKind.Truncated, `truncated: ${what} lies beyond the end of the file (size ${this.size})`);
    }
    if (length > MAX_METADATA_READ) {
      throw new IsoError(IsoErrorKind.LimitExceeded, `${what}: ${length} bytes is larger than any real structure (limit ${MAX_METADATA_READ})`);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.handle.read(buf, done, length - done, position + done));
      } catch (err) {
        throw ioError(this.path, err, `read ${what}`);
      }
      if (n === 0) {
        throw new IsoError(IsoErrorKind.Truncated, `truncated: ${what} could not be read; the file ended at ${position + done} (it shrank while open?)`);
      }
      done += n;
    }
    return buf;
  }

  readSectors(sector: number, count: number, what: string): Promise<Buffer> {
    return this.readAt(sector * SECTOR_SIZE, count * SECTOR_SIZE, what);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => {});
  }
}

export function ioError(path: string, err: unknown, op: string): IsoError {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && typeof e.code === 'string' ? e.code : '';
  const why =
    code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'it is a directory'
    : e && typeof e.message === 'string' ? e.message
    : String(err);
  const kind = code === 'EISDIR' ? IsoErrorKind.NotAnImage : IsoErrorKind.Io;
  return new IsoError(kind, `cannot ${op} ${path}: ${why}`, { cause: err });
}
