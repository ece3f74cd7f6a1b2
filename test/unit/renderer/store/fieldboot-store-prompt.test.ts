import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, ApiResult, FieldbootApi, ServingState } from '../../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../../shared/api/fieldboot-api';
import { createFieldbootStore } from '../../../../renderer/src/store/fieldboot-store';

const ok = <T>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });

/** A backend whose start waits on an administrator prompt until stopServing cancels it (as AppController does). */
function promptingApi() {
  const listeners = new Set<(p: ApiPush) => void>();
  const push = (p: ApiPush) => listeners.forEach((l) => l(p));
  let settleStart: ((s: ServingState) => void) | null = null;
  const calls: string[] = [];
  const starting: ServingState = {
    ...IDLE_STATE,
    phase: 'starting',
    interface: 'enp3s0',
    dhcpMode: 'proxy',
    prompt: { name: 'the system password prompt (pkexec)', until: '2026-11-26T05:03:00.000Z' },
  };
  const api = {
    listInterfaces: () => ok([{ name: 'enp3s0', mac: null, kind: 'ethernet' as const, linkUp: true, speedMbps: null, mtu: 1500, ipv4: [{ address: '10.77.0.1', prefix: 24 }] }]),
    getState: () => ok(IDLE_STATE),
    listImages: () => ok([]),
    subscribe: (l: (p: ApiPush) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    startServing: () => {
      calls.push('start');
      push({ type: 'state', state: starting });
      return new Promise<ApiResult<ServingState>>((resolve) => (settleStart = (s) => resolve({ ok: true, value: s })));
    },
    stopServing: () => {
      calls.push('stop');
      push({ type: 'state', state: IDLE_STATE });
      settleStart?.(IDLE_STATE);
      return ok(IDLE_STATE);
    },
  } as Partial<FieldbootApi> as FieldbootApi;
  return { api, calls };
}

test('cancelStart reaches the backend while the Start request is still in flight, and the app ends idle with no error', async () => {
  const { api, calls } = promptingApi();
  const store = createFieldbootStore(api);
  store.getState().connect();
  await new Promise((r) => setTimeout(r, 0));
  store.getState().selectInterface('enp3s0');
  const start = store.getState().startServing();
  assert.equal(store.getState().busy, true);
  assert.equal(store.getState().serving.prompt?.name, 'the system password prompt (pkexec)');
  // stopServing is held back while busy: that is why Cancel is its own action.
  await store.getState().stopServing();
  assert.deepEqual(calls, ['start']);
  await store.getState().cancelStart();
  assert.deepEqual(calls, ['start', 'stop']);
  await start;
  assert.equal(store.getState().serving.phase, 'idle');
  assert.equal(store.getState().busy, false);
  assert.equal(store.getState().actionError, null);
});

test('cancelStart does nothing unless a start waits on a prompt', async () => {
  const { api, calls } = promptingApi();
  const store = createFieldbootStore(api);
  store.getState().connect();
  await store.getState().cancelStart();
  assert.deepEqual(calls, []);
});
