import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_CHANNELS } from '../../../shared/api/fieldboot-api';
import { API_HANDLERS, dispatchApiCall, isApiChannel, parseStartRequest } from '../../../electron/engine-host/api-dispatch';
import { createFakeBackend } from '../../helpers/fake-backend';

test('every channel of the contract has a handler, and nothing else does', () => {
  assert.deepEqual(Object.keys(API_HANDLERS).sort(), [...API_CHANNELS].sort());
  for (const c of API_CHANNELS) assert.ok(isApiChannel(c));
  assert.equal(isApiChannel('toString'), false);
  assert.equal(isApiChannel('__proto__'), false);
});

test('parseStartRequest keeps valid fields and drops an empty range', () => {
  assert.deepEqual(parseStartRequest({ interface: 'br0', dhcpMode: 'full', range: '10.0.0.10-10.0.0.20' }), {
    interface: 'br0',
    dhcpMode: 'full',
    range: '10.0.0.10-10.0.0.20',
  });
  assert.deepEqual(parseStartRequest({ interface: 'eth1', dhcpMode: 'proxy', range: '' }), { interface: 'eth1', dhcpMode: 'proxy' });
  assert.deepEqual(parseStartRequest({ interface: 'eth1', dhcpMode: 'off', isos: ['/a.iso'], allow: ['52:54:00:00:00:01'], root: '/srv/tftp' }), {
    interface: 'eth1',
    dhcpMode: 'off',
    isos: ['/a.iso'],
    allow: ['52:54:00:00:00:01'],
    root: '/srv/tftp',
  });
});

test('parseStartRequest refuses malformed requests with bad-option', () => {
  const bad: unknown[] = [
    null,
    'br0',
    [],
    {},
    { interface: 'br0' },
    { interface: '', dhcpMode: 'full' },
    { interface: 7, dhcpMode: 'full' },
    { interface: 'br0', dhcpMode: 'rogue' },
    { interface: 'br0', dhcpMode: 'full', range: 5 },
    { interface: 'br0', dhcpMode: 'full', isos: '/a.iso' },
    { interface: 'br0', dhcpMode: 'full', isos: [1] },
    { interface: 'br0', dhcpMode: 'full', allow: new Array(65).fill('52:54:00:00:00:01') },
    { interface: 'x'.repeat(257), dhcpMode: 'full' },
    { interface: 'br0', dhcpMode: 'full', stateDir: '/etc' },
  ];
  for (const raw of bad) {
    assert.throws(() => parseStartRequest(raw), (err: Error & { code?: string }) => err.code === 'bad-option', JSON.stringify(raw));
  }
});

test('dispatchApiCall never throws: backend errors and bad arguments become ApiResult errors', async () => {
  const backend = createFakeBackend({ transitionMs: 1 });
  assert.deepEqual(await dispatchApiCall(backend, 'serving:state', undefined), { ok: true, value: backend.getState() });
  const withArgs = await dispatchApiCall(backend, 'serving:state', { please: true });
  assert.equal(!withArgs.ok && withArgs.error.code, 'bad-option');
  const notServing = await dispatchApiCall(backend, 'serving:stop', {});
  assert.equal(!notServing.ok && notServing.error.code, 'not-serving');
  const noSuch = await dispatchApiCall(backend, 'serving:start', { interface: 'eth9', dhcpMode: 'off' });
  assert.equal(!noSuch.ok && noSuch.error.code, 'no-such-interface');
  const started = await dispatchApiCall(backend, 'serving:start', { interface: 'br0', dhcpMode: 'off' });
  assert.ok(started.ok && started.value.phase === 'serving');
  const boom = await dispatchApiCall(
    { ...backend, listInterfaces: () => Promise.reject(new Error('ip: command not found')) },
    'interfaces:list',
    undefined,
  );
  assert.deepEqual(boom.ok ? null : [boom.error.code, boom.error.message], ['internal', 'ip: command not found']);
});
