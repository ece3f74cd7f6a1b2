/**
 * clients.json + clients.journal: what a tracker saved is what the next one loads (records, arming, logs),
 * appends carry only new log lines, a torn last line is ignored, compaction, a corrupt file set aside.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ClientTracker } from '../../../electron/engine/clients/client-tracker';
import { createLog, type LogEntry } from '../../../electron/engine/log';
import { FakeClock } from './fake-clock';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'fb-clients-'));
  dirs.push(d);
  return d;
}

function open(dir: string, clock = new FakeClock(), logs: LogEntry[] = []): ClientTracker {
  return ClientTracker.open(dir, createLog((e) => logs.push(e), 'ENGINE'), { now: clock.now, timers: clock });
}

const MAC = '52:54:00:aa:bb:01';

test('a reopened tracker has every record, arming and log line that was saved', async () => {
  const dir = fresh();
  const clock = new FakeClock();
  const a = open(dir, clock);
  await a.arm([MAC], { oneShot: true });
  await a.observe({ type: 'lease', time: clock.iso(), action: 'discover', mac: MAC, ip: '0.0.0.0', firmware: 'bios' });
  await a.observe({ type: 'lease', time: clock.iso(1000), action: 'ack', mac: MAC, ip: '10.0.0.5', hostname: 'n1' });
  await a.observe({ type: 'stage', time: clock.iso(2000), mac: MAC, stage: 'installing', source: 'installer', message: 'partitioning' });
  await a.arm(['52:54:00:aa:bb:02']);
  const before = a.list();
  // No close(): what observe() resolved is on disk already, as after a kill -9.
  const b = open(dir, clock);
  assert.deepEqual(b.list().sort((x, y) => x.mac.localeCompare(y.mac)), before.sort((x, y) => x.mac.localeCompare(y.mac)));
  const r = b.get(MAC)!;
  assert.equal(r.stage, 'installing');
  assert.equal(r.armed, true);
  assert.equal(r.oneShot, true);
  assert.equal(r.hostname, 'n1');
  assert.ok(r.log.some((l) => /partitioning/.test(l.text)));
  assert.equal(b.macForIp('10.0.0.5'), MAC, 'the address index is rebuilt');
  await a.close();
  await b.close();
});

test('journal lines carry only the log lines added since the last write; a torn tail is ignored', async () => {
  const dir = fresh();
  const clock = new FakeClock();
  const a = open(dir, clock);
  await a.observe({ type: 'lease', time: clock.iso(), action: 'discover', mac: MAC, ip: '0.0.0.0' }); // first save: snapshot
  for (let i = 0; i < 5; i++) await a.observe({ type: 'lease', time: clock.iso(i), action: 'request', mac: MAC, ip: '10.0.0.5' });
  const lines = readFileSync(join(dir, 'clients.journal'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 5);
  for (const line of lines) assert.equal((JSON.parse(line) as { log: unknown[] }).log.length, 1);
  appendFileSync(join(dir, 'clients.journal'), '{"seq":99,"mac":"52:54:00:aa:bb:01","record":{"mac":"52:5'); // kill -9 mid-append
  const logs: LogEntry[] = [];
  const b = open(dir, clock, logs);
  assert.equal(b.get(MAC)!.log.length, 6);
  assert.deepEqual(b.get(MAC)!.log.map((l) => l.n), [1, 2, 3, 4, 5, 6]);
  assert.equal(logs.filter((l) => l.level === 'warn').length, 0, 'a torn last line is expected, not a warning');
  // The first save of the new tracker compacts: the torn line is gone.
  await b.observe({ type: 'lease', time: clock.iso(), action: 'ack', mac: MAC, ip: '10.0.0.5' });
  assert.equal(readFileSync(join(dir, 'clients.journal'), 'utf8'), '');
  const c = open(dir, clock);
  assert.equal(c.get(MAC)!.log.length, 7);
  assert.equal(c.get(MAC)!.stage, 'address');
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('clearFinished is saved too; many saves at once share writes (group commit)', async () => {
  const dir = fresh();
  const clock = new FakeClock();
  const a = open(dir, clock);
  const saves: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    const mac = `52:54:00:00:00:${i.toString(16).padStart(2, '0')}`;
    saves.push(a.observe({ type: 'lease', time: clock.iso(), action: 'discover', mac, ip: '0.0.0.0' }));
    if (i % 2 === 0) saves.push(a.observe({ type: 'stage', time: clock.iso(), mac, stage: 'finished', source: 'installer' }));
  }
  await Promise.all(saves);
  const journal = readFileSync(join(dir, 'clients.journal'), 'utf8').trim().split('\n').filter(Boolean);
  assert.ok(journal.length < 160, `coalesced: ${journal.length} journal lines for 150 changes`);
  const removed = await a.clearFinished();
  assert.equal(removed.length, 50);
  const b = open(dir, clock);
  assert.equal(b.list().length, 50);
  assert.ok(b.list().every((r) => r.stage === 'discovered'));
  await Promise.all([a.close(), b.close()]);
});

test('a corrupt clients.json is moved aside with a warning, not a crash', () => {
  const dir = fresh();
  writeFileSync(join(dir, 'clients.json'), '{"format":"fieldboot-clients",');
  const logs: LogEntry[] = [];
  const t = open(dir, new FakeClock(), logs);
  assert.equal(t.list().length, 0);
  assert.ok(logs.some((l) => l.level === 'warn' && /unusable/.test(l.message)));
  assert.ok(readdirSync(dir).some((n) => n.startsWith('clients.json.corrupt-')));
});
