/**
 * The heart of the product, with real firmware: a Debian-layout ISO (built with xorriso around the real
 * Debian 12 installer kernel and initrd) served by `fieldboot serve --iso --profile --allow`.
 *
 * - An armed BIOS client (SeaBIOS + iPXE ROM) and an armed UEFI client (OVMF + iPXE EFI ROM) get their
 *   menu over HTTP, default "install", fetch kernel and initrd over HTTP, and the real debian-installer
 *   fetches its preseed from FieldBoot (url=) and runs its early_command, which calls the progress
 *   endpoint: each shows as events for that MAC. The BIOS client's image carries the netboot initrd, read
 *   straight out of the ISO; the UEFI client's is DVD-shaped (its own initrd would look for a CD, here a
 *   file that cannot boot) with `--netboot netboot.tar.gz` of the same kernel: it boots the netboot pair.
 * - A client nobody armed gets the same menu with "boot from local disk" as default, and never the
 *   installer: no kernel, no answer file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientTracker } from '../../electron/engine/clients/client-tracker';
import { createLog } from '../../electron/engine/log';
import { bzImageVersion } from '../../electron/engine/images/debian-netboot';
import type { EngineEvent } from '../../shared/model/engine-event';
import { REPO_ROOT, FIELDBOOT_BIN, isLeaseAck, startFieldbootServe, type ServerProcess } from '../helpers/fieldboot-process';
import { buildIso, debianLayout, hasRealKernel, REAL_INITRD, REAL_KERNEL, type BuiltIso } from '../helpers/iso-builder';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { firmwareFiles, readableTail, startQemuClient, type QemuClient, type QemuFirmware } from '../helpers/qemu';
import { labGate } from '../helpers/requirements';

const PROFILE = join(REPO_ROOT, 'examples', 'profiles', 'debian12.json');
/** TCG: the preseed is fetched about 70 s after QEMU starts on an idle machine (LAB.md); bounded for a busy one. */
const BOOT_TIMEOUT_MS = Number(process.env.FB_BOOT_TIMEOUT_MS ?? 300_000);
const TEST_TIMEOUT_MS = BOOT_TIMEOUT_MS + 120_000;
const GATE = { root: true, commands: ['qemu-system-x86_64', 'ip', 'xorriso'], files: [REAL_KERNEL, REAL_INITRD, FIELDBOOT_BIN] };

interface Rig {
  tmp: string;
  iso: BuiltIso;
  lab: LabSwitch;
  cleanup: Array<() => Promise<void>>;
  /** `--netboot` arguments (DVD-shaped image). */
  netbootArgs: string[];
}

/**
 * `dvd`: the image's install.amd/initrd.gz is a stand-in for the CD initrd (it cannot boot), its pool names
 * the installer kernel udebs of the real netboot kernel, and a netboot.tar.gz (packed like Debian's) of the
 * real kernel and initrd is given with --netboot.
 */
async function withRig(fn: (rig: Rig) => Promise<void>, opts: { dvd?: boolean } = {}): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-flow-'));
  const lab = createSwitch({ prefix: 'fbflow' });
  const cleanup: Array<() => Promise<void>> = [];
  let iso: BuiltIso | null = null;
  try {
    const layout = debianLayout(12, { realKernel: !opts.dvd });
    const netbootArgs: string[] = [];
    if (opts.dvd) {
      const release = bzImageVersion(readFileSync(REAL_KERNEL).subarray(0, 65536));
      assert.ok(release, 'the netboot kernel names its release');
      layout.spec['install.amd/initrd.gz'] = 'a CD initrd: it looks for a CD and cannot install over the network\n';
      layout.spec[`pool/main/l/linux-signed-amd64/kernel-image-${release}-di_0_amd64.udeb`] = 'udeb\n';
      const tree = join(tmp, 'netboot', 'debian-installer', 'amd64');
      mkdirSync(tree, { recursive: true });
      execFileSync('cp', [REAL_KERNEL, join(tree, 'linux')]);
      execFileSync('cp', [REAL_INITRD, join(tree, 'initrd.gz')]);
      execFileSync('tar', ['czf', join(tmp, 'netboot.tar.gz'), '-C', join(tmp, 'netboot'), '.']);
      netbootArgs.push('--netboot', join(tmp, 'netboot.tar.gz'));
    }
    iso = await buildIso(layout.spec, layout.options);
    await fn({ tmp, iso, lab, cleanup, netbootArgs });
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    lab.destroy();
    await iso?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function serve(rig: Rig, allow: string[]): ServerProcess {
  const srv = startFieldbootServe({
    ns: rig.lab.ns,
    stateDir: join(rig.tmp, 'state'),
    range: '192.168.77.100-192.168.77.150',
    extraArgs: ['--iso', rig.iso.path, ...rig.netbootArgs, '--profile', PROFILE, '--menu-timeout', '2', '--console', 'ttyS0,115200n8', ...(allow.length ? ['--allow', allow.join(',')] : [])],
  });
  rig.cleanup.push(() => srv.stop());
  return srv;
}

function left(deadline: number): number {
  return Math.max(1000, deadline - Date.now());
}

async function step<T>(what: string, wait: Promise<T>, vm: QemuClient): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n--- client serial console (tail) ---\n${readableTail(vm.serial(), 2500)}`);
  }
}

const fileEnd = (mac: string, role: string) => (e: EngineEvent) => e.type === 'file' && e.action === 'end' && e.mac === mac && e.role === role;
const stage = (mac: string, name: string) => (e: EngineEvent) => e.type === 'stage' && e.mac === mac && e.stage === name;

async function armedInstall(t: import('node:test').TestContext, firmware: QemuFirmware, mac: string, opts: { dvd?: boolean } = {}): Promise<void> {
  if (!labGate(t, { ...GATE, files: [...GATE.files, ...firmwareFiles(firmware)] })) return;
  if (!hasRealKernel()) return;
  await withRig(async (rig) => {
    const srv = serve(rig, [mac]);
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const t0 = Date.now();
    const deadline = t0 + BOOT_TIMEOUT_MS;
    const vm = startQemuClient({ ns: rig.lab.ns, tap: rig.lab.addTap('tap0'), mac, firmware, serialLog: process.env.FB_SERIAL_LOG ?? join(rig.tmp, 'serial.log'), memoryMb: 1024 });
    rig.cleanup.push(() => vm.kill());
    const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

    const lease = await step('DHCP lease', srv.waitForEvent(isLeaseAck(mac), left(deadline)), vm);
    t.diagnostic(`lease ${lease.ip} (${lease.firmware ?? '?'}) at ${at()}`);
    const menu = await step('menu', srv.waitForEvent(fileEnd(mac, 'menu'), left(deadline)), vm);
    t.diagnostic(`menu ${menu.type === 'file' ? menu.path : ''} at ${at()}`);
    for (const role of ['kernel', 'initrd']) {
      const ev = await step(role, srv.waitForEvent(fileEnd(mac, role), left(deadline)), vm);
      assert.ok(ev.type === 'file');
      assert.equal(ev.protocol, 'http', `${role} over HTTP`);
      if (opts.dvd) assert.match(ev.path, /^\/iso\/debian-12[^/]*\/\.netboot\/amd64\/(linux|initrd\.gz)$/, `${role} from the netboot archive`);
      else assert.match(ev.path, /^\/iso\/debian-12[^/]*\/install\.amd\//, `${role} straight out of the ISO`);
      assert.equal(ev.bytes, ev.size, `the whole ${role}`);
      t.diagnostic(`${role} ${ev.bytes} bytes in ${ev.durationMs} ms, at ${at()}`);
    }
    await step('installer started', srv.waitForEvent(stage(mac, 'installer-started'), left(deadline)), vm);
    const answer = await step('preseed fetched', srv.waitForEvent(stage(mac, 'answer-fetched'), left(deadline)), vm);
    t.diagnostic(`preseed fetched at ${at()} from ${answer.type === 'stage' ? answer.client : ''}`);
    const early = await step('early_command progress callback', srv.waitForEvent(stage(mac, 'pre-install'), left(deadline)), vm);
    assert.ok(early.type === 'stage');
    assert.equal(early.source, 'installer', 'the callback came from the installer');
    t.diagnostic(`early_command called the progress endpoint at ${at()}`);

    const ours = srv.events().filter((e): e is Extract<EngineEvent, { type: 'stage' }> => e.type === 'stage' && e.mac === mac).map((e) => e.stage);
    assert.deepEqual(ours.slice(0, 3), ['installer-started', 'answer-fetched', 'pre-install'], 'stages in order');

    // The machine's record, as the server stored it (read back after the server is gone): every stage from
    // its first DHCP packet on, in order, with its firmware.
    await srv.stop();
    const tracker = ClientTracker.open(join(rig.tmp, 'state'), createLog(() => {}, 'ENGINE'));
    try {
      const record = tracker.get(mac);
      assert.ok(record, 'a record for the machine');
      assert.equal(record.firmware, firmware === 'bios' ? 'bios' : 'efi-x64');
      const order = ['discovered', 'address', 'loader', 'kernel', 'initrd', 'installer-started', 'answer-fetched'] as const;
      const times = order.map((s) => record.stageTimes[s]);
      assert.ok(times.every((x) => typeof x === 'string'), `every stage reached: ${JSON.stringify(record.stageTimes)}`);
      const ms = times.map((x) => Date.parse(x!));
      for (let i = 1; i < ms.length; i++) assert.ok(ms[i]! >= ms[i - 1]!, `${order[i]} after ${order[i - 1]}: ${JSON.stringify(record.stageTimes)}`);
      assert.equal(record.armed, true, 'one-shot armed until the installer reports finished');
    } finally {
      await tracker.close();
    }
  }, opts);
}

test('an armed BIOS client boots the Debian installer from `serve --iso` over HTTP and fetches its preseed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await armedInstall(t, 'bios', '52:54:00:fb:f1:01');
});

test('an armed UEFI client (OVMF + iPXE) boots the Debian installer from a DVD-shaped `serve --iso` with `--netboot` and fetches its preseed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await armedInstall(t, 'uefi', '52:54:00:fb:f1:02', { dvd: true });
});

test('a client nobody armed gets "boot from local disk" by default, never the installer', { timeout: 200_000 }, async (t) => {
  if (!labGate(t, GATE)) return;
  const mac = '52:54:00:fb:f1:03';
  await withRig(async (rig) => {
    const srv = serve(rig, []);
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const vm = startQemuClient({ ns: rig.lab.ns, tap: rig.lab.addTap('tap0'), mac, firmware: 'bios', serialLog: join(rig.tmp, 'serial.log') });
    rig.cleanup.push(() => vm.kill());
    await step('menu', srv.waitForEvent(fileEnd(mac, 'menu'), 150_000), vm);
    await step('local boot', vm.waitForSerial(/FieldBoot: booting from local disk/, 60_000), vm);
    // Give it the time an installer fetch would take after the menu: nothing may come.
    await new Promise((r) => setTimeout(r, 8000));
    const fetched = srv.events().filter((e) => e.type === 'file' && e.mac === mac && (e.role === 'kernel' || e.role === 'initrd' || e.role === 'answer'));
    assert.deepEqual(fetched, [], 'no kernel, initrd or answer file for a machine nobody armed');
    assert.ok(!srv.events().some((e) => e.type === 'stage' && e.mac === mac), 'no install stage');
    assert.match(vm.serial(), /not armed/, 'the menu says why');
  });
});
