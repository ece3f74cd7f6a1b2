/**
 * What the foreign-DHCP probe found on an interface, as plain data for the UI, and the advice a technician
 * reads: full mode on a bare switch, proxy mode beside the site's DHCP server (RFC 4578 / PXE spec
 * proxyDHCP), and a warning when that server already hands out PXE boot files of its own.
 */

export interface ProbedDhcpServer {
  /** Option 54 (server identifier), null when the server left it out. */
  serverId: string | null;
  /** Where the OFFER came from. */
  sourceIp: string;
  /** yiaddr ("0.0.0.0" for a proxyDHCP server). */
  offeredIp: string;
  leasesAddresses: boolean;
  /** The OFFER carried PXE boot information. */
  pxe: boolean;
  bootFile?: string;
  nextServer?: string;
  subnetMask?: string;
  router: string[];
}

export interface DhcpProbeReport {
  interface: string;
  /** How long the probe listened. */
  timeoutMs: number;
  /** False where the probe could not be narrowed to the interface (answers from elsewhere may show). */
  boundToInterface: boolean;
  servers: ProbedDhcpServer[];
  /** ISO time the probe finished. */
  at: string;
}

export type DhcpModeAdvice = 'full' | 'proxy';

export interface DhcpAdvice {
  recommended: DhcpModeAdvice;
  /** One sentence in plain words. */
  headline: string;
  /** Why, and what it means for the technician. */
  detail: string;
  warnings: string[];
}

function name(s: ProbedDhcpServer): string {
  return s.serverId ?? s.sourceIp;
}

export function dhcpAdvice(report: DhcpProbeReport): DhcpAdvice {
  const leasing = report.servers.filter((s) => s.leasesAddresses);
  const proxies = report.servers.filter((s) => !s.leasesAddresses);
  const warnings: string[] = [];
  if (!report.boundToInterface) warnings.push('This system could not limit the check to the chosen interface: an answer may have come from another network.');
  if (!leasing.length) {
    if (proxies.length) {
      warnings.push(`Another PXE boot server (proxyDHCP at ${proxies.map(name).join(', ')}) already answers here: machines may boot from it instead. Turn it off while FieldBoot serves.`);
    }
    return {
      recommended: 'full',
      headline: 'No other DHCP server answered: use full mode.',
      detail: 'FieldBoot will hand out addresses itself on this interface, from the pool below. Nothing else on this switch does.',
      warnings,
    };
  }
  const first = leasing[0]!;
  const where = leasing.length === 1 ? `the DHCP server at ${name(first)}` : `${leasing.length} DHCP servers (${leasing.map(name).join(', ')})`;
  const pxe = report.servers.filter((s) => s.pxe);
  if (pxe.length) {
    warnings.push(
      `${pxe.map(name).join(', ')} already offer${pxe.length === 1 ? 's' : ''} a boot file (${pxe.map((s) => s.bootFile ?? 'none named').join(', ')}): some firmware takes that one and never asks FieldBoot. Ask the network owner to remove its boot options for these machines, or use a switch of your own.`,
    );
  }
  if (leasing.length > 1) warnings.push('More than one DHCP server hands out addresses here: machines may get addresses from either.');
  return {
    recommended: 'proxy',
    headline: `Another DHCP server answered (${name(first)} offered ${first.offeredIp}): use proxy mode.`,
    detail: `Machines keep getting their addresses from ${where}; FieldBoot only adds the boot information (ports 67 and 4011). Full mode would fight that server over addresses.`,
    warnings,
  };
}
