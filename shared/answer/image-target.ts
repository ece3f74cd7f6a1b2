/**
 * Which answer-file target an OS image needs: the detected family and version (IsoSummary) mapped onto
 * TARGETS. Pure; the boot flow uses it to render the right file for the image a machine installs, and
 * the wizard to preselect the target from the image picked.
 */
import type { IsoSummary } from '../model/iso-summary';
import type { TargetId } from './profile';

/** The major version ("9.3" -> 9, "22.04.4" -> 22.04 for Ubuntu), or null. */
function major(version: string | null): number | null {
  const m = /^(\d+)/.exec(version ?? '');
  return m ? Number(m[1]) : null;
}

export function targetForImage(summary: Pick<IsoSummary, 'family' | 'version'>): TargetId | null {
  const v = major(summary.version);
  switch (summary.family) {
    case 'rhel':
      return v === 8 ? 'rhel8' : v === 9 ? 'rhel9' : v !== null && v > 9 ? 'rhel9' : null;
    case 'rocky':
      return v === 8 ? 'rocky8' : v !== null && v >= 9 ? 'rocky9' : null;
    case 'alma':
      return v === 8 ? 'alma8' : v !== null && v >= 9 ? 'alma9' : null;
    case 'centos':
      // CentOS 7 has its own dialect; CentOS Stream 8/9 install like RHEL of the same major.
      return v === 7 ? 'centos7' : v === 8 ? 'rhel8' : v !== null && v >= 9 ? 'rhel9' : null;
    case 'fedora':
      return v !== null && v >= 38 ? 'fedora40' : null;
    case 'debian':
      return v === 11 ? 'debian11' : v !== null && v >= 12 ? 'debian12' : null;
    case 'ubuntu-legacy':
      return 'ubuntu1804';
    case 'ubuntu-live-server': {
      const m = /^(\d+)\.(\d+)/.exec(summary.version ?? '');
      const yy = m ? Number(m[1]) : null;
      if (yy === null) return null;
      return yy >= 24 ? 'ubuntu2404' : yy >= 22 ? 'ubuntu2204' : yy >= 20 ? 'ubuntu2004' : null;
    }
    case 'unknown':
      return null;
  }
}
