/**
 * FileEvents for one streamed transfer (an HTTP response body, an FTP RETR): start, progress at most every
 * HTTP_PROGRESS_INTERVAL_MS, then exactly one end or error. Shared by the HTTP and FTP servers so the client
 * view sees the same shape from both; TFTP has its own (its bytes are counted in acknowledged blocks).
 */
import { nowIso, type FileEvent } from '../../../shared/model/engine-event';

/** The UI redraws about twice a second; more events would only cost IPC and JSON lines. */
export const HTTP_PROGRESS_INTERVAL_MS = 500;

export interface TransferReportParams {
  protocol: 'http' | 'ftp';
  /** "ip:port" of the client. */
  client: string;
  path: string;
  /** Bytes this transfer will send (a Range's length, or what is left after an FTP REST). */
  size: number;
  emit: (event: FileEvent) => void;
  /** Injectable clock (ms) for tests. */
  now?: () => number;
  progressIntervalMs?: number;
}

export class TransferReport {
  private readonly startedAt: number;
  private lastProgressAt: number;
  private finished = false;
  private readonly now: () => number;
  private readonly interval: number;
  bytes = 0;

  constructor(private readonly p: TransferReportParams) {
    this.now = p.now ?? (() => performance.now());
    this.interval = p.progressIntervalMs ?? HTTP_PROGRESS_INTERVAL_MS;
    this.startedAt = this.now();
    this.lastProgressAt = this.startedAt;
    this.event('start');
  }

  /** Adds bytes sent; emits a progress event when the interval has passed since the last one. */
  add(n: number): void {
    if (this.finished) return;
    this.bytes += n;
    const t = this.now();
    if (t - this.lastProgressAt >= this.interval && this.bytes < this.p.size) {
      this.lastProgressAt = t;
      this.event('progress');
    }
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.event('end');
  }

  fail(error: string): void {
    if (this.finished) return;
    this.finished = true;
    this.event('error', error);
  }

  get done(): boolean {
    return this.finished;
  }

  private event(action: FileEvent['action'], error?: string): void {
    const durationMs = Math.max(0, Math.round(this.now() - this.startedAt));
    this.p.emit({
      type: 'file',
      time: nowIso(),
      protocol: this.p.protocol,
      action,
      client: this.p.client,
      path: this.p.path,
      size: this.p.size,
      bytes: this.bytes,
      rate: durationMs > 0 ? Math.round((this.bytes * 1000) / durationMs) : 0,
      durationMs,
      ...(error !== undefined ? { error } : {}),
    });
  }
}

/** "ip:port" with IPv4-mapped IPv6 addresses ("::ffff:10.0.0.5") shown as plain IPv4. */
export function clientLabel(address: string | undefined, port: number | undefined): string {
  return `${plainAddress(address)}:${port ?? 0}`;
}

export function plainAddress(address: string | undefined): string {
  const a = address ?? '?';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
