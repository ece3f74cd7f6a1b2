/**
 * Read-only anonymous FTP (RFC 959) for installers that still fetch over FTP (the seed's `method=ftp://`,
 * `ks=ftp://`). ftp-srv 4.6.3 speaks the protocol; this wrapper gives it a virtual file system over the
 * mounts (ftp-file-system.ts), refuses every write command with 550 before ftp-srv sees it, allows only
 * anonymous logins, pins passive mode to a port range and the serving address, routes its bunyan-style
 * logging into our LogSink, removes the SIGINT/SIGTERM/SIGQUIT handlers its constructor installs
 * (they call process.exit: an engine must decide its own shutdown), and closes control connections left
 * idle (watchIdle below).
 */
import FtpSrv from 'ftp-srv';
import type { FtpConnection } from 'ftp-srv';
import type { Socket } from 'node:net';
import { format } from 'node:util';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { ServiceInfo } from '../../../shared/model/engine-event';
import { createLog, type Log } from '../log';
import { compileFtpMounts, FtpReadOnlyFileSystem, type FtpMount } from './ftp-file-system';
import type { CompiledMount } from './http-mounts';
import { clientLabel, TransferReport } from './http-transfer-report';
import { listenError } from './listen-error';
import type { NetworkService, ServiceContext } from './network-service';

export type { FtpMount } from './ftp-file-system';

export const DEFAULT_FTP_PORT = 21;
/**
 * Passive data ports. Each transfer (and each listing) holds one port from PASV until its data connection
 * closes, and ftp-srv answers PASV with an error rather than waiting when none is free (measured: 12
 * concurrent transfers on a 10-port range, 2 refused). 50 covers a rack of clients fetching at once.
 */
export const DEFAULT_FTP_PASSIVE_PORT_MIN = 30000;
export const DEFAULT_FTP_PASSIVE_PORT_MAX = 30049;
export const DEFAULT_FTP_CHUNK_BYTES = 256 * 1024;
export const DEFAULT_FTP_MAX_CONNECTIONS = 256;
/**
 * A control connection with no command for this long, and no transfer running, is closed with 421. Five
 * minutes is vsftpd's idle_session_timeout default (300 s, vsftpd.conf(5)); an installer fetches its files
 * back to back, so only an abandoned client waits that long.
 */
export const DEFAULT_FTP_IDLE_TIMEOUT_MS = 5 * 60_000;
/** RFC 959 section 4.2: 421 "Service not available, closing control connection". */
export const FTP_REPLY_CLOSING = 421;
/** User names taken as anonymous (RFC 1635 section 2: "anonymous", and "ftp" by long custom). */
export const FTP_ANONYMOUS_USERS = ['anonymous', 'ftp'] as const;
/** Commands that would change something (RFC 959 section 4.1.3, RFC 3659 none): always 550. */
export const FTP_WRITE_COMMANDS = ['STOR', 'STOU', 'APPE', 'DELE', 'RMD', 'XRMD', 'MKD', 'XMKD', 'RNFR', 'RNTO', 'SITE'] as const;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

export interface FtpServerOptions {
  bindAddress: string;
  /** 0 picks a free port (tests); services() reports the real one. */
  port?: number;
  mounts?: readonly FtpMount[];
  passivePortMin?: number;
  passivePortMax?: number;
  /** The address sent in PASV replies: the serving IP. Defaults to bindAddress (which must then not be 0.0.0.0). */
  passiveAddress?: string;
  chunkBytes?: number;
  maxConnections?: number;
  /** Idle limit of a control connection (DEFAULT_FTP_IDLE_TIMEOUT_MS); 0 turns it off. Tests pass a short one. */
  idleTimeoutMs?: number;
}

/** The part of ftp-srv's connection this wrapper touches (its typings leave these out). */
interface ConnectionInternals {
  authenticated?: boolean;
  commandSocket?: { remoteAddress?: string; remotePort?: number };
  connector?: { socket?: { once(event: 'close', listener: () => void): unknown } | null; end?: () => void };
  commands: { parse(message: string): { directive: string; arg: string | null }; handle(command: unknown): unknown };
  reply(code: number, message: string): Promise<unknown>;
  /** Replies `code` (when non-zero), then destroys the control socket (ftp-srv 4.6.3 src/connection.js). */
  close(code?: number, message?: string): Promise<unknown>;
}

export class FtpServer implements NetworkService {
  private readonly log: Log;
  private readonly port: number;
  private compiled: CompiledMount[];
  private ftp: FtpSrv | null = null;
  private boundPort = 0;
  private readonly startedAt = new Date();
  /** One idle check per open control connection (watchIdle). */
  private readonly idleChecks = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: FtpServerOptions,
    private readonly ctx: ServiceContext,
  ) {
    this.log = createLog(ctx.logSink, 'FTP');
    this.port = options.port ?? DEFAULT_FTP_PORT;
    this.compiled = compileFtpMounts(options.mounts ?? []);
    const min = options.passivePortMin ?? DEFAULT_FTP_PASSIVE_PORT_MIN;
    const max = options.passivePortMax ?? DEFAULT_FTP_PASSIVE_PORT_MAX;
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max <= 65535 && min <= max)) {
      throw new FieldbootError(ErrorCode.BadOption, `FTP passive port range ${min}-${max} is not a range of TCP ports`);
    }
    const pasv = options.passiveAddress ?? options.bindAddress;
    if (pasv === '0.0.0.0') throw new FieldbootError(ErrorCode.BadOption, 'FTP needs the serving address for passive mode (passiveAddress) when bound to 0.0.0.0');
    const idle = options.idleTimeoutMs ?? DEFAULT_FTP_IDLE_TIMEOUT_MS;
    if (!(Number.isFinite(idle) && idle >= 0)) throw new FieldbootError(ErrorCode.BadOption, `FTP idle timeout ${idle} ms is not a duration`);
  }

  setMounts(mounts: readonly FtpMount[]): void {
    this.compiled = compileFtpMounts(mounts);
  }

  async start(): Promise<void> {
    if (this.ftp) throw new FieldbootError(ErrorCode.AlreadyServing, 'FTP server already started');
    const o = this.options;
    const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
    const ftp = new FtpSrv({
      url: `ftp://${o.bindAddress}:${this.port}`,
      pasv_url: o.passiveAddress ?? o.bindAddress,
      pasv_min: o.passivePortMin ?? DEFAULT_FTP_PASSIVE_PORT_MIN,
      pasv_max: o.passivePortMax ?? DEFAULT_FTP_PASSIVE_PORT_MAX,
      anonymous: true,
      greeting: ['FieldBoot read-only FTP'],
      log: bunyanAdapter(this.log, {}),
    });
    // ftp-srv 4.6.3 src/index.js: process.on(SIGTERM|SIGINT|SIGQUIT, quit) where quit() ends in process.exit(0).
    for (const s of SIGNALS) {
      for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.off(s, l);
    }
    ftp.on('login', ({ connection, username }, resolve, reject) => {
      const who = clientOf(connection);
      if (!(FTP_ANONYMOUS_USERS as readonly string[]).includes((username ?? '').toLowerCase())) {
        this.log.info(`${who}: login as ${JSON.stringify(username)} refused (anonymous only)`);
        return reject(new Error('Only anonymous login is allowed'));
      }
      this.log.debug(`${who}: anonymous login`);
      const fs = new FtpReadOnlyFileSystem({
        mounts: () => this.compiled,
        chunkBytes: o.chunkBytes ?? DEFAULT_FTP_CHUNK_BYTES,
        startedAt: this.startedAt,
        dataSocket: () => (connection as unknown as ConnectionInternals).connector?.socket ?? null,
        report: (path, size) => new TransferReport({ protocol: 'ftp', client: who, path, size, emit: (e) => this.ctx.emit(e) }),
      });
      // ftp-srv's typings want its own FileSystem class; ours has the same methods and touches no disk path.
      resolve({ fs: fs as unknown as NonNullable<Parameters<typeof resolve>[0]['fs']> });
    });
    (ftp as unknown as NodeJS.EventEmitter).on('connect', ({ connection }: { connection: FtpConnection }) => {
      this.guardWrites(connection);
      this.watchIdle(connection);
    });
    ftp.on('client-error', ({ connection, context, error }: { connection: FtpConnection; context: string; error: Error }) => {
      this.log.debug(`${clientOf(connection)}: ${context} error: ${error.message}`);
    });
    (ftp as unknown as NodeJS.EventEmitter).on('server-error', ({ error }: { error: Error }) => this.log.warn(`listener error: ${error.message}`));

    try {
      await ftp.listen();
    } catch (err) {
      await ftp.close().catch(() => {});
      throw listenError(err, 'FTP', o.bindAddress, this.port);
    }
    const server = (ftp as unknown as { server: import('node:net').Server }).server;
    server.maxConnections = o.maxConnections ?? DEFAULT_FTP_MAX_CONNECTIONS;
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.port;
    this.ftp = ftp;
    this.log.info(`listening on ${o.bindAddress}:${this.boundPort} (passive ${o.passivePortMin ?? DEFAULT_FTP_PASSIVE_PORT_MIN}-${o.passivePortMax ?? DEFAULT_FTP_PASSIVE_PORT_MAX})`);
  }

  async stop(): Promise<void> {
    const ftp = this.ftp;
    this.ftp = null;
    for (const t of this.idleChecks) clearInterval(t);
    this.idleChecks.clear();
    if (!ftp) return;
    // Closing the control connections ends their data connections, which destroys the file streams.
    await ftp.close().catch((err: unknown) => this.log.debug(`close: ${err instanceof Error ? err.message : String(err)}`));
  }

  services(): ServiceInfo[] {
    return this.ftp ? [{ name: 'ftp', address: this.options.bindAddress, port: this.boundPort }] : [];
  }

  /**
   * Answers write commands with 550 before ftp-srv dispatches them. Its own handlers would answer 402 (no
   * such method) or, for SITE CHMOD, 500; RFC 959 says 550 for "action not taken", which clients report as
   * a permission problem. Unauthenticated sessions still get ftp-srv's 530 first.
   */
  private guardWrites(connection: FtpConnection): void {
    const c = connection as unknown as ConnectionInternals;
    const original = c.commands.handle.bind(c.commands);
    c.commands.handle = (command: unknown) => {
      const parsed = typeof command === 'string' ? c.commands.parse(command) : (command as { directive: string; arg: string | null });
      if (c.authenticated && (FTP_WRITE_COMMANDS as readonly string[]).includes(parsed.directive)) {
        this.log.info(`${clientOf(connection)}: refused ${parsed.directive} ${parsed.arg ?? ''} (read-only server)`);
        // A PASV/EPSV already set up for an upload is closed with the refusal.
        c.connector?.end?.();
        return c.reply(550, 'Read-only server: permission denied');
      }
      return original(command);
    };
  }

  /**
   * Closes a control connection that has been quiet for the idle limit, with 421 (RFC 959 section 4.2).
   * ftp-srv's own `timeout` option is a socket timeout on the control connection, which also fires during a
   * long RETR: ftp-srv stops reading the control socket for the transfer, and a client says nothing there
   * until it ends, so a 1 GB download at a modest rate would be cut. Here the clock runs only while no
   * command is in progress (a RETR is in progress until its 226): it restarts on every byte the client sends
   * and when a command finishes. A transfer is never cut for being slow; one whose client died ends when TCP
   * gives up on the data connection, which ends the RETR and starts the clock. A RETR finishes (226) when its
   * last byte is in the kernel's socket buffer: the client then has the limit to read the few MB still
   * buffered, as with vsftpd, whose idle timer also starts at the 226.
   */
  private watchIdle(connection: FtpConnection): void {
    const limit = this.options.idleTimeoutMs ?? DEFAULT_FTP_IDLE_TIMEOUT_MS;
    const c = connection as unknown as ConnectionInternals;
    const control = (connection as unknown as { commandSocket?: Socket }).commandSocket;
    if (limit <= 0 || !control) return;
    let lastActivity = Date.now();
    let inFlight = 0;
    control.on('data', () => {
      lastActivity = Date.now();
    });
    // Chained after guardWrites: every command, refused or not, counts while it runs.
    const handle = c.commands.handle.bind(c.commands);
    c.commands.handle = (command: unknown) => {
      inFlight++;
      const done = () => {
        inFlight--;
        lastActivity = Date.now();
      };
      let result: unknown;
      try {
        result = handle(command);
      } catch (err) {
        done();
        throw err;
      }
      Promise.resolve(result).then(done, done);
      return result;
    };
    // A quarter of the limit between checks, at most 30 s: closed within 1.25 limits (1.1 for the default),
    // and a connection costs one timer run every 30 s.
    const every = Math.min(Math.max(Math.floor(limit / 4), 10), 30_000);
    const seconds = Math.round(limit / 100) / 10;
    const check: NodeJS.Timeout = setInterval(() => {
      if (inFlight > 0 || Date.now() - lastActivity < limit || control.destroyed) return;
      stopChecking();
      this.log.info(`${clientOf(connection)}: no command for ${seconds} s, control connection closed (${FTP_REPLY_CLOSING})`);
      c.close(FTP_REPLY_CLOSING, `Idle for ${seconds} seconds: closing control connection`).catch(() => control.destroy());
    }, every);
    // The interval's first run and the close event both come after this line.
    const stopChecking = (): void => {
      clearInterval(check);
      this.idleChecks.delete(check);
    };
    check.unref();
    this.idleChecks.add(check);
    control.once('close', stopChecking);
  }
}

function clientOf(connection: FtpConnection): string {
  const s = (connection as unknown as ConnectionInternals).commandSocket;
  return clientLabel(s?.remoteAddress, s?.remotePort);
}

/**
 * The slice of bunyan's Logger that ftp-srv calls (level methods with an optional leading fields object or
 * Error, and child()). ftp-srv logs client mistakes (missing files, dropped sockets) as errors: they go to
 * debug/info here, and FieldBoot's own lines say what matters.
 */
interface BunyanLike {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  fatal(...args: unknown[]): void;
  child(fields: Record<string, unknown>): BunyanLike;
}

function bunyanAdapter(log: Log, fields: Record<string, unknown>): BunyanLike {
  const render = (args: unknown[]): string => {
    const rest = [...args];
    let prefix = '';
    const first = rest[0];
    if (first instanceof Error) {
      rest.shift();
      prefix = first.message;
    } else if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      rest.shift();
    }
    const text = rest.length ? format(...rest) : '';
    return [text, prefix].filter(Boolean).join(': ') || 'ftp-srv event';
  };
  const at = (sink: (m: string, e?: { fields: Record<string, unknown> }) => void) => (...args: unknown[]) => sink(`ftp-srv: ${render(args)}`, { fields });
  return {
    trace: () => {},
    debug: at(log.debug),
    info: at(log.debug),
    warn: at(log.info),
    error: at(log.info),
    fatal: at(log.warn),
    child: (more) => bunyanAdapter(log, { ...fields, ...more }),
  };
}
