import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4, parseIpv4 } from '../../../shared/net/ipv4';
import { LeasePool, type PoolConfig } from '../../../electron/engine/servers/dhcp-lease-pool';

const ip = (s: string) => parseIpv4(s)!;
const cfg = (first: string, last: string, extra: Partial<PoolConfig> = {}): PoolConfig => ({
  range: { first: ip(first), last: ip(last) },
  serverIp: ip('10.0.0.1'),
  prefix: 24,
  reservations: [],
  ...extra,
});
const A = { mac: '52:54:00:00:00:0a' };
const B = { mac: '52:54:00:00:00:0b' };
const C = { mac: '52:54:00:00:00:0c' };
const HOLD = 60_000;
const LEASE = 3_600_000;

test('offers skip the server, network and broadcast addresses and excluded ones', () => {
  const pool = new LeasePool(cfg('10.0.0.0', '10.0.0.3', { excluded: [ip('10.0.0.2')] }));
  assert.equal(formatIpv4(pool.offer(A, undefined, 0, HOLD)!.ip), '10.0.0.3');
  assert.equal(pool.offer(B, undefined, 0, HOLD), null);
});

test('an offer holds the address until it expires; then it can go to someone else', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.10'));
  assert.ok(pool.offer(A, undefined, 0, HOLD));
  assert.equal(pool.offer(B, undefined, 1000, HOLD), null);
  assert.equal(formatIpv4(pool.offer(B, undefined, HOLD + 1, HOLD)!.ip), '10.0.0.10');
});

test('a bound lease stays bound when its client DISCOVERs again, and expires for others only after the lease', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.10'));
  pool.bind(A, ip('10.0.0.10'), 0, LEASE);
  const again = pool.offer(A, undefined, 5000, HOLD)!;
  assert.equal(again.state, 'bound');
  assert.equal(again.expiresAt, LEASE);
  assert.equal(pool.offer(B, undefined, LEASE - 1, HOLD), null);
  assert.ok(pool.offer(B, undefined, LEASE + 1, HOLD));
});

test('a returning client gets its previous (released) address before never-used ones are exhausted by others', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.12'));
  pool.bind(A, ip('10.0.0.10'), 0, LEASE);
  pool.release(A, ip('10.0.0.10'), 10);
  assert.equal(formatIpv4(pool.offer(B, undefined, 20, HOLD)!.ip), '10.0.0.11', 'B gets a never-used address');
  assert.equal(formatIpv4(pool.offer(A, undefined, 30, HOLD)!.ip), '10.0.0.10', 'A gets its old one back');
});

test('when every address has been used, the longest-free one is reused', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.11'));
  pool.bind(A, ip('10.0.0.10'), 0, 100);
  pool.bind(B, ip('10.0.0.11'), 0, 50);
  assert.equal(formatIpv4(pool.offer(C, undefined, 200, HOLD)!.ip), '10.0.0.11');
});

test('reservations: only their MAC gets them, and that MAC gets nothing else', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.11', { reservations: [{ mac: C.mac, ip: ip('10.0.0.50') }] }));
  assert.equal(pool.availableFor(A, ip('10.0.0.50'), 0), false);
  assert.equal(pool.availableFor(C, ip('10.0.0.50'), 0), true);
  assert.equal(pool.availableFor(C, ip('10.0.0.10'), 0), false);
  assert.equal(formatIpv4(pool.offer(C, undefined, 0, HOLD)!.ip), '10.0.0.50');
});

test('decline quarantines the address for everyone, then returns it', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.10'));
  pool.bind(A, ip('10.0.0.10'), 0, LEASE);
  assert.ok(pool.decline(A, ip('10.0.0.10'), 10, 1000));
  assert.equal(pool.offer(A, undefined, 20, HOLD), null);
  assert.equal(pool.offer(B, undefined, 500, HOLD), null);
  assert.ok(pool.offer(B, undefined, 1011, HOLD));
  // B cannot decline A's bound address.
  const p2 = new LeasePool(cfg('10.0.0.10', '10.0.0.10'));
  p2.bind(A, ip('10.0.0.10'), 0, LEASE);
  assert.equal(p2.decline(B, ip('10.0.0.10'), 10, 1000), undefined);
});

test('only the holder can release', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.10'));
  pool.bind(A, ip('10.0.0.10'), 0, LEASE);
  assert.equal(pool.release(B, ip('10.0.0.10'), 5), undefined);
  assert.equal(pool.offer(B, undefined, 6, HOLD), null);
});

test('records round-trip through the constructor (restart)', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.20'));
  pool.bind({ ...A, clientId: '01aa', hostname: 'a' }, ip('10.0.0.15'), 0, LEASE);
  const restored = new LeasePool(cfg('10.0.0.10', '10.0.0.20'), pool.records());
  assert.equal(formatIpv4(restored.find({ mac: A.mac, clientId: '01aa' })!.ip), '10.0.0.15');
  assert.equal(formatIpv4(restored.offer(A, undefined, 10, HOLD)!.ip), '10.0.0.15', 'found by MAC without the client id too');
  // A narrower range on the next start forgets leases outside it.
  const narrowed = new LeasePool(cfg('10.0.0.10', '10.0.0.12'), pool.records());
  assert.equal(narrowed.find(A), undefined);
  assert.deepEqual(narrowed.records(), []);
});

test('10,000 clients allocate in well under a second', () => {
  const pool = new LeasePool(cfg('10.0.0.2', '10.0.0.254', { prefix: 16, serverIp: ip('10.0.0.1'), range: { first: ip('10.0.1.0'), last: ip('10.0.255.0') } }));
  const t0 = Date.now();
  for (let i = 0; i < 10_000; i++) assert.ok(pool.offer({ mac: `m${i}` }, undefined, 0, HOLD));
  assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
});

test('takeChanges reports each changed address once (its lease now, or removed), then nothing until the next change', () => {
  const pool = new LeasePool(cfg('10.0.0.10', '10.0.0.20'));
  const a = pool.offer(A, undefined, 0, HOLD)!;
  pool.bind(A, a.ip, 0, LEASE);
  pool.offer(B, undefined, 0, HOLD);
  const first = pool.takeChanges();
  assert.deepEqual(first.changed.map((r) => `${r.ip} ${r.mac} ${r.state}`).sort(), ['10.0.0.10 52:54:00:00:00:0a bound', '10.0.0.11 52:54:00:00:00:0b offered']);
  assert.deepEqual(first.removed, []);
  assert.deepEqual(pool.takeChanges(), { changed: [], removed: [] });
  // In-place changes count too: RELEASE, a withdrawn offer.
  pool.release(A, a.ip, 10);
  pool.cancelOffer(B, 10);
  assert.deepEqual(pool.takeChanges().changed.map((r) => `${r.ip} ${r.state}`).sort(), ['10.0.0.10 released', '10.0.0.11 released']);
  // A client moving to its requested address frees the old one: the old address is reported as removed.
  pool.offer(C, undefined, 20, HOLD); // 10.0.0.12
  pool.takeChanges();
  pool.bind(C, ip('10.0.0.15'), 30, LEASE);
  const moved = pool.takeChanges();
  assert.deepEqual(moved.changed.map((r) => r.ip), ['10.0.0.15']);
  assert.deepEqual(moved.removed, ['10.0.0.12']);
});
