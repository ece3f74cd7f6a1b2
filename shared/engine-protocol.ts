/**
 * The typed protocol between an engine host (Electron main, the web-mode server) and the engine process.
 * Transport: newline-delimited JSON over the engine's stdin (commands) and stdout (messages). Stdio works
 * through pkexec/UAC elevation, where a Node IPC channel does not; the engine treats stdin EOF as "host gone".
 * The same lines can run over a socket the engine connects back to (ENGINE_CONNECT_ARG below): then the
 * socket's end is "host gone".
 */
import type { ErrorInfo } from './errors';
import type { EngineEvent, LogLevel, Subsystem } from './model/engine-event';
import type { ServeConfig } from './model/serve-config';
import type { DhcpProbeReport } from './model/dhcp-probe';

export const ENGINE_PROTOCOL_VERSION = 1;

/** How often the host sends a heartbeat, and how long the engine waits without one before it exits. */
export const HEARTBEAT_INTERVAL_MS = 1000;
export const HEARTBEAT_TIMEOUT_MS = 5000;

export type HostCommand =
  | { type: 'start'; id: number; config: ServeConfig }
  | { type: 'stop'; id: number }
  | { type: 'heartbeat'; seq: number }
  /**
   * Arm or disarm machines in the running session (the Clients view). No reply: the engine's ArmEvents come
   * back as events, and a refusal as a warning log line.
   */
  | { type: 'arm'; macs: string[]; armed: boolean; oneShot?: boolean; imageId?: string | null }
  /** Is another DHCP server on this interface? Refused while serving (our own server would answer). */
  | { type: 'probe'; id: number; interface: string; timeoutMs?: number }
  | { type: 'shutdown' };

export type EngineMessage =
  /** The engine process is up and accepts commands (not yet serving). */
  | { type: 'hello'; protocol: number; pid: number; privileged: boolean }
  /** A start command succeeded: every listener is bound. */
  | { type: 'ready'; id: number; event: Extract<EngineEvent, { type: 'ready' }> }
  /** The answer to a probe command. */
  | { type: 'probed'; id: number; report: DhcpProbeReport }
  /** A start or stop command failed; the session is not running. */
  | { type: 'failed'; id: number; error: ErrorInfo }
  | { type: 'event'; event: EngineEvent }
  | { type: 'log'; level: LogLevel; subsystem: Subsystem; message: string; mac?: string }
  /** Unrecoverable: the engine exits right after sending this. */
  | { type: 'fatal'; error: ErrorInfo }
  /** The session stopped (on command, or because a listener failed). */
  | { type: 'stopped'; id: number | null; reason: string }
  /**
   * Socket transport only: the engine's first line after it connects back to the host, before its hello.
   * The host drops a connection whose token is not the one it wrote to the token file.
   */
  | { type: 'auth'; token: string };

/** Exit codes of the engine process and of `fieldboot serve`. */
export const EngineExitCode = {
  Ok: 0,
  Fatal: 1,
  BadUsage: 2,
  HeartbeatLost: 3,
  HostGone: 4,
  CannotServe: 5,
  Signal: 6,
} as const;
export type EngineExitCode = (typeof EngineExitCode)[keyof typeof EngineExitCode];

export function encodeLine(value: HostCommand | EngineMessage): string {
  return JSON.stringify(value) + '\n';
}

/** Splits a byte stream into lines and parses each as JSON; malformed lines go to onBad, never thrown. */
export class LineDecoder<T> {
  private buffer = '';
  constructor(
    private readonly onValue: (value: T) => void,
    private readonly onBad: (line: string, err: unknown) => void = () => {},
    private readonly maxLine = 16 * 1024 * 1024,
  ) {}
  push(chunk: string | Buffer): void {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        this.onBad(line, err);
        continue;
      }
      if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { type?: unknown }).type !== 'string') {
        this.onBad(line, new Error('not a typed message'));
        continue;
      }
      this.onValue(parsed as T);
    }
    if (this.buffer.length > this.maxLine) {
      this.onBad(this.buffer.slice(0, 200), new Error('line too long'));
      this.buffer = '';
    }
  }
}

/**
 * The socket transport: an elevated engine started through a prompt that cannot keep stdio pipes (macOS
 * admin prompt, Windows UAC) connects back to the host's Unix socket / named pipe and speaks the same lines
 * over it. `<engine> --connect <socket path or \\.\pipe\name> --token-file <file>`; the token file (0600,
 * in the host's 0700 directory) keeps the token off the command line, which other users can read.
 */
export const ENGINE_CONNECT_ARG = '--connect';
export const ENGINE_TOKEN_FILE_ARG = '--token-file';
/** The auth line is short; a peer that sends more than this before it is a stranger. */
export const ENGINE_AUTH_MAX_BYTES = 1024;
