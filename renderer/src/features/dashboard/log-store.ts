/**
 * The dashboard's log: the host's ring (log:snapshot) followed by the `log` push, bounded at LOG_RING_SIZE
 * lines like the host's, plus the service counters that come with each batch and the panel's filters.
 * The line array is replaced per batch (a few per second), never per line, so the panel re-renders at
 * most that often however busy the engine is.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiPush, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { LOG_RING_SIZE, atLeast, emptyCounters, lineConcernsMac, macQuery, type LogLine, type ServiceCounters } from '../../../../shared/diagnostics-log';
import type { LogLevel } from '../../../../shared/model/engine-event';
import type { ErrorInfo } from '../../../../shared/errors';

export interface LogState {
  lines: readonly LogLine[];
  counters: ServiceCounters;
  /** Lines shown: this level and above. */
  minLevel: LogLevel;
  /** MAC filter as typed (any format, or part of a MAC). */
  macText: string;
  loaded: boolean;
  error: ErrorInfo | null;
  connect(): () => void;
  append(lines: readonly LogLine[], counters: ServiceCounters): void;
  setMinLevel(level: LogLevel): void;
  setMacText(text: string): void;
  /** Hides what is there now (the host keeps its ring; the zip still has it). */
  clear(): void;
}

export type LogStore = StoreApi<LogState>;

/** Newest LOG_RING_SIZE of `old` then `added`, without lines already held (by seq). */
export function mergeLines(old: readonly LogLine[], added: readonly LogLine[], limit = LOG_RING_SIZE): LogLine[] {
  const last = old.length > 0 ? old[old.length - 1]!.seq : 0;
  const fresh = added.filter((l) => l.seq > last);
  if (fresh.length === 0) return old as LogLine[];
  const merged = old.length + fresh.length > limit ? [...old.slice(Math.max(0, old.length + fresh.length - limit)), ...fresh.slice(-limit)] : [...old, ...fresh];
  return merged;
}

/** The lines the panel shows for these filters; the MAC text is ignored while it cannot be (part of) a MAC. */
export function filterLines(lines: readonly LogLine[], minLevel: LogLevel, macText: string): readonly LogLine[] {
  const mac = macQuery(macText);
  if (minLevel === 'debug' && mac === null) return lines;
  return lines.filter((l) => atLeast(l.level, minLevel) && (mac === null || lineConcernsMac(l, mac)));
}

export function createLogStore(api: FieldbootApi): LogStore {
  return createStore<LogState>()((set, get) => ({
    lines: [],
    counters: emptyCounters(),
    minLevel: 'info',
    macText: '',
    loaded: false,
    error: null,

    connect() {
      // Pushes that arrive before the snapshot are held, then merged after it by seq: nothing lost, nothing twice.
      let early: { lines: LogLine[]; counters: ServiceCounters }[] | null = [];
      const unsubscribe = api.subscribe((push: ApiPush) => {
        if (push.type !== 'log') return;
        if (early) early.push({ lines: push.lines, counters: push.counters });
        else get().append(push.lines, push.counters);
      });
      const getLog = api.getLog;
      if (!getLog) {
        early = null;
        set({ loaded: true });
        return unsubscribe;
      }
      void getLog().then((r) => {
        const held = early ?? [];
        early = null;
        if (r.ok) set({ lines: mergeLines(get().lines, r.value.lines), counters: r.value.counters, loaded: true, error: null });
        else set({ loaded: true, error: r.error });
        for (const b of held) get().append(b.lines, b.counters);
      });
      return unsubscribe;
    },

    append(lines, counters) {
      set({ lines: mergeLines(get().lines, lines), counters });
    },
    setMinLevel(minLevel) {
      set({ minLevel });
    },
    setMacText(macText) {
      set({ macText });
    },
    clear() {
      set({ lines: [] });
    },
  }));
}

// One store per API for the app's lifetime: switching tabs keeps the lines and the filters.
const stores = new WeakMap<FieldbootApi, LogStore>();

export function logStoreFor(api: FieldbootApi): LogStore {
  let store = stores.get(api);
  if (!store) {
    store = createLogStore(api);
    stores.set(api, store);
  }
  return store;
}
