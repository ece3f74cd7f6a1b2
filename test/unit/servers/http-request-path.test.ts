import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePath, MAX_REQUEST_TARGET_LENGTH, parseRequestTarget } from '../../../electron/engine/servers/http-request-path';

test('request targets that are served: decoded segments, dots and empty segments dropped', () => {
  const table: [string, string, boolean, string][] = [
    ['/', '/', false, ''],
    ['/iso/deb/install.amd/vmlinuz', '/iso/deb/install.amd/vmlinuz', false, ''],
    ['/iso/deb/dists/', '/iso/deb/dists', true, ''],
    ['//iso///deb/./a', '/iso/deb/a', false, ''],
    ['/iso/deb/file%20with%20space.cfg', '/iso/deb/file with space.cfg', false, ''],
    ['/api/progress?mac=52:54:00:12:34:56&stage=x', '/api/progress', false, 'mac=52:54:00:12:34:56&stage=x'],
    ['http://10.0.0.1:8080/iso/a/b', '/iso/a/b', false, ''], // absolute form
    ['http://10.0.0.1', '/', false, ''],
    ['/iso/a/%2e%2efoo', '/iso/a/..foo', false, ''], // a name that merely starts with two dots
  ];
  for (const [target, path, trailing, query] of table) {
    const r = parseRequestTarget(target);
    assert.ok(r.ok, `${target} should be accepted`);
    assert.equal(r.path, path, target);
    assert.equal(r.trailingSlash, trailing, `${target} trailing slash`);
    assert.equal(r.query, query, `${target} query`);
  }
});

test('request targets that are refused: traversal in every spelling, separators, NUL, controls', () => {
  const refused = [
    '/iso/a/../../etc/passwd',
    '/..',
    '/iso/a/%2e%2e/%2e%2e/etc/passwd',
    '/iso/a/%2E%2E/x',
    '/iso/a/.%2e/x',
    '/iso/a/%2e./x',
    '/iso/a\\..\\..\\etc\\passwd',
    '/iso/a/%5c..%5cetc',
    '/iso/a/..%2fetc',
    '/iso/a/%2fetc/passwd',
    '/iso/a/b%00.txt',
    '/iso/a/b\u0000.txt',
    '/iso/a/b%0d%0aSet-Cookie:x',
    '/iso/a/%zz',
    '/iso/a/%',
    'iso/a/b',
    '*',
    '/a#frag',
  ];
  for (const t of refused) {
    const r = parseRequestTarget(t);
    assert.equal(r.ok, false, `${JSON.stringify(t)} must be refused`);
    if (!r.ok) assert.equal(r.status, 400, t);
  }
});

test('an overlong target is 414', () => {
  const r = parseRequestTarget('/' + 'a'.repeat(MAX_REQUEST_TARGET_LENGTH));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.status, 414);
});

test('encodePath keeps separators and escapes the rest', () => {
  assert.equal(encodePath('/iso/a b/c#d'), '/iso/a%20b/c%23d');
});
