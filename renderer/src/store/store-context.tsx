/** Hands the store to components: `useFieldboot((s) => s.serving)`. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FieldbootState, FieldbootStore } from './fieldboot-store';

const StoreContext = createContext<FieldbootStore | null>(null);

export function StoreProvider({ store, children }: { store: FieldbootStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useFieldboot<T>(selector: (state: FieldbootState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useFieldboot outside <StoreProvider>');
  return useStore(store, selector);
}

/** The store's actions; they never change, so using them does not re-render. */
export function useFieldbootActions(): Pick<
  FieldbootState,
  | 'refreshInterfaces'
  | 'selectInterface'
  | 'setDhcpMode'
  | 'setRange'
  | 'startServing'
  | 'stopServing'
  | 'cancelStart'
  | 'clearEvents'
  | 'refreshImages'
  | 'addImageFiles'
  | 'recheckImage'
  | 'removeImage'
  | 'dismissImageRefusal'
> {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useFieldbootActions outside <StoreProvider>');
  return store.getState();
}
