/**
 * `fieldboot dhcp-probe --interface IF [--timeout S] [--json]`: which DHCP servers answer on this network.
 * Broadcasts one DISCOVER (never a REQUEST, so nothing is leased) and lists every OFFER within the timeout.
 * Exit codes: 0 done (an empty list is a result too), 2 bad usage, 5 the probe could not run (one line says why).
 */
import { parseArgs } from 'node:util';
import { EngineExitCode } from '../../../shared/engine-protocol';
import { toErrorInfo } from '../../../shared/errors';
import { createLog, type LogEntry } from '../log';
import { DEFAULT_PROBE_TIMEOUT_MS, probeDhcpServers, type DhcpProbeResult } from '../servers/dhcp-probe';

const USAGE = 'usage: fieldboot dhcp-probe --interface IF [--timeout S] [--json] [--verbose]';
/** Long enough for any server; short enough that a mistyped value does not hang a script. */
const MAX_TIMEOUT_S = 60;

export function formatProbe(r: DhcpProbeResult): string {
  const secs = r.timeoutMs / 1000;
  if (r.servers.length === 0) return `No DHCP server answered on ${r.interface} within ${secs} s.\n`;
  const rows = r.servers.map((s) => [
    s.serverId ?? '-',
    s.sourceIp,
    s.leasesAddresses ? s.offeredIp : 'proxy',
    s.pxe ? `yes${s.boot.bootFile ? ` (${s.boot.bootFile})` : ''}` : 'no',
    s.router.join(',') || '-',
    s.dns.join(',') || '-',
  ]);
  const head = ['SERVER ID', 'SOURCE', 'OFFERED', 'PXE', 'ROUTER', 'DNS'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const table = [head, ...rows].map((row) => row.map((cell, c) => (cell ?? '').padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
  const n = r.servers.length;
  return `${n} DHCP server${n === 1 ? '' : 's'} answered on ${r.interface} within ${secs} s:\n${table}\n`;
}

export async function run(argv: string[]): Promise<number> {
  let values: { interface?: string; timeout?: string; json?: boolean; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        interface: { type: 'string', short: 'i' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`fieldboot: ${(err as Error).message}\n${USAGE}\n`);
    return EngineExitCode.BadUsage;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EngineExitCode.Ok;
  }
  if (!values.interface) {
    process.stderr.write(`fieldboot: dhcp-probe needs --interface IF (run "fieldboot interfaces" to list them)\n${USAGE}\n`);
    return EngineExitCode.BadUsage;
  }
  let timeoutMs = DEFAULT_PROBE_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || s <= 0 || s > MAX_TIMEOUT_S) {
      process.stderr.write(`fieldboot: --timeout must be a number of seconds (0-${MAX_TIMEOUT_S}), not "${values.timeout}"\n`);
      return EngineExitCode.BadUsage;
    }
    timeoutMs = Math.round(s * 1000);
  }
  // Logs go to stderr so --json stdout stays one JSON document.
  const log = createLog((e: LogEntry) => {
    if (e.level === 'debug' && !values.verbose) return;
    if (e.level === 'info' && !values.verbose) return; // the result says it
    process.stderr.write(`fieldboot: ${e.level}: ${e.message}\n`);
  }, 'DHCP');
  let result: DhcpProbeResult;
  try {
    result = await probeDhcpServers({ interfaceName: values.interface, timeoutMs }, log);
  } catch (err) {
    const info = toErrorInfo(err);
    process.stderr.write(`fieldboot: cannot probe: ${info.message}. ${info.hint}\n`);
    return EngineExitCode.CannotServe;
  }
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(formatProbe(result));
    if (result.servers.some((s) => s.leasesAddresses)) {
      process.stdout.write('Another server hands out addresses here: serve with --dhcp proxy.\n');
    }
  }
  return EngineExitCode.Ok;
}
