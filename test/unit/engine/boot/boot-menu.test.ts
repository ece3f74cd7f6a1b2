import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBootMenu, type MenuImage, type MenuSettings } from '../../../../electron/engine/boot/boot-menu';
import { Firmware } from '../../../../electron/engine/boot/client-arch';
import { renderGrubChainConfig, renderGrubMenu } from '../../../../electron/engine/boot/grub-menu';
import { renderIpxeChainScript, renderIpxeMenu } from '../../../../electron/engine/boot/ipxe-menu';
import { renderPxelinuxMenu } from '../../../../electron/engine/boot/pxelinux-menu';

const settings: MenuSettings = { timeoutSec: 7, httpBase: 'http://10.77.0.1:8080', console: null, nameServers: ['10.77.0.1'] };
const debian: MenuImage = {
  id: 'debian-12-aaaa',
  name: 'Debian 12.5.0 amd64',
  family: 'debian',
  version: '12.5.0',
  bootFiles: [{ arch: 'amd64', kernel: '/iso/debian-12-aaaa/install.amd/vmlinuz', initrd: '/iso/debian-12-aaaa/install.amd/initrd.gz' }],
  repoPath: '/iso/debian-12-aaaa/',
  isoPath: '/iso/debian-12-aaaa.iso',
  answerPath: '/answer/52-54-00-00-00-01/preseed.cfg',
};
const rockyArm: MenuImage = {
  id: 'rocky-9-arm',
  name: 'Rocky 9 aarch64',
  family: 'rocky',
  version: '9.3',
  bootFiles: [{ arch: 'aarch64', kernel: '/iso/rocky-9-arm/images/pxeboot/vmlinuz', initrd: '/iso/rocky-9-arm/images/pxeboot/initrd.img' }],
  repoPath: '/iso/rocky-9-arm/',
  isoPath: '/iso/rocky-9-arm.iso',
  answerPath: null,
};
const ubuntu: MenuImage = {
  id: 'ubuntu-24',
  name: 'Ubuntu 24.04',
  family: 'ubuntu-live-server',
  version: '24.04.1',
  bootFiles: [{ arch: 'amd64', kernel: '/iso/ubuntu-24/casper/vmlinuz', initrd: '/iso/ubuntu-24/casper/initrd' }],
  repoPath: null,
  isoPath: '/iso/ubuntu-24.iso',
  answerPath: '/answer/52-54-00-00-00-01/',
};
const mac = '52:54:00:00:00:01';

test('a machine nobody armed: every image listed, interactive, local disk is the default', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.Bios, armedImageId: null }, [debian, ubuntu], settings);
  assert.equal(menu.defaultId, 'local');
  assert.deepEqual(menu.entries.map((e) => e.id), ['image-1', 'image-2', 'local']);
  for (const e of menu.entries) if (e.kind === 'install') {
    assert.equal(e.unattended, false);
    assert.doesNotMatch(e.args.join(' '), /answer/);
  }
  assert.match(menu.title, /not armed/);
  assert.equal(menu.timeoutSec, 7);
});

test('an armed machine: its image is the default and only it gets the answer file', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.EfiX64, armedImageId: 'ubuntu-24' }, [debian, ubuntu], settings);
  assert.equal(menu.defaultId, 'image-2');
  const [d, u] = menu.entries;
  assert.ok(d?.kind === 'install' && u?.kind === 'install');
  assert.equal(d.unattended, false);
  assert.equal(u.unattended, true);
  assert.match(u.args.join(' '), /autoinstall ds=nocloud-net;s=http:\/\/10\.77\.0\.1:8080\/answer\/52-54-00-00-00-01\//);
  assert.match(u.label, /unattended/);
});

test('armed for an image with no answer file: default install, interactive', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.EfiArm64, armedImageId: 'rocky-9-arm' }, [debian, rockyArm], settings);
  // Debian has no arm64 boot files: not offered to an arm64 machine.
  assert.deepEqual(menu.entries.map((e) => e.id), ['image-2', 'local']);
  assert.equal(menu.defaultId, 'image-2');
  const e = menu.entries[0];
  assert.ok(e?.kind === 'install' && !e.unattended);
});

test('iPXE: menu with timeout in ms, default, HTTP URLs, initrd= name, fall-through to the default without menu support', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.Bios, armedImageId: 'debian-12-aaaa' }, [debian], settings);
  const text = renderIpxeMenu(menu, settings.httpBase);
  assert.match(text, /^#!ipxe\n/);
  assert.match(text, /set fb-default image-1\n/);
  assert.match(text, /menu .* \|\| goto \$\{fb-default\}\n/);
  assert.match(text, /choose --default \$\{fb-default\} --timeout 7000 fb-target/);
  assert.match(text, /\nkernel http:\/\/10\.77\.0\.1:8080\/iso\/debian-12-aaaa\/install\.amd\/vmlinuz initrd=initrd\.gz auto=true .*url=http:\/\/10\.77\.0\.1:8080\/answer\/52-54-00-00-00-01\/preseed\.cfg .* \|\| goto failed\n/);
  assert.match(text, /\ninitrd http:\/\/10\.77\.0\.1:8080\/iso\/debian-12-aaaa\/install\.amd\/initrd\.gz \|\| goto failed\n/);
  assert.match(text, /:local\n.*\nexit 0\n$/);
  // A failed boot does not loop on the installer: it falls back to local disk.
  assert.match(text, /:failed\necho [^\n]*\nset fb-default local\n/);
});

test('iPXE: a "${" in user text cannot inject a setting expansion', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.Bios, armedImageId: null }, [{ ...debian, name: 'evil ${net0/mac}' }], { ...settings, extraArgs: 'x=${root-path}' });
  const text = renderIpxeMenu(menu, settings.httpBase);
  assert.doesNotMatch(text.replace(/\$\{(fb-default|fb-target)\}/g, ''), /\$\{/);
});

test('iPXE chain script asks for its menu by platform, arch and MAC', () => {
  const text = renderIpxeChainScript('http://10.77.0.1', '/ipxe/');
  assert.match(text, /chain --autofree http:\/\/10\.77\.0\.1\/ipxe\/\$\{platform\}\/\$\{buildarch\}\/\$\{net0\/mac:hexhyp\}\.ipxe \|\| goto local/);
});

test('pxelinux: TIMEOUT in tenths, ONTIMEOUT the default, TFTP paths, LOCALBOOT', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.Bios, armedImageId: null }, [debian], settings);
  const text = renderPxelinuxMenu(menu);
  assert.match(text, /^UI menu\.c32\n/);
  assert.match(text, /\nTIMEOUT 70\n/);
  assert.match(text, /\nONTIMEOUT local\n/);
  assert.match(text, /LABEL image-1\n {2}MENU LABEL Install Debian 12\.5\.0 amd64 \(interactive\)\n {2}KERNEL \/iso\/debian-12-aaaa\/install\.amd\/vmlinuz\n {2}APPEND initrd=\/iso\/debian-12-aaaa\/install\.amd\/initrd\.gz interface=auto/);
  assert.match(text, /LABEL local\n {2}MENU LABEL Boot from local disk\n {2}MENU DEFAULT\n {2}LOCALBOOT 0\n/);
});

test('GRUB: quoted arguments (";" in the NoCloud URL), default by index, linuxefi for RHEL 8', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.EfiX64, armedImageId: 'ubuntu-24' }, [debian, ubuntu], settings);
  const text = renderGrubMenu(menu);
  assert.match(text, /set timeout=7\nset default=1\n/);
  assert.match(text, / {2}linux \/iso\/ubuntu-24\/casper\/vmlinuz 'ip=dhcp' .*'ds=nocloud-net;s=http:\/\/10\.77\.0\.1:8080\/answer\/52-54-00-00-00-01\/'/);
  assert.match(text, /menuentry 'Boot from local disk' --id local \{\n {2}exit\n\}/);
  const rhel8 = buildBootMenu({ mac, firmware: Firmware.EfiX64, armedImageId: null }, [{ ...debian, id: 'r8', family: 'rhel', version: '8.10' }], settings);
  assert.match(renderGrubMenu(rhel8), / {2}linuxefi .*\n.*\n {2}initrdefi /);
  const chain = renderGrubChainConfig('/fieldboot/grub/', menu);
  assert.match(chain, /configfile \/fieldboot\/grub\/\$net_default_mac\.cfg/);
});

test('iPXE: a zero timeout boots the default at once (iPXE reads "choose --timeout 0" as no timeout)', () => {
  const menu = buildBootMenu({ mac, firmware: Firmware.Bios, armedImageId: 'debian-12-aaaa' }, [debian], { ...settings, timeoutSec: 0 });
  const text = renderIpxeMenu(menu, settings.httpBase);
  assert.match(text, /:start\ngoto \$\{fb-default\}\nmenu /);
  // After a failed boot the menu is shown again: the jump only comes before it on first entry, then "local".
  assert.match(renderPxelinuxMenu(menu), /\nTIMEOUT 1\n/, 'pxelinux TIMEOUT 0 would also wait forever');
});
