/**
 * What a reply looks like and where it goes (RFC 2131 section 4.1 and table 3). Pure; the server fills in the
 * decisions (address, lease time, boot answer) and sends the result.
 */
import type { BootAnswer } from '../boot/boot-policy';
import { BootOp, DhcpMessageType, DhcpOption, PxeDiscoveryControl } from '../protocol/dhcp/dhcp-constants';
import type { DecodedDhcpPacket, DhcpPacket } from '../protocol/dhcp/dhcp-packet';
import {
  getOptionData,
  ipData,
  ipListData,
  pxeVendorOptions,
  textData,
  u32Data,
  u8Data,
  type DhcpOptionEntry,
} from '../protocol/dhcp/dhcp-options';

export const ZERO_IP = '0.0.0.0';
export const BROADCAST_IP = '255.255.255.255';

/** The BOOTP `file` field holds 127 characters; longer names (HTTP URLs) travel in option 67 only. */
const FILE_FIELD_MAX = 127;

export interface NetworkParams {
  subnetMask: string;
  broadcast: string;
  router?: string;
  dns?: readonly string[];
}

export interface ReplySpec {
  type: typeof DhcpMessageType.Offer | typeof DhcpMessageType.Ack | typeof DhcpMessageType.Nak;
  serverIp: string;
  yiaddr?: string;
  /** ACK to a REQUEST in RENEWING/REBINDING, or to an INFORM: the client's ciaddr (RFC 2131 table 3). */
  ciaddr?: string;
  /** Lease time; omitted for INFORM (RFC 2131 section 4.3.5) and proxyDHCP. */
  leaseTimeSec?: number;
  network?: NetworkParams;
  hostname?: string;
  boot?: BootAnswer | null;
  /** NAK text (option 56). */
  message?: string;
  /** proxyDHCP: echo the client's option 97 (PXE spec 2.1 section 2.2.5). */
  echoGuid?: boolean;
}

export function buildReply(req: DecodedDhcpPacket, spec: ReplySpec): DhcpPacket {
  const isNak = spec.type === DhcpMessageType.Nak;
  const options: DhcpOptionEntry[] = [
    { code: DhcpOption.MessageType, data: u8Data(spec.type) },
    { code: DhcpOption.ServerIdentifier, data: ipData(spec.serverIp) },
  ];
  let siaddr = ZERO_IP;
  let file = '';
  if (isNak) {
    if (spec.message) options.push({ code: DhcpOption.Message, data: textData(spec.message) });
  } else {
    if (spec.leaseTimeSec !== undefined) {
      // RFC 2131 section 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease.
      options.push({ code: DhcpOption.LeaseTime, data: u32Data(spec.leaseTimeSec) });
      options.push({ code: DhcpOption.RenewalTime, data: u32Data(Math.floor(spec.leaseTimeSec * 0.5)) });
      options.push({ code: DhcpOption.RebindingTime, data: u32Data(Math.floor(spec.leaseTimeSec * 0.875)) });
    }
    const n = spec.network;
    if (n) {
      options.push({ code: DhcpOption.SubnetMask, data: ipData(n.subnetMask) });
      options.push({ code: DhcpOption.BroadcastAddress, data: ipData(n.broadcast) });
      if (n.router) options.push({ code: DhcpOption.Router, data: ipData(n.router) });
      if (n.dns && n.dns.length) options.push({ code: DhcpOption.DomainNameServer, data: ipListData(n.dns) });
    }
    if (spec.hostname) options.push({ code: DhcpOption.HostName, data: textData(spec.hostname) });
    const boot = spec.boot;
    if (boot) {
      const http = boot.vendorClass === 'HTTPClient';
      // UEFI HTTP boot takes the offer only when option 60 says HTTPClient (UEFI 2.5+ section 24.7.2).
      options.push({ code: DhcpOption.VendorClassIdentifier, data: textData(boot.vendorClass) });
      if (!http) {
        siaddr = boot.nextServer;
        options.push({ code: DhcpOption.TftpServerName, data: textData(boot.nextServer) });
        // PXE ROMs otherwise try boot server discovery or show a menu (PXE spec 2.1 section 2.4).
        options.push({ code: DhcpOption.VendorSpecific, data: pxeVendorOptions(PxeDiscoveryControl.UseBootFileDirectly) });
      }
      // Many BIOS PXE ROMs read the BOOTP `file` field, not option 67: fill both.
      options.push({ code: DhcpOption.BootfileName, data: textData(boot.bootFile) });
      if (Buffer.byteLength(boot.bootFile, 'latin1') <= FILE_FIELD_MAX) file = boot.bootFile;
    }
    if (spec.echoGuid) {
      const guid = getOptionData(req.options, DhcpOption.ClientMachineIdentifier);
      if (guid) options.push({ code: DhcpOption.ClientMachineIdentifier, data: guid });
    }
  }
  // RFC 6842: echo the client identifier. RFC 3046 section 2.2: echo relay agent information, last.
  if (req.clientId) options.push({ code: DhcpOption.ClientIdentifier, data: req.clientId });
  const rai = getOptionData(req.options, DhcpOption.RelayAgentInformation);
  if (rai) options.push({ code: DhcpOption.RelayAgentInformation, data: rai });

  return {
    op: BootOp.Reply,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: isNak ? ZERO_IP : (spec.ciaddr ?? ZERO_IP),
    yiaddr: isNak ? ZERO_IP : (spec.yiaddr ?? ZERO_IP),
    siaddr,
    giaddr: req.giaddr,
    chaddr: req.chaddr,
    sname: '',
    file,
    options,
  };
}

export interface Destination {
  address: string;
  port: number;
}

/**
 * RFC 2131 section 4.1: relayed -> the relay's giaddr on the server port; NAK -> broadcast; ciaddr set ->
 * unicast to it; otherwise broadcast (unicasting to yiaddr would need an ARP entry we cannot write from Node;
 * the RFC allows broadcast then).
 */
export function replyDestination(req: DecodedDhcpPacket, type: number, serverPort: number, clientPort: number): Destination {
  if (req.giaddr !== ZERO_IP) return { address: req.giaddr, port: serverPort };
  if (type === DhcpMessageType.Nak) return { address: BROADCAST_IP, port: clientPort };
  if (req.ciaddr !== ZERO_IP) return { address: req.ciaddr, port: clientPort };
  return { address: BROADCAST_IP, port: clientPort };
}
