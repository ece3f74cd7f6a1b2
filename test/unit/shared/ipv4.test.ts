import assert from 'node:assert/strict';
import { test } from 'node:test';
import { broadcastOf, defaultRange, formatIpv4, maskToPrefix, networkOf, normalizeMac, parseIpv4, parseRange, prefixToMask, rangeSize } from '../../../shared/net/ipv4';

test('parse and format IPv4 round trip', () => {
  for (const text of ['0.0.0.0', '10.77.0.1', '192.168.77.255', '255.255.255.255']) {
    const n = parseIpv4(text);
    assert.notEqual(n, null);
    assert.equal(formatIpv4(n!), text);
  }
});

test('malformed IPv4 is refused', () => {
  for (const text of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', 'a.b.c.d', '1.2.3.-4', '1..2.3']) assert.equal(parseIpv4(text), null, text);
});

test('masks, networks and broadcasts', () => {
  assert.equal(formatIpv4(prefixToMask(24)), '255.255.255.0');
  assert.equal(formatIpv4(prefixToMask(0)), '0.0.0.0');
  assert.equal(maskToPrefix(parseIpv4('255.255.240.0')!), 20);
  assert.equal(formatIpv4(networkOf(parseIpv4('10.77.3.9')!, 16)), '10.77.0.0');
  assert.equal(formatIpv4(broadcastOf(parseIpv4('10.77.3.9')!, 16)), '10.77.255.255');
});

test('ranges parse FIRST-LAST and refuse reversed ones', () => {
  const r = parseRange('192.168.77.100-192.168.77.150')!;
  assert.equal(rangeSize(r), 51);
  assert.equal(parseRange('192.168.77.150-192.168.77.100'), null);
  assert.equal(parseRange('192.168.77.150'), null);
});

test('default range stays inside the subnet and excludes the server, network and broadcast', () => {
  for (const [ip, prefix] of [['192.168.77.1', 24], ['10.77.0.1', 24], ['10.77.0.200', 16], ['172.16.5.254', 24], ['10.0.0.1', 30]] as const) {
    const server = parseIpv4(ip)!;
    const r = defaultRange(server, prefix);
    assert.ok(rangeSize(r) > 0, `${ip}/${prefix} has a pool`);
    assert.ok(r.first > networkOf(server, prefix), `${ip}/${prefix} first above network`);
    assert.ok(r.last < broadcastOf(server, prefix), `${ip}/${prefix} last below broadcast`);
    assert.ok(server < r.first || server > r.last, `${ip}/${prefix}: server ${ip} not in ${formatIpv4(r.first)}-${formatIpv4(r.last)}`);
    assert.ok(rangeSize(r) <= 254);
  }
});

test('MAC normalisation accepts common spellings only', () => {
  assert.equal(normalizeMac('52:54:00:AB:CD:EF'), '52:54:00:ab:cd:ef');
  assert.equal(normalizeMac('52-54-00-ab-cd-ef'), '52:54:00:ab:cd:ef');
  assert.equal(normalizeMac('5254.00ab.cdef'), '52:54:00:ab:cd:ef');
  assert.equal(normalizeMac('52:54:00:ab:cd'), null);
  assert.equal(normalizeMac('zz:54:00:ab:cd:ef'), null);
});
