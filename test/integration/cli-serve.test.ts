/**
 * `fieldboot serve` through the real CLI on loopback: the ready/file events of --json, a real TFTP client,
 * and the one-line reasons + exit code 5 when it cannot serve.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { EngineExitCode } from '../../shared/engine-protocol';
import { hasCommand } from '../helpers/requirements';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'bin/fieldboot.mjs'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...CLI, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('no such interface: exit 5, one line naming it, and a JSON error event', async () => {
  const state = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  try {
    const r = await cli(['serve', '--interface', 'nosuch0', '--dhcp', 'off', '--tftp-port', '16970', '--state-dir', state, '--json']);
    assert.equal(r.code, EngineExitCode.CannotServe);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /cannot serve: no network interface named "nosuch0"/);
    const ev = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(ev.type, 'error');
    assert.equal(ev.error.code, 'no-such-interface');
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

test('port in use: exit 5 with the port named and what to do', async () => {
  const state = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  const blocker = createSocket('udp4');
  await new Promise<void>((r) => blocker.bind(16971, '127.0.0.1', r));
  try {
    const r = await cli(['serve', '--interface', 'lo', '--dhcp', 'off', '--tftp-port', '16971', '--state-dir', state]);
    assert.equal(r.code, EngineExitCode.CannotServe);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /16971/);
    assert.match(r.stderr, /Another program is already listening/);
  } finally {
    blocker.close();
    rmSync(state, { recursive: true, force: true });
  }
});

test('serve --root on loopback: ready event, a real tftp-hpa client fetches a file, file events, clean exit on SIGTERM', async (t) => {
  if (!hasCommand('tftp')) {
    t.skip('needs tftp-hpa');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'pxelinux.cfg'), { recursive: true });
  const payload = Buffer.alloc(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 255;
  writeFileSync(join(tree, 'pxelinux.cfg', 'default'), 'DEFAULT linux\n');
  writeFileSync(join(tree, 'kernel.bin'), payload);
  const child = spawn(process.execPath, [...CLI, 'serve', '--interface', 'lo', '--dhcp', 'off', '--root', tree, '--tftp-port', '16972', '--http-port', '18972', '--ftp-port', '12972', '--state-dir', join(dir, 'state'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: { type: string; [k: string]: unknown }[] = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const waitFor = (pred: (e: (typeof events)[number]) => boolean, ms = 20_000) =>
    new Promise<(typeof events)[number]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; events: ${JSON.stringify(events)}`)), ms);
      const check = () => {
        const e = events.find(pred);
        if (e) {
          clearTimeout(timer);
          resolve(e);
        } else waiters.push(check);
      };
      check();
    });
  try {
    const ready = await waitFor((e) => e.type === 'ready');
    assert.equal(ready.serverIp, '127.0.0.1');
    assert.deepEqual((ready.services as { name: string; port: number }[]).map((s) => [s.name, s.port]), [['tftp', 16972], ['http', 18972], ['ftp', 12972]]);
    const out = join(dir, 'got.bin');
    await run('tftp', ['127.0.0.1', '16972', '-m', 'binary', '-c', 'get', 'kernel.bin', out], { timeout: 20_000 });
    assert.ok(readFileSync(out).equals(payload), 'bytes identical');
    const end = await waitFor((e) => e.type === 'file' && e.action === 'end');
    assert.equal(end.bytes, payload.length);
    assert.match(String(end.path), /kernel\.bin$/);
    // The same tree over HTTP, under /boot/.
    const http = await run('curl', ['-sS', '-o', out, '-w', '%{http_code}', 'http://127.0.0.1:18972/boot/kernel.bin'], { timeout: 20_000 });
    assert.equal(http.stdout, '200');
    assert.ok(readFileSync(out).equals(payload), 'HTTP bytes identical');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
