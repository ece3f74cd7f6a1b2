/**
 * The Machines (BMC) screen's state: the BMC list as the backend last told it, which rows are ticked, and what
 * each row is doing or last did (filled live from `bmc-progress` pushes, then from the run's answer, so a lost
 * push never leaves a row spinning). Passwords are sent once, on add or import, and never held here after.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiPush, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import type { ErrorInfo } from '../../../../shared/errors';
import {
  BmcBootMode,
  type BmcAddRequest,
  type BmcEntry,
  type BmcImportResponse,
  type BmcInstallResult,
  type BmcPowerVerb,
  type BmcProgressPush,
  type BmcResult,
} from '../../../../shared/model/bmc';
import { describeStep, rowFromInstall, rowFromResult, type BmcRowStatus } from './bmc-status';

export type LoadStatus = 'loading' | 'ready' | 'error';

export interface BmcState {
  bmcs: BmcEntry[];
  listStatus: LoadStatus;
  listError: ErrorInfo | null;
  /** Ticked rows, by id. */
  selected: string[];
  /** Per-row status, by id. */
  rows: Record<string, BmcRowStatus>;
  bootMode: BmcBootMode;
  /** A test / install / power run is in flight. */
  running: boolean;
  /** The last refused call (add, import, a run that could not start), shown above the table. */
  actionError: ErrorInfo | null;
  adding: boolean;
  lastImport: BmcImportResponse | null;

  connect(): () => void;
  refresh(): Promise<void>;
  /** Resolves true when the BMC was stored (the form clears its password then). */
  add(request: BmcAddRequest): Promise<boolean>;
  importCsv(csv: string): Promise<void>;
  remove(ids: string[]): Promise<void>;
  setMac(id: string, mac: string | null): Promise<boolean>;
  toggle(id: string, on: boolean): void;
  selectAll(on: boolean): void;
  setBootMode(mode: BmcBootMode): void;
  test(ids: string[]): Promise<void>;
  install(ids: string[]): Promise<void>;
  power(ids: string[], action: BmcPowerVerb): Promise<void>;
  dismissError(): void;
}

export type BmcStore = StoreApi<BmcState>;

export function createBmcStore(api: FieldbootApi): BmcStore {
  return createStore<BmcState>()((set, get) => {
    const setRow = (id: string, row: BmcRowStatus): void => set((s) => ({ rows: { ...s.rows, [id]: row } }));

    const onProgress = (p: BmcProgressPush): void => {
      if (p.state === 'running') {
        setRow(p.id, { phase: 'running', title: describeStep(p.step), detail: null, hint: null, notes: [], power: get().rows[p.id]?.power ?? null });
        return;
      }
      // A finished step of an install is not the end of the install: the next step's "running" follows.
      if (p.result && p.operation !== 'install') setRow(p.id, rowFromResult(p.result));
      else if (p.result && !p.result.ok) setRow(p.id, rowFromResult(p.result));
    };

    const onPush = (push: ApiPush): void => {
      if (push.type === 'bmcs') {
        set((s) => ({ bmcs: push.bmcs, listStatus: 'ready', listError: null, selected: s.selected.filter((id) => push.bmcs.some((b) => b.id === id)) }));
      } else if (push.type === 'bmc-progress') onProgress(push);
    };

    /** Runs one action over `ids`; rows are marked queued first, so a 40-BMC run shows what is waiting. */
    const run = async <T>(ids: string[], call: () => Promise<{ ok: true; value: T } | { ok: false; error: ErrorInfo }>, apply: (value: T) => void): Promise<void> => {
      if (get().running || ids.length === 0) return;
      set((s) => ({
        running: true,
        actionError: null,
        rows: { ...s.rows, ...Object.fromEntries(ids.map((id) => [id, { phase: 'queued', title: 'Waiting…', detail: null, hint: null, notes: [], power: s.rows[id]?.power ?? null } satisfies BmcRowStatus])) },
      }));
      const r = await call();
      if (r.ok) apply(r.value);
      else {
        // The run never started (a BMC busy, the list unreadable): put the rows back as they were, say why.
        set((s) => ({ rows: Object.fromEntries(Object.entries(s.rows).filter(([id, row]) => !(ids.includes(id) && row.phase === 'queued'))) }));
      }
      set({ running: false, actionError: r.ok ? null : r.error });
    };

    const applyResults = (results: BmcResult[]): void => set((s) => ({ rows: { ...s.rows, ...Object.fromEntries(results.map((r) => [r.id, rowFromResult(r)])) } }));
    const applyInstall = (results: BmcInstallResult[]): void =>
      set((s) => ({ rows: { ...s.rows, ...Object.fromEntries(results.map((r) => [r.id, rowFromInstall(r)])) } }));

    return {
      bmcs: [],
      listStatus: 'loading',
      listError: null,
      selected: [],
      rows: {},
      bootMode: BmcBootMode.Uefi,
      running: false,
      actionError: null,
      adding: false,
      lastImport: null,

      connect() {
        const unsubscribe = api.subscribe(onPush);
        void get().refresh();
        return unsubscribe;
      },

      async refresh() {
        const r = await api.listBmcs();
        if (r.ok) set((s) => ({ bmcs: r.value, listStatus: 'ready', listError: null, selected: s.selected.filter((id) => r.value.some((b) => b.id === id)) }));
        else set({ listStatus: 'error', listError: r.error });
      },

      async add(request) {
        set({ adding: true, actionError: null });
        const r = await api.addBmc(request);
        if (r.ok) set((s) => ({ bmcs: s.bmcs.some((b) => b.id === r.value.id) ? s.bmcs.map((b) => (b.id === r.value.id ? r.value : b)) : [...s.bmcs, r.value] }));
        set({ adding: false, actionError: r.ok ? null : r.error });
        return r.ok;
      },

      async importCsv(csv) {
        set({ adding: true, actionError: null, lastImport: null });
        const r = await api.importBmcs({ csv });
        set({ adding: false, actionError: r.ok ? null : r.error, lastImport: r.ok ? r.value : null });
        if (r.ok) await get().refresh();
      },

      async remove(ids) {
        const r = await api.removeBmcs(ids);
        if (r.ok) set((s) => ({ bmcs: s.bmcs.filter((b) => !ids.includes(b.id)), selected: s.selected.filter((id) => !ids.includes(id)) }));
        set({ actionError: r.ok ? null : r.error });
      },

      async setMac(id, mac) {
        const r = await api.updateBmc({ id, mac });
        if (r.ok) set((s) => ({ bmcs: s.bmcs.map((b) => (b.id === id ? r.value : b)) }));
        set({ actionError: r.ok ? null : r.error });
        return r.ok;
      },

      toggle(id, on) {
        set((s) => ({ selected: on ? [...new Set([...s.selected, id])] : s.selected.filter((x) => x !== id) }));
      },
      selectAll(on) {
        set((s) => ({ selected: on ? s.bmcs.map((b) => b.id) : [] }));
      },
      setBootMode(mode) {
        set({ bootMode: mode });
      },

      test: (ids) => run(ids, () => api.testBmcs(ids), (v) => applyResults(v.results)),
      install: (ids) => run(ids, () => api.installBmcs({ ids, bootMode: get().bootMode, persistent: false }), (v) => applyInstall(v.results)),
      power: (ids, action) => run(ids, () => api.powerBmcs({ ids, action }), (v) => applyResults(v.results)),

      dismissError() {
        set({ actionError: null });
      },
    };
  });
}

/** Used by the screen for the power buttons it offers. */
export const POWER_BUTTONS: { verb: BmcPowerVerb; label: string }[] = [
  { verb: 'on', label: 'Power on' },
  { verb: 'off', label: 'Power off' },
];
