/**
 * bmc:* requests crossing IPC/HTTP: good ones typed, bad ones refused naming the field and never echoing a
 * password; and the row wording the Machines tab shows for results (renderer/src/features/bmc/bmc-status.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldbootError } from '../../../../shared/errors';
import type { BmcInstallResult, BmcResult } from '../../../../shared/model/bmc';
import { parseBmcAdd, parseBmcImport, parseBmcInstall, parseBmcPower, parseBmcUpdate } from '../../../../electron/engine/bmc/bmc-requests';
import { rowFromInstall, rowFromResult } from '../../../../renderer/src/features/bmc/bmc-status';

test('parse: add, update, install, power, import', () => {
  assert.deepEqual(parseBmcAdd({ host: '10.0.0.1', user: 'admin', password: 'pw', port: '6230', protocol: 'ipmi', mac: '', name: '' }), {
    host: '10.0.0.1', user: 'admin', password: 'pw', port: 6230, protocol: 'ipmi',
  });
  assert.deepEqual(parseBmcUpdate({ id: '10.0.0.1:623', mac: '' }), { id: '10.0.0.1:623', mac: null });
  assert.deepEqual(parseBmcUpdate({ id: '10.0.0.1:623', password: '', user: 'root' }), { id: '10.0.0.1:623', user: 'root' });
  assert.deepEqual(parseBmcInstall({ ids: ['a:623'], bootMode: 'bios', persistent: false }), { ids: ['a:623'], bootMode: 'bios', persistent: false });
  assert.deepEqual(parseBmcPower({ ids: ['a:623'], action: 'cycle' }), { ids: ['a:623'], action: 'cycle' });
  assert.deepEqual(parseBmcImport({ csv: 'x' }), { csv: 'x' });
});

test('parse: refusals name the field and never carry the password', () => {
  const refused = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof FieldbootError && re.test(e.message) && !e.message.includes('hunter2'), re.source);
  refused(() => parseBmcAdd({ host: '10.0.0.1', user: 'admin', password: 'hunter2', extra: 1 }), /unknown field "extra"/);
  refused(() => parseBmcAdd({ host: '10.0.0.1', user: 'admin', password: 'hunter2', port: 70000 }), /port/);
  refused(() => parseBmcAdd({ host: '10.0.0.1', user: 'admin', password: 'hunter2'.repeat(50) }), /password must be/);
  refused(() => parseBmcAdd({ host: '10.0.0.1', user: 'admin', password: 'hunter2', protocol: 'telnet' }), /protocol/);
  refused(() => parseBmcInstall({ ids: ['a'], bootMode: 'efi' }), /bootMode/);
  refused(() => parseBmcInstall({ ids: [], bootMode: 'uefi' }), /ids/);
  refused(() => parseBmcPower({ ids: ['a'], action: 'toString' }), /action must be one of/);
  refused(() => parseBmcPower({ ids: ['a'], action: 'explode' }), /action must be one of/);
  refused(() => parseBmcImport({ csv: 'x'.repeat(64 * 1024) }), /csv/);
});

const result = (over: Partial<BmcResult>): BmcResult => ({
  id: 'h:623', name: 'h', host: 'h', protocol: 'ipmi', action: 'power-status', ok: true, power: 'on', bootFlags: null, confirmed: null, macs: null, notes: [], error: null, durationMs: 5, ...over,
});

test('row wording: ok, bad credentials with the hint, install warning when the read-back differs, power-cycle failure', () => {
  assert.deepEqual(rowFromResult(result({})).title, 'Reachable, credentials accepted, power on');
  const bad = rowFromResult(result({ ok: false, power: null, error: { kind: 'bad-credentials', message: 'RAKP 2 HMAC is invalid' } }));
  assert.deepEqual([bad.phase, bad.title, bad.detail], ['failed', 'Bad credentials', 'RAKP 2 HMAC is invalid']);
  assert.match(bad.hint ?? '', /refused the user name or password/);
  const install = (over: Partial<BmcInstallResult>): BmcInstallResult => ({
    id: 'h:623', name: 'h', host: 'h', protocol: 'ipmi', ok: true, failedStep: null, error: null, confirmed: true, power: 'on', steps: [result({ action: 'boot-pxe' }), result({ action: 'power-cycle', notes: ['was off: powered on'] })], durationMs: 9, ...over,
  });
  assert.deepEqual([rowFromInstall(install({})).phase, rowFromInstall(install({})).title], ['ok', 'Installing: network boot set, was off, powered on']);
  assert.equal(rowFromInstall(install({ confirmed: false })).phase, 'warning');
  const cycleFailed = rowFromInstall(install({ ok: false, failedStep: 'power-cycle', error: { kind: 'timeout', message: 'no answer' } }));
  assert.equal(cycleFailed.title, 'Network boot set, but power cycle failed: Timeout (no answer within 15 s)');
  const notStarted = rowFromInstall(install({ ok: false, failedStep: 'boot-pxe', error: { kind: 'unreachable', message: 'no answer from 10.0.0.9' } }));
  assert.equal(notStarted.title, 'Not started: Unreachable');
});
