/**
 * IPMI over LAN (RMCP+, "lanplus") by driving the `ipmitool` binary. Why a binary and not a TypeScript RMCP+
 * client: see README.md ("Why ipmitool").
 *
 * Rules this file keeps:
 * - Always `-C <suite>`: without it ipmitool first asks "Get Channel Cipher Suites", which some BMCs (ipmi_sim
 *   included) never answer, and every call costs ~10 s instead of ~0.04 s (measured, research §9).
 * - The password goes through the environment (`-E` reads IPMI_PASSWORD), never argv: argv is world-readable in
 *   /proc/<pid>/cmdline and in `ps`, a process's environment only to its owner and root.
 * - `-v`: without it a wrong password, an unknown user and an unreachable BMC all print the same line
 *   ("Unable to establish IPMI v2 / RMCP+ session"); with it ipmitool says which (RAKP 2 errors, Get Auth
 *   Capabilities error), and stdout is unchanged.
 * - Every call has a hard deadline (SIGKILL), and `-N 1 -R n` keeps ipmitool's own retries inside it, so an
 *   unreachable BMC is reported as unreachable rather than as a timeout.
 */
import { spawn } from 'node:child_process';
import { BmcErrorKind } from '../../../shared/model/bmc';
import { BmcFailure, redact, remainingMs, type BmcTarget, type Deadline } from './bmc-types';

/** ipmitool's per-message timeout (-N, seconds). One second is plenty on a rack switch. */
const MESSAGE_TIMEOUT_S = 1;
/** Bounds for ipmitool's per-message retries (-R). */
const MIN_RETRIES = 1;
const MAX_RETRIES = 4;

export interface IpmitoolOptions {
  /** The ipmitool executable (default: FIELDBOOT_IPMITOOL, else `ipmitool` on PATH). */
  bin?: string;
}

export interface IpmitoolInvocation {
  bin: string;
  args: string[];
  /** Only what is added to the inherited environment. */
  env: Record<string, string>;
}

export function ipmitoolBin(opts: IpmitoolOptions = {}): string {
  return opts.bin ?? process.env.FIELDBOOT_IPMITOOL ?? 'ipmitool';
}

/**
 * Retries so that ipmitool gives up on its own (and says why) before our hard deadline kills it. ipmitool
 * 1.8.19 lanplus waits N, 2N, 3N... per retry and does it for two probes, so an unreachable BMC takes about
 * R(R+1)N seconds (measured with N=1: R=1 2.1 s, R=2 6.2 s, R=3 12.4 s, R=4 20.8 s). Use at most 60% of
 * the time left.
 */
export function retriesFor(timeoutMs: number): number {
  const budgetS = (0.6 * timeoutMs) / 1000;
  let r = MIN_RETRIES;
  while (r < MAX_RETRIES && (r + 1) * (r + 2) * MESSAGE_TIMEOUT_S <= budgetS) r++;
  return r;
}

/** argv and environment for one ipmitool call. The password is in `env` only. */
export function buildIpmitoolInvocation(
  target: Pick<BmcTarget, 'host' | 'port' | 'user' | 'password'>,
  cipherSuite: number,
  command: readonly string[],
  timeoutMs: number,
  opts: IpmitoolOptions = {},
): IpmitoolInvocation {
  const args = [
    '-I', 'lanplus',
    '-C', String(cipherSuite),
    '-H', target.host,
    '-p', String(target.port),
    '-U', target.user,
    '-E',
    '-v',
    '-N', String(MESSAGE_TIMEOUT_S),
    '-R', String(retriesFor(timeoutMs)),
    ...command,
  ];
  // ipmitool prints English only, but keep any locale-dependent libc message (getaddrinfo) in English too.
  return { bin: ipmitoolBin(opts), args, env: { IPMI_PASSWORD: target.password, LC_ALL: 'C' } };
}

export interface IpmitoolOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Spawn one invocation with a hard timeout. Rejects only when the binary cannot be started. */
export function spawnIpmitool(inv: IpmitoolInvocation, timeoutMs: number): Promise<IpmitoolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(inv.bin, inv.args, { env: { ...process.env, ...inv.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, Math.max(1, timeoutMs));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT') reject(new BmcFailure(BmcErrorKind.ToolMissing, `${inv.bin} not found`));
      else reject(new BmcFailure(BmcErrorKind.Failed, `cannot run ${inv.bin}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * Lines `-v` adds on every call, success or not. "Invalid completion code received: Invalid command" right
 * after "Running Get VSO Capabilities" is ipmitool probing for a vendor extension, not our command failing.
 */
function withoutNoise(stderr: string): string[] {
  const out: string[] = [];
  // ipmitool prefixes some RAKP messages with "> ".
  const lines = stderr.split('\n').map((l) => l.trim().replace(/^>\s*/, ''));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    if (/^Loading IANA PEN Registry|^Discovered IPMB address|^Get HPM\.x Capabilities request failed/i.test(line)) continue;
    if (/^Running Get VSO Capabilities/i.test(line)) {
      if (/^Invalid completion code received/i.test(lines[i + 1] ?? '')) i++;
      continue;
    }
    out.push(line);
  }
  return out;
}

/**
 * ipmitool's stderr → failure class. Patterns come from ipmitool 1.8.19 against ipmi_sim (captured in
 * test/unit/engine/bmc/ipmitool-driver.test.ts) and from the RMCP+ status codes of IPMI v2.0 Table 13-15,
 * which ipmitool prints by name. Order matters: session-level causes first.
 */
const STDERR_CLASSES: readonly { kind: BmcErrorKind; pattern: RegExp }[] = [
  // RMCP+ status 0x04/0x05/0x10/0x11 and "no matching payload": the BMC will not speak this suite.
  { kind: BmcErrorKind.CipherSuiteRefused, pattern: /invalid (authentication|integrity|confidentiality) algorithm|no (matching )?cipher suite|no matching (authentication|integrity) payload|unsupported cipher suite/i },
  // RAKP 2 HMAC mismatch = wrong password; status 0x0d = unknown user; 0x0f = integrity check (wrong key).
  { kind: BmcErrorKind.BadCredentials, pattern: /RAKP \d HMAC is invalid|unauthori[sz]ed name|invalid integrity check value|invalid (user ?)?name length|password verification|authentication (type )?fail/i },
  // Status 0x09/0x0a and completion code 0xD4.
  { kind: BmcErrorKind.InsufficientPrivilege, pattern: /unauthori[sz]ed role|invalid role|insufficient privilege/i },
  { kind: BmcErrorKind.Unreachable, pattern: /Get Auth Capabilities error|Could not open socket|Address lookup for .* failed|No response from remote controller|Error issuing Get Channel Authentication Capabilities|Connection refused|Network is unreachable|No route to host|Host is down/i },
  // Completion codes 0xC1 (invalid command), 0xC9 (parameter out of range), 0xCC (invalid data field),
  // 0x80 (boot option parameter not supported, Table 28-13), 0xD5 (not supported in present state).
  { kind: BmcErrorKind.NotSupported, pattern: /invalid command|not supported|invalid data field|parameter out of range|rsp=0x(c1|c9|cc|d5|80)\b|Unknown (chassis )?command/i },
];

export function classifyIpmitoolFailure(out: Pick<IpmitoolOutput, 'code' | 'stderr' | 'timedOut'>, password = ''): BmcFailure {
  const lines = withoutNoise(out.stderr);
  const text = lines.join('\n');
  const detail = redact(lines.filter((l) => !/^Error: Unable to establish IPMI v2/i.test(l)).join('; ') || lines.join('; '), password);
  if (out.timedOut) return new BmcFailure(BmcErrorKind.Timeout, detail ? `no answer in time (${detail})` : 'no answer in time');
  for (const c of STDERR_CLASSES) if (c.pattern.test(text)) return new BmcFailure(c.kind, detail);
  return new BmcFailure(BmcErrorKind.Failed, detail || `ipmitool exited with code ${out.code ?? 'signal'}`);
}

/**
 * One BMC over lanplus for the length of one action. Tries the BMC's last working cipher suite first, then
 * the others, and sticks with the first one the BMC accepts.
 */
export class IpmitoolSession {
  private suites: number[];
  /** Set once a suite has worked; later calls use only it. */
  workingSuite: number | null = null;
  readonly notes: string[] = [];

  constructor(
    private readonly target: BmcTarget,
    suites: readonly number[],
    private readonly opts: IpmitoolOptions = {},
  ) {
    const first = target.cipherSuite;
    this.suites = first !== null && suites.includes(first) ? [first, ...suites.filter((s) => s !== first)] : [...suites];
  }

  /** Run one ipmitool command; resolves with stdout, or throws a classified BmcFailure. */
  async run(command: readonly string[], deadline: Deadline): Promise<string> {
    const suites = this.workingSuite !== null ? [this.workingSuite] : this.suites;
    let last: BmcFailure | null = null;
    for (const suite of suites) {
      const left = remainingMs(deadline);
      if (left <= 0) throw last ?? new BmcFailure(BmcErrorKind.Timeout, 'no time left for this BMC');
      const out = await spawnIpmitool(buildIpmitoolInvocation(this.target, suite, command, left, this.opts), left);
      if (out.code === 0 && !out.timedOut) {
        if (this.workingSuite === null && suite !== this.suites[0]) this.notes.push(`cipher suite ${this.suites[0]} refused; used ${suite}`);
        this.workingSuite = suite;
        return out.stdout;
      }
      last = classifyIpmitoolFailure(out, this.target.password);
      if (last.kind !== BmcErrorKind.CipherSuiteRefused) throw last;
    }
    throw last ?? new BmcFailure(BmcErrorKind.Failed, 'no cipher suite to try');
  }
}
