/** What is checked before serving starts (ports, privileges, host firewall), as the network screen lists it. */
import type { DhcpMode } from './serve-config';

export const PreflightStatus = { Ok: 'ok', Warning: 'warning', Blocking: 'blocking' } as const;
export type PreflightStatus = (typeof PreflightStatus)[keyof typeof PreflightStatus];

export interface PreflightRequest {
  interface: string;
  dhcpMode: DhcpMode;
  /** The address FieldBoot would give a bare interface ("10.77.0.1/24"): the ports are checked on it. */
  assignAddress?: string;
}

/** A listener found on a port FieldBoot needs. */
export interface PortHolder {
  protocol: 'udp' | 'tcp';
  port: number;
  /** As the OS shows it: "0.0.0.0", "*", "192.168.77.1", "0.0.0.0%br0". */
  address: string;
  /** Process name and id when the OS tells (Linux ss needs the same user or root to say). */
  process: string | null;
  pid: number | null;
  /** The full command line when readable (/proc/PID/cmdline). */
  commandLine?: string;
}

export interface PreflightCheck {
  /** Stable id: "port-udp-69", "privileges", "firewall". */
  id: string;
  title: string;
  status: PreflightStatus;
  /** What was found, in plain words. */
  detail: string;
  /** What to do about it: a command to run or a step to take. */
  fix?: string;
  /** For port checks: who holds the port. */
  holders?: PortHolder[];
}

export interface PreflightReport {
  interface: string;
  /** The address the ports were checked on (null: the interface has none and none is to be assigned). */
  serverIp: string | null;
  checks: PreflightCheck[];
  /** Where the checks ran; the privileges are that process's. */
  ranIn: 'host' | 'engine';
  /** Anything the reader should know about how far the checks go (e.g. which process's rights were checked). */
  note?: string;
  time: string;
}
