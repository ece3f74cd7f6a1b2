/** Whether a full-DHCP range can serve on the chosen interface: the typed one, or the Settings pool an empty field stands for. */
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { parseIpv4, parseRange, sameSubnet } from '../../../../shared/net/ipv4';

/** Why the typed range cannot be used, or null when it can (empty means "automatic"). */
export function rangeProblem(range: string, nic: NetworkInterfaceInfo | undefined): string | null {
  const text = range.trim();
  if (!text) return null;
  const parsed = parseRange(text);
  if (!parsed) return 'Write the range as FIRST-LAST, for example 10.77.0.100-10.77.0.200.';
  const addr = nic?.ipv4[0];
  if (!addr) return null;
  const server = parseIpv4(addr.address);
  if (server === null) return null;
  if (!sameSubnet(parsed.first, server, addr.prefix) || !sameSubnet(parsed.last, server, addr.prefix)) {
    return `The range must be inside ${nic.name}'s subnet (${addr.address}/${addr.prefix}).`;
  }
  if (server >= parsed.first && server <= parsed.last) return `The range must not include this machine's own address (${addr.address}).`;
  return null;
}

/**
 * Full mode: why the range the next start uses cannot serve on this interface: the typed one, or when the field
 * is empty the Settings screen's pool (the engine would refuse it at Start). Null when it can, or is automatic.
 */
export function fullRangeProblem(range: string, savedPool: string, nic: NetworkInterfaceInfo | undefined): string | null {
  if (range.trim()) return rangeProblem(range, nic);
  const pool = savedPool.trim();
  const problem = pool ? rangeProblem(pool, nic) : null;
  return problem ? `The Settings screen's pool ${pool} does not fit here: ${problem.replace(/^The range/, 'it')} Type a range for this interface, or change the pool in Settings.` : null;
}
