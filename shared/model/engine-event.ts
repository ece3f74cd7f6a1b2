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
  /**
   * What the client sent: discover (looking for an address), request (asking to bind one). What the server did:
   * offer (address proposed), ack (bound), nak (refused), release/decline (freed), inform (configuration only).
   */
  action: 'discover' | 'offer' | 'request' | 'ack' | 'nak' | 'release' | 'decline' | 'inform';
  mac: string;
  /** The address concerned; for discover/request, the one the client asks for ("0.0.0.0" when it names none). */
  ip: string;
  hostname?: string;
  /** Client system architecture (RFC 4578 option 93), when sent. */
  arch?: number;
  /** The firmware that architecture means ("bios", "efi-x64", ...), when option 93 was sent. */
  firmware?: string;
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
