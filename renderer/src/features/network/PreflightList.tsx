/** The checks before serving (ports and who holds them, privileges, firewall), each with the fix to apply. */
import type { PreflightCheck, PreflightReport, PreflightStatus } from '../../../../shared/model/preflight';
import type { ErrorInfo } from '../../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';

const STATUS_LABELS: Record<PreflightStatus, string> = { ok: 'OK', warning: 'Warning', blocking: 'Blocking' };

function CheckRow({ check }: { check: PreflightCheck }) {
  return (
    <li className={`preflight-check is-${check.status}`} data-testid="preflight-check" data-id={check.id} data-status={check.status}>
      <span className="preflight-badge">{STATUS_LABELS[check.status]}</span>
      <div className="preflight-text">
        <div className="preflight-title">{check.title}</div>
        <div className="preflight-detail" data-testid="preflight-detail">
          {check.detail}
        </div>
        {check.fix ? (
          <pre className="preflight-fix mono" data-testid="preflight-fix">
            {check.fix}
          </pre>
        ) : null}
      </div>
    </li>
  );
}

export function PreflightList({ report, error, running }: { report: PreflightReport | null; error: ErrorInfo | null; running: boolean }) {
  if (error) return <ErrorNotice error={error} testId="preflight-error" />;
  if (!report) return <p className="muted">{running ? 'Checking…' : 'Pick an interface to check it.'}</p>;
  // Problems first: on a 768-pixel screen the first lines are the ones read.
  const order: Record<PreflightStatus, number> = { blocking: 0, warning: 1, ok: 2 };
  const checks = [...report.checks].sort((a, b) => order[a.status] - order[b.status]);
  const blocking = checks.filter((c) => c.status === 'blocking').length;
  const warnings = checks.filter((c) => c.status === 'warning').length;
  const summary = blocking ? `${blocking} problem${blocking > 1 ? 's' : ''} will stop serving` : warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : 'All clear';
  return (
    <div className="preflight" data-testid="preflight-report" data-blocking={blocking} aria-busy={running}>
      <p className={`preflight-summary ${blocking ? 'is-blocking' : warnings ? 'is-warning' : 'is-ok'}`} data-testid="preflight-summary">
        {summary}
        {report.serverIp ? <span className="muted"> · checked on {report.serverIp}</span> : null}
      </p>
      <ul className="preflight-checks">
        {checks.map((c) => (
          <CheckRow key={c.id} check={c} />
        ))}
      </ul>
      {report.note ? <p className="field-help">{report.note}</p> : null}
    </div>
  );
}
