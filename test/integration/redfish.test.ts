/**
 * Redfish against a small responder (test/helpers/redfish-responder.ts) on 127.0.0.1 over HTTPS with a
 * self-signed certificate made at test time: boot override and reset issued and read back, sessions opened
 * and closed, bad credentials, an unreachable port, and certificate pinning (a changed certificate is refused
 * before anything, credentials included, is sent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BmcAction, BmcEntry, BmcResult, BmcRunResponse } from '../../shared/model/bmc';
import { runBmcAction, runBmcActions } from '../../electron/engine/bmc/bmc-actions';
import { runBmcInstall } from '../../electron/engine/bmc/bmc-install';
import type { BmcTarget } from '../../electron/engine/bmc/bmc-types';
import { makeSelfSignedCert, startRedfishResponder, type RedfishResponder, type SelfSignedCert } from '../helpers/redfish-responder';
import { FIELDBOOT_BIN, REPO_ROOT } from '../helpers/fieldboot-process';
import { hasCommand } from '../helpers/requirements';

const USER = 'Administrator';
const PASSWORD = 'rf-Secret-42';

const dir = mkdtempSync(join(tmpdir(), 'fb-redfish-'));
const haveOpenssl = hasCommand('openssl');
const certA: SelfSignedCert | null = haveOpenssl ? makeSelfSignedCert(dir, 'bmc-a') : null;
const certB: SelfSignedCert | null = haveOpenssl ? makeSelfSignedCert(dir, 'bmc-b') : null;
test.after(() => rmSync(dir, { recursive: true, force: true }));

function target(port: number, extra: Partial<BmcTarget> = {}): BmcTarget {
  return { id: `127.0.0.1:${port}`, name: 'rf1', host: '127.0.0.1', port, protocol: 'redfish', user: USER, mac: null, cipherSuite: null, tlsFingerprint256: null, password: PASSWORD, ...extra };
}

async function withResponder(fn: (r: RedfishResponder) => Promise<void>, opts: { resetTypes?: string[]; rejectBootMode?: boolean; nics?: { mac: string; linkUp: boolean }[] } = {}): Promise<void> {
  const r = await startRedfishResponder({ user: USER, password: PASSWORD, tls: certA!, ...opts });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

const run = (r: RedfishResponder, action: BmcAction, extra: Partial<BmcTarget> = {}) => runBmcAction(target(r.port, extra), action, { timeoutMs: 5000 });

test('boot override: PXE once UEFI and persistent Legacy are PATCHed, read back and confirmed', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(async (r) => {
    const once = await run(r, { kind: 'boot-pxe', persistent: false, efi: true });
    assert.equal(once.ok, true, JSON.stringify(once));
    assert.deepEqual(r.state.Boot, { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' });
    assert.equal(once.confirmed, true);
    assert.deepEqual({ ...once.bootFlags, raw: undefined }, { valid: true, persistent: false, efi: true, device: 'pxe', raw: undefined });
    const patch = r.requests.find((q) => q.method === 'PATCH')!;
    assert.equal(patch.path, '/redfish/v1/Systems/1');
    assert.equal(patch.auth, 'token', 'PATCH carried the session token');

    const persistent = await run(r, { kind: 'boot-pxe', persistent: true, efi: false });
    assert.equal(persistent.confirmed, true);
    assert.deepEqual(r.state.Boot, { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideMode: 'Legacy' });

    const flags = await run(r, { kind: 'boot-flags' });
    assert.deepEqual({ ...flags.bootFlags, raw: undefined }, { valid: true, persistent: true, efi: false, device: 'pxe', raw: undefined });
    // Every action logged in and out: no session left behind on the BMC.
    assert.equal(r.state.sessionsCreated, 3);
    assert.equal(r.state.sessionsDeleted, 3);
    assert.ok(r.requests.every((q) => q.auth !== 'bad'));
  });
});

test('boot override on a BMC that refuses BootSourceOverrideMode: target set without it, said in a note', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(
    async (r) => {
      const res = await run(r, { kind: 'boot-pxe', persistent: false, efi: true });
      assert.equal(res.ok, true, JSON.stringify(res));
      assert.equal(r.state.Boot.BootSourceOverrideTarget, 'Pxe');
      assert.equal(r.state.Boot.BootSourceOverrideMode, 'Legacy', 'mode untouched');
      assert.equal(res.confirmed, false, 'the read-back shows Legacy, not the UEFI asked for');
      assert.ok(res.notes.some((n) => /refused BootSourceOverrideMode=UEFI/.test(n)), res.notes.join(' / '));
    },
    { rejectBootMode: true },
  );
});

test('reset: On, ForceOff, PowerCycle, ForceRestart; cycle of a machine that is off powers it on', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(async (r) => {
    const cycleOff = await run(r, { kind: 'power-cycle' });
    assert.deepEqual(r.state.resets, ['On']);
    assert.ok(cycleOff.notes.includes('was off: powered on'));
    assert.equal(cycleOff.power, 'on');
    const off = await run(r, { kind: 'power-off' });
    assert.equal(off.power, 'off');
    await run(r, { kind: 'power-on' });
    const cycle = await run(r, { kind: 'power-cycle' });
    assert.equal(cycle.ok, true);
    await run(r, { kind: 'power-reset' });
    assert.deepEqual(r.state.resets, ['On', 'ForceOff', 'On', 'PowerCycle', 'ForceRestart']);
    const status = await run(r, { kind: 'power-status' });
    assert.equal(status.power, 'on');
    const posts = r.requests.filter((q) => q.method === 'POST' && q.path.endsWith('ComputerSystem.Reset'));
    assert.deepEqual(posts.map((p) => p.body), r.state.resets.map((t) => ({ ResetType: t })));
  });
});

test('reset: a BMC without PowerCycle gets ForceRestart; one without ForceOff says "not supported"', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(
    async (r) => {
      await run(r, { kind: 'power-on' });
      const cycle = await run(r, { kind: 'power-cycle' });
      assert.equal(cycle.ok, true);
      assert.ok(cycle.notes.some((n) => /used ForceRestart/.test(n)));
      const off = await run(r, { kind: 'power-off' });
      assert.equal(off.error?.kind, 'not-supported');
      assert.deepEqual(r.state.resets, ['On', 'ForceRestart']);
    },
    { resetTypes: ['On', 'ForceRestart'] },
  );
});

test('bad credentials → "bad credentials", nothing changed, quickly', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(async (r) => {
    const res = await run(r, { kind: 'power-on' }, { password: 'wrong' });
    assert.equal(res.error?.kind, 'bad-credentials', JSON.stringify(res));
    assert.ok(res.durationMs < 5000);
    assert.deepEqual(r.state.resets, []);
    assert.equal(r.state.sessionsCreated, 0);
    assert.ok(!JSON.stringify(res).includes('wrong'));
  });
});

test('unreachable: a closed port on loopback → "unreachable"', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const res = await runBmcAction(target(port), { kind: 'power-status' }, { timeoutMs: 3000 });
  assert.equal(res.error?.kind, 'unreachable', JSON.stringify(res));
});

test('pinning: the first certificate is reported for pinning; a pinned one that matches works; a changed one is refused before any request', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(async (r) => {
    const learned: { id: string; fp?: string }[] = [];
    const [first] = await runBmcActions([target(r.port)], { kind: 'power-status' }, { timeoutMs: 5000, onLearned: (id, l) => learned.push({ id, fp: l.tlsFingerprint256 }) });
    assert.equal(first!.ok, true);
    assert.deepEqual(learned, [{ id: `127.0.0.1:${r.port}`, fp: certA!.fingerprint256 }]);
    assert.ok(first!.notes.some((n) => n.includes('trusted on first use')));

    const pinnedOk = await run(r, { kind: 'power-status' }, { tlsFingerprint256: certA!.fingerprint256 });
    assert.equal(pinnedOk.ok, true);

    const before = r.requests.length;
    const wrongPin = await run(r, { kind: 'power-on' }, { tlsFingerprint256: certB!.fingerprint256 });
    assert.equal(wrongPin.error?.kind, 'certificate-changed', JSON.stringify(wrongPin));
    assert.equal(r.requests.length, before, 'no HTTP request (and so no password) reached the server');
  });
});

function fieldboot(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIELDBOOT_BIN, 'bmc', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('CLI: a stored Redfish BMC pins its certificate on first use; after the BMC changes certificate the run is refused', { skip: !haveOpenssl && 'needs openssl', timeout: 120_000 }, async () => {
  const stateDir = join(dir, 'state-cli');
  let r = await startRedfishResponder({ user: USER, password: PASSWORD, tls: certA! });
  const port = r.port;
  try {
    const add = await fieldboot(['add', '--host', `https://127.0.0.1:${port}`, '--user', USER, '--name', 'rf1', '--state-dir', stateDir], { FIELDBOOT_BMC_PASSWORD: PASSWORD });
    assert.equal(add.code, 0, add.stderr);
    const boot = await fieldboot(['bootdev', 'pxe', '--efi', '--select', 'rf1', '--json', '--state-dir', stateDir]);
    assert.equal(boot.code, 0, boot.stdout + boot.stderr);
    const res = (JSON.parse(boot.stdout) as BmcRunResponse).results[0] as BmcResult;
    assert.equal(res.confirmed, true);
    assert.deepEqual(r.state.Boot, { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' });
    assert.ok(!boot.stdout.includes(PASSWORD));
    const list = JSON.parse((await fieldboot(['list', '--json', '--state-dir', stateDir])).stdout) as BmcEntry[];
    assert.equal(list[0]!.tlsFingerprint256, certA!.fingerprint256, 'pinned on first use');

    // The "BMC" comes back on the same address with another certificate.
    const state = r.state;
    await r.close();
    r = await startRedfishResponder({ user: USER, password: PASSWORD, tls: certB!, port }, state);
    const refused = await fieldboot(['power', 'on', '--select', 'rf1', '--state-dir', stateDir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /FAILED +certificate changed: certificate .* is not the pinned/);
    assert.match(refused.stdout, /hint \(certificate changed\)/);
    assert.equal(r.requests.length, 0, 'nothing was sent to the impostor');
    assert.deepEqual(state.resets, []);
  } finally {
    await r.close();
  }
});

test('NIC MACs from EthernetInterfaces: link-up NIC first, normalised; a BMC without the collection says "not supported"', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(
    async (r) => {
      const res = await run(r, { kind: 'nic-macs' });
      assert.equal(res.ok, true, JSON.stringify(res));
      assert.deepEqual(res.macs, ['52:54:00:ab:cd:02', '52:54:00:ab:cd:01']);
      assert.ok(r.requests.some((q) => q.path === '/redfish/v1/Systems/1/EthernetInterfaces/2' && q.auth === 'token'));
    },
    { nics: [{ mac: '52:54:00:AB:CD:01', linkUp: false }, { mac: '52:54:00:AB:CD:02', linkUp: true }] },
  );
  await withResponder(async (r) => {
    const res = await run(r, { kind: 'nic-macs' });
    assert.equal(res.error?.kind, 'not-supported');
    assert.match(res.error?.message ?? '', /type the MAC in/);
  });
});

test('install: PXE once (UEFI) then power on a machine that was off; bad password: boot step fails, power untouched', { skip: !haveOpenssl && 'needs openssl' }, async () => {
  await withResponder(async (r) => {
    const steps: string[] = [];
    const [ok] = await runBmcInstall([target(r.port)], { bootMode: 'uefi', timeoutMs: 5000, onStep: (id, step, res) => steps.push(`${step}:${res ? (res.ok ? 'ok' : 'failed') : 'running'}`) });
    assert.equal(ok!.ok, true, JSON.stringify(ok));
    assert.equal(ok!.confirmed, true);
    assert.equal(ok!.power, 'on');
    assert.deepEqual(steps, ['boot-pxe:running', 'boot-pxe:ok', 'power-cycle:running', 'power-cycle:ok']);
    assert.deepEqual(r.state.Boot, { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' });
    assert.deepEqual(r.state.resets, ['On'], 'was off: powered on, not cycled');

    const [again] = await runBmcInstall([target(r.port)], { bootMode: 'bios', timeoutMs: 5000 });
    assert.equal(again!.ok, true);
    assert.deepEqual(r.state.resets, ['On', 'PowerCycle'], 'was on: power cycled');
    assert.equal(r.state.Boot.BootSourceOverrideMode, 'Legacy');

    const before = r.requests.length;
    const [bad] = await runBmcInstall([target(r.port, { password: 'wrong' })], { bootMode: 'uefi', timeoutMs: 5000 });
    assert.equal(bad!.ok, false);
    assert.equal(bad!.failedStep, 'boot-pxe');
    assert.equal(bad!.error?.kind, 'bad-credentials');
    assert.equal(bad!.steps.length, 1);
    assert.ok(!r.requests.slice(before).some((q) => q.path.endsWith('ComputerSystem.Reset')), 'no reset after the failed boot step');
    assert.deepEqual(r.state.resets, ['On', 'PowerCycle']);
  });
});
