/**
 * Starts the engine process and speaks its typed protocol: commands on its stdin, messages on its stdout,
 * a heartbeat every second. Used by the Electron main process and by web mode; never imports electron.
 * A launch plan (engine-elevation.ts) may wrap the command in an elevation prompt, and may use the socket
 * transport (engine-socket.ts) when the prompt cannot hand back stdio pipes; the lines are the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EngineExitCode,
  HEARTBEAT_INTERVAL_MS,
  LineDecoder,
  encodeLine,
  type EngineMessage,
  type HostCommand,
} from '../../shared/engine-protocol';
import { ErrorCode, FieldbootError, type ErrorInfo } from '../../shared/errors';
import type { EngineEvent, ReadyEvent } from '../../shared/model/engine-event';
import type { ServeConfig } from '../../shared/model/serve-config';
import type { DhcpProbeReport } from '../../shared/model/dhcp-probe';
import { EngineSocketListener } from './engine-socket';

export interface EngineCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** How the host talks to the engine: its stdio pipes, or a socket the engine connects back to. */
export type EngineTransport = 'stdio' | 'socket';

/** How to start the engine: the process to spawn, the transport, and what its early exit means. */
export interface EngineLaunchPlan {
  transport: EngineTransport;
  /** The process to spawn; for the socket transport, given the arguments that tell the engine where to connect. */
  command(connectArgs: readonly string[]): EngineCommand;
  /** The engine started this way runs with administrator rights (the launcher is an elevation prompt). */
  elevated?: boolean;
  /** What the launcher is, for messages ("pkexec"). */
  label?: string;
  /** Turns the launcher's exit before the engine was ready (a dismissed prompt) into a clear error. */
  explainExit?(code: number | null, output: string): FieldbootError | null;
  /**
   * How long to wait for the engine to come up: its hello (stdio) or its connection (socket). Through a prompt
   * this is a human's time to answer it. Default PROMPT_TIMEOUT_MS.
   */
  connectTimeoutMs?: number;
  /** The wait above ran out (a prompt left open): the error the start fails with, in the launcher's words. */
  explainTimeout?(waitedMs: number): FieldbootError;
}

/**
 * How long a start waits for the engine to come up, for both transports. Through an elevation prompt the wait
 * is a human's: three minutes to find the dialog and type a password, then the launcher is ended so a prompt
 * left open cannot keep the app "starting" for ever (and cannot start an engine later, unasked).
 */
export const PROMPT_TIMEOUT_MS = 180_000;
/** After SIGTERM, how long a launcher (pkexec waiting for its agent) gets before SIGKILL. */
export const LAUNCHER_KILL_GRACE_MS = 2000;

/** "3 minutes", "90 seconds": a wait in the words an error message uses. */
export function waitWords(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`;
  const s = Math.max(1, Math.round(ms / 1000));
  return s === 1 ? '1 second' : `${s} seconds`;
}

/** Ends a launcher that has not started the engine: SIGTERM, then SIGKILL if it lingers. Its pipes are cut first. */
function endLauncher(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.destroy();
  const kill = setTimeout(() => child.kill('SIGKILL'), LAUNCHER_KILL_GRACE_MS);
  child.once('exit', () => clearTimeout(kill));
  child.kill('SIGTERM');
}

/** A plain command as a launch plan: stdio, or the socket transport with the connect arguments appended. */
export function plainLaunch(engine: EngineCommand, transport: EngineTransport = 'stdio'): EngineLaunchPlan {
  return {
    transport,
    command: (connectArgs) => ({ ...engine, args: [...engine.args, ...connectArgs] }),
  };
}

function isLaunchPlan(x: EngineCommand | EngineLaunchPlan): x is EngineLaunchPlan {
  return typeof (x as EngineLaunchPlan).command === 'function';
}

/** How to run the engine: the bundled engine.cjs beside this file (packaged app), else the TypeScript source via tsx. */
export function defaultEngineCommand(): EngineCommand {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'engine.cjs');
  if (existsSync(bundled)) {
    // Inside Electron, process.execPath is the app binary: run it as plain node.
    return { command: process.execPath, args: [bundled], env: { ELECTRON_RUN_AS_NODE: '1' } };
  }
  let dir = here;
  for (let i = 0; i < 5 && !existsSync(join(dir, 'electron', 'engine', 'main.ts')); i++) dir = dirname(dir);
  // An absolute loader URL, so the engine starts whatever the current directory is.
  let tsx = 'tsx';
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    /* fall back to resolving from the current directory */
  }
  return { command: process.execPath, args: ['--import', tsx, join(dir, 'electron', 'engine', 'main.ts')] };
}

/** The most telling line of a crashed process's stderr: its error line, not Node's version banner. */
function telling(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /error/i.test(l)) ?? lines.pop() ?? '';
}

export function exitCodeName(code: number | null): string {
  const entry = Object.entries(EngineExitCode).find(([, v]) => v === code);
  return entry ? entry[0] : `code ${code}`;
}

export interface EngineHostEvents {
  /** The engine said hello: a launch prompt, if any, was answered. */
  launched: [];
  event: [EngineEvent];
  log: [Extract<EngineMessage, { type: 'log' }>];
  stopped: [reason: string];
  exit: [code: number | null, signal: NodeJS.Signals | null, fatal: ErrorInfo | null];
}

export class EngineHost extends EventEmitter<EngineHostEvents> {
  private child: ChildProcess | null = null;
  /** Where commands go: the child's stdin, or the engine's socket. */
  private input: NodeJS.WritableStream & { destroyed: boolean; end(): unknown; destroy(): unknown } | null = null;
  private plan: EngineLaunchPlan;
  private helloMessage: Extract<EngineMessage, { type: 'hello' }> | null = null;
  /** Resolves when the running engine is gone (onExit ran). */
  private gone: Promise<void> | null = null;
  private nextId = 1;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, { resolve: (m: EngineMessage) => void; reject: (e: Error) => void }>();
  private hello: Promise<Extract<EngineMessage, { type: 'hello' }>> | null = null;
  private fatal: ErrorInfo | null = null;
  /** While the engine is being launched (before its hello or connection): gives up on the launch with this error. */
  private abortLaunch: ((err: FieldbootError) => void) | null = null;

  constructor(engine: EngineCommand | EngineLaunchPlan = defaultEngineCommand()) {
    super();
    this.plan = isLaunchPlan(engine) ? engine : plainLaunch(engine);
  }

  /** The spawned process: the engine itself, or (socket transport through a prompt) its launcher. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The engine's own pid, from its hello (null until it said hello). */
  get enginePid(): number | null {
    return this.child ? (this.helloMessage?.pid ?? null) : null;
  }

  /** The running engine said it runs as root (null: no engine running). */
  get privileged(): boolean | null {
    return this.child && this.helloMessage ? this.helloMessage.privileged : null;
  }

  /** The next (or running) engine is started through an elevation prompt. */
  get elevated(): boolean {
    return this.plan.elevated === true;
  }

  get transport(): EngineTransport {
    return this.plan.transport;
  }

  /** An engine process is on its way up (the launcher runs, no hello yet): for a prompt, it waits for the human. */
  get launching(): boolean {
    return this.abortLaunch !== null;
  }

  /** How long the next (or current) launch waits for the engine before it gives up. */
  get launchTimeoutMs(): number {
    return this.plan.connectTimeoutMs ?? PROMPT_TIMEOUT_MS;
  }

  /**
   * Gives up on a launch still waiting (a prompt nobody answers): the launcher is ended and the pending start
   * fails with a "cancelled" error. False when there is no such launch (the engine is up, or none is starting).
   */
  cancelLaunch(): boolean {
    const abort = this.abortLaunch;
    if (!abort) return false;
    abort(
      new FieldbootError(
        ErrorCode.NoPrivilege,
        `The start was cancelled while ${this.plan.elevated ? 'the administrator prompt was open' : 'the network engine was starting'}, so the network engine did not start.`,
        'Press Start again when you are ready to answer the administrator prompt.',
      ),
    );
    return true;
  }

  /** Starts later engines this way (the running one, if any, is left alone: dispose it first). */
  useLaunch(plan: EngineLaunchPlan): void {
    this.plan = plan;
  }

  /** Starts the engine process if it is not running; resolves on its hello. */
  async ensureRunning(): Promise<void> {
    if (this.child && this.hello) {
      await this.hello;
      return;
    }
    const plan = this.plan;
    const listener = plan.transport === 'socket' ? await EngineSocketListener.open() : null;
    const cmd = plan.command(listener?.engineArgs ?? []);
    let child: ChildProcess;
    try {
      child = spawn(cmd.command, cmd.args, {
        // Socket transport: the launcher's stdout is read only for its error text.
        stdio: [listener ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...cmd.env },
      });
    } catch (err) {
      listener?.close();
      throw err;
    }
    this.child = child;
    this.fatal = null;
    this.helloMessage = null;
    let resolveGone: () => void = () => {};
    this.gone = new Promise((r) => (resolveGone = r));
    // Kill may fail with EPERM on an elevated engine; the engine's own watchdog ends it when its channel closes.
    child.on('error', () => {});
    let stderrTail = '';
    const collect = (d: Buffer) => {
      stderrTail = (stderrTail + d.toString('utf8')).slice(-4000);
    };
    child.stderr?.on('data', collect);
    const beforeReady = (code: number | null, signal: NodeJS.Signals | null): FieldbootError =>
      plan.explainExit?.(code, stderrTail) ??
      new FieldbootError(ErrorCode.EngineDied, `engine exited (${signal ?? exitCodeName(code)}) before it was ready: ${telling(stderrTail)}`);
    const waitMs = this.launchTimeoutMs;
    const timedOut = (): FieldbootError =>
      plan.explainTimeout?.(waitMs) ??
      new FieldbootError(ErrorCode.EngineUnresponsive, `the network engine did not start within ${waitWords(waitMs)}${stderrTail ? `: ${telling(stderrTail)}` : ''}`);
    // The launch ends with the hello (stdio) or the connection (socket), or gives up: timeout, cancel, exit.
    let launchTimer: NodeJS.Timeout | null = null;
    let abortThis: ((err: FieldbootError) => void) | null = null;
    const endLaunch = () => {
      if (launchTimer) clearTimeout(launchTimer);
      launchTimer = null;
      if (this.abortLaunch === abortThis) this.abortLaunch = null;
    };
    this.hello = new Promise((resolve, reject) => {
      const decoder = new LineDecoder<EngineMessage>((msg) => {
        if (msg.type === 'hello') {
          endLaunch();
          this.helloMessage = msg;
          resolve(msg);
          this.emit('launched');
        } else this.dispatch(msg);
      });
      child.once('error', (err) => {
        endLaunch();
        reject(new FieldbootError(ErrorCode.EngineDied, `cannot start the engine: ${err.message}`));
      });
      if (!listener) {
        abortThis = (err) => {
          endLaunch();
          // The story of this engine's end, for 'exit' listeners too (not "engine died" from the kill below).
          this.fatal = err.toInfo();
          reject(err);
          endLauncher(child);
        };
        this.abortLaunch = abortThis;
        launchTimer = setTimeout(() => abortThis?.(timedOut()), waitMs);
        this.input = child.stdin;
        child.stdin?.on('error', () => {}); // EPIPE when the engine died; 'exit' reports it
        child.stdout?.on('data', (d: Buffer) => decoder.push(d));
        child.once('exit', (code, signal) => {
          endLaunch();
          const err = beforeReady(code, signal);
          // Before its hello, the exit's story is the launch plan's (a dismissed prompt), for 'exit' listeners too.
          if (!this.helloMessage) this.fatal ??= err.toInfo();
          reject(err);
          this.onExit(child, code, signal, stderrTail);
          resolveGone();
        });
        return;
      }
      child.stdout?.on('data', collect);
      let childExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let connected = false;
      const abort = new AbortController();
      const exited = new Promise<void>((r) =>
        child.once('exit', (code, signal) => {
          childExit = { code, signal };
          r();
          if (!connected) {
            const err = beforeReady(code, signal);
            this.fatal ??= err.toInfo();
            abort.abort(err);
          }
        }),
      );
      const finish = async () => {
        // The launcher usually exits right after the engine (its exit code is the engine's).
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        const exit = childExit as { code: number | null; signal: NodeJS.Signals | null } | null;
        this.onExit(child, exit?.code ?? null, exit?.signal ?? null, stderrTail);
        resolveGone();
      };
      abortThis = (err) => {
        endLaunch();
        this.fatal = err.toInfo();
        abort.abort(err);
      };
      this.abortLaunch = abortThis;
      launchTimer = setTimeout(() => abortThis?.(timedOut()), waitMs);
      // The timer above is the deadline; the listener's own (a second later) is only a backstop.
      listener.accept(waitMs + 1000, abort.signal).then(
        ({ socket, rest }) => {
          endLaunch();
          connected = true;
          this.input = socket;
          socket.on('error', () => {});
          socket.on('data', (d: Buffer) => decoder.push(d));
          socket.once('close', () => {
            reject(beforeReady(null, null));
            void finish();
          });
          if (rest.length) decoder.push(rest);
          socket.resume();
          this.send({ type: 'heartbeat', seq: ++this.seq });
        },
        (err: unknown) => {
          endLaunch();
          listener.close();
          reject(
            err instanceof FieldbootError
              ? err
              : new FieldbootError(ErrorCode.EngineDied, `the ${plan.label ?? 'engine'} launch failed: ${(err as Error).message}${stderrTail ? `: ${telling(stderrTail)}` : ''}`),
          );
          if (!childExit) endLauncher(child);
          void finish();
        },
      );
    });
    // A hello that never comes must not be an unhandled rejection when nobody awaits it any more.
    this.hello.catch(() => {});
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', seq: ++this.seq }), HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    this.send({ type: 'heartbeat', seq: ++this.seq });
    await this.hello;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, stderrTail: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.hello = null;
    this.input = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const err = new FieldbootError(
      ErrorCode.EngineDied,
      `the engine exited (${signal ?? exitCodeName(code)})${stderrTail ? `: ${telling(stderrTail)}` : ''}`,
    );
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.emit('exit', code, signal, this.fatal);
  }

  private dispatch(msg: EngineMessage): void {
    switch (msg.type) {
      case 'ready':
      case 'probed':
      case 'failed': {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve(msg);
        return;
      }
      case 'stopped': {
        if (msg.id !== null) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          p?.resolve(msg);
        }
        this.emit('stopped', msg.reason);
        return;
      }
      case 'event':
        this.emit('event', msg.event);
        return;
      case 'log':
        this.emit('log', msg);
        return;
      case 'fatal':
        this.fatal = msg.error;
        return;
      case 'hello':
      case 'auth':
        return;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  private send(cmd: HostCommand): void {
    const input = this.input;
    if (input && !input.destroyed) input.write(encodeLine(cmd));
  }

  private request(cmd: { type: 'start'; config: ServeConfig } | { type: 'stop' } | { type: 'probe'; interface: string; timeoutMs?: number }): Promise<EngineMessage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...cmd, id });
    });
  }

  /** Starts serving; resolves with the ready event or throws FieldbootError with the engine's reason. */
  async start(config: ServeConfig): Promise<ReadyEvent> {
    await this.ensureRunning();
    const reply = await this.request({ type: 'start', config });
    if (reply.type === 'ready') return reply.event;
    if (reply.type === 'failed') throw new FieldbootError(reply.error.code, reply.error.message, reply.error.hint);
    throw new FieldbootError(ErrorCode.Internal, `unexpected engine reply ${reply.type}`);
  }

  /** Asks the engine (which has the rights to bind port 68) whether another DHCP server answers on an interface. */
  async probeDhcp(iface: string, timeoutMs?: number): Promise<DhcpProbeReport> {
    await this.ensureRunning();
    const reply = await this.request({ type: 'probe', interface: iface, ...(timeoutMs ? { timeoutMs } : {}) });
    if (reply.type === 'probed') return reply.report;
    if (reply.type === 'failed') throw new FieldbootError(reply.error.code, reply.error.message, reply.error.hint);
    throw new FieldbootError(ErrorCode.Internal, `unexpected engine reply ${reply.type}`);
  }

  /** Arms or disarms machines in the running session (fire and forget: ArmEvents come back as events). */
  arm(command: { macs: string[]; armed: boolean; oneShot?: boolean; imageId?: string | null }): void {
    this.send({ type: 'arm', ...command });
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    await this.request({ type: 'stop' });
  }

  /** Ends the engine process: a polite shutdown, then SIGKILL if it lingers. */
  async dispose(timeoutMs = 3000): Promise<void> {
    const child = this.child;
    const gone = this.gone;
    if (!child || !gone) return;
    const input = this.input;
    this.send({ type: 'shutdown' });
    input?.end();
    const timer = setTimeout(() => {
      // An elevated engine cannot be killed by us (EPERM): cutting its channel makes it exit on its own.
      input?.destroy();
      child.kill('SIGKILL');
    }, timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}
