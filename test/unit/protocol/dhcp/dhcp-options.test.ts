import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpDecodeError } from '../../../../electron/engine/protocol/dhcp/dhcp-codec-error';
import { DhcpOption, PxeDiscoveryControl, PxeSubOption } from '../../../../electron/engine/protocol/dhcp/dhcp-constants';
import {
  decodeSubOptions,
  decodeUserClass,
  encodeOptionEntries,
  encodeUserClass,
  getOptionData,
  ipListData,
  parseOptionArea,
  pxeVendorOptions,
  readOptionValues,
} from '../../../../electron/engine/protocol/dhcp/dhcp-options';

test('user class: RFC 3004 instances and the plain string iPXE sends', () => {
  assert.deepEqual(decodeUserClass(encodeUserClass(['iPXE', 'rack7'])), ['iPXE', 'rack7']);
  assert.deepEqual(decodeUserClass(Buffer.from('iPXE')), ['iPXE']);
  assert.deepEqual(decodeUserClass(Buffer.from('gPXE')), ['gPXE']);
  // A zero-length instance is not RFC 3004: the whole option is text.
  assert.deepEqual(decodeUserClass(Buffer.from([0, 65])), ['\u0000A']);
  assert.throws(() => encodeUserClass(['']));
});

test('option 43 for PXE ROMs: discovery control 8, END-terminated', () => {
  const data = pxeVendorOptions(PxeDiscoveryControl.UseBootFileDirectly);
  assert.deepEqual(data, Buffer.from([PxeSubOption.DiscoveryControl, 1, 8, 255]));
  assert.deepEqual(decodeSubOptions(data, 'option 43'), [{ code: 6, data: Buffer.from([8]) }]);
});

test('pad bytes are one byte each, END stops, anything after END is ignored', () => {
  const b = Buffer.from([0, 0, 12, 2, 65, 66, 0, 255, 12, 200]);
  const area = parseOptionArea(b, 0, b.length, 'test');
  assert.equal(area.sawEnd, true);
  assert.deepEqual(area.entries, [{ code: 12, data: Buffer.from('AB') }]);
});

test('repeated instances concatenate in order (RFC 3396)', () => {
  const entries = [
    { code: DhcpOption.DomainNameServer, data: ipListData(['10.0.0.1']) },
    { code: DhcpOption.HostName, data: Buffer.from('x') },
    { code: DhcpOption.DomainNameServer, data: ipListData(['10.0.0.2']) },
  ];
  assert.deepEqual(getOptionData(entries, DhcpOption.DomainNameServer), ipListData(['10.0.0.1', '10.0.0.2']));
  assert.equal(getOptionData(entries, 99), undefined);
  const wire = encodeOptionEntries(entries);
  assert.deepEqual(parseOptionArea(wire, 0, wire.length, 'x').entries, entries);
});

test('typed values: 16-byte option 97 accepted, NUL-terminated hostname trimmed, empty client id noted', () => {
  const guid16 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const v = readOptionValues(
    [
      { code: DhcpOption.ClientMachineIdentifier, data: guid16 },
      { code: DhcpOption.HostName, data: Buffer.from('node1\0') },
      { code: DhcpOption.ClientIdentifier, data: Buffer.alloc(0) },
      { code: DhcpOption.ClientSystemArchitecture, data: Buffer.from([0, 7, 0, 16]) },
    ],
    240,
  );
  assert.equal(v.clientGuid, '00112233-4455-6677-8899-aabbccddeeff');
  assert.equal(v.hostname, 'node1');
  assert.equal(v.clientId, undefined);
  assert.deepEqual(v.clientArch, [7, 16]);
  assert.deepEqual(v.problems, ['option 61 is empty']);
});

test('malformed option 175 is noted, a malformed lease time is fatal', () => {
  const v = readOptionValues([{ code: DhcpOption.EtherbootEncapsulated, data: Buffer.from([177, 9, 1]) }], 240);
  assert.equal(v.etherbootOptions, undefined);
  assert.match(v.problems[0] ?? '', /option 175/);
  assert.throws(() => readOptionValues([{ code: DhcpOption.LeaseTime, data: Buffer.from([1, 2]) }], 240), DhcpDecodeError);
});
