/**
 * FieldBoot's DHCP server, on one interface only.
 *
 * Full mode: leases addresses from its own pool (RFC 2131) and adds boot answers for network-boot clients.
 * Proxy mode: another server leases addresses; this one answers only PXE/HTTP boot clients, with boot
 * information and no address, on port 67 (OFFER to DISCOVER) and 4011 (ACK to REQUEST) (PXE spec 2.1 s2.2.5).
 *
 * It makes no boot decisions: `options.boot(facts)` does. Malformed or foreign packets are logged and dropped;
 * only failures to listen stop it. Leases survive restarts (LeaseStore).
 */
import type dgram from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import { nowIso, type LeaseEvent, type ServiceInfo, type Subsystem } from '../../../shared/model/engine-event';
import {
  broadcastOf,
  formatIpv4,
  normalizeMac,
  parseIpv4,
  prefixToMask,
  rangeSize,
  sameSubnet,
  type Ipv4,
  type Ipv4Range,
} from '../../../shared/net/ipv4';
import type { BootAnswer, ClientFacts } from '../boot/boot-policy';
import { firmwareOf } from '../boot/client-arch';
import { createLog, type Log } from '../log';
import { DhcpDecodeError } from '../protocol/dhcp/dhcp-codec-error';
import { BootOp, BootVendorClass, DhcpMessageType, DhcpPort, messageTypeName } from '../protocol/dhcp/dhcp-constants';
import { decodeDhcpPacket, encodeDhcpPacket, type DecodedDhcpPacket } from '../protocol/dhcp/dhcp-packet';
import { LeasePool, type PoolClient, type Reservation } from './dhcp-lease-pool';
import { buildReply, replyDestination, ZERO_IP, type NetworkParams, type ReplySpec } from './dhcp-reply';
import { bindSocketToInterface, bindUdp, probeUdpPort, receiveAddress } from './dhcp-sockets';
import { LeaseStore } from './lease-store';
import type { NetworkService, ServiceContext } from './network-service';

export const DEFAULT_DHCP_PORT = DhcpPort.Server;
export const DEFAULT_DHCP_CLIENT_PORT = DhcpPort.Client;
export const DEFAULT_PROXY_PORT = DhcpPort.PxeBootServer;
/** One hour, like dnsmasq: long enough for an install, short enough that a lab pool recycles in a day. */
export const DEFAULT_LEASE_TIME_SEC = 3600;
/** How long an OFFER holds its address for the client's REQUEST. */
export const DEFAULT_OFFER_HOLD_SEC = 60;
/** How long an address a client DECLINEd (found in use) stays out of the pool. */
export const DEFAULT_DECLINE_HOLD_SEC = 600;
/** At most one pool-exhausted event per client in this window, so a retrying ROM does not flood the UI. */
const POOL_EVENT_INTERVAL_MS = 5_000;

export interface DhcpServerOptions {
  interfaceName: string;
  serverIp: string;
  prefix: number;
  mode: 'full' | 'proxy';
  /** Required in full mode (the session derives a default). */
  range?: Ipv4Range;
  leaseTimeSec?: number;
  /** leases.json lives here. */
  stateDir: string;
  router?: string;
  /** Name servers handed out; none when omitted (never a public resolver by default). */
  dns?: string[];
  reservations?: { mac: string; ip: string; hostname?: string }[];
  port?: number;
  clientPort?: number;
  proxyPort?: number;
  /** SO_BINDTOIFINDEX on Linux (default true); tests on loopback turn it off. */
  bindToDevice?: boolean;
  boot: (facts: ClientFacts) => BootAnswer | null;
}

interface Sockets {
  rx: dgram.Socket;
  tx: dgram.Socket;
  proxy: dgram.Socket | null;
}

export class DhcpServer implements NetworkService {
  private readonly log: Log;
  private readonly subsystem: Subsystem;
  private readonly port: number;
  private readonly clientPort: number;
  private readonly proxyPort: number;
  private readonly leaseTimeSec: number;
  private sockets: Sockets | null = null;
  private pool: LeasePool | null = null;
  private store: LeaseStore | null = null;
  private network: NetworkParams | null = null;
  private serverIpNum: Ipv4 = 0;
  private readonly lastPoolEvent = new Map<string, number>();
  private saveFailed = false;

  constructor(
    private readonly options: DhcpServerOptions,
    private readonly ctx: ServiceContext,
  ) {
    this.subsystem = options.mode === 'proxy' ? 'PROXY' : 'DHCP';
    this.log = createLog(ctx.logSink, this.subsystem);
    this.port = options.port ?? DEFAULT_DHCP_PORT;
    this.clientPort = options.clientPort ?? DEFAULT_DHCP_CLIENT_PORT;
    this.proxyPort = options.proxyPort ?? DEFAULT_PROXY_PORT;
    this.leaseTimeSec = options.leaseTimeSec ?? DEFAULT_LEASE_TIME_SEC;
  }

  services(): ServiceInfo[] {
    if (!this.sockets) return [];
    const name = this.options.mode === 'proxy' ? 'proxy' : 'dhcp';
    const list: ServiceInfo[] = [{ name, address: this.options.serverIp, port: this.port }];
    if (this.sockets.proxy) list.push({ name: 'proxy', address: this.options.serverIp, port: this.proxyPort });
    return list;
  }

  async start(): Promise<void> {
    if (this.sockets) return;
    const o = this.options;
    const serverIp = parseIpv4(o.serverIp);
    if (serverIp === null) throw new FieldbootError(ErrorCode.BadOption, `server address "${o.serverIp}" is not IPv4`);
    if (!Number.isInteger(o.prefix) || o.prefix < 1 || o.prefix > 30) {
      throw new FieldbootError(ErrorCode.BadOption, `prefix /${o.prefix} leaves no room for DHCP clients`);
    }
    this.serverIpNum = serverIp;
    this.network = this.networkParams(serverIp);
    if (o.mode === 'full') this.preparePool(serverIp);

    const where = `${o.interfaceName} (${o.serverIp})`;
    // Detect a running DHCP server before we open the port with SO_REUSEADDR (which would share it silently).
    const rxAddress = receiveAddress(o.serverIp);
    await probeUdpPort(this.port, rxAddress, where);
    if (o.mode === 'proxy') await probeUdpPort(this.proxyPort, rxAddress, where);

    const opened: dgram.Socket[] = [];
    try {
      const onError = (which: string) => (err: Error) => this.log.error(`${which} socket error: ${err.message}`);
      const rx = await bindUdp({
        port: this.port,
        address: rxAddress,
        reuseAddr: true,
        broadcast: true,
        where,
        onMessage: (m, r) => this.onPacket(m, r, 'server'),
        onError: onError('receive'),
      });
      opened.push(rx);
      const bindToDevice = o.bindToDevice ?? true;
      if (bindToDevice) bindSocketToInterface(rx, o.interfaceName, this.log);
      // Unicast to serverIp:port (renewals, relays) lands on this socket: it is more specific than 0.0.0.0.
      const tx =
        rxAddress === o.serverIp
          ? rx
          : await bindUdp({
              port: this.port,
              address: o.serverIp,
              reuseAddr: true,
              broadcast: true,
              where,
              onMessage: (m, r) => this.onPacket(m, r, 'server'),
              onError: onError('send'),
            });
      if (tx !== rx) {
        opened.push(tx);
        if (bindToDevice) bindSocketToInterface(tx, o.interfaceName, this.log);
      }
      let proxy: dgram.Socket | null = null;
      if (o.mode === 'proxy') {
        proxy = await bindUdp({
          port: this.proxyPort,
          address: rxAddress,
          reuseAddr: false,
          broadcast: true,
          where,
          onMessage: (m, r) => this.onPacket(m, r, 'proxy'),
          onError: onError('proxy'),
        });
        opened.push(proxy);
        if (bindToDevice) bindSocketToInterface(proxy, o.interfaceName, this.log);
      }
      this.sockets = { rx, tx, proxy };
    } catch (err) {
      for (const s of opened) s.close();
      throw err;
    }
    const what = o.mode === 'full' ? `full DHCP, pool ${this.pool?.rangeText}` : `proxyDHCP (ports ${this.port} and ${this.proxyPort})`;
    this.log.info(`listening on ${where} port ${this.port}: ${what}`);
  }

  async stop(): Promise<void> {
    const s = this.sockets;
    this.sockets = null;
    if (s) {
      for (const sock of new Set([s.rx, s.tx, s.proxy])) {
        try {
          sock?.close();
        } catch {
          /* already closed */
        }
      }
    }
    await this.store?.flush();
  }

  // ------------------------------------------------------------------------------------------------------------

  private preparePool(serverIp: Ipv4): void {
    const o = this.options;
    const range = o.range;
    if (!range || rangeSize(range) === 0) throw new FieldbootError(ErrorCode.BadRange, 'full-mode DHCP needs a non-empty address range');
    if (!sameSubnet(range.first, serverIp, o.prefix) || !sameSubnet(range.last, serverIp, o.prefix)) {
      throw new FieldbootError(
        ErrorCode.BadRange,
        `range ${formatIpv4(range.first)}-${formatIpv4(range.last)} is not inside ${o.serverIp}/${o.prefix}`,
      );
    }
    const reservations: Reservation[] = [];
    for (const r of o.reservations ?? []) {
      const mac = normalizeMac(r.mac);
      const ip = parseIpv4(r.ip);
      if (!mac || ip === null || !sameSubnet(ip, serverIp, o.prefix) || ip === serverIp) {
        throw new FieldbootError(ErrorCode.BadOption, `reservation ${r.mac} -> ${r.ip} is not a MAC and an address in ${o.serverIp}/${o.prefix}`);
      }
      reservations.push({ mac, ip, ...(r.hostname ? { hostname: r.hostname } : {}) });
    }
    const excluded = [o.router, ...(o.dns ?? [])].map((a) => (a ? parseIpv4(a) : null)).filter((a): a is Ipv4 => a !== null);
    try {
      mkdirSync(o.stateDir, { recursive: true });
    } catch (err) {
      throw new FieldbootError(ErrorCode.StateDirUnwritable, `cannot create ${o.stateDir}: ${(err as Error).message}`);
    }
    this.store = new LeaseStore(o.stateDir, this.log);
    const records = this.store.load();
    this.pool = new LeasePool({ range, serverIp, prefix: o.prefix, reservations, excluded }, records);
    const pool = this.pool;
    this.store.setSnapshot(() => pool.records());
    this.store.setChanges(() => pool.takeChanges());
    if (records.length) this.log.info(`loaded ${records.length} leases from ${this.store.path}`);
  }

  private networkParams(serverIp: Ipv4): NetworkParams {
    const o = this.options;
    for (const a of [o.router, ...(o.dns ?? [])]) {
      if (a !== undefined && parseIpv4(a) === null) throw new FieldbootError(ErrorCode.BadOption, `"${a}" is not an IPv4 address`);
    }
    return {
      subnetMask: formatIpv4(prefixToMask(o.prefix)),
      broadcast: formatIpv4(broadcastOf(serverIp, o.prefix)),
      ...(o.router ? { router: o.router } : {}),
      ...(o.dns && o.dns.length ? { dns: o.dns } : {}),
    };
  }

  private onPacket(msg: Buffer, rinfo: dgram.RemoteInfo, via: 'server' | 'proxy'): void {
    let p: DecodedDhcpPacket;
    try {
      p = decodeDhcpPacket(msg);
    } catch (err) {
      const why = err instanceof DhcpDecodeError ? err.message : `decoder failure: ${(err as Error).stack ?? String(err)}`;
      this.log.debug(`dropped ${msg.length}-byte packet from ${rinfo.address}:${rinfo.port}: ${why}`, {
        fields: hexFields(msg.subarray(0, 1024)),
      });
      return;
    }
    const handled = (async () => {
      if (p.op !== BootOp.Request) return; // our own replies, or another server's
      if (p.hlen === 0) return this.drop(p, 'no hardware address');
      this.log.debug(`${messageTypeName(p.messageType)} from ${p.mac} via ${rinfo.address}:${rinfo.port} xid ${p.xid.toString(16)}`, {
        mac: p.mac,
        fields: hexFields(msg, p.problems.length ? { problems: p.problems } : {}),
      });
      if (via === 'proxy') return this.onProxyPortPacket(p, rinfo);
      if (this.options.mode === 'proxy') return this.onProxyDiscover(p);
      return this.onFullModePacket(p);
    })();
    // Drop the packet, not the server.
    handled.catch((err: unknown) => this.log.error(`failed to handle a packet from ${p.mac}: ${(err as Error).stack ?? String(err)}`, { mac: p.mac }));
  }

  private drop(p: DecodedDhcpPacket, why: string): void {
    this.log.debug(`ignored ${messageTypeName(p.messageType)} from ${p.mac}: ${why}`, { mac: p.mac });
  }

  // ---------------------------------------------------------------------------------------------------- full mode

  private async onFullModePacket(p: DecodedDhcpPacket): Promise<void> {
    if (p.giaddr !== ZERO_IP) {
      const relay = parseIpv4(p.giaddr)!;
      // RFC 2131 section 4.3.1: the pool is chosen by giaddr; we only have the interface's subnet.
      if (!sameSubnet(relay, this.serverIpNum, this.options.prefix)) return this.drop(p, `relayed from ${p.giaddr}, no pool for that subnet`);
    }
    const type = p.messageType;
    if (type === undefined) return this.drop(p, 'BOOTP without a DHCP message type');
    switch (type) {
      case DhcpMessageType.Discover:
        return this.onDiscover(p);
      case DhcpMessageType.Request:
        return this.onRequest(p);
      case DhcpMessageType.Decline:
        return this.onDecline(p);
      case DhcpMessageType.Release:
        return this.onRelease(p);
      case DhcpMessageType.Inform:
        return this.onInform(p);
      case DhcpMessageType.Offer:
      case DhcpMessageType.Ack:
      case DhcpMessageType.Nak:
      case DhcpMessageType.ForceRenew:
      case DhcpMessageType.LeaseQuery:
      case DhcpMessageType.LeaseUnassigned:
      case DhcpMessageType.LeaseUnknown:
      case DhcpMessageType.LeaseActive:
      case DhcpMessageType.BulkLeaseQuery:
      case DhcpMessageType.LeaseQueryDone:
      case DhcpMessageType.ActiveLeaseQuery:
      case DhcpMessageType.LeaseQueryStatus:
      case DhcpMessageType.Tls:
        return this.drop(p, 'not a client message this server handles');
      default: {
        const never: never = type;
        return this.drop(p, `message type ${String(never)}`);
      }
    }
  }

  private poolClient(p: DecodedDhcpPacket): PoolClient {
    return {
      mac: p.mac,
      ...(p.clientId ? { clientId: p.clientId.toString('hex') } : {}),
      ...(p.hostname ? { hostname: p.hostname } : {}),
    };
  }

  private ours(p: DecodedDhcpPacket): boolean {
    return p.serverId === this.options.serverIp;
  }

  private onDiscover(p: DecodedDhcpPacket): void {
    this.emitLease('discover', p, p.requestedIp ?? ZERO_IP, null);
    const pool = this.pool!;
    const client = this.poolClient(p);
    const now = Date.now();
    const requested = p.requestedIp ? (parseIpv4(p.requestedIp) ?? undefined) : undefined;
    const lease = pool.offer(client, requested, now, DEFAULT_OFFER_HOLD_SEC * 1000);
    if (!lease) {
      this.log.warn(`no free address in ${pool.rangeText} for ${p.mac}`, { mac: p.mac });
      const last = this.lastPoolEvent.get(p.mac);
      if (last === undefined || now - last >= POOL_EVENT_INTERVAL_MS) {
        if (this.lastPoolEvent.size > 10_000) this.lastPoolEvent.clear();
        this.lastPoolEvent.set(p.mac, now);
        this.ctx.emit({ type: 'pool', time: nowIso(), action: 'exhausted', mac: p.mac, range: pool.rangeText });
      }
      return;
    }
    const ip = formatIpv4(lease.ip);
    const boot = this.bootAnswer(p);
    this.send(p, { type: DhcpMessageType.Offer, yiaddr: ip, ...this.leaseParams(p), boot });
    this.emitLease('offer', p, ip, boot);
  }

  /** RFC 2131 section 4.3.2: SELECTING, INIT-REBOOT, RENEWING/REBINDING. */
  private async onRequest(p: DecodedDhcpPacket): Promise<void> {
    // A REQUEST naming another server is that server's business; the client view hears only of ours.
    if (p.serverId === undefined || this.ours(p)) this.emitLease('request', p, p.requestedIp ?? p.ciaddr, null);
    const pool = this.pool!;
    const client = this.poolClient(p);
    const now = Date.now();
    let ip: string | undefined;
    if (p.serverId !== undefined) {
      // SELECTING. Another server's id means the client took that offer: ours is free again.
      if (!this.ours(p)) {
        if (pool.cancelOffer(client, now)) this.log.info(`${p.mac} chose server ${p.serverId}; offer withdrawn`, { mac: p.mac });
        return this.drop(p, `addressed to server ${p.serverId}`);
      }
      ip = p.requestedIp ?? (p.ciaddr !== ZERO_IP ? p.ciaddr : undefined);
      if (!ip) return this.drop(p, 'SELECTING without a requested address');
      const n = parseIpv4(ip)!;
      const offered = pool.find(client);
      if (offered && offered.state !== 'released' && offered.ip !== n) return this.nak(p, ip, `${ip} is not the address offered (${formatIpv4(offered.ip)})`);
      if (!pool.availableFor(client, n, now)) return this.nak(p, ip, `${ip} is not available to this client`);
    } else if (p.requestedIp !== undefined) {
      // INIT-REBOOT: verify the address the client remembers.
      ip = p.requestedIp;
      const n = parseIpv4(ip)!;
      const relay = p.giaddr !== ZERO_IP ? parseIpv4(p.giaddr)! : this.serverIpNum;
      if (!sameSubnet(n, relay, this.options.prefix)) return this.nak(p, ip, `${ip} is on the wrong network`);
      const mine = pool.find(client);
      if (!mine && !pool.reservationFor(p.mac)) return this.drop(p, `INIT-REBOOT for ${ip} with no record of the client`); // must stay silent
      if (!pool.availableFor(client, n, now) || (mine && mine.ip !== n && !pool.reservationFor(p.mac))) {
        return this.nak(p, ip, `${ip} is not this client's address`);
      }
    } else if (p.ciaddr !== ZERO_IP) {
      // RENEWING (unicast) or REBINDING (broadcast).
      ip = p.ciaddr;
      const n = parseIpv4(ip)!;
      if (!pool.isPoolAddress(n)) return this.drop(p, `renewal of ${ip}, which is not ours`);
      if (!pool.availableFor(client, n, now)) return this.nak(p, ip, `${ip} is leased to another client`);
    } else {
      return this.drop(p, 'REQUEST with neither server id, requested address nor ciaddr');
    }

    const n = parseIpv4(ip)!;
    pool.bind(client, n, now, this.leaseTimeSec * 1000);
    // The lease is on disk before the client hears ACK, so a crash cannot hand the address out twice.
    await this.store!.save().then(
      () => {
        this.saveFailed = false;
      },
      (err: unknown) => {
        if (!this.saveFailed) this.log.error(`cannot save leases to ${this.store!.path}: ${(err as Error).message}`);
        this.saveFailed = true;
      },
    );
    const boot = this.bootAnswer(p);
    this.send(p, { type: DhcpMessageType.Ack, yiaddr: ip, ciaddr: p.ciaddr, ...this.leaseParams(p), boot });
    this.emitLease('ack', p, ip, boot);
  }

  private nak(p: DecodedDhcpPacket, ip: string, why: string): void {
    this.log.info(`NAK to ${p.mac}: ${why}`, { mac: p.mac });
    this.send(p, { type: DhcpMessageType.Nak, message: why });
    this.emitLease('nak', p, ip, null);
  }

  private async onDecline(p: DecodedDhcpPacket): Promise<void> {
    if (!this.ours(p) || !p.requestedIp) return this.drop(p, 'DECLINE not for us or without an address');
    const lease = this.pool!.decline(this.poolClient(p), parseIpv4(p.requestedIp)!, Date.now(), DEFAULT_DECLINE_HOLD_SEC * 1000);
    if (!lease) return this.drop(p, `DECLINE of ${p.requestedIp}, not this client's`);
    this.log.warn(`${p.mac} declined ${p.requestedIp} (in use by another host?); kept out of the pool for ${DEFAULT_DECLINE_HOLD_SEC} s`, { mac: p.mac });
    await this.store!.save().catch(() => {});
    this.emitLease('decline', p, p.requestedIp, null);
  }

  private async onRelease(p: DecodedDhcpPacket): Promise<void> {
    if (p.serverId !== undefined && !this.ours(p)) return this.drop(p, `RELEASE for server ${p.serverId}`);
    if (p.ciaddr === ZERO_IP) return this.drop(p, 'RELEASE without ciaddr');
    const lease = this.pool!.release(this.poolClient(p), parseIpv4(p.ciaddr)!, Date.now());
    if (!lease) return this.drop(p, `RELEASE of ${p.ciaddr}, not this client's lease`);
    await this.store!.save().catch(() => {});
    this.emitLease('release', p, p.ciaddr, null);
  }

  /** RFC 2131 section 4.3.5: configuration only, no yiaddr, no lease time. */
  private onInform(p: DecodedDhcpPacket): void {
    const boot = this.bootAnswer(p);
    this.send(p, { type: DhcpMessageType.Ack, ciaddr: p.ciaddr, network: this.network!, boot });
    this.emitLease('inform', p, p.ciaddr, boot);
  }

  private leaseParams(p: DecodedDhcpPacket): Pick<ReplySpec, 'leaseTimeSec' | 'network' | 'hostname'> {
    const hostname = this.pool!.reservationFor(p.mac)?.hostname;
    return { leaseTimeSec: this.leaseTimeSec, network: this.network!, ...(hostname ? { hostname } : {}) };
  }

  // --------------------------------------------------------------------------------------------------- proxy mode

  private isBootVendor(p: DecodedDhcpPacket): boolean {
    const vc = p.vendorClass ?? '';
    return vc.startsWith(BootVendorClass.Pxe) || vc.startsWith(BootVendorClass.Http);
  }

  /** Port 67 in proxy mode: OFFER boot information (no address) to PXE/HTTP DISCOVERs; ignore everything else. */
  private onProxyDiscover(p: DecodedDhcpPacket): void {
    if (p.messageType !== DhcpMessageType.Discover) return; // REQUESTs etc. belong to the site's DHCP server
    if (!this.isBootVendor(p)) return this.drop(p, 'not a PXE/HTTP boot client');
    const boot = this.bootAnswer(p);
    if (!boot) return this.drop(p, 'no boot answer for this client');
    this.send(p, { type: DhcpMessageType.Offer, boot, echoGuid: true });
    this.emitLease('offer', p, ZERO_IP, boot);
  }

  /** Port 4011: the PXE client asks the boot server directly; ACK unicast to where it came from. */
  private onProxyPortPacket(p: DecodedDhcpPacket, rinfo: dgram.RemoteInfo): void {
    if (p.messageType !== DhcpMessageType.Request && p.messageType !== DhcpMessageType.Inform) {
      return this.drop(p, 'only REQUEST/INFORM are answered on the proxy port');
    }
    if (!this.isBootVendor(p)) return this.drop(p, 'not a PXE/HTTP boot client');
    const boot = this.bootAnswer(p);
    if (!boot) return this.drop(p, 'no boot answer for this client');
    const reply = buildReply(p, { type: DhcpMessageType.Ack, serverIp: this.options.serverIp, ciaddr: p.ciaddr, boot, echoGuid: true });
    const address = rinfo.address === ZERO_IP ? '255.255.255.255' : rinfo.address;
    this.transmit(this.sockets?.proxy ?? null, encodeDhcpPacket(reply, opts(p)), address, rinfo.port, p);
    this.emitLease('ack', p, p.ciaddr, boot);
  }

  // ------------------------------------------------------------------------------------------------------ helpers

  private facts(p: DecodedDhcpPacket): ClientFacts {
    // iPXE sends user class "iPXE"; a build without it still sends its option 175.
    const uc = p.userClass?.includes('iPXE') ? 'iPXE' : p.userClass?.join(',');
    const userClass = uc ?? (p.etherbootOptions ? 'iPXE' : undefined);
    return {
      mac: p.mac,
      ...(p.clientArch?.[0] !== undefined ? { arch: p.clientArch[0] } : {}),
      ...(p.vendorClass ? { vendorClass: p.vendorClass } : {}),
      ...(userClass ? { userClass } : {}),
    };
  }

  private bootAnswer(p: DecodedDhcpPacket): BootAnswer | null {
    try {
      return this.options.boot(this.facts(p));
    } catch (err) {
      this.log.error(`boot policy failed for ${p.mac}: ${(err as Error).message}`, { mac: p.mac });
      return null;
    }
  }

  private send(p: DecodedDhcpPacket, spec: Omit<ReplySpec, 'serverIp'>): void {
    const reply = buildReply(p, { ...spec, serverIp: this.options.serverIp });
    const dest = replyDestination(p, spec.type, this.port, this.clientPort);
    this.transmit(this.sockets?.tx ?? null, encodeDhcpPacket(reply, opts(p)), dest.address, dest.port, p);
  }

  private transmit(sock: dgram.Socket | null, buf: Buffer, address: string, port: number, p: DecodedDhcpPacket): void {
    if (!sock) return; // stopped while the lease was being saved
    try {
      sock.send(buf, port, address, (err) => {
        if (err) this.log.warn(`cannot send to ${address}:${port}: ${err.message}`, { mac: p.mac });
      });
      this.log.debug(`reply to ${p.mac} at ${address}:${port}`, { mac: p.mac, fields: hexFields(buf) });
    } catch (err) {
      this.log.warn(`cannot send to ${address}:${port}: ${(err as Error).message}`, { mac: p.mac });
    }
  }

  private emitLease(action: LeaseEvent['action'], p: DecodedDhcpPacket, ip: string, boot: BootAnswer | null): void {
    const facts = this.facts(p);
    const hostname = this.pool?.reservationFor(p.mac)?.hostname ?? p.hostname;
    this.ctx.emit({
      type: 'lease',
      time: nowIso(),
      action,
      mac: p.mac,
      ip,
      ...(hostname ? { hostname } : {}),
      ...(facts.arch !== undefined ? { arch: facts.arch, firmware: firmwareOf(facts.arch) } : {}),
      ...(facts.vendorClass ? { vendorClass: facts.vendorClass } : {}),
      ...(facts.userClass ? { userClass: facts.userClass } : {}),
      ...(boot ? { bootFile: boot.bootFile } : {}),
    });
  }
}

/**
 * Raw packets go to the debug log (a field log can become a test fixture), but most sinks drop debug entries:
 * the hex text is built only when a sink reads `hex` (JSON.stringify does), not for every packet. At a few
 * thousand packets a second the eager version was a measurable share of the server's CPU (bench/dhcp).
 */
function hexFields(buf: Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  let hex: string | undefined;
  return Object.defineProperty(extra, 'hex', { enumerable: true, get: () => (hex ??= buf.toString('hex')) });
}

function opts(p: DecodedDhcpPacket): { maxMessageSize?: number } {
  return p.maxMessageSize !== undefined ? { maxMessageSize: p.maxMessageSize } : {};
}
