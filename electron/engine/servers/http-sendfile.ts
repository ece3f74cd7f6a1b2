/**
 * The HTTP server's zero-copy body path: bytes of a file that lie on a real descriptor (OpenFile.span) are
 * sent to the client's TCP socket by the optional native addon `fieldboot-sendfile` (native/sendfile,
 * Linux sendfile(2) on a thread of its own). Node has no sendfile, so without it every byte is copied
 * twice in user space (page cache -> buffer -> socket); bench/http measured that copy as the gap to nginx.
 *
 * The addon is optional: it is built by `npm ci` (node-gyp, Linux only) and loaded lazily here; when it is
 * missing, fails to load, or is turned off (FIELDBOOT_HTTP_SENDFILE=0, or the server option), the server
 * keeps its read/write copy loop, which serves the same bytes.
 */
import type { Socket } from 'node:net';
import type { FileSpan } from '../files/file-source';
import { errnoName, loadLinuxAddon, type AddonLoad } from './native-addon';

/** Set to "0" to force the read/write copy path (tests, comparisons, a misbehaving kernel). */
export const HTTP_SENDFILE_ENV = 'FIELDBOOT_HTTP_SENDFILE';

declare const jobBrand: unique symbol;
/** A running transfer inside the addon (an opaque external). */
type SendfileJob = { readonly [jobBrand]: true };

/** native/sendfile/src/sendfile.c */
export interface SendfileAddon {
  start(socketFd: number, fileFd: number, spans: number[], stallMs: number, done: (errno: number, sent: number) => void): SendfileJob;
  sent(job: SendfileJob): number;
  cancel(job: SendfileJob): void;
}

export type SendfileLoad = AddonLoad<SendfileAddon>;

let loaded: SendfileLoad | undefined;

/** The addon, loaded once per process; `why` says why not (not Linux, not built, failed to load). */
export function loadSendfile(): SendfileLoad {
  loaded ??= loadLinuxAddon<SendfileAddon>('fieldboot-sendfile', 'sendfile(2)', ['start', 'sent', 'cancel']);
  return loaded;
}

/** Whether the environment turns the zero-copy path off. */
export function sendfileDisabledByEnv(): boolean {
  return process.env[HTTP_SENDFILE_ENV] === '0';
}

/** The socket's descriptor when it is plain TCP on this platform (not TLS, not a pipe); otherwise null. */
export function plainTcpFd(socket: Socket): number | null {
  if ((socket as Socket & { encrypted?: boolean }).encrypted) return null;
  const handle = (socket as Socket & { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

/** The one descriptor all spans lie on, with the spans as the addon's [offset, length, ...]; null otherwise. */
export function flattenSpans(spans: readonly FileSpan[]): { fd: number; flat: number[] } | null {
  const first = spans[0];
  if (!first) return null;
  const flat: number[] = [];
  for (const s of spans) {
    if (s.fd !== first.fd || s.length <= 0) return null;
    flat.push(s.offset, s.length);
  }
  return { fd: first.fd, flat };
}

/** Resolves once every byte written to the socket so far has been handed to the kernel (false: it closed). */
export function socketFlushed(socket: Socket): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  if (socket.writableLength === 0) return Promise.resolve(true);
  // libuv completes writes in order: an empty write's callback comes after the header bytes are written.
  return new Promise((resolve) => socket.write(Buffer.alloc(0), (err) => resolve(!err && !socket.destroyed && socket.writableLength === 0)));
}

export interface ZeroCopySend {
  addon: SendfileAddon;
  socket: Socket;
  socketFd: number;
  fileFd: number;
  /** [offset, length, ...] on fileFd. */
  spans: number[];
  /** No byte accepted by the client for this long ends the transfer (the connection's idle limit). */
  stallMs: number;
  /** Bytes sent since the last call, at most every `progressMs` while running, and once at the end. */
  onProgress(bytes: number): void;
  progressMs: number;
}

export interface ZeroCopyResult {
  sent: number;
  /** null when every byte went out; otherwise why not ("ECANCELED": the socket closed, "ETIMEDOUT"...). */
  error: string | null;
}

/**
 * Sends the spans and resolves when the addon's thread has let go of both descriptors. The socket closing
 * (client gone, server stopping, Node's own timeout) cancels the transfer. Node must not write to the socket
 * until this resolves; its idle timer is off meanwhile (Node sees no writes; the addon enforces `stallMs`).
 */
export function sendSpans(z: ZeroCopySend): Promise<ZeroCopyResult> {
  return new Promise((resolve) => {
    let reported = 0;
    const report = (total: number) => {
      if (total > reported) {
        z.onProgress(total - reported);
        reported = total;
      }
    };
    let job: SendfileJob;
    const onClose = () => z.addon.cancel(job);
    let timer: NodeJS.Timeout | null = null;
    try {
      job = z.addon.start(z.socketFd, z.fileFd, z.spans, Math.max(1, Math.round(z.stallMs)), (errno, sent) => {
        if (timer) clearInterval(timer);
        z.socket.off('close', onClose);
        report(sent);
        resolve({ sent, error: errno === 0 ? null : errnoName(errno) });
      });
    } catch (err) {
      resolve({ sent: 0, error: (err as Error).message });
      return;
    }
    z.socket.once('close', onClose);
    if (z.socket.destroyed) z.addon.cancel(job);
    timer = setInterval(() => report(z.addon.sent(job)), z.progressMs);
  });
}
