/**
 * Boot policy: pure (client facts, session config) -> what the DHCP answer should point at.
 * The DHCP server asks this; it makes no boot decisions of its own.
 */
import { Firmware, firmwareOf } from './client-arch';

export interface ClientFacts {
  mac: string;
  /** RFC 4578 option 93, first entry. */
  arch?: number;
  /** Option 60, e.g. "PXEClient:Arch:00000:UNDI:002001". */
  vendorClass?: string;
  /** Option 77, e.g. "iPXE". */
  userClass?: string;
}

export interface BootPolicyConfig {
  /** TFTP/HTTP server address handed to clients. */
  serverIp: string;
  httpPort: number;
  /** First-stage loaders relative to the TFTP root. */
  biosBootFile: string;
  efiX64BootFile: string;
  efiIa32BootFile?: string;
  efiArm64BootFile?: string;
  /**
   * What a client already running iPXE (user class "iPXE") gets instead of an iPXE loader, so it never loops:
   * a TFTP path ("fieldboot.ipxe") or, with `ipxeScriptOverHttp`, a path on the HTTP server.
   */
  ipxeScriptPath?: string;
  ipxeScriptOverHttp?: boolean;
  /** Where the boot files sit on the HTTP server ("boot/" gives http://server/boot/ipxe.efi). */
  httpPathPrefix?: string;
}

export interface BootAnswer {
  firmware: Firmware;
  /** Goes into the BOOTP `file` field and option 67. A full URL for UEFI HTTP boot. */
  bootFile: string;
  /** Goes into siaddr and option 66 (not for HTTP boot). */
  nextServer: string;
  /** Option 60 in the reply: "PXEClient" or "HTTPClient" (UEFI HTTP boot requires the echo). */
  vendorClass: 'PXEClient' | 'HTTPClient';
}

export const DEFAULT_BOOT_FILES = {
  bios: 'undionly.kpxe',
  efiX64: 'ipxe.efi',
  efiArm64: 'ipxe-arm64.efi',
} as const;

/** Is this a network-boot request at all? Plain OS DHCP clients get an address but no boot answer. */
export function isBootClient(facts: ClientFacts): boolean {
  const vc = facts.vendorClass ?? '';
  return vc.startsWith('PXEClient') || vc.startsWith('HTTPClient') || facts.userClass === 'iPXE';
}

export function decideBoot(facts: ClientFacts, config: BootPolicyConfig): BootAnswer | null {
  if (!isBootClient(facts)) return null;
  const firmware = firmwareOf(facts.arch);
  const http = (path: string) =>
    `http://${config.serverIp}${config.httpPort === 80 ? '' : `:${config.httpPort}`}/${config.httpPathPrefix ?? ''}${path.replace(/^\/+/, '')}`;

  const answer = loaderFor(firmware, config, http);
  // A client already running iPXE that would be handed an iPXE loader gets the script instead: loading
  // iPXE again would DHCP again and loop forever. Other loaders (pxelinux.0, syslinux.efi) it runs as is.
  if (answer && facts.userClass === 'iPXE' && isIpxeLoader(answer.bootFile) && config.ipxeScriptPath) {
    const script = config.ipxeScriptOverHttp ? http(config.ipxeScriptPath) : config.ipxeScriptPath;
    return { ...answer, bootFile: script, vendorClass: 'PXEClient' };
  }
  return answer;
}

/** iPXE binaries by their usual names (undionly.kpxe, ipxe.efi, snponly.efi, ipxe.pxe, *.kkpxe...). */
export function isIpxeLoader(bootFile: string): boolean {
  const base = bootFile.split(/[/\\]/).pop()?.toLowerCase() ?? '';
  return /\.(kpxe|kkpxe|lkrn)$/.test(base) || /^ipxe.*\.pxe$/.test(base) || /^(ipxe|snponly|snp|undionly).*\.efi$/.test(base);
}

function loaderFor(firmware: Firmware, config: BootPolicyConfig, http: (path: string) => string): BootAnswer | null {
  switch (firmware) {
    case Firmware.Bios:
      return { firmware, bootFile: config.biosBootFile, nextServer: config.serverIp, vendorClass: 'PXEClient' };
    case Firmware.EfiX64:
      return { firmware, bootFile: config.efiX64BootFile, nextServer: config.serverIp, vendorClass: 'PXEClient' };
    case Firmware.EfiIa32:
      return config.efiIa32BootFile
        ? { firmware, bootFile: config.efiIa32BootFile, nextServer: config.serverIp, vendorClass: 'PXEClient' }
        : null;
    case Firmware.EfiArm64:
      return config.efiArm64BootFile
        ? { firmware, bootFile: config.efiArm64BootFile, nextServer: config.serverIp, vendorClass: 'PXEClient' }
        : null;
    case Firmware.EfiX64Http:
      return { firmware, bootFile: http(config.efiX64BootFile), nextServer: config.serverIp, vendorClass: 'HTTPClient' };
    case Firmware.EfiArm64Http:
      return config.efiArm64BootFile
        ? { firmware, bootFile: http(config.efiArm64BootFile), nextServer: config.serverIp, vendorClass: 'HTTPClient' }
        : null;
    case Firmware.Unknown:
      return null;
  }
}
