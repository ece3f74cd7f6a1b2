/**
 * Where DHCP leases live between runs, in the state folder:
 *
 * - `leases.json`: a whole snapshot, written atomically (temp file, fsync, rename, fsync of the folder) so a crash
 *   or kill -9 leaves either the old or the new file, never half of one. Its `seq` says which journal entries it
 *   already holds.
 * - `leases.journal`: one JSON line per lease change since that snapshot (`seq`, the lease, or `removed`),
 *   appended and fdatasync'ed. Replayed over the snapshot on load; a torn last line (crash mid-append) is ignored.
 *
 * Why both: rewriting the whole file for every batch of ACKs kept a CPU busy serializing every lease at a few
 * hundred ACKs a second (bench/dhcp). An append writes only what changed. The first write after start, and every
 * write once the journal holds more lines than max(1000, 2 x leases), is a snapshot instead (compaction), after
 * which the journal is emptied.
 *
 * Saves are coalesced: while one write runs, later requests share the next one (group commit), so a burst of
 * ACKs costs two writes, not hundreds, and each ACK still goes out only after its lease is on disk.
 */
import { readFileSync } from 'node:fs';
import { open, rename, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log';
import { GroupCommit, readSnapshot } from '../files/snapshot-journal';

export const LEASE_FILE_NAME = 'leases.json';
export const LEASE_JOURNAL_NAME = 'leases.journal';
/** Compact once the journal has more lines than this, or twice the number of leases if that is more. */
const COMPACT_MIN_LINES = 1000;
const FORMAT = 'fieldboot-leases';
const VERSION = 1;

export type LeaseState = 'offered' | 'bound' | 'released' | 'declined';

/** One lease as persisted. Times are ms since the epoch in memory, ISO text in the file. */
export interface LeaseRecord {
  ip: string;
  mac: string;
  /** Option 61 as hex, when the client sent one. */
  clientId?: string;
  hostname?: string;
  state: LeaseState;
  expiresAt: number;
}

interface LeaseFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The last journal entry this snapshot includes (absent in files from before the journal: 0). */
  seq?: number;
  leases: { ip: string; mac: string; clientId?: string; hostname?: string; state: LeaseState; expires: string }[];
}

const STATES: readonly LeaseState[] = ['offered', 'bound', 'released', 'declined'];
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

type PersistedLease = LeaseFile['leases'][number];

export class LeaseStore {
  readonly path: string;
  readonly journalPath: string;
  /** The last journal sequence number written or read. */
  private seq = 0;
  /** What the disk holds now (snapshot + journal), by address: the base of the next append's diff. */
  private persisted = new Map<string, LeaseRecord>();
  private journalLines = 0;
  private journalExists = false;
  /** Start with a snapshot: it drops a torn journal tail and anything replayed. Also after a failed append. */
  private needsCompaction = true;
  private readonly commits = new GroupCommit(
    () => this.writeBatch(),
    // A failed append may have left half a line: start over from a snapshot.
    () => (this.needsCompaction = true),
  );
  private snapshot: () => LeaseRecord[] = () => [];
  private changes: (() => LeaseChanges) | null = null;

  constructor(
    readonly stateDir: string,
    private readonly log: Log,
  ) {
    this.path = join(stateDir, LEASE_FILE_NAME);
    this.journalPath = join(stateDir, LEASE_JOURNAL_NAME);
  }

  /** The snapshot, then the journal's later entries on top. Read-only: safe on a folder a server is using. */
  load(): LeaseRecord[] {
    const byIp = new Map<string, LeaseRecord>();
    for (const r of this.loadSnapshot()) byIp.set(r.ip, r);
    const base = this.seq;
    let text = '';
    try {
      text = readFileSync(this.journalPath, 'utf8');
      this.journalExists = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot read ${this.journalPath} (${(err as Error).message}); using the snapshot only`);
    }
    const lines = text.split('\n');
    const last = lines.length - 1; // after the final newline: '' unless the last append was torn
    let bad = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        if (i !== last) bad++;
        continue;
      }
      const e = entry as { seq?: unknown; ip?: unknown; removed?: unknown };
      if (typeof e.seq !== 'number' || typeof e.ip !== 'string') {
        bad++;
        continue;
      }
      this.journalLines++;
      if (e.seq <= base) continue; // already in the snapshot (crash between snapshot and journal reset)
      this.seq = Math.max(this.seq, e.seq);
      if (e.removed === true) byIp.delete(e.ip);
      else {
        const r = toRecord(entry);
        if (r) byIp.set(r.ip, r);
        else bad++;
      }
    }
    if (bad) this.log.warn(`${this.journalPath}: skipped ${bad} unreadable journal lines`);
    this.persisted = byIp;
    return [...byIp.values()];
  }

  /**
   * Read the file. Missing: no leases. Unreadable or corrupt: a warning, the file is moved aside
   * (`leases.json.corrupt-<time>`, so nothing is lost for a post-mortem) and serving starts with no leases.
   */
  private loadSnapshot(): LeaseRecord[] {
    const { records, seq } = readSnapshot(this.path, { format: FORMAT, version: VERSION, listKey: 'leases', what: 'leases' }, toRecord, this.log);
    if (seq > 0) this.seq = seq;
    return records;
  }

  /** What `save` writes: called at write time, so a coalesced write holds the latest state. */
  setSnapshot(snapshot: () => LeaseRecord[]): void {
    this.snapshot = snapshot;
  }

  /**
   * Optional: what changed since the last call (the pool's takeChanges). Without it, each append compares the whole
   * snapshot with what is on disk, which costs O(leases) per batch.
   */
  setChanges(changes: () => LeaseChanges): void {
    this.changes = changes;
  }

  /** Resolves once a write that started after this call is on disk. */
  save(): Promise<void> {
    return this.commits.save();
  }

  /** Waits for pending writes (stop()). */
  flush(): Promise<void> {
    return this.commits.flush();
  }

  /** Appends what changed, or rewrites the snapshot when the journal has grown (or a write failed). */
  private writeBatch(): Promise<void> {
    const compact = this.needsCompaction || this.journalLines > Math.max(COMPACT_MIN_LINES, 2 * this.persisted.size);
    return compact ? this.compact() : this.append();
  }

  /** A whole snapshot, then an empty journal. The snapshot is durable before the journal is cut. */
  private async compact(): Promise<void> {
    this.changes?.(); // the snapshot holds them all
    const records = this.snapshot().filter(isPersisted);
    const persisted = new Map<string, LeaseRecord>();
    for (const r of records) persisted.set(r.ip, r);
    await writeAtomic(this.path, serialize(records, this.seq));
    if (this.journalExists) {
      await truncate(this.journalPath, 0).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    this.persisted = persisted;
    this.journalLines = 0;
    this.needsCompaction = false;
  }

  /** The changes since the last write, as journal lines, appended and synced. */
  private async append(): Promise<void> {
    const lines: string[] = [];
    const persisted = this.persisted;
    const upsert = (r: LeaseRecord) => {
      const old = persisted.get(r.ip);
      if (old && sameRecord(old, r)) return;
      persisted.set(r.ip, r);
      lines.push(JSON.stringify({ seq: ++this.seq, ...persistedForm(r) }));
    };
    const remove = (ip: string) => {
      if (!persisted.delete(ip)) return;
      lines.push(JSON.stringify({ seq: ++this.seq, ip, removed: true }));
    };
    if (this.changes) {
      const { changed, removed } = this.changes();
      for (const r of changed) {
        if (isPersisted(r)) upsert(r);
        else remove(r.ip);
      }
      for (const ip of removed) remove(ip);
    } else {
      const records = this.snapshot().filter(isPersisted);
      const now = new Set(records.map((r) => r.ip));
      for (const r of records) upsert(r);
      for (const ip of [...persisted.keys()]) if (!now.has(ip)) remove(ip);
    }
    // `persisted` already says what the disk will hold; if this write fails, the next one is a full snapshot.
    if (lines.length === 0) return;
    const creating = !this.journalExists;
    // Opened per batch (O_APPEND): a folder removed under us fails the save, as the snapshot write would.
    const fh = await open(this.journalPath, 'a', 0o644);
    try {
      await fh.write(lines.join('\n') + '\n');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (creating) {
      await syncFolder(this.journalPath);
      this.journalExists = true;
    }
    this.journalLines += lines.length;
  }
}

export interface LeaseChanges {
  changed: LeaseRecord[];
  /** Addresses with no lease any more. */
  removed: string[];
}

/** Offers are short-lived: memory only. */
function isPersisted(r: LeaseRecord): boolean {
  return r.state !== 'offered';
}

function persistedForm(r: LeaseRecord): PersistedLease {
  return {
    ip: r.ip,
    mac: r.mac,
    ...(r.clientId ? { clientId: r.clientId } : {}),
    ...(r.hostname ? { hostname: r.hostname } : {}),
    state: r.state,
    expires: new Date(r.expiresAt).toISOString(),
  };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return a.mac === b.mac && a.state === b.state && a.expiresAt === b.expiresAt && a.clientId === b.clientId && a.hostname === b.hostname;
}

function serialize(records: LeaseRecord[], seq: number): string {
  const file: LeaseFile = { format: FORMAT, version: VERSION, ...(seq ? { seq } : {}), leases: records.map(persistedForm) };
  return JSON.stringify(file, null, 1) + '\n';
}

function toRecord(x: unknown): LeaseRecord | null {
  if (!x || typeof x !== 'object') return null;
  const l = x as Record<string, unknown>;
  if (typeof l.ip !== 'string' || !IP_RE.test(l.ip)) return null;
  if (typeof l.mac !== 'string' || l.mac.length === 0) return null;
  if (typeof l.state !== 'string' || !STATES.includes(l.state as LeaseState)) return null;
  const expiresAt = typeof l.expires === 'string' ? Date.parse(l.expires) : NaN;
  if (!Number.isFinite(expiresAt)) return null;
  return {
    ip: l.ip,
    mac: l.mac,
    ...(typeof l.clientId === 'string' && /^[0-9a-f]+$/.test(l.clientId) ? { clientId: l.clientId } : {}),
    ...(typeof l.hostname === 'string' && l.hostname ? { hostname: l.hostname } : {}),
    state: l.state as LeaseState,
    expiresAt,
  };
}

/** Write temp + fsync + rename + fsync(dir): the POSIX recipe for a file that is always whole. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncFolder(path);
}

/** Make a rename or a new file's name durable. Windows cannot open a folder; there it is as good as it gets. */
async function syncFolder(path: string): Promise<void> {
  try {
    const dir = await open(join(path, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* not supported on this platform */
  }
}
