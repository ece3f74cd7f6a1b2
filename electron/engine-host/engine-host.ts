/**
 * Starts the engine process and speaks its typed protocol: commands on its stdin, messages on its stdout,
 * a heartbeat every second. Used by the Electron main process and by web mode; never imports electron.
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

export interface EngineCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
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
  event: [EngineEvent];
  log: [Extract<EngineMessage, { type: 'log' }>];
  stopped: [reason: string];
  exit: [code: number | null, signal: NodeJS.Signals | null, fatal: ErrorInfo | null];
}

export class EngineHost extends EventEmitter<EngineHostEvents> {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, { resolve: (m: EngineMessage) => void; reject: (e: Error) => void }>();
  private hello: Promise<Extract<EngineMessage, { type: 'hello' }>> | null = null;
  private fatal: ErrorInfo | null = null;

  constructor(private readonly engine: EngineCommand = defaultEngineCommand()) {
    super();
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts the engine process if it is not running; resolves on its hello. */
  async ensureRunning(): Promise<void> {
    if (this.child && this.hello) {
      await this.hello;
      return;
    }
    const child = spawn(this.engine.command, this.engine.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.engine.env },
    });
    this.child = child;
    this.fatal = null;
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString('utf8')).slice(-4000);
    });
    child.stdin?.on('error', () => {}); // EPIPE when the engine died; 'exit' reports it
    this.hello = new Promise((resolve, reject) => {
      const decoder = new LineDecoder<EngineMessage>((msg) => {
        if (msg.type === 'hello') resolve(msg);
        else this.dispatch(msg);
      });
      child.stdout?.on('data', (d: Buffer) => decoder.push(d));
      child.once('error', (err) => reject(new FieldbootError(ErrorCode.EngineDied, `cannot start the engine: ${err.message}`)));
      child.once('exit', (code, signal) => {
        reject(new FieldbootError(ErrorCode.EngineDied, `engine exited (${exitCodeName(code)}) before it was ready: ${telling(stderrTail)}`));
        this.onExit(child, code, signal, stderrTail);
      });
    });
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', seq: ++this.seq }), HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    this.send({ type: 'heartbeat', seq: ++this.seq });
    await this.hello;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, stderrTail: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.hello = null;
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
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(encodeLine(cmd));
  }

  private request(cmd: { type: 'start'; config: ServeConfig } | { type: 'stop' }): Promise<EngineMessage> {
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
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    this.send({ type: 'shutdown' });
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
