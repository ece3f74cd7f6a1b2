import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog, type LogEntry } from '../../../electron/engine/log';
import { LEASE_JOURNAL_NAME, LeaseStore, type LeaseRecord } from '../../../electron/engine/servers/lease-store';

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
    let records = [bound];
    store.setSnapshot(() => records);
    await store.save();
    rmSync(dir, { recursive: true, force: true });
    records = [{ ...bound, expiresAt: T + 1000 }]; // a save with no change writes nothing, so change something
    await assert.rejects(store.save());
  } finally {
    done();
  }
});

test('journal: after the first snapshot, saves append only the changes; a new store replays them', async () => {
  const { dir, store, done } = setup();
  try {
    const a: LeaseRecord = { ...bound };
    const b: LeaseRecord = { ip: '10.0.0.101', mac: '52:54:00:00:00:02', state: 'bound', expiresAt: T };
    let records: LeaseRecord[] = [a, b];
    store.setSnapshot(() => records);
    await store.save(); // first write: a snapshot
    const snapshot = readFileSync(join(dir, 'leases.json'), 'utf8');
    records = [{ ...a, expiresAt: T + 60_000 }, { ...b, state: 'released' }];
    await store.save();
    records = [{ ...a, expiresAt: T + 60_000 }]; // b forgotten
    await store.save();
    await store.save(); // no change: nothing written
    assert.equal(readFileSync(join(dir, 'leases.json'), 'utf8'), snapshot, 'the snapshot was not rewritten');
    const journal = readFileSync(join(dir, LEASE_JOURNAL_NAME), 'utf8').trim().split('\n');
    assert.equal(journal.length, 3, 'two changed leases, then one removal');
    assert.match(journal[2]!, /"removed":true/);
    assert.deepEqual(new LeaseStore(dir, createLog(() => {}, 'DHCP')).load(), records);
  } finally {
    done();
  }
});

test('journal: a torn last line (crash mid-append) is ignored; entries already in the snapshot are not replayed', () => {
  const { dir, logs, store, done } = setup();
  try {
    const expires = '2026-11-25T12:00:00.000Z';
    writeFileSync(
      join(dir, 'leases.json'),
      JSON.stringify({ format: 'fieldboot-leases', version: 1, seq: 2, leases: [{ ip: '10.0.0.100', mac: '52:54:00:00:00:01', state: 'released', expires }] }),
    );
    writeFileSync(
      join(dir, LEASE_JOURNAL_NAME),
      [
        // seq 1-2 predate the snapshot (a crash between the snapshot and the journal reset): not replayed.
        JSON.stringify({ seq: 1, ip: '10.0.0.100', mac: '52:54:00:00:00:01', state: 'bound', expires }),
        JSON.stringify({ seq: 2, ip: '10.0.0.100', mac: '52:54:00:00:00:01', state: 'released', expires }),
        JSON.stringify({ seq: 3, ip: '10.0.0.101', mac: '52:54:00:00:00:02', state: 'bound', expires }),
        '{"seq":4,"ip":"10.0.0.102","mac":"52:5',
      ].join('\n'),
    );
    assert.deepEqual(
      store.load().map((r) => `${r.ip} ${r.state}`),
      ['10.0.0.100 released', '10.0.0.101 bound'],
    );
    assert.equal(logs.length, 0, 'a torn tail is expected after a crash, not worth a warning');
  } finally {
    done();
  }
});

test('journal: the first save after load is a snapshot that empties the journal; many changes compact it again', async () => {
  const { dir, store, done } = setup();
  try {
    let n = 0;
    store.setSnapshot(() => [{ ...bound, expiresAt: T + n }]);
    await store.save();
    for (n = 1; n <= 1200; n++) await store.save(); // 1200 single-line appends: past the 1000-line threshold
    const lines = readFileSync(join(dir, LEASE_JOURNAL_NAME), 'utf8').split('\n').filter(Boolean).length;
    assert.ok(lines < 1000, `journal compacted (${lines} lines)`);
    const reopened = new LeaseStore(dir, createLog(() => {}, 'DHCP'));
    assert.deepEqual(reopened.load(), [{ ...bound, expiresAt: T + 1200 }]);
    reopened.setSnapshot(() => [{ ...bound, expiresAt: T + 1200 }]);
    await reopened.save();
    assert.equal(readFileSync(join(dir, LEASE_JOURNAL_NAME), 'utf8'), '', 'the first save after a restart starts a fresh journal');
    assert.deepEqual(new LeaseStore(dir, createLog(() => {}, 'DHCP')).load(), [{ ...bound, expiresAt: T + 1200 }]);
  } finally {
    done();
  }
});
