/**
 * The host's end of the engine socket transport. An engine started through a prompt that cannot hand back
 * stdio pipes (the macOS admin prompt, Windows UAC) connects back here and speaks the ordinary line protocol.
 *
 * Who may connect: the socket lives in a fresh 0700 directory (Unix) or is a named pipe with a random name
 * (Windows), and the first line must carry the token the host wrote to a 0600 file beside it. The token is
 * read from that file, never put on the command line (anyone can read another user's command line). One
 * connection is accepted; then the listener closes and its directory is removed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_AUTH_MAX_BYTES, ENGINE_CONNECT_ARG, ENGINE_TOKEN_FILE_ARG } from '../../shared/engine-protocol';

export interface AcceptedEngine {
  socket: Socket;
  /** Bytes the engine sent after its auth line in the same read (usually its hello). */
  rest: Buffer;
}

/** Where an engine connects: a Unix socket path, or \\.\pipe\<name> on Windows. */
export function engineSocketAddress(dir: string, platform: NodeJS.Platform, random: string): string {
  return platform === 'win32' ? `\\\\.\\pipe\\fieldboot-engine-${random}` : join(dir, 'engine.sock');
}

/** Checks an auth line against the expected token without leaking where they differ. */
export function tokenMatches(line: string, token: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return false;
  }
  const p = parsed as { type?: unknown; token?: unknown } | null;
  if (!p || p.type !== 'auth' || typeof p.token !== 'string') return false;
  const a = Buffer.from(p.token);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class EngineSocketListener {
  readonly dir: string;
  readonly address: string;
  readonly tokenFile: string;
  private readonly token: string;
  private server: Server | null = null;
  /** Connections seen, the impostors included (tests read it). */
  rejected = 0;

  private constructor(private readonly platform: NodeJS.Platform) {
    // mkdtemp creates the directory 0700: only this user (and root) can reach the socket inside.
    this.dir = mkdtempSync(join(tmpdir(), 'fieldboot-engine-'));
    this.token = randomBytes(32).toString('hex');
    this.tokenFile = join(this.dir, 'token');
    writeFileSync(this.tokenFile, this.token + '\n', { mode: 0o600 });
    this.address = engineSocketAddress(this.dir, platform, randomBytes(12).toString('hex'));
  }

  /** Creates the directory, token file and listening socket. */
  static async open(platform: NodeJS.Platform = process.platform): Promise<EngineSocketListener> {
    const l = new EngineSocketListener(platform);
    try {
      await l.listen();
    } catch (err) {
      l.close();
      throw err;
    }
    return l;
  }

  /** The arguments that tell the engine where to connect. */
  get engineArgs(): string[] {
    return [ENGINE_CONNECT_ARG, this.address, ENGINE_TOKEN_FILE_ARG, this.tokenFile];
  }

  private listen(): Promise<void> {
    const server = createServer({ pauseOnConnect: false });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Waits for the engine: the first connection whose first line is the right auth line. Strangers are dropped
   * and waiting goes on. Rejects after timeoutMs, or when `abort` fires (the prompt was dismissed).
   */
  accept(timeoutMs: number, abort?: AbortSignal): Promise<AcceptedEngine> {
    const server = this.server;
    if (!server) return Promise.reject(new Error('the engine socket is closed'));
    return new Promise((resolve, reject) => {
      let done = false;
      const pending = new Set<Socket>();
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        server.off('connection', onConnection);
        abort?.removeEventListener('abort', onAbort);
        for (const s of pending) s.destroy();
        fn();
      };
      const onAbort = () => finish(() => reject(abort?.reason instanceof Error ? abort.reason : new Error('aborted')));
      const timer = setTimeout(() => finish(() => reject(new Error(`the engine did not connect within ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
      const onConnection = (socket: Socket) => {
        pending.add(socket);
        let buf = Buffer.alloc(0);
        const drop = () => {
          this.rejected++;
          pending.delete(socket);
          socket.destroy();
        };
        // A peer that connects and says nothing must not hold the slot.
        socket.setTimeout(5000, drop);
        socket.on('error', drop);
        const onData = (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          const nl = buf.indexOf(0x0a);
          if (nl < 0) {
            if (buf.length > ENGINE_AUTH_MAX_BYTES) drop();
            return;
          }
          socket.off('data', onData);
          const line = buf.subarray(0, nl).toString('utf8');
          if (!tokenMatches(line, this.token)) {
            drop();
            return;
          }
          pending.delete(socket);
          socket.setTimeout(0);
          socket.off('error', drop);
          socket.pause();
          // One engine per listener: nobody else may connect once it is in.
          finish(() => resolve({ socket, rest: buf.subarray(nl + 1) }));
          this.close();
        };
        socket.on('data', onData);
      };
      server.on('connection', onConnection);
      abort?.addEventListener('abort', onAbort, { once: true });
      if (abort?.aborted) onAbort();
    });
  }

  /** Stops listening and removes the directory (socket and token file). Safe to call twice. */
  close(): void {
    this.server?.close();
    this.server = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
