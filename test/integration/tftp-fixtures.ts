/**
 * Shared pieces of the TFTP integration tests: a server on 127.0.0.1 with a free port and a temp root,
 * a hand-driven UDP client, and a way to run the real clients (tftp-hpa, atftp, curl).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileEvent, EngineEvent } from '../../shared/model/engine-event';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import type { LogEntry } from '../../electron/engine/log';
import { TftpServer, type TftpServerOptions } from '../../electron/engine/servers/tftp-server';
import { decodeTftpPacket, encodeTftpPacket, type TftpPacket } from '../../electron/engine/protocol/tftp/tftp-packet';

export const LOOPBACK = '127.0.0.1';

export interface TftpHarness {
  server: TftpServer;
  port: number;
  root: string;
  events: EngineEvent[];
  logs: LogEntry[];
  fileEvents(): FileEvent[];
  /** Writes a file under the root and returns its sha256. */
  put(name: string, data: Buffer): string;
  close(): Promise<void>;
}

export async function startTftp(opts: Partial<TftpServerOptions> = {}): Promise<TftpHarness> {
  const base = mkdtempSync(join(tmpdir(), 'fb-tftp-'));
  const root = join(base, 'root');
  mkdirSync(root);
  const events: EngineEvent[] = [];
  const logs: LogEntry[] = [];
  const server = new TftpServer(
    { bindAddress: LOOPBACK, port: 0, source: new DirectorySource(root), ...opts },
    { emit: (e) => events.push(e), logSink: (l) => logs.push(l) },
  );
  await server.start();
  const port = server.services()[0]?.port ?? 0;
  return {
    server,
    port,
    root,
    events,
    logs,
    fileEvents: () => events.filter((e): e is FileEvent => e.type === 'file'),
    put(name, data) {
      writeFileSync(join(root, name), data);
      return sha256(data);
    },
    async close() {
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

export function randomFile(size: number): Buffer {
  return size === 0 ? Buffer.alloc(0) : randomBytes(size);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command with a hard timeout (a hung client fails the test instead of hanging it). */
export function run(cmd: string, args: string[], timeoutMs = 60_000, cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export interface Received {
  packet: TftpPacket;
  rinfo: RemoteInfo;
  at: number;
}

/** A UDP socket speaking TFTP by hand, for the cases real clients cannot produce. */
export class UdpProbe {
  private readonly queue: Received[] = [];
  private waiter: (() => void) | null = null;
  /** Every datagram that failed to decode (should stay empty: the server only sends valid packets). */
  readonly undecodable: Buffer[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('message', (msg, rinfo) => {
      try {
        this.queue.push({ packet: decodeTftpPacket(msg), rinfo, at: performance.now() });
      } catch {
        this.undecodable.push(msg);
      }
      this.waiter?.();
    });
  }

  static async open(): Promise<UdpProbe> {
    const s = createSocket('udp4');
    await new Promise<void>((res) => s.bind(0, LOOPBACK, () => res()));
    return new UdpProbe(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(packet: TftpPacket | Buffer, port: number): void {
    this.socket.send(Buffer.isBuffer(packet) ? packet : encodeTftpPacket(packet), port, LOOPBACK);
  }

  /** The next packet, or null after `timeoutMs` of silence. */
  async next(timeoutMs = 3000): Promise<Received | null> {
    const deadline = performance.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          this.waiter = null;
          res();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          res();
        };
      });
    }
    return this.queue.shift() ?? null;
  }

  /** Drains everything that arrives within `quietMs` of the previous packet. */
  async drain(quietMs = 300): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const r = await this.next(quietMs);
      if (!r) return out;
      out.push(r);
    }
  }

  close(): void {
    this.socket.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` is true or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
