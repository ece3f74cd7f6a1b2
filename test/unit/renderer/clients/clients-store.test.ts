/** The Clients view's store: snapshot then deltas, the newer copy wins by rev, removals, filters, arming calls. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, ApiResult, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import type { ClientRecord } from '../../../../shared/model/client-record';
import { createClientsStore, matchesFilter } from '../../../../renderer/src/features/clients/clients-store';

function rec(mac: string, patch: Partial<ClientRecord> = {}): ClientRecord {
  return {
    mac, hostname: null, ip: null, firmware: null, arch: null, image: null, stage: 'discovered', reached: 'discovered', stageTimes: {},
    problem: null, firstSeen: '2026-03-01T10:00:00.000Z', lastSeen: null, bytes: 0, transfer: null, packagesDone: 0, packagesExpected: null,
    armed: false, oneShot: false, cycle: 1, rev: 1, log: [], ...patch,
  };
}

function fakeApi(list: ClientRecord[]) {
  const listeners = new Set<(p: ApiPush) => void>();
  const armed: { macs: string[]; oneShot: boolean }[] = [];
  const ok = <T,>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });
  const api = {
    subscribe: (l: (p: ApiPush) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    listClients: () => ok(list),
    armClients: (r: { macs: string[]; oneShot: boolean }) => {
      armed.push(r);
      return ok(r.macs.map((m) => rec(m, { armed: true, oneShot: r.oneShot, rev: 100 })));
    },
    disarmClients: (macs: string[]) => ok(macs.map((m) => rec(m, { rev: 101 }))),
    clearFinishedClients: () => ok(['52:54:00:00:00:02']),
    exportClients: () => ok('csv'),
    getClient: (mac: string) => ok(rec(mac)),
  } as unknown as FieldbootApi;
  return { api, armed, push: (p: ApiPush) => listeners.forEach((l) => l(p)) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test('snapshot then deltas; an older copy never replaces a newer one; removals drop selection and detail', async () => {
  const f = fakeApi([rec('52:54:00:00:00:01', { rev: 5 }), rec('52:54:00:00:00:02', { rev: 6, firstSeen: '2026-03-01T09:00:00.000Z' })]);
  const store = createClientsStore(f.api);
  // A push that was sent after the list answer arrives first.
  store.getState().connect();
  f.push({ type: 'clients', changed: [rec('52:54:00:00:00:01', { rev: 9, stage: 'address', reached: 'address' })] });
  await tick();
  const s = store.getState();
  assert.equal(s.byMac['52:54:00:00:00:01']?.stage, 'address', 'the rev 9 delta survives the rev 5 snapshot');
  assert.deepEqual(s.order, ['52:54:00:00:00:02', '52:54:00:00:00:01'], 'first seen first');
  const before = store.getState().byMac['52:54:00:00:00:02'];
  f.push({ type: 'clients', changed: [rec('52:54:00:00:00:01', { rev: 10, stage: 'loader', reached: 'loader' })] });
  assert.equal(store.getState().byMac['52:54:00:00:00:02'], before, 'untouched records keep their identity (their rows do not re-render)');
  store.getState().toggleSelected('52:54:00:00:00:02');
  store.getState().openDetail('52:54:00:00:00:02');
  await store.getState().clearFinished();
  assert.deepEqual(store.getState().order, ['52:54:00:00:00:01']);
  assert.equal(store.getState().selected.size, 0);
  assert.equal(store.getState().detail, null);
});

test('arm and disarm send the selection with the one-shot choice and apply the answer', async () => {
  const f = fakeApi([rec('52:54:00:00:00:01'), rec('52:54:00:00:00:02')]);
  const store = createClientsStore(f.api);
  store.getState().connect();
  await tick();
  store.getState().selectOnly(['52:54:00:00:00:01', '52:54:00:00:00:02']);
  await store.getState().armSelected();
  assert.deepEqual(f.armed, [{ macs: ['52:54:00:00:00:01', '52:54:00:00:00:02'], oneShot: true }]);
  assert.equal(store.getState().byMac['52:54:00:00:00:01']?.armed, true);
  store.getState().selectOnly(['52:54:00:00:00:02']);
  await store.getState().disarmSelected();
  assert.equal(store.getState().byMac['52:54:00:00:00:02']?.armed, false);
  assert.equal(store.getState().byMac['52:54:00:00:00:01']?.armed, true);
});

test('filters: stage, "in progress", text over MAC, hostname, IP, firmware and image', () => {
  const r = rec('52:54:00:ab:cd:ef', { hostname: 'Rack12-n3', ip: '10.1.2.3', firmware: 'efi-x64', image: 'rocky-9', stage: 'kernel', reached: 'kernel' });
  assert.ok(matchesFilter(r, 'all', ''));
  assert.ok(matchesFilter(r, 'kernel', ''));
  assert.ok(!matchesFilter(r, 'initrd', ''));
  assert.ok(matchesFilter(r, 'active', ''));
  assert.ok(!matchesFilter({ ...r, stage: 'finished' }, 'active', ''));
  assert.ok(!matchesFilter({ ...r, stage: 'failed' }, 'active', ''));
  for (const q of ['ab:cd', 'rack12', '10.1.2', 'EFI', 'rocky']) assert.ok(matchesFilter(r, 'all', q), q);
  assert.ok(!matchesFilter(r, 'all', 'debian'));
});
