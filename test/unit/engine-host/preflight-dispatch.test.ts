/** The preflight:run channel and StartRequest.assignAddress through the one dispatch table both transports use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatchApiCall, parsePreflightRequest, parseStartRequest } from '../../../electron/engine-host/api-dispatch';
import { createFakeBackend, FAKE_INTERFACES } from '../../helpers/fake-backend';

test('preflight:run: checked request in, a report with one line per needed port out', async () => {
  const backend = createFakeBackend({ transitionMs: 1 });
  try {
    const r = await dispatchApiCall(backend, 'preflight:run', { interface: 'br0', dhcpMode: 'full' });
    assert.ok(r.ok);
    assert.deepEqual(r.value.checks.map((c) => c.id), ['port-udp-67', 'port-udp-69', 'port-tcp-80', 'port-tcp-21', 'privileges', 'firewall']);
    assert.equal(r.value.serverIp, '192.168.77.1');
    for (const bad of [null, { interface: 'br0' }, { interface: 'br0', dhcpMode: 'full', extra: 1 }, { interface: '', dhcpMode: 'off' }, { interface: 'br0', dhcpMode: 'off', assignAddress: 7 }]) {
      const refused = await dispatchApiCall(backend, 'preflight:run', bad);
      assert.equal(!refused.ok && refused.error.code, 'bad-option', JSON.stringify(bad));
    }
    assert.deepEqual(parsePreflightRequest({ interface: 'enp3s0', dhcpMode: 'off', assignAddress: '' }), { interface: 'enp3s0', dhcpMode: 'off' });
  } finally {
    await backend.dispose();
  }
});

test('serving:start carries assignAddress; a bare interface serves on it and the state says so', async () => {
  assert.deepEqual(parseStartRequest({ interface: 'enp3s0', dhcpMode: 'off', assignAddress: '10.77.0.1/24' }), { interface: 'enp3s0', dhcpMode: 'off', assignAddress: '10.77.0.1/24' });
  const bare = FAKE_INTERFACES.map((i) => (i.name === 'enp3s0' ? { ...i, linkUp: true } : i));
  const backend = createFakeBackend({ transitionMs: 1, interfaces: bare });
  try {
    const r = await dispatchApiCall(backend, 'serving:start', { interface: 'enp3s0', dhcpMode: 'off', assignAddress: '10.77.0.1/24' });
    assert.ok(r.ok);
    assert.equal(r.value.serverIp, '10.77.0.1');
    assert.equal(r.value.assignedAddress, '10.77.0.1/24');
    await dispatchApiCall(backend, 'serving:stop', undefined);
    // 10.20.30.41/24 is the Wi-Fi's subnet: refused, naming it.
    const clash = await dispatchApiCall(backend, 'serving:start', { interface: 'enp3s0', dhcpMode: 'off', assignAddress: '10.20.30.1/24' });
    assert.ok(!clash.ok && /overlaps wlp2s0/.test(clash.error.message));
  } finally {
    await backend.dispose();
  }
});
