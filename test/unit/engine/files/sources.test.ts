import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LayeredSource } from '../../../../electron/engine/files/layered-source';
import { MemorySource, normalizeVirtualPath } from '../../../../electron/engine/files/memory-source';

test('virtual paths: slashes, backslashes, dots; traversal and NUL refused', () => {
  assert.equal(normalizeVirtualPath('/pxelinux.cfg/default'), '/pxelinux.cfg/default');
  assert.equal(normalizeVirtualPath('pxelinux.cfg\\default'), '/pxelinux.cfg/default');
  assert.equal(normalizeVirtualPath('//a/./b'), '/a/b');
  assert.equal(normalizeVirtualPath('../etc/passwd'), null);
  assert.equal(normalizeVirtualPath('a/../../b'), null);
  assert.equal(normalizeVirtualPath('a\0b'), null);
});

test('memory source reads ranges and matches names case-insensitively', async () => {
  const m = new MemorySource();
  m.set('fieldboot.ipxe', '#!ipxe\nexit\n');
  const st = await m.stat('/FIELDBOOT.IPXE');
  assert.equal(st?.size, 12);
  const f = await m.open('fieldboot.ipxe');
  assert.ok(f);
  const buf = Buffer.alloc(4);
  assert.equal(await f.read(buf, 0, 4, 2), 4);
  assert.equal(buf.toString(), 'ipxe');
  assert.equal(await f.read(buf, 0, 4, 100), 0);
  assert.equal(await m.open('missing'), null);
});

test('layered source: first layer with the path wins', async () => {
  const top = new MemorySource();
  const bottom = new MemorySource();
  top.set('a', 'top');
  bottom.set('a', 'bottom-a');
  bottom.set('b', 'bottom-b');
  const l = new LayeredSource([top, bottom]);
  assert.equal((await l.stat('a'))?.size, 3);
  assert.equal((await l.stat('b'))?.size, 8);
  assert.equal(await l.stat('c'), null);
});
