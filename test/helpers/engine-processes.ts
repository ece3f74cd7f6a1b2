/**
 * Shared by the engine lifecycle and elevation tests: the engine and the stand-in hosts they start
 * (engine-host-fixture.ts, engine-elevation-host.ts), and the checks they make on those processes and on
 * the ports the engine serves on loopback; for the password-prompt tests, a stand-in pkexec that never
 * answers and the facts of a user who must be asked.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio, type StdioOptions } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { defaultEngineCommand } from '../../electron/engine-host/engine-host';
import type { PrivilegeFacts } from '../../electron/engine/net/preflight';
import { InterfaceKind, type NetworkInterfaceInfo } from '../../shared/model/network';

/** Is process `pid` still there (signal 0)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until process `pid` is gone; resolves with how long that took, throws after `ms`. */
export async function waitGone(pid: number, ms: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > ms) throw new Error(`process ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

/** A TCP port on 127.0.0.1 nobody listens on right now (the engine binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Does something accept TCP connections on 127.0.0.1:port? */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** The engine as EngineHost starts it by default (defaultEngineCommand), with `extraArgs` after its own. */
export function spawnEngine(extraArgs: string[], opts: { stdio: StdioOptions; env?: NodeJS.ProcessEnv }): ChildProcess {
  const { command, args, env } = defaultEngineCommand();
  return spawn(command, [...args, ...extraArgs], { stdio: opts.stdio, env: { ...process.env, ...env, ...opts.env } });
}

/**
 * The command line that runs stand-in host `script` (a file in test/helpers) under tsx. The path is relative:
 * it runs from the checkout the current directory is.
 */
export function hostCommand(script: string, args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', `test/helpers/${script}`, ...args];
}

/** Starts stand-in host `script` (hostCommand) with its stdout piped for its report and its stderr shown. */
export function spawnHost(script: string, args: string[]): ChildProcessByStdio<null, Readable, null> {
  const [node, ...rest] = hostCommand(script, args);
  return spawn(node!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The stand-in host's side of hostReport: prints `report` as one JSON line, then idles until it is killed. */
export function reportAndIdle(report: object): void {
  process.stdout.write(JSON.stringify(report) + '\n');
  setInterval(() => {}, 1 << 30);
}

/**
 * The first line the host prints (reportAndIdle), parsed as JSON (its report). Rejects when the host exits without one (after
 * 200 ms, for output still on its way) or after `timeoutMs`; a piped stderr is quoted in the error.
 */
export function hostReport<T>(proc: ChildProcess, timeoutMs: number): Promise<T> {
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const tail = () => (proc.stderr ? `: ${stderr.slice(-800)}` : '');
  return new Promise<T>((resolve, reject) => {
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as T);
    });
    proc.once('exit', (code) => setTimeout(() => reject(new Error(`host exited (${code}) without a report${tail()}`)), 200));
    setTimeout(() => reject(new Error(`host did not report within ${timeoutMs} ms${tail()}`)), timeoutMs).unref();
  });
}

/**
 * A stand-in pkexec in `dir` that never answers: it writes `dir`/pid-<its pid>, then waits for ever, as pkexec
 * does while its dialog is open (`stubborn`: it ignores SIGTERM too). `path` is a shell wrapper that `exec`s
 * node, so the pid recorded is the one EngineHost spawned. `pids()`: the launchers started so far, in no order;
 * `kill()`: SIGKILL to those still running.
 */
export function standInPkexec(dir: string, opts: { stubborn?: boolean } = {}): { path: string; pids(): number[]; kill(): void } {
  const script = join(dir, 'fake-pkexec.cjs');
  writeFileSync(
    script,
    [
      "const fs = require('fs');",
      `fs.writeFileSync(${JSON.stringify(join(dir, 'pid-'))} + process.pid, '');`,
      opts.stubborn ? "process.on('SIGTERM', () => {});" : '',
      'setInterval(() => {}, 1 << 30);',
    ].join('\n'),
  );
  const path = join(dir, 'pkexec');
  writeFileSync(path, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(path, 0o755);
  const pids = () =>
    readdirSync(dir)
      .filter((f) => f.startsWith('pid-'))
      .map((f) => Number(f.slice(4)));
  return {
    path,
    pids,
    kill: () => {
      for (const pid of pids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

/** A plain Linux user for whom every port is privileged (ip_unprivileged_port_start 65535): each start asks for the password, as on port 69. */
export const PROMPTED_USER: PrivilegeFacts = { platform: 'linux', uid: 1000, capEff: 0n, unprivilegedPortStart: 65535 };

/** The loopback interface, as listInterfaces reports it. */
export const LOOPBACK: NetworkInterfaceInfo = { name: 'lo', mac: null, kind: InterfaceKind.Loopback, linkUp: true, speedMbps: null, mtu: 65536, ipv4: [{ address: '127.0.0.1', prefix: 8 }] };
