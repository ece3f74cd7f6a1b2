/**
 * OpenFile.span for files laid out as extents of one descriptor (a file inside an ISO, or a whole disk file
 * as a single extent): the byte range [start, end] of the file mapped onto the extents it crosses.
 */
import type { FileSpan } from './file-source';

export interface Extent {
  /** Byte offset in the descriptor's file. */
  position: number;
  length: number;
  /** Zero-filled (sparse) data: no bytes on disk to send. */
  zero?: boolean;
}

/**
 * The spans of `fd` holding bytes [start, end] of a file made of `extents` (in file order), or null when
 * the range touches a zero extent, lies outside the extents, or is empty.
 */
export function extentSpans(fd: number, extents: readonly Extent[], start: number, end: number): FileSpan[] | null {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) return null;
  const out: FileSpan[] = [];
  let fileAt = 0; // file offset where the current extent begins
  let pos = start;
  for (const e of extents) {
    const extentEnd = fileAt + e.length; // exclusive
    if (pos < extentEnd) {
      if (e.zero) return null;
      const within = pos - fileAt;
      const n = Math.min(extentEnd, end + 1) - pos;
      const last = out[out.length - 1];
      // Extents that follow each other on disk are one span: one sendfile(2) loop instead of two.
      if (last && last.offset + last.length === e.position + within) last.length += n;
      else out.push({ fd, offset: e.position + within, length: n });
      pos += n;
      if (pos > end) return out;
    }
    fileAt = extentEnd;
  }
  return null;
}
