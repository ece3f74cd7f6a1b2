/**
 * The image library through the real API path: AppController (a real ImageLibrary in a temp state dir)
 * behind the web-mode server on 127.0.0.1. The images:* calls round-trip with request validation and an
 * `images` push; the upload route (PUT /api/upload/<name>) needs the token, refuses traversal names,
 * enforces its size limit, removes the partial file when the browser goes away, refuses a non-ISO and
 * removes it, adds a real ISO, and streams without holding the file in memory.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { ApiPush, ApiResult } from '../../shared/api/fieldboot-api';
import type { LibraryImage } from '../../shared/model/library-image';
import { dispatchApiCall } from '../../electron/engine-host/api-dispatch';
import { AppController } from '../../electron/engine-host/app-controller';
import { createToken, startWebServer, type WebServer } from '../../electron/engine-host/web-server';
import { buildIso, rockyLayout, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const skip = !hasCommand('xorriso') && 'needs xorriso';
const SMALL_LIMIT = 64 * 1024;
let dir: string;
let stateDir: string;
let uploadDir: string;
let controller: AppController;
let server: WebServer;
/** Same backend, tiny upload limit. */
let smallServer: WebServer;
let token: string;
let rocky: BuiltIso;

before(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'fb-imgapi-'));
  stateDir = join(dir, 'state');
  uploadDir = join(stateDir, 'images');
  const staticDir = join(dir, 'static');
  await fsp.mkdir(staticDir);
  await fsp.writeFile(join(staticDir, 'index.html'), '<!doctype html>');
  controller = new AppController({ baseConfig: { stateDir }, listInterfaces: async () => [] });
  token = createToken();
  server = await startWebServer({ backend: controller, token, staticDir, maxUploadBytes: 1024 ** 3 });
  smallServer = await startWebServer({ backend: controller, token, staticDir, maxUploadBytes: SMALL_LIMIT });
  if (!skip) {
    const l = rockyLayout(9);
    rocky = await buildIso(l.spec, l.options);
  }
});

after(async () => {
  await server?.close();
  await smallServer?.close();
  await controller?.dispose();
  await rocky?.cleanup();
  await fsp.rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, opts: { headers?: OutgoingHttpHeaders; body?: string | Buffer | Readable } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    const body = opts.body;
    if (body && typeof body === 'object' && 'pipe' in body) body.pipe(req);
    else req.end(body);
  });
}

async function call<T>(channel: string, body?: unknown): Promise<ApiResult<T>> {
  const r = await send(server.port, 'POST', `/api/call/${channel}`, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  return JSON.parse(r.body) as ApiResult<T>;
}

function upload(name: string, body: Buffer | Readable, opts: { port?: number; auth?: string | null; length?: number | null } = {}): Promise<Reply> {
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/octet-stream' };
  const auth = opts.auth === undefined ? token : opts.auth;
  if (auth !== null) headers.Authorization = `Bearer ${auth}`;
  const length = opts.length === undefined ? (Buffer.isBuffer(body) ? body.length : null) : opts.length;
  if (length !== null) headers['Content-Length'] = String(length);
  return send(opts.port ?? server.port, 'PUT', `/api/upload/${name}`, { headers, body });
}

const uploadFiles = (): string[] => (existsSync(uploadDir) ? readdirSync(uploadDir) : []);

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('images:* through the dispatch table: validation, add, list, remove', { skip }, async () => {
  for (const [channel, raw] of [
    ['images:add', undefined],
    ['images:add', {}],
    ['images:add', { path: 42 }],
    ['images:add', { path: '' }],
    ['images:add', { path: rocky.path, extra: 1 }],
    ['images:add', { path: 'x'.repeat(5000) }],
    ['images:add', { path: '/tmp/a\u0000b' }],
    ['images:remove', { id: ['x'] }],
    ['images:list', { anything: true }],
  ] as const) {
    const r = await dispatchApiCall(controller, channel, raw);
    assert.equal(!r.ok && r.error.code, 'bad-option', `${channel} ${JSON.stringify(raw)?.slice(0, 60)}`);
  }
  const added = await dispatchApiCall(controller, 'images:add', { path: rocky.path });
  assert.ok(added.ok, JSON.stringify(added));
  assert.equal(added.value.summary.family, 'rocky');
  const listed = await dispatchApiCall(controller, 'images:list', undefined);
  assert.ok(listed.ok && listed.value.some((i) => i.id === added.value.id));
  const removed = await dispatchApiCall(controller, 'images:remove', { id: added.value.id });
  assert.ok(removed.ok && removed.value.id === added.value.id);
  const gone = await dispatchApiCall(controller, 'images:remove', { id: added.value.id });
  assert.ok(!gone.ok && /no image with id/.test(gone.error.message));
});

test('images:* over HTTP, with an images push on the event socket for every change', { skip }, async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${encodeURIComponent(token)}`, { headers: { Host: `127.0.0.1:${server.port}` } });
  const pushes: ApiPush[] = [];
  ws.on('message', (m: Buffer) => pushes.push(JSON.parse(m.toString()) as ApiPush));
  await new Promise((r) => ws.once('open', r));
  try {
    const added = await call<LibraryImage>('images:add', { path: rocky.path });
    assert.ok(added.ok);
    await until(() => pushes.some((p) => p.type === 'images' && p.images.some((i) => i.id === added.value.id)), 'images push after add');
    const notIso = join(dir, 'notes.txt');
    await fsp.writeFile(notIso, 'not an image\n');
    const refused = await call<LibraryImage>('images:add', { path: notIso });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'iso-unreadable');
    assert.match(refused.error.message, /^notes\.txt: not an ISO 9660 or UDF image/);
    const list = await call<LibraryImage[]>('images:list');
    assert.ok(list.ok);
    assert.deepEqual(list.value.map((i) => i.id), [added.value.id]);
    const removed = await call<LibraryImage>('images:remove', { id: added.value.id });
    assert.ok(removed.ok);
    await until(() => pushes.some((p) => p.type === 'images' && p.images.length === 0), 'images push after remove');
    assert.ok(existsSync(rocky.path), 'removing an image added by path leaves the file alone');
  } finally {
    ws.close();
  }
});

test('upload: the token is required; nothing is written without it', async () => {
  for (const auth of [null, 'wrong-token-wrong-token']) {
    const r = await upload('x.iso', Buffer.from('ISO'), { auth });
    assert.equal(r.status, 401);
  }
  assert.deepEqual(uploadFiles(), []);
  const get = await send(server.port, 'GET', '/api/upload/x.iso', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(get.status, 405);
});

test('upload: names with separators, traversal or hidden files are refused before any byte is stored', async () => {
  const outside = join(stateDir, 'escaped.iso');
  for (const name of ['..%2Fescaped.iso', '..%2F..%2Fescaped.iso', 'a%2Fb.iso', 'a%5Cb.iso', '..%5Cescaped.iso', '.hidden.iso', '..', '%2e%2e', '', 'x%00.iso', '%E0%A4%A.iso']) {
    const r = await upload(name, Buffer.from('ISO data'));
    assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status} ${r.body}`);
    const result = JSON.parse(r.body) as ApiResult<unknown>;
    assert.equal(result.ok, false);
  }
  // A raw "../" in the path never even reaches the upload route (the URL is normalised away from it).
  const raw = await upload('../../escaped.iso', Buffer.from('ISO data'));
  assert.notEqual(raw.status, 200);
  assert.ok(!existsSync(outside));
  assert.ok(!existsSync(join(dir, 'escaped.iso')));
  assert.deepEqual(uploadFiles(), []);
});

test('upload: the size limit, by Content-Length up front and by counting a chunked body', async () => {
  const big = Buffer.alloc(SMALL_LIMIT + 1, 0x41);
  const byLength = await upload('big.iso', big, { port: smallServer.port });
  assert.equal(byLength.status, 413);
  assert.match(byLength.body, /larger than the 64 KiB|larger than the 65536 bytes limit/);
  // Chunked (no Content-Length): the server counts and stops at the limit.
  const { Readable } = await import('node:stream');
  const chunked = await upload('big.iso', Readable.from([big.subarray(0, 40_000), big.subarray(40_000)]), { port: smallServer.port, length: null }).catch(
    (err: Error) => ({ status: -1, headers: {}, body: err.message }),
  );
  assert.ok(chunked.status === 413 || chunked.status === -1, `refused: ${chunked.status} ${chunked.body}`);
  await until(() => uploadFiles().length === 0, 'no partial file after the limit');
});

test('upload: a browser that goes away mid-upload leaves no partial file', async () => {
  const port = server.port;
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    `PUT /api/upload/halfway.iso HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 10000000\r\n\r\n`,
  );
  socket.write(Buffer.alloc(3_000_000, 0x43));
  await until(() => uploadFiles().some((n) => n.endsWith('.part')), 'the partial file appears while receiving');
  socket.destroy();
  await until(() => uploadFiles().length === 0, 'the partial file is removed after the abort');
  const list = await call<LibraryImage[]>('images:list');
  assert.ok(list.ok && !list.value.some((i) => i.fileName === 'halfway.iso'));
});

test('upload: a non-ISO is refused with the reader message and removed', async () => {
  const r = await upload('notes.txt', Buffer.from('These are my notes, not an installer.\n'.repeat(200)));
  assert.equal(r.status, 422);
  const result = JSON.parse(r.body) as ApiResult<LibraryImage>;
  assert.ok(!result.ok);
  assert.equal(result.error.code, 'iso-unreadable');
  assert.match(result.error.message, /^notes\.txt: not an ISO 9660 or UDF image/);
  assert.deepEqual(uploadFiles(), []);
});

test('upload: a real ISO is saved in <stateDir>/images, inspected and listed; streamed, not buffered', { skip }, async () => {
  const r = await upload('Rocky-9.3-x86_64-dvd.iso', await fsp.readFile(rocky.path));
  assert.equal(r.status, 200, r.body);
  const result = JSON.parse(r.body) as ApiResult<LibraryImage>;
  assert.ok(result.ok);
  assert.equal(result.value.summary.family, 'rocky');
  assert.equal(result.value.summary.version, '9.3');
  assert.equal(result.value.origin, 'upload');
  assert.equal(result.value.path, join(uploadDir, 'Rocky-9.3-x86_64-dvd.iso'));
  assert.equal(statSync(result.value.path).size, statSync(rocky.path).size);
  assert.deepEqual(uploadFiles(), ['Rocky-9.3-x86_64-dvd.iso']);
  const list = await call<LibraryImage[]>('images:list');
  assert.ok(list.ok && list.value.some((i) => i.id === result.value.id));
  // Removing an upload deletes our copy.
  assert.ok((await call('images:remove', { id: result.value.id })).ok);
  assert.deepEqual(uploadFiles(), []);

  // 256 MiB through the route: the server's memory must not grow with the file. (It is refused at
  // inspection, which is fine: the streaming is what is measured.)
  const bigPath = join(dir, 'big.bin');
  const size = 256 * 1024 * 1024;
  await fsp.writeFile(bigPath, '');
  await fsp.truncate(bigPath, size);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = Date.now();
  const big = await upload('big.iso', createReadStream(bigPath), { length: size });
  const ms = Date.now() - t0;
  clearInterval(sampler);
  assert.equal(big.status, 422, big.body);
  const growthMb = (peak - before) / 1024 / 1024;
  process.stdout.write(`# 256 MiB upload: ${ms} ms, peak RSS growth ${growthMb.toFixed(1)} MB\n`);
  assert.ok(growthMb < 96, `memory grew by ${growthMb.toFixed(1)} MB for a 256 MiB upload`);
  assert.deepEqual(uploadFiles(), []);
});
