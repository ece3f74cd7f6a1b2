/**
 * "Is there already a DHCP server on this network?" answered before the technician picks a mode: one
 * probe when the interface is chosen (and on demand), the answer in plain words, and the recommended mode
 * one click away. A probe is what any PXE-booting machine sends, so it is safe on a customer's network.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ErrorInfo } from '../../../../shared/errors';
import { dhcpAdvice, type DhcpProbeReport } from '../../../../shared/model/dhcp-probe';
import { DhcpMode } from '../../../../shared/model/serve-config';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFieldboot } from '../../store/store-context';

export function useDhcpProbe(iface: string | null, linkUp: boolean) {
  const api = useFieldboot((s) => s.api);
  const probe = api.probeDhcp;
  const [report, setReport] = useState<DhcpProbeReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState(false);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    setReport(null);
    setError(null);
    if (!probe || iface === null || !linkUp) return;
    const id = ++latest.current;
    setRunning(true);
    void probe({ interface: iface }).then((r) => {
      if (id !== latest.current) return;
      setRunning(false);
      if (r.ok) setReport(r.value);
      else setError(r.error);
    });
    return () => {
      // A newer choice supersedes this probe's answer.
      if (latest.current === id) latest.current++;
      setRunning(false);
    };
  }, [probe, iface, linkUp, generation]);
  const rerun = useCallback(() => setGeneration((g) => g + 1), []);
  return { available: !!probe, report, error, running, rerun };
}

export function DhcpCheck({
  iface,
  linkUp,
  mode,
  onMode,
}: {
  iface: string | null;
  linkUp: boolean;
  mode: DhcpMode;
  onMode(mode: DhcpMode): void;
}) {
  const { available, report, error, running, rerun } = useDhcpProbe(iface, linkUp);
  if (!available || iface === null) return null;
  const advice = report ? dhcpAdvice(report) : null;
  const recommended = advice ? (advice.recommended === 'proxy' ? DhcpMode.Proxy : DhcpMode.Full) : null;
  return (
    <section className="dhcp-check" data-testid="dhcp-check" aria-busy={running} aria-live="polite">
      <div className="dhcp-check-head">
        <h3 className="dhcp-check-title">Other DHCP servers on {iface}</h3>
        <button type="button" className="link-button" onClick={rerun} disabled={running || !linkUp} data-testid="dhcp-check-rerun">
          {running ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {!linkUp ? <p className="muted">Checked once the interface has a link.</p> : null}
      {linkUp && running && !report ? <p className="muted">Asking the network, as a booting server would (about 3 s)…</p> : null}
      {error ? <ErrorNotice error={error} testId="dhcp-check-error" /> : null}
      {advice && report ? (
        <div className={`dhcp-advice is-${advice.recommended}`} data-testid="dhcp-advice" data-recommended={advice.recommended} data-servers={report.servers.length}>
          <p className="dhcp-advice-headline" data-testid="dhcp-advice-headline">
            {advice.headline}
          </p>
          <p className="field-help">{advice.detail}</p>
          {advice.warnings.map((w) => (
            <p key={w} className="notice" data-testid="dhcp-advice-warning">
              {w}
            </p>
          ))}
          {recommended !== null && recommended !== mode ? (
            <button type="button" className="secondary-button" data-testid="dhcp-advice-apply" onClick={() => onMode(recommended)}>
              Use {recommended === DhcpMode.Proxy ? 'proxy' : 'full'} mode
            </button>
          ) : recommended === mode ? (
            <p className="muted" data-testid="dhcp-advice-matches">
              The mode below matches.
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
