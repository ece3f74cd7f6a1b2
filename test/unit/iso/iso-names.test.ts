import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanIsoName, decodeUcs2Be } from '../../../electron/engine/iso/iso-reader';
import { checkTag, decodeOstaUnicode } from '../../../electron/engine/iso/udf-reader';

test('ISO 9660 names lose the ";1" version and the dot of an empty extension', () => {
  const table: [string, boolean, string][] = [
    ['README.TXT;1', false, 'README.TXT'],
    ['NOEXT.;1', false, 'NOEXT'],
    ['NOEXT.', false, 'NOEXT'],
    ['VMLINUZ', false, 'VMLINUZ'],
    ['A.B.C;12', false, 'A.B.C'],
    ['odd;name', false, 'odd;name'],
    ['.', false, '.'],
    ['joliet name.txt;1', true, 'joliet name.txt'],
    ['trailing.', true, 'trailing.'],
  ];
  for (const [raw, joliet, want] of table) assert.equal(cleanIsoName(raw, joliet), want, raw);
});

test('Joliet UCS-2 big-endian decodes, including non-Latin names and an odd trailing byte', () => {
  assert.equal(decodeUcs2Be(Buffer.from([0x00, 0x61, 0x00, 0x62])), 'ab');
  assert.equal(decodeUcs2Be(Buffer.from([0x54, 0x0d, 0x52, 0x4d])), '名前');
  assert.equal(decodeUcs2Be(Buffer.from([0x00, 0x61, 0x00])), 'a');
});

test('UDF OSTA CS0: compression ids 8 and 16 (and 254/255), others give ""', () => {
  assert.equal(decodeOstaUnicode(Buffer.from([8, 0x41, 0x42])), 'AB');
  assert.equal(decodeOstaUnicode(Buffer.from([16, 0x54, 0x0d, 0x52, 0x4d])), '名前');
  assert.equal(decodeOstaUnicode(Buffer.from([254, 0x43])), 'C');
  assert.equal(decodeOstaUnicode(Buffer.from([255, 0x00, 0x44])), 'D');
  assert.equal(decodeOstaUnicode(Buffer.from([7, 0x41])), '');
  assert.equal(decodeOstaUnicode(Buffer.alloc(0)), '');
});

test('UDF descriptor tags: checksum, id and location are checked', () => {
  const tag = Buffer.alloc(16);
  tag.writeUInt16LE(2, 0); // anchor
  tag.writeUInt16LE(3, 2);
  tag.writeUInt32LE(256, 12);
  let sum = 0;
  for (let i = 0; i < 16; i++) if (i !== 4) sum = (sum + (tag[i] ?? 0)) & 0xff;
  tag[4] = sum;
  assert.equal(checkTag(tag, 2, 256), 2);
  assert.equal(checkTag(tag, null, null), 2);
  assert.equal(checkTag(tag, 5, null), null, 'wrong id');
  assert.equal(checkTag(tag, 2, 257), null, 'wrong location');
  const bad = Buffer.from(tag);
  bad[4] = (sum + 1) & 0xff;
  assert.equal(checkTag(bad, 2, 256), null, 'bad checksum');
  assert.equal(checkTag(Buffer.alloc(8), null, null), null, 'too short');
});
