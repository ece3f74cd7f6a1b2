import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressCommand, assignAddress, checkAssignable, cidrProblem, removeAddress } from '../../../../electron/engine/net/interface-address';
import { FieldbootError } from '../../../../shared/errors';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';

const nic = (name: string, ipv4: { address: string; prefix: number }[] = []): NetworkInterfaceInfo => ({ name, mac: null, kind: 'ethernet', linkUp: true, speedMbps: null, mtu: 1500, ipv4 });
const machine = [nic('lo', [{ address: '127.0.0.1', prefix: 8 }]), nic('wlan0', [{ address: '10.77.5.20', prefix: 16 }]), nic('eth1'), nic('eth2', [{ address: '192.168.1.9', prefix: 24 }])];

test('CIDR shape: prefix, host address, not loopback/multicast/network/broadcast', () => {
  assert.equal(cidrProblem('10.77.0.1/24'), null);
  assert.equal(cidrProblem(' 172.16.5.1/30 '), null);
  for (const bad of ['10.77.0.1', '10.77.0.1/33', '10.77.0.256/24', 'ten/24', '10.77.0.1/4', '10.77.0.1/31', '127.0.0.2/24', '224.0.0.1/24', '0.1.2.3/24', '10.77.0.0/24', '10.77.0.255/24']) {
    assert.notEqual(cidrProblem(bad), null, bad);
  }
  assert.match(cidrProblem('10.77.0.0/24') ?? '', /network address .* such as 10\.77\.0\.1/);
});

test('an address whose subnet overlaps another interface is refused, naming it', () => {
  assert.deepEqual(checkAssignable('eth1', '10.99.0.1/24', machine), { address: '10.99.0.1', prefix: 24 });
  // 10.77.0.1/24 sits inside wlan0's 10.77.0.0/16: the default collides here and the error says where.
  assert.throws(() => checkAssignable('eth1', '10.77.0.1/24', machine), (e: FieldbootError) => e.code === 'bad-option' && /overlaps wlan0's subnet 10\.77\.0\.0\/16 \(10\.77\.5\.20\)/.test(e.message));
  assert.throws(() => checkAssignable('eth1', '192.168.0.1/16', machine), /overlaps eth2/);
  assert.throws(() => checkAssignable('eth9', '10.99.0.1/24', machine), (e: FieldbootError) => e.code === 'no-such-interface');
  assert.throws(() => checkAssignable('eth1', '10.99.0.1', machine), /not an address with a prefix length/);
});

test('the OS commands (Linux tested in the lab; Windows and macOS untested)', () => {
  const a = { address: '10.77.0.1', prefix: 24 };
  assert.deepEqual(addressCommand('linux', 'add', 'br0', a), { command: 'ip', args: ['addr', 'add', '10.77.0.1/24', 'brd', '+', 'dev', 'br0'] });
  assert.deepEqual(addressCommand('linux', 'del', 'br0', a), { command: 'ip', args: ['addr', 'del', '10.77.0.1/24', 'dev', 'br0'] });
  assert.deepEqual(addressCommand('win32', 'add', 'Ethernet 2', a).args, ['interface', 'ipv4', 'add', 'address', 'name=Ethernet 2', 'address=10.77.0.1', 'mask=255.255.255.0', 'store=active']);
  assert.deepEqual(addressCommand('darwin', 'del', 'en5', a), { command: 'ifconfig', args: ['en5', '-alias', '10.77.0.1'] });
});

test('assign runs the command after validating; a refusal by the OS becomes no-privilege', async () => {
  const ran: string[][] = [];
  const run = async (command: string, args: string[]) => void ran.push([command, ...args]);
  const got = await assignAddress('eth1', '10.88.0.1/24', { interfaces: machine, platform: 'linux', run });
  assert.deepEqual(got, { interface: 'eth1', cidr: '10.88.0.1/24', address: { address: '10.88.0.1', prefix: 24 } });
  await removeAddress('eth1', got.cidr, { platform: 'linux', run });
  assert.deepEqual(ran, [['ip', 'addr', 'add', '10.88.0.1/24', 'brd', '+', 'dev', 'eth1'], ['ip', 'addr', 'del', '10.88.0.1/24', 'dev', 'eth1']]);

  await assert.rejects(assignAddress('eth1', '10.77.0.1/24', { interfaces: machine, platform: 'linux', run: async () => assert.fail('must not run') }), /overlaps wlan0/);
  const denied = Object.assign(new Error('Command failed'), { stderr: 'RTNETLINK answers: Operation not permitted\n' });
  await assert.rejects(
    assignAddress('eth1', '10.88.0.1/24', { interfaces: machine, platform: 'linux', run: async () => Promise.reject(denied) }),
    (e: FieldbootError) => e.code === 'no-privilege' && /Operation not permitted/.test(e.message),
  );
});
