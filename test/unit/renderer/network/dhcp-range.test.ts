import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullRangeProblem } from '../../../../renderer/src/features/network/dhcp-range';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';

const nic = (address: string, prefix: number): NetworkInterfaceInfo => ({ name: 'enp3s0', mac: null, kind: 'ethernet', linkUp: true, speedMbps: null, mtu: 1500, ipv4: [{ address, prefix }] });
const POOL = '10.77.0.100-10.77.0.199';

test('an empty range field stands for the Settings pool: checked against the interface like a typed range', () => {
  assert.equal(fullRangeProblem('', POOL, nic('10.77.0.1', 24)), null, 'the pool fits');
  assert.equal(fullRangeProblem('', '', nic('192.168.1.5', 24)), null, 'no pool: automatic, always fits');
  assert.equal(
    fullRangeProblem('', POOL, nic('192.168.1.5', 24)),
    "The Settings screen's pool 10.77.0.100-10.77.0.199 does not fit here: it must be inside enp3s0's subnet (192.168.1.5/24). Type a range for this interface, or change the pool in Settings.",
  );
  assert.match(fullRangeProblem('', POOL, nic('10.77.0.150', 24)) ?? '', /pool 10\.77\.0\.100-10\.77\.0\.199 does not fit here: .*own address \(10\.77\.0\.150\)/);
});

test('a typed range is what counts, whatever the Settings pool', () => {
  assert.equal(fullRangeProblem('192.168.1.100-192.168.1.150', POOL, nic('192.168.1.5', 24)), null);
  assert.match(fullRangeProblem('10.0.0.1-10.0.0.9', POOL, nic('192.168.1.5', 24)) ?? '', /^The range must be inside enp3s0's subnet/);
});
