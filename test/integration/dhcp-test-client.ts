/**
 * A relay-style DHCP test peer on loopback: it binds RELAY_IP:serverPort and sends requests with giaddr = RELAY_IP,
 * so the server (RFC 2131 section 4.1) unicasts every reply back to it. Not a test file itself.
 */
import dgram from 'node:dgram';
import { BootOp, DhcpMessageType, DhcpOption } from '../../electron/engine/protocol/dhcp/dhcp-constants';
import { decodeDhcpPacket, encodeDhcpPacket, type DecodedDhcpPacket } from '../../electron/engine/protocol/dhcp/dhcp-packet';
import { ipData, textData, u16Data, u8Data, type DhcpOptionEntry } from '../../electron/engine/protocol/dhcp/dhcp-options';

export const SERVER_IP = '127.0.0.1';
export const RELAY_IP = '127.0.0.2';

export interface RequestSpec {
  mac: string;
  xid?: number;
  giaddr?: string;
  ciaddr?: string;
  requestedIp?: string;
  serverId?: string;
  clientId?: Buffer;
  vendorClass?: string;
  userClass?: string;
  arch?: number;
  guid?: Buffer;
  flags?: number;
}

export function clientPacket(type: number, s: RequestSpec): Buffer {
  const options: DhcpOptionEntry[] = [{ code: DhcpOption.MessageType, data: u8Data(type) }];
  if (s.clientId) options.push({ code: DhcpOption.ClientIdentifier, data: s.clientId });
  if (s.requestedIp) options.push({ code: DhcpOption.RequestedIpAddress, data: ipData(s.requestedIp) });
  if (s.serverId) options.push({ code: DhcpOption.ServerIdentifier, data: ipData(s.serverId) });
  if (s.vendorClass) options.push({ code: DhcpOption.VendorClassIdentifier, data: textData(s.vendorClass) });
  if (s.userClass) options.push({ code: DhcpOption.UserClass, data: textData(s.userClass) });
  if (s.arch !== undefined) options.push({ code: DhcpOption.ClientSystemArchitecture, data: u16Data(s.arch) });
  if (s.guid) options.push({ code: DhcpOption.ClientMachineIdentifier, data: s.guid });
  options.push({ code: DhcpOption.ParameterRequestList, data: Buffer.from([1, 3, 6, 43, 60, 66, 67]) });
  const chaddr = Buffer.alloc(16);
  Buffer.from(s.mac.replace(/:/g, ''), 'hex').copy(chaddr);
  return encodeDhcpPacket({
    op: BootOp.Request,
    htype: 1,
    hlen: 6,
    hops: (s.giaddr ?? RELAY_IP) === '0.0.0.0' ? 0 : 1,
    xid: s.xid ?? Math.floor(Math.random() * 0xffffffff),
    secs: 0,
    flags: s.flags ?? 0,
    ciaddr: s.ciaddr ?? '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: s.giaddr ?? RELAY_IP,
    chaddr,
    sname: '',
    file: '',
    options,
  });
}

export class TestPeer {
  private readonly queue: DecodedDhcpPacket[] = [];
  private waiter: (() => void) | null = null;
  readonly garbage: Buffer[] = [];

  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (m) => {
      try {
        this.queue.push(decodeDhcpPacket(m));
      } catch {
        this.garbage.push(m);
      }
      this.waiter?.();
    });
  }

  /** Bind `address:port` (the relay's address on the server port, or an ephemeral port for a PXE client on 4011). */
  static async open(address: string, port: number): Promise<TestPeer> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, address, () => resolve());
    });
    return new TestPeer(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  send(buf: Buffer, port: number, address = SERVER_IP): Promise<void> {
    return new Promise((resolve, reject) => this.sock.send(buf, port, address, (e) => (e ? reject(e) : resolve())));
  }

  /** The next reply, or null after `ms`. */
  async next(ms = 2000): Promise<DecodedDhcpPacket | null> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.queue.shift()!;
  }

  /** Send and wait for the reply with the same xid. */
  async exchange(type: number, spec: RequestSpec, port: number, ms = 2000): Promise<DecodedDhcpPacket | null> {
    const xid = spec.xid ?? Math.floor(Math.random() * 0xffffffff);
    await this.send(clientPacket(type, { ...spec, xid }), port);
    for (;;) {
      const r = await this.next(ms);
      if (!r || r.xid === xid) return r;
    }
  }

  /** DISCOVER + REQUEST; returns the ACK. */
  async dora(spec: RequestSpec, port: number): Promise<DecodedDhcpPacket> {
    const offer = await this.exchange(DhcpMessageType.Discover, spec, port);
    if (!offer || offer.messageType !== DhcpMessageType.Offer) throw new Error(`no OFFER for ${spec.mac}`);
    const ack = await this.exchange(DhcpMessageType.Request, { ...spec, requestedIp: offer.yiaddr, serverId: offer.serverId! }, port);
    if (!ack || ack.messageType !== DhcpMessageType.Ack) throw new Error(`no ACK for ${spec.mac} (got ${ack?.messageType})`);
    return ack;
  }

  close(): void {
    this.sock.close();
  }
}
