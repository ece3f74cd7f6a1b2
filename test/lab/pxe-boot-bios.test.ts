/**
 * A legacy-BIOS PXE client (QEMU SeaBIOS + the e1000 NIC's iPXE option ROM) boots the seed's pxelinux tree
 * (pxelinux.0 -> pxelinux.cfg/default -> Debian 12 netboot kernel + 41 MB initrd, all over TFTP) until the
 * kernel prints "Run /init" on the serial console.
 *
 * The reference variant (FIELDBOOT_LAB_REFERENCE=1) boots the same tree from dnsmasq, the classic setup,
 * to re-validate the rig itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { buildSeedTree, KERNEL_RAN_INIT, SEED_TREE_REQUIRED_FILES, TREE_PATHS } from '../helpers/boot-tree';
import { readableTail, startQemuClient, type QemuClient } from '../helpers/qemu';
import {
  FIELDBOOT_BIN,
  isFileEnd,
  isLeaseAck,
  startDnsmasqReference,
  startFieldbootServe,
  type ReferenceServer,
  type ServerProcess,
} from '../helpers/fieldboot-process';

const MAC = '52:54:00:fb:b1:05';
/** SeaBIOS + iPXE ROM under TCG: ~32 s to "Run /init" when the machine is idle; bounded for a busy one. */
const BOOT_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = BOOT_TIMEOUT_MS + 60_000;
const REFERENCE = process.env.FIELDBOOT_LAB_REFERENCE === '1';
const GATE = { root: true, commands: ['qemu-system-x86_64', 'ip'], files: SEED_TREE_REQUIRED_FILES };

interface Rig {
  tmp: string;
  tree: string;
  lab: LabSwitch;
  tap: string;
}

async function withRig(fn: (rig: Rig, cleanup: Array<() => Promise<void>>) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-bios-'));
  const lab = createSwitch({ prefix: 'fbbios' });
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const tree = buildSeedTree(join(tmp, 'tree'));
    await fn({ tmp, tree, lab, tap: lab.addTap('tap0') }, cleanup);
  } finally {
    // QEMU first (it holds the tap), then the server, then the namespace.
    for (const c of cleanup.reverse()) await c().catch(() => {});
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Time left until `deadline`, so a chain of waits stays within one boot budget (and the test timeout). */
function left(deadline: number): number {
  return Math.max(1000, deadline - Date.now());
}

/** A failed wait for a server event also shows what the client saw. */
async function step<T>(wait: Promise<T>, vm: QemuClient): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- client serial console (tail) ---\n${readableTail(vm.serial(), 1500)}`);
  }
}

function seconds(fromMs: number): string {
  return ((Date.now() - fromMs) / 1000).toFixed(1);
}

test(
  'reference: SeaBIOS + iPXE ROM boots the seed pxelinux tree from dnsmasq to "Run /init"',
  { skip: REFERENCE ? false : 'rig re-validation; set FIELDBOOT_LAB_REFERENCE=1', timeout: TEST_TIMEOUT_MS },
  async (t) => {
    if (!labGate(t, { ...GATE, commands: [...GATE.commands, 'dnsmasq'] })) return;
    await withRig(async ({ tmp, tree, lab, tap }, cleanup) => {
      const ref: ReferenceServer = startDnsmasqReference({ ns: lab.ns, root: tree, leaseFile: join(tmp, 'leases') });
      cleanup.push(() => ref.stop());
      await ref.waitForLog(/started, version/, 10_000);
      const t0 = Date.now();
      const vm: QemuClient = startQemuClient({ ns: lab.ns, tap, mac: MAC, firmware: 'bios', serialLog: join(tmp, 'serial.log') });
      cleanup.push(() => vm.kill());
      await vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS);
      t.diagnostic(`"Run /init" ${seconds(t0)} s after QEMU start`);
      const log = ref.log();
      assert.match(log, new RegExp(`DHCPACK\\(br0\\) [0-9.]+ ${MAC}`));
      for (const f of [TREE_PATHS.pxelinux, TREE_PATHS.kernel, TREE_PATHS.initrd]) {
        assert.ok(log.includes(`sent ${join(tree, f)}`), `dnsmasq sent ${f}`);
      }
    });
  },
);

test(
  'SeaBIOS + iPXE ROM boots the seed pxelinux tree from `fieldboot serve --root --dhcp full` to "Run /init"',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    if (!labGate(t, { ...GATE, files: [...GATE.files, FIELDBOOT_BIN] })) return;
    await withRig(async ({ tmp, tree, lab, tap }, cleanup) => {
      const srv: ServerProcess = startFieldbootServe({
        ns: lab.ns,
        root: tree,
        stateDir: join(tmp, 'state'),
        range: '192.168.77.100-192.168.77.150',
        // The server's BIOS default is undionly.kpxe; this is the classic pxelinux tree.
        extraArgs: ['--bios-boot-file', TREE_PATHS.pxelinux, '--efi-boot-file', TREE_PATHS.syslinuxEfi],
      });
      cleanup.push(() => srv.stop());
      await srv.waitForEvent((e) => e.type === 'ready', 20_000);
      const t0 = Date.now();
      const deadline = t0 + BOOT_TIMEOUT_MS;
      const vm: QemuClient = startQemuClient({ ns: lab.ns, tap, mac: MAC, firmware: 'bios', serialLog: join(tmp, 'serial.log') });
      cleanup.push(() => vm.kill());

      // Each event awaited on its own (within one boot budget), so a failure names the event that never came.
      const lease = await step(srv.waitForEvent(isLeaseAck(MAC), left(deadline)), vm);
      t.diagnostic(`lease ack ${lease.ip} (arch ${lease.arch ?? '-'}, boot file ${lease.bootFile ?? '-'}) at ${seconds(t0)} s`);
      assert.equal(lease.arch ?? 0, 0, 'SeaBIOS reports client architecture 0 (BIOS)');
      for (const f of [TREE_PATHS.pxelinux, TREE_PATHS.kernel, TREE_PATHS.initrd]) {
        const ev = await step(srv.waitForEvent(isFileEnd(f), left(deadline)), vm);
        assert.equal(ev.protocol, 'tftp');
        t.diagnostic(`tftp ${f}: ${ev.bytes} bytes in ${ev.durationMs ?? '?'} ms, done at ${seconds(t0)} s`);
      }
      await vm.waitForSerial(KERNEL_RAN_INIT, left(deadline));
      t.diagnostic(`"Run /init" ${seconds(t0)} s after QEMU start`);
      const initrdEnd = srv.events().find(isFileEnd(TREE_PATHS.initrd));
      assert.ok(initrdEnd && initrdEnd.type === 'file');
      assert.equal(initrdEnd.bytes, initrdEnd.size ?? initrdEnd.bytes, 'the whole initrd was sent');
    });
  },
);
