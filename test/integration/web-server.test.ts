/**
 * Web mode's server over real HTTP and WebSocket on 127.0.0.1, against the scripted fake backend:
 * the token and Host/Origin checks, loopback-only binding, the static file rules and the API round trip.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { ApiPush, ApiResult, ServingState } from '../../shared/api/fieldboot-api';
import type { NetworkInterfaceInfo } from '../../shared/model/network';
import { createToken, startWebServer, type WebServer } from '../../electron/engine-host/web-server';
import { createFakeBackend, FAKE_INTERFACES, type FakeBackend } from '../helpers/fake-backend';

const SECRET = 'top-secret-outside-static-dir';
let dir: string;
let staticDir: string;
let server: WebServer;
let backend: FakeBackend;
let token: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fb-web-'));
  staticDir = join(dir, 'static');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FieldBoot</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(join(staticDir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'assets', 'link.txt'));
  backend = createFakeBackend({ transitionMs: 50 });
  token = createToken();
  server = await startWebServer({ backend, token, staticDir });
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire exactly as given (no URL normalisation by the client). */
function send(method: string, path: string, opts: { headers?: OutgoingHttpHeaders; body?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: opts.host ?? '127.0.0.1', port: server.port, method, path, headers: { Host: `127.0.0.1:${server.port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function call<T>(channel: string, body?: unknown, auth: string | null = token): Promise<{ status: number; result: ApiResult<T> }> {
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
  if (auth !== null) headers.Authorization = `Bearer ${auth}`;
  return send('POST', `/api/call/${channel}`, { headers, body: body === undefined ? '' : JSON.stringify(body) }).then((r) => ({
    status: r.status,
    result: JSON.parse(r.body) as ApiResult<T>,
  }));
}

/** Collects pushes from an open event socket; `next` waits for the next one matching. */
function openEvents(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; next(match: (p: ApiPush) => boolean): Promise<ApiPush> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const queue: ApiPush[] = [];
    let waiter: { match: (p: ApiPush) => boolean; resolve: (p: ApiPush) => void } | null = null;
    ws.on('message', (data) => {
      const push = JSON.parse(String(data)) as ApiPush;
      if (waiter && waiter.match(push)) {
        const w = waiter;
        waiter = null;
        w.resolve(push);
      } else queue.push(push);
    });
    ws.on('open', () =>
      resolve({
        ws,
        next: (match) =>
          new Promise((res, rej) => {
            const i = queue.findIndex(match);
            if (i >= 0) return res(queue.splice(i, 1)[0]!);
            const timer = setTimeout(() => rej(new Error('no matching push within 3 s')), 3000);
            waiter = { match, resolve: (p) => (clearTimeout(timer), res(p)) };
          }),
      }),
    );
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

test('listens on 127.0.0.1 only', async () => {
  assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`));
  // 127.0.0.2 is loopback too: a server bound to 0.0.0.0 would answer there; ours must refuse.
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const s = connect({ host: '127.0.0.2', port: server.port });
    s.on('connect', () => (s.destroy(), resolve(null)));
    s.on('error', (e) => resolve(e));
  });
  assert.equal(err?.code, 'ECONNREFUSED');
  await assert.rejects(startWebServer({ backend, token, staticDir, host: '0.0.0.0' as '127.0.0.1' }), /127\.0\.0\.1 only/);
});

test('createToken gives 32 random bytes as base64url', () => {
  const a = createToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, createToken());
});

test('API calls need the token', async () => {
  const none = await call('interfaces:list', undefined, null);
  assert.equal(none.status, 401);
  assert.equal(none.result.ok, false);
  const wrong = await call('interfaces:list', undefined, createToken());
  assert.equal(wrong.status, 401);
  const prefix = await call('interfaces:list', undefined, token.slice(0, -1));
  assert.equal(prefix.status, 401);
  const query = await send('POST', `/api/call/interfaces:list?token=${token}`);
  assert.equal(query.status, 200);
  const badQuery = await send('POST', `/api/call/interfaces:list?token=nope`);
  assert.equal(badQuery.status, 401);
  // No backend call leaked through the refusals.
  assert.equal(backend.calls.filter((c) => c.method === 'listInterfaces').length, 1);
});

test('a foreign Host header (DNS rebinding) or Origin is refused', async () => {
  const auth = { Authorization: `Bearer ${token}` };
  const evil = await send('POST', '/api/call/interfaces:list', { headers: { ...auth, Host: `evil.example:${server.port}` } });
  assert.equal(evil.status, 403);
  const evilStatic = await send('GET', '/', { headers: { Host: 'evil.example' } });
  assert.equal(evilStatic.status, 403);
  const otherPort = await send('GET', '/', { headers: { Host: `127.0.0.1:${server.port + 1}` } });
  assert.equal(otherPort.status, 403);
  const localhost = await send('POST', '/api/call/interfaces:list', { headers: { ...auth, Host: `localhost:${server.port}` } });
  assert.equal(localhost.status, 200);
  const crossOrigin = await send('POST', '/api/call/interfaces:list', { headers: { ...auth, Origin: 'http://evil.example' } });
  assert.equal(crossOrigin.status, 403);
  const sameOrigin = await send('POST', '/api/call/interfaces:list', { headers: { ...auth, Origin: `http://127.0.0.1:${server.port}` } });
  assert.equal(sameOrigin.status, 200);
});

test('API round trip: list, validation, start, stop, errors as data', async () => {
  const list = await call<NetworkInterfaceInfo[]>('interfaces:list');
  assert.deepEqual(list.result, { ok: true, value: FAKE_INTERFACES });

  const bad = await call<ServingState>('serving:start', { interface: 'br0', dhcpMode: 'rogue' });
  assert.equal(bad.status, 200);
  assert.equal(bad.result.ok, false);
  assert.equal(!bad.result.ok && bad.result.error.code, 'bad-option');
  const extra = await call<ServingState>('serving:start', { interface: 'br0', dhcpMode: 'off', command: 'rm -rf /' });
  assert.equal(!extra.result.ok && extra.result.error.code, 'bad-option');
  assert.equal(backend.calls.filter((c) => c.method === 'startServing').length, 0, 'invalid requests never reach the backend');

  const notServing = await call<ServingState>('serving:stop');
  assert.equal(!notServing.result.ok && notServing.result.error.code, 'not-serving');
  assert.ok(!notServing.result.ok && notServing.result.error.hint.length > 0);

  const started = await call<ServingState>('serving:start', { interface: 'br0', dhcpMode: 'off', range: '' });
  assert.ok(started.result.ok);
  assert.equal(started.result.value.phase, 'serving');
  assert.equal(started.result.value.serverIp, '192.168.77.1');
  assert.deepEqual(backend.calls.at(-1), { method: 'startServing', request: { interface: 'br0', dhcpMode: 'off' } });
  const state = await call<ServingState>('serving:state');
  assert.ok(state.result.ok && state.result.value.phase === 'serving');
  const stopped = await call<ServingState>('serving:stop');
  assert.ok(stopped.result.ok && stopped.result.value.phase === 'idle');

  const notJson = await send('POST', '/api/call/serving:start', { headers: { Authorization: `Bearer ${token}` }, body: '{nope' });
  assert.equal(notJson.status, 400);
  const unknown = await call('serving:format-disk');
  assert.equal(unknown.status, 404);
  const get = await send('GET', '/api/call/serving:state', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(get.status, 405);
  const huge = await send('POST', '/api/call/serving:start', { headers: { Authorization: `Bearer ${token}` }, body: 'x'.repeat(200_000) }).catch(
    (e: Error) => ({ status: -1, body: e.message, headers: {} }),
  );
  assert.ok(huge.status === 400 || huge.status === -1, `oversized body refused (got ${huge.status})`);
});

test('static files: types, security headers, no listing, traversal refused', async () => {
  const index = await send('GET', '/?token=x');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['cache-control'], 'no-store');
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
  assert.match(String(index.headers['content-security-policy']), new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port}`));
  const js = await send('GET', '/assets/app.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await send('GET', '/assets/app.css')).headers['content-type'], 'text/css; charset=utf-8');
  const head = await send('HEAD', '/assets/app.js');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await send('GET', '/assets/')).status, 404, 'no directory listing');
  assert.equal((await send('GET', '/assets')).status, 404);
  assert.equal((await send('GET', '/missing.js')).status, 404);
  assert.equal((await send('POST', '/index.html')).status, 405);

  const attempts = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/link.txt',
    '/index.html%00.js',
    '/.%2e/secret.txt',
  ];
  for (const path of attempts) {
    const r = await send('GET', path);
    assert.ok(r.status === 403 || r.status === 404 || r.status === 400, `${path} -> ${r.status}`);
    assert.ok(!r.body.includes(SECRET), `${path} leaked the file outside the static dir`);
  }
  assert.equal((await send('GET', '/..%2fsecret.txt')).status, 403);
  assert.equal((await send('GET', '/assets/link.txt')).status, 403, 'a symlink out of the static dir is refused');
});

test('event socket: token required, snapshot first, then state changes and events', async () => {
  const base = `ws://127.0.0.1:${server.port}/api/events`;
  await assert.rejects(openEvents(base), /401/);
  await assert.rejects(openEvents(`${base}?token=${createToken()}`), /401/);
  await assert.rejects(openEvents(`${base}?token=${token}`, { Origin: 'http://evil.example' }), /403/);
  await assert.rejects(openEvents(`ws://127.0.0.1:${server.port}/api/other?token=${token}`), /404/);

  const events = await openEvents(`${base}?token=${token}`, { Origin: `http://127.0.0.1:${server.port}` });
  try {
    const first = await events.next(() => true);
    assert.equal(first.type, 'state');
    assert.equal(first.type === 'state' && first.state.phase, 'idle');

    const started = call<ServingState>('serving:start', { interface: 'br0', dhcpMode: 'full', range: '192.168.77.100-192.168.77.150' });
    const starting = await events.next((p) => p.type === 'state' && p.state.phase === 'starting');
    assert.equal(starting.type === 'state' && starting.state.interface, 'br0');
    const serving = await events.next((p) => p.type === 'state' && p.state.phase === 'serving');
    assert.deepEqual(serving.type === 'state' && serving.state.services.map((s) => s.name), ['dhcp', 'tftp', 'http']);
    await started;

    backend.emit({ type: 'lease', time: new Date().toISOString(), action: 'ack', mac: '52:54:00:00:00:01', ip: '192.168.77.100' });
    const lease = await events.next((p) => p.type === 'event');
    assert.deepEqual(lease.type === 'event' && lease.event.type === 'lease' && [lease.event.mac, lease.event.ip], ['52:54:00:00:00:01', '192.168.77.100']);

    await call('serving:stop');
    await events.next((p) => p.type === 'state' && p.state.phase === 'idle');
  } finally {
    events.ws.close();
  }
});

test('close() ends open sockets and stops listening', async () => {
  const s = await startWebServer({ backend: createFakeBackend(), token, staticDir });
  const events = await openEvents(`ws://127.0.0.1:${s.port}/api/events?token=${token}`);
  const closed = new Promise((r) => events.ws.on('close', r));
  await s.close();
  await closed;
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const c = connect({ host: '127.0.0.1', port: s.port });
    c.on('connect', () => (c.destroy(), resolve(null)));
    c.on('error', (e) => resolve(e));
  });
  assert.equal(err?.code, 'ECONNREFUSED');
});
