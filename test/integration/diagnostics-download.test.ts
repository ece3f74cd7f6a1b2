/**
 * Web mode's diagnostics download on loopback: POST /api/diagnostics with the token answers the zip as an
 * attachment (checked with the real unzip), without the token it is refused, and GET is not the route. The
 * web server hands its token to the backend as a known secret: pasted into free text, it leaves as a marker.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { API_DIAGNOSTICS_PATH } from '../../shared/api/fieldboot-api';
import { createToken, startWebServer } from '../../electron/engine-host/web-server';
import { createFakeBackend } from '../helpers/fake-backend';
import { labGate } from '../helpers/requirements';

const work = mkdtempSync(join(tmpdir(), 'fb-diag-web-'));
after(() => rmSync(work, { recursive: true, force: true }));
const t0 = '2026-11-26T01:00:00.000Z';

test('web mode download: POST /api/diagnostics with the token answers the zip as an attachment; no token, no zip', async (t) => {
  if (!labGate(t, { commands: ['unzip'] })) return;
  const staticDir = join(work, 'static');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
  const backend = createFakeBackend({ transitionMs: 1 });
  const token = createToken();
  const web = await startWebServer({ backend, token, staticDir });
  try {
    backend.emit({ type: 'lease', time: t0, action: 'ack', mac: '52:54:00:fb:00:09', ip: '192.168.77.109' });
    backend.emit({ type: 'log', time: t0, level: 'info', subsystem: 'HOST', message: `link pasted: ${token} (${encodeURIComponent(token)})` });
    const origin = `http://127.0.0.1:${web.port}`;
    const refused = await fetch(`${origin}${API_DIAGNOSTICS_PATH}`, { method: 'POST' });
    assert.equal(refused.status, 401);
    assert.equal((await fetch(`${origin}${API_DIAGNOSTICS_PATH}`, { headers: { Authorization: `Bearer ${token}` } })).status, 405, 'GET is not the route');
    const r = await fetch(`${origin}${API_DIAGNOSTICS_PATH}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/zip');
    assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="fieldboot-diagnostics-\d{8}-\d{6}\.zip"$/);
    assert.ok((r.headers.get('x-fieldboot-files') ?? '').split(',').includes('log.txt'));
    const zip = Buffer.from(await r.arrayBuffer());
    const file = join(work, 'web.zip');
    writeFileSync(file, zip);
    assert.match(execFileSync('unzip', ['-t', file], { encoding: 'utf8' }), /No errors detected/);
    assert.match(execFileSync('unzip', ['-p', file, 'log.txt'], { encoding: 'utf8' }), /52:54:00:fb:00:09 lease ack 192\.168\.77\.109/);
    assert.ok(!zip.includes(Buffer.from(token)), 'the token is not in the zip');
    const log = execFileSync('unzip', ['-p', file, 'log.txt'], { encoding: 'utf8' });
    assert.ok(!log.includes(token) && !log.includes(encodeURIComponent(token)), log);
    assert.match(log, /link pasted: \[removed: web UI token\]/);
  } finally {
    await web.close();
    await backend.dispose();
  }
});
