import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, ApiResult, FieldbootApi, ServingState, StartRequest } from '../../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../../shared/api/fieldboot-api';
import { errorInfo } from '../../../../shared/errors';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { createFieldbootStore, defaultInterface, isLoggable, MAX_EVENTS } from '../../../../renderer/src/store/fieldboot-store';
import { FAKE_INTERFACES } from '../../../helpers/fake-backend';
import { unscriptedProfileApi } from '../../../helpers/profile-api-stub';
import { unscriptedBmcApi } from '../../../helpers/bmc-api-stub';
import { unscriptedClientsApi } from '../../../helpers/clients-api-stub';

/** A FieldbootApi whose answers the test scripts, recording the calls. */
function scriptedApi(overrides: Partial<FieldbootApi> = {}) {
  const listeners = new Set<(p: ApiPush) => void>();
  const starts: StartRequest[] = [];
  const ok = <T>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });
  const api: FieldbootApi = {
    listInterfaces: () => ok(FAKE_INTERFACES),
    getState: () => ok(IDLE_STATE),
    startServing: (r) => {
      starts.push(r);
      return ok<ServingState>({ ...IDLE_STATE, phase: 'serving', interface: r.interface, dhcpMode: r.dhcpMode, serverIp: '192.168.77.1' });
    },
    stopServing: () => ok(IDLE_STATE),
    listImages: () => ok([]),
    addImage: () => Promise.resolve({ ok: false, error: errorInfo('iso-unreadable', 'not scripted') }),
    removeImage: () => Promise.resolve({ ok: false, error: errorInfo('bad-option', 'not scripted') }),
    ...unscriptedProfileApi(),
    ...unscriptedBmcApi(),
    ...unscriptedClientsApi(),
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    ...overrides,
  };
  return { api, starts, push: (p: ApiPush) => listeners.forEach((l) => l(p)), listeners };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test('defaultInterface prefers a wired NIC that is up with an address, never loopback', () => {
  assert.equal(defaultInterface(FAKE_INTERFACES), 'br0');
  const lo = FAKE_INTERFACES.filter((i) => i.kind === 'loopback');
  assert.equal(defaultInterface(lo), null);
  const down: NetworkInterfaceInfo[] = FAKE_INTERFACES.filter((i) => i.name === 'enp3s0' || i.name === 'lo');
  assert.equal(defaultInterface(down), 'enp3s0', 'a bare rack NIC without link is still the best guess');
});

test('connect loads interfaces, picks one, and follows pushes', async () => {
  const s = scriptedApi();
  const store = createFieldbootStore(s.api);
  const disconnect = store.getState().connect();
  await tick();
  assert.equal(store.getState().interfacesStatus, 'ready');
  assert.equal(store.getState().selectedInterface, 'br0');
  s.push({ type: 'state', state: { ...IDLE_STATE, phase: 'serving', interface: 'wlp2s0', dhcpMode: 'full', range: '10.20.30.100-10.20.30.120' } });
  const st = store.getState();
  assert.equal(st.serving.phase, 'serving');
  assert.deepEqual([st.selectedInterface, st.dhcpMode, st.range], ['wlp2s0', 'full', '10.20.30.100-10.20.30.120'], 'the form shows what is served');
  st.selectInterface('br0');
  assert.equal(store.getState().selectedInterface, 'wlp2s0', 'no changing the interface while serving');
  disconnect();
  assert.equal(s.listeners.size, 0);
});

test('events: loggable ones kept newest first, progress and debug chatter dropped, capped', async () => {
  const s = scriptedApi();
  const store = createFieldbootStore(s.api);
  store.getState().connect();
  const time = new Date().toISOString();
  s.push({ type: 'event', event: { type: 'file', time, protocol: 'tftp', action: 'progress', client: '1.2.3.4', path: 'a', bytes: 5 } });
  s.push({ type: 'event', event: { type: 'log', time, level: 'debug', subsystem: 'DHCP', message: 'raw packet' } });
  assert.equal(store.getState().events.length, 0);
  for (let i = 0; i < MAX_EVENTS + 5; i++) {
    s.push({ type: 'event', event: { type: 'lease', time, action: 'ack', mac: '52:54:00:00:00:01', ip: `10.0.${i >> 8}.${i & 255}` } });
  }
  const events = store.getState().events;
  assert.equal(events.length, MAX_EVENTS);
  const newest = events[0]?.event;
  assert.equal(newest?.type === 'lease' && newest.ip, `10.0.0.${MAX_EVENTS + 4}`);
  assert.ok(isLoggable({ type: 'log', time, level: 'warn', subsystem: 'TFTP', message: 'slow client' }));
});

test('start sends the form (range only in full mode); a refused start shows its error', async () => {
  const s = scriptedApi();
  const store = createFieldbootStore(s.api);
  store.getState().connect();
  await tick();
  store.getState().setDhcpMode('off');
  store.getState().setRange('192.168.77.100-192.168.77.110');
  await store.getState().startServing();
  assert.deepEqual(s.starts[0], { interface: 'br0', dhcpMode: 'off' });
  assert.equal(store.getState().serving.phase, 'serving');
  await store.getState().stopServing();
  store.getState().setDhcpMode('full');
  await store.getState().startServing();
  assert.deepEqual(s.starts[1], { interface: 'br0', dhcpMode: 'full', range: '192.168.77.100-192.168.77.110' });

  const refused = errorInfo('port-in-use', 'port 69 is in use');
  const failing = scriptedApi({ startServing: () => Promise.resolve({ ok: false, error: refused }) });
  const store2 = createFieldbootStore(failing.api);
  store2.getState().connect();
  await tick();
  await store2.getState().startServing();
  assert.deepEqual(store2.getState().actionError, refused);
  assert.equal(store2.getState().busy, false);
  assert.equal(store2.getState().serving.phase, 'idle', 'the state is never guessed: it stays what the backend says');
});
