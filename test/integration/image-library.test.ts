/**
 * The image library with the real ISO reader: xorriso-built Rocky 9 and Debian 12 layouts are added and
 * recognised, a text file is refused with the reader's message; and images.json survives kill -9 at
 * random moments of a busy add/remove loop (atomic temp + fsync + rename).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ImageLibrary } from '../../electron/engine/images/image-library';
import { LIBRARY_FILE_NAME } from '../../electron/engine/images/library-file';
import { buildIso, debianLayout, rockyLayout, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = !hasCommand('xorriso') && 'needs xorriso';
let rocky: BuiltIso;
let debian: BuiltIso;
let dir: string;

before(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'fb-imglib-'));
  if (skip) return;
  const r = rockyLayout(9);
  const d = debianLayout(12);
  [rocky, debian] = await Promise.all([buildIso(r.spec, r.options), buildIso(d.spec, d.options)]);
});
after(async () => {
  await rocky?.cleanup();
  await debian?.cleanup();
  await fsp.rm(dir, { recursive: true, force: true });
});

test('real ISOs: added with their detected OS and a slug id; a text file is refused; a restart keeps them', { skip }, async () => {
  const stateDir = join(dir, 'state-real');
  const lib = await ImageLibrary.open(stateDir);
  const r = await lib.add(rocky.path);
  assert.equal(r.summary.family, 'rocky');
  assert.equal(r.summary.version, '9.3');
  assert.equal(r.summary.name, 'Rocky Linux 9.3');
  assert.match(r.id, /^rocky-9-3-x86-64-[0-9a-f]{8}$/);
  assert.deepEqual(r.summary.firmware, { bios: true, uefi: true });
  assert.equal(r.summary.answerFormat, 'kickstart');
  const d = await lib.add(debian.path);
  assert.match(d.id, /^debian-12-5-0-amd64-[0-9a-f]{8}$/);
  assert.equal(d.summary.answerFormat, 'preseed');

  const text = join(dir, 'readme.txt');
  await fsp.writeFile(text, 'This is not an ISO image, just some words.\n'.repeat(100));
  await assert.rejects(lib.add(text), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'iso-unreadable');
    assert.match(err.message, /^readme\.txt: not an ISO 9660 or UDF image/);
    return true;
  });
  assert.equal(lib.list().length, 2);

  const again = await ImageLibrary.open(stateDir);
  assert.deepEqual(again.list().map((i) => [i.id, i.summary.name]), [[r.id, 'Rocky Linux 9.3'], [d.id, d.summary.name]]);
});

test('images.json survives kill -9 in the middle of saving', { timeout: 120_000 }, async () => {
  const stateDir = join(dir, 'state-kill');
  const isoDir = join(dir, 'kill-isos');
  await fsp.mkdir(isoDir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < 12; i++) {
    const p = join(isoDir, `image-${i}.iso`);
    await fsp.writeFile(p, `fake ${i}`);
    files.push(p);
  }
  // A child that adds and removes images as fast as it can (inspection faked: this test is about the file).
  const script = join(dir, 'busy-library.mts');
  await fsp.writeFile(
    script,
    `import { ImageLibrary } from ${JSON.stringify(join(ROOT, 'electron/engine/images/image-library.ts'))};
const files = ${JSON.stringify(files)};
const inspect = async (path: string) => ({ path, sizeBytes: 0, filesystem: 'iso9660', volumeId: 'V', family: 'unknown', name: path.split('/').pop(),
  version: null, arch: null, arches: [], variant: null, kernel: null, initrd: null, bootFiles: [], installTreeRoot: null, answerFormat: null,
  kernelArgsTemplate: null, minRamMb: null, firmware: { bios: false, uefi: false }, bootEntries: [], fileCount: 1, warnings: [], notes: [], evidence: [] }) as never;
const lib = await ImageLibrary.open(${JSON.stringify(stateDir)}, { inspect });
for (let n = 0; ; n++) {
  const f = files[n % files.length]!;
  const hit = lib.list().find((i) => i.path === f);
  if (hit) await lib.remove(hit.id); else await lib.add(f);
  if (n % 20 === 0) process.stdout.write('.');
}
`,
  );
  let kills = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    // Wait until it is saving, then kill it at a random moment.
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before working: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 200)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    kills++;
    const text = readFileSync(join(stateDir, LIBRARY_FILE_NAME), 'utf8');
    assert.doesNotThrow(() => JSON.parse(text), `round ${round}: images.json is whole after kill -9`);
    const lib = await ImageLibrary.open(stateDir);
    assert.deepEqual(lib.loadWarnings, [], `round ${round}: nothing dropped`);
    assert.ok(lib.list().every((i) => !i.missing && !i.changed));
    const names = await fsp.readdir(stateDir);
    assert.ok(!names.some((n) => n.endsWith('.tmp')), 'open swept any half-written temp file');
  }
  assert.equal(kills, 6);
});
