/**
 * The dashboard's service cards as data: for each boot service, is it listening (where), off (and why),
 * failed (with the error), and what it has done (the host's counters). Pure: the renderer draws it, the
 * unit tests check it.
 */
import type { ServingState } from './api/fieldboot-api';
import type { ErrorInfo } from './errors';
import type { ServiceCounters } from './diagnostics-log';
import type { Subsystem } from './model/engine-event';

export type ServiceId = 'dhcp' | 'proxy' | 'tftp' | 'http' | 'ftp';

export const SERVICE_IDS: readonly ServiceId[] = ['dhcp', 'proxy', 'tftp', 'http', 'ftp'];

export const SERVICE_LABELS: Record<ServiceId, string> = { dhcp: 'DHCP', proxy: 'proxyDHCP', tftp: 'TFTP', http: 'HTTP', ftp: 'FTP' };

/** Which subsystem's ErrorEvents concern the service. */
const SERVICE_SUBSYSTEM: Record<ServiceId, Subsystem> = { dhcp: 'DHCP', proxy: 'PROXY', tftp: 'TFTP', http: 'HTTP', ftp: 'FTP' };

export type ServiceStatusKind = 'listening' | 'off' | 'failed' | 'starting' | 'idle';

export interface ServiceStatus {
  id: ServiceId;
  label: string;
  kind: ServiceStatusKind;
  /** "192.168.77.1:69"; proxyDHCP has two (67 and 4011). */
  listening: string[];
  /** Why off, or the failure. */
  detail: string | null;
  error: { message: string; hint: string } | null;
  /** Counter lines in plain words ("3 leases", "2 transfers, 1 failed, 4.2 MB"). */
  counters: { label: string; value: number }[];
}

/**
 * Which service a start failure names. Listener errors say "TFTP port 69 on ... is already in use",
 * "No permission to open HTTP port 80", "Cannot listen for FTP on ..." (electron/engine/servers/listen-error.ts);
 * DHCP's say DHCP or proxyDHCP. Null when the error is about something else (no address, engine died).
 */
export function serviceOfError(message: string): ServiceId | null {
  if (/\bproxy\s*DHCP\b|\bproxyDHCP\b|\bport 4011\b/i.test(message)) return 'proxy';
  if (/\bTFTP\b/.test(message)) return 'tftp';
  if (/\bHTTP\b/.test(message)) return 'http';
  if (/\bFTP\b/.test(message)) return 'ftp';
  if (/\bDHCP\b/.test(message)) return 'dhcp';
  return null;
}

function transferCounters(c: ServiceCounters['tftp']): { label: string; value: number }[] {
  return [
    { label: 'transfers', value: c.started },
    { label: 'completed', value: c.completed },
    { label: 'failed', value: c.failed },
    { label: 'bytes sent', value: c.bytes },
  ];
}

function countersOf(id: ServiceId, c: ServiceCounters): { label: string; value: number }[] {
  switch (id) {
    case 'dhcp':
      return [
        { label: 'discovers', value: c.dhcp.discovers },
        { label: 'offers', value: c.dhcp.offers },
        { label: 'leases', value: c.dhcp.acks },
        { label: 'refused', value: c.dhcp.naks },
        { label: 'pool full', value: c.dhcp.poolExhausted },
      ];
    case 'proxy':
      return [
        { label: 'requests', value: c.proxy.requests },
        { label: 'boot offers', value: c.proxy.offers },
        { label: 'boot acks', value: c.proxy.acks },
      ];
    case 'tftp':
    case 'http':
    case 'ftp':
      return transferCounters(c[id]);
  }
}

/** One card per service, in SERVICE_IDS order. */
export function serviceStatuses(state: ServingState, counters: ServiceCounters): ServiceStatus[] {
  const failedService = state.phase === 'failed' && state.error ? serviceOfError(state.error.message) : null;
  return SERVICE_IDS.map((id): ServiceStatus => {
    const listening = state.services.filter((s) => s.name === id).map((s) => `${s.address}:${s.port}`);
    const base = { id, label: SERVICE_LABELS[id], listening, counters: countersOf(id, counters) };
    const runtimeError = counters.errors[SERVICE_SUBSYSTEM[id]];
    if (failedService === id && state.error) return { ...base, kind: 'failed', detail: state.error.message, error: pick(state.error) };
    if (state.phase === 'serving' && runtimeError) return { ...base, kind: 'failed', detail: runtimeError.message, error: { message: runtimeError.message, hint: runtimeError.hint } };
    if (listening.length > 0) return { ...base, kind: 'listening', detail: null, error: null };
    if (state.phase === 'starting') return { ...base, kind: 'starting', detail: 'opening…', error: null };
    if (state.phase === 'serving') return { ...base, kind: 'off', detail: offReason(id, state), error: null };
    if (state.phase === 'failed') return { ...base, kind: 'idle', detail: failedService ? 'not started: another service failed' : 'not started', error: null };
    return { ...base, kind: 'idle', detail: 'not serving', error: null };
  });
}

function pick(e: ErrorInfo): { message: string; hint: string } {
  return { message: e.message, hint: e.hint };
}

function offReason(id: ServiceId, state: ServingState): string {
  const mode = state.dhcpMode;
  if (id === 'dhcp') return mode === 'proxy' ? 'off: proxy mode (another server leases addresses)' : 'off: DHCP is off';
  if (id === 'proxy') return mode === 'full' ? 'off: full DHCP answers boot requests itself' : 'off: DHCP is off';
  if (id === 'ftp') return 'off in this session';
  return 'not listening';
}
