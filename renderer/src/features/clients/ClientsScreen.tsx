/**
 * The Clients view: every machine from its first DHCP packet to its first boot. Counts per stage (which
 * double as filters), a text filter, a row per machine, a detail panel, and arming: select machines and
 * arm them for install (one-shot by default: disarmed once they report finished, so the next reboot
 * boots the installed system). Everything else gets local boot.
 */
import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ALL_CLIENT_STAGES, CLIENT_STAGE_LABELS } from '../../../../shared/clients/client-stages';
import type { ClientReportFormat } from '../../../../shared/model/client-record';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Panel } from '../../components/Panel';
import { useFieldboot } from '../../store/store-context';
import { ClientDetail } from './ClientDetail';
import { ClientRow } from './ClientRow';
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

function ClientTable() {
  const visible = useClients(useShallow((s) => s.order.filter((mac) => {
    const r = s.byMac[mac];
    return r !== undefined && matchesFilter(r, s.stageFilter, s.text);
  })));
  const allSelected = useClients((s) => visible.length > 0 && visible.every((m) => s.selected.has(m)));
  const loaded = useClients((s) => s.loaded);
  const total = useClients((s) => s.order.length);
  const { selectOnly, clearSelection } = useClientsActions();
  if (loaded && total === 0) {
    return (
      <p className="muted clients-empty" data-testid="clients-empty">
        No machines yet. Start serving and power on a machine set to boot from the network: it appears here with its first DHCP request.
      </p>
    );
  }
  return (
    <div className="clients-table-wrap">
      <table className="clients-table" data-testid="clients-table" data-visible={visible.length}>
        <thead>
          <tr>
            <th className="client-check">
              <input
                type="checkbox"
                checked={allSelected}
                onChange={() => (allSelected ? clearSelection() : selectOnly(visible))}
                aria-label="Select every machine shown"
                data-testid="clients-select-all"
              />
            </th>
            <th>MAC</th>
            <th>Hostname</th>
            <th>IP</th>
            <th>Firmware</th>
            <th>Image</th>
            <th className="client-stage-cell">Stage</th>
            <th className="num">Elapsed</th>
            <th className="num">Rate</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((mac) => (
            <ClientRow key={mac} mac={mac} />
          ))}
        </tbody>
      </table>
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
