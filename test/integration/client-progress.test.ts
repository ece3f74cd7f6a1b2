/**
 * A simulated install through every client stage, with the installer's callbacks sent for real over HTTP
 * to the progress endpoint (progress-endpoint.ts on a real HttpServer, 127.0.0.1) in all three shapes of
 * shared/answer/progress.ts: curl POST JSON (kickstart/autoinstall), a GET with a query sent by busybox
 * wget (the Debian installer; curl when busybox is missing), and a subiquity webhook event POSTed to
 * .../events. A second machine sends an %onerror-style "failed" callback, a third calls with mac
 * "unknown" and is found by its leased address.
 *
 * The tracker lives in a child process, which is killed with SIGKILL right after the last callback got
 * its reply; a new process on the same state folder must show every stage, time and message: a 200 from
 * the endpoint means saved.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ClientTracker } from '../../electron/engine/clients/client-tracker';
import { createLog, NULL_SINK } from '../../electron/engine/log';
import { progressBody, progressQuery, type ProgressStage } from '../../shared/answer/progress';
import type { EngineEvent, FileEvent, FileRole } from '../../shared/model/engine-event';
import { hasCommand } from '../helpers/requirements';
import { run } from './http-fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = join(ROOT, 'test/integration/client-tracker-child.ts');
const A = '52:54:00:c1:00:01';
const B = '52:54:00:c1:00:02';
const C = '52:54:00:c1:00:03';
const IP = { [A]: '127.0.0.11', [B]: '127.0.0.12', [C]: '127.0.0.1' } as Record<string, string>;

interface Child {
  proc: ChildProcess;
  port: number;
  send(msg: EngineEvent | { type: 'arm'; macs: string[]; oneShot: boolean }): Promise<void>;
  armEvents: unknown[];
}

async function startChild(stateDir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, stateDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting = new Map<number, () => void>();
  const armEvents: unknown[] = [];
  let sent = 0;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready: ${stderr}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { type: string; port?: number; n?: number; event?: unknown };
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.port!);
      } else if (msg.type === 'observed') waiting.get(msg.n!)?.();
      else if (msg.type === 'event') armEvents.push(msg.event);
    });
  });
  return {
    proc,
    port,
    armEvents,
    send(msg) {
      const k = ++sent;
      return new Promise((resolve) => {
        waiting.set(k, resolve);
        proc.stdin!.write(JSON.stringify(msg) + '\n');
      });
    },
  };
}

let clock = Date.parse('2026-03-01T10:00:00Z');
const t = (): string => new Date((clock += 1000)).toISOString();
const lease = (mac: string, action: 'discover' | 'ack'): EngineEvent => ({ type: 'lease', time: t(), action, mac, ip: action === 'ack' ? IP[mac]! : '0.0.0.0', firmware: 'efi-x64', arch: 7, hostname: `node-${mac.slice(-2)}` });
const file = (mac: string, role: FileRole, path: string, protocol: FileEvent['protocol'] = 'tftp'): FileEvent => ({ type: 'file', time: t(), protocol, action: 'end', client: `${IP[mac]}:2000`, mac, role, path, image: 'debian-12', size: 4096, bytes: 4096, rate: 1e6, durationMs: 4 });

test('simulated install through every stage with real HTTP callbacks; kill -9 and restart keep the records', { skip: !hasCommand('curl') && 'needs curl', timeout: 120_000 }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-client-progress-'));
  let child: Child | null = null;
  try {
    child = await startChild(stateDir);
    const base = `http://127.0.0.1:${child.port}/api/progress`;
    const curlPost = async (mac: string, stage: ProgressStage, message?: string) => {
      const r = await run('curl', ['-sS', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Content-Type: application/json', '-d', progressBody(stage, mac, message), `${base}/${mac}`]);
      assert.equal(r.stdout.trim(), '200', `POST ${stage}: ${r.stderr}`);
    };
    const wgetGet = async (mac: string, stage: ProgressStage, message?: string) => {
      const url = `${base}/${mac}?${progressQuery(stage, mac, message)}`;
      // What preseed.ts runs in the Debian installer (busybox wget, GET, query string). Without -T: this
      // host's busybox 1.35 (Debian 12) segfaults on -T with any server; run() has its own time limit.
      const r = hasCommand('busybox')
        ? await run('busybox', ['wget', '-q', '-O', '-', url], 15_000)
        : await run('curl', ['-sS', '-m', '10', '-f', url]);
      assert.equal(r.code, 0, `GET ${stage}: ${r.stderr}`);
      assert.equal(r.stdout, 'ok\n');
    };
    const webhook = async (mac: string, event: Record<string, unknown>) => {
      const r = await run('curl', ['-sS', '-m', '10', '-H', 'Content-Type: application/json', '-d', JSON.stringify(event), `${base}/${mac}/events`]);
      return r.stdout;
    };

    await child.send({ type: 'arm', macs: [A], oneShot: true });
    await child.send({ type: 'arm', macs: [B, C], oneShot: false });
    // Machine A: Debian over iPXE, every stage.
    for (const e of [
      lease(A, 'discover'),
      lease(A, 'ack'),
      file(A, 'loader', 'ipxe.efi'),
      file(A, 'kernel', 'debian/linux', 'http'),
      file(A, 'initrd', 'debian/initrd.gz', 'http'),
      lease(A, 'discover'), // the installer's own DHCP: installer started
      { ...file(A, 'answer', '/answer/52-54-00-c1-00-01/preseed.cfg', 'http'), action: 'start' as const },
    ]) {
      await child.send(e);
    }
    await wgetGet(A, 'pre-install');
    await curlPost(A, 'installing', 'installing the base system');
    assert.equal(
      await webhook(A, { event_type: 'start', name: 'subiquity/Install/install/curthooks', description: 'configuring installed system', origin: 'curtin', timestamp: 1_700_000_000.5 }),
      'ok\n',
    );
    assert.equal(await webhook(A, { event_type: 'log', name: 'x', description: 'chatter', origin: 'curtin', timestamp: 1 }), 'ignored\n');
    for (let i = 0; i < 3; i++) await child.send(file(A, 'package', `pool/main/p${i}.deb`, 'http'));
    await wgetGet(A, 'post-install', "setting up the 'admin' user & keys");
    await curlPost(A, 'finished');
    await wgetGet(A, 'first-boot');

    // Machine B: %onerror (kickstart) reports a failure with a message.
    await child.send(lease(B, 'discover'));
    await child.send(lease(B, 'ack'));
    await curlPost(B, 'installing');
    await curlPost(B, 'failed', 'anaconda: no disk matches the profile (need 64 GB)');

    // Machine C: a generic answer file calls with mac "unknown"; the tracker finds it by address (127.0.0.1).
    await child.send(lease(C, 'discover'));
    await child.send(lease(C, 'ack'));
    await curlPost('unknown', 'installing', 'generic');

    // Refusals: a made-up stage, a body that is not JSON.
    const bad = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-d', '{"stage":"dancing","mac":"x"}', `${base}/${A}`]);
    assert.equal(bad.stdout, '400');
    const notJson = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-d', 'stage=finished', `${base}/${A}`]);
    assert.equal(notJson.stdout, '400');

    assert.deepEqual(
      child.armEvents.map((e) => ({ ...(e as { reason: string }), time: '' })).filter((e) => e.reason === 'finished'),
      [{ type: 'arm', time: '', mac: A, armed: false, reason: 'finished' }],
      'A was one-shot: disarmed when it finished',
    );

    // kill -9 right after the last reply: no close(), no flush.
    const exited = new Promise((r) => child!.proc.once('exit', r));
    child.proc.kill('SIGKILL');
    await exited;
    child = null;

    const tracker = ClientTracker.open(stateDir, createLog(NULL_SINK, 'ENGINE'));
    const a = tracker.get(A)!;
    assert.equal(a.stage, 'first-boot');
    assert.deepEqual(Object.keys(a.stageTimes), ['discovered', 'address', 'loader', 'kernel', 'initrd', 'installer-started', 'answer-fetched', 'installing', 'post-install', 'finished', 'first-boot']);
    assert.equal(a.armed, false, 'the one-shot disarm survived');
    assert.equal(a.firmware, 'efi-x64');
    assert.equal(a.image, 'debian-12');
    assert.equal(a.packagesDone, 3);
    const text = a.log.map((l) => l.text).join('\n');
    assert.match(text, /Pre-install steps running/);
    assert.match(text, /Installing: installing the base system/);
    assert.match(text, /Installing: configuring installed system/, 'the webhook event is in the log');
    assert.doesNotMatch(text, /chatter/);
    assert.match(text, /Post-install steps running: setting up the 'admin' user & keys/, 'the GET message arrives decoded');
    const b = tracker.get(B)!;
    assert.equal(b.stage, 'failed');
    assert.equal(b.reached, 'installing');
    assert.equal(b.problem?.by, 'installer');
    assert.equal(b.problem?.reason, 'the installer reported a failure: anaconda: no disk matches the profile (need 64 GB)');
    assert.match(b.problem?.hint ?? '', /console/);
    assert.equal(b.armed, true);
    const c = tracker.get(C)!;
    assert.equal(c.stage, 'installing');
    assert.equal(tracker.list().length, 3, 'the "unknown" callback made no record of its own');
    await tracker.close();
  } finally {
    child?.proc.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
});
