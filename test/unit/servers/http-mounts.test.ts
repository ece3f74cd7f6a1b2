import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldbootError } from '../../../shared/errors';
import { MemorySource } from '../../../electron/engine/files/memory-source';
import { compileMounts, matchMount, type HttpMount } from '../../../electron/engine/servers/http-mounts';

const src = new MemorySource();
const handler = () => ({ body: 'x' });

test('mounts match whole segments; exact paths first, then the longest prefix', () => {
  const mounts: HttpMount[] = [
    { prefix: '/', source: src },
    { prefix: '/iso/deb/', source: src },
    { prefix: '/iso/deb/pool/', source: src },
    { path: '/iso/deb.iso', file: '/x.iso' },
    { prefix: '/api/', handler },
  ];
  const c = compileMounts(mounts);
  const m = (p: string, trailing = false) => {
    const r = matchMount(c, p.split('/').filter(Boolean), trailing);
    return r ? { mount: r.mount, rest: r.rest.join('/') } : null;
  };
  assert.equal(m('/iso/deb/pool/main/x.deb')?.mount, mounts[2]);
  assert.equal(m('/iso/deb/pool/main/x.deb')?.rest, 'main/x.deb');
  assert.equal(m('/iso/deb/dists/Release')?.mount, mounts[1]);
  assert.equal(m('/iso/debian/dists/Release')?.mount, mounts[0], '"/iso/deb/" is not a prefix of "/iso/debian/"');
  assert.equal(m('/iso/deb.iso')?.mount, mounts[3]);
  assert.equal(m('/iso/deb.iso', true)?.mount, mounts[0], 'a file mount is not a directory');
  assert.equal(m('/api/progress')?.mount, mounts[4]);
  assert.equal(m('/api')?.mount, mounts[4], 'the prefix itself');
  assert.equal(m('/other')?.mount, mounts[0]);
  assert.equal(matchMount(compileMounts([{ prefix: '/iso/a/', source: src }]), ['iso'], false), null);
});

test('malformed and duplicate mounts are refused', () => {
  const bad: HttpMount[][] = [
    [{ prefix: '/iso/a', source: src }],
    [{ prefix: 'iso/a/', source: src }],
    [{ prefix: '/iso/../a/', source: src }],
    [{ path: '/iso/a.iso/', file: '/x' }],
    [{ path: 'a.iso', file: '/x' }],
    [{ prefix: '/api/?x', handler }],
    [
      { prefix: '/iso/a/', source: src },
      { prefix: '/iso//a/', source: src },
    ],
  ];
  for (const mounts of bad) assert.throws(() => compileMounts(mounts), FieldbootError, JSON.stringify(mounts.map((m) => ('prefix' in m ? m.prefix : m.path))));
});
