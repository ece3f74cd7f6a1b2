/**
 * RHEL-family images and the seed's classic flow, with real firmware in QEMU:
 * - a RHEL-layout ISO (Rocky 9 tree around the real Debian 12 installer kernel and initrd, built with
 *   xorriso) boots an armed BIOS client and an armed UEFI client via iPXE over HTTP to "Run /init", with
 *   Anaconda's arguments (inst.repo, inst.ks) pointing at URLs that answer;
 * - the same ISO through pxelinux (the BIOS loader setting): generated per-MAC pxelinux menu, kernel and
 *   initrd over TFTP straight out of the ISO;
 * - the seed flow: a plain --root pxelinux tree whose kernel line carries ftp:// URLs (method=, ks=), which
 *   FieldBoot's FTP server answers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../../shared/model/engine-event';
import { buildSeedTree, KERNEL_ARGS, KERNEL_RAN_INIT, SEED_TREE_REQUIRED_FILES, TREE_PATHS } from '../helpers/boot-tree';
import { FIELDBOOT_BIN, REPO_ROOT, isLeaseAck, startFieldbootServe, type ServerProcess } from '../helpers/fieldboot-process';
import { buildIso, hasRealKernel, REAL_INITRD, REAL_KERNEL, rockyLayout, type BuiltIso } from '../helpers/iso-builder';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { firmwareFiles, readableTail, startQemuClient, type QemuClient, type QemuFirmware } from '../helpers/qemu';
import { labGate } from '../helpers/requirements';

const PROFILE = join(REPO_ROOT, 'examples', 'profiles', 'rhel9.json');
const BOOT_TIMEOUT_MS = 200_000;
const TEST_TIMEOUT_MS = BOOT_TIMEOUT_MS + 90_000;
const SERVER = '192.168.77.1';
const GATE = { root: true, commands: ['qemu-system-x86_64', 'ip', 'xorriso', 'curl'], files: [REAL_KERNEL, REAL_INITRD, FIELDBOOT_BIN, ...SEED_TREE_REQUIRED_FILES] };

interface Rig {
  tmp: string;
  lab: LabSwitch;
  cleanup: Array<() => Promise<void>>;
}

async function withRig(fn: (rig: Rig) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-rhel-'));
  const lab = createSwitch({ prefix: 'fbrhel' });
  const cleanup: Array<() => Promise<void>> = [];
  try {
    await fn({ tmp, lab, cleanup });
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function rockyIso(rig: Rig): Promise<BuiltIso> {
  const layout = rockyLayout(9, { realKernel: true });
  const iso = await buildIso(layout.spec, layout.options);
  rig.cleanup.push(() => iso.cleanup());
  return iso;
}

function serve(rig: Rig, args: string[]): ServerProcess {
  const srv = startFieldbootServe({ ns: rig.lab.ns, stateDir: join(rig.tmp, 'state'), range: '192.168.77.100-192.168.77.150', extraArgs: ['--menu-timeout', '1', '--console', 'ttyS0,115200n8', ...args] });
  rig.cleanup.push(() => srv.stop());
  return srv;
}

function boot(rig: Rig, mac: string, firmware: QemuFirmware): QemuClient {
  const vm = startQemuClient({ ns: rig.lab.ns, tap: rig.lab.addTap('tap0'), mac, firmware, serialLog: join(rig.tmp, 'serial.log') });
  rig.cleanup.push(() => vm.kill());
  return vm;
}

async function step<T>(what: string, wait: Promise<T>, vm: QemuClient): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n--- client serial console (tail) ---\n${readableTail(vm.serial(), 2500)}`);
  }
}

/** curl from inside the lab namespace (the client's view of the server). */
function nsCurl(rig: Rig, url: string): string {
  return execFileSync('ip', ['netns', 'exec', rig.lab.ns, 'curl', '-sS', '-f', '--max-time', '20', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const fileEnd = (mac: string, role: string) => (e: EngineEvent) => e.type === 'file' && e.action === 'end' && e.mac === mac && e.role === role;

async function ipxeHttpBoot(t: TestContext, firmware: QemuFirmware, mac: string): Promise<void> {
  if (!labGate(t, { ...GATE, files: [...GATE.files, ...firmwareFiles(firmware)] }) || !hasRealKernel()) return;
  await withRig(async (rig) => {
    const iso = await rockyIso(rig);
    const srv = serve(rig, ['--iso', iso.path, '--profile', PROFILE, '--allow', mac]);
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const t0 = Date.now();
    const vm = boot(rig, mac, firmware);
    await step('lease', srv.waitForEvent(isLeaseAck(mac), BOOT_TIMEOUT_MS), vm);
    for (const role of ['kernel', 'initrd']) {
      const ev = await step(role, srv.waitForEvent(fileEnd(mac, role), BOOT_TIMEOUT_MS), vm);
      assert.ok(ev.type === 'file');
      assert.equal(ev.protocol, 'http');
      assert.match(ev.path, /^\/iso\/rocky-9[^/]*\/images\/pxeboot\//);
      t.diagnostic(`${role} over HTTP: ${ev.bytes} bytes in ${ev.durationMs} ms`);
    }
    const serial = await step('Run /init', vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS), vm);
    t.diagnostic(`"Run /init" ${((Date.now() - t0) / 1000).toFixed(1)} s after QEMU start`);
    // Anaconda's arguments reached the kernel, and what they point at answers.
    const cmdline = /Kernel command line: ([^\r\n]*)/.exec(serial)?.[1] ?? '';
    const repo = /inst\.repo=(\S+)/.exec(cmdline)?.[1];
    const ks = /inst\.ks=(\S+)/.exec(cmdline)?.[1];
    assert.ok(repo && ks, `inst.repo and inst.ks on the kernel line: ${cmdline}`);
    assert.match(cmdline, new RegExp(`BOOTIF=01-${mac.replace(/:/g, '-')}`));
    assert.match(nsCurl(rig, `${repo}.treeinfo`), /\[general\]|\[release\]/);
    assert.match(nsCurl(rig, ks), /^(#.*\n)*.*\n?[\s\S]*%packages/m);
  });
}

test('RHEL-layout ISO: an armed BIOS client (SeaBIOS + iPXE) reaches "Run /init" via iPXE over HTTP', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await ipxeHttpBoot(t, 'bios', '52:54:00:fb:e1:01');
});

test('RHEL-layout ISO: an armed UEFI client (OVMF + iPXE) reaches "Run /init" via iPXE over HTTP', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await ipxeHttpBoot(t, 'uefi', '52:54:00:fb:e1:02');
});

test('RHEL-layout ISO through pxelinux (BIOS loader setting): generated per-MAC menu, kernel and initrd over TFTP out of the ISO', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!labGate(t, GATE) || !hasRealKernel()) return;
  const mac = '52:54:00:fb:e1:03';
  await withRig(async (rig) => {
    const iso = await rockyIso(rig);
    const srv = serve(rig, ['--iso', iso.path, '--allow', mac, '--bios-boot-file', 'pxelinux.0']);
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const vm = boot(rig, mac, 'bios');
    const menu = await step('pxelinux menu', srv.waitForEvent((e) => e.type === 'file' && e.action === 'end' && e.path === `pxelinux.cfg/01-${mac.replace(/:/g, '-')}`, BOOT_TIMEOUT_MS), vm);
    assert.ok(menu.type === 'file' && menu.protocol === 'tftp' && menu.role === 'menu');
    for (const role of ['kernel', 'initrd']) {
      const ev = await step(role, srv.waitForEvent(fileEnd(mac, role), BOOT_TIMEOUT_MS), vm);
      assert.ok(ev.type === 'file' && ev.protocol === 'tftp', `${role} over TFTP`);
      t.diagnostic(`${role} over TFTP: ${ev.bytes} bytes in ${ev.durationMs} ms`);
    }
    await step('Run /init', vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS), vm);
  });
});

test('the seed flow: pxelinux + TFTP from --root, kernel line with ftp:// URLs that FieldBoot\'s FTP answers', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!labGate(t, GATE)) return;
  const mac = '52:54:00:fb:e1:04';
  await withRig(async (rig) => {
    const args = `${KERNEL_ARGS} method=ftp://${SERVER}/pub/ ks=ftp://${SERVER}/ks.cfg`;
    const tree = buildSeedTree(join(rig.tmp, 'tree'), { kernelArgs: args });
    writeFileSync(join(tree, 'ks.cfg'), '# seed kickstart\ntext\n');
    const srv = startFieldbootServe({ ns: rig.lab.ns, root: tree, stateDir: join(rig.tmp, 'state'), range: '192.168.77.100-192.168.77.150', extraArgs: ['--bios-boot-file', TREE_PATHS.pxelinux] });
    rig.cleanup.push(() => srv.stop());
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const vm = boot(rig, mac, 'bios');
    const serial = await step('Run /init', vm.waitForSerial(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS), vm);
    assert.match(serial, /method=ftp:\/\/192\.168\.77\.1\/pub\/ ks=ftp:\/\/192\.168\.77\.1\/ks\.cfg/, 'the seed\'s kernel line reached the kernel');
    assert.ok(srv.events().some((e) => e.type === 'file' && e.protocol === 'tftp' && e.path === TREE_PATHS.initrd && e.action === 'end'), 'initrd over TFTP');
    assert.equal(nsCurl(rig, `ftp://${SERVER}/ks.cfg`), '# seed kickstart\ntext\n', 'ks=ftp:// answers');
    assert.match(nsCurl(rig, `ftp://${SERVER}/`), /pxelinux\.cfg/, 'method=ftp:// lists the tree');
  });
});
