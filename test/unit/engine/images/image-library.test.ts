/**
 * The image library over a temp state dir, with the ISO inspection injected (the real one is exercised in
 * test/integration/image-library.test.ts): ids, persistence, missing/changed flags, corrupt images.json,
 * uploads (limits, breaks, refusals, duplicates).
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { ImageLibrary } from '../../../../electron/engine/images/image-library';
import { LIBRARY_FILE_NAME } from '../../../../electron/engine/images/library-file';
import { IsoError } from '../../../../electron/engine/iso/iso-errors';
import type { IsoSummary } from '../../../../shared/model/iso-summary';
import type { LibraryImage } from '../../../../shared/model/library-image';

let dir: string;
let stateDir: string;
let inspected: string[];

beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'fb-lib-'));
  stateDir = join(dir, 'state');
  inspected = [];
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function summaryFor(path: string, over: Partial<IsoSummary> = {}): IsoSummary {
  return {
    path, sizeBytes: 0, filesystem: 'rockridge', volumeId: 'Rocky-9-3-x86_64-dvd', family: 'rocky', name: 'Rocky Linux 9.3',
    version: '9.3', arch: 'x86_64', arches: ['x86_64'], variant: 'dvd', kernel: '/images/pxeboot/vmlinuz', initrd: '/images/pxeboot/initrd.img',
    bootFiles: [], installTreeRoot: '/', answerFormat: 'kickstart', kernelArgsTemplate: null, minRamMb: null,
    firmware: { bios: true, uefi: true }, bootEntries: [], fileCount: 10, warnings: [], notes: [], evidence: [], ...over,
  };
}

/** Files whose content starts with "ISO" are images; anything else is refused like the real reader does. */
async function fakeInspect(path: string): Promise<IsoSummary> {
  inspected.push(path);
  let head: Buffer;
  try {
    head = await fsp.readFile(path);
  } catch {
    throw new IsoError('io', `cannot open ${path}: no such file`);
  }
  if (!head.subarray(0, 3).equals(Buffer.from('ISO'))) throw new IsoError('not-an-image', 'not an ISO 9660 or UDF image: no volume descriptor at sector 16');
  const text = head.toString('latin1');
  if (text.includes('debian')) return summaryFor(path, { family: 'debian', name: 'Debian 12.5.0', version: '12.5.0', arch: 'amd64', answerFormat: 'preseed' });
  return summaryFor(path);
}

const open = () => ImageLibrary.open(stateDir, { inspect: fakeInspect });

async function iso(name: string, content = 'ISO rocky'): Promise<string> {
  const p = join(dir, name);
  await fsp.writeFile(p, content);
  return p;
}

test('add inspects, gives a slug id, and the same file twice is one entry', async () => {
  const lib = await open();
  const pushes: LibraryImage[][] = [];
  lib.onChange((images) => pushes.push(images));
  const a = await lib.add(await iso('Rocky-9.3-x86_64-dvd.iso'));
  assert.match(a.id, /^rocky-9-3-x86-64-[0-9a-f]{8}$/);
  assert.equal(a.fileName, 'Rocky-9.3-x86_64-dvd.iso');
  assert.equal(a.origin, 'path');
  assert.equal(a.summary.name, 'Rocky Linux 9.3');
  assert.deepEqual(a.warnings, []);
  assert.equal(pushes.length, 1);

  const again = await lib.add(join(dir, '.', 'Rocky-9.3-x86_64-dvd.iso'));
  assert.equal(again.id, a.id);
  assert.equal(lib.list().length, 1);
  assert.equal(inspected.length, 1, 'an unchanged file is not inspected again');

  const b = await lib.add(await iso('debian.iso', 'ISO debian'));
  assert.match(b.id, /^debian-12-5-0-amd64-[0-9a-f]{8}$/);
  assert.deepEqual(lib.list().map((i) => i.id), [a.id, b.id]);
  assert.equal(lib.get(b.id)?.path, b.path);
});

test('a symlink to an image already listed is the same image', async () => {
  const lib = await open();
  const target = await iso('real.iso');
  await fsp.symlink(target, join(dir, 'link.iso'));
  const a = await lib.add(target);
  const b = await lib.add(join(dir, 'link.iso'));
  assert.equal(b.id, a.id);
  assert.equal(lib.list().length, 1);
});

test('a non-ISO or missing file is refused with the reader message naming the file; nothing added or saved', async () => {
  const lib = await open();
  const ok = await lib.add(await iso('ok.iso'));
  const saved = readFileSync(join(stateDir, LIBRARY_FILE_NAME), 'utf8');
  const notes = await iso('notes.txt', 'hello');
  await assert.rejects(lib.add(notes), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'iso-unreadable');
    assert.match(err.message, /^notes\.txt: not an ISO 9660 or UDF image/);
    return true;
  });
  await assert.rejects(lib.add(join(dir, 'nope.iso')), /nope\.iso.*no such file/);
  assert.deepEqual(lib.list().map((i) => i.id), [ok.id]);
  assert.equal(readFileSync(join(stateDir, LIBRARY_FILE_NAME), 'utf8'), saved);
});

test('persistence: a reopened library has the same images and ids; ids survive a later change of the file', async () => {
  const lib = await open();
  const a = await lib.add(await iso('a.iso'));
  const b = await lib.add(await iso('b.iso', 'ISO debian'));
  const raw = JSON.parse(readFileSync(join(stateDir, LIBRARY_FILE_NAME), 'utf8')) as { version: number; images: unknown[] };
  assert.equal(raw.version, 1);
  assert.equal(raw.images.length, 2);
  assert.ok(!readdirSync(stateDir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');

  const again = await open();
  assert.deepEqual(again.list(), lib.list());
  assert.deepEqual(again.loadWarnings, []);

  // Re-adding a changed file re-inspects it and keeps its id (URLs in a running install stay valid).
  await fsp.appendFile(a.path, ' more');
  const reopened = await open();
  const changed = reopened.get(a.id);
  assert.equal(changed?.changed, true);
  const readded = await reopened.add(a.path);
  assert.equal(readded.id, a.id);
  assert.equal(readded.changed, undefined);
  assert.equal(readded.size, a.size + 5);
  assert.equal(readded.addedAt, a.addedAt);
  assert.equal((await open()).get(b.id)?.id, b.id);
});

test('missing and changed files are kept, flagged and warned about, and unflagged when they come back', async () => {
  const lib = await open();
  const a = await lib.add(await iso('a.iso'));
  const b = await lib.add(await iso('b.iso', 'ISO debian'));
  await fsp.rename(a.path, join(dir, 'a-away.iso'));
  const t = new Date('2024-01-02T03:04:05Z');
  utimesSync(b.path, t, t);

  const again = await open();
  const [ma, cb] = [again.get(a.id), again.get(b.id)];
  assert.equal(ma?.missing, true);
  assert.match(ma?.warnings[0] ?? '', /no longer at .*a\.iso/);
  assert.equal(cb?.changed, true);
  assert.match(cb?.warnings[0] ?? '', /changed since it was inspected/);
  assert.equal(again.list().length, 2, 'nothing silently dropped');

  // The flags are live: put the file back and recheck.
  const pushes: LibraryImage[][] = [];
  again.onChange((images) => pushes.push(images));
  await fsp.rename(join(dir, 'a-away.iso'), a.path);
  assert.equal(await again.recheck(), true);
  assert.equal(again.get(a.id)?.missing, undefined);
  assert.deepEqual(again.get(a.id)?.warnings, []);
  assert.equal(pushes.length, 1);
  assert.equal(await again.recheck(), false, 'no change, no push');
  assert.equal(pushes.length, 1);
  // The flags are not persisted: images.json holds what was inspected.
  assert.ok(!readFileSync(join(stateDir, LIBRARY_FILE_NAME), 'utf8').includes('missing'));
});

test('a corrupt images.json gives an empty library with a warning, and is kept aside', async () => {
  await fsp.mkdir(stateDir, { recursive: true });
  for (const bad of ['{"version":1,"images":[', 'null', '{"version":99,"images":[]}', '\u0000\u0000\u0000']) {
    writeFileSync(join(stateDir, LIBRARY_FILE_NAME), bad);
    const lib = await open();
    assert.deepEqual(lib.list(), [], bad);
    assert.equal(lib.loadWarnings.length, 1, bad);
    assert.match(lib.loadWarnings[0] ?? '', /images\.json .*(not valid JSON|not a version 1 image list).*kept it as images\.json\.corrupt-/);
    assert.ok(!existsSync(join(stateDir, LIBRARY_FILE_NAME)));
    // The library still works, and the next save does not touch the set-aside copy.
    await lib.add(await iso(`x${bad.length}.iso`));
  }
  const asides = readdirSync(stateDir).filter((n) => n.startsWith('images.json.corrupt-'));
  assert.ok(asides.length >= 1);
});

test('entries that do not check are dropped one by one, with a warning each', async () => {
  const lib = await open();
  const a = await lib.add(await iso('a.iso'));
  const file = join(stateDir, LIBRARY_FILE_NAME);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { images: Record<string, unknown>[] };
  const good = raw.images[0]!;
  raw.images.push({ ...good, id: '../../etc' }, { ...good, path: 'relative.iso', id: 'x-1' }, { ...good }, 42 as never);
  writeFileSync(file, JSON.stringify(raw));
  const again = await open();
  assert.deepEqual(again.list().map((i) => i.id), [a.id]);
  assert.equal(again.loadWarnings.length, 4);
  assert.match(again.loadWarnings.join('\n'), /bad id/);
  assert.match(again.loadWarnings.join('\n'), /not absolute/);
  assert.match(again.loadWarnings.join('\n'), /duplicate id/);
});

test('remove forgets the entry; a file added by path stays on disk', async () => {
  const lib = await open();
  const a = await lib.add(await iso('a.iso'));
  await assert.rejects(lib.remove('no-such-id'), /no image with id "no-such-id"/);
  const removed = await lib.remove(a.id);
  assert.equal(removed.id, a.id);
  assert.deepEqual(lib.list(), []);
  assert.ok(existsSync(a.path), 'the technician\'s file is never deleted');
  assert.deepEqual((await open()).list(), []);
});

test('concurrent adds of the same file make one entry', async () => {
  const lib = await open();
  const p = await iso('a.iso');
  const results = await Promise.all([lib.add(p), lib.add(p), lib.add(p)]);
  assert.equal(new Set(results.map((r) => r.id)).size, 1);
  assert.equal(lib.list().length, 1);
});

function chunks(parts: (Buffer | Error)[]): Readable {
  return Readable.from(
    (async function* () {
      for (const p of parts) {
        await new Promise((r) => setImmediate(r));
        if (p instanceof Error) throw p;
        yield p;
      }
    })(),
  );
}

const uploadFiles = (lib: ImageLibrary): string[] => (existsSync(lib.uploadDir) ? readdirSync(lib.uploadDir) : []);

test('upload: saved under its name in the upload dir, inspected, added; the same content twice is one entry', async () => {
  const lib = await open();
  const content = Buffer.from('ISO rocky uploaded');
  const a = await lib.importUpload('rocky.iso', chunks([content.subarray(0, 5), content.subarray(5)]), { expectedBytes: content.length });
  assert.equal(a.origin, 'upload');
  assert.equal(a.path, join(lib.uploadDir, 'rocky.iso'));
  assert.deepEqual(readFileSync(a.path), content);
  const b = await lib.importUpload('rocky-copy.iso', chunks([content]));
  assert.equal(b.id, a.id, 'recognised by content');
  assert.deepEqual(uploadFiles(lib), ['rocky.iso'], 'the duplicate was not kept');

  // Another image with the same name gets a free name, not an overwrite.
  const c = await lib.importUpload('rocky.iso', chunks([Buffer.from('ISO debian')]));
  assert.equal(c.fileName, 'rocky-2.iso');
  assert.deepEqual(uploadFiles(lib).sort(), ['rocky-2.iso', 'rocky.iso']);

  // Removing an upload deletes our copy.
  await lib.remove(c.id);
  assert.deepEqual(uploadFiles(lib), ['rocky.iso']);
});

test('upload refusals leave no file behind: too large, broken stream, short of Content-Length, not an ISO, bad name', async () => {
  const lib = await open();
  await assert.rejects(lib.importUpload('big.iso', chunks([Buffer.alloc(600, 0x49), Buffer.alloc(600, 0x49)]), { maxBytes: 1000 }), /larger than the 1000 bytes limit/);
  assert.deepEqual(uploadFiles(lib), []);
  await assert.rejects(lib.importUpload('big.iso', chunks([]), { maxBytes: 1000, expectedBytes: 5000 }), /larger than/);
  await assert.rejects(lib.importUpload('cut.iso', chunks([Buffer.from('ISO part'), new Error('socket hang up')])), /interrupted \(socket hang up\)/);
  assert.deepEqual(uploadFiles(lib), []);
  await assert.rejects(lib.importUpload('short.iso', chunks([Buffer.from('ISO 12')]), { expectedBytes: 100 }), /interrupted \(got 6 of 100 bytes\)/);
  assert.deepEqual(uploadFiles(lib), []);
  await assert.rejects(lib.importUpload('notes.txt', chunks([Buffer.from('just text')])), /notes\.txt: not an ISO 9660 or UDF image/);
  assert.deepEqual(uploadFiles(lib), []);
  for (const name of ['../x.iso', 'a/b.iso', 'a\\b.iso', '..', '.hidden.iso', 'nul\u0000.iso', '', 'con.iso']) {
    await assert.rejects(lib.importUpload(name, chunks([Buffer.from('ISO')])), /file name|path separator|not an allowed|not a valid|control characters/, JSON.stringify(name));
  }
  assert.deepEqual(uploadFiles(lib), []);
  assert.deepEqual(lib.list(), []);
  assert.ok(!existsSync(join(dir, 'x.iso')));
});

test('leftovers of a crash (temp list, partial upload) are swept at open', async () => {
  const lib = await open();
  await lib.add(await iso('a.iso'));
  await fsp.mkdir(lib.uploadDir, { recursive: true });
  writeFileSync(join(stateDir, '.images.json.0123456789ab.tmp'), '{"half');
  writeFileSync(join(lib.uploadDir, '.rocky.iso.0123456789ab.part'), 'ISO half');
  writeFileSync(join(lib.uploadDir, 'kept.iso'), 'ISO');
  const again = await open();
  assert.equal(again.list().length, 1);
  assert.deepEqual(readdirSync(stateDir).sort(), ['images', 'images.json']);
  assert.deepEqual(readdirSync(lib.uploadDir), ['kept.iso']);
});
