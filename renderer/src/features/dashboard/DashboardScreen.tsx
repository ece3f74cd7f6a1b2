/**
 * The dashboard: what is being served (interface, address, DHCP mode, images, profile), each boot service's
 * status and counters, how many machines are at each stage, start/stop, the log with its filters, and
 * "Export diagnostics". Everything here is read from the stores the other screens use (serving state,
 * clients) plus the log store; nothing is kept twice.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { DiagnosticsExport, ServingState } from '../../../../shared/api/fieldboot-api';
import { ALL_CLIENT_STAGES, CLIENT_STAGE_LABELS } from '../../../../shared/clients/client-stages';
import { serviceStatuses, type ServiceStatus } from '../../../../shared/diagnostics-services';
import type { ErrorInfo } from '../../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes, formatClock } from '../../components/format';
import { Panel } from '../../components/Panel';
import { useFieldboot, useFieldbootActions } from '../../store/store-context';
import { ClientsProvider, clientsStoreFor, useClients } from '../clients/clients-context';
import { LogPanel } from './LogPanel';
import { logStoreFor, type LogStore } from './log-store';
import { useStore } from 'zustand';
import './dashboard.css';
import { LinkNotice, PHASE_TITLES } from '../network/ServingStatus';


const DHCP_MODE_LABELS: Record<string, string> = { full: 'Full DHCP (leases addresses)', proxy: 'Proxy DHCP (boot answers only)', off: 'Off (another server does PXE)' };

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId: string }) {
  return (
    <div className="dash-fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function ServingSummary({ state }: { state: ServingState }) {
  const selected = useFieldboot((s) => s.selectedInterface);
  const nic = useFieldboot((s) => s.interfaces.find((i) => i.name === s.selectedInterface));
  const busy = useFieldboot((s) => s.busy);
  const actionError = useFieldboot((s) => s.actionError);
  const { startServing, stopServing, cancelStart } = useFieldbootActions();
  const link = useFieldboot((s) => s.link);
  // A start waiting on the administrator prompt can be withdrawn, even while its Start request is in flight.
  const cancellable = state.phase === 'starting' && !!state.prompt;
  const images = state.images ?? [];
  const active = state.phase === 'serving' || state.phase === 'starting' || state.phase === 'stopping';
  // A bare NIC needs the Network tab's address offer; the dashboard restarts only what can start as it is.
  const canStart = !active && !busy && nic !== undefined && nic.ipv4.length > 0;
  const address = state.assignedAddress ?? (state.serverIp ? state.serverIp : null);
  const extraError = actionError && actionError.message !== state.error?.message ? actionError : null;
  return (
    <Panel title="Serving" testId="dash-summary">
      <div className={`dash-phase phase-${state.phase}`}>
        <h1 data-testid="dash-phase" data-phase={state.phase}>
          <span className="status-light" aria-hidden="true" />
          {PHASE_TITLES[state.phase]}
        </h1>
        <div className="dash-actions">
          <button
            type="button"
            className="serve-button is-start"
            data-testid="dash-start"
            disabled={!canStart}
            // The same start as the Network screen's: its interface and DHCP choices, the library's images.
            onClick={() => void startServing()}
          >
            {selected ? `Start on ${selected}` : 'Start serving'}
          </button>
          <button
            type="button"
            className="serve-button is-stop"
            data-testid="dash-stop"
            disabled={!cancellable && (busy || !(state.phase === 'serving' || state.phase === 'starting' || state.phase === 'failed'))}
            onClick={() => void (cancellable ? cancelStart() : stopServing())}
          >
            {cancellable ? 'Cancel' : state.phase === 'failed' ? 'Clear' : 'Stop'}
          </button>
        </div>
      </div>
      {cancellable && state.prompt ? (
        <p className="notice" data-testid="dash-prompt" role="status">
          Waiting for you to answer {state.prompt.name}; FieldBoot gives up at {formatClock(state.prompt.until)}.
        </p>
      ) : null}
      {/* The same banner as the Network screen's: the dashboard is where a reloaded window lands while serving. */}
      {state.phase === 'serving' && link && link.interface === state.interface ? <LinkNotice link={link} /> : null}
      {!active && nic && nic.ipv4.length === 0 ? <p className="muted">{nic.name} has no address: give it one on the Network tab to start.</p> : null}
      {!active && !selected ? <p className="muted">Pick the interface on the Network tab.</p> : null}
      <dl className="dash-facts">
        <Fact label="Interface" testId="dash-interface">
          {state.interface ?? selected ?? '—'}
        </Fact>
        <Fact label="Address" testId="dash-address">
          <span className="mono">{address ?? '—'}</span>
          {state.assignedAddress ? <span className="muted"> (given for this session)</span> : null}
        </Fact>
        <Fact label="DHCP" testId="dash-dhcp-mode">
          {state.dhcpMode ? (DHCP_MODE_LABELS[state.dhcpMode] ?? state.dhcpMode) : '—'}
          {state.dhcpMode === 'full' && state.range ? <span className="mono"> {state.range}</span> : null}
        </Fact>
        <Fact label="Since" testId="dash-since">
          {state.startedAt ? formatClock(state.startedAt) : '—'}
        </Fact>
        <Fact label="Profile" testId="dash-profile">
          {state.profile ? (
            <>
              {state.profile.name}
              {state.profile.target ? <span className="muted"> → {state.profile.target}</span> : null}
            </>
          ) : state.phase === 'serving' ? (
            <span className="muted" title="Armed machines get the installer's own questions">none</span>
          ) : (
            '—'
          )}
        </Fact>
      </dl>
      <div className="dash-images">
        <h3>Images served</h3>
        {images.length === 0 ? (
          <p className="muted" data-testid="dash-no-images">
            {state.phase === 'serving' ? 'No OS image in this session (boot tree and menus only).' : '—'}
          </p>
        ) : (
          <ul>
            {images.map((img) => (
              <li key={img.id} data-testid="dash-image" data-id={img.id} data-family={img.family}>
                <span className="mono dash-image-id">{img.id}</span> {img.name} <span className="dash-family">{img.family}</span>
                {img.target ? <span className="muted"> · answer file {img.target}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </div>
      {state.error ? <ErrorNotice error={state.error} testId="dash-error" /> : null}
      {extraError ? <ErrorNotice error={extraError} testId="dash-action-error" /> : null}
    </Panel>
  );
}

function counterText(s: ServiceStatus): string {
  return s.counters
    .filter((c) => c.value > 0)
    // "1 lease", "2 leases": the labels are plurals.
    .map((c) => (c.label === 'bytes sent' ? `${formatBytes(c.value)} sent` : `${c.value} ${c.value === 1 && c.label.endsWith('s') ? c.label.slice(0, -1) : c.label}`))
    .join(' · ');
}

function ServiceCards({ state, store }: { state: ServingState; store: LogStore }) {
  const counters = useStore(store, (s) => s.counters);
  const statuses = useMemo(() => serviceStatuses(state, counters), [state, counters]);
  return (
    <Panel title="Services" testId="dash-services">
      <ul className="dash-service-cards">
        {statuses.map((s) => (
          <li key={s.id} className={`dash-service kind-${s.kind}`} data-testid={`dash-service-${s.id}`} data-kind={s.kind}>
            <div className="dash-service-head">
              <span className="dash-service-name">{s.label}</span>
              {s.listening.length > 0 ? (
                <span className="mono dash-service-where" data-testid="dash-service-where">
                  {s.listening.join(', ')}
                </span>
              ) : null}
              <span className="dash-service-kind">{s.kind}</span>
            </div>
            {s.kind === 'failed' && s.error ? (
              <p className="dash-service-error" role="alert" data-testid="dash-service-error">
                {s.error.message}
                {s.error.hint ? <span className="muted"> {s.error.hint}</span> : null}
              </p>
            ) : s.detail ? (
              <p className="muted dash-service-detail">{s.detail}</p>
            ) : null}
            <p className="dash-service-counters" data-testid="dash-service-counters" data-counters={JSON.stringify(Object.fromEntries(s.counters.map((c) => [c.label, c.value])))}>
              {counterText(s) || <span className="muted">nothing yet</span>}
            </p>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function StageCounts() {
  const counts = useClients(
    useShallow((s) => {
      const c: Record<string, number> = {};
      for (const mac of s.order) {
        const r = s.byMac[mac];
        // Machines armed ahead of time but never heard from are not at any stage yet.
        if (r && r.firstSeen !== null) c[r.stage] = (c[r.stage] ?? 0) + 1;
      }
      return c;
    }),
  );
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <Panel title="Machines by stage" testId="dash-stages">
      <p className="dash-stage-total" data-testid="dash-stage-total" data-count={total}>
        {total} machine{total === 1 ? '' : 's'} seen
      </p>
      <ul className="dash-stage-list">
        {ALL_CLIENT_STAGES.map((stage) => {
          const n = counts[stage] ?? 0;
          return (
            <li key={stage} className={`dash-stage stage-${stage}${n > 0 ? ' has-some' : ''}`} data-testid="dash-stage-count" data-stage={stage} data-count={n}>
              <span className="dash-stage-label">{CLIENT_STAGE_LABELS[stage]}</span>
              <span className="dash-stage-n">{n}</span>
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}

function ExportDiagnostics() {
  const api = useFieldboot((s) => s.api);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<DiagnosticsExport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  if (!api.exportDiagnostics) return null;
  const run = async (): Promise<void> => {
    if (!api.exportDiagnostics) return;
    setBusy(true);
    setError(null);
    const r = await api.exportDiagnostics();
    setBusy(false);
    if (r.ok) setResult(r.value);
    else setError(r.error);
  };
  return (
    <div className="dash-export">
      <button type="button" className="secondary-button" disabled={busy} onClick={() => void run()} data-testid="dash-export">
        {busy ? 'Exporting…' : 'Export diagnostics'}
      </button>
      {result ? (
        <span className="muted" data-testid="dash-export-result" data-file={result.fileName}>
          {result.cancelled ? 'Not saved.' : result.savedTo ? `Saved ${result.savedTo} (${formatBytes(result.bytes)})` : `Downloaded ${result.fileName} (${formatBytes(result.bytes)})`}
        </span>
      ) : null}
      {error ? <ErrorNotice error={error} testId="dash-export-error" /> : null}
    </div>
  );
}

export function DashboardScreen() {
  const api = useFieldboot((s) => s.api);
  const state = useFieldboot((s) => s.serving);
  const clients = useMemo(() => clientsStoreFor(api), [api]);
  const log = useMemo(() => logStoreFor(api), [api]);
  useEffect(() => clients.getState().connect(), [clients]);
  useEffect(() => log.getState().connect(), [log]);
  return (
    <ClientsProvider store={clients}>
      <div className="dashboard" data-testid="dashboard">
        <div className="dash-top">
          <ServingSummary state={state} />
          <ServiceCards state={state} store={log} />
          <div className="dash-side">
            <StageCounts />
            <ExportDiagnostics />
          </div>
        </div>
        <LogPanel store={log} />
      </div>
    </ClientsProvider>
  );
}
