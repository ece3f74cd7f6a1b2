/**
 * Is another DHCP server on this network? Broadcast one DISCOVER on one interface, as a PXE-booting machine
 * would, and collect every OFFER for a while. Never sends a REQUEST, so no server leases anything (an OFFER only
 * holds an address for a short while, RFC 2131 section 4.3.1).
 *
 * The DISCOVER looks like a BIOS PXE ROM's (option 60 "PXEClient", option 93 arch 0): a site server that already
 * hands out boot information then shows it, and one that answers every client answers this one too. chaddr is a
 * random locally administered MAC, so no real machine's lease is touched; the broadcast flag asks for broadcast
 * replies (RFC 2131 section 4.1), because the probe has no address a server could unicast to.
 *
 * It listens on the client port (68) with the same one-interface binding as the server (dhcp-sockets.ts). When
 * something else holds port 68 (a DHCP client on the laptop's rack NIC), it cannot listen and says so (PortInUse).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import { BootOp, BootVendorClass, BROADCAST_FLAG, DhcpMessageType, DhcpOption, DhcpPort, HardwareType } from '../protocol/dhcp/dhcp-constants';
import { getOptionData, textData, u16Data, u8Data, type DhcpOptionEntry } from '../protocol/dhcp/dhcp-options';
import { decodeDhcpPacket, encodeDhcpPacket, formatMac, type DecodedDhcpPacket } from '../protocol/dhcp/dhcp-packet';
import type { Log } from '../log';
import { bindSocketToInterface, bindUdp, receiveAddress } from './dhcp-sockets';

/** `fieldboot dhcp-probe` waits this long for OFFERs: servers answer within ms, a busy one within a second or two. */
export const DEFAULT_PROBE_TIMEOUT_MS = 3000;
/** What a full-mode start waits: short, because the technician is waiting too. */
export const SESSION_PROBE_TIMEOUT_MS = 2000;
export const DEFAULT_PROBE_DESTINATION = '255.255.255.255';

/** What the probe says about itself (PXE spec 2.1 section 2.2: the ROM's option 60; RFC 4578 options 93, 94). */
const PROBE_VENDOR_CLASS = `${BootVendorClass.Pxe}:Arch:00000:UNDI:002001`;
const PROBE_ARCH_BIOS = 0;
const PROBE_NDI_UNDI_2_1 = Buffer.from([1, 2, 1]);
/** Option 55: the network and boot options worth reporting (RFC 2132 codes). */
const PROBE_PARAMETERS = [
  DhcpOption.SubnetMask,
  DhcpOption.Router,
  DhcpOption.DomainNameServer,
  DhcpOption.DomainName,
  DhcpOption.VendorSpecific,
  DhcpOption.VendorClassIdentifier,
  DhcpOption.TftpServerName,
  DhcpOption.BootfileName,
];
/** Option 57: room for a full reply in one Ethernet frame (1500 - IP/UDP headers counted by the option itself). */
const PROBE_MAX_MESSAGE_SIZE = 1472;

export interface DhcpProbeOptions {
  interfaceName: string;
  timeoutMs?: number;
  /** Where the DISCOVER goes (default the limited broadcast). Loopback tests point it at 127.0.0.1. */
  destination?: string;
  serverPort?: number;
  clientPort?: number;
  /** SO_BINDTOIFINDEX on Linux (default true); loopback tests turn it off. */
  bindToDevice?: boolean;
  /** The chaddr to use (default: a random locally administered MAC). */
  mac?: string;
}

/** Boot information in an OFFER. */
export interface OfferedBoot {
  /** siaddr, when not 0.0.0.0. */
  nextServer?: string;
  /** The BOOTP `file` field or option 67. */
  bootFile?: string;
  /** Option 66. */
  tftpServer?: string;
  /** Option 60 in the reply. */
  vendorClass?: string;
  /** Option 43 present. */
  vendorOptions: boolean;
}

export interface ForeignDhcpServer {
  /** Option 54, null when the server left it out (RFC 2131 requires it). */
  serverId: string | null;
  /** Where the OFFER came from. */
  sourceIp: string;
  /** yiaddr; "0.0.0.0" for a proxyDHCP server (boot information only). */
  offeredIp: string;
  /** Hands out addresses (yiaddr set), as opposed to proxyDHCP. */
  leasesAddresses: boolean;
  /** The OFFER carries PXE boot information (a boot file, "PXEClient" option 60 or PXE option 43). */
  pxe: boolean;
  boot: OfferedBoot;
  router: string[];
  dns: string[];
  subnetMask?: string;
  leaseTimeSec?: number;
  /** OFFERs seen from this server (some send more than one). */
  offers: number;
}

export interface DhcpProbeResult {
  interface: string;
  /** The chaddr used. */
  mac: string;
  xid: number;
  timeoutMs: number;
  /** False where the socket could not be narrowed to the interface (non-Linux without sockopt). */
  boundToInterface: boolean;
  servers: ForeignDhcpServer[];
}

/** A random unicast, locally administered MAC (IEEE 802: bit 0 of the first octet clear, bit 1 set). */
export function randomProbeMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return formatMac(b);
}

/** The probe's DISCOVER. Exported for tests. */
export function buildProbeDiscover(mac: string, xid: number): Buffer {
  const chaddr = Buffer.alloc(16);
  Buffer.from(mac.replace(/:/g, ''), 'hex').copy(chaddr);
  const options: DhcpOptionEntry[] = [
    { code: DhcpOption.MessageType, data: u8Data(DhcpMessageType.Discover) },
    { code: DhcpOption.MaxMessageSize, data: u16Data(PROBE_MAX_MESSAGE_SIZE) },
    { code: DhcpOption.ParameterRequestList, data: Buffer.from(PROBE_PARAMETERS) },
    { code: DhcpOption.VendorClassIdentifier, data: textData(PROBE_VENDOR_CLASS) },
    { code: DhcpOption.ClientSystemArchitecture, data: u16Data(PROBE_ARCH_BIOS) },
    { code: DhcpOption.ClientNetworkInterface, data: PROBE_NDI_UNDI_2_1 },
  ];
  return encodeDhcpPacket({
    op: BootOp.Request,
    htype: HardwareType.Ethernet,
    hlen: 6,
    hops: 0,
    xid,
    secs: 0,
    flags: BROADCAST_FLAG,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr,
    sname: '',
    file: '',
    options,
  });
}

function ipList(p: DecodedDhcpPacket, code: number): string[] {
  const d = getOptionData(p.options, code);
  if (!d || d.length % 4 !== 0) return [];
  const out: string[] = [];
  for (let i = 0; i < d.length; i += 4) out.push([d[i], d[i + 1], d[i + 2], d[i + 3]].join('.'));
  return out;
}

/** What an OFFER says about its server. Pure; exported for tests. */
export function describeOffer(p: DecodedDhcpPacket, sourceIp: string): ForeignDhcpServer {
  const text = (code: number) => {
    const d = getOptionData(p.options, code);
    return d && d.length ? d.toString('latin1').replace(/\0+$/, '') : undefined;
  };
  const bootFile = p.file || text(DhcpOption.BootfileName);
  const tftpServer = p.sname || text(DhcpOption.TftpServerName);
  const vendorOptions = getOptionData(p.options, DhcpOption.VendorSpecific) !== undefined;
  const vendorClass = p.vendorClass;
  const boot: OfferedBoot = {
    ...(p.siaddr !== '0.0.0.0' ? { nextServer: p.siaddr } : {}),
    ...(bootFile ? { bootFile } : {}),
    ...(tftpServer ? { tftpServer } : {}),
    ...(vendorClass ? { vendorClass } : {}),
    vendorOptions,
  };
  const mask = ipList(p, DhcpOption.SubnetMask)[0];
  // siaddr alone is no boot offer: servers fill it with their own address for any client (RFC 2131 section 4.3.1
  // lets them). A boot file, "PXEClient" in option 60, or PXE option 43 is what makes a PXE ROM boot from it.
  const pxe = !!bootFile || !!vendorClass?.startsWith(BootVendorClass.Pxe) || !!vendorClass?.startsWith(BootVendorClass.Http) || vendorOptions;
  return {
    serverId: p.serverId ?? null,
    sourceIp,
    offeredIp: p.yiaddr,
    leasesAddresses: p.yiaddr !== '0.0.0.0',
    pxe,
    boot,
    router: ipList(p, DhcpOption.Router),
    dns: ipList(p, DhcpOption.DomainNameServer),
    ...(mask ? { subnetMask: mask } : {}),
    ...(p.leaseTimeSec !== undefined ? { leaseTimeSec: p.leaseTimeSec } : {}),
    offers: 1,
  };
}

function interfaceIpv4(name: string): string | null {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address ?? null;
}

/**
 * Broadcast one DISCOVER on `interfaceName` and list every server that OFFERs within the timeout.
 * Throws FieldbootError: NoSuchInterface; PortInUse or NoPrivilege when port 68 cannot be had (the caller
 * decides whether that blocks anything).
 */
export async function probeDhcpServers(o: DhcpProbeOptions, log: Log): Promise<DhcpProbeResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const serverPort = o.serverPort ?? DhcpPort.Server;
  const clientPort = o.clientPort ?? DhcpPort.Client;
  const destination = o.destination ?? DEFAULT_PROBE_DESTINATION;
  const mac = o.mac ?? randomProbeMac();
  const xid = randomInt(1, 0xffffffff);
  const ifname = o.interfaceName;
  const where = ifname;
  let bindAddress = '0.0.0.0';
  if (process.platform === 'win32') {
    const ip = interfaceIpv4(ifname);
    if (!ip) throw new FieldbootError(ErrorCode.NoIpv4OnInterface, `interface ${ifname} has no IPv4 address to probe from`);
    bindAddress = receiveAddress(ip);
  }

  const servers = new Map<string, ForeignDhcpServer>();
  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    let p: DecodedDhcpPacket;
    try {
      p = decodeDhcpPacket(msg);
    } catch (err) {
      log.debug(`probe: dropped ${msg.length}-byte packet from ${rinfo.address}: ${(err as Error).message}`);
      return;
    }
    // Only OFFERs to our own DISCOVER count; other clients' traffic on port 68 is not ours to read.
    if (p.op !== BootOp.Reply || p.xid !== xid || p.mac !== mac || p.messageType !== DhcpMessageType.Offer) return;
    const s = describeOffer(p, rinfo.address);
    const key = s.serverId ?? s.sourceIp;
    const seen = servers.get(key);
    if (seen) seen.offers++;
    else {
      servers.set(key, s);
      log.info(`probe: ${describeServer(s)} answers on ${ifname}`);
    }
  };

  let sock: dgram.Socket;
  try {
    sock = await bindUdp({
      port: clientPort,
      address: bindAddress,
      // Exclusive: sharing port 68 with a running DHCP client could take its unicast replies from it.
      reuseAddr: false,
      broadcast: true,
      where,
      onMessage,
      onError: (err) => log.warn(`probe socket error: ${err.message}`),
    });
  } catch (err) {
    if (err instanceof FieldbootError && err.code === ErrorCode.PortInUse) {
      throw new FieldbootError(
        ErrorCode.PortInUse,
        `UDP port ${clientPort} is in use on this machine (a DHCP client such as dhclient?), so the DHCP probe cannot listen`,
        'Stop the DHCP client on the interface facing the servers (give it a fixed address), or skip the check with --force.',
      );
    }
    if (err instanceof FieldbootError && err.code === ErrorCode.NoPrivilege) {
      throw new FieldbootError(ErrorCode.NoPrivilege, `not allowed to listen on UDP port ${clientPort} for the DHCP probe`);
    }
    throw err;
  }
  try {
    const bound = o.bindToDevice === false ? false : bindSocketToInterface(sock, ifname, log);
    if (o.bindToDevice !== false && !bound) log.warn(`probe: could not bind to ${ifname}; the DISCOVER may leave by another interface`);
    const discover = buildProbeDiscover(mac, xid);
    await new Promise<void>((resolve, reject) => sock.send(discover, serverPort, destination, (err) => (err ? reject(err) : resolve())));
    log.debug(`probe: DISCOVER from ${mac} xid ${xid.toString(16)} sent on ${ifname}; listening ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return { interface: ifname, mac, xid, timeoutMs, boundToInterface: bound, servers: [...servers.values()] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'ENODEV') {
      throw new FieldbootError(ErrorCode.NoIpv4OnInterface, `cannot send a DHCP probe on ${ifname}: ${(err as Error).message}`);
    }
    throw err;
  } finally {
    try {
      sock.close();
    } catch {
      /* already closed */
    }
  }
}

/** One line per server, for logs and the CLI. */
export function describeServer(s: ForeignDhcpServer): string {
  const id = s.serverId ?? s.sourceIp;
  const from = s.serverId && s.serverId !== s.sourceIp ? ` (from ${s.sourceIp})` : '';
  const what = s.leasesAddresses ? `offers ${s.offeredIp}` : 'proxyDHCP (no address)';
  const boot = s.pxe ? `PXE boot ${s.boot.bootFile ?? '(no file)'}${s.boot.nextServer ? ` from ${s.boot.nextServer}` : ''}` : 'no PXE boot info';
  return `DHCP server ${id}${from} ${what}, ${boot}`;
}
