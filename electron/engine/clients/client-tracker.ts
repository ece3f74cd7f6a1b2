/**
 * One record per MAC, fed by every engine event: DHCP (LeaseEvent), transfers (FileEvent with the role the
 * session gave the file), installer callbacks (StageEvent from progress-endpoint.ts) and arming (ArmEvent).
 * It keeps the stage machine, stall detection, arming (persisted with the record), and tells listeners
 * what changed as a snapshot then deltas.
 *
 * Stage rules (why they are what they are):
 * - Stages only move forward within an install cycle. A machine sends DHCP many times per install (PXE ROM,
 *   iPXE, the installer, the installed OS); none of those may drag it back to "discovered", and a late lease
 *   renewal never un-finishes a finished machine.
 * - A DHCPDISCOVER after finished / first-boot / failed / stalled starts a NEW install cycle only when the
 *   machine is armed: then it is about to get the installer again (boot policy reads isArmed), and the view
 *   must show that install from the start. An unarmed machine gets local boot, so its DISCOVER is just the
 *   installed OS (or a failed machine rebooting to disk): the record keeps what it showed.
 * - A DHCPDISCOVER after the kernel or initrd was sent is the installer's own DHCP: "installer started".
 * - Transfer errors and a full address pool mark the machine failed with a hint, but the next sign of
 *   progress clears that (firmware retries and usually succeeds). A PXE ROM closing a TFTP transfer after
 *   reading only the size (RFC 2349 tsize probe: error with 0 bytes) is normal and not a failure. An
 *   installer's own "failed" callback (%onerror) stands until a new cycle.
 * - Stalled: silent (no event of any kind) for longer than EXPECTED_STAGE_MS of its stage. Only for armed
 *   machines or those already fetching a kernel: an unarmed machine that booted from disk is not stalled.
 */
import type { ArmEvent, EngineEvent, FileEvent, LeaseEvent, StageEvent } from '../../../shared/model/engine-event';
import { FileRole } from '../../../shared/model/engine-event';
import { ClientStage, MAX_CLIENT_LOG, type ClientLogEntry, type ClientProblem, type ClientRecord, type ReachedStage } from '../../../shared/model/client-record';
import { EXPECTED_STAGE_MS, isDone, stageIndex } from '../../../shared/clients/client-stages';
import { installerFailure, stallProblem, transferFailure } from '../../../shared/clients/client-hints';
import { normalizeMac } from '../../../shared/net/ipv4';
import type { Log } from '../log';
import { ClientStore } from './client-store';

export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers, unref'd: the tracker never keeps a process alive by itself. */
export const REAL_TIMERS: ClientTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

export const DEFAULT_STALL_CHECK_MS = 5000;
/** Progress-only changes (bytes, rate) of one record reach listeners at most this often. */
export const DEFAULT_PROGRESS_THROTTLE_MS = 250;

/** What listeners get: first `snapshot` (every record), then `changed` records and `removed` MACs. */
export interface ClientChanges {
  snapshot?: ClientRecord[];
  changed?: ClientRecord[];
  removed?: string[];
}

export interface ClientTrackerOptions {
  /** Persistence; null or absent: memory only. */
  store?: ClientStore | null;
  now?: () => number;
  timers?: ClientTimers;
  stallCheckMs?: number;
  progressThrottleMs?: number;
  /** A one-shot machine was disarmed because it finished: the engine forwards this as an event. */
  onArm?: (event: ArmEvent) => void;
  log?: Log;
}

export interface ArmOptions {
  oneShot?: boolean;
}

const ZERO_IP = '0.0.0.0';
const LOADER_ROLES: ReadonlySet<string> = new Set([FileRole.Loader, FileRole.Menu]);
/** Fetched by a running installer, never by firmware or a boot loader. */
const INSTALLER_ROLES: ReadonlySet<string> = new Set([FileRole.Stage2, FileRole.Iso, FileRole.RepoMetadata, FileRole.Package]);
/** A failed transfer of these stops an install; the rest (menus probed by name, mirrors) are retried by the client. */
const FATAL_ROLES: ReadonlySet<string> = new Set([FileRole.Loader, FileRole.Kernel, FileRole.Initrd, FileRole.Stage2, FileRole.Iso, FileRole.Answer]);

const LEASE_TEXT: Record<LeaseEvent['action'], (e: LeaseEvent) => string> = {
  discover: (e) => `DHCP discover${e.firmware ? ` (${e.firmware})` : ''}`,
  offer: (e) => `Offered ${e.ip === ZERO_IP ? 'boot information' : e.ip}${e.bootFile ? ` → ${e.bootFile}` : ''}`,
  request: (e) => `DHCP request${e.ip !== ZERO_IP ? ` for ${e.ip}` : ''}`,
  ack: (e) => `Leased ${e.ip}${e.bootFile ? ` → ${e.bootFile}` : ''}`,
  nak: (e) => `Refused ${e.ip} (NAK)`,
  release: (e) => `Released ${e.ip}`,
  decline: (e) => `Declined ${e.ip} (address in use?)`,
  inform: (e) => `DHCP inform from ${e.ip}`,
};

function blankRecord(mac: string): ClientRecord {
  return {
    mac,
    hostname: null,
    ip: null,
    firmware: null,
    arch: null,
    image: null,
    stage: ClientStage.Discovered,
    reached: ClientStage.Discovered,
    stageTimes: {},
    problem: null,
    firstSeen: null,
    lastSeen: null,
    bytes: 0,
    transfer: null,
    packagesDone: 0,
    packagesExpected: null,
    armed: false,
    oneShot: false,
    cycle: 1,
    rev: 0,
    log: [],
  };
}

/** A record being changed by one event: a mutable copy, committed once at the end. */
interface Draft {
  r: ClientRecord;
  /** Something that belongs on disk changed (not only bytes and rate). */
  persist: boolean;
  /** Something besides transfer progress changed: listeners hear it at once, not throttled. */
  significant: boolean;
  /** It was stalled before this event (the draft already cleared that: it was heard from). */
  wasStalled: boolean;
}

export class ClientTracker {
  private readonly records = new Map<string, ClientRecord>();
  private readonly byIp = new Map<string, string>();
  private readonly listeners = new Set<(changes: ClientChanges) => void>();
  private readonly store: ClientStore | null;
  private readonly now: () => number;
  private readonly timers: ClientTimers;
  private readonly throttleMs: number;
  private readonly stallCheckMs: number;
  private rev = 0;
  /** For the store: changed since the last save, and removed. */
  private readonly dirty = new Set<string>();
  private readonly gone = new Set<string>();
  /** For listeners: when each pending record is due, and when each was last sent. */
  private readonly pending = new Map<string, number>();
  private readonly pendingRemoved = new Set<string>();
  private readonly lastSent = new Map<string, number>();
  private notifyTimer: unknown = null;
  private notifyAt = Infinity;
  private stallTimer: unknown = null;
  private closed = false;

  /** Opens `<stateDir>/clients.json` (+ journal) and starts stall checks. */
  static open(stateDir: string, log: Log, options: Omit<ClientTrackerOptions, 'store' | 'log'> & { fileName?: string } = {}): ClientTracker {
    const store = new ClientStore(stateDir, log, options.fileName);
    const records = store.load();
    return new ClientTracker(records, { ...options, store, log });
  }

  constructor(
    initial: readonly ClientRecord[] = [],
    private readonly options: ClientTrackerOptions = {},
  ) {
    this.store = options.store ?? null;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? REAL_TIMERS;
    this.throttleMs = options.progressThrottleMs ?? DEFAULT_PROGRESS_THROTTLE_MS;
    this.stallCheckMs = options.stallCheckMs ?? DEFAULT_STALL_CHECK_MS;
    for (const r of initial) {
      this.records.set(r.mac, r);
      if (r.ip) this.byIp.set(r.ip, r.mac);
      this.rev = Math.max(this.rev, r.rev);
    }
    this.store?.setSource({
      snapshot: () => [...this.records.values()],
      takeChanges: () => {
        const changed = [...this.dirty].flatMap((m) => this.records.get(m) ?? []);
        const removed = [...this.gone];
        this.dirty.clear();
        this.gone.clear();
        return { changed, removed };
      },
    });
    this.scheduleStallCheck();
  }

  list(): ClientRecord[] {
    return [...this.records.values()];
  }

  get(mac: string): ClientRecord | undefined {
    const m = normalizeMac(mac);
    return m ? this.records.get(m) : undefined;
  }

  isArmed(mac: string): boolean {
    return this.get(mac)?.armed === true;
  }

  /** The MAC behind an address, from the leases seen (file transfers name the client only by address). */
  macForIp(ip: string): string | null {
    return this.byIp.get(ip) ?? null;
  }

  /**
   * Listeners get `{ snapshot }` at once, then `{ changed, removed }` batches. Returns the unsubscribe.
   */
  subscribe(listener: (changes: ClientChanges) => void): () => void {
    this.listeners.add(listener);
    listener({ snapshot: this.list() });
    return () => this.listeners.delete(listener);
  }

  /**
   * Apply one engine event. Resolves once whatever it changed that must survive a crash is on disk
   * (at once when nothing needed saving, or with no store).
   */
  observe(event: EngineEvent): Promise<void> {
    switch (event.type) {
      case 'lease':
        return this.onLease(event);
      case 'file':
        return this.onFile(event);
      case 'stage':
        return this.onStage(event);
      case 'arm':
        return this.onArmEvent(event);
      case 'pool': {
        const d = this.draft(event.mac, event.time);
        if (!d) return Promise.resolve();
        this.addLog(d, event.time, 'dhcp', 'error', `No free address in ${event.range}`);
        this.fail(d, 'server', event.time, {
          reason: `no free address in ${event.range}`,
          hint: 'Every address of the range is leased. Widen the range on the Network screen, or stop machines that no longer need one.',
        });
        return this.commit(d);
      }
      case 'ready':
      case 'error':
      case 'log':
      case 'stopped':
      case 'link':
        return Promise.resolve();
    }
  }

  /** Arm machines for install (records are made for MACs not seen yet). Resolves once on disk. */
  arm(macs: readonly string[], options: ArmOptions = {}): Promise<ClientRecord[]> {
    return this.setArmed(macs, true, options.oneShot === true, 'user');
  }

  disarm(macs: readonly string[]): Promise<ClientRecord[]> {
    return this.setArmed(macs, false, false, 'user');
  }

  /**
   * The session's --allow list: armed unless already armed. One-shot by default: a machine that finished
   * its install boots from its disk on the next reboot instead of installing again (the classic PXE loop).
   */
  armAllowList(macs: readonly string[], oneShot = true): Promise<ClientRecord[]> {
    const fresh = macs.filter((m) => !this.isArmed(m));
    return this.setArmed(fresh, true, oneShot, 'allow-list');
  }

  /** The number of packages this machine's install will fetch, when the session learns it. */
  expectPackages(mac: string, count: number): Promise<void> {
    const d = this.draft(mac, null);
    if (!d || !Number.isFinite(count) || count < 0) return Promise.resolve();
    if (d.r.packagesExpected === count) return Promise.resolve();
    d.r.packagesExpected = Math.round(count);
    d.persist = d.significant = true;
    return this.commit(d);
  }

  /** Forget machines that finished (or reported first boot) and are not armed any more. */
  async clearFinished(): Promise<string[]> {
    const removed: string[] = [];
    for (const r of this.records.values()) {
      // A machine still armed would reinstall on its next boot: keep it in sight.
      if (isDone(r.reached) && r.stage !== ClientStage.Failed && !r.armed) removed.push(r.mac);
    }
    for (const mac of removed) this.remove(mac);
    await this.save(removed.length > 0);
    return removed;
  }

  /** Look for stalled machines now (the timer does this every stallCheckMs). */
  checkStalls(): Promise<void> {
    const now = this.now();
    const saves: Promise<void>[] = [];
    for (const r of this.records.values()) {
      if (r.firstSeen === null || r.lastSeen === null || r.stage === ClientStage.Failed || r.stage === ClientStage.Stalled) continue;
      const limit = EXPECTED_STAGE_MS[r.reached];
      if (limit === null) continue;
      if (!r.armed && stageIndex(r.reached) < stageIndex(ClientStage.Kernel)) continue;
      const silent = now - Date.parse(r.lastSeen);
      if (!(silent > limit)) continue;
      const d = this.draft(r.mac, null)!;
      const at = new Date(now).toISOString();
      const text = stallProblem(r.reached, silent);
      d.r.stage = ClientStage.Stalled;
      d.r.problem = { kind: 'stalled', by: 'server', ...text, at };
      this.addLog(d, at, 'server', 'warn', `Stalled: ${text.reason}`);
      saves.push(this.commit(d));
    }
    return Promise.all(saves).then(() => {});
  }

  /** Send every pending change to listeners now (tests; shutdown). */
  flushChanges(): void {
    this.clearNotifyTimer();
    this.sendDue(Infinity);
  }

  /** Wait until every change so far is on disk. */
  async flush(): Promise<void> {
    if (this.dirty.size || this.gone.size) await this.store?.save();
    await this.store?.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.stallTimer !== null) this.timers.clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.flushChanges();
    await this.flush();
    this.listeners.clear();
  }

  // ---- events ----

  private onLease(e: LeaseEvent): Promise<void> {
    const d = this.draft(e.mac, e.time);
    if (!d) return Promise.resolve();
    const r = d.r;
    if (e.hostname && e.hostname !== r.hostname) {
      r.hostname = e.hostname;
      d.persist = true;
    }
    if (e.firmware && e.firmware !== r.firmware) {
      r.firmware = e.firmware;
      d.persist = true;
    }
    if (e.arch !== undefined && e.arch !== r.arch) r.arch = e.arch;
    const level = e.action === 'nak' || e.action === 'decline' ? 'warn' : 'info';
    this.addLog(d, e.time, 'dhcp', level, LEASE_TEXT[e.action](e));
    switch (e.action) {
      case 'discover': {
        const over = isDone(r.reached) || r.stage === ClientStage.Failed || d.wasStalled;
        if (over && r.armed) this.newCycle(d, e.time);
        else if (r.reached === ClientStage.Kernel || r.reached === ClientStage.Initrd) this.advance(d, ClientStage.InstallerStarted, e.time);
        this.advance(d, ClientStage.Discovered, e.time);
        break;
      }
      case 'ack':
        if (e.ip !== ZERO_IP) {
          this.setIp(r, e.ip);
          this.advance(d, ClientStage.Address, e.time);
        }
        break;
      case 'offer':
      case 'request':
        this.advance(d, ClientStage.Discovered, e.time);
        break;
      case 'nak':
      case 'decline':
      case 'release':
      case 'inform':
        break;
    }
    return this.commit(d);
  }

  private onFile(e: FileEvent): Promise<void> {
    const ip = e.client.replace(/:\d+$/, '');
    const mac = (e.mac ? normalizeMac(e.mac) : null) ?? this.byIp.get(ip) ?? null;
    if (!mac) return Promise.resolve(); // a file nobody we know asked for (a browser, curl): not a client
    const d = this.draft(mac, e.time);
    if (!d) return Promise.resolve();
    const r = d.r;
    if (!r.ip && ip && ip !== ZERO_IP) this.setIp(r, ip);
    if (e.image && e.image !== r.image) {
      r.image = e.image;
      d.persist = true;
    }
    const prevBytes = r.transfer?.active && r.transfer.path === e.path ? r.transfer.bytes : 0;
    r.transfer = {
      protocol: e.protocol,
      path: e.path,
      ...(e.role ? { role: e.role } : {}),
      bytes: e.bytes,
      ...(e.size !== undefined ? { size: e.size } : {}),
      rate: e.rate ?? 0,
      active: e.action === 'start' || e.action === 'progress',
    };
    r.bytes += Math.max(0, e.bytes - prevBytes);
    const role = e.role;
    switch (e.action) {
      case 'start':
        d.significant = true;
        // A package fetch would flood a 200-line log; the count says it.
        if (role !== FileRole.Package) this.addLog(d, e.time, e.protocol, 'info', `Sending ${e.path}${e.size !== undefined ? ` (${e.size} bytes)` : ''}`);
        if (role && INSTALLER_ROLES.has(role)) this.advance(d, ClientStage.InstallerStarted, e.time);
        if (role === FileRole.Answer) {
          this.advance(d, ClientStage.InstallerStarted, e.time);
          this.advance(d, ClientStage.AnswerFetched, e.time);
        }
        break;
      case 'progress':
        // Bytes and rate only: throttled, and not worth a disk write.
        break;
      case 'end':
        d.significant = true;
        d.persist = true;
        this.recover(d);
        if (role === FileRole.Package) r.packagesDone++;
        else this.addLog(d, e.time, e.protocol, 'info', `Sent ${e.path} (${e.bytes} bytes${e.durationMs !== undefined ? ` in ${(e.durationMs / 1000).toFixed(1)} s` : ''})`);
        if (role && LOADER_ROLES.has(role)) this.advance(d, ClientStage.Loader, e.time);
        else if (role === FileRole.Kernel) this.advance(d, ClientStage.Kernel, e.time);
        else if (role === FileRole.Initrd) this.advance(d, ClientStage.Initrd, e.time);
        else if (role && INSTALLER_ROLES.has(role)) this.advance(d, ClientStage.InstallerStarted, e.time);
        else if (role === FileRole.Answer) {
          this.advance(d, ClientStage.InstallerStarted, e.time);
          this.advance(d, ClientStage.AnswerFetched, e.time);
        }
        break;
      case 'error': {
        d.significant = true;
        const tsizeProbe = e.protocol === 'tftp' && e.bytes === 0 && /client sent error/i.test(e.error ?? '');
        if (tsizeProbe) {
          this.addLog(d, e.time, e.protocol, 'info', `${e.path}: the firmware read the size and closed the transfer (normal for PXE)`);
          break;
        }
        if (role && FATAL_ROLES.has(role)) {
          const text = transferFailure(e.protocol, role, e.path, e.error);
          this.addLog(d, e.time, e.protocol, 'error', text.reason);
          this.fail(d, 'server', e.time, text);
        } else {
          this.addLog(d, e.time, e.protocol, 'warn', `${e.path}: ${e.error ?? 'transfer failed'}`);
        }
        break;
      }
    }
    return this.commit(d);
  }

  private onStage(e: StageEvent): Promise<void> {
    const ip = e.client?.replace(/:\d+$/, '') ?? null;
    const mac = normalizeMac(e.mac) ?? (ip ? this.byIp.get(ip) : undefined) ?? null;
    if (!mac) {
      this.options.log?.warn(`progress callback "${e.stage}" from ${e.client ?? 'an unknown address'} names no known machine; ignored`);
      return Promise.resolve();
    }
    const d = this.draft(mac, e.time);
    if (!d) return Promise.resolve();
    const r = d.r;
    if (ip && !r.ip) this.setIp(r, ip);
    if (e.image && e.image !== r.image) r.image = e.image;
    d.significant = d.persist = true;
    const source = e.source === 'installer' ? 'installer' : 'server';
    const said = e.message ? `: ${e.message}` : '';
    switch (e.stage) {
      case 'failed': {
        this.addLog(d, e.time, source, 'error', `Install failed${said}`);
        // Finished is final for this cycle: a stray late error callback does not undo it.
        if (!isDone(r.reached)) this.fail(d, 'installer', e.time, installerFailure(e.message));
        break;
      }
      case 'installer-started':
      case 'answer-fetched':
      case 'installing':
      case 'post-install':
      case 'finished':
      case 'first-boot':
        this.recover(d);
        this.addLog(d, e.time, source, 'info', `${STAGE_WORDS[e.stage]}${said}`);
        if (e.stage === 'first-boot' && r.problem?.by === 'installer') this.clearProblem(d);
        this.advance(d, e.stage, e.time);
        if (e.stage === 'finished' && r.armed && r.oneShot) this.disarmOnFinish(d, e.time);
        break;
      case 'pre-install':
        this.recover(d);
        this.addLog(d, e.time, source, 'info', `Pre-install steps running${said}`);
        this.advance(d, ClientStage.Installing, e.time);
        break;
    }
    return this.commit(d);
  }

  private onArmEvent(e: ArmEvent): Promise<void> {
    const d = this.draft(e.mac, null);
    if (!d) return Promise.resolve();
    if (d.r.armed === e.armed && (e.armed || !d.r.oneShot)) return Promise.resolve();
    d.r.armed = e.armed;
    if (!e.armed) d.r.oneShot = false;
    d.persist = d.significant = true;
    this.addLog(d, e.time, 'server', 'info', e.armed ? `Armed for install (${e.reason})` : `Disarmed (${e.reason})`);
    return this.commit(d);
  }

  // ---- record changes ----

  /** A mutable copy of the record for `mac` (made if new); null for a malformed MAC. */
  private draft(mac: string, seenAt: string | null): Draft | null {
    const m = normalizeMac(mac);
    if (!m) return null;
    const old = this.records.get(m);
    const r: ClientRecord = old ? { ...old, stageTimes: { ...old.stageTimes }, log: old.log } : blankRecord(m);
    const d: Draft = { r, persist: !old, significant: !old, wasStalled: r.stage === ClientStage.Stalled };
    if (seenAt) {
      if (r.firstSeen === null) {
        r.firstSeen = seenAt;
        d.persist = d.significant = true;
      }
      r.lastSeen = seenAt;
      // Heard from again: not stalled any more.
      if (r.stage === ClientStage.Stalled) this.clearProblem(d);
    }
    return d;
  }

  private commit(d: Draft): Promise<void> {
    const r = d.r;
    r.rev = ++this.rev;
    this.records.set(r.mac, r);
    this.queueNotify(r.mac, d.significant);
    return this.save(d.persist, r.mac);
  }

  private save(persist: boolean, mac?: string): Promise<void> {
    if (!persist || !this.store) return Promise.resolve();
    if (mac) this.dirty.add(mac);
    return this.store.save().catch((err: unknown) => {
      this.options.log?.error(`cannot save client records: ${(err as Error).message}`);
      throw err;
    });
  }

  /** Move forward to `stage` if it is later than what was reached; never back. */
  private advance(d: Draft, stage: ReachedStage, time: string): void {
    const r = d.r;
    if (stageIndex(stage) <= stageIndex(r.reached) && r.stageTimes[r.reached] !== undefined) return;
    r.reached = stage;
    r.stageTimes[stage] = time;
    if (r.stage !== ClientStage.Failed) r.stage = stage;
    d.persist = d.significant = true;
  }

  private newCycle(d: Draft, time: string): void {
    const r = d.r;
    r.cycle++;
    r.reached = ClientStage.Discovered;
    r.stage = ClientStage.Discovered;
    r.stageTimes = {};
    r.problem = null;
    r.bytes = 0;
    r.transfer = null;
    r.packagesDone = 0;
    r.packagesExpected = null;
    d.persist = d.significant = true;
    this.addLog(d, time, 'server', 'info', `New install cycle (#${r.cycle}): armed and booting again`);
  }

  private fail(d: Draft, by: ClientProblem['by'], at: string, text: { reason: string; hint: string }): void {
    d.r.stage = ClientStage.Failed;
    d.r.problem = { kind: 'failed', by, ...text, at };
    d.persist = d.significant = true;
  }

  /** Progress after a server-seen failure (the firmware retried): the failure is over. */
  private recover(d: Draft): void {
    if (d.r.stage === ClientStage.Failed && d.r.problem?.by === 'server') this.clearProblem(d);
  }

  private clearProblem(d: Draft): void {
    d.r.problem = null;
    d.r.stage = d.r.reached;
    d.persist = d.significant = true;
  }

  private disarmOnFinish(d: Draft, time: string): void {
    d.r.armed = false;
    d.r.oneShot = false;
    this.addLog(d, time, 'server', 'info', 'Disarmed: one-shot install finished; it boots from its disk from now on');
    const event: ArmEvent = { type: 'arm', time, mac: d.r.mac, armed: false, reason: 'finished' };
    try {
      this.options.onArm?.(event);
    } catch (err) {
      this.options.log?.warn(`arm listener failed: ${(err as Error).message}`);
    }
  }

  private async setArmed(macs: readonly string[], armed: boolean, oneShot: boolean, reason: ArmEvent['reason']): Promise<ClientRecord[]> {
    const out: ClientRecord[] = [];
    const saves: Promise<void>[] = [];
    const time = new Date(this.now()).toISOString();
    for (const mac of macs) {
      const d = this.draft(mac, null);
      if (!d) continue;
      if (d.r.armed !== armed || (armed && d.r.oneShot !== oneShot)) {
        d.r.armed = armed;
        d.r.oneShot = armed && oneShot;
        d.persist = d.significant = true;
        this.addLog(d, time, 'server', 'info', armed ? `Armed for install${oneShot ? ' (one-shot)' : ''}` : 'Disarmed');
        try {
          this.options.onArm?.({ type: 'arm', time, mac: d.r.mac, armed, reason });
        } catch (err) {
          this.options.log?.warn(`arm listener failed: ${(err as Error).message}`);
        }
      }
      saves.push(this.commit(d));
      out.push(d.r);
    }
    await Promise.all(saves);
    return out;
  }

  private remove(mac: string): void {
    const r = this.records.get(mac);
    if (!r) return;
    this.records.delete(mac);
    if (r.ip && this.byIp.get(r.ip) === mac) this.byIp.delete(r.ip);
    this.dirty.delete(mac);
    this.gone.add(mac);
    this.pending.delete(mac);
    this.lastSent.delete(mac);
    this.pendingRemoved.add(mac);
    this.scheduleNotify(this.now());
  }

  private setIp(r: ClientRecord, ip: string): void {
    if (r.ip === ip) return;
    if (r.ip && this.byIp.get(r.ip) === r.mac) this.byIp.delete(r.ip);
    r.ip = ip;
    this.byIp.set(ip, r.mac);
  }

  private addLog(d: Draft, time: string, source: ClientLogEntry['source'], level: ClientLogEntry['level'], text: string): void {
    const log = d.r.log;
    const n = (log.at(-1)?.n ?? 0) + 1;
    const next = log.length >= MAX_CLIENT_LOG ? log.slice(log.length - MAX_CLIENT_LOG + 1) : log.slice();
    next.push({ n, time, source, level, text });
    d.r.log = next;
    d.persist = d.significant = true;
  }

  // ---- notifications ----

  private queueNotify(mac: string, significant: boolean): void {
    const now = this.now();
    const due = significant ? now : Math.max(now, (this.lastSent.get(mac) ?? -Infinity) + this.throttleMs);
    const old = this.pending.get(mac);
    if (old === undefined || due < old) this.pending.set(mac, due);
    this.scheduleNotify(this.pending.get(mac)!);
  }

  private scheduleNotify(at: number): void {
    if (this.closed || this.listeners.size === 0) {
      // Nobody listening: nothing to batch; keep the queue small.
      if (this.listeners.size === 0) {
        this.pending.clear();
        this.pendingRemoved.clear();
      }
      return;
    }
    if (this.notifyTimer !== null && this.notifyAt <= at) return;
    this.clearNotifyTimer();
    this.notifyAt = at;
    // A zero delay still batches a burst of events from one tick into one message.
    this.notifyTimer = this.timers.setTimeout(() => {
      this.notifyTimer = null;
      this.notifyAt = Infinity;
      this.sendDue(this.now());
    }, Math.max(0, at - this.now()));
  }

  private clearNotifyTimer(): void {
    if (this.notifyTimer !== null) this.timers.clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.notifyAt = Infinity;
  }

  private sendDue(now: number): void {
    const changed: ClientRecord[] = [];
    let next = Infinity;
    for (const [mac, due] of this.pending) {
      if (due <= now) {
        this.pending.delete(mac);
        const r = this.records.get(mac);
        if (r) {
          changed.push(r);
          this.lastSent.set(mac, this.now());
        }
      } else next = Math.min(next, due);
    }
    const removed = [...this.pendingRemoved];
    this.pendingRemoved.clear();
    if (changed.length || removed.length) {
      const batch: ClientChanges = { ...(changed.length ? { changed } : {}), ...(removed.length ? { removed } : {}) };
      for (const l of this.listeners) {
        try {
          l(batch);
        } catch (err) {
          this.options.log?.warn(`client listener failed: ${(err as Error).message}`);
        }
      }
    }
    if (next !== Infinity) this.scheduleNotify(next);
  }

  private scheduleStallCheck(): void {
    if (this.closed) return;
    this.stallTimer = this.timers.setTimeout(() => {
      this.stallTimer = null;
      this.checkStalls().catch(() => {});
      this.scheduleStallCheck();
    }, this.stallCheckMs);
  }
}

const STAGE_WORDS: Record<'installer-started' | 'answer-fetched' | 'installing' | 'post-install' | 'finished' | 'first-boot', string> = {
  'installer-started': 'Installer started',
  'answer-fetched': 'Answer file fetched',
  installing: 'Installing',
  'post-install': 'Post-install steps running',
  finished: 'Install finished',
  'first-boot': 'Booted the installed system',
};
