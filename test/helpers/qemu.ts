/**
 * A real PXE client: QEMU (TCG) on a tap device of a lab switch (test/helpers/netns.ts), its serial console
 * written to a file the test can wait on.
 *
 *   const vm = startQemuClient({ ns: lab.ns, tap: lab.addTap('tap0'), mac: '52:54:00:00:00:10',
 *                                firmware: 'bios', serialLog: join(tmp, 'bios.log') });
 *   try { await vm.waitForSerial(/Run \/init/, 150_000); } finally { await vm.kill(); }
 *
 * Firmware:
 *   bios         SeaBIOS + the e1000 NIC's iPXE option ROM (ipxe-qemu).
 *   uefi         OVMF + the same NIC's iPXE EFI ROM.
 *   uefi-native  OVMF with a virtio NIC and no option ROM: EDK2's own PXE stack (PxeBcDxe).
 *
 * Always TCG: with KVM (nested here) iPXE hangs at "Press Ctrl-B" (LAB.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * bios: SeaBIOS + the e1000's iPXE ROM. uefi: OVMF + iPXE EFI ROM. uefi-native: OVMF's own PXE stack.
 * uefi-secure: OVMF with Microsoft's keys enrolled and Secure Boot enforced, its own PXE stack (LAB.md).
 */
export type QemuFirmware = 'bios' | 'uefi' | 'uefi-native' | 'uefi-secure';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
export const OVMF_CODE_SECURE = '/usr/share/OVMF/OVMF_CODE_4M.ms.fd';
export const OVMF_VARS_SECURE = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';
export const QEMU_BINARY = 'qemu-system-x86_64';

/** Files a lab test needs for a given firmware (for labGate's `files`). */
export function firmwareFiles(firmware: QemuFirmware): string[] {
  return firmware === 'bios' ? [] : firmware === 'uefi-secure' ? [OVMF_CODE_SECURE, OVMF_VARS_SECURE] : [OVMF_CODE, OVMF_VARS];
}

export interface QemuClientOptions {
  /** Namespace holding the tap (the lab switch's namespace). */
  ns: string;
  tap: string;
  mac: string;
  firmware: QemuFirmware;
  /** File the guest's first serial port is written to. */
  serialLog: string;
  memoryMb?: number;
}

export interface QemuClient {
  /** Resolves with the whole serial log once `re` matches it; rejects on timeout or QEMU exit. */
  waitForSerial(re: RegExp, timeoutMs: number): Promise<string>;
  serial(): string;
  /** QEMU's own stderr (bad arguments, missing files). */
  stderr(): string;
  /** True once QEMU has exited. */
  exited(): boolean;
  pid: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves when the process is gone. Idempotent. */
  kill(): Promise<void>;
}

/** The end of a serial log as a person reads it: ANSI sequences, backspaces and CRs removed. */
export function readableTail(text: string, chars = 2000): string {
  const clean = text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[cM78]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/\x08 \x08|\x08/g, '')
    .replace(/\r/g, '');
  return clean.slice(-chars);
}

export function qemuArgs(o: QemuClientOptions, varsCopy: string | null): string[] {
  const args = [
    '-accel', 'tcg',
    '-m', String(o.memoryMb ?? 1024),
    // -nographic tells SeaBIOS (fw_cfg etc/sercon-port) and OVMF to use the serial port as console, so
    // firmware and iPXE messages land in the serial log next to the kernel's.
    '-nographic',
    '-display', 'none',
    '-monitor', 'none',
    '-serial', `file:${o.serialLog}`,
    '-no-reboot',
    '-boot', 'n',
    '-netdev', `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
  ];
  if (o.firmware === 'uefi-secure') {
    // Secure Boot needs SMM so the variable store cannot be written around the firmware.
    args.push('-machine', 'q35,smm=on', '-global', 'driver=cfi.pflash01,property=secure,value=on');
  }
  if (o.firmware === 'uefi-native' || o.firmware === 'uefi-secure') {
    // Empty romfile: no iPXE ROM, so OVMF's VirtioNetDxe + PxeBcDxe do the network boot.
    args.push('-device', `virtio-net-pci,netdev=n0,mac=${o.mac},romfile=`);
  } else {
    // QEMU's default e1000 ROM (efi-e1000.rom from ipxe-qemu) carries both the legacy PXE and EFI iPXE.
    args.push('-device', `e1000,netdev=n0,mac=${o.mac}`);
  }
  if (o.firmware !== 'bios') {
    if (!varsCopy) throw new Error('UEFI needs a copy of the OVMF variable store');
    args.push(
      '-drive', `if=pflash,format=raw,readonly=on,file=${o.firmware === 'uefi-secure' ? OVMF_CODE_SECURE : OVMF_CODE}`,
      '-drive', `if=pflash,format=raw,file=${varsCopy}`,
    );
  }
  return args;
}

export function startQemuClient(o: QemuClientOptions): QemuClient {
  let scratch: string | null = null;
  let varsCopy: string | null = null;
  if (o.firmware !== 'bios') {
    // OVMF writes its variable store (boot order, etc.): each VM gets its own copy, never the packaged file.
    scratch = mkdtempSync(join(tmpdir(), 'fb-ovmf-'));
    varsCopy = join(scratch, 'OVMF_VARS_4M.fd');
    copyFileSync(o.firmware === 'uefi-secure' ? OVMF_VARS_SECURE : OVMF_VARS, varsCopy);
  }
  writeFileSync(o.serialLog, '');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', o.ns, QEMU_BINARY, ...qemuArgs(o, varsCopy)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  let exitInfo: string | null = null;
  // A test runner that exits (timeout, uncaught error) without reaching kill() must not leave QEMU behind.
  const killOnExit = (): void => {
    if (exitInfo === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `qemu exited (code ${code}, signal ${signal})`;
      resolve();
    });
    child.once('error', (e) => {
      exitInfo = `qemu failed to start: ${e.message}`;
      resolve();
    });
  });
  const cleanup = (): void => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = null;
  };
  void exitedP.then(() => {
    process.removeListener('exit', killOnExit);
    cleanup();
  });

  const serial = (): string => {
    try {
      return readFileSync(o.serialLog, 'latin1');
    } catch {
      return '';
    }
  };

  return {
    pid: child.pid ?? -1,
    serial,
    stderr: () => err,
    exited: () => exitInfo !== null,
    waitForSerial(re, timeoutMs) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const tick = (): void => {
          const text = serial();
          if (re.test(text)) return resolve(text);
          if (exitInfo) {
            return reject(new Error(`${exitInfo} before ${re} on the serial console; stderr: ${err.trim()}\n--- serial tail ---\n${readableTail(text)}`));
          }
          if (Date.now() - started > timeoutMs) {
            return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} on the serial console\n--- serial tail ---\n${readableTail(text)}`));
          }
          setTimeout(tick, 250);
        };
        tick();
      });
    },
    async kill() {
      if (exitInfo === null) {
        // `ip netns exec` execs QEMU in place, so child.pid is QEMU itself.
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (exitInfo === null) child.kill('SIGKILL');
        }, 2000);
        await exitedP;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

/** True when the files QEMU needs for this firmware are installed. */
export function haveFirmware(firmware: QemuFirmware): boolean {
  return firmwareFiles(firmware).every((f) => existsSync(f));
}
