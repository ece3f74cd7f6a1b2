import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TftpErrorCode, TftpOpcode } from '../../../../electron/engine/protocol/tftp/tftp-constants';
import {
  decodeTftpPacket,
  encodeTftpPacket,
  findTftpOption,
  TftpDecodeError,
  writeDataHeader,
  type TftpPacket,
} from '../../../../electron/engine/protocol/tftp/tftp-packet';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('round trip of every packet type', () => {
  const packets: TftpPacket[] = [
    { opcode: TftpOpcode.ReadRequest, filename: 'pxelinux.cfg/default', mode: 'octet', options: [] },
    {
      opcode: TftpOpcode.ReadRequest,
      filename: 'undionly.kpxe',
      mode: 'octet',
      options: [
        { name: 'blksize', value: '1468' },
        { name: 'tsize', value: '0' },
        { name: 'windowsize', value: '8' },
      ],
    },
    { opcode: TftpOpcode.WriteRequest, filename: 'upload.bin', mode: 'netascii', options: [] },
    { opcode: TftpOpcode.Data, block: 1, data: Buffer.from('hello') },
    { opcode: TftpOpcode.Data, block: 65535, data: Buffer.alloc(0) },
    { opcode: TftpOpcode.Ack, block: 0 },
    { opcode: TftpOpcode.Ack, block: 65535 },
    { opcode: TftpOpcode.Error, code: TftpErrorCode.FileNotFound, message: 'File not found' },
    { opcode: TftpOpcode.OptionAck, options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '123456' }] },
  ];
  for (const p of packets) {
    const bytes = encodeTftpPacket(p);
    assert.deepEqual(decodeTftpPacket(bytes), p, `round trip of opcode ${p.opcode}`);
    assert.deepEqual(encodeTftpPacket(decodeTftpPacket(bytes)), bytes);
  }
});

test('decodes a captured iPXE RRQ byte for byte', () => {
  // iPXE 1.21: RRQ "undionly.kpxe" octet blksize 1432 tsize 0
  const wire = Buffer.concat([hex('0001'), Buffer.from('undionly.kpxe\0octet\0blksize\x001432\0tsize\x000\0', 'latin1')]);
  const p = decodeTftpPacket(wire);
  assert.equal(p.opcode, TftpOpcode.ReadRequest);
  if (p.opcode !== TftpOpcode.ReadRequest) return;
  assert.equal(p.filename, 'undionly.kpxe');
  assert.equal(p.mode, 'octet');
  assert.deepEqual(p.options, [
    { name: 'blksize', value: '1432' },
    { name: 'tsize', value: '0' },
  ]);
});

test('encodes exact wire bytes for ACK, DATA, ERROR and OACK', () => {
  assert.deepEqual(encodeTftpPacket({ opcode: TftpOpcode.Ack, block: 258 }), hex('0004 0102'));
  assert.deepEqual(encodeTftpPacket({ opcode: TftpOpcode.Data, block: 1, data: Buffer.from('AB') }), hex('0003 0001 4142'));
  assert.deepEqual(encodeTftpPacket({ opcode: TftpOpcode.Error, code: 2, message: 'no' }), hex('0005 0002 6e6f 00'));
  assert.deepEqual(encodeTftpPacket({ opcode: TftpOpcode.OptionAck, options: [{ name: 'tsize', value: '5' }] }), Buffer.from('\0\x06tsize\x005\0', 'latin1'));
});

test('option names and mode are case-insensitive, duplicates keep the first', () => {
  const wire = Buffer.from('\0\x01FILE\0OcTeT\0BLKSIZE\x001024\0TSize\x000\0blksize\x00512\0', 'latin1');
  const p = decodeTftpPacket(wire);
  assert.equal(p.opcode, TftpOpcode.ReadRequest);
  if (p.opcode !== TftpOpcode.ReadRequest) return;
  assert.equal(p.filename, 'FILE', 'the filename keeps its case');
  assert.equal(p.mode, 'octet');
  assert.deepEqual(p.options, [
    { name: 'blksize', value: '1024' },
    { name: 'tsize', value: '0' },
  ]);
  assert.equal(findTftpOption(p.options, 'BlkSize'), '1024');
  assert.equal(findTftpOption(p.options, 'timeout'), undefined);
});

test('DATA payload is a view into the datagram and ACK tolerates trailing padding', () => {
  const wire = hex('0003 0007 010203');
  const p = decodeTftpPacket(wire);
  assert.equal(p.opcode, TftpOpcode.Data);
  if (p.opcode !== TftpOpcode.Data) return;
  assert.equal(p.block, 7);
  assert.deepEqual([...p.data], [1, 2, 3]);
  assert.equal(p.data.buffer, wire.buffer);
  assert.deepEqual(decodeTftpPacket(hex('0004 0009 0000')), { opcode: TftpOpcode.Ack, block: 9 });
});

test('ERROR without its final NUL still decodes', () => {
  assert.deepEqual(decodeTftpPacket(Buffer.from('\0\x05\0\x01gone', 'latin1')), { opcode: TftpOpcode.Error, code: 1, message: 'gone' });
  assert.deepEqual(decodeTftpPacket(hex('0005 0000')), { opcode: TftpOpcode.Error, code: 0, message: '' });
});

test('writeDataHeader wraps block numbers past 65535', () => {
  const b = Buffer.alloc(4);
  writeDataHeader(b, 65536);
  assert.deepEqual(b, hex('0003 0000'));
  writeDataHeader(b, 65537 + 65535);
  assert.deepEqual(b, hex('0003 0000'));
  writeDataHeader(b, 70000);
  assert.deepEqual(b, hex('0003 1170'));
});

const malformed: Array<[string, Buffer, number, RegExp]> = [
  ['empty datagram', Buffer.alloc(0), 0, /shorter than an opcode/],
  ['1-byte datagram', hex('00'), 0, /shorter than an opcode/],
  ['unknown opcode 0', hex('0000'), 0, /unknown opcode 0/],
  ['unknown opcode 9', hex('0009 0001'), 0, /unknown opcode 9/],
  ['unknown opcode 0xffff', hex('ffff'), 0, /unknown opcode 65535/],
  ['RRQ with nothing after the opcode', hex('0001'), 2, /missing filename/],
  ['RRQ with an unterminated filename', Buffer.from('\0\x01pxelinux.0', 'latin1'), 2, /filename is not NUL-terminated/],
  ['RRQ with an empty filename', Buffer.from('\0\x01\0octet\0', 'latin1'), 2, /empty filename/],
  ['RRQ without a mode', Buffer.from('\0\x01file\0', 'latin1'), 7, /missing mode/],
  ['RRQ with an unterminated mode', Buffer.from('\0\x01file\0octet', 'latin1'), 7, /mode is not NUL-terminated/],
  ['RRQ with an empty mode', Buffer.from('\0\x01file\0\0', 'latin1'), 7, /empty mode/],
  ['RRQ option without value', Buffer.from('\0\x01f\0octet\0blksize\0', 'latin1'), 18, /option "blksize" has no value/],
  ['RRQ option with unterminated value', Buffer.from('\0\x01f\0octet\0blksize\x001468', 'latin1'), 18, /value of option "blksize" is not NUL-terminated/],
  ['RRQ unterminated option name', Buffer.from('\0\x01f\0octet\0blks', 'latin1'), 10, /option name is not NUL-terminated/],
  ['RRQ empty option name', Buffer.from('\0\x01f\0octet\0\0x\0', 'latin1'), 10, /empty option name/],
  ['RRQ with invalid UTF-8 filename', Buffer.concat([hex('0001 ff fe 00'), Buffer.from('octet\0')]), 2, /not valid UTF-8/],
  ['DATA of 3 bytes', hex('0003 00'), 3, /DATA shorter/],
  ['ACK of 2 bytes', hex('0004'), 2, /ACK shorter/],
  ['ACK of 3 bytes', hex('0004 00'), 3, /ACK shorter/],
  ['ERROR of 3 bytes', hex('0005 00'), 3, /ERROR shorter/],
  ['OACK option without value', Buffer.from('\0\x06tsize\0', 'latin1'), 8, /has no value/],
];

for (const [name, wire, offset, message] of malformed) {
  test(`malformed: ${name} -> TftpDecodeError at byte ${offset}`, () => {
    assert.throws(
      () => decodeTftpPacket(wire),
      (err: unknown) => err instanceof TftpDecodeError && err.offset === offset && message.test(err.message),
    );
  });
}

test('huge option values decode as strings (the server decides what they mean)', () => {
  const big = '9'.repeat(60000);
  const wire = Buffer.from(`\0\x01f\0octet\0blksize\0${big}\0`, 'latin1');
  const p = decodeTftpPacket(wire);
  assert.equal(p.opcode, TftpOpcode.ReadRequest);
  if (p.opcode !== TftpOpcode.ReadRequest) return;
  assert.equal(p.options[0]?.value.length, 60000);
});

test('decoding never reads past the buffer: every truncation of a valid RRQ throws TftpDecodeError or decodes', () => {
  const full = encodeTftpPacket({
    opcode: TftpOpcode.ReadRequest,
    filename: 'boot/x86_64/loader/linux',
    mode: 'octet',
    options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '0' }],
  });
  // Embed in a larger buffer so an over-read would see the rest (a view, like dgram gives).
  const backing = Buffer.concat([full, Buffer.from('\0trailing\0garbage\0')]);
  for (let len = 0; len < full.length; len++) {
    const view = backing.subarray(0, len);
    try {
      const p = decodeTftpPacket(view);
      // Only cuts right after a complete option pair (or after the mode) decode.
      assert.equal(view[len - 1], 0, `length ${len} decoded without ending on a NUL`);
      assert.equal(p.opcode, TftpOpcode.ReadRequest);
    } catch (err) {
      assert.ok(err instanceof TftpDecodeError, `length ${len}: ${String(err)}`);
      assert.ok(err.offset <= len, `length ${len}: offset ${err.offset} is past the end`);
    }
  }
});

test('encoder refuses values that cannot go on the wire', () => {
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.Ack, block: 65536 }), RangeError);
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.Ack, block: -1 }), RangeError);
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.ReadRequest, filename: 'a\0b', mode: 'octet', options: [] }), RangeError);
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.ReadRequest, filename: '', mode: 'octet', options: [] }), RangeError);
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.OptionAck, options: [{ name: '', value: '1' }] }), RangeError);
  assert.throws(() => encodeTftpPacket({ opcode: TftpOpcode.Error, code: 70000, message: 'x' }), RangeError);
});
