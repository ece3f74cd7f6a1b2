import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DhcpDecodeError, DhcpEncodeError } from '../../../../electron/engine/protocol/dhcp/dhcp-codec-error';
import { BootOp, DhcpMessageType, DhcpOption, HeaderLayout } from '../../../../electron/engine/protocol/dhcp/dhcp-constants';
import { decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from '../../../../electron/engine/protocol/dhcp/dhcp-packet';
import { ipData, textData, u16Data, u8Data, type DhcpOptionEntry } from '../../../../electron/engine/protocol/dhcp/dhcp-options';

const fixture = (name: string) =>
  Buffer.from(readFileSync(fileURLToPath(new URL(`../../../fixtures/dhcp/${name}`, import.meta.url)), 'utf8').trim(), 'hex');

function basePacket(overrides: Partial<DhcpPacket> = {}): DhcpPacket {
  return {
    op: BootOp.Request,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0xdeadbeef,
    secs: 3,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: Buffer.concat([Buffer.from('525400abcdef', 'hex'), Buffer.alloc(10)]),
    sname: '',
    file: '',
    options: [{ code: DhcpOption.MessageType, data: u8Data(DhcpMessageType.Discover) }],
    ...overrides,
  };
}

test('round trip keeps every header field and the options in order', () => {
  const p = basePacket({
    op: BootOp.Reply,
    hops: 1,
    flags: 0,
    ciaddr: '10.0.0.5',
    yiaddr: '10.0.0.6',
    siaddr: '10.0.0.1',
    giaddr: '10.0.0.254',
    sname: 'fieldboot',
    file: 'undionly.kpxe',
    options: [
      { code: DhcpOption.MessageType, data: u8Data(DhcpMessageType.Offer) },
      { code: DhcpOption.ServerIdentifier, data: ipData('10.0.0.1') },
      { code: DhcpOption.VendorClassIdentifier, data: textData('PXEClient') },
      { code: 200, data: Buffer.alloc(0) },
      { code: DhcpOption.HostName, data: textData('node7') },
    ],
  });
  const wire = encodeDhcpPacket(p);
  assert.equal(wire.length, 300, 'padded to the BOOTP minimum');
  const d = decodeDhcpPacket(wire);
  for (const k of ['op', 'htype', 'hlen', 'hops', 'xid', 'secs', 'flags', 'ciaddr', 'yiaddr', 'siaddr', 'giaddr', 'sname', 'file'] as const) {
    assert.deepEqual(d[k], p[k], k);
  }
  assert.deepEqual(d.chaddr, p.chaddr);
  assert.deepEqual(d.options, p.options);
  assert.equal(d.mac, '52:54:00:ab:cd:ef');
  assert.equal(d.messageType, DhcpMessageType.Offer);
  assert.equal(d.serverId, '10.0.0.1');
  assert.equal(d.hostname, 'node7');
  assert.deepEqual(d.problems, []);
  assert.deepEqual(encodeDhcpPacket(d), wire, 'a decoded packet re-encodes to the same bytes');
});

test('an option longer than 255 bytes is split and joined again (RFC 3396)', () => {
  const long = Buffer.alloc(600, 0x41);
  const wire = encodeDhcpPacket(basePacket({ options: [{ code: DhcpOption.MessageType, data: u8Data(1) }, { code: DhcpOption.VendorClassIdentifier, data: long }] }), { maxMessageSize: 1500 });
  const d = decodeDhcpPacket(wire);
  assert.equal(d.options.filter((o) => o.code === DhcpOption.VendorClassIdentifier).length, 3);
  assert.equal(d.vendorClass, long.toString('latin1'));
});

test('a reply that does not fit 576 bytes overflows into file and sname via option 52, and decodes whole', () => {
  const options: DhcpOptionEntry[] = [{ code: DhcpOption.MessageType, data: u8Data(DhcpMessageType.Ack) }];
  for (let code = 200; code < 210; code++) options.push({ code, data: Buffer.alloc(40, code) });
  const p = basePacket({ op: BootOp.Reply, options });
  const wire = encodeDhcpPacket(p);
  assert.ok(wire.length <= 548, `fits the 576-byte datagram (got ${wire.length} + 28)`);
  const d = decodeDhcpPacket(wire);
  assert.ok(d.overload !== undefined, 'option 52 used');
  assert.deepEqual(
    d.options.filter((o) => o.code !== DhcpOption.Overload),
    options,
  );
  assert.equal(d.file, '');
  // With a bigger client limit (option 57) no overload is needed.
  const big = decodeDhcpPacket(encodeDhcpPacket(p, { maxMessageSize: 1500 }));
  assert.equal(big.overload, undefined);
  assert.deepEqual(big.options, options);
});

test('options that cannot fit even with overload are refused at encode time', () => {
  const options: DhcpOptionEntry[] = [{ code: DhcpOption.MessageType, data: u8Data(DhcpMessageType.Ack) }];
  for (let code = 200; code < 220; code++) options.push({ code, data: Buffer.alloc(60, 1) });
  assert.throws(() => encodeDhcpPacket(basePacket({ options })), DhcpEncodeError);
  assert.throws(() => encodeDhcpPacket(basePacket({ file: 'x'.repeat(128) })), DhcpEncodeError);
  assert.throws(() => encodeDhcpPacket(basePacket({ yiaddr: '10.0.0.256' })), DhcpEncodeError);
  assert.throws(() => encodeDhcpPacket(basePacket({ options: [{ code: 255, data: Buffer.alloc(0) }] })), DhcpEncodeError);
});

test('udhcpc DISCOVER captured in the lab', () => {
  const d = decodeDhcpPacket(fixture('udhcpc-discover.hex'));
  assert.equal(d.op, BootOp.Request);
  assert.equal(d.messageType, DhcpMessageType.Discover);
  assert.equal(d.mac, '52:54:00:12:34:01');
  assert.equal(d.maxMessageSize, 576);
  assert.deepEqual(d.paramRequestList, [1, 3, 6, 12, 15, 28, 42]);
  assert.equal(d.hostname, 'fixture-udhcpc');
  assert.match(d.vendorClass ?? '', /^udhcp /);
  assert.deepEqual(d.clientId, Buffer.from('01525400123401', 'hex'));
  assert.equal(d.flags, 0, 'udhcpc asks for unicast replies');
  assert.deepEqual(d.problems, []);
});

test('dhclient DISCOVER captured in the lab', () => {
  const d = decodeDhcpPacket(fixture('dhclient-discover.hex'));
  assert.equal(d.messageType, DhcpMessageType.Discover);
  assert.equal(d.mac, '52:54:00:12:34:02');
  assert.equal(d.hostname, 'fixture-dhclient');
  assert.equal(d.clientId, undefined, 'dhclient sends no option 61 by default: MAC is the key');
  assert.equal(d.vendorClass, undefined);
  assert.ok(d.paramRequestList.includes(DhcpOption.Router));
  assert.deepEqual(d.problems, []);
});

test('synthetic BIOS PXE ROM DISCOVER (LAB.md facts)', () => {
  const d = decodeDhcpPacket(fixture('pxe-bios-discover-synthetic.hex'));
  assert.equal(d.vendorClass, 'PXEClient:Arch:00000:UNDI:002001');
  assert.deepEqual(d.clientArch, [0]);
  assert.deepEqual(d.clientNdi, { type: 1, major: 2, minor: 1 });
  assert.equal(d.clientGuid, '8f6a1c2e-44b3-11ee-b962-0242ac120002');
  assert.equal(d.maxMessageSize, 1260);
  for (const c of [43, 60, 66, 67, 128, 135]) assert.ok(d.paramRequestList.includes(c), `PRL has ${c}`);
  assert.equal(d.userClass, undefined);
});

test('synthetic iPXE DISCOVER: plain-text user class and option 175', () => {
  const d = decodeDhcpPacket(fixture('ipxe-efi-discover-synthetic.hex'));
  assert.deepEqual(d.userClass, ['iPXE']);
  assert.deepEqual(d.clientArch, [7]);
  assert.equal(d.etherbootOptions?.length, 3);
  assert.deepEqual(d.etherbootOptions?.[0], { code: 177, data: Buffer.from([5, 1, 2, 3, 4]) });
});

test('synthetic overloaded OFFER: options read from file then sname', () => {
  const d = decodeDhcpPacket(fixture('offer-overload-synthetic.hex'));
  assert.equal(d.overload, 3);
  assert.equal(d.file, '');
  assert.equal(d.sname, '');
  const codes = d.options.map((o) => o.code);
  assert.deepEqual(codes, [53, 54, 51, 52, 67, 66], 'options field, then file, then sname');
  assert.equal(d.options[4]!.data.toString(), 'undionly.kpxe');
});

// ----------------------------------------------------------------------------------------------------------------
// Malformed input: each row must throw DhcpDecodeError at the stated offset, never anything else.

const good = () => Buffer.from(fixture('pxe-bios-discover-synthetic.hex'));
const withOptions = (opts: number[]) => {
  const b = Buffer.alloc(240 + opts.length);
  good().copy(b, 0, 0, 240);
  Buffer.from(opts).copy(b, 240);
  return b;
};

const malformed: { name: string; bytes: () => Buffer; offset: number; match: RegExp }[] = [
  { name: 'empty datagram', bytes: () => Buffer.alloc(0), offset: 0, match: /shorter than/ },
  { name: 'truncated header (100 bytes)', bytes: () => good().subarray(0, 100), offset: 100, match: /shorter than the 240-byte header/ },
  { name: 'header without cookie (236 bytes)', bytes: () => good().subarray(0, 236), offset: 236, match: /shorter/ },
  { name: 'op 3', bytes: () => { const b = good(); b[0] = 3; return b; }, offset: 0, match: /op is 3/ },
  { name: 'giant hlen', bytes: () => { const b = good(); b[2] = 200; return b; }, offset: 2, match: /hlen is 200/ },
  { name: 'bad magic cookie', bytes: () => { const b = good(); b.writeUInt32BE(0x01020304, 236); return b; }, offset: 236, match: /magic cookie is 0x01020304/ },
  { name: 'option running past the end', bytes: () => withOptions([53, 1, 1, 60, 40, 65, 65]), offset: 243, match: /option 60 in the options field claims 40 bytes but only 2 remain/ },
  { name: 'option code with no length byte', bytes: () => withOptions([53, 1, 1, 12]), offset: 243, match: /no length byte/ },
  { name: 'zero-length message type', bytes: () => withOptions([53, 0, 255]), offset: 240, match: /option 53 \(message type\) must be 1 bytes, got 0/ },
  { name: 'unknown message type', bytes: () => withOptions([53, 1, 99, 255]), offset: 240, match: /unknown message type 99/ },
  { name: 'zero-length server identifier', bytes: () => withOptions([53, 1, 3, 54, 0, 255]), offset: 240, match: /option 54/ },
  { name: 'requested IP of 3 bytes', bytes: () => withOptions([53, 1, 3, 50, 3, 10, 0, 0, 255]), offset: 240, match: /option 50/ },
  { name: 'max message size of 1 byte', bytes: () => withOptions([53, 1, 1, 57, 1, 5, 255]), offset: 240, match: /option 57/ },
  { name: 'overload with bad value', bytes: () => withOptions([53, 1, 1, 52, 1, 7, 255]), offset: 240, match: /overload\) has value 7/ },
  { name: 'overload of 2 bytes', bytes: () => withOptions([53, 1, 1, 52, 2, 1, 1, 255]), offset: 240, match: /must be 1 byte/ },
  {
    name: 'overload pointing to garbage in file',
    bytes: () => { const b = withOptions([53, 1, 1, 52, 1, 1, 255]); b.fill(0x77, 108, 236); return b; },
    offset: 229, // 108 + 2 + 119: the first bogus option fits, the second runs past the field
    match: /option 119 in the file field claims 119 bytes but only 5 remain/,
  },
  {
    name: 'overload pointing to garbage in sname',
    bytes: () => { const b = withOptions([53, 1, 1, 52, 1, 2, 255]); b.fill(0x30, 44, 108); return b; },
    offset: 94,
    match: /option 48 in the sname field claims 48 bytes but only 12 remain/,
  },
];

for (const row of malformed) {
  test(`malformed: ${row.name}`, () => {
    assert.throws(
      () => decodeDhcpPacket(row.bytes()),
      (err: unknown) => {
        assert.ok(err instanceof DhcpDecodeError, `DhcpDecodeError, got ${String(err)}`);
        assert.equal(err.offset, row.offset);
        assert.match(err.message, row.match);
        return true;
      },
    );
  });
}

test('tolerated oddities are noted, not fatal', () => {
  // No END, odd option 93, 5-byte option 97, 2-byte option 94, empty 55.
  const d = decodeDhcpPacket(withOptions([53, 1, 1, 93, 3, 0, 0, 0, 97, 5, 0, 1, 2, 3, 4, 94, 2, 1, 2, 55, 0]));
  assert.equal(d.messageType, DhcpMessageType.Discover);
  assert.equal(d.clientArch, undefined);
  assert.equal(d.clientGuid, undefined);
  assert.equal(d.clientNdi, undefined);
  assert.deepEqual(d.paramRequestList, []);
  assert.equal(d.problems.length, 5, d.problems.join('; '));
});

test('decoding random bytes never throws anything but DhcpDecodeError', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const base = good();
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(base.subarray(0, 200 + (i % 200)));
    for (let k = 0; k < 1 + (i % 8); k++) b[(rnd() * 7 + rnd()) % b.length] = rnd();
    if (i % 3 === 0) for (let k = 240; k < b.length; k++) b[k] = rnd();
    try {
      decodeDhcpPacket(b);
    } catch (err) {
      assert.ok(err instanceof DhcpDecodeError, String(err));
    }
  }
});

test('the header layout table matches RFC 2131 figure 1', () => {
  assert.equal(HeaderLayout.chaddr + HeaderLayout.chaddrSize, HeaderLayout.sname);
  assert.equal(HeaderLayout.sname + HeaderLayout.snameSize, HeaderLayout.file);
  assert.equal(HeaderLayout.file + HeaderLayout.fileSize, HeaderLayout.magicCookie);
  assert.deepEqual(u16Data(576), Buffer.from([2, 64]));
});

// Real firmware, captured from QEMU in the lab (see test/fixtures/dhcp/README.md).
for (const row of [
  { file: 'qemu-seabios-ipxe-discover.hex', mac: '52:54:00:fb:b1:05', vc: 'PXEClient:Arch:00000:UNDI:002001', arch: 0, ipxe: true, flags: 0 },
  { file: 'qemu-ovmf-ipxe-discover.hex', mac: '52:54:00:fb:e1:07', vc: 'PXEClient:Arch:00007:UNDI:003010', arch: 7, ipxe: true, flags: 0 },
  { file: 'qemu-ovmf-native-discover.hex', mac: '52:54:00:fb:e1:08', vc: 'PXEClient:Arch:00007:UNDI:003000', arch: 7, ipxe: false, flags: 0x8000 },
]) {
  test(`real firmware DISCOVER: ${row.file}`, () => {
    const d = decodeDhcpPacket(fixture(row.file));
    assert.equal(d.messageType, DhcpMessageType.Discover);
    assert.equal(d.mac, row.mac);
    assert.equal(d.vendorClass, row.vc);
    assert.deepEqual(d.clientArch, [row.arch]);
    assert.equal(d.clientNdi?.type, 1, 'UNDI');
    assert.equal(d.maxMessageSize, 1472);
    assert.equal(d.flags, row.flags, 'EDK2 asks for broadcast replies, iPXE does not');
    assert.match(d.clientGuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // iPXE sends option 77 as the plain string "iPXE" (not RFC 3004) and its option 175.
    assert.deepEqual(d.userClass, row.ipxe ? ['iPXE'] : undefined);
    assert.equal(d.etherbootOptions !== undefined, row.ipxe);
    for (const c of [43, 60, 66, 67]) assert.ok(d.paramRequestList.includes(c), `PRL has ${c}`);
    assert.deepEqual(d.problems, []);
    assert.deepEqual(decodeDhcpPacket(encodeDhcpPacket(d, { maxMessageSize: 1472 })).options, d.options, 're-encodes to the same options');
  });
}
