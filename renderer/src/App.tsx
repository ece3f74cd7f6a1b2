import { useEffect } from 'react';
import type { ApiMode } from './api/get-api';
import { EventLog } from './features/events/EventLog';
import { NetworkScreen } from './features/network/NetworkScreen';
import type { FieldbootStore } from './store/fieldboot-store';
import { StoreProvider } from './store/store-context';

export function App({ store, mode }: { store: FieldbootStore; mode: ApiMode }) {
  useEffect(() => store.getState().connect(), [store]);
  return (
    <StoreProvider store={store}>
      <div className="app">
        <header className="app-header">
          <div className="brand">
            <span className="brand-name">FieldBoot</span>
            <span className="brand-tagline">PXE install server</span>
          </div>
          <span className="mode-tag" data-testid="api-mode" title={mode === 'web' ? 'Driven from a browser (fieldboot serve --ui)' : 'Desktop app'}>
            {mode === 'web' ? 'Web mode' : 'Desktop'}
          </span>
        </header>
        <main className="app-main">
          <NetworkScreen />
          <aside className="app-side">
            <EventLog />
          </aside>
        </main>
      </div>
    </StoreProvider>
  );
}

/** Shown when neither the preload bridge nor a web-mode token is there: nothing to talk to. */
export function NoBackend({ reason }: { reason: string }) {
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <span className="brand-name">FieldBoot</span>
          <span className="brand-tagline">PXE install server</span>
        </div>
      </header>
      <main className="app-main single">
        <div className="error-notice" role="alert" data-testid="no-backend">
          <p className="error-message">Not connected to FieldBoot.</p>
          <p className="error-hint">{reason}</p>
        </div>
      </main>
    </div>
  );
}
