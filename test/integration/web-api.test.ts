/**
 * The renderer's web-mode client (renderer/src/api/web-api.ts) against the real web-mode server on
 * 127.0.0.1: the same contract both ends, over real HTTP and WebSocket. Node 20 has fetch but no
 * WebSocket global, so the `ws` client (browser-compatible onopen/onmessage/onclose) stands in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { ApiPush } from '../../shared/api/fieldboot-api';
import { createToken, startWebServer, type WebServer } from '../../electron/engine-host/web-server';
import { createWebApi } from '../../renderer/src/api/web-api';
import { createFakeBackend, FAKE_INTERFACES, type FakeBackend } from '../helpers/fake-backend';

const g = globalThis as { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in g;
let dir: string;
let server: WebServer;
let backend: FakeBackend;
let token: string;

before(async () => {
  if (!hadWebSocket) g.WebSocket = WebSocket;
  dir = mkdtempSync(join(tmpdir(), 'fb-webapi-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  backend = createFakeBackend({ transitionMs: 30 });
  token = createToken();
  server = await startWebServer({ backend, token, staticDir: dir });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  if (!hadWebSocket) delete g.WebSocket;
});

function origin(port = server.port): string {
  return `http://127.0.0.1:${port}`;
}

function collect(api: ReturnType<typeof createWebApi>) {
  const pushes: ApiPush[] = [];
  const unsubscribe = api.subscribe((p) => pushes.push(p));
  const waitFor = async (match: (p: ApiPush) => boolean, what: string): Promise<ApiPush> => {
    for (let i = 0; i < 100; i++) {
      const hit = pushes.find(match);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error(`no push: ${what}`);
  };
  return { pushes, unsubscribe, waitFor };
}

test('calls round-trip and pushes arrive: snapshot, state changes, events', async () => {
  const api = createWebApi({ origin: origin(), token });
  assert.deepEqual(await api.listInterfaces(), { ok: true, value: FAKE_INTERFACES });
  const events = collect(api);
  await events.waitFor((p) => p.type === 'state' && p.state.phase === 'idle', 'snapshot');
  const started = await api.startServing({ interface: 'br0', dhcpMode: 'proxy' });
  assert.ok(started.ok && started.value.phase === 'serving');
  await events.waitFor((p) => p.type === 'state' && p.state.phase === 'starting', 'starting');
  backend.emit({ type: 'pool', time: new Date().toISOString(), action: 'exhausted', mac: '52:54:00:00:00:09', range: 'x' });
  await events.waitFor((p) => p.type === 'event' && p.event.type === 'pool', 'pool event');
  const state = await api.getState();
  assert.ok(state.ok && state.value.phase === 'serving');
  const stopped = await api.stopServing();
  assert.ok(stopped.ok && stopped.value.phase === 'idle');
  const again = await api.stopServing();
  assert.equal(!again.ok && again.error.code, 'not-serving');
  events.unsubscribe();
});

test('a wrong token gives an error with a hint, not an exception', async () => {
  const api = createWebApi({ origin: origin(), token: createToken() });
  const r = await api.listInterfaces();
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.hint : '', /URL/);
});

test('an unreachable server gives an error with a hint', async () => {
  const gone = await startWebServer({ backend, token, staticDir: dir });
  const port = gone.port;
  await gone.close();
  const r = await createWebApi({ origin: origin(port), token }).getState();
  assert.equal(!r.ok && r.error.code, 'engine-unresponsive');
  assert.match(!r.ok ? r.error.hint : '', /fieldboot serve --ui/);
});

test('the event socket reconnects after the server restarts and resynchronises from the snapshot', async () => {
  const first = await startWebServer({ backend, token, staticDir: dir });
  const port = first.port;
  const api = createWebApi({ origin: origin(port), token });
  const events = collect(api);
  await events.waitFor((p) => p.type === 'state', 'first snapshot');
  await first.close();
  events.pushes.length = 0;
  const second = await startWebServer({ backend, token, staticDir: dir, port });
  try {
    await events.waitFor((p) => p.type === 'state', 'snapshot after reconnect');
  } finally {
    events.unsubscribe();
    await second.close();
  }
});
