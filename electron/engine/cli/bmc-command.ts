/**
 * `fieldboot bmc ...`: the BMC list and power / boot-device actions over IPMI (lanplus) or Redfish.
 * Passwords come from --password-stdin or FIELDBOOT_BMC_PASSWORD, never from argv (argv is visible to every
 * user in `ps`). Exit codes: 0 every BMC ok, 1 at least one BMC failed (each result says why), 2 bad usage,
 * 3 the BMC list cannot be read or written.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  BMC_DEFAULT_PORT,
  BMC_ERROR_HINTS,
  BMC_ERROR_TEXT,
  BmcActionKind,
  BmcProtocol,
  DEFAULT_BMC_CONCURRENCY,
  DEFAULT_BMC_TIMEOUT_MS,
  DEFAULT_CIPHER_SUITES,
  type BmcAction,
  type BmcEntry,
  type BmcResult,
  type BmcRunResponse,
  type BootFlags,
} from '../../../shared/model/bmc';
import { runBmcActions } from '../bmc/bmc-actions';
import { BmcStore, BmcStoreError, parseBmcHost, parsePort } from '../bmc/bmc-store';
import type { BmcTarget } from '../bmc/bmc-types';
import { defaultStateDir } from '../state-dir';

export const BmcExitCode = { Ok: 0, SomeFailed: 1, BadUsage: 2, StoreError: 3 } as const;

export const BMC_USAGE = `usage:
  fieldboot bmc list [--json]
  fieldboot bmc add --host H [--port P] --user U [--name N] [--mac MAC] [--protocol ipmi|redfish] [--password-stdin]
  fieldboot bmc import FILE.csv [--protocol ipmi|redfish]      (lines: bmc_host,port,user,password,mac?)
  fieldboot bmc remove NAME... | --select a,b
  fieldboot bmc power status|on|off|cycle|reset  TARGETS
  fieldboot bmc bootdev pxe [--once|--persistent] [--efi]  TARGETS
  fieldboot bmc bootflags  TARGETS
  fieldboot bmc macs  TARGETS                                 (the server's NIC MACs; Redfish only)
TARGETS: --all | --select NAME,... (from the list) | --host H [--port P] --user U [--protocol ipmi|redfish]
common:  --state-dir DIR  --json  --concurrency N (default ${DEFAULT_BMC_CONCURRENCY})  --timeout S (per BMC, default ${DEFAULT_BMC_TIMEOUT_MS / 1000})
         --cipher N (IPMI cipher suite; default: the last one that worked, else ${DEFAULT_CIPHER_SUITES.join(' then ')})
Passwords: --password-stdin, or the environment variable FIELDBOOT_BMC_PASSWORD. Never on the command line.`;

class Usage extends Error {}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  name: { type: 'string' },
  mac: { type: 'string' },
  protocol: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  password: { type: 'string' },
  all: { type: 'boolean' },
  select: { type: 'string', multiple: true },
  once: { type: 'boolean' },
  persistent: { type: 'boolean' },
  efi: { type: 'boolean' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  cipher: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function protocolOf(v: Values): BmcProtocol | undefined {
  if (v.protocol === undefined) return undefined;
  if (v.protocol !== BmcProtocol.Ipmi && v.protocol !== BmcProtocol.Redfish) throw new Usage(`--protocol must be ipmi or redfish, not "${v.protocol}"`);
  return v.protocol;
}

function intOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Usage(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

async function readPassword(v: Values): Promise<string> {
  if (v['password-stdin']) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (!text) throw new Usage('--password-stdin: nothing was read from standard input');
    return text;
  }
  const env = process.env.FIELDBOOT_BMC_PASSWORD;
  if (env) return env;
  throw new Usage('no password: pipe it with --password-stdin, or set FIELDBOOT_BMC_PASSWORD');
}

function selectList(v: Values): string[] {
  return (v.select ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

// ---- formatting ----------------------------------------------------------------------------------------

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((r) => r.map((cell, c) => (cell ?? '').padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export function formatList(list: BmcEntry[]): string {
  if (!list.length) return 'No BMCs in the list. Add one with "fieldboot bmc add" or "fieldboot bmc import FILE.csv".\n';
  return table(
    ['NAME', 'ID', 'PROTOCOL', 'USER', 'MAC', 'PASSWORD', 'PINNED CERT'],
    list.map((b) => [b.name, b.id, b.protocol, b.user, b.mac ?? '-', b.hasPassword ? 'stored' : 'missing', b.tlsFingerprint256 ? `${b.tlsFingerprint256.slice(0, 17)}...` : '-']),
  );
}

export function describeBootFlags(f: BootFlags): string {
  const device = f.device === 'pxe' ? 'PXE' : f.device;
  const mode = f.efi === null ? '' : f.efi ? ' EFI' : ' legacy';
  return `${device} ${f.persistent ? 'persistent' : 'once'}${mode}${f.valid ? '' : ' (flags not valid)'}`;
}

function detail(r: BmcResult): string {
  if (r.error) return `${BMC_ERROR_TEXT[r.error.kind]}: ${r.error.message}`;
  const parts: string[] = [];
  if (r.bootFlags) parts.push(`boot ${describeBootFlags(r.bootFlags)}`);
  if (r.confirmed !== null) parts.push(r.confirmed ? 'confirmed' : 'NOT confirmed');
  if (r.power) parts.push(`power ${r.power}`);
  if (r.macs) parts.push(r.macs.length ? `NIC ${r.macs.join(', ')}` : 'no NIC MACs listed');
  return parts.join(', ') || 'done';
}

export function formatResults(results: BmcResult[]): string {
  let out = table(
    ['NAME', 'HOST', 'RESULT', 'DETAIL'],
    results.map((r) => [r.name, r.host, r.ok ? 'ok' : 'FAILED', detail(r)]),
  );
  for (const r of results) for (const n of r.notes) out += `  ${r.name}: ${n}\n`;
  const kinds = [...new Set(results.flatMap((r) => (r.error ? [r.error.kind] : [])))];
  for (const k of kinds) out += `hint (${BMC_ERROR_TEXT[k]}): ${BMC_ERROR_HINTS[k]}\n`;
  const failed = results.filter((r) => !r.ok).length;
  out += `${results.length - failed} of ${results.length} BMC${results.length === 1 ? '' : 's'} ok\n`;
  return out;
}

// ---- commands ------------------------------------------------------------------------------------------

function actionOf(positionals: string[], v: Values): BmcAction {
  const [cmd, arg, ...extra] = positionals;
  if (cmd === 'power') {
    const map = { status: BmcActionKind.PowerStatus, on: BmcActionKind.PowerOn, off: BmcActionKind.PowerOff, cycle: BmcActionKind.PowerCycle, reset: BmcActionKind.PowerReset } as const;
    if (!arg || !(arg in map) || extra.length) throw new Usage('bmc power needs one of status, on, off, cycle, reset');
    return { kind: map[arg as keyof typeof map] };
  }
  if (cmd === 'bootdev') {
    if (arg !== 'pxe' || extra.length) throw new Usage('bmc bootdev supports "pxe" only (the point is to network-boot the installer)');
    if (v.once && v.persistent) throw new Usage('--once and --persistent exclude each other');
    return { kind: BmcActionKind.BootPxe, persistent: !!v.persistent, efi: !!v.efi };
  }
  if (cmd === 'bootflags' || cmd === 'macs') {
    if (arg !== undefined) throw new Usage(`unexpected argument "${arg}"`);
    return { kind: cmd === 'macs' ? BmcActionKind.NicMacs : BmcActionKind.BootFlags };
  }
  throw new Usage(cmd ? `unknown bmc command "${cmd}"` : 'bmc needs a command');
}

async function runAction(positionals: string[], v: Values, stateDir: string): Promise<number> {
  const action = actionOf(positionals, v);
  const concurrency = intOption('concurrency', v.concurrency, 1, 256) ?? DEFAULT_BMC_CONCURRENCY;
  let timeoutMs = DEFAULT_BMC_TIMEOUT_MS;
  if (v.timeout !== undefined) {
    const s = Number(v.timeout);
    if (!Number.isFinite(s) || s <= 0 || s > 600) throw new Usage(`--timeout must be seconds (0-600], not "${v.timeout}"`);
    timeoutMs = Math.round(s * 1000);
  }
  const cipher = intOption('cipher', v.cipher, 0, 255);
  const select = selectList(v);
  const ways = [!!v.all, select.length > 0, v.host !== undefined].filter(Boolean).length;
  if (ways !== 1) throw new Usage('say which BMCs: --all, --select NAME,..., or --host H --user U');

  let store: BmcStore | null = null;
  let targets: BmcTarget[];
  if (v.host !== undefined && v.user !== undefined) {
    // A one-off BMC, not stored. Redfish: its certificate is accepted and reported, not pinned.
    const protocol = protocolOf(v);
    const host = parseBmcHost(v.host, protocol ?? BmcProtocol.Ipmi);
    if (!host) throw new Usage(`--host: "${v.host}" is not a host name or IP address`);
    const proto = protocol ?? host.protocol;
    const port = v.port !== undefined ? parsePort(v.port) : (host.port ?? BMC_DEFAULT_PORT[proto]);
    if (port === null) throw new Usage(`--port: "${v.port}" is not a port number`);
    const password = await readPassword(v);
    const id = `${host.host}:${port}`;
    targets = [{ id, name: host.host, host: host.host, port, protocol: proto, user: v.user, mac: null, cipherSuite: null, tlsFingerprint256: null, password }];
  } else {
    store = BmcStore.open(stateDir);
    // --host without --user picks a stored BMC by host.
    targets = store.targets(v.all ? { all: true } : { ids: v.host !== undefined ? [v.host] : select });
    if (!targets.length) throw new BmcStoreError('the BMC list is empty (add BMCs with "fieldboot bmc add" or "fieldboot bmc import")');
  }

  const learnedAny: boolean[] = [];
  const results = await runBmcActions(targets, action, {
    concurrency,
    timeoutMs,
    ...(cipher !== undefined ? { cipherSuites: [cipher] } : {}),
    onLearned: (id, learned) => {
      if (!store) return;
      store.learn(id, learned);
      learnedAny.push(true);
    },
  });
  if (store && learnedAny.length) store.save();
  const response: BmcRunResponse = { action, results };
  process.stdout.write(v.json ? JSON.stringify(response, null, 2) + '\n' : formatResults(results));
  return results.every((r) => r.ok) ? BmcExitCode.Ok : BmcExitCode.SomeFailed;
}

async function dispatch(positionals: string[], v: Values): Promise<number> {
  const stateDir = v['state-dir'] ?? defaultStateDir();
  const [cmd, ...rest] = positionals;
  switch (cmd) {
    case 'list': {
      if (rest.length) throw new Usage(`unexpected argument "${rest[0]}"`);
      const list = BmcStore.open(stateDir).list();
      process.stdout.write(v.json ? JSON.stringify(list, null, 2) + '\n' : formatList(list));
      return BmcExitCode.Ok;
    }
    case 'add': {
      if (rest.length) throw new Usage(`unexpected argument "${rest[0]}"`);
      if (!v.host || v.user === undefined) throw new Usage('bmc add needs --host H and --user U');
      let port: number | undefined;
      if (v.port !== undefined) {
        const p = parsePort(v.port);
        if (p === null) throw new Usage(`--port: "${v.port}" is not a port number`);
        port = p;
      }
      const protocol = protocolOf(v);
      const password = await readPassword(v);
      const store = BmcStore.open(stateDir);
      const { entry, updated } = store.add({
        host: v.host,
        user: v.user,
        password,
        ...(port !== undefined ? { port } : {}),
        ...(protocol ? { protocol } : {}),
        ...(v.name ? { name: v.name } : {}),
        ...(v.mac ? { mac: v.mac } : {}),
      });
      store.save();
      if (v.json) process.stdout.write(JSON.stringify(entry, null, 2) + '\n');
      else process.stdout.write(`${updated ? 'updated' : 'added'} ${entry.name} (${entry.protocol} ${entry.id}, user ${entry.user})\n`);
      return BmcExitCode.Ok;
    }
    case 'import': {
      const [file, ...extra] = rest;
      if (!file || extra.length) throw new Usage('bmc import needs one CSV FILE');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new BmcStoreError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const store = BmcStore.open(stateDir);
      const protocol = protocolOf(v);
      const r = store.importCsv(text, protocol);
      store.save();
      if (v.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        process.stdout.write(`imported ${r.added.length} new, ${r.updated.length} updated, ${r.errors.length} rejected\n`);
        for (const e of r.errors) process.stdout.write(`  line ${e.line}: ${e.message}\n`);
      }
      return r.errors.length ? BmcExitCode.SomeFailed : BmcExitCode.Ok;
    }
    case 'remove': {
      const keys = [...rest, ...selectList(v)];
      if (!keys.length) throw new Usage('bmc remove needs NAME... or --select a,b');
      const store = BmcStore.open(stateDir);
      const gone = store.remove(keys);
      store.save();
      if (v.json) process.stdout.write(JSON.stringify(gone, null, 2) + '\n');
      else process.stdout.write(`removed ${gone.map((g) => g.name).join(', ')}\n`);
      return BmcExitCode.Ok;
    }
    case 'power':
    case 'bootdev':
    case 'bootflags':
    case 'macs':
      return runAction(positionals, v, stateDir);
    default:
      throw new Usage(cmd ? `unknown bmc command "${cmd}"` : 'bmc needs a command');
  }
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) {
      process.stdout.write(`${BMC_USAGE}\n`);
      return BmcExitCode.Ok;
    }
    if (values.password !== undefined) throw new Usage('--password is not accepted: the command line is visible to every user. Use --password-stdin or FIELDBOOT_BMC_PASSWORD');
    return await dispatch(positionals, values);
  } catch (err) {
    if (err instanceof BmcStoreError) {
      process.stderr.write(`fieldboot: ${err.message}\n`);
      return BmcExitCode.StoreError;
    }
    if (err instanceof Usage || (err as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`fieldboot: ${(err as Error).message}\n${BMC_USAGE}\n`);
      return BmcExitCode.BadUsage;
    }
    throw err;
  }
}
