/**
 * IPMI "Boot Flags" (System Boot Options parameter 5), IPMI v2.0 §28.12 Table 28-14: the five data bytes
 * behind `chassis bootdev` and `chassis bootparam get 5`. Pure: values <-> bytes / ipmitool text.
 */
import { BootDevice, type BootFlags } from '../../../shared/model/bmc';

/** Set/Get System Boot Options: NetFn Chassis (0x00), commands 0x08 / 0x09 (IPMI v2.0 Table G-1). */
export const IpmiChassis = { NetFn: 0x00, SetSystemBootOptions: 0x08, GetSystemBootOptions: 0x09, BootFlagsParameter: 0x05 } as const;

/** Data byte 1 bits (Table 28-14). */
export const BootFlagBit = {
  /** 1 = the flags are valid (the BIOS acts on them). */
  Valid: 0x80,
  /** 1 = apply to all future boots; 0 = next boot only. */
  Persistent: 0x40,
  /** 1 = EFI boot; 0 = PC-compatible (legacy) boot. */
  Efi: 0x20,
} as const;

/** Data byte 2 bits [5:2], boot device selector (Table 28-14). */
export const BootDeviceSelector = {
  None: 0b0000,
  Pxe: 0b0001,
  Disk: 0b0010,
  DiskSafeMode: 0b0011,
  DiagnosticPartition: 0b0100,
  Cdrom: 0b0101,
  BiosSetup: 0b0110,
  RemoteFloppy: 0b0111,
  RemoteCdrom: 0b1000,
  RemoteMedia: 0b1001,
  RemoteDisk: 0b1011,
  Floppy: 0b1111,
} as const;

/** Byte 1 for "boot from the network", as the raw fallback sends it. */
export function bootFlagsByte(opts: { persistent: boolean; efi: boolean }): number {
  return BootFlagBit.Valid | (opts.persistent ? BootFlagBit.Persistent : 0) | (opts.efi ? BootFlagBit.Efi : 0);
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * `ipmitool raw` arguments setting boot flags to PXE: for BMCs whose ipmitool `options=efiboot` handling is
 * ignored or unknown (older ipmitool builds drop unknown options silently). Data: parameter 5, byte 1 flags,
 * byte 2 = PXE selector << 2, bytes 3-5 zero (no console redirection / BIOS overrides).
 */
export function rawSetPxeArgs(opts: { persistent: boolean; efi: boolean }): string[] {
  return [
    'raw', hex(IpmiChassis.NetFn), hex(IpmiChassis.SetSystemBootOptions), hex(IpmiChassis.BootFlagsParameter),
    hex(bootFlagsByte(opts)), hex(BootDeviceSelector.Pxe << 2), '0x00', '0x00', '0x00',
  ];
}

/** `chassis bootdev pxe` with the options ipmitool 1.8.x understands ("persistent", "efiboot"). */
export function bootdevPxeArgs(opts: { persistent: boolean; efi: boolean }): string[] {
  const options = [opts.persistent ? 'persistent' : '', opts.efi ? 'efiboot' : ''].filter(Boolean);
  return ['chassis', 'bootdev', 'pxe', ...(options.length ? [`options=${options.join(',')}`] : [])];
}

export const GET_BOOT_FLAGS_ARGS = ['chassis', 'bootparam', 'get', String(IpmiChassis.BootFlagsParameter)] as const;

function deviceOf(selector: number): BootDevice {
  switch (selector) {
    case BootDeviceSelector.None:
      return BootDevice.None;
    case BootDeviceSelector.Pxe:
      return BootDevice.Pxe;
    case BootDeviceSelector.Disk:
    case BootDeviceSelector.DiskSafeMode:
    case BootDeviceSelector.RemoteDisk:
      return BootDevice.Disk;
    case BootDeviceSelector.Cdrom:
    case BootDeviceSelector.RemoteCdrom:
      return BootDevice.Cdrom;
    case BootDeviceSelector.BiosSetup:
      return BootDevice.BiosSetup;
    default:
      return BootDevice.Other;
  }
}

/** Decode the five parameter-5 data bytes. Returns null when fewer than two bytes are given. */
export function decodeBootFlags(data: Uint8Array): BootFlags | null {
  const b1 = data[0];
  const b2 = data[1];
  if (b1 === undefined || b2 === undefined) return null;
  return {
    valid: (b1 & BootFlagBit.Valid) !== 0,
    persistent: (b1 & BootFlagBit.Persistent) !== 0,
    efi: (b1 & BootFlagBit.Efi) !== 0,
    device: deviceOf((b2 >> 2) & 0x0f),
    raw: Buffer.from(data).toString('hex'),
  };
}

/**
 * Parse `ipmitool chassis bootparam get 5` stdout. The "Boot parameter data:" hex line is the BMC's bytes;
 * the prose lines under it are ipmitool's rendering of them, so only the hex is read.
 */
export function parseBootParamOutput(stdout: string): BootFlags | null {
  const m = /Boot parameter data:\s*([0-9a-f]+)/i.exec(stdout);
  if (!m || m[1]!.length % 2 !== 0) return null;
  return decodeBootFlags(Buffer.from(m[1]!, 'hex'));
}

/** `chassis power status` stdout → on/off. */
export function parsePowerStatus(stdout: string): 'on' | 'off' | null {
  const m = /Chassis Power is (on|off)/i.exec(stdout);
  return m ? (m[1]!.toLowerCase() as 'on' | 'off') : null;
}
