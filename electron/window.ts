/**
 * The app window. The renderer is untrusted as far as main is concerned: sandboxed, context-isolated,
 * no Node, and it may not navigate away or open windows (a link or a hostile answer-file preview
 * must never turn into a page with the preload bridge). The only way out is window.fieldboot.
 */
import { BrowserWindow } from 'electron';
import { fileURLToPath } from 'node:url';

export interface MainWindowOptions {
  /** Default: preload.cjs beside the main bundle (dist/electron/, see scripts/build.mjs). */
  preloadPath?: string;
  /** Default: dist/renderer/index.html, the Vite build. */
  indexHtmlPath?: string;
  /** `npm run dev`: load the Vite dev server (http://127.0.0.1 only) instead of the built files. */
  devServerUrl?: string;
}

// After bundling, import.meta.url is dist/electron/main.cjs (scripts/build.mjs maps it).
const DEFAULT_PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const DEFAULT_INDEX_HTML = fileURLToPath(new URL('../renderer/index.html', import.meta.url));

export function createMainWindow(options: MainWindowOptions = {}): BrowserWindow {
  const window = new BrowserWindow({
    width: 1366,
    height: 768,
    minWidth: 900,
    minHeight: 600,
    title: 'FieldBoot',
    backgroundColor: '#eef1f5',
    show: false,
    webPreferences: {
      preload: options.preloadPath ?? DEFAULT_PRELOAD,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });

  const contents = window.webContents;
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // No camera, microphone, notifications, geolocation...: the UI needs none.
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  window.once('ready-to-show', () => window.show());
  if (options.devServerUrl && /^http:\/\/127\.0\.0\.1:\d+\/?$/.test(options.devServerUrl)) void window.loadURL(options.devServerUrl);
  else void window.loadFile(options.indexHtmlPath ?? DEFAULT_INDEX_HTML);
  return window;
}
