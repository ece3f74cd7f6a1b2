/**
 * Process figures the benchmarks print, read from /proc (Linux).
 */
import { readFileSync } from 'node:fs';

/** Peak resident memory of a process (VmHWM), in MB, or null when it cannot be read. */
export function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}
