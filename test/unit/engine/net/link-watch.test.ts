import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ABSENT,
  diffLink,
  linkStateOf,
  LinkWatcher,
  parseIpAddrJson,
  snapshotFromOs,
  snapshotFromSysfs,
  type LinkChange,
  type LinkSnapshot,
} from '../../../../electron/engine/net/link-watch';

// Captured from iproute2 6.1 (`ip -j addr show dev v0`) on a veth pair in a namespace, in three states.
const SET_DOWN =
  '[{"ifindex":3,"link":"v1","ifname":"v0","flags":["BROADCAST","MULTICAST","M-DOWN"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":1000,"link_type":"ether","address":"f2:3c:a7:3e:09:59","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.9.0.1","prefixlen":24,"scope":"global","label":"v0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';
const UP =
  '[{"ifindex":3,"link":"v1","ifname":"v0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"f2:3c:a7:3e:09:59","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.9.0.1","prefixlen":24,"scope":"global","label":"v0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::f03c:a7ff:fe3e:959","prefixlen":64,"scope":"link","tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';
const NO_CARRIER =
  '[{"ifindex":3,"link":"v1","ifname":"v0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP","M-DOWN"],"mtu":1500,"qdisc":"noqueue","operstate":"LOWERLAYERDOWN","group":"default","txqlen":1000,"link_type":"ether","address":"f2:3c:a7:3e:09:59","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.9.0.1","prefixlen":24,"scope":"global","label":"v0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

/** Keeps the test's event loop busy while waiting on callbacks (belt and braces: the watcher's timer is ref'd). */
async function holdingLoop<T>(fn: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000);
  try {
    return await fn();
  } finally {
    clearInterval(hold);
  }
}

const snap = (o: Partial<LinkSnapshot>): LinkSnapshot => ({ present: true, ifindex: 3, adminUp: true, carrier: true, ipv4: ['10.9.0.1/24'], ...o });

test('ip -j addr: set down, up, no carrier', () => {
  assert.deepEqual(parseIpAddrJson(SET_DOWN, 'v0'), { present: true, ifindex: 3, adminUp: false, carrier: false, ipv4: ['10.9.0.1/24'] });
  assert.deepEqual(parseIpAddrJson(UP, 'v0'), { present: true, ifindex: 3, adminUp: true, carrier: true, ipv4: ['10.9.0.1/24'] });
  assert.deepEqual(parseIpAddrJson(NO_CARRIER, 'v0'), { present: true, ifindex: 3, adminUp: true, carrier: false, ipv4: ['10.9.0.1/24'] });
});

test('ip -j addr: another name or an empty list is absent; non-JSON throws', () => {
  assert.deepEqual(parseIpAddrJson(UP, 'v1'), ABSENT);
  assert.deepEqual(parseIpAddrJson('[]', 'v0'), ABSENT);
  assert.throws(() => parseIpAddrJson('Device "v0" does not exist.', 'v0'));
  assert.throws(() => parseIpAddrJson('{}', 'v0'), /not return a list/);
});

test('os.networkInterfaces(): listed is up with its IPv4, unlisted is absent', () => {
  const list = {
    en0: [
      { address: '10.77.0.1', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:11:22:33:44:55', internal: false, cidr: '10.77.0.1/24' },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '00:11:22:33:44:55', internal: false, cidr: 'fe80::1/64', scopeid: 4 },
    ],
  };
  assert.deepEqual(snapshotFromOs('en0', list), { present: true, ifindex: null, adminUp: true, carrier: true, ipv4: ['10.77.0.1/24'] });
  assert.deepEqual(snapshotFromOs('en1', list), ABSENT);
});

test('sysfs + OS list: used only while up with carrier and listed; otherwise null (ask ip)', () => {
  const list = { v0: [{ address: '10.9.0.1', netmask: '255.255.255.0', family: 'IPv4' as const, mac: 'f2:3c:a7:3e:09:59', internal: false, cidr: '10.9.0.1/24' }] };
  // Values as read from /sys/class/net/v0 in the three states of the captures above.
  assert.deepEqual(snapshotFromSysfs('v0', { ifindex: '3', flags: '0x1003', carrier: '1' }, list), { present: true, ifindex: 3, adminUp: true, carrier: true, ipv4: ['10.9.0.1/24'] });
  assert.equal(snapshotFromSysfs('v0', { ifindex: '3', flags: '0x1003', carrier: '0' }, {}), null, 'no carrier: libuv hides the addresses');
  assert.equal(snapshotFromSysfs('v0', { ifindex: '3', flags: '0x1002', carrier: null }, {}), null, 'set down (carrier unreadable)');
  assert.equal(snapshotFromSysfs('v0', { ifindex: '3', flags: '0x1003', carrier: '1' }, {}), null, 'up but not yet listed');
  assert.deepEqual(snapshotFromSysfs('v0', { ifindex: null, flags: null, carrier: null }, list), ABSENT);
  assert.equal(snapshotFromSysfs('v0', { ifindex: '3', flags: 'junk', carrier: '1' }, list), null);
});

test('diff: carrier lost and back, set down, addresses', () => {
  assert.deepEqual(diffLink(snap({}), snap({})), []);
  assert.deepEqual(diffLink(snap({}), snap({ carrier: false })), [{ kind: 'carrier', up: false }]);
  assert.deepEqual(diffLink(snap({ carrier: false }), snap({})), [{ kind: 'carrier', up: true }]);
  assert.deepEqual(diffLink(snap({}), snap({ adminUp: false, carrier: false })), [
    { kind: 'admin', up: false },
    { kind: 'carrier', up: false },
  ]);
  assert.deepEqual(diffLink(snap({}), snap({ ipv4: [] })), [{ kind: 'address', cidr: '10.9.0.1/24', present: false }]);
  assert.deepEqual(diffLink(snap({ ipv4: [] }), snap({ ipv4: ['10.9.0.2/24'] })), [{ kind: 'address', cidr: '10.9.0.2/24', present: true }]);
});

test('diff: gone, back bare and down, and a replug faster than one poll (new ifindex)', () => {
  assert.deepEqual(diffLink(snap({}), ABSENT), [{ kind: 'gone' }]);
  assert.deepEqual(diffLink(ABSENT, ABSENT), []);
  // A USB NIC comes back as a new device: set down, no address (compared with nothing, not with before).
  assert.deepEqual(diffLink(ABSENT, snap({ ifindex: 9, adminUp: false, carrier: false, ipv4: [] })), [{ kind: 'back' }]);
  assert.deepEqual(diffLink(ABSENT, snap({ ifindex: 9 })), [
    { kind: 'back' },
    { kind: 'admin', up: true },
    { kind: 'carrier', up: true },
    { kind: 'address', cidr: '10.9.0.1/24', present: true },
  ]);
  // Unplugged and replugged between two polls: the name is the same, the ifindex is not.
  assert.deepEqual(diffLink(snap({}), snap({ ifindex: 9, ipv4: [] })), [
    { kind: 'replaced', from: 3, to: 9 },
    { kind: 'admin', up: true },
    { kind: 'carrier', up: true },
  ]);
  // Unknown ifindex (the OS list): no replacement claimed.
  assert.deepEqual(diffLink(snap({ ifindex: null }), snap({ ifindex: null })), []);
});

test('state: gone, set down, no carrier, address missing, up; the address must be the server address', () => {
  assert.equal(linkStateOf(ABSENT, '10.9.0.1').state, 'gone');
  assert.deepEqual(linkStateOf(snap({ adminUp: false, carrier: false }), '10.9.0.1'), { state: 'down', detail: 'interface set down' });
  assert.match(linkStateOf(snap({ carrier: false }), '10.9.0.1').detail, /no carrier/);
  assert.deepEqual(linkStateOf(snap({ ipv4: ['10.9.0.11/24'] }), '10.9.0.1'), { state: 'down', detail: 'address 10.9.0.1 missing' });
  assert.deepEqual(linkStateOf(snap({}), '10.9.0.1'), { state: 'up', detail: 'link up' });
});

test('watcher: reports each probe with its changes, in order, and stop() waits for a reaction in progress', async () => {
  const script: LinkSnapshot[] = [snap({}), snap({ carrier: false }), snap({ carrier: false }), ABSENT, snap({ ifindex: 7, ipv4: [] }), snap({ ifindex: 7 })];
  let i = 0;
  const seen: LinkChange[][] = [];
  let reacting = false;
  let overlapped = false;
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const w = new LinkWatcher({
    interfaceName: 'v0',
    intervalMs: 5,
    probe: () => Promise.resolve(script[Math.min(i++, script.length - 1)]!),
    onSnapshot: async (_s, changes) => {
      if (reacting) overlapped = true;
      reacting = true;
      seen.push(changes);
      await new Promise((r) => setTimeout(r, 10));
      reacting = false;
      if (seen.length === script.length - 1) finished();
    },
  });
  const first = await w.start();
  assert.deepEqual(first, script[0]);
  await holdingLoop(() => done);
  await w.stop();
  assert.equal(overlapped, false, 'a reaction never overlaps the next probe');
  assert.deepEqual(seen, [
    [{ kind: 'carrier', up: false }],
    [],
    [{ kind: 'gone' }],
    [{ kind: 'back' }, { kind: 'admin', up: true }, { kind: 'carrier', up: true }],
    [{ kind: 'address', cidr: '10.9.0.1/24', present: true }],
  ]);
  const after = i;
  await holdingLoop(() => new Promise((r) => setTimeout(r, 30)));
  assert.equal(i, after, 'no probe after stop()');
});

test('watcher: a failing probe is reported and the watch goes on', async () => {
  let calls = 0;
  const errors: string[] = [];
  const got: LinkSnapshot[] = [];
  const w = new LinkWatcher({
    interfaceName: 'v0',
    intervalMs: 5,
    probe: () => {
      calls++;
      return calls === 2 ? Promise.reject(new Error('ip timed out')) : Promise.resolve(snap({}));
    },
    onSnapshot: (s) => {
      got.push(s);
    },
    onError: (e) => errors.push(e.message),
  });
  await w.start();
  await holdingLoop(async () => {
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
  });
  await w.stop();
  assert.deepEqual(errors, ['ip timed out']);
});
