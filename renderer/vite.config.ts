/**
 * Builds the renderer to dist/renderer. Relative asset URLs (base './') because the same bundle is
 * loaded from file:// by Electron and from http://127.0.0.1:PORT/ by web mode.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * The dev server's React refresh needs an inline script, which the page's CSP forbids. Drop the CSP
 * meta in `vite` dev only; builds keep it (and web mode sends the same policy as a header).
 */
function devWithoutCsp(): Plugin {
  return {
    name: 'fieldboot-dev-without-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/i, ''),
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), devWithoutCsp()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Electron 41 and Debian's chromium are both far newer: no legacy output needed.
    target: 'chrome120',
    // Both hosts support modulepreload natively; the polyfill would only add code.
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
});
