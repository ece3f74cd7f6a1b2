import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpJson } from '../../../../electron/engine/net/list-interfaces';

// Shape of `ip -j -d addr show` (iproute2 6.1), trimmed to the fields we read.
const sample = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 2, ifname: 'enp3s0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, link_type: 'ether', address: 'AA:BB:CC:00:11:22', addr_info: [] },
  { ifindex: 3, ifname: 'wlp2s0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, link_type: 'ether', address: 'aa:bb:cc:00:11:33', addr_info: [{ family: 'inet', local: '192.168.1.23', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifindex: 4, ifname: 'docker0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, link_type: 'ether', address: '02:42:ac:11:00:01', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16 }] },
  { ifindex: 5, ifname: 'br0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:01', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '192.168.77.1', prefixlen: 24 }] },
  { ifindex: 6, ifname: 'wg0', flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1420, link_type: 'none', linkinfo: { info_kind: 'wireguard' }, addr_info: [{ family: 'inet', local: '10.8.0.2', prefixlen: 32 }] },
  { ifindex: 7, ifname: 'eth9', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, link_type: 'ether', address: 'aa:bb:cc:00:11:44', addr_info: [] },
]);

const sysfs = (name: string) => ({
  hasWireless: name === 'wlp2s0',
  hasDevice: ['enp3s0', 'wlp2s0', 'eth9'].includes(name),
  speed: name === 'enp3s0' ? 1000 : null,
  carrier: name === 'enp3s0' ? false : name === 'eth9' ? null : true,
});

test('every interface is listed, down and unplugged ones included, with kind, link and IPv4', () => {
  const list = parseIpJson(sample, sysfs);
  const by = Object.fromEntries(list.map((i) => [i.name, i]));
  assert.deepEqual(Object.keys(by), ['lo', 'enp3s0', 'wlp2s0', 'docker0', 'br0', 'wg0', 'eth9']);
  assert.equal(by.lo?.kind, 'loopback');
  assert.equal(by.enp3s0?.kind, 'ethernet');
  assert.equal(by.enp3s0?.linkUp, false, 'no carrier');
  assert.equal(by.enp3s0?.speedMbps, 1000);
  assert.equal(by.enp3s0?.mac, 'aa:bb:cc:00:11:22');
  assert.deepEqual(by.enp3s0?.ipv4, []);
  assert.equal(by.wlp2s0?.kind, 'wifi');
  assert.deepEqual(by.wlp2s0?.ipv4, [{ address: '192.168.1.23', prefix: 24 }]);
  assert.equal(by.docker0?.kind, 'virtual');
  assert.equal(by.br0?.kind, 'bridge');
  assert.equal(by.br0?.linkUp, true);
  assert.equal(by.wg0?.kind, 'vpn');
  assert.equal(by.wg0?.mac, null);
  assert.equal(by.eth9?.linkUp, false, 'admin down');
});

test('garbage from ip is an error, not a crash later', () => {
  assert.throws(() => parseIpJson('{"not":"a list"}', sysfs));
  assert.throws(() => parseIpJson('nope', sysfs));
});
