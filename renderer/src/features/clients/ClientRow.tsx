/**
 * One machine in the Clients table. Memoized on its MAC and reading only its own record from the store,
 * so a change to one machine re-renders one row, not two hundred.
 */
import { memo, useMemo } from 'react';
import type { ClientRecord } from '../../../../shared/model/client-record';
import { clientProgress } from '../../../../shared/clients/client-progress';
import { formatRate } from '../../components/format';
import { formatElapsed } from './client-format';
import { useClients, useClientsActions } from './clients-context';
import { useNow } from './use-now';

function LiveElapsed({ since }: { since: number }) {
  const now = useNow();
  return <>{formatElapsed(now - since)}</>;
}

/** From first seen to finished (fixed), or to now (ticking) while the install runs. */
function Elapsed({ record }: { record: ClientRecord }) {
  if (!record.firstSeen) return <span className="muted">—</span>;
  const start = Date.parse(record.stageTimes.discovered ?? record.firstSeen);
  const end = record.stageTimes.finished ?? record.stageTimes['first-boot'];
  if (end) return <>{formatElapsed(Date.parse(end) - start)}</>;
  if (record.stage === 'failed' || record.stage === 'stalled') return <>{formatElapsed(Date.parse(record.lastSeen ?? record.firstSeen) - start)}</>;
  return <LiveElapsed since={start} />;
}

/** Fixed row height: the list is virtualized (only rows in view exist), which needs to know where each row is. */
export const CLIENT_ROW_HEIGHT = 40;

export const ClientRow = memo(function ClientRow({ mac, index }: { mac: string; index: number }) {
  const record = useClients((s) => s.byMac[mac]);
  const selected = useClients((s) => s.selected.has(mac));
  const open = useClients((s) => s.detail === mac);
  const { toggleSelected, openDetail } = useClientsActions();
  const progress = useMemo(() => (record ? clientProgress(record) : null), [record]);
  if (!record || !progress) return null;
  const pct = Math.round(progress.fraction * 100);
  const none = <span className="muted">—</span>;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`client-row tone-${progress.tone}${selected ? ' is-selected' : ''}${open ? ' is-open' : ''}`}
      style={{ transform: `translateY(${index * CLIENT_ROW_HEIGHT}px)` }}
      data-testid="client-row"
      data-mac={mac}
      data-stage={record.stage}
      data-armed={record.armed ? 'true' : 'false'}
      onClick={() => openDetail(open ? null : mac)}
      // Keyboard: the row is a stop in the Tab order; Enter or Space opens (or closes) its detail.
      tabIndex={0}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget || (e.key !== 'Enter' && e.key !== ' ')) return;
        e.preventDefault();
        openDetail(open ? null : mac);
      }}
    >
      <div role="cell" className="client-check" onClick={(e) => e.stopPropagation()}>
        <input type="checkbox" checked={selected} onChange={() => toggleSelected(mac)} aria-label={`Select ${mac}`} data-testid="client-select" />
      </div>
      <div role="cell" className="mono">
        {record.mac}
        {record.armed ? (
          <span className="client-armed" data-testid="client-armed" title={record.oneShot ? 'Armed for one install' : 'Armed: installs on every network boot'}>
            {record.oneShot ? 'once' : 'armed'}
          </span>
        ) : null}
      </div>
      <div role="cell">{record.hostname ?? none}</div>
      <div role="cell" className="mono">{record.ip ?? none}</div>
      <div role="cell">{record.firmware ?? none}</div>
      <div role="cell">{record.image ?? none}</div>
      <div role="cell" className="client-stage-cell">
        <div className="client-stage-label" data-testid="client-stage-label" title={record.problem?.hint}>
          {progress.label}
        </div>
        <div className="client-progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Install progress">
          {/* scaleX, not width: the compositor moves it without a layout of the list. */}
          <div className="client-progress-bar" style={{ transform: `scaleX(${progress.fraction})` }} />
        </div>
      </div>
      <div role="cell" className="mono num">
        <Elapsed record={record} />
      </div>
      <div role="cell" className="mono num">
        {record.transfer?.active && record.transfer.rate > 0 ? formatRate(record.transfer.rate) : none}
      </div>
    </div>
  );
});
