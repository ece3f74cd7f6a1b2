/**
 * The engine process. Runs with plain node (or Electron as node: ELECTRON_RUN_AS_NODE=1). Reads HostCommand
 * lines on stdin, writes EngineMessage lines on stdout (shared/engine-protocol.ts).
 *
 * With `--connect <socket> --token-file <file>` (the socket transport, for elevation prompts that cannot keep
 * stdio pipes) it connects back to the host instead, sends the token, and speaks the same lines over the socket.
 *
 * It must never outlive its host: a DHCP server left running on a customer's network is the worst failure
 * this product can have. So it exits when stdin (or the socket) closes (host died, even by SIGKILL), when
 * heartbeats stop (host hung), or when its parent process changes (re-parented to init).
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import {
  ENGINE_CONNECT_ARG,
  ENGINE_PROTOCOL_VERSION,
  ENGINE_TOKEN_FILE_ARG,
  EngineExitCode,
  HEARTBEAT_TIMEOUT_MS,
  LineDecoder,
  encodeLine,
  type EngineMessage,
  type HostCommand,
} from '../../shared/engine-protocol';
import { ErrorCode, errorInfo, toErrorInfo } from '../../shared/errors';
import type { LogLevel } from '../../shared/model/engine-event';
import type { Session } from './session';

/** Log levels in order of importance, for ServeConfig.logLevel. */
const LOG_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const heartbeatTimeoutMs = Number(process.env.FIELDBOOT_HEARTBEAT_TIMEOUT_MS) || HEARTBEAT_TIMEOUT_MS;
const initialParent = process.ppid;

/** Where messages go: stdout, or the host's socket once connected. */
let out: NodeJS.WritableStream = process.stdout;

function send(message: EngineMessage): void {
  try {
    out.write(encodeLine(message));
  } catch {
    // stdout gone: the host is gone; the stdin/heartbeat watch will end us.
  }
}

let session: Session | null = null;
/** The engine's own client-record file when run under a host (the host keeps clients.json). */
const ENGINE_CLIENTS_FILE = 'engine-clients.json';
let exiting: Promise<never> | null = null;

/** The first reason wins; later calls (a socket's 'end' then 'close') wait for it rather than cut its stop short. */
function exit(code: EngineExitCode, reason: string): Promise<never> {
  exiting ??= (async () => {
    const s = session;
    session = null;
    // Bounded: stopping sockets is quick, but never let a stuck close keep a DHCP server alive.
    await Promise.race([s?.stop(reason), new Promise((r) => setTimeout(r, 1500))]).catch(() => {});
    send({ type: 'stopped', id: null, reason });
    process.exit(code);
  })();
  return exiting;
}

let lastHeartbeat = Date.now();
const watchdog = setInterval(() => {
  if (Date.now() - lastHeartbeat > heartbeatTimeoutMs) void exit(EngineExitCode.HeartbeatLost, 'heartbeat lost');
  if (process.ppid !== initialParent) void exit(EngineExitCode.HostGone, 'host process gone');
}, Math.min(500, heartbeatTimeoutMs / 4));
watchdog.unref?.();
// Keep the process alive even with no session: the watchdog is unref'd, stdin keeps the loop running.

async function handle(cmd: HostCommand): Promise<void> {
  switch (cmd.type) {
    case 'heartbeat':
      lastHeartbeat = Date.now();
      return;
    case 'start': {
      if (session?.isRunning) {
        send({ type: 'failed', id: cmd.id, error: errorInfo(ErrorCode.AlreadyServing, 'already serving; stop first') });
        return;
      }
      let SessionClass: typeof Session;
      try {
        // Loaded on first start: the hello goes out at once, and a broken server module becomes a typed failure.
        ({ Session: SessionClass } = await import('./session'));
      } catch (err) {
        send({ type: 'failed', id: cmd.id, error: toErrorInfo(err) });
        return;
      }
      const s = new SessionClass(
        cmd.config,
        {
          emit: (event) => send({ type: 'event', event }),
          logSink: (e) => {
            // The host's log level (Settings): lines below it never cross the pipe (debug carries raw packets).
            if (LOG_RANK[e.level] < LOG_RANK[cmd.config.logLevel ?? 'debug']) return;
            send({ type: 'log', level: e.level, subsystem: e.subsystem, message: e.message, ...(e.mac ? { mac: e.mac } : {}) });
          },
        },
        undefined,
        // The host's AppController keeps clients.json; the engine keeps its own copy (one writer per file).
        { clientsFileName: ENGINE_CLIENTS_FILE },
      );
      session = s;
      try {
        const ready = await s.start();
        send({ type: 'ready', id: cmd.id, event: ready });
      } catch (err) {
        if (session === s) session = null;
        send({ type: 'failed', id: cmd.id, error: toErrorInfo(err) });
      }
      return;
    }
    case 'stop': {
      const s = session;
      session = null;
      if (s) await s.stop('stopped by host');
      send({ type: 'stopped', id: cmd.id, reason: 'stopped by host' });
      return;
    }
    case 'arm': {
      const s = session;
      try {
        if (!s?.isRunning) throw new Error('not serving');
        if (cmd.armed) await s.arm(cmd.macs, { imageId: cmd.imageId ?? null, oneShot: cmd.oneShot ?? true });
        else await s.disarm(cmd.macs);
      } catch (err) {
        send({ type: 'log', level: 'warn', subsystem: 'ENGINE', message: `${cmd.armed ? 'arm' : 'disarm'} ${cmd.macs.join(', ')} refused: ${(err as Error).message}` });
      }
      return;
    }
    case 'probe': {
      if (session?.isRunning) {
        send({ type: 'failed', id: cmd.id, error: errorInfo(ErrorCode.AlreadyServing, 'cannot check for other DHCP servers while serving: our own server would answer', 'Stop serving, then check again.') });
        return;
      }
      try {
        const { probeForUi } = await import('./net/dhcp-probe-report');
        send({ type: 'probed', id: cmd.id, report: await probeForUi(cmd.interface, cmd.timeoutMs, (e) => send({ type: 'log', level: e.level, subsystem: e.subsystem, message: e.message })) });
      } catch (err) {
        send({ type: 'failed', id: cmd.id, error: toErrorInfo(err) });
      }
      return;
    }
    case 'shutdown':
      await exit(EngineExitCode.Ok, 'shutdown by host');
      return;
    default: {
      const never: never = cmd;
      send({ type: 'log', level: 'warn', subsystem: 'ENGINE', message: `unknown command ${JSON.stringify(never)}` });
    }
  }
}

// Commands are handled one at a time, in order (a stop never overtakes the start it follows).
let queue: Promise<void> = Promise.resolve();
const decoder = new LineDecoder<HostCommand>(
  (cmd) => {
    // A heartbeat never waits behind a slow command (a start opening big ISOs, a 3 s DHCP probe): queued,
    // it would arrive late and the watchdog would end a healthy engine.
    if (cmd.type === 'heartbeat') {
      lastHeartbeat = Date.now();
      return;
    }
    queue = queue.then(() => handle(cmd)).catch((err) => send({ type: 'log', level: 'error', subsystem: 'ENGINE', message: String(err) }));
  },
  (line) => send({ type: 'log', level: 'warn', subsystem: 'ENGINE', message: `unreadable command: ${line.slice(0, 120)}` }),
);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void exit(EngineExitCode.Signal, `signal ${sig}`));
process.on('uncaughtException', (err) => {
  send({ type: 'fatal', error: toErrorInfo(err) });
  void exit(EngineExitCode.Fatal, `fatal: ${err.message}`);
});
process.on('unhandledRejection', (err) => {
  send({ type: 'fatal', error: toErrorInfo(err) });
  void exit(EngineExitCode.Fatal, `fatal: ${String(err)}`);
});

function sendHello(): void {
  send({ type: 'hello', protocol: ENGINE_PROTOCOL_VERSION, pid: process.pid, privileged: typeof process.getuid === 'function' ? process.getuid() === 0 : false });
}

function argValue(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

const connectTo = argValue(ENGINE_CONNECT_ARG);
if (connectTo === null) {
  process.stdin.on('data', (chunk: Buffer) => decoder.push(chunk));
  process.stdin.on('end', () => void exit(EngineExitCode.HostGone, 'host closed the command channel'));
  process.stdin.on('error', () => void exit(EngineExitCode.HostGone, 'command channel error'));
  process.stdout.on('error', () => void exit(EngineExitCode.HostGone, 'event channel error'));
  sendHello();
} else {
  // stdin is not ours in this mode (an elevation prompt may hand us /dev/null): its EOF means nothing.
  const tokenFile = argValue(ENGINE_TOKEN_FILE_ARG);
  let token = '';
  try {
    token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : '';
  } catch (err) {
    process.stderr.write(`fieldboot engine: cannot read the token file: ${(err as Error).message}\n`);
  }
  // The host writes 32 random bytes in hex. Anything else is refused unread: an elevated engine must not
  // become a way to send the first line of some root-only file to a socket of the caller's choosing.
  if (!/^[0-9a-f]{64}$/.test(token)) token = '';
  if (!token) {
    process.stderr.write(`fieldboot engine: ${ENGINE_CONNECT_ARG} needs ${ENGINE_TOKEN_FILE_ARG} with the host's token\n`);
    process.exit(EngineExitCode.BadUsage);
  }
  let connected = false;
  const socket = createConnection(connectTo);
  socket.on('connect', () => {
    connected = true;
    out = socket;
    send({ type: 'auth', token });
    sendHello();
  });
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.on('end', () => void exit(EngineExitCode.HostGone, 'host closed the socket'));
  socket.on('close', () => void exit(EngineExitCode.HostGone, 'host socket closed'));
  socket.on('error', (err) => {
    if (!connected) process.stderr.write(`fieldboot engine: cannot connect to the host at ${connectTo}: ${err.message}\n`);
    void exit(EngineExitCode.HostGone, `host socket error: ${err.message}`);
  });
}
