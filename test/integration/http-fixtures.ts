/**
 * Shared bits of the HTTP and FTP integration tests: start a server on 127.0.0.1 with a free port and
 * collect its events, count this process's open descriptors, hash files and streams.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { EngineEvent, FileEvent } from '../../shared/model/engine-event';
import type { LogEntry } from '../../electron/engine/log';
import { HttpServer, type HttpServerOptions } from '../../electron/engine/servers/http-server';
import { FtpServer, type FtpServerOptions } from '../../electron/engine/servers/ftp-server';

export { run, sleep, waitFor } from './tftp-fixtures';

export const LOOPBACK = '127.0.0.1';

export interface Harness<S> {
  server: S;
  port: number;
  events: EngineEvent[];
  logs: LogEntry[];
  fileEvents(filter?: (e: FileEvent) => boolean): FileEvent[];
  close(): Promise<void>;
}

function harness<S extends { start(): Promise<void>; stop(): Promise<void>; services(): { port: number }[] }>(make: (ctx: { emit: (e: EngineEvent) => void; logSink: (e: LogEntry) => void }) => S): Promise<Harness<S>> {
  const events: EngineEvent[] = [];
  const logs: LogEntry[] = [];
  const server = make({ emit: (e) => events.push(e), logSink: (e) => logs.push(e) });
  return server.start().then(() => ({
    server,
    port: server.services()[0]?.port ?? 0,
    events,
    logs,
    fileEvents: (filter) => events.filter((e): e is FileEvent => e.type === 'file' && (!filter || filter(e))),
    close: () => server.stop(),
  }));
}

export function startHttp(opts: Partial<HttpServerOptions> = {}): Promise<Harness<HttpServer>> {
  return harness((ctx) => new HttpServer({ bindAddress: LOOPBACK, port: 0, ...opts }, ctx));
}

/** A passive range unlikely to meet another test process's (several run at once on this machine). */
export function passiveRange(width = 50): { passivePortMin: number; passivePortMax: number } {
  const min = 40000 + ((process.pid * 7919 + Date.now()) % 400) * 50;
  return { passivePortMin: min, passivePortMax: min + width - 1 };
}

export function startFtp(opts: Partial<FtpServerOptions> = {}): Promise<Harness<FtpServer>> {
  return harness((ctx) => new FtpServer({ bindAddress: LOOPBACK, port: 0, ...passiveRange(), ...opts }, ctx));
}

export async function fdCount(): Promise<number> {
  return (await fsp.readdir('/proc/self/fd')).length;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string, range: { start?: number; end?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { ...range, highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
