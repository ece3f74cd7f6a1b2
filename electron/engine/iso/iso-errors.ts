/**
 * Errors from reading an ISO 9660 / UDF image. Every malformed structure ends in one of these, with a
 * message that says what was wrong and where (sector, path), so a bad download or a hostile image is a
 * one-line explanation, never a crash, a hang or an unbounded allocation.
 */
import { ErrorCode, FieldbootError } from '../../../shared/errors';

export const IsoErrorKind = {
  /** No ISO 9660 volume descriptor and no UDF anchor: not a disc image at all. */
  NotAnImage: 'not-an-image',
  /** A structure points beyond the end of the file (incomplete download, or the file shrank). */
  Truncated: 'truncated',
  /** A directory (or CL link) leads back to one of its own ancestors. */
  Loop: 'loop',
  /** A count, a size or a depth beyond what any real image uses. */
  LimitExceeded: 'limit-exceeded',
  /** A structure that does not parse (bad tag, bad length, bad checksum). */
  Corrupt: 'corrupt',
  /** The file could not be opened or read (missing, permissions, I/O error). */
  Io: 'io',
  NotFound: 'not-found',
  NotAFile: 'not-a-file',
  NotADirectory: 'not-a-directory',
  /** Something valid we do not read (interleaved files, UDF virtual partitions...). */
  Unsupported: 'unsupported',
  Closed: 'closed',
} as const;
export type IsoErrorKind = (typeof IsoErrorKind)[keyof typeof IsoErrorKind];

export class IsoError extends FieldbootError {
  readonly kind: IsoErrorKind;
  constructor(kind: IsoErrorKind, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.IsoUnreadable, message);
    this.name = 'IsoError';
    this.kind = kind;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function isIsoError(err: unknown, kind?: IsoErrorKind): err is IsoError {
  return err instanceof IsoError && (kind === undefined || err.kind === kind);
}
