/**
 * Where served files come from: a plain directory (--root), an ISO image (read in place), or a generated
 * file (menus, scripts). TFTP, HTTP and FTP read through this interface only, so a file inside an ISO is
 * sent without being extracted.
 */

export interface FileStat {
  /** The canonical path inside the source ("/pxelinux.cfg/default"). */
  path: string;
  size: number;
  isDirectory: boolean;
  mtimeMs: number;
}

/** A run of a file's bytes as they lie in a real file: `length` bytes at `offset` on descriptor `fd`. */
export interface FileSpan {
  fd: number;
  offset: number;
  length: number;
}

/** An open file: ranged reads until closed. One handle per transfer (never share fds between streams). */
export interface OpenFile {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns bytes read (0 at EOF). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * Where bytes [start, end] (inclusive) lie on disk, in order, together exactly end - start + 1 bytes, or
   * null when some of them are not plain bytes of a file (zero-filled or inline data). A zero-copy sender
   * (the HTTP server's sendfile path) uses it; the descriptors stay valid until close(). Optional: only
   * sources that are byte ranges of a real file (a disk file, a file inside an ISO) have it; generated and
   * in-memory files do not, and are read.
   */
  span?(start: number, end: number): FileSpan[] | null;
  close(): Promise<void>;
}

export interface FileSource {
  /** Resolves a client-supplied path. Returns null when it does not exist or is refused (traversal, NUL...). */
  stat(clientPath: string): Promise<FileStat | null>;
  open(clientPath: string): Promise<OpenFile | null>;
  /**
   * The entries of a directory (each with its canonical path), or null when it is not a directory or is
   * refused. Optional: only listings need it (FTP LIST, an HTTP mount that allows listings); PXE never lists.
   */
  list?(clientDir: string): Promise<FileStat[] | null>;
}
