import { formatSpeed } from './format';

export function LinkBadge({ up, speedMbps }: { up: boolean; speedMbps: number | null }) {
  return (
    <span className={`badge ${up ? 'badge-up' : 'badge-down'}`} data-link={up ? 'up' : 'down'}>
      <span className="badge-dot" aria-hidden="true" />
      {up ? 'Link up' : 'No link'}
      {up && speedMbps ? <span className="badge-extra">{formatSpeed(speedMbps)}</span> : null}
    </span>
  );
}
