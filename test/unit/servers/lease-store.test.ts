import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog, type LogEntry } from '../../../electron/engine/log';
import { LeaseStore, type LeaseRecord } from '../../../electron/engine/servers/lease-store';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fb-leases-'));
  const logs: LogEntry[] = [];
  const store = new LeaseStore(dir, createLog((l) => logs.push(l), 'DHCP'));
  return { dir, logs, store, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const T = Date.parse('2026-11-25T12:00:00.000Z');
const bound: LeaseRecord = { ip: '10.0.0.100', mac: '52:54:00:00:00:01', clientId: '01525400000001', hostname: 'n1', state: 'bound', expiresAt: T };

test('save writes the whole file atomically and load reads it back; offers are not persisted', async () => {
  const { dir, store, done } = setup();
  try {
    const records: LeaseRecord[] = [bound, { ip: '10.0.0.101', mac: '52:54:00:00:00:02', state: 'offered', expiresAt: T }];
    store.setSnapshot(() => records);
    await store.save();
    assert.deepEqual(readdirSync(dir), ['leases.json'], 'no temp file left behind');
    const text = readFileSync(join(dir, 'leases.json'), 'utf8');
    assert.match(text, /"expires": "2026-11-25T12:00:00.000Z"/);
    const again = new LeaseStore(dir, createLog(() => {}, 'DHCP'));
    assert.deepEqual(again.load(), [bound]);
  } finally {
    done();
  }
});

test('concurrent saves are coalesced, and each resolves after a write that saw its change', async () => {
  const { dir, store, done } = setup();
  try {
    let snapshots = 0;
    const records: LeaseRecord[] = [];
    store.setSnapshot(() => {
      snapshots++;
      return [...records];
    });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      records.push({ ...bound, ip: `10.0.0.${i + 1}`, mac: `52:54:00:00:01:${(i + 1).toString(16).padStart(2, '0')}` });
      waits.push(store.save());
    }
    await Promise.all(waits);
    assert.ok(snapshots <= 3, `50 saves took ${snapshots} writes`);
    const loaded = new LeaseStore(dir, createLog(() => {}, 'DHCP')).load();
    assert.equal(loaded.length, 50, 'the last write holds every change');
  } finally {
    done();
  }
});

test('a missing file means no leases, silently', () => {
  const { store, logs, done } = setup();
  try {
    assert.deepEqual(store.load(), []);
    assert.equal(logs.length, 0);
  } finally {
    done();
  }
});

for (const [name, content] of [
  ['truncated JSON (a torn write from another tool)', '{"format":"fieldboot-leases","version":1,"leases":[{"ip":"10.0'],
  ['not a lease file', '{"hello":"world"}'],
  ['a future version', '{"format":"fieldboot-leases","version":9,"leases":[]}'],
  ['binary junk', '\u0000\u0001\u0002'],
] as const) {
  test(`corrupt file (${name}): empty leases, a warning, and the file kept aside`, () => {
    const { dir, store, logs, done } = setup();
    try {
      writeFileSync(join(dir, 'leases.json'), content);
      assert.deepEqual(store.load(), []);
      assert.equal(logs.filter((l) => l.level === 'warn').length, 1);
      assert.match(logs[0]!.message, /unusable/);
      assert.equal(existsSync(join(dir, 'leases.json')), false);
      const aside = readdirSync(dir).filter((f) => f.startsWith('leases.json.corrupt-'));
      assert.equal(aside.length, 1);
      assert.equal(readFileSync(join(dir, aside[0]!), 'utf8'), content);
    } finally {
      done();
    }
  });
}

test('unreadable entries are skipped with one warning; the rest load', () => {
  const { dir, store, logs, done } = setup();
  try {
    const good = { ip: '10.0.0.100', mac: '52:54:00:00:00:01', state: 'bound', expires: '2026-11-25T12:00:00.000Z' };
    writeFileSync(
      join(dir, 'leases.json'),
      JSON.stringify({ format: 'fieldboot-leases', version: 1, leases: [good, { ...good, ip: 'x' }, { ...good, state: 'weird' }, { ...good, expires: 'never' }, 7] }),
    );
    assert.deepEqual(store.load(), [{ ip: '10.0.0.100', mac: '52:54:00:00:00:01', state: 'bound', expiresAt: T }]);
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1);
    assert.match(logs[0]!.message, /skipped 4/);
  } finally {
    done();
  }
});

test('a failed write rejects (the caller logs it) and the old file stays whole', async () => {
  const { dir, store, done } = setup();
  try {
    store.setSnapshot(() => [bound]);
    await store.save();
    rmSync(dir, { recursive: true, force: true });
    await assert.rejects(store.save());
  } finally {
    done();
  }
});
