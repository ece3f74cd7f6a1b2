/** Hands the clients store to the view's parts: `useClients((s) => s.byMac[mac])`. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { createClientsStore, type ClientsState, type ClientsStore } from './clients-store';

const ClientsContext = createContext<ClientsStore | null>(null);

// One store per API for the app's lifetime: switching tabs keeps filters and selection.
const stores = new WeakMap<FieldbootApi, ClientsStore>();

export function clientsStoreFor(api: FieldbootApi): ClientsStore {
  let store = stores.get(api);
  if (!store) {
    store = createClientsStore(api);
    stores.set(api, store);
  }
  return store;
}

export function ClientsProvider({ store, children }: { store: ClientsStore; children: ReactNode }) {
  return <ClientsContext.Provider value={store}>{children}</ClientsContext.Provider>;
}

function useClientsStore(): ClientsStore {
  const store = useContext(ClientsContext);
  if (!store) throw new Error('useClients outside <ClientsProvider>');
  return store;
}

export function useClients<T>(selector: (state: ClientsState) => T): T {
  return useStore(useClientsStore(), selector);
}

/** The store's actions; stable, so using them does not re-render. */
export function useClientsActions(): ClientsState {
  return useClientsStore().getState();
}
