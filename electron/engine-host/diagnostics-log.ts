/**
 * The host's log ring: every engine log line (all levels) and every engine event but transfer progress
 * ticks, as LogLines (shared/diagnostics-log.ts), the last LOG_RING_SIZE of them. It also
 *   - gives a MAC to lines that lack one but name an address the machine was leased or fetched from
 *     (TFTP and HTTP lines know the client's address only), so the dashboard's per-MAC filter finds them;
 *   - counts what each service did (leases, transfers) for the dashboard's service cards;
 *   - batches new lines for the UI: one push per flush interval, not one per line (a busy install logs
 *     hundreds of lines a second at debug level).
 * Never imports electron.
 */
import { LOG_RING_SIZE, emptyCounters, eventLevel, eventMac, eventText, isLoggedEvent, type LogLine, type LogSnapshot, type ServiceCounters } from '../../shared/diagnostics-log';
import type { EngineEvent, LogLevel, Subsystem } from '../../shared/model/engine-event';

export interface EngineLogMessage {
  level: LogLevel;
  subsystem: Subsystem;
  message: string;
  mac?: string;
}

export interface DiagnosticsLogOptions {
  /** Lines kept; default LOG_RING_SIZE. */
  size?: number;
  /** Events kept for the diagnostics zip (raw, as JSON lines); default LOG_RING_SIZE. */
  eventSize?: number;
  /** How long new lines wait to be pushed together; default 200 ms. */
  flushMs?: number;
  /** Receives each batch of new lines with the counters as they are after it. */
  onFlush?: (lines: LogLine[], counters: ServiceCounters) => void;
}

/** A fixed-size ring: push is O(1), the oldest entry is overwritten once full. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }
  get length(): number {
    return this.count;
  }
  push(item: T): void {
    const at = (this.start + this.count) % this.capacity;
    this.items[at] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }
  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}

const IPV4_IN_TEXT = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
/** Addresses remembered for MAC lookup; a /16 of clients is far beyond any rack. */
const MAX_KNOWN_ADDRESSES = 4096;
const DEFAULT_FLUSH_MS = 200;

export class DiagnosticsLog {
  private readonly lines: Ring<LogLine>;
  private readonly events: Ring<EngineEvent>;
  private readonly macByIp = new Map<string, string>();
  private counters: ServiceCounters = emptyCounters();
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Lease events count as proxyDHCP while the session serves in proxy mode. */
  private dhcpMode: string | null = null;

  constructor(private readonly options: DiagnosticsLogOptions = {}) {
    this.lines = new Ring(options.size ?? LOG_RING_SIZE);
    this.events = new Ring(options.eventSize ?? LOG_RING_SIZE);
  }

  /** A line from the engine's (or the host's own) logger. */
  addLog(entry: EngineLogMessage): void {
    const mac = entry.mac ?? this.macInText(entry.message);
    this.append({ seq: ++this.seq, time: new Date().toISOString(), level: entry.level, tag: entry.subsystem, message: entry.message, ...(mac ? { mac } : {}) });
  }

  addEvent(event: EngineEvent): void {
    this.learn(event);
    this.count(event);
    if (!isLoggedEvent(event)) return;
    this.events.push(event);
    const mac = eventMac(event) ?? (event.type === 'file' ? this.macByIp.get(event.client.replace(/:\d+$/, '')) : undefined);
    const tag = event.type === 'log' || event.type === 'error' ? event.subsystem : 'EVENT';
    this.append({ seq: ++this.seq, time: event.time, level: eventLevel(event), tag, message: eventText(event), ...(mac ? { mac } : {}), event });
  }

  snapshot(): LogSnapshot {
    return { lines: this.lines.toArray(), counters: this.countersCopy() };
  }

  recentEvents(): EngineEvent[] {
    return this.events.toArray();
  }

  /** A new session: counters start again (the lines stay: they are the history). */
  resetCounters(dhcpMode: string | null): void {
    this.counters = emptyCounters();
    this.dhcpMode = dhcpMode;
  }

  /** Pushes what is pending now (tests, shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const batch = this.pending.length > this.lines.capacity ? this.pending.slice(-this.lines.capacity) : this.pending;
    this.pending = [];
    this.options.onFlush?.(batch, this.countersCopy());
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
  }

  private append(line: LogLine): void {
    this.lines.push(line);
    if (!this.options.onFlush) return;
    this.pending.push(line);
    // A burst bigger than the ring is sent as its newest part only, like the ring itself keeps it. Trimmed
    // at twice the ring, so a long burst costs one copy per ring's worth of lines, not one per line.
    if (this.pending.length >= 2 * this.lines.capacity) this.pending = this.pending.slice(-this.lines.capacity);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.flushMs ?? DEFAULT_FLUSH_MS);
      this.timer.unref?.();
    }
  }

  private macInText(message: string): string | undefined {
    for (const m of message.matchAll(IPV4_IN_TEXT)) {
      const mac = this.macByIp.get(m[0]);
      if (mac) return mac;
    }
    return undefined;
  }

  private remember(ip: string, mac: string): void {
    if (!ip || ip === '0.0.0.0') return;
    this.macByIp.delete(ip);
    this.macByIp.set(ip, mac);
    if (this.macByIp.size > MAX_KNOWN_ADDRESSES) {
      const oldest = this.macByIp.keys().next().value;
      if (oldest !== undefined) this.macByIp.delete(oldest);
    }
  }

  private learn(event: EngineEvent): void {
    if (event.type === 'lease' && (event.action === 'ack' || event.action === 'offer')) this.remember(event.ip, event.mac);
    else if (event.type === 'file' && event.mac) this.remember(event.client.replace(/:\d+$/, ''), event.mac);
    else if (event.type === 'stage' && event.client) this.remember(event.client, event.mac);
    else if (event.type === 'ready') this.resetCounters(event.dhcpMode);
  }

  private count(event: EngineEvent): void {
    const c = this.counters;
    switch (event.type) {
      case 'lease': {
        if (this.dhcpMode === 'proxy') {
          if (event.action === 'discover' || event.action === 'request') c.proxy.requests++;
          else if (event.action === 'offer') c.proxy.offers++;
          else if (event.action === 'ack') c.proxy.acks++;
          return;
        }
        if (event.action === 'discover') c.dhcp.discovers++;
        else if (event.action === 'offer') c.dhcp.offers++;
        else if (event.action === 'ack') c.dhcp.acks++;
        else if (event.action === 'nak') c.dhcp.naks++;
        return;
      }
      case 'pool':
        c.dhcp.poolExhausted++;
        return;
      case 'file': {
        const t = c[event.protocol];
        if (event.action === 'start') t.started++;
        else if (event.action === 'end') {
          t.completed++;
          t.bytes += event.bytes;
        } else if (event.action === 'error') t.failed++;
        return;
      }
      case 'error':
        c.errors[event.subsystem] = { time: event.time, message: event.error.message, hint: event.error.hint };
        return;
      default:
        return;
    }
  }

  private countersCopy(): ServiceCounters {
    const c = this.counters;
    return { dhcp: { ...c.dhcp }, proxy: { ...c.proxy }, tftp: { ...c.tftp }, http: { ...c.http }, ftp: { ...c.ftp }, errors: { ...c.errors } };
  }
}
