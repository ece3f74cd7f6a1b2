#!/usr/bin/env node
// `npm run dev`: the Vite dev server for the renderer (hot reload), the Electron bundles rebuilt on change,
// and Electron pointed at the dev server. Without an Electron binary (e.g. a CI box), use web mode instead:
// `npm run build:renderer && npx fieldboot serve --ui`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context } from 'esbuild';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

let electronPath = null;
try {
  const p = require('electron');
  if (typeof p === 'string' && existsSync(p)) electronPath = p;
} catch {}
if (!electronPath) {
  console.error('The Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD?). Run "npm ci" on a machine that can download it,\nor use web mode: npm run build:renderer && npx fieldboot serve --ui');
  process.exit(1);
}

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'info', external: ['electron'],
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};
const entries = [['electron/main.ts', 'main.cjs'], ['electron/preload/index.ts', 'preload.cjs'], ['electron/engine/main.ts', 'engine.cjs']];
for (const [src, out] of entries) {
  const ctx = await context({ ...common, entryPoints: [join(root, src)], outfile: join(root, 'dist/electron', out) });
  await ctx.watch();
}

const vite = await createServer({ configFile: join(root, 'renderer/vite.config.ts') });
await vite.listen();
const url = 'http://127.0.0.1:5173/';
console.log(`renderer dev server on ${url}`);

const app = spawn(electronPath, ['.'], { cwd: root, stdio: 'inherit', env: { ...process.env, FIELDBOOT_DEV_URL: url } });
app.on('exit', async (code) => {
  await vite.close();
  process.exit(code ?? 0);
});
