/**
 * One machine's resolved settings: the profile plus its inventory row (or defaults) plus the server
 * context, reduced to the values every generator needs. Keeps the three generators in agreement on
 * host names, static addresses and callback URLs.
 */
import { PATTERNS } from './profile-validate';
import { RenderError, TARGETS, type HostVars, type Profile, type RenderContext, type TargetInfo } from './profile';
import { progressUrlFor } from './progress';
import { prefixToNetmask, resolveHostname } from './template';

export type MachineNetwork =
  | { mode: 'dhcp' }
  | { mode: 'static'; ip: string; prefix: number; netmask: string; gateway?: string; dns: string[] };

export interface Machine {
  mac: string | null;
  hostname: string | null;
  domain?: string;
  network: MachineNetwork;
  /** Progress endpoint with the MAC filled in. */
  progressUrl: string;
  target: TargetInfo;
}

export function resolveMachine(profile: Profile, host: HostVars, ctx: RenderContext): Machine {
  if (!PATTERNS.url.test(ctx.progressUrl)) throw new RenderError(`progress URL "${ctx.progressUrl}" must be an http(s) URL without quotes or spaces`, 'context.progressUrl');
  if (!PATTERNS.url.test(ctx.repoUrl)) throw new RenderError(`install tree URL "${ctx.repoUrl}" must be an http(s) or ftp URL without quotes or spaces`, 'context.repoUrl');
  let hostname: string | null;
  try {
    hostname = resolveHostname(profile.hostname, host);
  } catch (err) {
    throw new RenderError((err as Error).message, 'hostname');
  }
  let network: MachineNetwork = { mode: 'dhcp' };
  // Static needs an address from the inventory; a machine without one falls back to DHCP rather than
  // getting a made-up address.
  if (profile.network.mode === 'static' && host.ip) {
    const prefix = host.prefix ?? profile.network.static.prefix;
    if (prefix === undefined) throw new RenderError(`no prefix length for ${host.ip}: give it in the inventory (ip 10.0.0.5/24 or a prefix column) or in network.static.prefix`, 'network.static.prefix');
    const gateway = host.gateway ?? profile.network.static.gateway;
    network = {
      mode: 'static',
      ip: host.ip,
      prefix,
      netmask: prefixToNetmask(prefix),
      ...(gateway ? { gateway } : {}),
      dns: host.dns ?? profile.network.static.dns,
    };
  }
  return {
    mac: host.mac,
    hostname,
    ...(profile.network.domain ? { domain: profile.network.domain } : {}),
    network,
    progressUrl: progressUrlFor(ctx.progressUrl, host.mac),
    target: TARGETS[ctx.target],
  };
}

/** A header comment line naming what was generated, for whom. */
export function describeMachine(m: Machine): string {
  return `${m.hostname ?? '(host name from DHCP)'}${m.mac ? ` (${m.mac})` : ' (any machine)'}, ${m.network.mode === 'static' ? `static ${m.network.ip}/${m.network.prefix}` : 'DHCP'}`;
}
