/** Everything the engine reports while serving. One JSON object per line in `fieldboot serve --json`. */
import type { ErrorInfo } from '../errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Subsystem = 'DHCP' | 'PROXY' | 'TFTP' | 'HTTP' | 'FTP' | 'ISO' | 'ENGINE' | 'HOST';

export interface ServiceInfo {
  name: 'dhcp' | 'proxy' | 'tftp' | 'http' | 'ftp';
  address: string;
  port: number;
}

export interface ReadyEvent {
  type: 'ready';
  time: string;
  interface: string;
  serverIp: string;
  prefix: number;
  dhcpMode: string;
  range: string | null;
  services: ServiceInfo[];
}

export interface LeaseEvent {
  type: 'lease';
  time: string;
  /** offer: address proposed; ack: bound; release/decline/expire: freed; nak: refused. */
  action: 'offer' | 'ack' | 'nak' | 'release' | 'decline' | 'inform';
  mac: string;
  ip: string;
  hostname?: string;
  /** Client system architecture (RFC 4578 option 93), when sent. */
  arch?: number;
  vendorClass?: string;
  userClass?: string;
  bootFile?: string;
}

export interface FileEvent {
  type: 'file';
  time: string;
  protocol: 'tftp' | 'http' | 'ftp';
  action: 'start' | 'progress' | 'end' | 'error';
  client: string;
  mac?: string;
  path: string;
  size?: number;
  bytes: number;
  /** Bytes per second over the transfer so far. */
  rate?: number;
  durationMs?: number;
  error?: string;
}

export interface PoolEvent {
  type: 'pool';
  time: string;
  action: 'exhausted';
  mac: string;
  range: string;
}

export interface ErrorEvent {
  type: 'error';
  time: string;
  subsystem: Subsystem;
  error: ErrorInfo;
}

export interface LogEvent {
  type: 'log';
  time: string;
  level: LogLevel;
  subsystem: Subsystem;
  message: string;
  mac?: string;
  fields?: Record<string, unknown>;
}

export interface StoppedEvent {
  type: 'stopped';
  time: string;
  reason: string;
}

export type EngineEvent = ReadyEvent | LeaseEvent | FileEvent | PoolEvent | ErrorEvent | LogEvent | StoppedEvent;

export function nowIso(): string {
  return new Date().toISOString();
}
