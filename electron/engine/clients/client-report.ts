/**
 * The client report a technician hands over: every machine with its stage, times and problems, as CSV
 * (a spreadsheet) or JSON (a script). Progress and labels come from shared/clients, like the view's.
 */
import type { ClientRecord, ClientReportFormat, ReachedStage } from '../../../shared/model/client-record';
import { CLIENT_STAGE_LABELS, CLIENT_STAGE_ORDER, stageDurations } from '../../../shared/clients/client-stages';
import { clientProgress } from '../../../shared/clients/client-progress';

export type { ClientReportFormat };

export const CLIENT_REPORT_FORMATS: readonly ClientReportFormat[] = ['csv', 'json'];

/**
 * One CSV field (RFC 4180 section 2): quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * A field a spreadsheet would run as a formula (=, +, -, @, tab, CR first: OWASP "CSV injection") gets a
 * leading apostrophe: hostnames come from DHCP packets, which anyone on the network can send.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 lines end with CRLF. */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

const stageColumn = (s: ReachedStage): string => s.replace(/-/g, '_');

export function clientReportCsv(records: readonly ClientRecord[], now: number): string {
  const head = [
    'mac', 'hostname', 'ip', 'firmware', 'image', 'stage', 'status', 'progress_percent', 'armed', 'one_shot', 'cycle',
    'first_seen', 'last_seen', 'bytes', 'packages_done', 'packages_expected', 'problem', 'hint',
    ...CLIENT_STAGE_ORDER.map((s) => `${stageColumn(s)}_at`),
    ...CLIENT_STAGE_ORDER.map((s) => `${stageColumn(s)}_seconds`),
  ];
  let out = csvLine(head);
  for (const r of sorted(records)) {
    const p = clientProgress(r);
    const durations = stageDurations(r, now);
    out += csvLine([
      r.mac, r.hostname, r.ip, r.firmware, r.image, r.stage, p.label, Math.round(p.fraction * 100), r.armed, r.oneShot, r.cycle,
      r.firstSeen, r.lastSeen, r.bytes, r.packagesDone, r.packagesExpected, r.problem?.reason, r.problem?.hint,
      ...CLIENT_STAGE_ORDER.map((s) => r.stageTimes[s]),
      ...CLIENT_STAGE_ORDER.map((s) => (durations[s] === undefined ? null : Math.round(durations[s] / 1000))),
    ]);
  }
  return out;
}

export interface ClientReportJson {
  format: 'fieldboot-client-report';
  version: 1;
  generatedAt: string;
  clients: (ClientRecord & { stageLabel: string; status: string; progress: number; stageSeconds: Partial<Record<ReachedStage, number>> })[];
}

export function clientReportJson(records: readonly ClientRecord[], now: number): string {
  const report: ClientReportJson = {
    format: 'fieldboot-client-report',
    version: 1,
    generatedAt: new Date(now).toISOString(),
    clients: sorted(records).map((r) => {
      const p = clientProgress(r);
      const seconds: Partial<Record<ReachedStage, number>> = {};
      for (const [s, ms] of Object.entries(stageDurations(r, now)) as [ReachedStage, number][]) seconds[s] = Math.round(ms / 1000);
      return { ...r, stageLabel: CLIENT_STAGE_LABELS[r.stage], status: p.label, progress: Math.round(p.fraction * 1000) / 1000, stageSeconds: seconds };
    }),
  };
  return JSON.stringify(report, null, 2) + '\n';
}

export function clientReport(records: readonly ClientRecord[], format: ClientReportFormat, now: number = Date.now()): string {
  return format === 'csv' ? clientReportCsv(records, now) : clientReportJson(records, now);
}

function sorted(records: readonly ClientRecord[]): ClientRecord[] {
  return [...records].sort((a, b) => (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') || a.mac.localeCompare(b.mac));
}
