/**
 * The read-only virtual file system an FTP session sees: mounts ("/pub/<id>/" -> an ISO's FileSource, or one
 * file at one path) plus the directories implied by their prefixes ("/", "/pub"). Purely virtual: a path is
 * resolved against the current directory with '..' clamped at "/", so nothing outside the mounts exists;
 * nothing is ever written. Shaped for ftp-srv (get, list, chdir, read, currentDirectory); the write methods
 * exist only to refuse, so that even a command that slipped past the server's filter gets a 550.
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import type { FileSource, OpenFile } from '../files/file-source';
import { compileMounts, isFileMount, matchMount, type CompiledMount, type HttpFileMount, type HttpSourceMount } from './http-mounts';
import { TransferReport } from './http-transfer-report';

/** A FileSource under a prefix, or one file on disk at one path (same shapes as the HTTP mounts). */
export type FtpMount = HttpSourceMount | HttpFileMount;

/** What ftp-srv formats into LIST lines and SIZE/MDTM replies. */
export interface FtpStat {
  name: string;
  size: number;
  mtime: Date;
  /** Permission bits only: read-only for everyone (ls shows r--r--r-- / r-xr-xr-x). */
  mode: number;
  isDirectory(): boolean;
}

/** Errors ftp-srv turns into replies; 550 is "file unavailable / action not taken" (RFC 959 section 4.2). */
export class FtpFsError extends Error {
  constructor(
    message: string,
    readonly code = 550,
  ) {
    super(message);
    this.name = 'FileSystemError';
  }
}

type Node =
  | { kind: 'virtual'; path: string }
  | { kind: 'source'; path: string; source: FileSource; sub: string }
  | { kind: 'file'; path: string; file: string };

export interface FtpFsContext {
  /** Compiled mounts, read at each lookup so mounts changed while serving apply to open sessions. */
  mounts(): CompiledMount[];
  chunkBytes: number;
  /** When the virtual directories were made (their mtime in listings). */
  startedAt: Date;
  /** The data connection of the transfer being set up, so a transfer dies with it (see read()). */
  dataSocket(): { once(event: 'close', listener: () => void): unknown } | null;
  report(path: string, size: number): TransferReport;
}

const FILE_MODE = 0o444;
const DIR_MODE = 0o555;

export function compileFtpMounts(mounts: readonly FtpMount[]): CompiledMount[] {
  return compileMounts(mounts);
}

/** Absolute, normalized segments for `arg` seen from `cwd`; '..' stops at the root. Null for NUL bytes. */
export function resolveFtpPath(cwd: string, arg: string | null | undefined): string[] | null {
  const text = arg ?? '';
  if (text.includes('\0')) return null;
  // Backslashes count as separators: a '\' inside a name would otherwise reach a FileSource that splits on it.
  const parts = text.split(/[\\/]+/);
  const out = text.startsWith('/') || text.startsWith('\\') ? [] : cwd.split('/').filter((s) => s !== '');
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}

export class FtpReadOnlyFileSystem {
  private cwd = '/';

  constructor(private readonly ctx: FtpFsContext) {}

  currentDirectory(): string {
    return this.cwd;
  }

  private lookup(arg: string | null | undefined): Node | null {
    const segs = resolveFtpPath(this.cwd, arg);
    if (!segs) return null;
    const path = '/' + segs.join('/');
    const mounts = this.ctx.mounts();
    const m = matchMount(mounts, segs, false);
    if (m) {
      if (isFileMount(m.mount)) return { kind: 'file', path, file: m.mount.file };
      if ('source' in m.mount) return { kind: 'source', path, source: m.mount.source, sub: '/' + m.rest.join('/') };
    }
    // A directory implied by a mount prefix ("/" and "/pub" for "/pub/deb/").
    const isParent = mounts.some((c) => c.segments.length > segs.length && segs.every((s, i) => c.segments[i] === s));
    return isParent || segs.length === 0 ? { kind: 'virtual', path } : null;
  }

  private virtualDir(name: string): FtpStat {
    return { name, size: 0, mtime: this.ctx.startedAt, mode: DIR_MODE, isDirectory: () => true };
  }

  private async statNode(node: Node): Promise<FtpStat | null> {
    const name = node.path === '/' ? '/' : node.path.slice(node.path.lastIndexOf('/') + 1);
    switch (node.kind) {
      case 'virtual':
        return this.virtualDir(name);
      case 'file': {
        const st = await fsp.stat(node.file).catch(() => null);
        if (!st?.isFile()) return null;
        return { name, size: st.size, mtime: st.mtime, mode: FILE_MODE, isDirectory: () => false };
      }
      case 'source': {
        if (node.sub === '/') return this.virtualDir(name);
        const s = await node.source.stat(node.sub);
        if (s) return { name, size: s.isDirectory ? 0 : s.size, mtime: new Date(s.mtimeMs), mode: s.isDirectory ? DIR_MODE : FILE_MODE, isDirectory: () => s.isDirectory };
        // Sources whose directories are only implied (MemorySource) answer list() but not stat().
        const entries = node.source.list ? await node.source.list(node.sub) : null;
        return entries ? this.virtualDir(name) : null;
      }
    }
  }

  async get(fileName: string): Promise<FtpStat> {
    const node = this.lookup(fileName);
    const st = node ? await this.statNode(node) : null;
    if (!st) throw new FtpFsError('No such file or directory');
    return st;
  }

  async list(path = '.'): Promise<FtpStat[]> {
    const node = this.lookup(path);
    if (!node) throw new FtpFsError('No such directory');
    switch (node.kind) {
      case 'virtual': {
        const segs = node.path === '/' ? [] : node.path.slice(1).split('/');
        const names = new Map<string, FtpStat>();
        for (const c of this.ctx.mounts()) {
          if (c.segments.length <= segs.length || !segs.every((s, i) => c.segments[i] === s)) continue;
          const name = c.segments[segs.length] as string;
          if (names.has(name)) continue;
          const child = c.segments.length === segs.length + 1 && c.exact ? await this.statNode({ kind: 'file', path: `${node.path === '/' ? '' : node.path}/${name}`, file: (c.mount as HttpFileMount).file }) : this.virtualDir(name);
          if (child) names.set(name, child);
        }
        return [...names.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
      case 'file': {
        const st = await this.statNode(node);
        if (!st) throw new FtpFsError('No such directory');
        return [st];
      }
      case 'source': {
        if (!node.source.list) return [];
        const entries = await node.source.list(node.sub);
        if (!entries) throw new FtpFsError('No such directory');
        return entries.map((e) => ({
          name: e.path.slice(e.path.lastIndexOf('/') + 1),
          size: e.isDirectory ? 0 : e.size,
          mtime: new Date(e.mtimeMs),
          mode: e.isDirectory ? DIR_MODE : FILE_MODE,
          isDirectory: () => e.isDirectory,
        }));
      }
    }
  }

  async chdir(path = '.'): Promise<string> {
    const node = this.lookup(path);
    const st = node ? await this.statNode(node) : null;
    if (!node || !st?.isDirectory()) throw new FtpFsError('Not a valid directory');
    this.cwd = node.path;
    return this.cwd;
  }

  /** RETR: a stream of the file from `start` (REST), on a handle of its own, closed when the stream ends or dies. */
  async read(fileName: string, { start }: { start?: number } = {}): Promise<{ stream: Readable; clientPath: string }> {
    const node = this.lookup(fileName);
    let file: OpenFile | null = null;
    if (node?.kind === 'source' && node.sub !== '/') file = await node.source.open(node.sub);
    else if (node?.kind === 'file') file = await openFile(node.file);
    if (!node || !file) throw new FtpFsError('No such file');
    const from = Math.min(Math.max(0, start ?? 0), file.size);
    const stream = new SourceReadStream(file, from, this.ctx.chunkBytes, this.ctx.report(node.path, file.size - from));
    // ftp-srv only resumes the file stream from a data socket write callback; if that socket is closed
    // without an error (the control connection dropped, ABOR), the stream would sit paused with its
    // handle open forever. Ending it with the socket frees the handle.
    this.ctx.dataSocket()?.once('close', () => stream.destroy());
    return { stream, clientPath: node.path };
  }

  write(): never {
    throw new FtpFsError('Read-only server');
  }
  delete(): never {
    throw new FtpFsError('Read-only server');
  }
  mkdir(): never {
    throw new FtpFsError('Read-only server');
  }
  rename(): never {
    throw new FtpFsError('Read-only server');
  }
  chmod(): never {
    throw new FtpFsError('Read-only server');
  }
}

async function openFile(path: string): Promise<OpenFile | null> {
  const handle = await fsp.open(path, 'r').catch(() => null);
  if (!handle) return null;
  const st = await handle.stat().catch(() => null);
  if (!st?.isFile()) {
    await handle.close().catch(() => {});
    return null;
  }
  return {
    size: st.size,
    async read(buffer, offset, length, position) {
      if (length <= 0 || position >= st.size) return 0;
      return (await handle.read(buffer, offset, Math.min(length, st.size - position), position)).bytesRead;
    },
    close: () => handle.close(),
  };
}

/** Chunks of an OpenFile from `start` to its end; reports bytes as they are handed to ftp-srv. */
class SourceReadStream extends Readable {
  private pos: number;
  private ended = false;

  constructor(
    private readonly file: OpenFile,
    start: number,
    private readonly chunkBytes: number,
    private readonly report: TransferReport,
  ) {
    super({ highWaterMark: chunkBytes });
    this.pos = start;
  }

  override _read(): void {
    const n = Math.min(this.chunkBytes, this.file.size - this.pos);
    if (n <= 0) {
      this.ended = true;
      this.report.end();
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(n);
    this.file.read(buf, 0, n, this.pos).then(
      (got) => {
        if (this.destroyed) return;
        if (got === 0) return void this.destroy(new Error(`file ended at byte ${this.pos}, before its size ${this.file.size} (it shrank)`));
        this.pos += got;
        this.report.add(got);
        this.push(got === n ? buf : buf.subarray(0, got));
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.ended) this.report.fail(error ? error.message : `transfer aborted after ${this.report.bytes} bytes`);
    this.file.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
