import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDiskInfo, parseIni } from '../../../electron/engine/iso/os-detect';
import { formatSummary } from '../../../electron/engine/cli/iso-command';
import type { IsoSummary } from '../../../shared/model/iso-summary';

test('.treeinfo INI: sections, comments, keys lower-cased, values kept', () => {
  const ini = parseIni('[header]\ntype = productmd.treeinfo\n\n; comment\n[Release]\nname = Rocky Linux\nversion = 9.3\n# x\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\nEFIBOOT.IMG = images/efiboot.img\nnot a pair\n');
  assert.equal(ini.get('release')?.get('name'), 'Rocky Linux');
  assert.equal(ini.get('release')?.get('version'), '9.3');
  assert.equal(ini.get('images-x86_64')?.get('kernel'), 'images/pxeboot/vmlinuz');
  assert.equal(ini.get('images-x86_64')?.get('efiboot.img'), 'images/efiboot.img');
  assert.equal(ini.size, 3);
  assert.equal(parseIni('key = before any section\n').size, 0);
});

test('.disk/info lines of Debian and Ubuntu media', () => {
  const table: [string, Partial<ReturnType<typeof parseDiskInfo>>][] = [
    ['Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 NETINST with firmware 20240210-11:27', { name: 'Debian GNU/Linux 12.5.0', version: '12.5.0', codename: 'Bookworm', arches: ['amd64'], flavour: 'NETINST' }],
    ['Debian GNU/Linux 11.9.0 "Bullseye" - Official amd64 DVD Binary-1 20240210-11:28', { version: '11.9.0', flavour: 'DVD' }],
    ['Debian GNU/Linux 12.5.0 "Bookworm" - Official Multi-architecture amd64 i386 NETINST #1 20240210-11:28', { arches: ['amd64', 'i386'] }],
    ['Ubuntu-Server 22.04.4 LTS "Jammy Jellyfish" - Release amd64 (20240216)', { name: 'Ubuntu-Server 22.04.4 LTS', version: '22.04.4', codename: 'Jammy Jellyfish', arches: ['amd64'] }],
    ['Ubuntu-Server 24.04 LTS "Noble Numbat" - Release arm64 (20240423)', { version: '24.04', arches: ['arm64'] }],
    ['garbage', { name: 'garbage', version: null, arches: [] }],
  ];
  for (const [line, want] of table) {
    const got = parseDiskInfo(line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, `${line}: ${k}`);
  }
});

test('the human summary shows the essentials and every warning', () => {
  const s: IsoSummary = {
    path: '/x.iso', sizeBytes: 10 * 1024 ** 3, filesystem: 'rockridge', volumeId: 'V', family: 'debian', name: 'Debian GNU/Linux 12.5.0',
    version: '12.5.0', arch: 'amd64', arches: ['amd64', 'i386'], variant: 'netinst', kernel: '/install.amd/vmlinuz', initrd: '/install.amd/initrd.gz',
    bootFiles: [{ arch: 'amd64', kernel: '/install.amd/vmlinuz', initrd: '/install.amd/initrd.gz' }, { arch: 'i386', kernel: '/install.386/vmlinuz', initrd: '/install.386/initrd.gz' }],
    installTreeRoot: '/', answerFormat: 'preseed', kernelArgsTemplate: 'auto=true', minRamMb: 1024, firmware: { bios: true, uefi: false },
    bootEntries: [], fileCount: 12, warnings: ['W1'], notes: ['N1'], evidence: [],
  };
  const text = formatSummary(s);
  assert.match(text, /Image\s+\/x\.iso \(10\.0 GiB\)/);
  assert.match(text, /Architecture\s+amd64 \(all: amd64, i386\)/);
  assert.match(text, /Boot \(i386\)\s+\/install\.386\/vmlinuz \/install\.386\/initrd\.gz/);
  assert.match(text, /Firmware\s+BIOS\n/);
  assert.match(text, /^warning: W1$/m);
  assert.match(text, /^note: N1$/m);
});
