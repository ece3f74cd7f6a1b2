import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, ApiResult, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../../shared/api/fieldboot-api';
import type { LinkEvent } from '../../../../shared/model/engine-event';
import { createFieldbootStore } from '../../../../renderer/src/store/fieldboot-store';

/** Only what connect() calls; the store's link state comes from pushes. */
function pushingApi() {
  const listeners = new Set<(p: ApiPush) => void>();
  const ok = <T>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });
  const api = {
    listInterfaces: () => ok([]),
    getState: () => ok(IDLE_STATE),
    listImages: () => ok([]),
    subscribe: (l: (p: ApiPush) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as Partial<FieldbootApi> as FieldbootApi;
  return { api, push: (p: ApiPush) => listeners.forEach((l) => l(p)) };
}

const link = (state: LinkEvent['state'], extra: Partial<LinkEvent> = {}): LinkEvent => ({
  type: 'link',
  time: '2026-11-26T01:00:05.000Z',
  interface: 'enx00e04c',
  state,
  since: '2026-11-26T01:00:05.000Z',
  detail: state === 'up' ? 'serving resumed' : 'no carrier (cable out or switch port off)',
  ...extra,
});

test('link events set the store link (and the log); ready and stopped clear it', () => {
  const { api, push } = pushingApi();
  const store = createFieldbootStore(api);
  store.getState().connect();
  assert.equal(store.getState().link, null);
  push({ type: 'event', event: link('down') });
  assert.equal(store.getState().link?.state, 'down');
  assert.equal(store.getState().events[0]?.event.type, 'link', 'the activity log shows it too');
  push({ type: 'event', event: { type: 'lease', time: '2026-11-26T01:00:06.000Z', action: 'ack', mac: '52:54:00:00:00:10', ip: '10.77.0.100' } });
  assert.equal(store.getState().link?.state, 'down', 'other events leave it alone');
  push({ type: 'event', event: link('up', { resumed: true }) });
  assert.equal(store.getState().link?.resumed, true);
  push({ type: 'event', event: { type: 'stopped', time: '2026-11-26T01:01:00.000Z', reason: 'stopped' } });
  assert.equal(store.getState().link, null, 'a stopped session has no link news');
  push({ type: 'event', event: link('gone') });
  push({ type: 'event', event: { type: 'ready', time: '2026-11-26T01:02:00.000Z', interface: 'enx00e04c', serverIp: '10.77.0.1', prefix: 24, dhcpMode: 'full', range: null, services: [] } });
  assert.equal(store.getState().link, null, 'a new session starts without the old one\'s link news');
});

test('a window opened during an outage learns of it from the serving state', () => {
  const { api, push } = pushingApi();
  const store = createFieldbootStore(api);
  store.getState().connect();
  push({ type: 'state', state: { ...IDLE_STATE, phase: 'serving', interface: 'enx00e04c', serverIp: '10.77.0.1', link: link('gone') } });
  assert.equal(store.getState().link?.state, 'gone');
});
