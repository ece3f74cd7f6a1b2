import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideBoot, isIpxeLoader, type BootPolicyConfig, type ClientFacts } from '../../../../electron/engine/boot/boot-policy';

const config: BootPolicyConfig = {
  serverIp: '192.168.77.1',
  httpPort: 8080,
  biosBootFile: 'undionly.kpxe',
  efiX64BootFile: 'ipxe.efi',
  ipxeScriptPath: 'fieldboot.ipxe',
};
const mac = '52:54:00:00:00:10';

test('boot file by client architecture (RFC 4578 option 93)', () => {
  const table: [Partial<ClientFacts>, string | null, string | null][] = [
    [{ arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }, 'undionly.kpxe', 'PXEClient'],
    [{ arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016' }, 'ipxe.efi', 'PXEClient'],
    [{ arch: 9, vendorClass: 'PXEClient:Arch:00009:UNDI:003016' }, 'ipxe.efi', 'PXEClient'],
    [{ arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' }, 'http://192.168.77.1:8080/ipxe.efi', 'HTTPClient'],
    [{ vendorClass: 'PXEClient' }, 'undionly.kpxe', 'PXEClient'], // no option 93: BIOS
    [{ arch: 11, vendorClass: 'PXEClient:Arch:00011' }, null, null], // ARM64 without a loader configured
    [{ arch: 2, vendorClass: 'PXEClient:Arch:00002' }, null, null], // Itanium: nothing to offer
    [{}, null, null], // a plain OS DHCP client: address only
    [{ vendorClass: 'MSFT 5.0' }, null, null],
  ];
  for (const [facts, file, vc] of table) {
    const answer = decideBoot({ mac, ...facts }, config);
    assert.equal(answer?.bootFile ?? null, file, JSON.stringify(facts));
    assert.equal(answer?.vendorClass ?? null, vc, JSON.stringify(facts));
    if (answer) assert.equal(answer.nextServer, '192.168.77.1');
  }
});

test('a client already running iPXE gets the script instead of iPXE again (no loop)', () => {
  const bios = decideBoot({ mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', userClass: 'iPXE' }, config);
  assert.equal(bios?.bootFile, 'fieldboot.ipxe');
  const efi = decideBoot({ mac, arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016', userClass: 'iPXE' }, config);
  assert.equal(efi?.bootFile, 'fieldboot.ipxe');
  const overHttp = decideBoot({ mac, arch: 7, userClass: 'iPXE' }, { ...config, ipxeScriptOverHttp: true });
  assert.equal(overHttp?.bootFile, 'http://192.168.77.1:8080/fieldboot.ipxe');
});

test('iPXE clients run non-iPXE loaders (pxelinux.0, syslinux.efi) as they are', () => {
  const tree = { ...config, biosBootFile: 'pxelinux.0', efiX64BootFile: 'syslinux.efi' };
  assert.equal(decideBoot({ mac, arch: 0, vendorClass: 'PXEClient', userClass: 'iPXE' }, tree)?.bootFile, 'pxelinux.0');
  assert.equal(decideBoot({ mac, arch: 7, vendorClass: 'PXEClient', userClass: 'iPXE' }, tree)?.bootFile, 'syslinux.efi');
});

test('iPXE loader names', () => {
  for (const f of ['undionly.kpxe', 'undionly.kkpxe', 'ipxe.efi', 'snponly.efi', 'ipxe.pxe', 'efi/ipxe-x64.efi', 'boot\\ipxe.lkrn']) assert.ok(isIpxeLoader(f), f);
  for (const f of ['pxelinux.0', 'lpxelinux.0', 'syslinux.efi', 'grubx64.efi', 'bootnetx64.efi', 'shimx64.efi']) assert.ok(!isIpxeLoader(f), f);
});
