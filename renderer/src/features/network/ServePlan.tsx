/**
 * What Start will serve, said before it is pressed: the library's images (the ISOs dropped on the window)
 * and the answer file armed machines install with. The profile list comes from the wizard's saved
 * profiles; the newest usable one is picked until the technician picks another (or none).
 */
import { useEffect, useRef, useState } from 'react';
import type { ProfileSummary } from '../../../../shared/api/fieldboot-api';
import { useFieldboot } from '../../store/store-context';

export function ServePlan({ disabled }: { disabled: boolean }) {
  const api = useFieldboot((s) => s.api);
  const images = useFieldboot((s) => s.images);
  const serveProfile = useFieldboot((s) => s.serveProfile);
  const setServeProfile = useFieldboot((s) => s.setServeProfile);
  const [profiles, setProfiles] = useState<ProfileSummary[] | null>(null);
  // Read when the list arrives: only a choice nobody made yet is filled in.
  const decided = useRef(serveProfile !== undefined);
  decided.current = serveProfile !== undefined;

  useEffect(() => {
    let live = true;
    void api.listProfiles().then((r) => {
      if (!live || !r.ok) return;
      const usable = r.value.filter((p) => !p.error);
      setProfiles(usable);
      // First look: the newest saved profile, the one the wizard just wrote.
      if (!decided.current) {
        const newest = [...usable].sort((a, b) => b.modified.localeCompare(a.modified))[0];
        setServeProfile(newest ? newest.name : null);
      }
    });
    return () => {
      live = false;
    };
    // Reloaded when the screen shows, so a profile saved in the wizard a moment ago is there.
  }, [api, setServeProfile]);

  const present = images.filter((i) => !i.missing);
  const gone = images.length - present.length;
  const names = present.map((i) => i.summary.name || i.fileName);
  const value = serveProfile ?? '';
  return (
    <div className="serve-plan" data-testid="serve-plan">
      <p className="serve-plan-images" data-testid="serve-plan-images" data-count={present.length}>
        {present.length === 0 ? (
          <>No images yet: drop an ISO on the window (Images tab). Without one, machines get the loaders and the local-disk menu only.</>
        ) : (
          <>
            Serves {present.length} image{present.length > 1 ? 's' : ''}: {names.join(', ')}
            {gone ? <span className="muted"> ({gone} missing, left out)</span> : null}
          </>
        )}
      </p>
      <label className="serve-plan-profile">
        <span>Answer file for armed machines</span>
        <select
          data-testid="serve-profile"
          value={value}
          disabled={disabled || profiles === null}
          onChange={(e) => setServeProfile(e.target.value === '' ? null : e.target.value)}
        >
          <option value="">None: installs are interactive</option>
          {(profiles ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
              {p.target ? ` (${p.target})` : ''}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
