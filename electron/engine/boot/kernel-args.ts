/**
 * Kernel command lines per OS family: pure (family, URLs, machine) -> argument list. The installer finds
 * its install tree and answer file from these, so each family's own spelling is used:
 * - Anaconda (RHEL, Rocky, Alma, CentOS, Fedora): inst.repo / inst.stage2 and inst.ks (RHEL installation
 *   guide, "Boot options"); BOOTIF makes dracut configure the NIC that booted, not every NIC in turn.
 * - debian-installer (Debian, Ubuntu 18.04): auto=true priority=critical url= (Debian installation guide,
 *   appendix B.2.2); netcfg reads BOOTIF too.
 * - Subiquity (Ubuntu 20.04+ live-server): ip=dhcp url=<the ISO> and, unattended, autoinstall with a NoCloud
 *   seed URL ending in "/" (Ubuntu Server docs, "netboot the live server installer").
 * A machine that is not armed gets the same installer without any answer file: interactive, never a
 * silent wipe.
 */
import { OsFamily } from '../../../shared/model/iso-summary';

export interface KernelArgsInput {
  family: OsFamily;
  /** Base URL of the install tree ("http://10.77.0.1/iso/rocky-9/"), or null when the image has none. */
  repoUrl: string | null;
  /** URL of the whole image file (Ubuntu live-server downloads it). */
  isoUrl: string;
  /**
   * The answer file's URL (kickstart, preseed) or, for autoinstall, the NoCloud seed directory ending in "/".
   * Null: an interactive install.
   */
  answerUrl: string | null;
  /** The machine's MAC (lower-case, colons), for BOOTIF. */
  mac: string | null;
  /** Serial console, e.g. "ttyS0,115200n8"; null for none (the installer uses the screen). */
  console: string | null;
  /**
   * Name servers the installer should use. debian-installer stops at "Name server addresses" when DHCP
   * gives none, even at priority=critical (LAB.md), so a value is always passed to it.
   */
  nameServers: string[];
  /** Anything the technician adds, appended as written. */
  extra?: string;
}

/** BOOTIF as pxelinux's IPAPPEND 2 writes it: "01-" (Ethernet) and the MAC with dashes. */
export function bootIf(mac: string): string {
  return `BOOTIF=01-${mac.toLowerCase().replace(/:/g, '-')}`;
}

export function kernelArgs(input: KernelArgsInput): string[] {
  const args: string[] = [];
  const unattended = input.answerUrl !== null;
  switch (input.family) {
    case OsFamily.Rhel:
    case OsFamily.Rocky:
    case OsFamily.Alma:
    case OsFamily.CentOs:
    case OsFamily.Fedora:
    case OsFamily.Unknown:
      // A tree with packages is a repo; a boot-only image still needs its stage 2 (LiveOS/squashfs.img).
      if (input.repoUrl) args.push(`inst.repo=${input.repoUrl}`);
      else args.push(`inst.stage2=${input.isoUrl}`);
      if (unattended) args.push(`inst.ks=${input.answerUrl}`);
      args.push('ip=dhcp');
      if (input.mac) args.push(bootIf(input.mac));
      break;
    case OsFamily.Debian:
    case OsFamily.UbuntuLegacy:
      if (unattended) args.push('auto=true', 'priority=critical', `url=${input.answerUrl}`);
      // On a bare rack switch DHCP often gives no router; netcfg then asks "continue without a default
      // route?" at critical priority, before the preseed is even fetched (seen in the lab). Everything it
      // needs is on this network, so the answer is yes.
      args.push('interface=auto', 'netcfg/no_default_route=true');
      // The kernel line cannot carry the space-separated list d-i accepts; the first server is enough to go on.
      if (input.nameServers[0]) args.push(`netcfg/get_nameservers=${input.nameServers[0]}`);
      if (input.mac) args.push(bootIf(input.mac));
      break;
    case OsFamily.UbuntuLiveServer:
      args.push('ip=dhcp', `url=${input.isoUrl}`);
      // cloud-config-url=/dev/null stops cloud-init looking for a second copy of the ISO's config.
      if (unattended) args.push('autoinstall', `ds=nocloud-net;s=${input.answerUrl}`, 'cloud-config-url=/dev/null');
      if (input.mac) args.push(bootIf(input.mac));
      break;
  }
  if (input.console) args.push('console=tty0', `console=${input.console}`);
  if (input.extra?.trim()) args.push(...input.extra.trim().split(/\s+/));
  return args;
}
