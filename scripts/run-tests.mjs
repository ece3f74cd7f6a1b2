#!/usr/bin/env node
// Runs the test tiers with node's own test runner (via tsx for TypeScript), in one run so the closing
// summary covers everything. Usage: node scripts/run-tests.mjs [unit|integration|lab|ui ...] [-- extra node args]
// Tiers: unit (pure), integration (real sockets on loopback), lab (netns + QEMU, root), ui (Chromium, web mode).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['unit', 'integration', 'lab', 'ui'];
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const tierArgs = dash >= 0 ? args.slice(0, dash) : args;
const extra = dash >= 0 ? args.slice(dash + 1) : [];
const tiers = tierArgs.length ? tierArgs : ALL;
for (const t of tiers) if (!ALL.includes(t)) { console.error(`unknown tier "${t}" (one of ${ALL.join(', ')})`); process.exit(2); }

function collect(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const files = tiers.flatMap((t) => collect(join(root, 'test', t)));
if (!files.length) { console.error('no test files found'); process.exit(1); }

if (tiers.includes('ui')) {
  // The UI tier drives the built renderer; build it so tests never run against a stale bundle.
  const b = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) { console.error('renderer build failed'); process.exit(1); }
}

console.log(`running ${files.length} test files: ${tiers.join(', ')}`);
const r = spawnSync(
  process.execPath,
  // A stuck test fails after 10 minutes, and a leaked handle cannot keep the run alive after the last test.
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=600000', '--test-force-exit', ...extra, ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } },
);
process.exit(r.status ?? 1);
