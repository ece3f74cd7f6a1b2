/**
 * Read-only HTTP/1.1 server on node:http (no framework): ISO contents under "/iso/<id>/", whole files at one
 * path (the ISO itself), and handler mounts for dynamic routes (see http-mounts.ts). GET and HEAD (POST for
 * handlers only); one byte range per request (RFC 9110 section 14); ETag / Last-Modified validators; bodies
 * streamed from a FileSource in chunks with backpressure, on a file handle of their own, released when the
 * client goes away. Bodies of plain files (OpenFile.span) go out with sendfile(2) instead when the optional
 * native addon is there (http-sendfile.ts). Paths are cleaned once (http-request-path.ts); nothing outside a
 * mount is reachable.
 * Bad requests get a 4xx and a log line; only a failed bind stops the server.
 */
import { promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import { nowIso, type ServiceInfo } from '../../../shared/model/engine-event';
import type { FileSpan, FileStat, OpenFile } from '../files/file-source';
import { createLog, type Log } from '../log';
import { mimeTypeFor } from './http-mime';
import {
  compileMounts,
  isFileMount,
  isHandlerMount,
  matchMount,
  type CompiledMount,
  type HttpHandlerMount,
  type HttpMount,
  type HttpReply,
  type HttpSourceMount,
} from './http-mounts';
import { parseRange } from './http-range';
import { encodePath, parseRequestTarget } from './http-request-path';
import { flattenSpans, loadSendfile, plainTcpFd, sendfileDisabledByEnv, sendSpans, socketFlushed, type SendfileAddon } from './http-sendfile';
import { clientLabel, HTTP_PROGRESS_INTERVAL_MS, plainAddress, TransferReport } from './http-transfer-report';
import { listenError } from './listen-error';
import type { NetworkService, ServiceContext } from './network-service';

export type { HttpFileMount, HttpHandler, HttpHandlerContext, HttpHandlerMount, HttpMount, HttpReply, HttpSourceMount } from './http-mounts';

export const DEFAULT_HTTP_PORT = 80;
/**
 * Largest file read per chunk. Measured (bench/http, 1 GiB from an ISO over a veth pair): 128 KiB chunks
 * gave about 0.6x the throughput of 1 MiB ones; past 1 MiB nothing more is gained.
 */
export const DEFAULT_HTTP_CHUNK_BYTES = 1024 * 1024;
/** Smallest chunk, however many transfers share the budget. */
export const HTTP_MIN_CHUNK_BYTES = 64 * 1024;
/**
 * Chunk buffers of all running transfers together: one transfer gets 1 MiB chunks, 50 at once get 256 KiB
 * ones, so a rack booting at once costs tens of MB, not hundreds.
 */
export const DEFAULT_HTTP_BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;
/** Chunk buffers per transfer: one being read, the others queued on or being written to the socket. */
export const HTTP_BUFFERS_PER_TRANSFER = 3;
/** Request line and headers must arrive within this (slowloris). */
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** The whole request (headers and any POST body) must arrive within this. */
export const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this. iPXE and installers fetch files back to back. */
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS = 15_000;
/** A connection on which nothing moves either way for this long (a client that stopped reading) is closed. */
export const DEFAULT_HTTP_IDLE_TIMEOUT_MS = 60_000;
/** Request line plus headers. Boot clients send a few hundred bytes. */
export const DEFAULT_HTTP_MAX_HEADER_BYTES = 8 * 1024;
/** POST bodies for handler mounts (installer progress callbacks are a few hundred bytes). */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_HTTP_MAX_CONNECTIONS = 512;
/**
 * Smallest body sent with sendfile(2) (when the addon is there and the file has spans). Measured on
 * loopback (bench/http/README.md): per request the two paths are within the noise of each other up to a few
 * MiB, so small files (menus, scripts, configs) keep the copy loop, which needs no thread of its own.
 */
export const DEFAULT_HTTP_SENDFILE_MIN_BYTES = 256 * 1024;

/** Status codes used, with their RFC 9110 sections. */
export const HttpStatus = {
  Ok: 200, // 15.3.1
  PartialContent: 206, // 15.3.7
  MovedPermanently: 301, // 15.4.2
  NotModified: 304, // 15.4.5
  BadRequest: 400, // 15.5.1
  NotFound: 404, // 15.5.5
  MethodNotAllowed: 405, // 15.5.6
  ContentTooLarge: 413, // 15.5.14
  UriTooLong: 414, // 15.5.15
  RangeNotSatisfiable: 416, // 15.5.17
  InternalServerError: 500, // 15.6.1
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
};

export interface HttpServerOptions {
  bindAddress: string;
  /** 0 picks a free port (tests); services() reports the real one. */
  port?: number;
  mounts?: readonly HttpMount[];
  /** Largest chunk per file read (DEFAULT_HTTP_CHUNK_BYTES). */
  chunkBytes?: number;
  /** Chunk memory shared by all running transfers (DEFAULT_HTTP_BUFFER_BUDGET_BYTES). */
  bufferBudgetBytes?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxHeaderBytes?: number;
  maxConnections?: number;
  /**
   * Bodies of plain files (OpenFile.span) over plain TCP go out with sendfile(2) through the optional
   * fieldboot-sendfile addon when it loads (default true, unless FIELDBOOT_HTTP_SENDFILE=0). false: always
   * the read/write copy loop.
   */
  sendfile?: boolean;
  /** Smallest body for the sendfile path (DEFAULT_HTTP_SENDFILE_MIN_BYTES). */
  sendfileMinBytes?: number;
}

/** How response bodies from files went out (tests and diagnostics). */
export interface HttpBodyCounts {
  /** Sent by sendfile(2) from the file's descriptor. */
  zeroCopy: number;
  /** Read into buffers and written (generated files, small bodies, no addon). */
  copied: number;
}

/** A file ready to send: its handle (owned by the caller until handed to the response) and validators. */
interface Servable {
  file: OpenFile;
  mtimeMs: number;
}

/** Any file handle opened for a response and not yet closed (tests, stop()). */
interface OpenTransfer {
  close(): Promise<void>;
}

export class HttpServer implements NetworkService {
  private readonly log: Log;
  private readonly port: number;
  private readonly chunkBytes: number;
  private readonly bufferBudget: number;
  private pumping = 0;
  private compiled: CompiledMount[];
  private server: Server | null = null;
  private boundPort = 0;
  private readonly open = new Set<OpenTransfer>();
  private sendfile: SendfileAddon | null = null;
  private readonly sendfileMinBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly counts: HttpBodyCounts = { zeroCopy: 0, copied: 0 };

  constructor(
    private readonly options: HttpServerOptions,
    private readonly ctx: ServiceContext,
  ) {
    this.log = createLog(ctx.logSink, 'HTTP');
    this.port = options.port ?? DEFAULT_HTTP_PORT;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_HTTP_CHUNK_BYTES;
    this.bufferBudget = options.bufferBudgetBytes ?? DEFAULT_HTTP_BUFFER_BUDGET_BYTES;
    this.compiled = compileMounts(options.mounts ?? []);
    this.sendfileMinBytes = Math.max(1, options.sendfileMinBytes ?? DEFAULT_HTTP_SENDFILE_MIN_BYTES);
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_HTTP_IDLE_TIMEOUT_MS;
  }

  /** Replaces the mounts (images come and go while serving). Transfers already running keep their file. */
  setMounts(mounts: readonly HttpMount[]): void {
    this.compiled = compileMounts(mounts);
  }

  mounts(): HttpMount[] {
    return this.compiled.map((c) => c.mount);
  }

  /** How many file bodies went out by each path since start (tests and diagnostics). */
  bodyCounts(): HttpBodyCounts {
    return { ...this.counts };
  }

  /** File handles currently open for responses (tests and diagnostics). */
  openFileCount(): number {
    return this.open.size;
  }

  async start(): Promise<void> {
    if (this.server) throw new FieldbootError(ErrorCode.AlreadyServing, 'HTTP server already started');
    const o = this.options;
    const headersTimeout = o.headersTimeoutMs ?? DEFAULT_HTTP_HEADERS_TIMEOUT_MS;
    const server = createServer({
      maxHeaderSize: o.maxHeaderBytes ?? DEFAULT_HTTP_MAX_HEADER_BYTES,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, o.requestTimeoutMs ?? DEFAULT_HTTP_REQUEST_TIMEOUT_MS),
      keepAliveTimeout: o.keepAliveTimeoutMs ?? DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // The header/request timeouts are enforced by a sweep at this interval (Node's default is 30 s).
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      // The server ignores Host; HTTP/1.1 clients without one (odd firmware) are still served.
      requireHostHeader: false,
      noDelay: true,
    });
    // Without a 'timeout' listener Node destroys the socket: that is the wanted end for a stalled client.
    server.setTimeout(this.idleTimeoutMs);
    server.maxConnections = o.maxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => this.fail(req, res, err));
    });
    // RFC 9110 section 10.1.1: a client sending "Expect: 100-continue" holds its body back until it sees 100.
    // Node answers 100 by itself unless this listener exists; here 100 goes out only when a handler reads the
    // body (readBody), so a refusal (413, 405, 404) reaches the client before it sends a byte. Without that,
    // curl got "100", started a 3 MB upload into a closing socket, and never saw the 413. The connection is
    // closed after a response whose body was never asked for (the client may send it anyway after its
    // timeout, and it would be parsed as the next request).
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Connection', 'close');
      this.handle(req, res).catch((err: unknown) => this.fail(req, res, err));
    });
    server.on('clientError', (err: Error & { code?: string }, socket: Socket) => this.onClientError(err, socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, o.bindAddress, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      server.close();
      throw listenError(err, 'HTTP', o.bindAddress, this.port);
    }
    server.on('error', (err) => this.log.warn(`listener error: ${err.message}`));
    this.server = server;
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.port;
    this.log.info(`listening on ${o.bindAddress}:${this.boundPort}`);
    this.chooseBodyPath();
  }

  /** Loads the sendfile addon when wanted and says once, at debug level, which body path is in use. */
  private chooseBodyPath(): void {
    const why =
      this.options.sendfile === false ? 'turned off for this server'
      : sendfileDisabledByEnv() ? 'turned off by FIELDBOOT_HTTP_SENDFILE=0'
      : null;
    const load = why === null ? loadSendfile() : { addon: null, why };
    this.sendfile = load.addon;
    if (load.addon) this.log.debug(`file bodies of ${this.sendfileMinBytes} bytes or more go out with sendfile(2) (fieldboot-sendfile); others are copied`);
    else this.log.debug(`file bodies are copied through user space: ${load.why}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Running downloads end now: their 'close' handlers release the file handles.
    server.closeAllConnections();
    await closed;
    // Each response releases its handle as its socket closes; force what is still open after a moment
    // (a read stuck on a slow disk) so stop() always leaves no descriptor behind.
    for (let i = 0; i < 50 && this.open.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.open].map((t) => t.close()));
    this.open.clear();
  }

  services(): ServiceInfo[] {
    return this.server ? [{ name: 'http', address: this.options.bindAddress, port: this.boundPort }] : [];
  }

  // -------------------------------------------------------------------------------------------------

  private onClientError(err: Error & { code?: string }, socket: Socket): void {
    // Oversized headers, garbage, timeouts: answer when the socket can still take it, never throw.
    this.log.debug(`client error from ${clientLabel(socket.remoteAddress, socket.remotePort)}: ${err.code ?? err.message}`);
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.log.error(`${req.method} ${req.url} from ${clientLabel(req.socket.remoteAddress, req.socket.remotePort)} failed: ${message}`);
    if (!res.headersSent) this.sendStatus(req, res, HttpStatus.InternalServerError);
    else res.destroy();
  }

  private sendStatus(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
    const body = `${status} ${STATUS_TEXT[status] ?? ''}\n`;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    const client = clientLabel(req.socket.remoteAddress, req.socket.remotePort);
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      this.log.info(`${client} ${method} ${req.url}: method not allowed`);
      return this.sendStatus(req, res, HttpStatus.MethodNotAllowed, { Allow: 'GET, HEAD' });
    }
    const target = parseRequestTarget(req.url ?? '');
    if (!target.ok) {
      this.log.info(`${client} ${method} ${JSON.stringify((req.url ?? '').slice(0, 200))}: refused (${target.reason})`);
      return this.sendStatus(req, res, target.status);
    }
    const match = matchMount(this.compiled, target.segments, target.trailingSlash);
    if (!match) {
      if (method === 'POST') return this.sendStatus(req, res, HttpStatus.MethodNotAllowed, { Allow: 'GET, HEAD' });
      this.notFound(req, res, client, target.path, 'no mount');
      return;
    }
    const { mount, rest } = match;
    if (isHandlerMount(mount)) return this.handleDynamic(req, res, mount, rest, target.path, target.query, client);
    if (method === 'POST') return this.sendStatus(req, res, HttpStatus.MethodNotAllowed, { Allow: 'GET, HEAD' });
    if (isFileMount(mount)) {
      const servable = await openDiskFile(mount.file);
      if (!servable) return this.notFound(req, res, client, target.path, `${mount.file} cannot be opened`);
      return this.sendFile(req, res, servable, target.path, client);
    }
    return this.serveFromSource(req, res, mount, rest, target.path, target.trailingSlash, client);
  }

  private notFound(req: IncomingMessage, res: ServerResponse, client: string, path: string, why: string): void {
    this.log.info(`${client} ${req.method} ${path}: 404 (${why})`);
    if (req.method === 'GET') {
      this.ctx.emit({ type: 'file', time: nowIso(), protocol: 'http', action: 'error', client, path, bytes: 0, error: 'Not found' });
    }
    this.sendStatus(req, res, HttpStatus.NotFound);
  }

  private async serveFromSource(req: IncomingMessage, res: ServerResponse, mount: HttpSourceMount, rest: string[], path: string, trailingSlash: boolean, client: string): Promise<void> {
    const sub = '/' + rest.join('/');
    const stat: FileStat | null = rest.length === 0 ? { path: '/', size: 0, isDirectory: true, mtimeMs: 0 } : await mount.source.stat(sub);
    if (!stat) return this.notFound(req, res, client, path, 'no such file');
    if (stat.isDirectory) {
      if (!mount.listing || !mount.source.list) return this.notFound(req, res, client, path, 'directory, listings off');
      if (!trailingSlash && rest.length > 0) {
        return this.sendStatus(req, res, HttpStatus.MovedPermanently, { Location: encodePath(path) + '/' });
      }
      const entries = await mount.source.list(sub);
      if (!entries) return this.notFound(req, res, client, path, 'directory cannot be listed');
      return this.sendReply(req, res, { contentType: 'text/html; charset=utf-8', body: renderListing(path, entries) }, path, client, false);
    }
    const file = await mount.source.open(sub);
    if (!file) return this.notFound(req, res, client, path, 'no such file');
    await this.sendFile(req, res, { file, mtimeMs: stat.mtimeMs }, path, client);
  }

  private async handleDynamic(req: IncomingMessage, res: ServerResponse, mount: HttpHandlerMount, rest: string[], path: string, query: string, client: string): Promise<void> {
    const allowed = ['GET', 'HEAD', ...(mount.methods ?? ['POST'])];
    if (!allowed.includes(req.method ?? '')) return this.sendStatus(req, res, HttpStatus.MethodNotAllowed, { Allow: allowed.join(', ') });
    let body: Buffer = Buffer.alloc(0);
    if (req.method === 'POST') {
      const read = await readBody(req, res, mount.maxBodyBytes ?? DEFAULT_HTTP_MAX_BODY_BYTES);
      if (read === 'too-large') {
        this.log.info(`${client} POST ${path}: body over the limit`);
        return this.sendStatus(req, res, HttpStatus.ContentTooLarge, { Connection: 'close' });
      }
      if (read === 'aborted') return;
      body = read;
    }
    const reply = await mount.handler(req, res, {
      subPath: '/' + rest.join('/'),
      segments: rest,
      path,
      query: new URLSearchParams(query),
      clientAddress: plainAddress(req.socket.remoteAddress),
      clientPort: req.socket.remotePort ?? 0,
      body,
      log: this.log,
    });
    if (reply === undefined) return;
    if (reply === null) return this.notFound(req, res, client, path, 'handler has nothing');
    this.sendReply(req, res, reply, path, client, req.method === 'GET');
  }

  /** A whole small body in memory (handler replies, listings). */
  private sendReply(req: IncomingMessage, res: ServerResponse, reply: HttpReply, path: string, client: string, report: boolean): void {
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
    const status = reply.status ?? HttpStatus.Ok;
    res.writeHead(status, {
      'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...reply.headers,
      'Content-Length': String(body.length),
    });
    if (req.method === 'HEAD') return void res.end();
    const events = report && status >= 200 && status < 300 ? new TransferReport({ protocol: 'http', client, path, size: body.length, emit: (e) => this.ctx.emit(e) }) : null;
    res.end(body, () => {
      events?.add(body.length);
      events?.end();
    });
    res.once('close', () => {
      if (events && !events.done) events.fail('client disconnected');
    });
  }

  /** Headers (with validators, ranges) and then the body of one file. Takes ownership of `s.file`. */
  private async sendFile(req: IncomingMessage, res: ServerResponse, s: Servable, path: string, client: string): Promise<void> {
    const transfer = { close: () => s.file.close().catch(() => {}) };
    this.open.add(transfer);
    const release = async () => {
      if (!this.open.delete(transfer)) return;
      await transfer.close();
    };
    try {
      const size = s.file.size;
      const etag = `"${size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;
      const lastModified = new Date(Math.floor(s.mtimeMs / 1000) * 1000);
      const headers: Record<string, string> = {
        'Content-Type': mimeTypeFor(path),
        'Accept-Ranges': 'bytes',
        ETag: etag,
        'Last-Modified': lastModified.toUTCString(),
      };
      if (notModified(req, etag, lastModified)) {
        res.writeHead(HttpStatus.NotModified, { ETag: etag, 'Last-Modified': headers['Last-Modified'] as string });
        res.end();
        return;
      }
      let start = 0;
      let end = size - 1;
      let status: number = HttpStatus.Ok;
      const range = rangeApplies(req, etag, lastModified) ? parseRange(req.headers.range, size) : ({ kind: 'none' } as const);
      switch (range.kind) {
        case 'single':
          status = HttpStatus.PartialContent;
          start = range.start;
          end = range.end;
          headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
          break;
        case 'unsatisfiable':
          this.log.info(`${client} ${req.method} ${path}: range ${JSON.stringify(req.headers.range)} not satisfiable (size ${size})`);
          return this.sendStatus(req, res, HttpStatus.RangeNotSatisfiable, { 'Content-Range': `bytes */${size}` });
        case 'multiple': // RFC 9110 section 14.2: the whole representation instead of multipart/byteranges.
        case 'none':
          break;
      }
      const length = end - start + 1;
      headers['Content-Length'] = String(length);
      const zeroCopy = req.method === 'GET' ? this.zeroCopyPlan(req, res, s.file, start, end) : null;
      if (zeroCopy) {
        this.log.debug(`${client} GET ${path}: ${status} ${start}-${end}/${size} (sendfile)`);
        await this.sendZeroCopy(req, res, status, headers, zeroCopy, path, client, length);
        return;
      }
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || length === 0) {
        res.end();
        return;
      }
      this.log.debug(`${client} GET ${path}: ${status} ${start}-${end}/${size}`);
      this.counts.copied++;
      await this.pump(res, s.file, start, end, new TransferReport({ protocol: 'http', client, path, size: length, emit: (e) => this.ctx.emit(e) }), path, client);
    } finally {
      await release();
    }
  }

  /**
   * Whether bytes [start, end] of `file` can go out with sendfile(2): the addon is loaded, the body is big
   * enough, the file lies on one real descriptor, the socket is plain TCP and this response owns it now (a
   * pipelined response waiting its turn is not attached yet, and its bytes must follow the one before).
   */
  private zeroCopyPlan(req: IncomingMessage, res: ServerResponse, file: OpenFile, start: number, end: number): { addon: SendfileAddon; socketFd: number; fileFd: number; spans: number[] } | null {
    const addon = this.sendfile;
    if (!addon || end - start + 1 < this.sendfileMinBytes || !file.span) return null;
    if (res.socket !== req.socket || req.socket.destroyed) return null;
    const socketFd = plainTcpFd(req.socket);
    if (socketFd === null) return null;
    let spans: FileSpan[] | null;
    try {
      spans = file.span(start, end);
    } catch {
      return null;
    }
    const flat = spans ? flattenSpans(spans) : null;
    if (!flat || flat.flat.reduce((a, v, i) => (i % 2 ? a + v : a), 0) !== end - start + 1) return null;
    return { addon, socketFd, fileFd: flat.fd, spans: flat.flat };
  }

  /**
   * Headers through node:http, flushed to the kernel, then the body by the addon from the file's descriptor
   * while Node leaves the socket alone (the addon corks the socket for the body: full segments). A socket
   * that closes or an error mid-body cuts the connection, as the copy loop does; the FileEvents are the same
   * on both paths.
   */
  private async sendZeroCopy(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    plan: { addon: SendfileAddon; socketFd: number; fileFd: number; spans: number[] },
    path: string,
    client: string,
    length: number,
  ): Promise<void> {
    const socket = req.socket;
    res.writeHead(status, headers);
    res.flushHeaders();
    this.counts.zeroCopy++;
    const report = new TransferReport({ protocol: 'http', client, path, size: length, emit: (e) => this.ctx.emit(e) });
    if (!(await socketFlushed(socket)) || res.socket !== socket) {
      report.fail('client disconnected before the body');
      this.log.info(`${client} GET ${path}: client went away before the body`);
      socket.destroy();
      return;
    }
    // Node sees no writes while the addon sends: its idle timer would cut a long download. The addon
    // enforces the same limit as a stall (no byte taken by the client for that long).
    socket.setTimeout(0);
    const result = await sendSpans({
      addon: plan.addon,
      socket,
      socketFd: plan.socketFd,
      fileFd: plan.fileFd,
      spans: plan.spans,
      stallMs: this.idleTimeoutMs,
      onProgress: (n) => report.add(n),
      progressMs: HTTP_PROGRESS_INTERVAL_MS,
    });
    if (result.error !== null || result.sent !== length) {
      const why =
        result.error === 'ECANCELED' || result.error === 'EPIPE' || result.error === 'ECONNRESET' ? `client disconnected after ${result.sent} of ${length} bytes`
        : result.error === 'ETIMEDOUT' ? `client stalled for ${this.idleTimeoutMs} ms after ${result.sent} of ${length} bytes`
        : result.error === 'ENODATA' ? `${path} ended after ${result.sent} of the ${length} bytes announced (the file shrank)`
        : `sendfile failed after ${result.sent} of ${length} bytes: ${result.error ?? 'short'}`;
      report.fail(why);
      this.log.info(`${client} GET ${path}: ${why}`);
      // Headers are out: the only honest signal left is cutting the connection short.
      socket.destroy();
      return;
    }
    socket.setTimeout(this.idleTimeoutMs);
    await new Promise<void>((resolve) => {
      res.end(() => resolve());
      res.once('close', () => resolve());
    });
    if (res.writableFinished) report.end();
    else report.fail(`client disconnected after ${report.bytes} bytes`);
  }

  /**
   * Sends bytes [start, end] of `file`. A few chunk buffers per transfer are reused: one is read into
   * while the others are being written, and a buffer comes back only when the socket has taken it, so
   * memory stays at HTTP_BUFFERS_PER_TRANSFER chunks whatever the client's speed (that is the backpressure).
   * Reusing them matters: a fresh allocation per chunk costs page faults on every chunk (bench/http: 0.78x
   * nginx without sendfile before, 0.88x after, at 256 KiB). Resolves when the body is sent or the client is gone.
   */
  private async pump(res: ServerResponse, file: OpenFile, start: number, end: number, report: TransferReport, path: string, client: string): Promise<void> {
    this.pumping++;
    // The budget split over the transfers running now, in powers of two between the min and max chunk.
    const share = this.bufferBudget / (this.pumping * HTTP_BUFFERS_PER_TRANSFER);
    const chunk = Math.max(HTTP_MIN_CHUNK_BYTES, Math.min(this.chunkBytes, 2 ** Math.floor(Math.log2(Math.max(1, share)))));
    const pool = new ChunkPool(Math.min(chunk, end - start + 1), HTTP_BUFFERS_PER_TRANSFER);
    const onClose = () => pool.close();
    res.once('close', onClose);
    // A pipelined response waiting for its turn gets no 'close' of its own when the client goes away; its
    // socket does.
    const socket = res.req.socket;
    socket.once('close', onClose);
    const readAt = async (pos: number): Promise<{ buf: Buffer; n: number } | null> => {
      const buf = await pool.take();
      if (!buf) return null;
      const want = Math.min(buf.length, end + 1 - pos);
      let got = 0;
      try {
        while (got < want) {
          const n = await file.read(buf, got, want - got, pos + got);
          if (n === 0) throw new Error(`${path} ended at byte ${pos + got}, before the ${end + 1} bytes announced (the file shrank)`);
          got += n;
        }
      } catch (err) {
        pool.give(buf);
        throw err;
      }
      return { buf, n: want };
    };
    let pos = start;
    let next: Promise<{ buf: Buffer; n: number } | null> | null = readAt(pos);
    try {
      while (next) {
        const chunk = await next;
        if (!chunk) break;
        pos += chunk.n;
        next = pos <= end && !pool.closed ? readAt(pos) : null;
        if (pool.closed) break;
        const { buf, n } = chunk;
        res.write(n === buf.length ? buf : buf.subarray(0, n), () => pool.give(buf));
        report.add(n);
      }
      if (pool.closed) {
        report.fail(`client disconnected after ${report.bytes} of ${end - start + 1} bytes`);
        this.log.info(`${client} GET ${path}: client went away after ${report.bytes} bytes`);
        return;
      }
      await new Promise<void>((resolve) => {
        res.end(() => resolve());
        res.once('close', () => resolve());
      });
      if (res.writableFinished) report.end();
      else report.fail(`client disconnected after ${report.bytes} bytes`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      report.fail(message);
      this.log.error(`${client} GET ${path}: ${message}`);
      // Headers are out: the only honest signal left is cutting the connection short.
      res.destroy();
    } finally {
      this.pumping--;
      res.off('close', onClose);
      socket.off('close', onClose);
      pool.close();
      // A read still in flight must finish before the caller closes the handle under it.
      if (next) await next.catch(() => {});
    }
  }
}

/** Chunk buffers of one transfer: taken for a read, given back once the socket has written them. */
class ChunkPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((b: Buffer | null) => void)[] = [];
  private made = 0;
  closed = false;

  constructor(
    private readonly size: number,
    private readonly max: number,
  ) {}

  /** A buffer, waiting for one to come back when all are in use; null once closed (client gone). */
  take(): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    const b = this.free.pop();
    if (b) return Promise.resolve(b);
    if (this.made < this.max) {
      this.made++;
      return Promise.resolve(Buffer.allocUnsafeSlow(this.size));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(b: Buffer): void {
    const w = this.waiting.shift();
    if (w) w(this.closed ? null : b);
    else this.free.push(b);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(null);
  }
}

/** A regular file on disk, opened on a descriptor of its own; null when it is missing or not a file. */
async function openDiskFile(path: string): Promise<Servable | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return null;
    }
    let closed = false;
    const file: OpenFile = {
      size: st.size,
      async read(buffer, offset, length, position) {
        if (closed) throw new Error('read after close');
        if (length <= 0 || position >= st.size) return 0;
        const { bytesRead } = await handle.read(buffer, offset, Math.min(length, st.size - position), position);
        return bytesRead;
      },
      span(start, end) {
        if (closed || start < 0 || end < start || end >= st.size) return null;
        return [{ fd: handle.fd, offset: start, length: end - start + 1 }];
      },
      async close() {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
    return { file, mtimeMs: st.mtimeMs };
  } catch {
    await handle.close().catch(() => {});
    return null;
  }
}

/** RFC 9110 section 13.1.2 (If-None-Match, weak comparison) and 13.1.3 (If-Modified-Since, only without it). */
function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    const bare = etag.replace(/^W\//, '');
    return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && lastModified.getTime() <= since;
}

/** RFC 9110 section 13.1.5: a Range with an If-Range that no longer matches is ignored (the whole body is sent). */
function rangeApplies(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const raw = req.headers['if-range'];
  const ifRange = Array.isArray(raw) ? raw[0] : raw;
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag; // strong comparison; weak tags never match
  const date = Date.parse(v);
  return Number.isFinite(date) && date === lastModified.getTime();
}

type BodyRead = Buffer | 'too-large' | 'aborted';

async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) return 'too-large';
  if (/100-continue/i.test(req.headers.expect ?? '') && !res.headersSent) {
    // The body is wanted: ask for it (see 'checkContinue' in start()); the connection may then stay open.
    res.removeHeader('Connection');
    res.writeContinue();
  }
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      const b = chunk as Buffer;
      total += b.length;
      if (total > limit) return 'too-large';
      parts.push(b);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(parts);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

function renderListing(path: string, entries: FileStat[]): string {
  const rows = entries
    .map((e) => {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      const href = encodeURIComponent(name) + (e.isDirectory ? '/' : '');
      return `<a href="${escapeHtml(href)}">${escapeHtml(name)}${e.isDirectory ? '/' : ''}</a>${e.isDirectory ? '' : ` ${e.size}`}`;
    })
    .join('\n');
  const title = escapeHtml(path.endsWith('/') ? path : path + '/');
  return `<!doctype html>\n<title>${title}</title>\n<h1>${title}</h1>\n<pre>\n${rows}\n</pre>\n`;
}
