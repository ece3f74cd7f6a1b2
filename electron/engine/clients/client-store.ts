/**
 * Where client records live between runs, in the state folder (the same recipe as servers/lease-store.ts):
 *
 * - `clients.json`: a whole snapshot, written atomically (temp file, fsync, rename, fsync of the folder). Its
 *   `seq` says which journal entries it already holds.
 * - `clients.journal`: one JSON line per changed record since that snapshot, appended and fdatasync'ed:
 *   the record without its log, plus only the log lines it gained (`log`), or `removed`. Replayed over the
 *   snapshot on load; a torn last line (kill -9 mid-append) is ignored.
 *
 * Why log deltas: a record's log holds up to 200 lines, and 200 machines each change a dozen times an
 * install; whole records per line would write megabytes for a few new lines. The snapshot is rewritten on
 * the first save after start and once the journal passes max(1000, 4 x records) lines (compaction).
 *
 * Saves are coalesced (group commit): while one write runs, later requests share the next, and each
 * caller's promise resolves only once its change is on disk. That is what "acknowledged" means for the
 * progress endpoint and for arming: the reply goes out after the write.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientStage, MAX_CLIENT_LOG, type ClientLogEntry, type ClientRecord } from '../../../shared/model/client-record';
import { ALL_CLIENT_STAGES, isReachedStage } from '../../../shared/clients/client-stages';
import type { Log } from '../log';
import { GroupCommit, readSnapshot } from '../files/snapshot-journal';
import { writeAtomic } from '../servers/lease-store';

export const CLIENT_FILE_NAME = 'clients.json';
export const CLIENT_JOURNAL_NAME = 'clients.journal';
const COMPACT_MIN_LINES = 1000;
const FORMAT = 'fieldboot-clients';
const VERSION = 1;

interface ClientFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  seq: number;
  clients: ClientRecord[];
}

/** What changed since the last save, as the tracker hands it over. */
export interface ClientChangesForStore {
  changed: ClientRecord[];
  removed: string[];
}

export interface ClientStoreSource {
  snapshot(): ClientRecord[];
  /** Records changed and MACs removed since the last call (the tracker's dirty sets, emptied). */
  takeChanges(): ClientChangesForStore;
}

export class ClientStore {
  readonly path: string;
  readonly journalPath: string;
  private seq = 0;
  /** The last log line number on disk per MAC: the next append writes only lines after it. */
  private persistedLogN = new Map<string, number>();
  private journalLines = 0;
  private journalExists = false;
  private needsCompaction = true;
  private readonly commits = new GroupCommit(
    () => this.writeBatch(),
    // A failed append may have left half a line: start over from a snapshot.
    () => (this.needsCompaction = true),
  );
  private source: ClientStoreSource = { snapshot: () => [], takeChanges: () => ({ changed: [], removed: [] }) };

  constructor(
    readonly stateDir: string,
    private readonly log: Log,
    fileName = CLIENT_FILE_NAME,
  ) {
    this.path = join(stateDir, fileName);
    this.journalPath = join(stateDir, fileName.replace(/\.json$/, '') + '.journal');
  }

  setSource(source: ClientStoreSource): void {
    this.source = source;
  }

  /** Snapshot, then the journal's later lines on top. A missing folder or file is no clients. */
  load(): ClientRecord[] {
    const byMac = new Map<string, ClientRecord>();
    for (const r of this.loadSnapshot()) byMac.set(r.mac, r);
    const base = this.seq;
    let text = '';
    try {
      text = readFileSync(this.journalPath, 'utf8');
      this.journalExists = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot read ${this.journalPath} (${(err as Error).message}); using the snapshot only`);
    }
    const lines = text.split('\n');
    const last = lines.length - 1;
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
      const e = entry as { seq?: unknown; mac?: unknown; removed?: unknown; record?: unknown; log?: unknown };
      if (typeof e.seq !== 'number' || typeof e.mac !== 'string') {
        bad++;
        continue;
      }
      this.journalLines++;
      if (e.seq <= base) continue; // already in the snapshot (crash between snapshot and journal cut)
      this.seq = Math.max(this.seq, e.seq);
      if (e.removed === true) {
        byMac.delete(e.mac);
        continue;
      }
      const old = byMac.get(e.mac);
      const added = Array.isArray(e.log) ? e.log.filter(isLogEntry) : [];
      const lastN = old?.log.at(-1)?.n ?? 0;
      const log = [...(old?.log ?? []), ...added.filter((l) => l.n > lastN)].slice(-MAX_CLIENT_LOG);
      const r = toRecord({ ...(e.record as object), log });
      if (r) byMac.set(r.mac, r);
      else bad++;
    }
    if (bad) this.log.warn(`${this.journalPath}: skipped ${bad} unreadable journal lines`);
    for (const r of byMac.values()) this.persistedLogN.set(r.mac, r.log.at(-1)?.n ?? 0);
    return [...byMac.values()];
  }

  private loadSnapshot(): ClientRecord[] {
    const { records, seq } = readSnapshot(this.path, { format: FORMAT, version: VERSION, listKey: 'clients', what: 'client records' }, toRecord, this.log);
    if (seq > 0) this.seq = seq;
    return records;
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
    const compact = this.needsCompaction || this.journalLines > Math.max(COMPACT_MIN_LINES, 4 * this.persistedLogN.size);
    return compact ? this.compact() : this.append();
  }

  private async compact(): Promise<void> {
    this.source.takeChanges(); // the snapshot holds them all
    const records = this.source.snapshot();
    const file: ClientFile = { format: FORMAT, version: VERSION, seq: this.seq, clients: records };
    // The app may arm a machine before any session created the state folder.
    await mkdir(this.stateDir, { recursive: true });
    await writeAtomic(this.path, JSON.stringify(file) + '\n');
    if (this.journalExists) {
      await truncate(this.journalPath, 0).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    this.persistedLogN = new Map(records.map((r) => [r.mac, r.log.at(-1)?.n ?? 0]));
    this.journalLines = 0;
    this.needsCompaction = false;
  }

  private async append(): Promise<void> {
    const { changed, removed } = this.source.takeChanges();
    const lines: string[] = [];
    for (const r of changed) {
      const lastN = this.persistedLogN.get(r.mac) ?? 0;
      const { log, ...rest } = r;
      lines.push(JSON.stringify({ seq: ++this.seq, mac: r.mac, record: rest, log: log.filter((l) => l.n > lastN) }));
      this.persistedLogN.set(r.mac, log.at(-1)?.n ?? lastN);
    }
    for (const mac of removed) {
      if (!this.persistedLogN.delete(mac)) continue;
      lines.push(JSON.stringify({ seq: ++this.seq, mac, removed: true }));
    }
    if (lines.length === 0) return;
    const creating = !this.journalExists;
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

async function syncFolder(path: string): Promise<void> {
  try {
    const dir = await open(join(path, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* Windows cannot open a folder */
  }
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const STAGES: ReadonlySet<string> = new Set(ALL_CLIENT_STAGES);
const LOG_SOURCES: ReadonlySet<string> = new Set(['dhcp', 'tftp', 'http', 'ftp', 'installer', 'server']);
const LOG_LEVELS: ReadonlySet<string> = new Set(['info', 'warn', 'error']);

function isLogEntry(x: unknown): x is ClientLogEntry {
  if (!x || typeof x !== 'object') return false;
  const l = x as Record<string, unknown>;
  return typeof l.n === 'number' && typeof l.time === 'string' && typeof l.text === 'string' && LOG_SOURCES.has(String(l.source)) && LOG_LEVELS.has(String(l.level));
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

/** A record read back from disk, checked field by field; null when its key fields are unusable. */
export function toRecord(x: unknown): ClientRecord | null {
  if (!x || typeof x !== 'object') return null;
  const r = x as Record<string, unknown>;
  if (typeof r.mac !== 'string' || !MAC_RE.test(r.mac)) return null;
  if (typeof r.stage !== 'string' || !STAGES.has(r.stage)) return null;
  if (typeof r.reached !== 'string' || !isReachedStage(r.reached)) return null;
  const stageTimes: ClientRecord['stageTimes'] = {};
  if (r.stageTimes && typeof r.stageTimes === 'object') {
    for (const [k, v] of Object.entries(r.stageTimes)) if (isReachedStage(k) && typeof v === 'string') stageTimes[k] = v;
  }
  const p = r.problem as Record<string, unknown> | null | undefined;
  const problem: ClientRecord['problem'] =
    p && typeof p === 'object' && (p.kind === 'failed' || p.kind === 'stalled') && typeof p.reason === 'string'
      ? { kind: p.kind, by: p.by === 'installer' ? 'installer' : 'server', reason: p.reason, hint: String(p.hint ?? ''), at: String(p.at ?? '') }
      : null;
  const t = r.transfer as Record<string, unknown> | null | undefined;
  const transfer: ClientRecord['transfer'] =
    t && typeof t === 'object' && (t.protocol === 'tftp' || t.protocol === 'http' || t.protocol === 'ftp') && typeof t.path === 'string'
      ? {
          protocol: t.protocol,
          path: t.path,
          ...(typeof t.role === 'string' ? { role: t.role as NonNullable<ClientRecord['transfer']>['role'] } : {}),
          bytes: num(t.bytes, 0),
          ...(typeof t.size === 'number' ? { size: t.size } : {}),
          rate: num(t.rate, 0),
          // Whatever was running when the process died is not running now.
          active: false,
        }
      : null;
  let stage = r.stage as ClientRecord['stage'];
  // A failed/stalled stage needs its problem to say why; without one, show the stage reached.
  if ((stage === ClientStage.Failed || stage === ClientStage.Stalled) && !problem) stage = r.reached;
  return {
    mac: r.mac,
    hostname: str(r.hostname),
    ip: str(r.ip),
    firmware: str(r.firmware),
    arch: typeof r.arch === 'number' ? r.arch : null,
    image: str(r.image),
    stage,
    reached: r.reached,
    stageTimes,
    problem,
    firstSeen: str(r.firstSeen),
    lastSeen: str(r.lastSeen),
    bytes: num(r.bytes, 0),
    transfer,
    packagesDone: num(r.packagesDone, 0),
    packagesExpected: typeof r.packagesExpected === 'number' ? r.packagesExpected : null,
    armed: r.armed === true,
    oneShot: r.oneShot === true,
    cycle: num(r.cycle, 1),
    rev: num(r.rev, 0),
    log: Array.isArray(r.log) ? r.log.filter(isLogEntry).slice(-MAX_CLIENT_LOG) : [],
  };
}
