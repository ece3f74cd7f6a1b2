import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clientPathSegments, DirectorySource } from '../../../electron/engine/files/directory-source';

let base = '';
let root = '';
let src: DirectorySource;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'fb-dirsrc-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
  mkdirSync(join(root, 'EFI', 'Boot'), { recursive: true });
  writeFileSync(join(root, 'pxelinux.0'), 'loader');
  writeFileSync(join(root, 'pxelinux.cfg', 'default'), 'DEFAULT local');
  writeFileSync(join(root, 'pxelinux.cfg', '01-52-54-00-12-34-56'), 'mac config');
  writeFileSync(join(root, 'EFI', 'Boot', 'bootx64.efi'), 'efi');
  writeFileSync(join(root, 'Mixed.Case'), 'mixed');
  writeFileSync(join(base, 'secret.txt'), 'outside the root');
  symlinkSync(join(base, 'secret.txt'), join(root, 'escape-link'));
  symlinkSync(base, join(root, 'escape-dir'));
  symlinkSync('pxelinux.0', join(root, 'inside-link'));
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  src = new DirectorySource(root);
});

after(() => rmSync(base, { recursive: true, force: true }));

async function content(path: string): Promise<string | null> {
  const f = await src.open(path);
  if (!f) return null;
  try {
    const buf = Buffer.alloc(f.size);
    let at = 0;
    while (at < f.size) {
      const n = await f.read(buf, at, f.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at).toString();
  } finally {
    await f.close();
  }
}

test('clientPathSegments normalises and refuses', () => {
  assert.deepEqual(clientPathSegments('pxelinux.0'), ['pxelinux.0']);
  assert.deepEqual(clientPathSegments('/pxelinux.cfg/default'), ['pxelinux.cfg', 'default']);
  assert.deepEqual(clientPathSegments('///a//b/./c/'), ['a', 'b', 'c']);
  assert.deepEqual(clientPathSegments('\\EFI\\Boot\\bootx64.efi'), ['EFI', 'Boot', 'bootx64.efi']);
  assert.deepEqual(clientPathSegments('a..b/..c'), ['a..b', '..c'], 'dots inside a name are fine');
  for (const bad of ['', '/', '.', '..', '../x', 'a/../b', 'a/..', '..\\x', 'a\\..\\..\\b', 'a\0b', 'C:\\Windows\\win.ini', 'C:x', 'file.txt:stream']) {
    assert.equal(clientPathSegments(bad), null, JSON.stringify(bad));
  }
});

test('exact path, leading slashes, double slashes and backslashes', async () => {
  assert.equal(await content('pxelinux.0'), 'loader');
  assert.equal(await content('/pxelinux.0'), 'loader');
  assert.equal(await content('//pxelinux.cfg//default'), 'DEFAULT local');
  assert.equal(await content('\\EFI\\Boot\\bootx64.efi'), 'efi');
  assert.equal(await content('./pxelinux.cfg/./default'), 'DEFAULT local');
});

test('case-insensitive fallback per segment', async () => {
  assert.equal(await content('PXELINUX.CFG/01-52-54-00-12-34-56'), 'mac config');
  assert.equal(await content('PXELINUX.CFG/DEFAULT'), 'DEFAULT local');
  assert.equal(await content('efi\\boot\\BOOTX64.EFI'), 'efi');
  assert.equal(await content('mixed.case'), 'mixed');
  const st = await src.stat('PXELINUX.CFG/DEFAULT');
  assert.deepEqual(st && { path: st.path, size: st.size, isDirectory: st.isDirectory }, { path: '/pxelinux.cfg/default', size: 13, isDirectory: false });
});

test('missing files are null, not errors', async () => {
  assert.equal(await src.open('nope.bin'), null);
  assert.equal(await src.open('pxelinux.cfg/nope'), null);
  assert.equal(await src.open('pxelinux.0/below-a-file'), null);
  assert.equal(await src.stat('nope'), null);
});

test('traversal is refused: .., backslash .., absolute paths, NUL, drive letters', async () => {
  for (const bad of ['../secret.txt', '..\\secret.txt', 'pxelinux.cfg/../../secret.txt', '/../secret.txt', 'pxelinux.0\0.cfg', 'C:\\secret.txt']) {
    assert.equal(await src.open(bad), null, JSON.stringify(bad));
    assert.equal(await src.stat(bad), null, JSON.stringify(bad));
  }
  // An absolute host path is read under the root (leading slashes stripped), where it does not exist.
  assert.equal(await src.open(join(base, 'secret.txt')), null);
  assert.equal(await src.open('/etc/passwd'), null);
});

test('symlinks that leave the root are refused; those inside are followed', async () => {
  assert.equal(await src.open('escape-link'), null);
  assert.equal(await src.open('escape-dir/secret.txt'), null);
  assert.equal(await src.open('ESCAPE-DIR/SECRET.TXT'), null);
  assert.equal(await src.stat('escape-dir'), null);
  assert.equal(await src.open('dangling'), null);
  assert.equal(await content('inside-link'), 'loader');
  assert.equal((await src.stat('inside-link'))?.path, '/pxelinux.0');
});

test('directories stat as directories but do not open', async () => {
  const st = await src.stat('/pxelinux.cfg/');
  assert.equal(st?.isDirectory, true);
  assert.equal(await src.open('pxelinux.cfg'), null);
  assert.equal(await src.stat('/'), null, 'the root itself is not a file a client can ask for');
});

test('each open() has its own descriptor: closing one does not affect another', async () => {
  const a = await src.open('pxelinux.0');
  const b = await src.open('pxelinux.0');
  assert.ok(a && b);
  await a.close();
  const buf = Buffer.alloc(6);
  assert.equal(await b.read(buf, 0, 6, 0), 6);
  assert.equal(buf.toString(), 'loader');
  assert.equal(await b.read(buf, 0, 6, 6), 0, 'reads at EOF return 0');
  await b.close();
  await b.close(); // idempotent
  await assert.rejects(a.read(buf, 0, 1, 0));
});

test('a missing root makes every lookup a miss', async () => {
  const gone = new DirectorySource(join(base, 'does-not-exist'));
  assert.equal(await gone.open('pxelinux.0'), null);
  assert.equal(await gone.stat('pxelinux.0'), null);
});
