import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dhcpAdvice, type DhcpProbeReport, type ProbedDhcpServer } from '../../shared/model/dhcp-probe';

const report = (servers: ProbedDhcpServer[], bound = true): DhcpProbeReport => ({ interface: 'eth1', timeoutMs: 2000, boundToInterface: bound, servers, at: '2026-11-26T01:00:00Z' });
const server = (o: Partial<ProbedDhcpServer>): ProbedDhcpServer => ({ serverId: '10.0.0.1', sourceIp: '10.0.0.1', offeredIp: '10.0.0.57', leasesAddresses: true, pxe: false, router: [], ...o });

test('nobody answers: full mode, no warnings', () => {
  const a = dhcpAdvice(report([]));
  assert.equal(a.recommended, 'full');
  assert.match(a.headline, /No other DHCP server/);
  assert.deepEqual(a.warnings, []);
});

test("the site's DHCP server answers: proxy mode, naming it and its offer", () => {
  const a = dhcpAdvice(report([server({})]));
  assert.equal(a.recommended, 'proxy');
  assert.match(a.headline, /10\.0\.0\.1 offered 10\.0\.0\.57\): use proxy mode/);
  assert.match(a.detail, /the DHCP server at 10\.0\.0\.1/);
  assert.deepEqual(a.warnings, []);
});

test('a server that already offers PXE boot files, two leasing servers, an unbound probe: each warned', () => {
  const a = dhcpAdvice(report([server({ pxe: true, bootFile: 'pxelinux.0' }), server({ serverId: '10.0.0.2', sourceIp: '10.0.0.2' })], false));
  assert.equal(a.recommended, 'proxy');
  assert.match(a.detail, /2 DHCP servers \(10\.0\.0\.1, 10\.0\.0\.2\)/);
  assert.equal(a.warnings.length, 3);
  assert.ok(a.warnings.some((w) => /10\.0\.0\.1 already offers a boot file \(pxelinux\.0\)/.test(w)));
  assert.ok(a.warnings.some((w) => /More than one DHCP server/.test(w)));
  assert.ok(a.warnings.some((w) => /could not limit the check/.test(w)));
});

test('only a proxyDHCP server answers: full mode, with a warning about the other boot server', () => {
  const a = dhcpAdvice(report([server({ leasesAddresses: false, offeredIp: '0.0.0.0', pxe: true, serverId: null, sourceIp: '10.0.0.9' })]));
  assert.equal(a.recommended, 'full');
  assert.match(a.warnings[0] ?? '', /proxyDHCP at 10\.0\.0\.9/);
});
