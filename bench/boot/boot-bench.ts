/**
 * Boot benchmark (issue 6, item 7): the same Debian-layout ISO booted by the same QEMU BIOS client
 * (SeaBIOS + the e1000's iPXE ROM, TCG), in one run, alternating:
 *
 *   fieldboot  `fieldboot serve --iso ISO --allow MAC --menu-timeout 1 --dhcp full`: iPXE menu over HTTP,
 *              kernel + initrd over HTTP straight out of the ISO.
 *   dnsmasq    the seed's classic setup: dnsmasq DHCP + TFTP (`dhcp-boot=pxelinux.0`), pxelinux, and the
 *              same kernel + initrd extracted from the ISO into a TFTP tree.
 *
 *   sudo bash bench/boot/run.sh [--repeat 3] [--keep DIR] [--timeout-s 300]
 *
 * Per boot: time from QEMU start to "Run /init" on the serial console, and the kernel + initrd transfer
 * window, measured on the server side (FieldBoot: its own file events; dnsmasq: a capture on the bridge,
 * see packet-capture.ts) and, for both alike, on the client's serial console. Everything runs in network
 * namespaces this script creates and removes (test/helpers/netns.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineEvent, FileEvent } from '../../shared/model/engine-event';
import { KERNEL_RAN_INIT, TREE_PATHS, buildSeedTree } from '../../test/helpers/boot-tree';
import { FIELDBOOT_BIN, startDnsmasqReference, startFieldbootServe } from '../../test/helpers/fieldboot-process';
import { buildIso, debianLayout, hasRealKernel, REAL_INITRD, REAL_KERNEL, type BuiltIso } from '../../test/helpers/iso-builder';
import { createSwitch, type LabSwitch } from '../../test/helpers/netns';
import { readableTail, startQemuClient } from '../../test/helpers/qemu';
import { hasCommand, isRoot } from '../../test/helpers/requirements';
import { startCapture, tftpWindow } from './packet-capture';
import { watchSerial } from './serial-timeline';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    /** Keep each boot's serial log, capture and server output in this directory. */
    keep: { type: 'string' },
    'timeout-s': { type: 'string', default: '300' },
  },
});
const REPEAT = Number(values.repeat);
const BOOT_TIMEOUT_MS = Number(values['timeout-s']) * 1000;
const MAC = '52:54:00:fb:b0:07';
const RANGE_FB = '192.168.77.100-192.168.77.150';
/** Paths of the installer inside the Debian-layout ISO (debianLayout in test/helpers/iso-builder.ts). */
const ISO_KERNEL = '/install.amd/vmlinuz';
const ISO_INITRD = '/install.amd/initrd.gz';
/**
 * FieldBoot's menu wait. Not 0: FieldBoot renders `--menu-timeout 0` as iPXE `choose --timeout 0`, which
 * iPXE reads as "no timeout" (the menu waits for a key forever). 1 s is the shortest that boots unattended;
 * the reference's pxelinux.cfg waits 0.1 s (TIMEOUT 1). The wait is shown apart ("menu wait") in the output.
 */
const MENU_TIMEOUT_S = '1';

type Setup = 'fieldboot' | 'dnsmasq';

/** `text` as a regex that also matches when the console broke the line anywhere inside it. */
const wrapped = (text: string): string =>
  [...text].map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('(?:\\r?\\n)?');

/**
 * What the client prints when the kernel transfer starts and when the initrd transfer ends:
 * iPXE prints the URL when `kernel`/`initrd` starts and "... ok" when it has the file; pxelinux prints
 * "Loading FILE" when it starts and "ok" once it has it.
 */
const SERIAL_MARKS: Record<Setup, { start: RegExp; end: RegExp }> = {
  // iPXE wraps at 80 columns, and the URL's length varies with the image id, so the break can fall inside
  // the path or among the progress dots; on a slow transfer it also prints percentages ("96%" + backspaces)
  // before " ok".
  fieldboot: { start: new RegExp(wrapped('/install.amd/vmlinuz')), end: new RegExp(`${wrapped('/install.amd/initrd.gz')}[\\s\\S]{0,400}?\\sok`) },
  dnsmasq: { start: /Loading debian-installer\/amd64\/linux/, end: /Loading debian-installer\/amd64\/initrd\.gz\.*\s*ok/ },
};

interface BootResult {
  setup: Setup;
  round: number;
  /** QEMU start to "Run /init" on the serial console. */
  initMs: number;
  /** Kernel + initrd window, server side. */
  serverWindowMs: number;
  /** Kernel + initrd window, client side (serial console). */
  serialWindowMs: number | null;
  /** QEMU start to the kernel request (firmware, DHCP, loader, menu), server side. */
  beforeMs: number;
  /** Last menu/config file request to the kernel request (the loader's menu wait), server side. */
  menuWaitMs: number | null;
  /** Server CPU (user + system) over the whole boot, ms. */
  serverCpuMs: number;
  load: [number, number];
  note: string;
}

/** user + system CPU of a process, in ms (/proc/PID/stat fields 14 and 15, 100 Hz ticks). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (!n) return NaN;
  return n % 2 ? (s[(n - 1) / 2] ?? NaN) : ((s[n / 2 - 1] ?? NaN) + (s[n / 2] ?? NaN)) / 2;
};
const sec = (ms: number | null): string => (ms === null || Number.isNaN(ms) ? '   n/a' : (ms / 1000).toFixed(2).padStart(6));
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The reference TFTP tree: the seed's pxelinux tree, with kernel and initrd extracted from the ISO. */
function buildReferenceTree(dir: string, iso: string): void {
  buildSeedTree(dir);
  for (const [inIso, inTree] of [
    [ISO_KERNEL, TREE_PATHS.kernel],
    [ISO_INITRD, TREE_PATHS.initrd],
  ] as const) {
    const dest = join(dir, inTree);
    rmSync(dest, { force: true });
    const r = spawnSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', inIso, dest], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`xorriso -extract ${inIso}: ${r.stderr.trim()}`);
  }
}

function fileEvents(events: EngineEvent[]): FileEvent[] {
  return events.filter((e): e is FileEvent => e.type === 'file' && (e.mac ?? '').toLowerCase() === MAC);
}

async function bootOnce(setup: Setup, round: number, lab: LabSwitch, tap: string, iso: BuiltIso, tree: string, work: string): Promise<BootResult> {
  const dir = join(work, `${setup}-${round}`);
  mkdirSync(dir, { recursive: true });
  const serialLog = join(dir, 'serial.log');
  const pcap = join(dir, 'capture.pcap');
  const cleanup: Array<() => Promise<void>> = [];
  const loadStart = loadavg()[0] ?? NaN;
  try {
    let serverPid: number;
    let serverOutput: () => string;
    let events: () => EngineEvent[] = () => [];
    let dnsmasqLog: () => string = () => '';
    if (setup === 'fieldboot') {
      const srv = startFieldbootServe({
        ns: lab.ns,
        stateDir: join(dir, 'state'),
        dhcp: 'full',
        range: RANGE_FB,
        extraArgs: ['--iso', iso.path, '--allow', MAC, '--menu-timeout', MENU_TIMEOUT_S, '--console', 'ttyS0,115200n8'],
      });
      cleanup.push(() => srv.stop());
      await srv.waitForEvent((e) => e.type === 'ready', 30_000);
      serverPid = srv.pid;
      serverOutput = () => srv.stdout() + srv.stderr();
      events = () => srv.events();
    } else {
      const ref = startDnsmasqReference({ ns: lab.ns, root: tree, leaseFile: join(dir, 'leases') });
      cleanup.push(() => ref.stop());
      await ref.waitForLog(/started, version/, 10_000);
      serverPid = ref.pid;
      serverOutput = () => ref.log();
      dnsmasqLog = () => ref.log();
    }
    const capture = await startCapture(lab.ns, lab.bridge, pcap);
    cleanup.push(() => capture.stop());

    const cpu0 = cpuMs(serverPid);
    const t0 = Date.now();
    const vm = startQemuClient({ ns: lab.ns, tap, mac: MAC, firmware: 'bios', serialLog, memoryMb: 1024 });
    cleanup.push(() => vm.kill());
    const serial = watchSerial(serialLog, t0);
    cleanup.push(async () => serial.stop());
    let initMs: number;
    try {
      initMs = await serial.waitFor(KERNEL_RAN_INIT, BOOT_TIMEOUT_MS, () => (vm.exited() ? `qemu exited (${vm.stderr().trim()})` : null));
    } catch (err) {
      throw new Error(`${setup} round ${round + 1}: ${(err as Error).message}\n--- serial tail ---\n${readableTail(serial.text(), 1500)}\n--- server tail ---\n${serverOutput().slice(-1500)}`);
    }
    const serverCpuMs = cpuMs(serverPid) - cpu0;
    await vm.kill();
    await capture.stop();

    const marks = SERIAL_MARKS[setup];
    const sStart = serial.firstMatch(marks.start);
    const sEnd = serial.firstMatch(marks.end);
    const serialWindowMs = sStart !== null && sEnd !== null ? sEnd - sStart : null;

    let serverWindowMs: number;
    let beforeMs: number;
    let note: string;
    let menuWaitMs: number | null = null;
    if (setup === 'fieldboot') {
      const fe = fileEvents(events());
      const kStart = fe.find((e) => e.action === 'start' && (e.role === 'kernel' || e.path.endsWith(ISO_KERNEL)));
      const iEnd = fe.filter((e) => e.action === 'end' && (e.role === 'initrd' || e.path.endsWith(ISO_INITRD))).pop();
      if (!kStart || !iEnd) throw new Error(`fieldboot: no kernel start / initrd end event (${fe.map((e) => `${e.action} ${e.path}`).join(', ')})`);
      if (iEnd.protocol !== 'http' || iEnd.bytes !== iEnd.size) throw new Error(`fieldboot: initrd ${iEnd.protocol} ${iEnd.bytes}/${iEnd.size ?? '?'} bytes`);
      serverWindowMs = Date.parse(iEnd.time) - Date.parse(kStart.time);
      beforeMs = Date.parse(kStart.time) - t0;
      const menuEnd = fe.filter((e) => e.action === 'end' && e.role === 'menu' && Date.parse(e.time) <= Date.parse(kStart.time)).pop();
      menuWaitMs = menuEnd ? Date.parse(kStart.time) - Date.parse(menuEnd.time) : null;
      const kEnd = fe.find((e) => e.action === 'end' && e.role === 'kernel');
      note = `kernel ${kEnd?.durationMs ?? '?'} ms + initrd ${iEnd.durationMs ?? '?'} ms (${iEnd.bytes} B) over ${iEnd.protocol}`;
    } else {
      const w = tftpWindow(pcap, TREE_PATHS.kernel, TREE_PATHS.initrd);
      serverWindowMs = w.endMs - w.startMs;
      beforeMs = w.startMs - t0;
      menuWaitMs = w.previousRequestMs !== null ? w.startMs - w.previousRequestMs : null;
      if (!dnsmasqLog().includes(`sent ${join(tree, TREE_PATHS.initrd)}`)) throw new Error('dnsmasq: no "sent …initrd.gz" in its log');
      note = `initrd transfer ${w.packets} packets on the wire`;
    }

    if (values.keep) {
      const keep = join(values.keep, `${setup}-${round + 1}`);
      mkdirSync(keep, { recursive: true });
      copyFileSync(serialLog, join(keep, 'serial.log'));
      copyFileSync(pcap, join(keep, 'capture.pcap'));
      writeFileSync(join(keep, 'server.log'), serverOutput());
    }
    return { setup, round, initMs, serverWindowMs, serialWindowMs, beforeMs, menuWaitMs, serverCpuMs, load: [loadStart, loadavg()[0] ?? NaN], note };
  } finally {
    // QEMU first (it holds the tap), then the capture, then the server.
    for (const c of cleanup.reverse()) await c().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('needs root (network namespaces, QEMU on a tap)');
  for (const c of ['ip', 'qemu-system-x86_64', 'xorriso', 'dnsmasq', 'tcpdump']) if (!hasCommand(c)) throw new Error(`missing ${c}`);
  if (!existsSync(FIELDBOOT_BIN)) throw new Error(`missing ${FIELDBOOT_BIN}`);
  if (!hasRealKernel()) throw new Error(`missing ${REAL_KERNEL} / ${REAL_INITRD} (package debian-installer-12-netboot-amd64)`);
  const work = mkdtempSync(join(tmpdir(), 'fb-boot-bench-'));
  let iso: BuiltIso | null = null;
  let lab: LabSwitch | null = null;
  const results: BootResult[] = [];
  try {
    const layout = debianLayout(12, { realKernel: true });
    iso = await buildIso(layout.spec, layout.options);
    const tree = join(work, 'tftp');
    buildReferenceTree(tree, iso.path);
    const same = sha256(join(tree, TREE_PATHS.kernel)) === sha256(REAL_KERNEL) && sha256(join(tree, TREE_PATHS.initrd)) === sha256(REAL_INITRD);
    if (!same) throw new Error('the kernel/initrd extracted from the ISO differ from the Debian netboot files it was built with');
    const initrdMb = (readFileSync(REAL_INITRD).length / 1048576).toFixed(1);
    const kernelMb = (readFileSync(REAL_KERNEL).length / 1048576).toFixed(1);
    console.log(`# Debian 12 layout ISO ${iso.path} (kernel ${kernelMb} MiB, initrd ${initrdMb} MiB; the TFTP tree holds the same bytes, extracted from it)`);
    console.log(`# node ${process.version}, ${spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? ''}, ${spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? ''}`);
    lab = createSwitch({ prefix: 'fbboot' });
    const tap = lab.addTap('tap0');
    console.log(`# switch ${lab.ns}, QEMU BIOS client ${MAC} (SeaBIOS + e1000 iPXE ROM, -accel tcg); ${REPEAT} boots each, alternating (ABBA), median`);
    console.log('# round setup      Run/init  before  (menu)  xfer(server)  xfer(serial)  server CPU  load1  note');
    for (let round = 0; round < REPEAT; round++) {
      const order: Setup[] = round % 2 === 0 ? ['fieldboot', 'dnsmasq'] : ['dnsmasq', 'fieldboot'];
      for (const setup of order) {
        const r = await bootOnce(setup, round, lab, tap, iso, tree, work);
        results.push(r);
        console.log(
          `# ${String(round + 1).padStart(5)} ${setup.padEnd(10)} ${sec(r.initMs)} s ${sec(r.beforeMs)} s ${sec(r.menuWaitMs)} s ${sec(r.serverWindowMs)} s     ${sec(r.serialWindowMs)} s    ${String(r.serverCpuMs).padStart(6)} ms  ${r.load[0].toFixed(1)}-${r.load[1].toFixed(1)}  ${r.note}`,
        );
      }
    }
  } finally {
    lab?.destroy();
    await iso?.cleanup();
    rmSync(work, { recursive: true, force: true });
  }

  const of = (setup: Setup, pick: (r: BootResult) => number | null): number[] =>
    results.filter((r) => r.setup === setup).map(pick).filter((v): v is number => v !== null);
  /** `difference`: a ratio of two tiny or fixed waits says nothing; print FieldBoot minus dnsmasq instead. */
  const metrics: Array<{ name: string; pick: (r: BootResult) => number | null; difference?: boolean }> = [
    { name: 'QEMU start to "Run /init"', pick: (r) => r.initMs },
    { name: 'kernel + initrd (server side)', pick: (r) => r.serverWindowMs },
    { name: 'kernel + initrd (serial console)', pick: (r) => r.serialWindowMs },
    { name: 'QEMU start to kernel request', pick: (r) => r.beforeMs },
    { name: 'menu/config to kernel request', pick: (r) => r.menuWaitMs, difference: true },
    { name: 'server CPU over the boot', pick: (r) => r.serverCpuMs },
  ];
  console.log(`\n# medians of ${REPEAT} boots each [all boots], ratio = FieldBoot / dnsmasq (below 1.00: FieldBoot faster), then the median of per-round ratios`);
  for (const m of metrics) {
    const a = of('fieldboot', m.pick);
    const b = of('dnsmasq', m.pick);
    const ratio = median(a) / median(b);
    const perRound = a.length === b.length ? a.map((x, i) => x / (b[i] ?? NaN)) : [];
    const list = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
    if (m.difference) {
      console.log(`${m.name.padEnd(34)} fieldboot ${sec(median(a))} s [${list(a)}]   dnsmasq ${sec(median(b))} s [${list(b)}]   difference ${sec(median(a) - median(b))} s`);
      continue;
    }
    console.log(
      `${m.name.padEnd(34)} fieldboot ${sec(median(a))} s [${list(a)}]   dnsmasq ${sec(median(b))} s [${list(b)}]   ratio ${ratio.toFixed(2)}${perRound.length ? `   per round ${median(perRound).toFixed(2)} [${perRound.map((r) => r.toFixed(2)).join(', ')}]` : ''}`,
    );
  }
  const loads = results.flatMap((r) => r.load);
  console.log(`# load average (1 min) during the boots: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
