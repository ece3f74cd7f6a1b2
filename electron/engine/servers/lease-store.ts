/**
 * Where DHCP leases live between runs: `<stateDir>/leases.json`, written atomically (temp file, fsync, rename,
 * fsync of the folder) so a crash or kill -9 leaves either the old or the new file, never half of one.
 * Saves are coalesced: while one write runs, later requests share the next one (group commit), so a burst of
 * ACKs costs two writes, not hundreds, and each ACK still goes out only after its lease is on disk.
 */
import { readFileSync, renameSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log';

export const LEASE_FILE_NAME = 'leases.json';
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
  leases: { ip: string; mac: string; clientId?: string; hostname?: string; state: LeaseState; expires: string }[];
}

const STATES: readonly LeaseState[] = ['offered', 'bound', 'released', 'declined'];
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

export class LeaseStore {
  readonly path: string;
  private writing: Promise<void> | null = null;
  private waiting: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private snapshot: () => LeaseRecord[] = () => [];

  constructor(
    readonly stateDir: string,
    private readonly log: Log,
  ) {
    this.path = join(stateDir, LEASE_FILE_NAME);
  }

  /**
   * Read the file. Missing: no leases. Unreadable or corrupt: a warning, the file is moved aside
   * (`leases.json.corrupt-<time>`, so nothing is lost for a post-mortem) and serving starts with no leases.
   */
  load(): LeaseRecord[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.log.warn(`cannot read ${this.path} (${(err as Error).message}); starting with no leases`);
      return [];
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      this.setAside(`not JSON: ${(err as Error).message}`);
      return [];
    }
    const file = parsed as Partial<LeaseFile> | null;
    if (!file || typeof file !== 'object' || file.format !== FORMAT || !Array.isArray(file.leases)) {
      this.setAside('not a FieldBoot lease file');
      return [];
    }
    if (file.version !== VERSION) {
      this.setAside(`lease file version ${String(file.version)}, this build reads ${VERSION}`);
      return [];
    }
    const out: LeaseRecord[] = [];
    let skipped = 0;
    for (const l of file.leases as unknown[]) {
      const r = toRecord(l);
      if (r) out.push(r);
      else skipped++;
    }
    if (skipped) this.log.warn(`${this.path}: skipped ${skipped} unreadable lease entries`);
    return out;
  }

  /** What `save` writes: called at write time, so a coalesced write holds the latest state. */
  setSnapshot(snapshot: () => LeaseRecord[]): void {
    this.snapshot = snapshot;
  }

  /** Resolves once a write that started after this call has reached the disk. */
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

  /** Wait for pending writes (stop()). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => {});
  }

  private startWrite(): void {
    const batch = this.waiting;
    this.waiting = null;
    if (!batch) return;
    const records = this.snapshot().filter((r) => r.state !== 'offered'); // offers are short-lived: memory only
    this.writing = writeAtomic(this.path, serialize(records))
      .then(batch.resolve, batch.reject)
      .finally(() => {
        this.writing = null;
        if (this.waiting) this.startWrite();
      });
  }

  private setAside(why: string): void {
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.path, aside);
      this.log.warn(`${this.path} is unusable (${why}); moved to ${aside}, starting with no leases`);
    } catch (err) {
      this.log.warn(`${this.path} is unusable (${why}) and could not be moved aside (${(err as Error).message}); starting with no leases`);
    }
  }
}

function serialize(records: LeaseRecord[]): string {
  const file: LeaseFile = {
    format: FORMAT,
    version: VERSION,
    leases: records.map((r) => ({
      ip: r.ip,
      mac: r.mac,
      ...(r.clientId ? { clientId: r.clientId } : {}),
      ...(r.hostname ? { hostname: r.hostname } : {}),
      state: r.state,
      expires: new Date(r.expiresAt).toISOString(),
    })),
  };
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
  // Make the rename itself durable. Windows cannot open a folder; there the rename is as good as it gets.
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
