/** What one serving session serves. Produced by the CLI or the UI, validated, then sent to the engine. */
import type { LogLevel } from './engine-event';

export const DhcpMode = { Full: 'full', Proxy: 'proxy', Off: 'off' } as const;
export type DhcpMode = (typeof DhcpMode)[keyof typeof DhcpMode];

export const BiosLoader = { Ipxe: 'ipxe', Pxelinux: 'pxelinux' } as const;
export type BiosLoader = (typeof BiosLoader)[keyof typeof BiosLoader];

export interface ServeConfig {
  /** Interface name, e.g. "eth1" or "br0". */
  interface: string;
  dhcpMode: DhcpMode;
  /** "FIRST-LAST"; omitted: derived from the interface subnet. */
  range?: string;
  /** A plain boot tree (pxelinux layout) served over TFTP. */
  root?: string;
  isos: string[];
  /** MACs armed for install (they install the first image unless armed for another). */
  allow: string[];
  /** Answer-file profile (JSON, see shared/answer/profile.ts): armed machines install unattended with it. */
  profile?: string;
  /** Inventory CSV (MAC, hostname, address...) for per-machine answer files. */
  inventory?: string;
  /** Seconds a boot menu waits before its default entry (local disk unless armed). */
  menuTimeout?: number;
  /** Serial console for installers, e.g. "ttyS0,115200n8" (servers watched over serial-over-LAN). */
  console?: string;
  /** Extra kernel arguments for every installer, appended as written. */
  kernelArgs?: string;
  /**
   * Secure Boot path: UEFI PXE clients boot this image's own signed shim and GRUB (EFI/BOOT/BOOTX64.EFI,
   * grubx64.efi) with a generated grub.cfg, instead of iPXE (which Secure Boot refuses). One of `isos`.
   */
  secureBoot?: string;
  /**
   * Debian netboot files (netboot.tar.gz or its unpacked folder) for Debian CD/DVD images, whose own initrd
   * looks for a CD: each is paired with the image of the same release (kernel ABI of its installer udebs).
   */
  netboot?: string[];
  /** Serve the images and the boot tree over anonymous read-only FTP too (default true). */
  ftp?: boolean;
  /** Where leases and client records live. */
  stateDir: string;
  /** DHCP lease time in seconds. */
  leaseTime?: number;
  /** Boot file for BIOS clients, relative to the TFTP root (default from the boot policy). */
  biosBootFile?: string;
  /** Boot file for UEFI x64 clients. */
  efiBootFile?: string;
  /** DNS servers handed out in full mode (option 6). Default: the server itself is not a DNS server, so none unless set. */
  dns?: string[];
  /** Default gateway handed out in full mode (option 3). */
  router?: string;
  /**
   * "10.77.0.1/24": when the interface has no IPv4 (a bare rack switch), the engine adds this address for
   * the session and removes it when the session stops or fails to start. Ignored when it has one.
   */
  assignAddress?: string;
  /** Full mode: start even when another DHCP server answers the pre-start probe. */
  force?: boolean;
  dhcpPort?: number;
  /** Port DHCP replies go to (68 on real networks; tests may change it). */
  dhcpClientPort?: number;
  proxyPort?: number;
  tftpPort?: number;
  httpPort?: number;
  ftpPort?: number;
  /** Lowest level of log lines the engine process passes to its host (omitted: all, debug included). */
  logLevel?: LogLevel;
}

export const DEFAULT_PORTS = {
  dhcp: 67,
  dhcpClient: 68,
  proxy: 4011,
  tftp: 69,
  http: 80,
  ftp: 21,
} as const;
