/**
 * Electron entry. Thin on purpose: one AppController (which owns the engine process), IPC, one window.
 * Everything that matters is in engine-host/ and engine/, where it is tested without Electron.
 */
import { app, BrowserWindow, dialog } from 'electron';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppController } from './engine-host/app-controller';
import { EngineElevation } from './engine-host/engine-elevation';
import { registerIpc } from './ipc/register-ipc';
import { createAppSecretVault } from './safe-storage-vault';
import { createMainWindow } from './window';

// Two FieldBoot windows would mean two DHCP servers on one wire: keep one instance.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let controller: AppController | null = null;
  let window: BrowserWindow | null = null;
  let unregister: (() => void) | null = null;

  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  void app.whenReady().then(() => {
    const stateDir = join(app.getPath('userData'), 'state');
    // BMC passwords: AES-GCM key wrapped by the OS keychain where there is one (safeStorage is ready now).
    // The window stays a user process; the engine asks for administrator rights when a start needs them.
    controller = new AppController({
      baseConfig: { stateDir },
      bmc: { vault: createAppSecretVault(stateDir) },
      elevation: new EngineElevation(),
      appVersion: app.getVersion(),
      // "Export diagnostics": the technician picks where the zip goes (Documents by default).
      saveDiagnostics: async (fileName, zip) => {
        const options = { defaultPath: join(app.getPath('documents'), fileName), filters: [{ name: 'Zip archive', extensions: ['zip'] }] };
        const r = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
        if (r.canceled || !r.filePath) return null;
        await writeFile(r.filePath, zip);
        return r.filePath;
      },
    });
    // Only unpackaged runs (npm run dev) may point the window at the Vite dev server.
    const devServerUrl = !app.isPackaged ? process.env.FIELDBOOT_DEV_URL : undefined;
    window = createMainWindow(devServerUrl ? { devServerUrl } : {});
    unregister = registerIpc(controller, window);
    window.on('closed', () => {
      unregister?.();
      window = null;
    });
  });

  app.on('window-all-closed', () => app.quit());

  // The engine must die with the app: stop serving before quitting (the engine's own watchdog is the backstop).
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed || !controller) return;
    event.preventDefault();
    disposed = true;
    void controller.dispose().finally(() => app.quit());
  });
}
