/**
 * FileSource.list (optional; used by FTP LIST and HTTP mounts with listings) for the plain sources:
 * a directory (symlinks leaving the root are not listed), generated files (directories implied by
 * paths), and layers (upper layers hide the same name below). The ISO source is covered with a real
 * image in test/integration/ftp-server.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DirectorySource } from '../../../electron/engine/files/directory-source';
import type { FileStat } from '../../../electron/engine/files/file-source';
import { LayeredSource } from '../../../electron/engine/files/layered-source';
import { MemorySource } from '../../../electron/engine/files/memory-source';

let base = '';
let root = '';

before(() => {
  base = mkdtempSync(join(tmpdir(), 'fb-list-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
  writeFileSync(join(root, 'pxelinux.0'), 'loader');
  writeFileSync(join(root, 'pxelinux.cfg', 'default'), 'DEFAULT local');
  writeFileSync(join(base, 'secret.txt'), 'outside');
  symlinkSync(join(base, 'secret.txt'), join(root, 'escape-link'));
  symlinkSync('pxelinux.0', join(root, 'inside-link'));
});
after(() => rmSync(base, { recursive: true, force: true }));

const names = (list: FileStat[] | null) => list?.map((e) => `${e.path}${e.isDirectory ? '/' : `:${e.size}`}`) ?? null;

test('DirectorySource.list: root and subdirectories, links inside the root by their own name, escapes left out', async () => {
  const src = new DirectorySource(root);
  for (const r of ['/', '', '.', '\\']) assert.deepEqual(names(await src.list(r)), ['/inside-link:6', '/pxelinux.0:6', '/pxelinux.cfg/'], `root as ${JSON.stringify(r)}`);
  assert.deepEqual(names(await src.list('/PXELINUX.CFG')), ['/pxelinux.cfg/default:13'], 'case-insensitive like stat');
  assert.equal(await src.list('/pxelinux.0'), null, 'a file is not a directory');
  assert.equal(await src.list('/missing'), null);
  assert.equal(await src.list('/../'), null, 'traversal refused');
  assert.equal(await src.list('/a\0b'), null);
  assert.equal(await new DirectorySource(join(base, 'nope')).list('/'), null, 'missing root');
});

test('MemorySource.list: directories implied by file paths', async () => {
  const mem = new MemorySource();
  mem.set('/boot.ipxe', 'x');
  mem.set('/answers/52-54-00-00-00-01/ks.cfg', 'ks');
  mem.set('/answers/52-54-00-00-00-02/ks.cfg', 'ks2');
  assert.deepEqual(names(await mem.list('/')), ['/answers/', '/boot.ipxe:1']);
  assert.deepEqual(names(await mem.list('/ANSWERS')), ['/answers/52-54-00-00-00-01/', '/answers/52-54-00-00-00-02/']);
  assert.deepEqual(names(await mem.list('/answers/52-54-00-00-00-02/')), ['/answers/52-54-00-00-00-02/ks.cfg:3']);
  assert.equal(await mem.list('/nothing'), null);
  assert.equal(await mem.list('/answers/../..'), null);
  assert.deepEqual(names(await new MemorySource().list('/')), [], 'an empty root is still a directory');
});

test('LayeredSource.list merges layers; the upper layer wins a name in any case', async () => {
  const mem = new MemorySource();
  mem.set('/PXELINUX.0', 'generated!');
  mem.set('/fieldboot.ipxe', 'script');
  const layered = new LayeredSource([mem, new DirectorySource(root)]);
  const list = await layered.list('/');
  assert.deepEqual(names(list)?.sort(), ['/PXELINUX.0:10', '/fieldboot.ipxe:6', '/inside-link:6', '/pxelinux.cfg/']);
  assert.deepEqual(names(await layered.list('/pxelinux.cfg')), ['/pxelinux.cfg/default:13'], 'only the lower layer has it');
  assert.equal(await layered.list('/missing'), null);
  const noList = new LayeredSource([{ stat: async () => null, open: async () => null }]);
  assert.equal(await noList.list('/'), null, 'layers without list() contribute nothing');
});
