/**
 * "A.B.C.D/N" as a server address for a bare interface: parsing, shape checks and subnet overlap. Pure;
 * the engine enforces them before `ip addr add`, the network screen checks the field as it is typed.
 */
import type { NetworkInterfaceInfo } from '../model/network';
import { broadcastOf, formatIpv4, networkOf, parseIpv4, type Ipv4 } from './ipv4';

/** What FieldBoot offers when the chosen interface has none: a private /24 unlikely to be in use (RFC 1918). */
export const DEFAULT_ASSIGN_ADDRESS = '10.77.0.1/24';

export interface Cidr {
  ip: Ipv4;
  prefix: number;
}

/** "A.B.C.D/N" -> numbers, or null. */
export function parseCidr(text: string): Cidr | null {
  const m = /^\s*([0-9.]+)\/(\d{1,2})\s*$/.exec(text);
  if (!m) return null;
  const ip = parseIpv4(m[1] ?? '');
  const prefix = Number(m[2]);
  if (ip === null || prefix > 32) return null;
  return { ip, prefix };
}

/** Why this CIDR cannot be a server address, or null when it can (the shape only, not the machine). */
export function cidrProblem(text: string): string | null {
  const c = parseCidr(text);
  if (!c) return `"${text}" is not an address with a prefix length, like ${DEFAULT_ASSIGN_ADDRESS}`;
  // Wider than /8 is a typo; /31 and /32 leave no address to hand out to clients.
  if (c.prefix < 8 || c.prefix > 30) return `the prefix /${c.prefix} must be between /8 and /30`;
  const first = c.ip >>> 24;
  // 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 reserved (RFC 6890).
  if (first === 0 || first === 127 || first >= 224) return `${formatIpv4(c.ip)} is not a usable host address`;
  if (c.ip === networkOf(c.ip, c.prefix)) return `${formatIpv4(c.ip)} is the network address of /${c.prefix}; pick a host address such as ${formatIpv4(c.ip + 1)}`;
  if (c.ip === broadcastOf(c.ip, c.prefix)) return `${formatIpv4(c.ip)} is the broadcast address of /${c.prefix}`;
  return null;
}

/**
 * The first other interface whose subnet overlaps this CIDR's, as "name's subnet N/P (address)", or null.
 * Two routes for one subnet would send the clients' replies out the wrong NIC.
 */
export function overlappingSubnet(ifname: string, cidr: Cidr, interfaces: readonly NetworkInterfaceInfo[]): { name: string; text: string } | null {
  for (const other of interfaces) {
    if (other.name === ifname) continue;
    for (const a of other.ipv4) {
      const ip = parseIpv4(a.address);
      if (ip === null) continue;
      const p = Math.min(a.prefix, cidr.prefix);
      if (networkOf(ip, p) === networkOf(cidr.ip, p)) return { name: other.name, text: `${other.name}'s subnet ${formatIpv4(networkOf(ip, a.prefix))}/${a.prefix} (${a.address})` };
    }
  }
  return null;
}
