/** A network interface as the technician sees it. Listed even when down or unplugged (the usual rack NIC). */
export interface NetworkInterfaceInfo {
  name: string;
  /** Lower-case colon MAC, or null for interfaces without one (loopback, tun). */
  mac: string | null;
  kind: InterfaceKind;
  /** Carrier present and administratively up. */
  linkUp: boolean;
  /** Link speed in Mbit/s when the OS reports it. */
  speedMbps: number | null;
  mtu: number | null;
  ipv4: Ipv4Address[];
}

export interface Ipv4Address {
  address: string;
  prefix: number;
}

export const InterfaceKind = {
  Ethernet: 'ethernet',
  Wifi: 'wifi',
  Bridge: 'bridge',
  Loopback: 'loopback',
  Virtual: 'virtual',
  Vpn: 'vpn',
  Other: 'other',
} as const;
export type InterfaceKind = (typeof InterfaceKind)[keyof typeof InterfaceKind];
