#!/usr/bin/env node
// Builds everything the packaged app runs: the renderer (Vite) and the Electron main, preload and engine
// bundles (esbuild, CommonJS: Electron's sandboxed preload must be CJS, and the engine runs as plain node
// via ELECTRON_RUN_AS_NODE). Output in dist/.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(join(root, 'dist', 'electron'), { recursive: true, force: true });

const vite = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts'], { cwd: root, stdio: 'inherit' });
if (vite.status !== 0) process.exit(vite.status ?? 1);

// import.meta.url has no meaning in CJS: map it to the bundle's own file URL.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};
await build({ ...common, entryPoints: [join(root, 'electron/main.ts')], outfile: join(root, 'dist/electron/main.cjs'), external: ['electron'] });
await build({ ...common, entryPoints: [join(root, 'electron/preload/index.ts')], outfile: join(root, 'dist/electron/preload.cjs'), external: ['electron'] });
// The engine sits beside main.cjs as engine.cjs: EngineHost looks for it there.
// dtrace-provider (bunyan's optional native add-on, via ftp-srv) has a dynamic require esbuild cannot
// bundle; bunyan requires it inside try/catch, so leaving it out is what it expects.
await build({ ...common, entryPoints: [join(root, 'electron/engine/main.ts')], outfile: join(root, 'dist/electron/engine.cjs'), external: ['electron', 'dtrace-provider'] });
console.log('built dist/renderer and dist/electron/{main,preload,engine}.cjs');
