/**
 * The Clients view: every machine from its first DHCP packet to its first boot. Counts per stage (which
 * double as filters), a text filter, a row per machine, a detail panel, and arming: select machines and
 * arm them for install (one-shot by default: disarmed once they report finished, so the next reboot
 * boots the installed system). Everything else gets local boot.
 */
import { useEffect, useMemo, useRef } from 'react';
import { useScrollView } from '../../components/use-scroll-view';
import { useShallow } from 'zustand/react/shallow';
import { ALL_CLIENT_STAGES, CLIENT_STAGE_LABELS } from '../../../../shared/clients/client-stages';
import type { ClientReportFormat } from '../../../../shared/model/client-record';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Panel } from '../../components/Panel';
import { useFieldboot } from '../../store/store-context';
import { ClientDetail } from './ClientDetail';
import { CLIENT_ROW_HEIGHT, ClientRow } from './ClientRow';
import { reportFileName } from './client-format';
import { ClientsProvider, clientsStoreFor, useClients, useClientsActions } from './clients-context';
import { matchesFilter, type StageFilter } from './clients-store';
import './clients.css';

function StageCounts() {
  const counts = useClients(
    useShallow((s) => {
      const c: Record<string, number> = { all: s.order.length, active: 0 };
      for (const mac of s.order) {
        const r = s.byMac[mac];
        if (!r) continue;
        c[r.stage] = (c[r.stage] ?? 0) + 1;
        if (matchesFilter(r, 'active', '')) c.active = (c.active ?? 0) + 1;
      }
      return c;
    }),
  );
  const current = useClients((s) => s.stageFilter);
  const { setStageFilter } = useClientsActions();
  const chip = (id: StageFilter, label: string) => {
    const n = counts[id] ?? 0;
    if (n === 0 && id !== 'all' && id !== current) return null;
    return (
      <button
        key={id}
        type="button"
        className={`stage-chip stage-${id}${current === id ? ' is-current' : ''}`}
        aria-pressed={current === id}
        data-testid="clients-stage-count"
        data-stage={id}
        data-count={n}
        onClick={() => setStageFilter(current === id ? 'all' : id)}
      >
        {label} <span className="stage-chip-count">{n}</span>
      </button>
    );
  };
  return (
    <div className="stage-chips" role="group" aria-label="Machines per stage">
      {chip('all', 'All')}
      {chip('active', 'In progress')}
      {ALL_CLIENT_STAGES.map((s) => chip(s, CLIENT_STAGE_LABELS[s]))}
    </div>
  );
}

function download(text: string, format: ClientReportFormat): void {
  const blob = new Blob([text], { type: format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = reportFileName(format);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Toolbar() {
  const text = useClients((s) => s.text);
  const selectedCount = useClients((s) => s.selected.size);
  const oneShot = useClients((s) => s.oneShot);
  const busy = useClients((s) => s.busy);
  const { setText, armSelected, disarmSelected, setOneShot, clearFinished, exportReport, clearSelection } = useClientsActions();
  const exportAs = async (format: ClientReportFormat) => {
    const report = await exportReport(format);
    if (report !== null) download(report, format);
  };
  return (
    <div className="clients-toolbar">
      <input
        type="search"
        className="clients-filter"
        placeholder="Filter by MAC, hostname, IP, firmware, image"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        data-testid="clients-filter-text"
        aria-label="Filter machines"
      />
      <div className="clients-arming">
        <span className="muted" data-testid="clients-selected-count">
          {selectedCount} selected
        </span>
        <label className="clients-one-shot">
          <input type="checkbox" checked={oneShot} onChange={(e) => setOneShot(e.currentTarget.checked)} data-testid="clients-one-shot" /> one install only
        </label>
        <button type="button" className="choose-button small" disabled={selectedCount === 0 || busy} onClick={() => void armSelected()} data-testid="clients-arm">
          Arm for install
        </button>
        <button type="button" className="secondary-button" disabled={selectedCount === 0 || busy} onClick={() => void disarmSelected()} data-testid="clients-disarm">
          Disarm
        </button>
        {selectedCount > 0 ? (
          <button type="button" className="link-button" onClick={clearSelection}>
            Clear selection
          </button>
        ) : null}
      </div>
      <div className="clients-report">
        <button type="button" className="link-button" disabled={busy} onClick={() => void clearFinished()} data-testid="clients-clear-finished">
          Clear finished
        </button>
        <button type="button" className="link-button" onClick={() => void exportAs('csv')} data-testid="clients-export-csv">
          Export CSV
        </button>
        <button type="button" className="link-button" onClick={() => void exportAs('json')} data-testid="clients-export-json">
          Export JSON
        </button>
      </div>
    </div>
  );
}

/** Rows drawn beyond the visible ones, so a quick scroll does not show blanks. */
const OVERSCAN = 6;

/**
 * The machine list, virtualized: only the rows in view (plus OVERSCAN) are in the page. With 200 machines
 * changing several times a second, a full table spent most of each frame in style and layout (measured:
 * 52 frames in 5 s); fixed-height rows positioned by transform keep that work to the 20-odd rows shown.
 */
function ClientTable() {
  const visible = useClients(
    useShallow((s) =>
      s.order.filter((mac) => {
        const r = s.byMac[mac];
        return r !== undefined && matchesFilter(r, s.stageFilter, s.text);
      }),
    ),
  );
  const allSelected = useClients((s) => visible.length > 0 && visible.every((m) => s.selected.has(m)));
  const loaded = useClients((s) => s.loaded);
  const total = useClients((s) => s.order.length);
  const { selectOnly, clearSelection } = useClientsActions();
  const scroller = useRef<HTMLDivElement>(null);
  const view = useScrollView(scroller, [loaded, total > 0]);

  if (loaded && total === 0) {
    return (
      <p className="muted clients-empty" data-testid="clients-empty">
        No machines yet. Start serving and power on a machine set to boot from the network: it appears here with its first DHCP request.
      </p>
    );
  }
  const first = Math.max(0, Math.floor(view.top / CLIENT_ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((view.top + view.height) / CLIENT_ROW_HEIGHT) + OVERSCAN);
  return (
    <div className="clients-table" role="table" aria-rowcount={visible.length + 1} data-testid="clients-table" data-visible={visible.length} data-total={total}>
      <div className="client-head" role="row">
        <div role="columnheader" className="client-check">
          <input
            type="checkbox"
            checked={allSelected}
            onChange={() => (allSelected ? clearSelection() : selectOnly(visible))}
            aria-label="Select every machine shown"
            data-testid="clients-select-all"
          />
        </div>
        <div role="columnheader">MAC</div>
        <div role="columnheader">Hostname</div>
        <div role="columnheader">IP</div>
        <div role="columnheader">Firmware</div>
        <div role="columnheader">Image</div>
        <div role="columnheader">Stage</div>
        <div role="columnheader" className="num">Elapsed</div>
        <div role="columnheader" className="num">Rate</div>
      </div>
      <div className="clients-scroller" ref={scroller}>
        <div className="clients-rows" role="rowgroup" style={{ height: visible.length * CLIENT_ROW_HEIGHT }}>
          {visible.slice(first, last).map((mac, k) => (
            <ClientRow key={mac} mac={mac} index={first + k} />
          ))}
        </div>
      </div>
    </div>
  );
}

export function ClientsScreen() {
  const api = useFieldboot((s) => s.api);
  const store = useMemo(() => clientsStoreFor(api), [api]);
  useEffect(() => store.getState().connect(), [store]);
  return (
    <ClientsProvider store={store}>
      <ClientsBody />
    </ClientsProvider>
  );
}

function ClientsBody() {
  const error = useClients((s) => s.error);
  return (
    <div className="clients-screen" data-testid="clients-screen">
      <Panel title="Clients" testId="clients-panel">
        <StageCounts />
        <Toolbar />
        {error ? <ErrorNotice error={error} testId="clients-error" /> : null}
        <ClientTable />
      </Panel>
      <ClientDetail />
    </div>
  );
}
