/**
 * Network interfaces, including the ones that are down or unplugged: the rack NIC before the cable is in
 * is exactly the one os.networkInterfaces() omits (libuv lists only UP+RUNNING interfaces; see
 * ../shared/research/library-evaluation.md section 7). Linux: `ip -j -d addr show` + sysfs. Other OSes:
 * os.networkInterfaces() until their own listers land (Get-NetAdapter, ifconfig -a).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { InterfaceKind, type Ipv4Address, type NetworkInterfaceInfo } from '../../../shared/model/network';

const execFileAsync = promisify(execFile);

/** The subset of `ip -j -d addr show` output we read. */
interface IpJsonLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** info_kind values of `ip -d link` that are software devices, not a port a cable goes into. */
const VIRTUAL_KINDS = new Set(['veth', 'tun', 'tap', 'dummy', 'ifb', 'macvlan', 'macvtap', 'ipvlan', 'vxlan', 'gre', 'gretap', 'sit', 'ipip', 'vcan', 'vrf', 'bond', 'team', 'vlan', 'nlmon', 'geneve']);
const VPN_KINDS = new Set(['wireguard', 'tun', 'ppp']);
const VPN_NAME = /^(tun|tap|wg|tailscale|zt|utun|ppp|ipsec|nordlynx|proton)/;
const CONTAINER_NAME = /^(docker|br-[0-9a-f]{12}|veth|virbr|vmnet|vboxnet|lxcbr|lxdbr|cni|flannel|cali|podman)/;

function sysRead(ifname: string, file: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${ifname}/${file}`, 'utf8').trim();
  } catch {
    return null;
  }
}

export function classifyLinux(link: IpJsonLink, sysfs: { hasWireless: boolean; hasDevice: boolean }): InterfaceKind {
  const name = link.ifname ?? '';
  const kind = link.linkinfo?.info_kind;
  if (link.link_type === 'loopback' || (link.flags ?? []).includes('LOOPBACK')) return InterfaceKind.Loopback;
  if (sysfs.hasWireless) return InterfaceKind.Wifi;
  if ((kind && VPN_KINDS.has(kind) && kind !== 'tun') || (link.link_type === 'none' && VPN_NAME.test(name))) return InterfaceKind.Vpn;
  if (kind === 'tun' && VPN_NAME.test(name) && !name.startsWith('tap')) return InterfaceKind.Vpn;
  if (CONTAINER_NAME.test(name)) return InterfaceKind.Virtual;
  if (kind === 'bridge') return InterfaceKind.Bridge;
  if (kind && VIRTUAL_KINDS.has(kind)) return InterfaceKind.Virtual;
  if (link.link_type === 'ether') return sysfs.hasDevice ? InterfaceKind.Ethernet : InterfaceKind.Virtual;
  return InterfaceKind.Other;
}

export function parseIpJson(json: string, sysfsOf: (ifname: string) => { hasWireless: boolean; hasDevice: boolean; speed: number | null; carrier: boolean | null }): NetworkInterfaceInfo[] {
  const links = JSON.parse(json) as IpJsonLink[];
  if (!Array.isArray(links)) throw new Error('ip -j returned something other than a list');
  const out: NetworkInterfaceInfo[] = [];
  for (const link of links) {
    if (!link.ifname) continue;
    const sys = sysfsOf(link.ifname);
    const flags = link.flags ?? [];
    const adminUp = flags.includes('UP');
    // LOWER_UP is the carrier; operstate UNKNOWN is normal for loopback and some virtual devices.
    const linkUp = adminUp && (sys.carrier ?? flags.includes('LOWER_UP'));
    const ipv4: Ipv4Address[] = (link.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.local && typeof a.prefixlen === 'number')
      .map((a) => ({ address: a.local as string, prefix: a.prefixlen as number }));
    const mac = link.address && link.link_type === 'ether' ? link.address.toLowerCase() : null;
    out.push({
      name: link.ifname,
      mac,
      kind: classifyLinux(link, sys),
      linkUp,
      speedMbps: sys.speed,
      mtu: link.mtu ?? null,
      ipv4,
    });
  }
  return out;
}

function linuxSysfs(ifname: string) {
  const speedText = sysRead(ifname, 'speed');
  const speed = speedText !== null && /^\d+$/.test(speedText) && Number(speedText) > 0 ? Number(speedText) : null;
  const carrierText = sysRead(ifname, 'carrier'); // unreadable (EINVAL) while the interface is admin-down
  return {
    hasWireless: existsSync(`/sys/class/net/${ifname}/wireless`) || existsSync(`/sys/class/net/${ifname}/phy80211`),
    hasDevice: existsSync(`/sys/class/net/${ifname}/device`),
    speed,
    carrier: carrierText === null ? null : carrierText === '1',
  };
}

function fromOs(): NetworkInterfaceInfo[] {
  const out: NetworkInterfaceInfo[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (!addrs) continue;
    const first = addrs[0];
    const internal = addrs.some((a) => a.internal);
    out.push({
      name,
      mac: first && first.mac !== '00:00:00:00:00:00' ? first.mac.toLowerCase() : null,
      kind: internal ? InterfaceKind.Loopback : VPN_NAME.test(name) ? InterfaceKind.Vpn : CONTAINER_NAME.test(name) ? InterfaceKind.Virtual : /wi-?fi|wlan|wireless/i.test(name) ? InterfaceKind.Wifi : InterfaceKind.Ethernet,
      linkUp: true, // os.networkInterfaces() only lists interfaces that are up and running
      speedMbps: null,
      mtu: null,
      ipv4: addrs.filter((a) => a.family === 'IPv4').map((a) => ({ address: a.address, prefix: Number(a.cidr?.split('/')[1] ?? 32) })),
    });
  }
  return out;
}

export async function listInterfaces(): Promise<NetworkInterfaceInfo[]> {
  if (process.platform === 'linux') {
    try {
      const { stdout } = await execFileAsync('ip', ['-j', '-d', 'addr', 'show'], { timeout: 5000 });
      return parseIpJson(stdout, linuxSysfs);
    } catch {
      // iproute2 missing or too old for -j: fall back to what Node sees.
    }
  }
  return fromOs();
}

export async function findInterface(name: string): Promise<NetworkInterfaceInfo | null> {
  return (await listInterfaces()).find((i) => i.name === name) ?? null;
}
