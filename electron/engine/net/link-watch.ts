/**
 * Watches the serving interface's link: carrier up/down, set down/up, gone/back (a USB NIC unplugged and
 * plugged in again, possibly with a new ifindex), IPv4 addresses lost/regained. The session decides what to do
 * about each change (keep sockets, close servers, re-give its address, reopen servers); this file only reports.
 *
 * How: a poll, once a second by default (LINK_POLL_INTERVAL_MS), not an event stream. On Linux each tick reads
 * sysfs (/sys/class/net/IF/{ifindex,flags,carrier}); while the link is up, the addresses come from
 * os.networkInterfaces() (in-process getifaddrs), so the steady state starts no process. Only while the link is
 * down (where libuv hides the addresses) does a tick run `ip -j addr show dev IF`: measured here at about 27 ms
 * of CPU per call (parent + child) under load average 8, against well under 1 ms for the sysfs path. A
 * netlink subscription (`ip monitor`) would report sooner, but its JSON form differs between iproute2 versions
 * and a lost or misparsed line leaves the state wrong until the next event; a poll converges on the truth every
 * tick, and an unplug/replug quicker than one tick is still seen because the ifindex changes. A second is short
 * next to what it guards (a PXE ROM retries DHCP for about a minute).
 *
 * Other OSes (and Linux without a usable `ip`): os.networkInterfaces(), which lists only interfaces that are up
 * and running, so there "cable out", "set down" and "unplugged" all read as gone (the session then closes and
 * reopens its servers, which is safe, only less precise). Not tested on macOS or Windows.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo as OsInterfaceInfo } from 'node:os';

/** How often the link is looked at. */
export const LINK_POLL_INTERVAL_MS = 1000;
/** Longest wait for one `ip` answer; a hung probe must not stall the watch. */
const PROBE_TIMEOUT_MS = 3000;

/** What the interface looked like at one moment. */
export interface LinkSnapshot {
  present: boolean;
  /** Changes when the device is unplugged and plugged in again (a new kernel device); null when unknown. */
  ifindex: number | null;
  /** Administratively up (IFF_UP, `ip link set IF up`). */
  adminUp: boolean;
  /** Carrier (LOWER_UP): a cable to a live port. */
  carrier: boolean;
  /** IPv4 addresses as "a.b.c.d/prefix". */
  ipv4: string[];
}

export const ABSENT: LinkSnapshot = Object.freeze({ present: false, ifindex: null, adminUp: false, carrier: false, ipv4: [] }) as LinkSnapshot;

/** One change between two snapshots. "replaced": the name now belongs to a new device (new ifindex). */
export type LinkChange =
  | { kind: 'gone' }
  | { kind: 'back' }
  | { kind: 'replaced'; from: number; to: number }
  | { kind: 'admin'; up: boolean }
  | { kind: 'carrier'; up: boolean }
  | { kind: 'address'; cidr: string; present: boolean };

/** The subset of one `ip -j addr show` entry read here. */
interface IpAddrJson {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Reads `ip -j addr show dev IF` output. Throws on text that is not that JSON. */
export function parseIpAddrJson(json: string, ifname: string): LinkSnapshot {
  const list = JSON.parse(json) as unknown;
  if (!Array.isArray(list)) throw new Error('ip -j addr did not return a list');
  const link = (list as IpAddrJson[]).find((l) => l && l.ifname === ifname);
  if (!link) return ABSENT;
  const flags = link.flags ?? [];
  const adminUp = flags.includes('UP');
  return {
    present: true,
    ifindex: typeof link.ifindex === 'number' ? link.ifindex : null,
    adminUp,
    // LOWER_UP is the driver's carrier; the kernel drops it while the interface is set down.
    carrier: adminUp && flags.includes('LOWER_UP'),
    ipv4: (link.addr_info ?? [])
      .filter((a) => a.family === 'inet' && typeof a.local === 'string' && typeof a.prefixlen === 'number')
      .map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** From os.networkInterfaces(): listed means up and running (libuv filters on IFF_UP and IFF_RUNNING). */
export function snapshotFromOs(ifname: string, list: NodeJS.Dict<OsInterfaceInfo[]>): LinkSnapshot {
  const addrs = list[ifname];
  if (!addrs || addrs.length === 0) return ABSENT;
  return {
    present: true,
    ifindex: null,
    adminUp: true,
    carrier: true,
    ipv4: addrs.filter((a) => a.family === 'IPv4').map((a) => a.cidr ?? `${a.address}/32`),
  };
}

/** The sysfs files read each tick (null: unreadable; `carrier` is unreadable, EINVAL, while set down). */
export interface SysfsLink {
  ifindex: string | null;
  /** dev->flags in hex ("0x1003"); bit 0 is IFF_UP (linux/if.h). */
  flags: string | null;
  carrier: string | null;
}

/** IFF_UP, include/uapi/linux/if.h. */
const IFF_UP = 0x1;

/**
 * A snapshot from sysfs plus os.networkInterfaces(), or null when the addresses cannot be known that way
 * (the link is not up, so libuv leaves the interface out) and `ip` must be asked.
 */
export function snapshotFromSysfs(ifname: string, sys: SysfsLink, list: NodeJS.Dict<OsInterfaceInfo[]>): LinkSnapshot | null {
  if (sys.ifindex === null) return ABSENT;
  const ifindex = Number(sys.ifindex);
  const flags = sys.flags === null ? NaN : Number.parseInt(sys.flags, 16);
  if (!Number.isInteger(ifindex) || Number.isNaN(flags)) return null;
  const adminUp = (flags & IFF_UP) !== 0;
  const carrier = adminUp && sys.carrier === '1';
  if (!carrier) return null;
  const listed = snapshotFromOs(ifname, list);
  // Up with carrier but not listed: not RUNNING yet (operstate dormant, a moment after carrier): ask ip.
  if (!listed.present) return null;
  return { ...listed, ifindex, adminUp, carrier };
}

function readSysfs(ifname: string): SysfsLink {
  const read = (file: string): string | null => {
    try {
      return readFileSync(`/sys/class/net/${ifname}/${file}`, 'utf8').trim();
    } catch {
      return null;
    }
  };
  return { ifindex: read('ifindex'), flags: read('flags'), carrier: read('carrier') };
}

/** What changed from `prev` to `next`, in the order a reader expects (gone/back first, addresses last). */
export function diffLink(prev: LinkSnapshot, next: LinkSnapshot): LinkChange[] {
  const out: LinkChange[] = [];
  if (prev.present && !next.present) return [{ kind: 'gone' }];
  if (!prev.present && next.present) out.push({ kind: 'back' });
  else if (!prev.present && !next.present) return [];
  else if (prev.ifindex !== null && next.ifindex !== null && prev.ifindex !== next.ifindex) {
    out.push({ kind: 'replaced', from: prev.ifindex, to: next.ifindex });
  }
  // After gone/back, compare with an absent device: down, no carrier, no address.
  const base = out.length > 0 ? ABSENT : prev;
  if (base.adminUp !== next.adminUp) out.push({ kind: 'admin', up: next.adminUp });
  if (base.carrier !== next.carrier) out.push({ kind: 'carrier', up: next.carrier });
  for (const cidr of base.ipv4) if (!next.ipv4.includes(cidr)) out.push({ kind: 'address', cidr, present: false });
  for (const cidr of next.ipv4) if (!base.ipv4.includes(cidr)) out.push({ kind: 'address', cidr, present: true });
  return out;
}

export type LinkStateName = 'up' | 'down' | 'gone';

/** Whether the session can serve through this snapshot, and if not, why (the words the UI shows). */
export function linkStateOf(snapshot: LinkSnapshot, serverIp: string): { state: LinkStateName; detail: string } {
  if (!snapshot.present) return { state: 'gone', detail: 'interface gone (unplugged?)' };
  if (!snapshot.adminUp) return { state: 'down', detail: 'interface set down' };
  if (!snapshot.carrier) return { state: 'down', detail: 'no carrier (cable out or switch port off)' };
  if (!hasAddress(snapshot, serverIp)) return { state: 'down', detail: `address ${serverIp} missing` };
  return { state: 'up', detail: 'link up' };
}

export function hasAddress(snapshot: LinkSnapshot, ip: string): boolean {
  return snapshot.ipv4.some((c) => c.slice(0, c.indexOf('/')) === ip);
}

export function describeChange(c: LinkChange): string {
  switch (c.kind) {
    case 'gone':
      return 'gone';
    case 'back':
      return 'back';
    case 'replaced':
      return `replaced (ifindex ${c.from} -> ${c.to})`;
    case 'admin':
      return c.up ? 'set up' : 'set down';
    case 'carrier':
      return c.up ? 'carrier up' : 'carrier lost';
    case 'address':
      return `${c.present ? 'address added' : 'address lost'} ${c.cidr}`;
  }
}

export type LinkProbe = (ifname: string) => Promise<LinkSnapshot>;

function ipAddrShow(ifname: string): Promise<{ stdout: string; stderr: string; failed: boolean }> {
  return new Promise((resolve) => {
    execFile('ip', ['-j', 'addr', 'show', 'dev', ifname], { timeout: PROBE_TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), failed: err !== null });
    });
  });
}

/**
 * Linux: sysfs + os.networkInterfaces() while the link is up; `ip -j addr show dev IF` otherwise ("does not
 * exist" is absent; any other failure falls back to the OS list).
 */
export const linuxProbe: LinkProbe = async (ifname) => {
  // A name from the user must not walk out of /sys/class/net.
  if (!/^[^/\0]{1,64}$/.test(ifname) || ifname === '.' || ifname === '..') return ABSENT;
  const quick = snapshotFromSysfs(ifname, readSysfs(ifname), networkInterfaces());
  if (quick) return quick;
  const r = await ipAddrShow(ifname);
  if (!r.failed) {
    try {
      return parseIpAddrJson(r.stdout, ifname);
    } catch {
      /* unreadable: fall through */
    }
  }
  if (!existsSync(`/sys/class/net/${ifname}`)) return ABSENT;
  return snapshotFromOs(ifname, networkInterfaces());
};

export const osProbe: LinkProbe = (ifname) => Promise.resolve(snapshotFromOs(ifname, networkInterfaces()));

export function defaultLinkProbe(platform: NodeJS.Platform = process.platform): LinkProbe {
  return platform === 'linux' ? linuxProbe : osProbe;
}

export interface LinkWatcherOptions {
  interfaceName: string;
  intervalMs?: number;
  probe?: LinkProbe;
  /**
   * Called after every probe, changes or not (so the receiver can retry what failed last tick). The next probe
   * waits for it: the receiver's reaction to one change never overlaps the next.
   */
  onSnapshot: (snapshot: LinkSnapshot, changes: LinkChange[]) => void | Promise<void>;
  onError?: (err: Error) => void;
}

/** Polls one interface and reports each snapshot with what changed since the last one. */
export class LinkWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private tick: Promise<void> = Promise.resolve();
  private last: LinkSnapshot = ABSENT;
  private readonly intervalMs: number;
  private readonly probe: LinkProbe;

  constructor(private readonly options: LinkWatcherOptions) {
    this.intervalMs = options.intervalMs ?? LINK_POLL_INTERVAL_MS;
    this.probe = options.probe ?? defaultLinkProbe();
  }

  /** Takes the first snapshot (the baseline: no callback for it) and starts polling. */
  async start(): Promise<LinkSnapshot> {
    if (this.running) return this.last;
    this.last = await this.probe(this.options.interfaceName);
    this.running = true;
    this.schedule();
    return this.last;
  }

  get current(): LinkSnapshot {
    return this.last;
  }

  /** Stops polling; resolves once a reaction in progress has finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick = this.poll().finally(() => this.schedule());
    }, this.intervalMs);
    // Not unref'd: while the interface is gone the servers are closed and this timer is what keeps a
    // session's process waiting for it to come back. stop() clears it.
  }

  private async poll(): Promise<void> {
    try {
      const next = await this.probe(this.options.interfaceName);
      if (!this.running) return;
      const changes = diffLink(this.last, next);
      this.last = next;
      await this.options.onSnapshot(next, changes);
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }
}
