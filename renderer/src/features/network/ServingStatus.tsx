/** The big answer to "is this laptop serving PXE right now, and where?", with the one button that changes it. */
import type { ServingPhase, ServingState } from '../../../../shared/api/fieldboot-api';
import type { ErrorInfo } from '../../../../shared/errors';
import type { LinkEvent } from '../../../../shared/model/engine-event';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatClock } from '../../components/format';

/** The status headline per phase (the Network screen's card and the Dashboard). */
export const PHASE_TITLES: Record<ServingPhase, string> = {
  idle: 'Not serving',
  starting: 'Starting…',
  serving: 'Serving',
  stopping: 'Stopping…',
  failed: 'Could not serve',
};

const DHCP_LABELS: Record<string, string> = { full: 'full DHCP', proxy: 'proxy DHCP', off: 'no DHCP' };

function detail(state: ServingState, selected: string | null): string {
  switch (state.phase) {
    case 'idle':
      return selected ? `Ready to serve on ${selected}.` : 'Pick the interface cabled to the rack switch.';
    case 'starting':
      if (state.prompt) return `Waiting for you to answer ${state.prompt.name}; FieldBoot gives up at ${formatClock(state.prompt.until)}.`;
      return `Opening the boot services on ${state.interface ?? 'the interface'}.`;
    case 'serving': {
      const parts = [state.interface, state.serverIp, state.dhcpMode ? DHCP_LABELS[state.dhcpMode] : null, state.range];
      if (state.startedAt) parts.push(`since ${formatClock(state.startedAt)}`);
      return parts.filter(Boolean).join(' · ');
    }
    case 'stopping':
      return `Closing the boot services on ${state.interface ?? 'the interface'}.`;
    case 'failed':
      return `Nothing is being served${state.interface ? ` on ${state.interface}` : ''}.`;
  }
}

/**
 * The link of the serving interface, while serving: a banner while it is down or gone (the engine keeps the
 * session and picks up again by itself), and when it returned, the time serving resumed.
 */
export function LinkNotice({ link }: { link: LinkEvent }) {
  if (link.state === 'up') {
    if (!link.resumed) return null;
    return (
      <p className="link-notice is-resumed" data-testid="link-resumed" role="status">
        Resumed at {formatClock(link.since)}: {link.interface} is back and serving again.
      </p>
    );
  }
  const headline =
    link.state === 'gone'
      ? `${link.interface} unplugged since ${formatClock(link.since)} — serving resumes when it is plugged in again`
      : `Link down since ${formatClock(link.since)} — serving resumes when the cable is back`;
  return (
    <div className={`link-notice is-${link.state}`} data-testid="link-banner" data-state={link.state} role="alert">
      <p className="link-notice-headline">{headline}</p>
      <p className="link-notice-detail">
        {link.interface}: {link.detail}. Leases and client records are kept.
      </p>
    </div>
  );
}

export function ServingStatus({
  state,
  selected,
  busy,
  canStart,
  actionError,
  link = null,
  onStart,
  onStop,
  onCancel,
}: {
  state: ServingState;
  selected: string | null;
  busy: boolean;
  canStart: boolean;
  actionError: ErrorInfo | null;
  /** The serving interface's last link report (null: none). */
  link?: LinkEvent | null;
  onStart(): void;
  onStop(): void;
  /** Withdraws a start waiting on the administrator prompt (offered while state.prompt is set). */
  onCancel?(): void;
}) {
  const stoppable = state.phase === 'serving' || state.phase === 'starting';
  const transitioning = state.phase === 'starting' || state.phase === 'stopping';
  // A start waiting on the prompt can be withdrawn, even while its Start request is in flight (busy).
  const cancellable = state.phase === 'starting' && !!state.prompt && onCancel !== undefined;
  const action = cancellable ? 'cancel' : stoppable ? 'stop' : 'start';
  const label = cancellable ? 'Cancel' : stoppable ? 'Stop serving' : selected ? `Start serving on ${selected}` : 'Start serving';
  const disabled = !cancellable && (busy || state.phase === 'stopping' || (action === 'start' && !canStart));
  const extraError = actionError && actionError.message !== state.error?.message ? actionError : null;
  return (
    <section className={`status status-${state.phase}`} data-testid="serving-status" aria-live="polite">
      <div className="status-main">
        <div className="status-text">
          <p className="status-label">Status</p>
          <h1 className="status-phase" data-testid="serving-phase" data-phase={state.phase}>
            <span className={`status-light ${transitioning ? 'is-pulsing' : ''}`} aria-hidden="true" />
            {PHASE_TITLES[state.phase]}
          </h1>
          <p className="status-detail" data-testid="serving-detail">
            {detail(state, selected)}
          </p>
          {state.phase === 'serving' && state.assignedAddress ? (
            <p className="assigned-address" data-testid="assigned-address">
              FieldBoot gave {state.interface} the address <span className="mono">{state.assignedAddress}</span> for this session; it is removed when you stop.
            </p>
          ) : null}
        </div>
        <button
          type="button"
          className={`serve-button ${action === 'start' ? 'is-start' : 'is-stop'}`}
          data-testid="serve-button"
          data-action={action}
          disabled={disabled}
          onClick={action === 'cancel' ? onCancel : action === 'stop' ? onStop : onStart}
        >
          {label}
        </button>
      </div>
      {state.phase === 'serving' && link && link.interface === state.interface ? <LinkNotice link={link} /> : null}
      {state.phase === 'serving' && state.services.length > 0 ? (
        <ul className="services" data-testid="serving-services" aria-label="Services">
          {state.services.map((s) => (
            <li key={`${s.name}-${s.port}`} className="service" data-testid={`service-${s.name}`}>
              <span className="service-name">{s.name.toUpperCase()}</span>
              <span className="service-where mono">
                {s.address === '0.0.0.0' ? '*' : s.address}:{s.port}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {state.error ? <ErrorNotice error={state.error} testId="serving-error" /> : null}
      {extraError ? <ErrorNotice error={extraError} testId="action-error" /> : null}
    </section>
  );
}
