/** Hands the wizard store to the step forms: `useWizard((s) => s.draft)`. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { createWizardStore, type WizardState, type WizardStore } from './wizard-store';

const WizardContext = createContext<WizardStore | null>(null);

// One wizard per API, kept while the app runs: switching tabs does not lose a half-filled form.
const stores = new WeakMap<FieldbootApi, WizardStore>();

export function wizardStoreFor(api: FieldbootApi): WizardStore {
  let store = stores.get(api);
  if (!store) {
    store = createWizardStore(api);
    stores.set(api, store);
  }
  return store;
}

export function WizardProvider({ store, children }: { store: WizardStore; children: ReactNode }) {
  return <WizardContext.Provider value={store}>{children}</WizardContext.Provider>;
}

function useWizardStore(): WizardStore {
  const store = useContext(WizardContext);
  if (!store) throw new Error('useWizard outside <WizardProvider>');
  return store;
}

export function useWizard<T>(selector: (state: WizardState) => T): T {
  return useStore(useWizardStore(), selector);
}

/** The wizard's actions; stable, so using them does not re-render. */
export function useWizardActions(): WizardState {
  return useWizardStore().getState();
}
