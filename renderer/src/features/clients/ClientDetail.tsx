/** The open machine: its problem with the hint, the stage timeline with durations, and its own event log. */
import { useEffect, useState } from 'react';
import type { ClientRecord } from '../../../../shared/model/client-record';
import { CLIENT_STAGE_LABELS, CLIENT_STAGE_ORDER, stageDurations } from '../../../../shared/clients/client-stages';
import { formatBytes, formatClock } from '../../components/format';
import { formatElapsed } from './client-format';
import { useClients, useClientsActions } from './clients-context';
import { useFieldboot } from '../../store/store-context';

/**
 * The whole log of the open machine: list records carry only its last lines (client-summary.ts), so the
 * full record is fetched when it opens and again whenever it changes (its rev moved).
 */
function useFullLog(record: ClientRecord | undefined): ClientRecord['log'] {
  const api = useFieldboot((s) => s.api);
  const [full, setFull] = useState<{ mac: string; log: ClientRecord['log'] } | null>(null);
  const mac = record?.mac;
  const rev = record?.rev;
  useEffect(() => {
    if (!mac) return;
    let live = true;
    void api.getClient(mac).then((r) => {
      if (live && r.ok) setFull({ mac, log: r.value.log });
    });
    return () => {
      live = false;
    };
  }, [api, mac, rev]);
  if (!record) return [];
  // Until the fetch answers, the tail the list has.
  return full && full.mac === record.mac && full.log.length >= record.log.length ? full.log : record.log;
}

function Timeline({ record }: { record: ClientRecord }) {
  const durations = stageDurations(record, Date.now());
  return (
    <ol className="client-timeline" data-testid="client-timeline">
      {CLIENT_STAGE_ORDER.map((stage) => {
        const at = record.stageTimes[stage];
        const current = record.reached === stage;
        const d = durations[stage];
        return (
          <li key={stage} className={`${at ? 'is-reached' : 'is-pending'}${current ? ' is-current' : ''}`} data-stage={stage} data-reached={at ? 'true' : 'false'}>
            <span className="client-timeline-dot" aria-hidden="true" />
            <span className="client-timeline-label">{CLIENT_STAGE_LABELS[stage]}</span>
            <span className="muted mono">{at ? formatClock(at) : ''}</span>
            <span className="muted mono">{at && d !== undefined && !current ? formatElapsed(d) : ''}</span>
          </li>
        );
      })}
    </ol>
  );
}

export function ClientDetail() {
  const record = useClients((s) => (s.detail ? s.byMac[s.detail] : undefined));
  const { openDetail } = useClientsActions();
  const log = useFullLog(record);
  if (!record) return null;
  return (
    <section
      className="panel client-detail"
      data-testid="client-detail"
      data-mac={record.mac}
      aria-label={`Machine ${record.mac}`}
      // Escape closes it and puts the keyboard back on the machine's row.
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        openDetail(null);
        document.querySelector<HTMLElement>(`[data-testid="client-row"][data-mac="${record.mac}"]`)?.focus();
      }}
    >
      <header className="panel-header">
        <h2>
          <span className="mono">{record.mac}</span>
          {record.hostname ? <span className="muted"> · {record.hostname}</span> : null}
        </h2>
        <div className="panel-actions">
          <button type="button" className="link-button" onClick={() => openDetail(null)}>
            Close
          </button>
        </div>
      </header>
      <div className="panel-body">
        {record.problem ? (
          <div className={`client-problem is-${record.problem.kind}`} role="alert" data-testid="client-problem">
            <p className="error-message">{record.problem.reason.charAt(0).toUpperCase() + record.problem.reason.slice(1)}</p>
            <p className="error-hint">{record.problem.hint}</p>
          </div>
        ) : null}
        <dl className="client-facts">
          <dt>Address</dt>
          <dd className="mono">{record.ip ?? '—'}</dd>
          <dt>Firmware</dt>
          <dd>{record.firmware ?? '—'}</dd>
          <dt>Image</dt>
          <dd>{record.image ?? '—'}</dd>
          <dt>Sent</dt>
          <dd>{formatBytes(record.bytes)}</dd>
          <dt>Packages</dt>
          <dd>{record.packagesExpected ? `${record.packagesDone} of ${record.packagesExpected}` : record.packagesDone}</dd>
          <dt>Install</dt>
          <dd>
            #{record.cycle} · {record.armed ? (record.oneShot ? 'armed for one install' : 'armed') : 'not armed (boots from disk)'}
          </dd>
        </dl>
        <Timeline record={record} />
        <h3 className="client-log-title">Event log</h3>
        <ol className="client-log" data-testid="client-log">
          {[...log].reverse().map((l) => (
            <li key={l.n} className={`log-${l.level}`}>
              <span className="muted mono">{formatClock(l.time)}</span>
              <span className="client-log-source">{l.source.toUpperCase()}</span>
              <span>{l.text}</span>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
