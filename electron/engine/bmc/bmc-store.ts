/**
 * The BMC list, persisted in the state dir as bmcs.json. Passwords are sealed by a SecretVault (secret-vault.ts):
 * AES-256-GCM bound to the BMC (additional data: id and user), under a key kept in a 0600 file (the CLI, web
 * mode) or wrapped by the OS keychain (the desktop app). An edited, truncated or swapped ciphertext fails to
 * decrypt instead of yielding a wrong password.
 *
 * What this protects against: the list being copied off the laptop without its key (a backup, a support bundle,
 * a diagnostics export) and passwords showing up in logs, JSON output or the UI. With the file key it does not
 * protect against someone who can read the whole state dir as this user; with the OS keychain it does, as far
 * as the keychain does (README.md).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  BMC_DEFAULT_PORT,
  BmcProtocol,
  type BmcAddRequest,
  type BmcEntry,
  type BmcImportResponse,
  type BmcSelection,
  type BmcUpdateRequest,
} from '../../../shared/model/bmc';
import { normalizeMac } from '../../../shared/net/ipv4';
import type { BmcLearned } from './bmc-actions';
import type { BmcTarget } from './bmc-types';
import { SecretVaultError, fileKeyVault, type SealedSecret, type SecretVault } from './secret-vault';

export { BMC_KEY_FILE } from './secret-vault';
export const BMC_STORE_FILE = 'bmcs.json';
const STORE_VERSION = 1;

export class BmcStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BmcStoreError';
  }
}

interface StoredBmc extends Omit<BmcEntry, 'hasPassword'> {
  secret: SealedSecret | null;
}

interface StoreFile {
  version: number;
  bmcs: StoredBmc[];
}

// ---- CSV -----------------------------------------------------------------------------------------------

/** One CSV record (RFC 4180 quoting: "a,b" and "" inside quotes), so passwords may hold commas and quotes. */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let field = '';
  let quoted = false; // inside quotes now
  let wasQuoted = false; // this field was quoted: keep its spaces
  const push = () => {
    out.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && !wasQuoted && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (ch === ',') push();
    else if (!wasQuoted || ch.trim()) field += ch; // spaces after a closing quote are not part of the field
  }
  if (quoted) return null;
  push();
  return out;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** `https://h`, `redfish://h[:port]` or a bare host → protocol, host, port written in the host field. */
export function parseBmcHost(text: string, fallback: BmcProtocol): { protocol: BmcProtocol; host: string; port: number | null } | null {
  let protocol = fallback;
  let rest = text.trim();
  const scheme = /^(https|redfish|ipmi):\/\//i.exec(rest);
  if (scheme) {
    protocol = scheme[1]!.toLowerCase() === 'ipmi' ? BmcProtocol.Ipmi : BmcProtocol.Redfish;
    rest = rest.slice(scheme[0].length).replace(/\/+$/, '');
  }
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1]!;
    port = bracketed[2] ? Number(bracketed[2]) : null;
  } else if (scheme && /^[^:]+:\d+$/.test(rest)) {
    const [h, p] = rest.split(':');
    rest = h!;
    port = Number(p);
  }
  if (!(isIP(rest) || HOST_NAME.test(rest))) return null;
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { protocol, host: rest.toLowerCase(), port };
}

export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

export interface CsvRow extends BmcAddRequest {
  line: number;
}

/** `bmc_host,port,user,password,mac?` → add requests; errors name the line and field, never the password. */
export function parseBmcCsv(text: string, protocol: BmcProtocol = BmcProtocol.Ipmi): { rows: CsvRow[]; errors: { line: number; message: string }[] } {
  const rows: CsvRow[] = [];
  const errors: { line: number; message: string }[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim() || raw.trim().startsWith('#')) return;
    const f = splitCsvLine(raw);
    if (!f) return errors.push({ line, message: 'unterminated quoted field' });
    if (/^bmc_host$/i.test(f[0] ?? '')) return; // header
    if (f.length < 4 || f.length > 5) return errors.push({ line, message: `expected bmc_host,port,user,password[,mac], got ${f.length} fields` });
    const [hostText = '', portText = '', user = '', password = '', macText = ''] = f;
    const host = parseBmcHost(hostText, protocol);
    if (!host) return errors.push({ line, message: `"${hostText}" is not a host name or IP address` });
    let port = host.port;
    if (portText) {
      port = parsePort(portText);
      if (port === null) return errors.push({ line, message: `"${portText}" is not a port number` });
    }
    if (!user) return errors.push({ line, message: 'the user is empty' });
    if (!password) return errors.push({ line, message: 'the password is empty' });
    let mac: string | undefined;
    if (macText) {
      const m = normalizeMac(macText);
      if (!m) return errors.push({ line, message: `"${macText}" is not a MAC address` });
      mac = m;
    }
    rows.push({ line, host: host.host, protocol: host.protocol, user, password, ...(port !== null ? { port } : {}), ...(mac ? { mac } : {}) });
  });
  return { rows, errors };
}

// ---- the store -----------------------------------------------------------------------------------------

function publicEntry(b: StoredBmc): BmcEntry {
  const { secret, ...rest } = b;
  return { ...rest, hasPassword: secret !== null };
}

export class BmcStore {
  private constructor(
    readonly stateDir: string,
    private data: StoreFile,
    /** Seals and opens passwords; its key is loaded only when one is sealed or opened (listing writes no key). */
    readonly vault: SecretVault,
  ) {}

  /** Open (or start) the list in stateDir. Passwords go through `vault` (default: the 0600 key file there). */
  static open(stateDir: string, vault: SecretVault = fileKeyVault(stateDir)): BmcStore {
    const path = join(stateDir, BMC_STORE_FILE);
    let data: StoreFile = { version: STORE_VERSION, bmcs: [] };
    if (existsSync(path)) {
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as StoreFile;
        if (parsed.version !== STORE_VERSION || !Array.isArray(parsed.bmcs)) throw new Error(`unknown format (version ${String(parsed.version)})`);
        data = parsed;
      } catch (err) {
        throw new BmcStoreError(`cannot read ${path}: ${(err as Error).message}`);
      }
    }
    return new BmcStore(stateDir, data, vault);
  }

  private seal(password: string, id: string, user: string): SealedSecret {
    try {
      return this.vault.seal(password, { id, user });
    } catch (err) {
      throw new BmcStoreError(err instanceof SecretVaultError ? err.message : `cannot store the password for ${id}: ${(err as Error).message}`);
    }
  }

  private open(b: StoredBmc): string {
    if (!b.secret) throw new BmcStoreError(`${b.id} has no stored password; add it again`);
    try {
      return this.vault.open(b.secret, { id: b.id, user: b.user });
    } catch (err) {
      throw new BmcStoreError(err instanceof SecretVaultError ? err.message : `cannot read the password for ${b.id}: ${(err as Error).message}`);
    }
  }

  get path(): string {
    return join(this.stateDir, BMC_STORE_FILE);
  }

  list(): BmcEntry[] {
    return this.data.bmcs.map(publicEntry);
  }

  /** Write atomically (temp file + rename), owner-only. */
  save(): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  /** Add a BMC, or replace user/password/MAC (and name when given) of the one at the same host:port. */
  add(req: BmcAddRequest): { entry: BmcEntry; updated: boolean } {
    const host = parseBmcHost(req.host, req.protocol ?? BmcProtocol.Ipmi);
    if (!host) throw new BmcStoreError(`"${req.host}" is not a host name or IP address`);
    const protocol = req.protocol ?? host.protocol;
    const port = req.port ?? host.port ?? BMC_DEFAULT_PORT[protocol];
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BmcStoreError(`${String(req.port)} is not a port number`);
    if (!req.user) throw new BmcStoreError('a BMC needs a user name');
    if (!req.password) throw new BmcStoreError('a BMC needs a password');
    let mac: string | null = null;
    if (req.mac) {
      mac = normalizeMac(req.mac);
      if (!mac) throw new BmcStoreError(`"${req.mac}" is not a MAC address`);
    }
    const id = `${host.host}:${port}`;
    const existing = this.data.bmcs.find((b) => b.id === id);
    const wantedName = req.name?.trim() || null;
    if (wantedName && this.data.bmcs.some((b) => b.id !== id && (b.name === wantedName || b.id === wantedName))) {
      throw new BmcStoreError(`another BMC is already called "${wantedName}"`);
    }
    const secret = this.seal(req.password, id, req.user);
    if (existing) {
      existing.user = req.user;
      existing.secret = secret;
      existing.protocol = protocol;
      if (mac) existing.mac = mac;
      if (wantedName) existing.name = wantedName;
      // New credentials may mean a new BMC firmware or account: learn the suite again. The pin stays: a
      // certificate change must still be noticed.
      existing.cipherSuite = null;
      return { entry: publicEntry(existing), updated: true };
    }
    const nameTaken = (n: string) => this.data.bmcs.some((b) => b.name === n || b.id === n);
    const name = wantedName ?? (nameTaken(host.host) ? id : host.host);
    const stored: StoredBmc = { id, name, host: host.host, port, protocol, user: req.user, mac, cipherSuite: null, tlsFingerprint256: null, addedAt: new Date().toISOString(), secret };
    this.data.bmcs.push(stored);
    return { entry: publicEntry(stored), updated: false };
  }

  /** Change name, user, password or MAC of a stored BMC. A new user alone re-seals the stored password under it. */
  update(req: BmcUpdateRequest): BmcEntry {
    const [b] = this.find([req.id]);
    if (!b) throw new BmcStoreError(`no BMC called "${req.id}" in the list`);
    const name = req.name?.trim();
    if (name && this.data.bmcs.some((x) => x !== b && (x.name === name || x.id === name))) throw new BmcStoreError(`another BMC is already called "${name}"`);
    let mac = b.mac;
    if (req.mac === null || req.mac === '') mac = null;
    else if (req.mac !== undefined) {
      mac = normalizeMac(req.mac);
      if (!mac) throw new BmcStoreError(`"${req.mac}" is not a MAC address`);
    }
    if (req.user !== undefined && !req.user) throw new BmcStoreError('a BMC needs a user name');
    if (req.password !== undefined && !req.password) throw new BmcStoreError('a BMC needs a password');
    const user = req.user ?? b.user;
    if (req.password !== undefined || user !== b.user) {
      // The secret is bound to the user (GCM additional data): a renamed user needs the password sealed again.
      const password = req.password ?? this.open(b);
      b.secret = this.seal(password, b.id, user);
      b.cipherSuite = null;
    }
    b.user = user;
    b.mac = mac;
    if (name) b.name = name;
    return publicEntry(b);
  }

  /** Import CSV text; every good line is stored even when others are rejected. */
  importCsv(text: string, protocol?: BmcProtocol): BmcImportResponse {
    const { rows, errors } = parseBmcCsv(text, protocol);
    const added: BmcEntry[] = [];
    const updated: BmcEntry[] = [];
    for (const row of rows) {
      const { line, ...req } = row;
      try {
        const r = this.add(req);
        (r.updated ? updated : added).push(r.entry);
      } catch (err) {
        errors.push({ line, message: (err as Error).message });
      }
    }
    errors.sort((a, b) => a.line - b.line);
    return { added, updated, errors };
  }

  /** Find stored BMCs by id ("host:port"), name or host. Unknown keys are an error naming them. */
  find(keys: readonly string[]): StoredBmc[] {
    const found: StoredBmc[] = [];
    const unknown: string[] = [];
    for (const key of keys) {
      const k = key.trim().toLowerCase();
      if (!k) continue;
      const byIdOrName = this.data.bmcs.filter((b) => b.id === k || b.name.toLowerCase() === k);
      const matches = byIdOrName.length ? byIdOrName : this.data.bmcs.filter((b) => b.host === k);
      if (matches.length === 0) unknown.push(key);
      else if (matches.length > 1) throw new BmcStoreError(`"${key}" matches ${matches.length} BMCs (${matches.map((m) => m.id).join(', ')}); use host:port`);
      for (const m of matches) if (!found.includes(m)) found.push(m);
    }
    if (unknown.length) throw new BmcStoreError(`no BMC called ${unknown.map((u) => `"${u}"`).join(', ')} in the list (see "fieldboot bmc list")`);
    return found;
  }

  remove(keys: readonly string[]): BmcEntry[] {
    const gone = this.find(keys);
    this.data.bmcs = this.data.bmcs.filter((b) => !gone.includes(b));
    return gone.map(publicEntry);
  }

  /** Decrypted targets for an action. Throws BmcStoreError when a password fails authentication. */
  targets(selection: BmcSelection): BmcTarget[] {
    const chosen = 'all' in selection ? this.data.bmcs : this.find(selection.ids);
    return chosen.map((b) => {
      const password = this.open(b);
      const { secret: _s, addedAt: _a, ...rest } = b;
      return { ...rest, password };
    });
  }

  /** Keep what an action learned (working cipher suite, first-seen certificate). Call save() after. */
  learn(id: string, learned: BmcLearned): void {
    const b = this.data.bmcs.find((x) => x.id === id);
    if (!b) return;
    if (learned.cipherSuite !== undefined) b.cipherSuite = learned.cipherSuite;
    // Trust on first use means first: a pin is never overwritten by a run.
    if (learned.tlsFingerprint256 !== undefined && !b.tlsFingerprint256) b.tlsFingerprint256 = learned.tlsFingerprint256;
    // A MAC typed in by the technician wins over one read from the BMC.
    if (learned.mac !== undefined && !b.mac) b.mac = learned.mac;
  }
}
