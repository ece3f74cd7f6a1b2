/** Runs the preflight checks for the current choice, again whenever it changes (and on demand). */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ErrorInfo } from '../../../../shared/errors';
import type { PreflightReport } from '../../../../shared/model/preflight';
import type { DhcpMode } from '../../../../shared/model/serve-config';
import { useFieldboot } from '../../store/store-context';

/** Typing an address fires a change per key; one check after the typing stops is enough. */
const DEBOUNCE_MS = 300;

export interface PreflightView {
  /** False when the API has no preflight (scripted test APIs). */
  available: boolean;
  report: PreflightReport | null;
  error: ErrorInfo | null;
  running: boolean;
  rerun(): void;
}

/** iface null: nothing to check (none picked, or serving). */
export function usePreflight(iface: string | null, dhcpMode: DhcpMode, assignAddress: string | undefined): PreflightView {
  const api = useFieldboot((s) => s.api);
  const [report, setReport] = useState<PreflightReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState(false);
  const [generation, setGeneration] = useState(0);
  // Only the newest request's answer is shown: an older, slower one must not overwrite it.
  const latest = useRef(0);
  const run = api.runPreflight;

  useEffect(() => {
    if (!run || iface === null) return;
    const id = ++latest.current;
    const timer = setTimeout(() => {
      setRunning(true);
      void run({ interface: iface, dhcpMode, ...(assignAddress ? { assignAddress } : {}) }).then((r) => {
        if (id !== latest.current) return;
        setRunning(false);
        if (r.ok) {
          setReport(r.value);
          setError(null);
        } else {
          setReport(null);
          setError(r.error);
        }
      });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [run, iface, dhcpMode, assignAddress, generation]);

  const rerun = useCallback(() => setGeneration((g) => g + 1), []);
  return { available: !!run, report: iface === null ? null : report, error, running, rerun };
}
