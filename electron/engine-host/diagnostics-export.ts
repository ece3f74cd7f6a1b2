/**
 * "Export diagnostics": one zip a technician can attach to a ticket. What is in it (README.txt in the zip
 * says the same): the log ring at every level, the recent engine events, the serving state and the
 * ServeConfig in use, the serving profile and the saved profiles, the clients file, the last preflight
 * report, the image library, the BMC list, versions. Secrets are removed (diagnostics-redact.ts): by key and
 * pattern, and every secret value the app knows (knownSecrets) wherever it stands, in every file; the
 * finished files are scanned once more for every secret seen, so a hash echoed somewhere else goes too.
 * Never imports electron: the desktop's save dialog is a hook given to the AppController.
 */
import { readFileSync } from 'node:fs';
import { arch, platform, release, type as osType } from 'node:os';
import { join } from 'node:path';
import type { DiagnosticsExport, ServingState } from '../../shared/api/fieldboot-api';
import type { LogSnapshot } from '../../shared/diagnostics-log';
import type { EngineEvent } from '../../shared/model/engine-event';
import type { PreflightReport } from '../../shared/model/preflight';
import type { ServeConfig } from '../../shared/model/serve-config';
import { resolveAppRoot } from '../engine/paths';
import { REDACTED, Redactor, type KnownSecret } from './diagnostics-redact';
import { writeZip, type ZipEntry } from './diagnostics-zip';

export interface DiagnosticsInput {
  log: LogSnapshot;
  events: readonly EngineEvent[];
  state: ServingState;
  /** The config of the running (or last started) session; null before any start. */
  config: ServeConfig | null;
  /** The serving profile file's text (config.profile), when there is one. */
  profileText: string | null;
  /** Saved profiles (<stateDir>/profiles), as stored. */
  profiles: readonly { name: string; text: string }[];
  /** Raw files from the state dir by name (clients.json...), null when absent. */
  stateFiles: Readonly<Record<string, string | null>>;
  clients: unknown;
  preflight: PreflightReport | null;
  images: unknown;
  bmcs: unknown;
  versions: Record<string, string>;
  /**
   * Secret values the app knows (profile password hashes, passwords typed this session, BMC passwords, the
   * web UI token): removed from every file wherever they stand, with a marker naming what was there.
   */
  knownSecrets?: readonly (string | KnownSecret)[];
  now?: Date;
}

export interface DiagnosticsBundle {
  fileName: string;
  zip: Buffer;
  /** The names of the files in the zip, in order. */
  files: string[];
}

/** "fieldboot-diagnostics-20261126-013012.zip" (local time: what the technician's clock said). */
export function diagnosticsFileName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `fieldboot-diagnostics-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}.zip`;
}

/** App, Node, Electron/Chromium when present, OS. */
export function collectVersions(appVersion?: string): Record<string, string> {
  let app = appVersion;
  if (!app) {
    try {
      app = (JSON.parse(readFileSync(join(resolveAppRoot(), 'package.json'), 'utf8')) as { version?: string }).version;
    } catch {
      /* packaged without package.json beside us: say unknown */
    }
  }
  const v: Record<string, string> = {
    fieldboot: app ?? 'unknown',
    node: process.versions.node,
    os: `${osType()} ${release()} (${platform()} ${arch()})`,
  };
  if (process.versions.electron) v.electron = process.versions.electron;
  if (process.versions.chrome) v.chromium = process.versions.chrome;
  if (process.versions.v8) v.v8 = process.versions.v8;
  return v;
}

const README = `FieldBoot diagnostics

log.txt             the host's log ring: engine log lines (every level) and events, oldest first
events.jsonl        the recent engine events, one JSON object per line (transfer progress ticks left out)
counters.json       per-service counters (leases, transfers) and the last error of each subsystem
serving-state.json  what the app showed as being served
serve-config.json   the ServeConfig of the running or last started session
profile.json        the install profile that session served (when it had one)
profiles/*.json     saved install profiles
clients.json        the client records file from the state directory, as it was on disk
clients-now.json    the client records as the app holds them now
preflight.json      the last preflight report
images.json         the image library
bmcs.json           the BMC list
versions.json       app, Node, Electron and OS versions

Secrets are removed: password hashes, passwords, tokens and keys read "${REDACTED}". Secret values
FieldBoot knows (saved profiles' password hashes, passwords typed since it started, BMC passwords, the web
UI token) are removed wherever they appear, also URL-encoded or in base64, and read "[removed: <what>]".
`;

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

function logText(snapshot: LogSnapshot): string {
  return snapshot.lines.map((l) => `${l.time} ${l.level.toUpperCase().padEnd(5)} ${l.tag.padEnd(6)} ${l.mac ? `${l.mac} ` : ''}${l.message}`).join('\n') + '\n';
}

/** Profile text: JSON when it parses (then redacted by key), else redacted as text. */
function profileJson(redactor: Redactor, text: string): string {
  try {
    return json(redactor.json(JSON.parse(text) as unknown));
  } catch {
    return redactor.text(text);
  }
}

export function buildDiagnostics(input: DiagnosticsInput): DiagnosticsBundle {
  const now = input.now ?? new Date();
  const r = new Redactor(input.knownSecrets ?? []);
  // JSON first: redacting by key teaches the redactor the secret values, which the text pass then removes.
  const files: [string, string][] = [
    ['README.txt', README],
    ['serve-config.json', json(r.json(input.config))],
    ...(input.profileText !== null ? ([['profile.json', profileJson(r, input.profileText)]] as [string, string][]) : []),
    // The name goes through the text pass too: a secret typed as a profile name must not name a file.
    ...input.profiles.map((p): [string, string] => [`profiles/${r.text(p.name).replace(/[^\w.-]/g, '_')}.json`, profileJson(r, p.text)]),
    ['bmcs.json', json(r.json(input.bmcs))],
    ['serving-state.json', json(r.json(input.state))],
    ['images.json', json(r.json(input.images))],
    ['preflight.json', json(r.json(input.preflight))],
    ...Object.entries(input.stateFiles).flatMap(([name, text]): [string, string][] => (text === null ? [] : [[name, profileJson(r, text)]])),
    ['clients-now.json', json(r.json(input.clients))],
    ['counters.json', json(r.json(input.log.counters))],
    ['events.jsonl', input.events.map((e) => JSON.stringify(r.json(e))).join('\n') + '\n'],
    ['log.txt', logText(input.log)],
    ['versions.json', json(input.versions)],
  ];
  // Every file through the text pass, twice over the JSON ones: the second catches values learnt after them.
  const scrubbed = files.map(([name, text]) => [name, r.text(text)] as const);
  const final = scrubbed.map(([name, text]) => [name, r.text(text)] as const);
  // Checked once every value is learnt. Cannot fail with the passes above; if a change ever lets a secret
  // through, the file goes, not the secret.
  const entries: ZipEntry[] = final.map(([name, data]) => ({ name, data: r.leaks(data) ? `${name} was left out: a secret could not be removed from it.\n` : data, modified: now }));
  return { fileName: diagnosticsFileName(now), zip: writeZip(entries, now), files: entries.map((e) => e.name) };
}

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** scheme://user:password@ in a profile's URLs (a mirror or repository with credentials). */
const URL_PASSWORD = /:\/\/([^\s/:@]*):([^\s/@]+)@/g;

/**
 * The secret values a profile holds, named: the root and user password hashes and passwords in its URLs.
 * Takes the profile as parsed from its file (any shape: a hand-edited file is read the same way).
 */
export function profileSecrets(profile: unknown, label: string): KnownSecret[] {
  const out: KnownSecret[] = [];
  const p = profile as { accounts?: { rootPasswordHash?: unknown; users?: unknown } } | null;
  const root = p?.accounts?.rootPasswordHash;
  if (typeof root === 'string' && root) out.push({ what: `root password hash (profile ${label})`, value: root });
  const users = Array.isArray(p?.accounts?.users) ? (p.accounts.users as { name?: unknown; passwordHash?: unknown }[]) : [];
  for (const u of users) {
    if (typeof u?.passwordHash === 'string' && u.passwordHash) out.push({ what: `password hash of ${typeof u.name === 'string' ? u.name : 'a user'} (profile ${label})`, value: u.passwordHash });
  }
  const walk = (v: unknown, depth: number): void => {
    if (depth > 32) return;
    if (typeof v === 'string') {
      for (const m of v.matchAll(URL_PASSWORD)) {
        // As written in the URL, and decoded (what a log line of the fetched request would show).
        for (const value of new Set([m[2]!, decodeOr(m[2]!)])) out.push({ what: `password in a URL (profile ${label})`, value, user: decodeOr(m[1]!) });
      }
    }
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(profile, 0);
  return out;
}

/** What the API answers once the zip is written somewhere (or handed to the browser). */
export function exportResult(bundle: DiagnosticsBundle, savedTo: string | null): DiagnosticsExport {
  return { fileName: bundle.fileName, bytes: bundle.zip.length, files: bundle.files, savedTo };
}
