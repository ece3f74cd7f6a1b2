import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileIdentityHash, imageSlug, isValidImageId, makeImageId, MAX_SLUG_LENGTH, slugify } from '../../../../electron/engine/images/image-id';
import { LIBRARY_IMAGE_ID_PATTERN, MAX_LIBRARY_IMAGE_ID_LENGTH } from '../../../../shared/model/library-image';
import { patternBytes } from '../../../helpers/iso-builder';

test('slugify: lowercase [a-z0-9] words joined by single dashes, bounded', () => {
  const table: [string, string][] = [
    ['Rocky Linux 9.3', 'rocky-linux-9-3'],
    ['  --Ubuntu-Server 22.04.4 LTS__ ', 'ubuntu-server-22-04-4-lts'],
    ['x86_64', 'x86-64'],
    ['Debían Ñandú', 'debian-nandu'],
    ['日本語', ''],
    ['../../etc/passwd', 'etc-passwd'],
    ['', ''],
  ];
  for (const [input, want] of table) assert.equal(slugify(input), want, input);
  const long = slugify('word '.repeat(40));
  assert.ok(long.length <= MAX_SLUG_LENGTH && !long.endsWith('-'), long);
  assert.equal(slugify('a'.repeat(100)).length, MAX_SLUG_LENGTH, 'one over-long word is cut, not dropped');
});

test('imageSlug: OS family, version and arch when detected, else the file name', () => {
  assert.equal(imageSlug({ family: 'rocky', version: '9.3', arch: 'x86_64' }, 'Rocky-9.3-x86_64-dvd.iso'), 'rocky-9-3-x86-64');
  assert.equal(imageSlug({ family: 'ubuntu-live-server', version: '24.04.1', arch: 'amd64' }, 'x.iso'), 'ubuntu-live-server-24-04-1-amd64');
  assert.equal(imageSlug({ family: 'debian', version: null, arch: null }, 'x.iso'), 'debian');
  assert.equal(imageSlug({ family: 'unknown', version: null, arch: null }, 'My Custom_Image.ISO'), 'my-custom-image');
  assert.equal(imageSlug({ family: 'unknown', version: null, arch: null }, '???.iso'), 'image');
});

test('ids: the same file always gets the same id; another size, mtime or path another one', () => {
  const h = fileIdentityHash('/isos/rocky.iso', 123, 1700000000000.5);
  assert.equal(h, fileIdentityHash('/isos/rocky.iso', 123, 1700000000000.5));
  const id = makeImageId('rocky-9-3-x86-64', h, () => false);
  assert.equal(id, makeImageId('rocky-9-3-x86-64', h, () => false), 'stable');
  assert.match(id, /^rocky-9-3-x86-64-[0-9a-f]{8}$/);
  for (const other of [
    fileIdentityHash('/isos/rocky.iso', 124, 1700000000000.5),
    fileIdentityHash('/isos/rocky.iso', 123, 1700000000001.5),
    fileIdentityHash('/isos/rocky2.iso', 123, 1700000000000.5),
  ]) {
    assert.notEqual(makeImageId('rocky-9-3-x86-64', other, () => false), id);
  }
});

test('ids: unique even when the short hash collides, and always URL-safe', () => {
  const h = 'ab'.repeat(32);
  const taken = new Set<string>();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const id = makeImageId('rocky-9-3-x86-64', h, (c) => taken.has(c));
    assert.ok(!taken.has(id), `new id ${id}`);
    taken.add(id);
    ids.push(id);
  }
  assert.deepEqual(ids.slice(0, 3), ['rocky-9-3-x86-64-abababab', 'rocky-9-3-x86-64-abababababab', 'rocky-9-3-x86-64-abababababababab']);
  assert.equal(ids[3], 'rocky-9-3-x86-64-abababababababab-2');

  // Whatever the slug input, the id obeys the shared rule.
  const noise = patternBytes(4000, 99);
  for (let i = 0; i < 200; i++) {
    const text = noise.subarray(i * 20, i * 20 + 20).toString('latin1');
    const id = makeImageId(text, fileIdentityHash(text, i, i), () => false);
    assert.ok(isValidImageId(id), JSON.stringify(id));
    assert.match(id, LIBRARY_IMAGE_ID_PATTERN);
    assert.ok(id.length <= MAX_LIBRARY_IMAGE_ID_LENGTH);
  }
  assert.equal(makeImageId('', h, () => false), 'image-abababab');
});

test('isValidImageId refuses what a URL or a path could misread', () => {
  for (const bad of ['', 'A', 'a--b', '-a', 'a-', 'a/b', 'a.b', '..', 'a b', 'x'.repeat(65)]) assert.equal(isValidImageId(bad), false, bad);
  for (const good of ['a', 'rocky-9-3-x86-64-0123abcd', '9']) assert.equal(isValidImageId(good), true, good);
});
