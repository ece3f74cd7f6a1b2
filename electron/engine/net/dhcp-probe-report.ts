/**
 * The foreign-DHCP probe for the app's Network screen: one DISCOVER on the chosen interface (see
 * servers/dhcp-probe.ts), reported as plain data (shared/model/dhcp-probe.ts) the UI turns into advice.
 */
import type { DhcpProbeReport } from '../../../shared/model/dhcp-probe';
import { createLog, type LogSink } from '../log';
import { DEFAULT_PROBE_TIMEOUT_MS, probeDhcpServers, type DhcpProbeOptions, type DhcpProbeResult } from '../servers/dhcp-probe';

/** A probe that listens longer than this would leave the technician staring at a spinner. */
const MAX_UI_PROBE_MS = 10_000;

export function toProbeReport(r: DhcpProbeResult, at = new Date()): DhcpProbeReport {
  return {
    interface: r.interface,
    timeoutMs: r.timeoutMs,
    boundToInterface: r.boundToInterface,
    at: at.toISOString(),
    servers: r.servers.map((s) => ({
      serverId: s.serverId,
      sourceIp: s.sourceIp,
      offeredIp: s.offeredIp,
      leasesAddresses: s.leasesAddresses,
      pxe: s.pxe,
      ...(s.boot.bootFile ? { bootFile: s.boot.bootFile } : {}),
      ...(s.boot.nextServer ? { nextServer: s.boot.nextServer } : {}),
      ...(s.subnetMask ? { subnetMask: s.subnetMask } : {}),
      router: s.router,
    })),
  };
}

export async function probeForUi(iface: string, timeoutMs: number | undefined, sink: LogSink, extra: Partial<DhcpProbeOptions> = {}): Promise<DhcpProbeReport> {
  const t = Math.min(Math.max(timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, 500), MAX_UI_PROBE_MS);
  const result = await probeDhcpServers({ interfaceName: iface, timeoutMs: t, ...extra }, createLog(sink, 'DHCP'));
  return toProbeReport(result);
}
