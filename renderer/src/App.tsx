import { useCallback, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { ApiMode } from './api/get-api';
import { EventLog } from './features/events/EventLog';
import { DropOverlay } from './features/images/DropOverlay';
import { ImagesScreen } from './features/images/ImagesScreen';
import { NetworkScreen } from './features/network/NetworkScreen';
import { WizardScreen } from './features/wizard/WizardScreen';
import { BmcScreen } from './features/bmc/BmcScreen';
import { ClientsScreen } from './features/clients/ClientsScreen';
import { SettingsScreen } from './features/settings/SettingsScreen';
import { DashboardScreen } from './features/dashboard/DashboardScreen';
import type { FieldbootStore } from './store/fieldboot-store';
import { StoreProvider } from './store/store-context';
import { onTabListKeyDown } from './components/roving-tabs';

type Screen = 'network' | 'images' | 'wizard' | 'bmc' | 'clients' | 'settings' | 'dashboard';

export function App({ store, mode }: { store: FieldbootStore; mode: ApiMode }) {
  useEffect(() => store.getState().connect(), [store]);
  const [screen, setScreen] = useState<Screen>('network');
  const imageCount = useStore(store, (s) => s.images.length);
  // Network is where a session is set up; the dashboard is what to watch while it serves. The app opens on
  // the dashboard when it finds a session serving (started by `serve --interface`, another window, a restart),
  // only from the Network screen. A Start clicked on the Network screen (busy) stays there: its status shows
  // the outcome, and the Dashboard tab is one click away.
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.serving.phase === 'serving' && prev.serving.phase !== 'serving' && !s.busy && !prev.busy) {
          setScreen((current) => (current === 'network' ? 'dashboard' : current));
        }
      }),
    [store],
  );
  // A drop anywhere adds the files and shows where they went.
  const onFiles = useCallback(
    (files: File[]) => {
      setScreen('images');
      void store.getState().addImageFiles(files);
    },
    [store],
  );
  const tab = (id: Screen, label: string) => (
    <button
      type="button"
      role="tab"
      className={`nav-tab${screen === id ? ' is-current' : ''}`}
      aria-selected={screen === id}
      id={`tab-${id}`}
      aria-controls="screen-panel"
      // Roving tabindex (WAI-ARIA tabs): only the current tab is in the Tab order; arrows move between tabs.
      tabIndex={screen === id ? 0 : -1}
      data-testid={`nav-${id}`}
      onClick={() => setScreen(id)}
    >
      {label}
    </button>
  );
  // Whichever screen shows is the tab panel of the current tab.
  const panelProps = { id: 'screen-panel', role: 'tabpanel', 'aria-labelledby': `tab-${screen}` } as const;
  return (
    <StoreProvider store={store}>
      <div className="app">
        <header className="app-header">
          <div className="brand">
            <span className="brand-name">FieldBoot</span>
            <span className="brand-tagline">PXE install server</span>
          </div>
          <nav className="app-nav" role="tablist" aria-label="Screens" onKeyDown={onTabListKeyDown}>
            {tab('dashboard', 'Dashboard')}
            {tab('network', 'Network')}
            {tab('images', imageCount > 0 ? `Images (${imageCount})` : 'Images')}
            {tab('wizard', 'Answer file')}
            {tab('bmc', 'Machines (BMC)')}
            {tab('clients', 'Clients')}
            {tab('settings', 'Settings')}
          </nav>
          <span className="mode-tag" data-testid="api-mode" title={mode === 'web' ? 'Driven from a browser (fieldboot serve --ui)' : 'Desktop app'}>
            {mode === 'web' ? 'Web mode' : 'Desktop'}
          </span>
        </header>
        <div className="screen-panel" {...panelProps}>
        {/* The wizard needs the width for its form and live preview: no event log beside it. */}
        {screen === 'wizard' ? (
          <main className="app-main wide">
            <WizardScreen />
          </main>
        ) : screen === 'bmc' ? (
          <main className="app-main wide">
            <BmcScreen />
          </main>
        ) : screen === 'clients' ? (
          <main className="app-main wide">
            <ClientsScreen />
          </main>
        ) : screen === 'dashboard' ? (
          <main className="app-main wide">
            <DashboardScreen />
          </main>
        ) : screen === 'settings' ? (
          <main className="app-main wide">
            <SettingsScreen />
          </main>
        ) : (
        <main className="app-main">
          {screen === 'network' ? <NetworkScreen /> : <ImagesScreen mode={mode} />}
          <aside className="app-side">
            <EventLog />
          </aside>
        </main>
        )}
        </div>
        <DropOverlay onFiles={onFiles} />
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
