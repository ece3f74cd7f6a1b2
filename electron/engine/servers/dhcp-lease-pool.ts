/**
 * The address pool of full-mode DHCP: who holds which address until when. Pure bookkeeping (time is passed in),
 * so the server's RFC 2131 rules and the tests read like the spec. Persistence is LeaseStore's job.
 *
 * A client is known by its option 61 when it sends one, else by its MAC (RFC 2131 section 4.2); a lookup falls
 * back to the MAC so a machine that switches DHCP client (PXE ROM, then installer) keeps its address.
 */
import { formatIpv4, networkOf, broadcastOf, parseIpv4, type Ipv4, type Ipv4Range } from '../../../shared/net/ipv4';
import type { LeaseRecord, LeaseState } from './lease-store';

export interface PoolClient {
  mac: string;
  /** Option 61 as hex. */
  clientId?: string;
  hostname?: string;
}

export interface Reservation {
  mac: string;
  ip: Ipv4;
  hostname?: string;
}

export interface PoolConfig {
  range: Ipv4Range;
  serverIp: Ipv4;
  prefix: number;
  reservations: readonly Reservation[];
  /** Addresses never handed out (router, DNS server...). */
  excluded?: readonly Ipv4[];
}

export interface Lease {
  ip: Ipv4;
  key: string;
  mac: string;
  clientId?: string;
  hostname?: string;
  state: LeaseState;
  expiresAt: number;
}

export function clientKey(c: PoolClient): string {
  return c.clientId ? `id:${c.clientId}` : `hw:${c.mac}`;
}

export class LeasePool {
  private readonly byIp = new Map<Ipv4, Lease>();
  private readonly byKey = new Map<string, Lease>();
  private readonly byMac = new Map<string, Lease>();
  private readonly reservedByMac = new Map<string, Reservation>();
  private readonly reservedIps = new Map<Ipv4, string>();
  private readonly excluded = new Set<Ipv4>();
  /** Addresses whose lease changed since the last takeChanges(): the lease store writes only these. */
  private readonly dirty = new Set<Ipv4>();
  /** Addresses below this have had a lease record, so the search for a never-used one resumes here. */
  private unusedCursor: Ipv4;

  constructor(
    private readonly cfg: PoolConfig,
    records: readonly LeaseRecord[] = [],
  ) {
    for (const r of cfg.reservations) {
      this.reservedByMac.set(r.mac, r);
      this.reservedIps.set(r.ip, r.mac);
    }
    this.excluded.add(cfg.serverIp);
    this.excluded.add(networkOf(cfg.serverIp, cfg.prefix));
    this.excluded.add(broadcastOf(cfg.serverIp, cfg.prefix));
    for (const ip of cfg.excluded ?? []) this.excluded.add(ip);
    this.unusedCursor = cfg.range.first;
    for (const r of records) {
      const ip = parseIpv4(r.ip);
      // A lease outside today's range (the technician changed it) is forgotten rather than kept forever.
      if (ip === null || !this.isPoolAddress(ip)) continue;
      const lease: Lease = {
        ip,
        key: clientKey(r),
        mac: r.mac,
        ...(r.clientId ? { clientId: r.clientId } : {}),
        ...(r.hostname ? { hostname: r.hostname } : {}),
        state: r.state,
        expiresAt: r.expiresAt,
      };
      this.put(lease);
    }
  }

  get rangeText(): string {
    return `${formatIpv4(this.cfg.range.first)}-${formatIpv4(this.cfg.range.last)}`;
  }

  reservationFor(mac: string): Reservation | undefined {
    return this.reservedByMac.get(mac);
  }

  /** The client's lease (any state), by client id or, failing that, by MAC. */
  find(c: PoolClient): Lease | undefined {
    return this.byKey.get(clientKey(c)) ?? this.byMac.get(c.mac);
  }

  /** Would FieldBoot hand this address to anyone: inside the range, or someone's reservation. */
  isPoolAddress(ip: Ipv4): boolean {
    if (this.reservedIps.has(ip)) return true;
    return ip >= this.cfg.range.first && ip <= this.cfg.range.last && !this.excluded.has(ip);
  }

  /** May `c` have `ip` now? */
  availableFor(c: PoolClient, ip: Ipv4, now: number): boolean {
    const reservedFor = this.reservedIps.get(ip);
    if (reservedFor !== undefined) return reservedFor === c.mac;
    if (!this.isPoolAddress(ip)) return false;
    // A client with a reservation gets that address, not another one.
    const own = this.reservedByMac.get(c.mac);
    if (own && own.ip !== ip) return false;
    const l = this.byIp.get(ip);
    if (!l) return true;
    if (this.owns(l, c)) return l.state !== 'declined' || l.expiresAt <= now;
    return !isActive(l, now);
  }

  /**
   * Pick an address for a DISCOVER (RFC 2131 section 4.3.1 order): the reservation, the client's current or
   * previous address, the address it asks for, a never-used one, then the longest-expired. Holds it for
   * `holdMs` as an offer. Null when nothing is free.
   */
  offer(c: PoolClient, requested: Ipv4 | undefined, now: number, holdMs: number): Lease | null {
    const ip = this.choose(c, requested, now);
    if (ip === null) return null;
    const current = this.byIp.get(ip);
    if (current && this.owns(current, c) && current.state === 'bound' && current.expiresAt > now) {
      return this.refresh(current, c); // a bound client that DISCOVERs again keeps its lease as is
    }
    return this.assign(c, ip, 'offered', now + holdMs);
  }

  /** Bind after the server checked `availableFor`. */
  bind(c: PoolClient, ip: Ipv4, now: number, leaseMs: number): Lease {
    return this.assign(c, ip, 'bound', now + leaseMs);
  }

  /** The client took another server's offer (RFC 2131 section 4.3.2, SELECTING): free our offer at once. */
  cancelOffer(c: PoolClient, now: number): Lease | undefined {
    const l = this.find(c);
    if (l && l.state === 'offered') {
      l.expiresAt = Math.min(l.expiresAt, now);
      l.state = 'released';
      this.dirty.add(l.ip);
      return l;
    }
    return undefined;
  }

  /** RELEASE: only the holder can release, and only its own address. */
  release(c: PoolClient, ip: Ipv4, now: number): Lease | undefined {
    const l = this.byIp.get(ip);
    if (!l || !this.owns(l, c) || l.state === 'declined') return undefined;
    l.state = 'released';
    l.expiresAt = now;
    this.dirty.add(l.ip);
    return l;
  }

  /** DECLINE: the address is in use by someone we do not know; keep it out of the pool for `holdMs`. */
  decline(c: PoolClient, ip: Ipv4, now: number, holdMs: number): Lease | undefined {
    if (!this.isPoolAddress(ip)) return undefined;
    const l = this.byIp.get(ip);
    if (l && !this.owns(l, c) && isActive(l, now)) return undefined; // not the decliner's to decline
    const declined: Lease = { ip, key: `declined:${formatIpv4(ip)}`, mac: c.mac, state: 'declined', expiresAt: now + holdMs };
    this.put(declined);
    return declined;
  }

  /** Everything, for persistence. */
  records(): LeaseRecord[] {
    return [...this.byIp.values()].map(toRecord);
  }

  /**
   * What changed since the last call (then forgotten): the current lease of each changed address, or the address
   * alone when it has none now. Lets the lease store write O(changes), not O(leases), per batch.
   */
  takeChanges(): { changed: LeaseRecord[]; removed: string[] } {
    const changed: LeaseRecord[] = [];
    const removed: string[] = [];
    for (const ip of this.dirty) {
      const l = this.byIp.get(ip);
      if (l) changed.push(toRecord(l));
      else removed.push(formatIpv4(ip));
    }
    this.dirty.clear();
    return { changed, removed };
  }

  private owns(l: Lease, c: PoolClient): boolean {
    if (l.state === 'declined') return false;
    return l.key === clientKey(c) || (!l.clientId && l.mac === c.mac) || (!c.clientId && l.mac === c.mac);
  }

  private choose(c: PoolClient, requested: Ipv4 | undefined, now: number): Ipv4 | null {
    const reserved = this.reservedByMac.get(c.mac);
    if (reserved) return this.availableFor(c, reserved.ip, now) ? reserved.ip : null;
    const mine = this.find(c);
    if (mine && this.availableFor(c, mine.ip, now)) return mine.ip;
    if (requested !== undefined && this.availableFor(c, requested, now)) return requested;
    const { first, last } = this.cfg.range;
    for (let ip = this.unusedCursor; ip <= last; ip++) {
      if (this.byIp.has(ip) || this.excluded.has(ip) || this.reservedIps.has(ip)) continue;
      this.unusedCursor = ip;
      return ip;
    }
    this.unusedCursor = last + 1;
    // Every address has had a record: take one whose record is gone (a client moved), else the longest-free.
    let best: Lease | undefined;
    for (let ip = first; ip <= last; ip++) {
      if (this.reservedIps.has(ip) || this.excluded.has(ip)) continue;
      const l = this.byIp.get(ip);
      if (!l) return ip;
      if (isActive(l, now)) continue;
      if (!best || l.expiresAt < best.expiresAt) best = l;
    }
    return best ? best.ip : null;
  }

  private assign(c: PoolClient, ip: Ipv4, state: LeaseState, expiresAt: number): Lease {
    const old = this.find(c);
    if (old && old.ip !== ip && this.owns(old, c)) this.remove(old); // one address per client
    const hostname = c.hostname ?? (old?.ip === ip ? old.hostname : undefined);
    const lease: Lease = {
      ip,
      key: clientKey(c),
      mac: c.mac,
      ...(c.clientId ? { clientId: c.clientId } : {}),
      ...(hostname ? { hostname } : {}),
      state,
      expiresAt,
    };
    this.put(lease);
    return lease;
  }

  private refresh(l: Lease, c: PoolClient): Lease {
    if (c.hostname && c.hostname !== l.hostname) {
      l.hostname = c.hostname;
      this.dirty.add(l.ip);
    }
    return l;
  }

  private put(lease: Lease): void {
    const prev = this.byIp.get(lease.ip);
    if (prev) this.remove(prev);
    this.byIp.set(lease.ip, lease);
    this.dirty.add(lease.ip);
    if (lease.state !== 'declined') {
      this.byKey.set(lease.key, lease);
      this.byMac.set(lease.mac, lease);
    }
  }

  private remove(l: Lease): void {
    if (this.byIp.get(l.ip) === l) {
      this.byIp.delete(l.ip);
      this.dirty.add(l.ip);
    }
    if (this.byKey.get(l.key) === l) this.byKey.delete(l.key);
    if (this.byMac.get(l.mac) === l) this.byMac.delete(l.mac);
  }
}

function toRecord(l: Lease): LeaseRecord {
  return {
    ip: formatIpv4(l.ip),
    mac: l.mac,
    ...(l.clientId ? { clientId: l.clientId } : {}),
    ...(l.hostname ? { hostname: l.hostname } : {}),
    state: l.state,
    expiresAt: l.expiresAt,
  };
}

/** Holds its address right now (a bound lease, an outstanding offer, a declined address in quarantine). */
function isActive(l: Lease, now: number): boolean {
  return l.state !== 'released' && l.expiresAt > now;
}
