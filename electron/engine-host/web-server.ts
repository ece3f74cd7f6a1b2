/**
 * Web mode (`fieldboot serve --ui`): the built renderer plus the FieldbootApi over HTTP + WebSocket, on
 * 127.0.0.1 only, behind a random token. Anyone on the machine can reach a loopback port, and any web
 * page the technician opens can make the browser send requests to it, so:
 *   - every /api call and the event socket need the token (Authorization: Bearer, or ?token=), compared
 *     in constant time;
 *   - the Host header must name this loopback port (a DNS-rebinding page would send its own host name);
 *   - an Origin header, when a browser sends one, must be this server (cross-site WebSocket hijacking).
 *
 * Routes: POST /api/call/<channel> with the request as a JSON body, answered with ApiResult JSON; one
 * handler table (api-dispatch.ts) covers every channel of ApiChannels. WS /api/events pushes ApiPush
 * JSON: a `state` snapshot first, then whatever the backend pushes. PUT /api/upload/<file name> streams
 * a dropped ISO to the backend's image library (a browser cannot give a path): never buffered, bounded by
 * maxUploadBytes, the name refused if it is not a plain file name.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiPush, ApiResult } from '../../shared/api/fieldboot-api';
import { API_UPLOAD_PREFIX } from '../../shared/api/fieldboot-api';
import { API_DIAGNOSTICS_PATH } from '../../shared/api/fieldboot-api';
import { ErrorCode, errorInfo, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { checkUploadName, DEFAULT_MAX_UPLOAD_BYTES, UploadNameError, UploadTooLargeError } from '../engine/images/image-upload';
import { dispatchApiCall, isApiChannel } from './api-dispatch';
import type { AppBackend } from './app-backend';

export interface WebServerOptions {
  backend: AppBackend;
  /** Loopback only, by design: the API can start a DHCP server. */
  host?: '127.0.0.1';
  /** 0 (default) picks a free port. */
  port?: number;
  token: string;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Largest image PUT /api/upload/ accepts; default DEFAULT_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
}

export interface WebServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const API_CALL_PREFIX = '/api/call/';
export const API_EVENTS_PATH = '/api/events';
/** A start request is a few hundred bytes; anything near this is not ours. */
const MAX_BODY_BYTES = 64 * 1024;
/** A client this far behind is dropped; it reconnects and gets a fresh snapshot. */
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024;
const WS_PING_INTERVAL_MS = 30_000;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** 32 random bytes, base64url: fits in a URL without escaping. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Hashing first makes both sides the same length, so timingSafeEqual never leaks the token length. */
function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function tokenOf(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return url.searchParams.get('token');
}

function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function unauthorized(): ErrorInfo {
  return errorInfo(
    ErrorCode.BadOption,
    'The web UI token is missing or wrong.',
    'Open the exact URL that "fieldboot serve --ui" printed: it carries the token.',
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { backend, token } = options;
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('the web UI listens on 127.0.0.1 only');
  if (token.length < 16) throw new Error('the web UI token is too short; use createToken()');
  // The token is in the URL a technician may paste anywhere: the diagnostics zip removes it wherever it turns up.
  backend.noteSecret?.('web UI token', token);
  const staticRoot = await realpath(resolve(options.staticDir));
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  let port = 0;
  let csp = '';
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const baseHeaders = (): OutgoingHttpHeaders => ({
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const sendJson = (res: ServerResponse, status: number, body: ApiResult<unknown>): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...baseHeaders(),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  };

  const sendPlain = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text + '\n');
  };

  /** The DNS-rebinding and cross-origin checks shared by HTTP and the WebSocket upgrade. */
  const hostAndOriginOk = (req: IncomingMessage): boolean => {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins.has(origin.toLowerCase());
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (!tokenMatches(tokenOf(req, url), token)) return sendJson(res, 401, { ok: false, error: unauthorized() });
    if (url.pathname.startsWith(API_UPLOAD_PREFIX)) return handleUpload(req, res, url);
    if (url.pathname === API_DIAGNOSTICS_PATH) return handleDiagnostics(req, res);
    const channel = url.pathname.startsWith(API_CALL_PREFIX) ? decodeURIComponent(url.pathname.slice(API_CALL_PREFIX.length)) : '';
    if (!isApiChannel(channel)) {
      return sendJson(res, 404, { ok: false, error: errorInfo(ErrorCode.BadOption, `no such API call: ${url.pathname}`) });
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, { ok: false, error: errorInfo(ErrorCode.BadOption, 'API calls are POST requests') });
    }
    let raw: unknown;
    try {
      const body = await readBody(req);
      raw = body.trim() === '' ? undefined : (JSON.parse(body) as unknown);
    } catch {
      return sendJson(res, 400, { ok: false, error: errorInfo(ErrorCode.BadOption, 'the request body is not JSON (or is too large)') });
    }
    sendJson(res, 200, await dispatchApiCall(backend, channel, raw));
  };

  /** The diagnostics zip as a download (a browser cannot be handed a save dialog from here). */
  const handleDiagnostics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, { ok: false, error: errorInfo(ErrorCode.BadOption, 'the diagnostics download is a POST request') });
    }
    if (!backend.buildDiagnostics) return sendJson(res, 404, { ok: false, error: errorInfo(ErrorCode.BadOption, 'diagnostics export is not offered by this backend') });
    req.resume();
    let bundle;
    try {
      bundle = await backend.buildDiagnostics();
    } catch (err) {
      return sendJson(res, 500, { ok: false, error: toErrorInfo(err) });
    }
    res.writeHead(200, {
      ...baseHeaders(),
      'Content-Type': 'application/zip',
      'Content-Length': bundle.zip.length,
      // The name is ours (digits and dashes), so it needs no quoting beyond this.
      'Content-Disposition': `attachment; filename="${bundle.fileName}"`,
      'X-Fieldboot-Files': bundle.files.join(','),
      'Cache-Control': 'no-store',
    });
    res.end(bundle.zip);
  };

  /** A refusal sent before (or instead of) reading the body: close the connection so the rest is not sent. */
  const refuseUpload = (res: ServerResponse, status: number, error: ErrorInfo): void => {
    res.setHeader('Connection', 'close');
    sendJson(res, status, { ok: false, error });
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'PUT') {
      res.setHeader('Allow', 'PUT');
      return refuseUpload(res, 405, errorInfo(ErrorCode.BadOption, 'uploads are PUT requests'));
    }
    let name: string;
    try {
      // The raw path, not url.pathname: the URL parser would already have resolved "..", and an encoded
      // "/" must be seen to be refused.
      const rawPath = (req.url ?? '').split('?')[0] ?? '';
      name = checkUploadName(decodeURIComponent(rawPath.slice(API_UPLOAD_PREFIX.length)));
      if (!rawPath.startsWith(API_UPLOAD_PREFIX) || url.pathname !== rawPath) throw new UploadNameError('the upload path is not /api/upload/<file name>');
    } catch (err) {
      return refuseUpload(res, 400, err instanceof UploadNameError ? err.toInfo() : errorInfo(ErrorCode.BadOption, 'the file name in the upload path is not valid URI encoding'));
    }
    const lengthHeader = req.headers['content-length'];
    const expectedBytes = lengthHeader === undefined ? null : Number(lengthHeader);
    if (expectedBytes !== null && !Number.isSafeInteger(expectedBytes)) return refuseUpload(res, 400, errorInfo(ErrorCode.BadOption, 'bad Content-Length'));
    if (expectedBytes !== null && expectedBytes > maxUploadBytes) return refuseUpload(res, 413, new UploadTooLargeError(maxUploadBytes).toInfo());

    // The backend reads this stream, not the request itself: when it stops early (too large) the request
    // is only unpiped, so the 413 can still be sent. A request that ends before it is complete (client gone)
    // fails the stream, so the partial file is removed.
    const body = new PassThrough();
    req.pipe(body);
    req.on('close', () => {
      if (!req.complete) body.destroy(new Error('the browser closed the connection before the whole file arrived'));
    });
    try {
      const image = await backend.uploadImage(name, body, { expectedBytes, maxBytes: maxUploadBytes });
      sendJson(res, 200, { ok: true, value: image });
    } catch (err) {
      // (Not req.destroyed: a request read to its end is destroyed too, and still wants its answer.)
      if (res.destroyed || res.headersSent) return;
      const status = err instanceof UploadTooLargeError ? 413 : 422;
      if (!req.complete) res.setHeader('Connection', 'close');
      sendJson(res, status, { ok: false, error: toErrorInfo(err) });
    } finally {
      req.unpipe(body);
      if (!req.complete) req.resume();
    }
  };

  const handleStatic = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendPlain(res, 405, 'method not allowed');
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return sendPlain(res, 400, 'bad path');
    }
    if (rel === '/') rel = '/index.html';
    // Refuse rather than normalise: no legitimate asset path has these, and a refusal is easy to test.
    const segments = rel.split(/[/\\]/);
    if (rel.includes('\0') || segments.some((s) => s === '..' || s.startsWith('.'))) return sendPlain(res, 403, 'forbidden');
    const candidate = resolve(staticRoot, '.' + rel);
    let file: string;
    try {
      file = await realpath(candidate);
    } catch {
      return sendPlain(res, 404, 'not found');
    }
    // Also catches a symlink inside the build output that points elsewhere.
    if (!file.startsWith(staticRoot + sep)) return sendPlain(res, 403, 'forbidden');
    const info = await stat(file).catch(() => null);
    // No directory listings: a directory is simply not found.
    if (!info?.isFile()) return sendPlain(res, 404, 'not found');
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...baseHeaders(),
      'Content-Type': type,
      'Content-Length': info.size,
      // index.html carries the asset names of one build; never let a browser keep a stale one.
      'Cache-Control': type.startsWith('text/html') ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = createServer((req, res) => {
    if (!hostAndOriginOk(req)) return sendPlain(res, 403, 'forbidden host or origin');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return sendPlain(res, 400, 'bad request');
    }
    const handler = url.pathname === '/api' || url.pathname.startsWith('/api/') ? handleApi : handleStatic;
    handler(req, res, url).catch(() => {
      if (!res.headersSent) sendPlain(res, 500, 'internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();

  const refuseUpgrade = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  // An ISO upload can take many minutes: no whole-request deadline (Node's default is 300 s), but a
  // connection that sends nothing for a minute is dropped, and headers must arrive promptly.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  server.setTimeout(60_000, (socket) => socket.destroy());

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The event socket is long-lived and often quiet: the idle deadline above is for HTTP requests only.
    (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
    socket.on('error', () => socket.destroy());
    if (!hostAndOriginOk(req)) return refuseUpgrade(socket, '403 Forbidden');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return refuseUpgrade(socket, '400 Bad Request');
    }
    if (url.pathname !== API_EVENTS_PATH) return refuseUpgrade(socket, '404 Not Found');
    if (!tokenMatches(tokenOf(req, url), token)) return refuseUpgrade(socket, '401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    // The browser only listens; anything it sends is ignored.
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
    const send = (push: ApiPush): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) return void ws.terminate();
      ws.send(JSON.stringify(push));
    };
    // Subscribe before the snapshot so no push falls between them; a duplicate state is harmless.
    const unsubscribe = backend.subscribe(send);
    send({ type: 'state', state: backend.getState() });
    ws.on('close', unsubscribe);
  });

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, WS_PING_INTERVAL_MS);
  pinger.unref();

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;
  csp = contentSecurityPolicy(port);
  const hostNames = ['127.0.0.1', 'localhost'];
  allowedHosts = new Set(hostNames.flatMap((h) => (port === 80 ? [h, `${h}:80`] : [`${h}:${port}`])));
  allowedOrigins = new Set(hostNames.map((h) => (port === 80 ? `http://${h}` : `http://${h}:${port}`)));

  return {
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    port,
    close: async () => {
      clearInterval(pinger);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}
