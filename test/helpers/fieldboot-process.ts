/**
 * The server side of a lab boot, run inside a lab namespace:
 *
 *   startFieldbootServe(): `node bin/fieldboot.mjs serve ... --json`, its stdout parsed as one EngineEvent
 *                          per line, so tests wait for `ready`, `lease` and `file` events.
 *   startDnsmasqReference(): the classic dnsmasq DHCP + TFTP setup (LAB.md "Reference setup"), to prove the
 *                          rig itself boots before blaming the server under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEvent, FileEvent, LeaseEvent } from '../../shared/model/engine-event';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIELDBOOT_BIN = join(REPO_ROOT, 'bin', 'fieldboot.mjs');

const STOP_GRACE_MS = 3000;

export interface ServeOptions {
  /** Namespace the server runs in (the lab switch's). */
  ns: string;
  /** A plain boot tree (--root); omitted when serving ISOs only. */
  root?: string;
  stateDir: string;
  iface?: string;
  dhcp?: 'full' | 'proxy' | 'off';
  /** "FIRST-LAST". */
  range?: string;
  httpPort?: number;
  /** More CLI arguments, e.g. ['--bios-boot-file', 'pxelinux.0']. */
  extraArgs?: string[];
}

export interface ServerProcess {
  pid: number;
  /** Events seen so far, in order. */
  events(): EngineEvent[];
  /** Resolves with the first event (past or future) matching; rejects on timeout or server exit. */
  waitForEvent<E extends EngineEvent>(predicate: (e: EngineEvent) => e is E, timeoutMs: number): Promise<E>;
  waitForEvent(predicate: (e: EngineEvent) => boolean, timeoutMs: number): Promise<EngineEvent>;
  stdout(): string;
  stderr(): string;
  /** Exit code once exited, else null. */
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export function serveArgs(o: ServeOptions): string[] {
  const args = ['serve', '--interface', o.iface ?? 'br0', ...(o.root ? ['--root', o.root] : []), '--dhcp', o.dhcp ?? 'full'];
  if (o.range) args.push('--range', o.range);
  args.push('--state-dir', o.stateDir, '--json', '--http-port', String(o.httpPort ?? 18080));
  return [...args, ...(o.extraArgs ?? [])];
}

/** Supervises one child: collects output, waits on predicates over it, stops it. */
function supervise(child: ChildProcess, onStdoutLine: (line: string) => void) {
  let out = '';
  let err = '';
  let partial = '';
  let code: number | null = null;
  let exitInfo: string | null = null;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onStdoutLine(l);
    notify();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
    notify();
  });
  // A test runner that exits without reaching stop() must not leave a DHCP server running.
  const killOnExit = (): void => {
    if (exitInfo === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (c, signal) => {
      process.removeListener('exit', killOnExit);
      code = c ?? (signal ? 128 : 1);
      exitInfo = `exited (code ${c}, signal ${signal})`;
      notify();
      resolve();
    });
    child.once('error', (e) => {
      code = 127;
      exitInfo = `failed to start: ${e.message}`;
      notify();
      resolve();
    });
  });

  function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      // `timer` is declared below; done() only runs after it exists.
      const done = (): void => {
        waiters.delete(poll);
        clearTimeout(timer);
      };
      const poll = (): void => {
        const hit = check();
        if (hit !== undefined) {
          done();
          resolve(hit);
        } else if (exitInfo) {
          done();
          reject(new Error(`server ${exitInfo} while waiting for ${what}; stderr: ${err.trim().slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr tail: ${err.trim().slice(-1500)}`));
      }, timeoutMs);
      waiters.add(poll);
      poll();
    });
  }

  async function stop(): Promise<void> {
    if (exitInfo === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (exitInfo === null) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  }

  return {
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exitCode: () => code,
    waitFor,
    stop,
  };
}

export function startFieldbootServe(o: ServeOptions): ServerProcess {
  // `ip netns exec` execs node in place, so the child's pid is the server's.
  const child = spawn('ip', ['netns', 'exec', o.ns, process.execPath, FIELDBOOT_BIN, ...serveArgs(o)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: EngineEvent[] = [];
  const sup = supervise(child, (line) => {
    const text = line.trim();
    if (!text.startsWith('{')) return;
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') seen.push(v as EngineEvent);
    } catch {
      /* not an event line */
    }
  });
  function waitForEvent(predicate: (e: EngineEvent) => boolean, timeoutMs: number): Promise<EngineEvent> {
    return sup.waitFor(() => seen.find(predicate), timeoutMs, `an event matching ${predicate.toString().slice(0, 200)}`);
  }
  return {
    pid: sup.pid,
    events: () => [...seen],
    waitForEvent: waitForEvent as ServerProcess['waitForEvent'],
    stdout: sup.stdout,
    stderr: sup.stderr,
    exitCode: sup.exitCode,
    stop: sup.stop,
  };
}

/** Predicates for the events a boot produces. */
export const isLeaseAck =
  (mac: string) =>
  (e: EngineEvent): e is LeaseEvent =>
    e.type === 'lease' && e.action === 'ack' && e.mac.toLowerCase() === mac.toLowerCase();

export const isFileEnd =
  (path: string) =>
  (e: EngineEvent): e is FileEvent =>
    e.type === 'file' && e.action === 'end' && e.path.replace(/^\/+/, '') === path.replace(/^\/+/, '');

export interface DnsmasqOptions {
  ns: string;
  root: string;
  leaseFile: string;
  iface?: string;
  /** "FIRST,LAST" as dnsmasq writes it. */
  range?: string;
  biosBootFile?: string;
  efiBootFile?: string;
}

export interface ReferenceServer {
  pid: number;
  /** dnsmasq's log (it logs to stderr with --log-facility=-). */
  log(): string;
  waitForLog(re: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

export function dnsmasqArgs(o: DnsmasqOptions): string[] {
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--log-facility=-',
    // Stay root: the tree lives in a 0700 temp directory dnsmasq's "nobody" could not read.
    '--user=root',
    `--interface=${o.iface ?? 'br0'}`,
    '--bind-interfaces',
    '--port=0',
    '--enable-tftp',
    `--tftp-root=${o.root}`,
    `--dhcp-range=${o.range ?? '192.168.77.100,192.168.77.150'}`,
    `--dhcp-boot=${o.biosBootFile ?? 'pxelinux.0'}`,
    // RFC 4578 option 93 value 7: EFI x64 (QEMU's OVMF sends 7).
    '--dhcp-match=set:efi64,option:client-arch,7',
    `--dhcp-boot=tag:efi64,${o.efiBootFile ?? 'syslinux.efi'}`,
    `--dhcp-leasefile=${o.leaseFile}`,
    '--no-ping',
    '--log-dhcp',
  ];
}

export function startDnsmasqReference(o: DnsmasqOptions): ReferenceServer {
  const child = spawn('ip', ['netns', 'exec', o.ns, 'dnsmasq', ...dnsmasqArgs(o)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sup = supervise(child, () => {});
  const log = (): string => sup.stdout() + sup.stderr();
  return {
    pid: sup.pid,
    log,
    waitForLog: (re, timeoutMs) => sup.waitFor(() => (re.test(log()) ? log() : undefined), timeoutMs, `${re} in the dnsmasq log`),
    stop: sup.stop,
  };
}
