/**
 * The Clients view's own store: every machine the backend tracks, kept as a snapshot then deltas (the
 * `clients` push), plus what the technician filters and selects. Records are replaced, never mutated, so a
 * row re-renders only when its own record changed. A snapshot racing a delta keeps the newer copy by `rev`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiPush, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import type { ErrorInfo } from '../../../../shared/errors';
import type { ClientRecord, ClientReportFormat, ClientStage, ClientsPush } from '../../../../shared/model/client-record';

export type StageFilter = ClientStage | 'all' | 'active';

export interface ClientsState {
  byMac: Readonly<Record<string, ClientRecord>>;
  /** Display order: first seen first (machines armed ahead of time last), then MAC. Changes only when machines come or go. */
  order: readonly string[];
  loaded: boolean;
  stageFilter: StageFilter;
  text: string;
  selected: ReadonlySet<string>;
  /** The machine whose detail panel is open. */
  detail: string | null;
  oneShot: boolean;
  busy: boolean;
  error: ErrorInfo | null;

  connect(): () => void;
  apply(push: ClientsPush): void;
  setStageFilter(filter: StageFilter): void;
  setText(text: string): void;
  toggleSelected(mac: string): void;
  selectOnly(macs: readonly string[]): void;
  clearSelection(): void;
  openDetail(mac: string | null): void;
  setOneShot(oneShot: boolean): void;
  armSelected(): Promise<void>;
  disarmSelected(): Promise<void>;
  clearFinished(): Promise<void>;
  exportReport(format: ClientReportFormat): Promise<string | null>;
}

export type ClientsStore = StoreApi<ClientsState>;

function sortKey(r: ClientRecord): string {
  return `${r.firstSeen ?? '~'}|${r.mac}`;
}

function orderOf(byMac: Readonly<Record<string, ClientRecord>>): string[] {
  return Object.values(byMac)
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .map((r) => r.mac);
}

/** Does a record pass the stage and text filters? */
export function matchesFilter(r: ClientRecord, stage: StageFilter, text: string): boolean {
  if (stage === 'active') {
    // In progress: seen, and neither done nor failed (stalled ones are still underway, just slow).
    if (r.stage === 'finished' || r.stage === 'first-boot' || r.stage === 'failed' || r.firstSeen === null) return false;
  } else if (stage !== 'all' && r.stage !== stage) return false;
  const q = text.trim().toLowerCase();
  if (!q) return true;
  return [r.mac, r.hostname, r.ip, r.firmware, r.image].some((v) => v !== null && v.toLowerCase().includes(q));
}

export function createClientsStore(api: FieldbootApi): ClientsStore {
  return createStore<ClientsState>()((set, get) => {
    const merge = (records: readonly ClientRecord[], replaceAll: boolean): void => {
      const prev = get().byMac;
      const next: Record<string, ClientRecord> = replaceAll ? {} : { ...prev };
      let added = replaceAll;
      for (const r of records) {
        const old = prev[r.mac];
        // Keep whichever copy is newer: a list answer can arrive after a push that was sent later.
        const keep = old && old.rev > r.rev ? old : r;
        // New machine, or one armed ahead of time seen for the first time: its place in the order changes.
        if (!next[r.mac] || (old && old.firstSeen !== keep.firstSeen)) added = true;
        next[r.mac] = keep;
      }
      const patch: Partial<ClientsState> = { byMac: next };
      if (added || Object.keys(next).length !== get().order.length) patch.order = orderOf(next);
      set(patch);
    };

    return {
      byMac: {},
      order: [],
      loaded: false,
      stageFilter: 'all',
      text: '',
      selected: new Set(),
      detail: null,
      oneShot: true,
      busy: false,
      error: null,

      connect() {
        const unsubscribe = api.subscribe((push: ApiPush) => {
          if (push.type === 'clients') get().apply(push);
        });
        void api.listClients().then((r) => {
          if (r.ok) {
            get().apply({ type: 'clients', snapshot: r.value });
            set({ loaded: true });
          } else set({ error: r.error, loaded: true });
        });
        return unsubscribe;
      },

      apply(push) {
        if (push.snapshot) merge(push.snapshot, true);
        if (push.changed?.length) merge(push.changed, false);
        if (push.removed?.length) {
          const byMac = { ...get().byMac };
          for (const mac of push.removed) delete byMac[mac];
          const selected = new Set([...get().selected].filter((m) => byMac[m]));
          const detail = get().detail;
          set({ byMac, order: get().order.filter((m) => byMac[m]), selected, detail: detail && byMac[detail] ? detail : null });
        }
      },

      setStageFilter(stageFilter) {
        set({ stageFilter });
      },
      setText(text) {
        set({ text });
      },
      toggleSelected(mac) {
        const selected = new Set(get().selected);
        if (selected.has(mac)) selected.delete(mac);
        else selected.add(mac);
        set({ selected });
      },
      selectOnly(macs) {
        set({ selected: new Set(macs) });
      },
      clearSelection() {
        set({ selected: new Set() });
      },
      openDetail(detail) {
        set({ detail });
      },
      setOneShot(oneShot) {
        set({ oneShot });
      },

      async armSelected() {
        const macs = [...get().selected];
        if (macs.length === 0 || get().busy) return;
        set({ busy: true, error: null });
        const r = await api.armClients({ macs, oneShot: get().oneShot });
        if (r.ok) merge(r.value, false);
        set({ busy: false, error: r.ok ? null : r.error });
      },

      async disarmSelected() {
        const macs = [...get().selected];
        if (macs.length === 0 || get().busy) return;
        set({ busy: true, error: null });
        const r = await api.disarmClients(macs);
        if (r.ok) merge(r.value, false);
        set({ busy: false, error: r.ok ? null : r.error });
      },

      async clearFinished() {
        if (get().busy) return;
        set({ busy: true, error: null });
        const r = await api.clearFinishedClients();
        if (r.ok) get().apply({ type: 'clients', removed: r.value });
        set({ busy: false, error: r.ok ? null : r.error });
      },

      async exportReport(format) {
        const r = await api.exportClients(format);
        if (!r.ok) {
          set({ error: r.error });
          return null;
        }
        return r.value;
      },
    };
  });
}
