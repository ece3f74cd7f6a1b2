/**
 * The dashboard's log: the engine's log lines and its events, as one stream of lines with a level and,
 * where known, the MAC they concern. Kept by the host (a ring, electron/engine-host/diagnostics-log.ts),
 * pushed to the UI in batches, written into the diagnostics zip. Pure: used by main and renderer.
 */
import type { EngineEvent, LogLevel, Subsystem } from './model/engine-event';

/** Lines the host keeps and the dashboard shows (oldest go first): a few busy installs' worth. */
export const LOG_RING_SIZE = 5000;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Does a line at `level` pass a filter showing `min` and above? */
export function atLeast(level: LogLevel, min: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[min];
}

export interface LogLine {
  /** Increasing per host process: the UI merges the history it asked for with pushes by it. */
  seq: number;
  time: string;
  level: LogLevel;
  /** Subsystem tag (DHCP, TFTP, ...), or the event's kind for events (LEASE, FILE, STAGE...). */
  tag: Subsystem | 'EVENT';
  message: string;
  /** Lower-case colon form, when the line concerns one machine (given, or learnt from its address). */
  mac?: string;
  /** Set for lines that are engine events: the UI describes them in its own words. */
  event?: EngineEvent;
}

/** Per-service counters the host derives from events (the dashboard's service cards). */
export interface ServiceCounters {
  /** DHCP (full) or proxyDHCP, by what the server did. */
  dhcp: { discovers: number; offers: number; acks: number; naks: number; poolExhausted: number };
  /** Client packets seen (discover and request) and boot answers sent. */
  proxy: { requests: number; offers: number; acks: number };
  tftp: TransferCounters;
  http: TransferCounters;
  ftp: TransferCounters;
  /** The last error each subsystem reported while serving (ErrorEvent), with its time. */
  errors: Partial<Record<Subsystem, { time: string; message: string; hint: string }>>;
}

export interface TransferCounters {
  started: number;
  completed: number;
  failed: number;
  /** Bytes of completed transfers. */
  bytes: number;
}

export function emptyCounters(): ServiceCounters {
  const t = (): TransferCounters => ({ started: 0, completed: 0, failed: 0, bytes: 0 });
  return { dhcp: { discovers: 0, offers: 0, acks: 0, naks: 0, poolExhausted: 0 }, proxy: { requests: 0, offers: 0, acks: 0 }, tftp: t(), http: t(), ftp: t(), errors: {} };
}

/** What the dashboard loads on connect: the host's ring and counters (then follows the `log` push). */
export interface LogSnapshot {
  lines: LogLine[];
  counters: ServiceCounters;
}

/** Events in the log: every one but transfer progress ticks, which would flood it. */
export function isLoggedEvent(event: EngineEvent): boolean {
  return !(event.type === 'file' && event.action === 'progress');
}

/** The level an event is shown at: problems as warn/error, the rest info. */
export function eventLevel(event: EngineEvent): LogLevel {
  switch (event.type) {
    case 'error':
      return 'error';
    case 'pool':
      return 'error';
    case 'log':
      return event.level;
    case 'lease':
      return event.action === 'nak' || event.action === 'decline' ? 'warn' : 'info';
    case 'file':
      return event.action === 'error' ? 'warn' : 'info';
    case 'stage':
      return event.stage === 'failed' ? 'error' : 'info';
    case 'ready':
    case 'stopped':
    case 'arm':
      return 'info';
    case 'link':
      return event.state === 'up' ? 'info' : 'warn';
  }
}

/** The MAC an event is about, when it names one. */
export function eventMac(event: EngineEvent): string | undefined {
  switch (event.type) {
    case 'lease':
    case 'stage':
    case 'arm':
    case 'pool':
      return event.mac;
    case 'file':
    case 'log':
      return event.mac;
    case 'error':
    case 'ready':
    case 'stopped':
    case 'link':
      return undefined;
  }
}

/** A plain one-line text for an event (the zip's log.txt; the UI has its own wording). */
export function eventText(event: EngineEvent): string {
  switch (event.type) {
    case 'lease':
      return `lease ${event.action} ${event.ip}${event.bootFile ? ` boot ${event.bootFile}` : ''}`;
    case 'file':
      return `${event.protocol} ${event.action} ${event.path} from ${event.client} (${event.bytes} bytes${event.error ? `: ${event.error}` : ''})`;
    case 'stage':
      return `stage ${event.stage} (${event.source})${event.message ? `: ${event.message}` : ''}`;
    case 'arm':
      return `${event.armed ? 'armed' : 'disarmed'} (${event.reason})`;
    case 'pool':
      return `no free address in ${event.range}`;
    case 'error':
      return `${event.error.code}: ${event.error.message} ${event.error.hint}`.trim();
    case 'log':
      return event.message;
    case 'ready':
      return `serving on ${event.interface} (${event.serverIp}/${event.prefix}), DHCP ${event.dhcpMode}: ${event.services.map((s) => `${s.name} ${s.address}:${s.port}`).join(', ')}`;
    case 'stopped':
      return `stopped: ${event.reason}`;
    case 'link':
      return `link ${event.interface} ${event.state}: ${event.detail}`;
  }
}

/** Six hex pairs with ':' '-' or '.' between them (or none): any way a MAC is written in a log line. */
const MAC_IN_TEXT = /\b[0-9a-f]{2}(?:[:-]?[0-9a-f]{2}){5}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b/gi;

/** Hex digits only, lower case: the one form MACs are compared in. */
export function macHex(text: string): string {
  return text.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}

/**
 * The filter text as MAC hex digits, or null when it is not a MAC (or part of one): "AA-BB-CC", "aabb.cc",
 * "aa:bb:cc:dd:ee:ff" all work. Null also for the empty text (no filter).
 */
export function macQuery(text: string): string | null {
  const t = text.trim();
  if (!t || !/^[0-9a-fA-F:.\s-]+$/.test(t)) return null;
  const hex = macHex(t);
  return hex.length > 0 && hex.length <= 12 ? hex : null;
}

/** Does the line concern a MAC containing `query` (from macQuery)? Its own MAC, or one written in its text. */
export function lineConcernsMac(line: Pick<LogLine, 'mac' | 'message'>, query: string): boolean {
  if (line.mac && macHex(line.mac).includes(query)) return true;
  for (const m of line.message.matchAll(MAC_IN_TEXT)) if (macHex(m[0]).includes(query)) return true;
  return false;
}
