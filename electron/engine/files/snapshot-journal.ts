/**
 * What the lease store and the client-record store share: both keep a whole snapshot (written atomically)
 * plus an append-only journal, read the snapshot back with the same checks, set an unusable file aside
 * for a post-mortem instead of failing, and group writes so many changes in a burst cost one fdatasync.
 */
import { readFileSync, renameSync } from 'node:fs';
import type { Log } from '../log';

export interface SnapshotFormat {
  /** The file's "format" field ("fieldboot-leases"). */
  format: string;
  version: number;
  /** The array field holding the entries ("leases", "clients"). */
  listKey: string;
  /** Plural noun for log lines ("leases", "client records"). */
  what: string;
}

/** Moves an unusable file aside (`<file>.corrupt-<time>`) so nothing is lost, and says so. */
export function setAside(path: string, why: string, what: string, log: Log): void {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    log.warn(`${path} is unusable (${why}); moved to ${aside}, starting with no ${what}`);
  } catch (err) {
    log.warn(`${path} is unusable (${why}) and could not be moved aside (${(err as Error).message}); starting with no ${what}`);
  }
}

/**
 * Reads a snapshot file. Missing: no entries. Unreadable: a warning. Not JSON, another format or version:
 * set aside. Entries `toRecord` refuses are skipped with a warning. `seq` is the journal position the
 * snapshot covers (0 when absent).
 */
export function readSnapshot<T>(path: string, f: SnapshotFormat, toRecord: (raw: unknown) => T | null, log: Log): { records: T[]; seq: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`cannot read ${path} (${(err as Error).message}); starting with no ${f.what}`);
    return { records: [], seq: 0 };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    setAside(path, `not JSON: ${(err as Error).message}`, f.what, log);
    return { records: [], seq: 0 };
  }
  const file = parsed as Record<string, unknown> | null;
  const list = file && typeof file === 'object' ? file[f.listKey] : undefined;
  if (!file || typeof file !== 'object' || file.format !== f.format || !Array.isArray(list)) {
    setAside(path, `not a FieldBoot ${f.what} file`, f.what, log);
    return { records: [], seq: 0 };
  }
  if (file.version !== f.version) {
    setAside(path, `${f.what} file version ${String(file.version)}, this build reads ${f.version}`, f.what, log);
    return { records: [], seq: 0 };
  }
  const seq = typeof file.seq === 'number' && Number.isSafeInteger(file.seq) && file.seq > 0 ? file.seq : 0;
  const records: T[] = [];
  let skipped = 0;
  for (const raw of list as unknown[]) {
    const r = toRecord(raw);
    if (r) records.push(r);
    else skipped++;
  }
  if (skipped) log.warn(`${path}: skipped ${skipped} unreadable ${f.what}`);
  return { records, seq };
}

/**
 * Group commit: save() resolves once a write that started after the call is on disk. While one write runs,
 * every save() joins the next one, so a burst of changes costs one write. `write` decides what to write
 * (append or compact) at the time it runs, so a coalesced write holds the latest state; `onFailure` runs
 * when a write fails (a failed append may have left half a line: the store compacts next time).
 */
export class GroupCommit {
  private writing: Promise<void> | null = null;
  private waiting: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly onFailure: () => void = () => {},
  ) {}

  save(): Promise<void> {
    if (!this.waiting) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiting = { promise, resolve, reject };
    }
    const p = this.waiting.promise;
    if (!this.writing) this.startWrite();
    return p;
  }

  /** Waits for every pending write. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => {});
  }

  private startWrite(): void {
    const batch = this.waiting;
    this.waiting = null;
    if (!batch) return;
    this.writing = this.write()
      .then(batch.resolve, (err: unknown) => {
        this.onFailure();
        batch.reject(err);
      })
      .finally(() => {
        this.writing = null;
        if (this.waiting) this.startWrite();
      });
  }
}
