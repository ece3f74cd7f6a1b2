/**
 * DHCPv4 wire numbers, each defined once with the section that defines it.
 * RFC 2131 (protocol), RFC 2132 (options), RFC 4578 (PXE client options 93/94/97), RFC 3004 (user class),
 * RFC 3396 (long options), RFC 6842 (client id echo), RFC 3046 (relay agent info), PXE spec 2.1 (option 43).
 */

/** RFC 2131 section 2, figure 1: the `op` field. */
export const BootOp = {
  Request: 1,
  Reply: 2,
} as const;
export type BootOp = (typeof BootOp)[keyof typeof BootOp];

/** RFC 1700 "Hardware Type" (the `htype` field); Ethernet is the only one FieldBoot meets. */
export const HardwareType = {
  Ethernet: 1,
} as const;

/** RFC 2131 section 2, figure 2: the one defined bit of `flags`. */
export const BROADCAST_FLAG = 0x8000;

/** RFC 2131 section 3: the four octets that start the options field (99.130.83.99). */
export const MAGIC_COOKIE = 0x63825363;

/** RFC 2131 section 2, figure 1: byte offsets and sizes of the fixed BOOTP header. */
export const HeaderLayout = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  chaddrSize: 16,
  sname: 44,
  snameSize: 64,
  file: 108,
  fileSize: 128,
  magicCookie: 236,
  options: 240,
} as const;

/** RFC 1542 section 3.4 / RFC 2131 section 2: a BOOTP message is at least 300 octets (old relays and ROMs drop shorter ones). */
export const BOOTP_MIN_SIZE = 300;

/**
 * RFC 2131 section 2: every client accepts 576-octet IP datagrams, i.e. 576 - 20 (IP) - 8 (UDP) = 548 octets of DHCP.
 * Option 57 (RFC 2132 section 9.10) counts the whole IP datagram too, so its payload limit is value - 28.
 */
export const MIN_IP_DATAGRAM = 576;
export const IP_UDP_HEADER_SIZE = 28;

/** RFC 2132 section 9.6, plus RFC 3203 (9), RFC 4388 (10-13), RFC 6926 (14-17), RFC 7724 (18). */
export const DhcpMessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
  ForceRenew: 9,
  LeaseQuery: 10,
  LeaseUnassigned: 11,
  LeaseUnknown: 12,
  LeaseActive: 13,
  BulkLeaseQuery: 14,
  LeaseQueryDone: 15,
  ActiveLeaseQuery: 16,
  LeaseQueryStatus: 17,
  Tls: 18,
} as const;
export type DhcpMessageType = (typeof DhcpMessageType)[keyof typeof DhcpMessageType];

const MESSAGE_TYPE_NAMES = new Map<number, string>(Object.entries(DhcpMessageType).map(([k, v]) => [v, k.toUpperCase()]));
export function messageTypeName(type: number | undefined): string {
  return type === undefined ? 'BOOTP' : (MESSAGE_TYPE_NAMES.get(type) ?? `TYPE${type}`);
}
export function isDhcpMessageType(n: number): n is DhcpMessageType {
  return MESSAGE_TYPE_NAMES.has(n);
}

/** Option codes used by FieldBoot. RFC 2132 unless noted. */
export const DhcpOption = {
  Pad: 0, // 3.1
  SubnetMask: 1, // 3.3
  Router: 3, // 3.5
  DomainNameServer: 6, // 3.8
  HostName: 12, // 3.14
  DomainName: 15, // 3.17
  BroadcastAddress: 28, // 5.3
  VendorSpecific: 43, // 8.4; PXE spec 2.1 section 2.4 for PXE sub-options
  RequestedIpAddress: 50, // 9.1
  LeaseTime: 51, // 9.2
  Overload: 52, // 9.3
  MessageType: 53, // 9.6
  ServerIdentifier: 54, // 9.7
  ParameterRequestList: 55, // 9.8
  Message: 56, // 9.9
  MaxMessageSize: 57, // 9.10
  RenewalTime: 58, // 9.11 (T1)
  RebindingTime: 59, // 9.12 (T2)
  VendorClassIdentifier: 60, // 9.13
  ClientIdentifier: 61, // 9.14; RFC 6842: servers echo it
  TftpServerName: 66, // 9.4
  BootfileName: 67, // 9.5
  UserClass: 77, // RFC 3004
  RelayAgentInformation: 82, // RFC 3046 section 2.2: echoed in replies
  ClientSystemArchitecture: 93, // RFC 4578 section 2.1
  ClientNetworkInterface: 94, // RFC 4578 section 2.2
  ClientMachineIdentifier: 97, // RFC 4578 section 2.3
  EtherbootEncapsulated: 175, // iPXE's encapsulated options (IANA "tentatively assigned")
  End: 255, // 3.2
} as const;
export type DhcpOptionCode = (typeof DhcpOption)[keyof typeof DhcpOption];

/** RFC 2132 section 9.3: where option 52 says more options live. */
export const Overload = {
  File: 1,
  Sname: 2,
  Both: 3,
} as const;

/** PXE spec 2.1, section 2.4 table 2-1: sub-options of option 43 when option 60 is "PXEClient". */
export const PxeSubOption = {
  MtftpIp: 1,
  MtftpCport: 2,
  MtftpSport: 3,
  MtftpTmout: 4,
  MtftpDelay: 5,
  DiscoveryControl: 6,
  DiscoveryMcastAddr: 7,
  BootServers: 8,
  BootMenu: 9,
  MenuPrompt: 10,
  McastAddrsAlloc: 11,
  CredentialTypes: 12,
  BootItem: 71,
  End: 255,
} as const;

/**
 * PXE spec 2.1 section 2.4, PXE_DISCOVERY_CONTROL bits. Bit 3 (value 8): "if a boot file name is present in the
 * DHCP/proxyDHCP offer, download it; no boot server discovery, no menu" - what FieldBoot wants from every ROM.
 */
export const PxeDiscoveryControl = {
  DisableBroadcast: 1,
  DisableMulticast: 2,
  OnlyListedServers: 4,
  UseBootFileDirectly: 8,
} as const;

/** RFC 4578 section 2.3: option 97 is one type octet (0 = UUID/GUID) followed by 16 octets. */
export const CLIENT_GUID_TYPE_UUID = 0;
export const CLIENT_GUID_SIZE = 17;

/** The well-known ports: RFC 2131 section 4.1 (67/68), PXE spec 2.1 section 2.2.5 (4011, proxyDHCP/boot server). */
export const DhcpPort = {
  Server: 67,
  Client: 68,
  PxeBootServer: 4011,
} as const;

/** Option 60 prefixes of network-boot clients (PXE spec 2.1 section 2.2; UEFI 2.5+ section 24.7 for HTTP boot). */
export const BootVendorClass = {
  Pxe: 'PXEClient',
  Http: 'HTTPClient',
} as const;
