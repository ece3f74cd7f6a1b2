/**
 * shared/answer/ is bundled into the renderer (wizard live preview), except crypt.ts, which needs
 * node:crypto through unixcrypt. These checks keep that line where shared/answer/README.md draws it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './answer-fixtures';

function files(dir: string, ext: RegExp): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(p).isDirectory()) out = out.concat(files(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
function importsOf(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2] ?? '');
}

test('only crypt.ts in shared/answer touches Node APIs or unixcrypt; nothing else there imports crypt.ts', () => {
  for (const f of files(join(ROOT, 'shared', 'answer'), /\.ts$/)) {
    if (f.endsWith('crypt.ts')) continue;
    for (const spec of importsOf(f)) {
      assert.ok(!spec.startsWith('node:') && spec !== 'unixcrypt' && !/\/crypt$/.test(spec), `${relative(ROOT, f)} imports ${spec}`);
    }
  }
});

test('the renderer never imports shared/answer/crypt', () => {
  for (const f of files(join(ROOT, 'renderer'), /\.(ts|tsx)$/)) {
    for (const spec of importsOf(f)) assert.ok(!/answer\/crypt$/.test(spec) && spec !== 'unixcrypt', `${relative(ROOT, f)} imports ${spec}`);
  }
});
