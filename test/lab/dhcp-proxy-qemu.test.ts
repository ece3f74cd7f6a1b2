/**
 * proxyDHCP beside a site DHCP server: dnsmasq (addresses only, no PXE options) runs in its own namespace on
 * the same switch; `fieldboot serve --dhcp proxy` adds only the boot answer. Real firmware (SeaBIOS + iPXE ROM,
 * OVMF + iPXE EFI ROM, OVMF's own EDK2 PXE stack) must take its address from dnsmasq and its boot file from
 * FieldBoot, and boot the tree's kernel to "Run /init".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseEvent } from '../../shared/model/engine-event';
import { createSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { buildSeedTree, KERNEL_RAN_INIT, SEED_TREE_REQUIRED_FILES, TREE_PATHS } from '../helpers/boot-tree';
import { firmwareFiles, startQemuClient, type QemuFirmware } from '../helpers/qemu';
import { FIELDBOOT_BIN, isFileEnd, startFieldbootServe } from '../helpers/fieldboot-process';

const BOOT_TIMEOUT_MS = 150_000;
const CASES = [
  { firmware: 'bios', mac: '52:54:00:fb:d0:01', bootFile: TREE_PATHS.pxelinux, name: 'SeaBIOS + iPXE ROM' },
  { firmware: 'uefi', mac: '52:54:00:fb:d0:02', bootFile: TREE_PATHS.syslinuxEfi, name: 'OVMF + iPXE EFI ROM' },
  { firmware: 'uefi-native', mac: '52:54:00:fb:d0:03', bootFile: TREE_PATHS.syslinuxEfi, name: 'OVMF native PXE (EDK2)' },
] as const satisfies readonly { firmware: QemuFirmware; mac: string; bootFile: string; name: string }[];

for (const { firmware, mac: MAC, bootFile, name } of CASES) test(
  `proxy mode: ${name} gets its address from the site dnsmasq and boots from FieldBoot`,
  { timeout: BOOT_TIMEOUT_MS + 60_000 },
  async (t) => {
    const files = [...SEED_TREE_REQUIRED_FILES, FIELDBOOT_BIN, ...firmwareFiles(firmware)];
    if (!labGate(t, { root: true, commands: ['qemu-system-x86_64', 'ip', 'dnsmasq'], files })) return;
    const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-proxy-'));
    const lab = createSwitch({ prefix: 'fbpx' });
    const cleanup: Array<() => Promise<void> | void> = [];
    try {
      const tree = buildSeedTree(join(tmp, 'tree'));
      const tap = lab.addTap('tap0');
      // The site's DHCP server: another host on the switch, handing out .200-.210, knowing nothing of PXE.
      const site = lab.addVethClient('site');
      site.exec(['ip', 'addr', 'add', '192.168.77.2/24', 'dev', site.ifname]);
      let siteLog = '';
      const dnsmasq = spawn(
        'ip',
        ['netns', 'exec', site.ns, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-', '--user=root',
          `--interface=${site.ifname}`, '--bind-interfaces', '--port=0', '--dhcp-range=192.168.77.200,192.168.77.210,255.255.255.0,1h',
          `--dhcp-leasefile=${join(tmp, 'site.leases')}`, '--no-ping', '--log-dhcp'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      dnsmasq.stdout.on('data', (d: Buffer) => (siteLog += d.toString()));
      dnsmasq.stderr.on('data', (d: Buffer) => (siteLog += d.toString()));
      cleanup.push(() => void dnsmasq.kill('SIGKILL'));

      const srv = startFieldbootServe({
        ns: lab.ns,
        root: tree,
        stateDir: join(tmp, 'state'),
        dhcp: 'proxy',
        extraArgs: ['--bios-boot-file', TREE_PATHS.pxelinux, '--efi-boot-file', TREE_PATHS.syslinuxEfi],
      });
      cleanup.push(() => srv.stop());
      await srv.waitForEvent((e) => e.type === 'ready', 20_000);
      const t0 = Date.now();
      const vm = startQemuClient({ ns: lab.ns, tap, mac: MAC, firmware, serialLog: join(tmp, 'serial.log') });
      cleanup.push(() => vm.kill());

      const offer = (await srv.waitForEvent((e) => e.type === 'lease' && e.mac === MAC, BOOT_TIMEOUT_MS)) as LeaseEvent;
      t.diagnostic(`proxy ${offer.action} (arch ${offer.arch ?? '-'}, ${offer.bootFile ?? '-'}) at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.equal(offer.bootFile, bootFile);
      await srv.waitForEvent(isFileEnd(bootFile), BOOT_TIMEOUT_MS);
      t.diagnostic(`${bootFile} sent at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const serial = await vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS);
      t.diagnostic(`"Run /init" at ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      // The address came from the site server, never from FieldBoot.
      assert.match(siteLog, new RegExp(`DHCPACK\\(${site.ifname}\\) 192\\.168\\.77\\.2(0\\d|10) ${MAC}`));
      if (firmware === 'bios') assert.match(serial, /192\.168\.77\.2(0\d|10)/, 'iPXE prints the site-assigned address');
      const ours = srv.events().filter((e): e is LeaseEvent => e.type === 'lease');
      assert.ok(ours.length > 0);
      assert.ok(ours.every((e) => e.action === 'offer' || e.action === 'ack'));
      assert.ok(ours.every((e) => !/^192\.168\.77\.1\d\d$/.test(e.ip)), 'FieldBoot handed out no address');
      t.diagnostic(`FieldBoot answers: ${ours.map((e) => `${e.action}@${e.ip}`).join(', ')}`);
    } finally {
      for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
      lab.destroy();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
