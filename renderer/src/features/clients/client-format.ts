/** Display helpers of the Clients view. */

/** 75 s -> "1:15", 3725 s -> "1:02:05". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** A file name for an exported report: fieldboot-clients-2026-03-01-1403.csv */
export function reportFileName(format: 'csv' | 'json', now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `fieldboot-clients-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}.${format}`;
}
