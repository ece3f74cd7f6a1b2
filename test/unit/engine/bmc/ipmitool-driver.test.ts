/**
 * ipmitool argument building (the password never in argv) and failure classification from stderr texts
 * captured from ipmitool 1.8.19 (`-v`) against ipmi_sim 1.0.13 on 2026-11-25, in a network namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BmcErrorKind } from '../../../../shared/model/bmc';
import { buildIpmitoolInvocation, classifyIpmitoolFailure, retriesFor } from '../../../../electron/engine/bmc/ipmitool-driver';
import { bootdevPxeArgs, rawSetPxeArgs } from '../../../../electron/engine/bmc/ipmi-boot-flags';

const PASSWORD = 'S3cr3t,pa$$ word';
const target = { host: '10.88.0.2', port: 623, user: 'admin', password: PASSWORD };

/** Lines `-v` prints on every call (kept in the captures on purpose). */
const NOISE = 'Loading IANA PEN Registry...\nRunning Get VSO Capabilities my_addr 0x20, transit 0, target 0x20\nInvalid completion code received: Invalid command\nDiscovered IPMB address 0x0\n';

const CAPTURED: { name: string; stderr: string; kind: BmcErrorKind }[] = [
  { name: 'wrong password', stderr: 'Loading IANA PEN Registry...\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.BadCredentials },
  { name: 'unknown user', stderr: 'Loading IANA PEN Registry...\nRAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.BadCredentials },
  { name: 'cipher suite 17 on ipmi_sim', stderr: 'Loading IANA PEN Registry...\nError in open session response message : invalid authentication algorithm\n\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.CipherSuiteRefused },
  { name: 'nothing listening (ICMP port unreachable)', stderr: 'Loading IANA PEN Registry...\nGet Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.Unreachable },
  { name: 'no route', stderr: 'Loading IANA PEN Registry...\nCould not open socket!\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.Unreachable },
  { name: 'unresolvable name', stderr: 'Loading IANA PEN Registry...\nAddress lookup for no-such-bmc.invalid failed\nCould not open socket!\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.Unreachable },
  { name: 'raw command the BMC does not know (0xC1)', stderr: `${NOISE}Unable to send RAW command (channel=0x0 netfn=0x0 lun=0x0 cmd=0xf rsp=0xc1): Invalid command\n`, kind: BmcErrorKind.NotSupported },
  { name: 'chassis control value refused (0xCC)', stderr: `${NOISE}Set Chassis Power Control to Diag failed: Invalid data field in request\n`, kind: BmcErrorKind.NotSupported },
  { name: 'no stderr at all', stderr: '', kind: BmcErrorKind.Failed },
];

/**
 * Not reproducible with ipmi_sim (it does not enforce privilege limits): built from ipmitool's message formats
 * with the RMCP+ status text for 0x0A (IPMI v2.0 Table 13-15) and completion code 0xD4's text.
 */
const FROM_FORMATS: typeof CAPTURED = [
  { name: 'role above the account (RMCP+ status 0x0A)', stderr: 'Loading IANA PEN Registry...\nRAKP 2 message indicates an error : unauthorized role or privilege level requested\nError: Unable to establish IPMI v2 / RMCP+ session\n', kind: BmcErrorKind.InsufficientPrivilege },
  { name: 'completion code 0xD4', stderr: `${NOISE}Set Chassis Power Control to Up/On failed: Insufficient privilege level\n`, kind: BmcErrorKind.InsufficientPrivilege },
  { name: 'completion code 0xD5 (power cycle while off)', stderr: `${NOISE}Set Chassis Power Control to Cycle failed: Command not supported in present state\n`, kind: BmcErrorKind.NotSupported },
];
CAPTURED.push(...FROM_FORMATS);

for (const c of CAPTURED) {
  test(`classify: ${c.name} → ${c.kind}`, () => {
    const f = classifyIpmitoolFailure({ code: 1, stderr: c.stderr, timedOut: false }, PASSWORD);
    assert.equal(f.kind, c.kind, f.message);
    assert.ok(!/IANA PEN|VSO Capabilities|Discovered IPMB/.test(f.message), `noise kept in "${f.message}"`);
  });
}

test('classify: the VSO probe line does not make a failed session look like "not supported"', () => {
  const f = classifyIpmitoolFailure({ code: 1, stderr: `${NOISE}> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n`, timedOut: false });
  assert.equal(f.kind, BmcErrorKind.BadCredentials);
});

test('classify: killed at the deadline → timeout, whatever stderr said so far', () => {
  const f = classifyIpmitoolFailure({ code: null, stderr: 'Loading IANA PEN Registry...\n', timedOut: true });
  assert.equal(f.kind, BmcErrorKind.Timeout);
});

test('classify: the password never survives into the message', () => {
  const f = classifyIpmitoolFailure({ code: 1, stderr: `weird BMC echo: ${PASSWORD}\n`, timedOut: false }, PASSWORD);
  assert.ok(!f.message.includes(PASSWORD));
  assert.match(f.message, /\*\*\*/);
});

test('argv: lanplus, an explicit cipher suite, -E, and no password anywhere in argv', () => {
  const inv = buildIpmitoolInvocation(target, 3, ['chassis', 'power', 'status'], 15_000, { bin: '/usr/bin/ipmitool' });
  assert.equal(inv.bin, '/usr/bin/ipmitool');
  assert.deepEqual(inv.args.slice(0, 4), ['-I', 'lanplus', '-C', '3']);
  assert.ok(inv.args.includes('-E'));
  assert.ok(!inv.args.includes('-P'), '-P puts the password in argv');
  assert.ok(!inv.args.includes('-f'));
  for (const a of inv.args) assert.ok(!a.includes(PASSWORD) && !a.includes('S3cr3t'), `password in argv element "${a}"`);
  assert.equal(inv.env.IPMI_PASSWORD, PASSWORD);
  assert.deepEqual(inv.args.slice(-3), ['chassis', 'power', 'status']);
  const h = inv.args.indexOf('-H');
  assert.equal(inv.args[h + 1], '10.88.0.2');
  assert.equal(inv.args[inv.args.indexOf('-p') + 1], '623');
});

test('argv: a user name with spaces stays one element', () => {
  const inv = buildIpmitoolInvocation({ ...target, user: 'rack admin' }, 17, ['mc', 'info'], 5000);
  assert.equal(inv.args[inv.args.indexOf('-U') + 1], 'rack admin');
  assert.equal(inv.args[inv.args.indexOf('-C') + 1], '17');
});

test('retries keep ipmitool inside the deadline (measured: about R(R+1) s with -N 1)', () => {
  assert.equal(retriesFor(3000), 1);
  assert.equal(retriesFor(5000), 1);
  assert.equal(retriesFor(15_000), 2);
  assert.equal(retriesFor(30_000), 3);
  assert.equal(retriesFor(600_000), 4);
  for (const t of [3000, 5000, 10_000, 15_000, 30_000, 60_000]) {
    const r = retriesFor(t);
    if (r > 1) assert.ok(r * (r + 1) * 1000 <= t, `R=${r} for ${t} ms`);
  }
});

test('bootdev arguments: options=efiboot / persistent as ipmitool 1.8 spells them', () => {
  assert.deepEqual(bootdevPxeArgs({ persistent: false, efi: false }), ['chassis', 'bootdev', 'pxe']);
  assert.deepEqual(bootdevPxeArgs({ persistent: false, efi: true }), ['chassis', 'bootdev', 'pxe', 'options=efiboot']);
  assert.deepEqual(bootdevPxeArgs({ persistent: true, efi: true }), ['chassis', 'bootdev', 'pxe', 'options=persistent,efiboot']);
});

test('raw fallback: raw 0x00 0x08 0x05 <flags> 0x04 0x00 0x00 0x00', () => {
  assert.deepEqual(rawSetPxeArgs({ persistent: false, efi: true }), ['raw', '0x00', '0x08', '0x05', '0xa0', '0x04', '0x00', '0x00', '0x00']);
  assert.deepEqual(rawSetPxeArgs({ persistent: true, efi: true }).slice(4, 5), ['0xe0']);
  assert.deepEqual(rawSetPxeArgs({ persistent: false, efi: false }).slice(4, 5), ['0x80']);
  assert.deepEqual(rawSetPxeArgs({ persistent: true, efi: false }).slice(4, 5), ['0xc0']);
});
