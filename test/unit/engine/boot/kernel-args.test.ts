import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootIf, kernelArgs, type KernelArgsInput } from '../../../../electron/engine/boot/kernel-args';

const base: Omit<KernelArgsInput, 'family'> = {
  repoUrl: 'http://10.77.0.1/iso/x/',
  isoUrl: 'http://10.77.0.1/iso/x.iso',
  answerUrl: 'http://10.77.0.1/answer/52-54-00-00-00-01/ks.cfg',
  mac: '52:54:00:00:00:01',
  console: null,
  nameServers: ['10.77.0.1'],
};

test('kernel arguments per family, unattended', () => {
  const table: [KernelArgsInput['family'], Partial<KernelArgsInput>, string][] = [
    ['rocky', {}, 'inst.repo=http://10.77.0.1/iso/x/ inst.ks=http://10.77.0.1/answer/52-54-00-00-00-01/ks.cfg ip=dhcp BOOTIF=01-52-54-00-00-00-01'],
    ['rhel', { repoUrl: null }, 'inst.stage2=http://10.77.0.1/iso/x.iso inst.ks=http://10.77.0.1/answer/52-54-00-00-00-01/ks.cfg ip=dhcp BOOTIF=01-52-54-00-00-00-01'],
    ['centos', {}, 'inst.repo=http://10.77.0.1/iso/x/ inst.ks=http://10.77.0.1/answer/52-54-00-00-00-01/ks.cfg ip=dhcp BOOTIF=01-52-54-00-00-00-01'],
    ['fedora', { mac: null }, 'inst.repo=http://10.77.0.1/iso/x/ inst.ks=http://10.77.0.1/answer/52-54-00-00-00-01/ks.cfg ip=dhcp'],
    [
      'debian',
      { answerUrl: 'http://10.77.0.1/answer/m/preseed.cfg' },
      'auto=true priority=critical url=http://10.77.0.1/answer/m/preseed.cfg interface=auto netcfg/no_default_route=true netcfg/get_nameservers=10.77.0.1 BOOTIF=01-52-54-00-00-00-01',
    ],
    ['ubuntu-legacy', { answerUrl: 'http://s/p.cfg', nameServers: [] }, 'auto=true priority=critical url=http://s/p.cfg interface=auto netcfg/no_default_route=true BOOTIF=01-52-54-00-00-00-01'],
    [
      'ubuntu-live-server',
      { answerUrl: 'http://10.77.0.1/answer/m/' },
      'ip=dhcp url=http://10.77.0.1/iso/x.iso autoinstall ds=nocloud-net;s=http://10.77.0.1/answer/m/ cloud-config-url=/dev/null BOOTIF=01-52-54-00-00-00-01',
    ],
  ];
  for (const [family, over, want] of table) assert.equal(kernelArgs({ ...base, family, ...over }).join(' '), want, family);
});

test('a machine that is not armed gets no answer file: nothing that installs by itself', () => {
  for (const family of ['rocky', 'debian', 'ubuntu-live-server', 'centos'] as const) {
    const args = kernelArgs({ ...base, family, answerUrl: null }).join(' ');
    assert.doesNotMatch(args, /inst\.ks|url=http:\/\/10\.77\.0\.1\/answer|autoinstall|auto=true|priority=critical|ds=nocloud/, family);
  }
  // The installer still finds its tree: interactive, not broken.
  assert.match(kernelArgs({ ...base, family: 'rocky', answerUrl: null }).join(' '), /inst\.repo=/);
  assert.match(kernelArgs({ ...base, family: 'ubuntu-live-server', answerUrl: null }).join(' '), /url=http:\/\/10\.77\.0\.1\/iso\/x\.iso/);
});

test('console and extra arguments come last, the serial console last of all consoles', () => {
  const args = kernelArgs({ ...base, family: 'rocky', console: 'ttyS1,115200n8', extra: '  inst.text   nomodeset ' });
  assert.deepEqual(args.slice(-4), ['console=tty0', 'console=ttyS1,115200n8', 'inst.text', 'nomodeset']);
});

test('BOOTIF is written the way pxelinux IPAPPEND 2 writes it', () => {
  assert.equal(bootIf('52:54:00:AB:cd:01'), 'BOOTIF=01-52-54-00-ab-cd-01');
});
