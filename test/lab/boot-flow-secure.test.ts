/**
 * The Secure Boot path with real firmware: OVMF with Microsoft's keys enrolled and Secure Boot enforced,
 * its own PXE stack, boots the image's own signed chain from `serve --iso --secure-boot`: shim (signed by
 * Microsoft) over TFTP out of the ISO, the image's signed network GRUB at the TFTP root, FieldBoot's
 * generated grub.cfg and per-MAC menu, and the distribution-signed kernel, which says "Secure boot enabled"
 * and reaches "Run /init". The test image carries Debian 12's signed netboot shim and GRUB in EFI/BOOT/,
 * where RHEL-family and Ubuntu images keep theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../../shared/model/engine-event';
import { DEBIAN_NETBOOT, KERNEL_RAN_INIT } from '../helpers/boot-tree';
import { FIELDBOOT_BIN, startFieldbootServe } from '../helpers/fieldboot-process';
import { buildIso, debianLayout, REAL_INITRD, REAL_KERNEL } from '../helpers/iso-builder';
import { createSwitch } from '../helpers/netns';
import { firmwareFiles, readableTail, startQemuClient } from '../helpers/qemu';
import { labGate } from '../helpers/requirements';

const SHIM = join(DEBIAN_NETBOOT, 'bootnetx64.efi');
const GRUB = join(DEBIAN_NETBOOT, 'grubx64.efi');
const BOOT_TIMEOUT_MS = 240_000;

test('Secure Boot enforced (OVMF, Microsoft keys): the image\'s own shim and GRUB boot its signed kernel to "Run /init"', { timeout: BOOT_TIMEOUT_MS + 90_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['qemu-system-x86_64', 'ip', 'xorriso'], files: [SHIM, GRUB, REAL_KERNEL, REAL_INITRD, FIELDBOOT_BIN, ...firmwareFiles('uefi-secure')] })) return;
  const mac = '52:54:00:fb:5b:01';
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-sb-'));
  const lab = createSwitch({ prefix: 'fbsb' });
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const layout = debianLayout(12, { realKernel: true });
    const spec = { ...layout.spec };
    delete spec['EFI/boot/bootx64.efi'];
    delete spec['EFI/boot/grubx64.efi'];
    spec['EFI/BOOT/BOOTX64.EFI'] = { copyFrom: SHIM };
    spec['EFI/BOOT/grubx64.efi'] = { copyFrom: GRUB };
    const iso = await buildIso(spec, layout.options);
    cleanup.push(() => iso.cleanup());
    const srv = startFieldbootServe({
      ns: lab.ns,
      stateDir: join(tmp, 'state'),
      range: '192.168.77.100-192.168.77.150',
      extraArgs: ['--iso', iso.path, '--secure-boot', iso.path, '--allow', mac, '--menu-timeout', '1', '--console', 'ttyS0,115200n8'],
    });
    cleanup.push(() => srv.stop());
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const vm = startQemuClient({ ns: lab.ns, tap: lab.addTap('tap0'), mac, firmware: 'uefi-secure', serialLog: join(tmp, 'serial.log') });
    cleanup.push(() => vm.kill());
    const t0 = Date.now();
    const ended = (test: (e: Extract<EngineEvent, { type: 'file' }>) => boolean) => (e: EngineEvent) => e.type === 'file' && e.action === 'end' && test(e);
    try {
      const shim = await srv.waitForEvent(ended((e) => /\/EFI\/BOOT\/BOOTX64\.EFI$/i.test(e.path)), BOOT_TIMEOUT_MS);
      t.diagnostic(`shim ${shim.type === 'file' ? shim.path : ''} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await srv.waitForEvent(ended((e) => /(^|\/)grubx64\.efi$/i.test(e.path)), BOOT_TIMEOUT_MS);
      await srv.waitForEvent(ended((e) => e.path.toLowerCase().includes(`fieldboot/grub/${mac}.cfg`)), BOOT_TIMEOUT_MS);
      for (const role of ['kernel', 'initrd']) await srv.waitForEvent(ended((e) => e.role === role && e.protocol === 'tftp'), BOOT_TIMEOUT_MS);
      await vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS);
    } catch (err) {
      const files = srv.events().filter((e) => e.type === 'file' && e.action !== 'progress').map((e) => (e.type === 'file' ? `${e.protocol} ${e.action} ${e.path} ${e.role ?? ''} ${e.error ?? ''}` : ''));
      throw new Error(`${(err as Error).message}\n--- files ---\n${files.join('\n')}\n--- serial (tail) ---\n${readableTail(vm.serial(), 3000)}`);
    }
    t.diagnostic(`"Run /init" ${((Date.now() - t0) / 1000).toFixed(1)} s after QEMU start`);
    assert.match(vm.serial(), /Secure boot enabled/, 'the kernel ran under enforced Secure Boot');
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
});
