/**
 * The diagnostics ZIP writer against the real Info-ZIP `unzip`: archives it writes pass `unzip -t`, every
 * entry comes back byte for byte with `unzip -p`, deflate is used where it helps and store where it does
 * not (zipinfo says which), and the CRC-32 matches the standard check value and zlib's own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32, dosDateTime, writeZip, ZipFormat } from '../../electron/engine-host/diagnostics-zip';
import { labGate } from '../helpers/requirements';

test('crc32: the standard check value, the empty input, chaining, and zlib where it has one', () => {
  // "123456789" -> 0xCBF43926 is the check value of CRC-32/ISO-HDLC (the ZIP CRC).
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  const data = randomBytes(10_000);
  assert.equal(crc32(data.subarray(5000), crc32(data.subarray(0, 5000))), crc32(data), 'chained = whole');
  const zlibCrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (zlibCrc) assert.equal(crc32(data), zlibCrc(data));
});

test('dosDateTime packs local time in 2-second steps and clamps to 1980', () => {
  const { time, date } = dosDateTime(new Date(2026, 10, 26, 13, 45, 59));
  assert.equal(time, (13 << 11) | (45 << 5) | 29);
  assert.equal(date, ((2026 - 1980) << 9) | (11 << 5) | 26);
  assert.equal(dosDateTime(new Date(1970, 0, 1)).date >> 9, 0);
});

test('entry names: relative, no "..", no backslash, no duplicates', () => {
  for (const name of ['/etc/passwd', '../x', 'a/../b', 'a\\b', '', 'a//b']) assert.throws(() => writeZip([{ name, data: 'x' }]), /bad zip entry name/, name);
  assert.throws(() => writeZip([{ name: 'a', data: '1' }, { name: 'a', data: '2' }]), /duplicate/);
});

test('the layout: local header, central directory and end record where APPNOTE puts them', () => {
  const zip = writeZip([{ name: 'a.txt', data: 'hello hello hello hello' }]);
  assert.equal(zip.readUInt32LE(0), ZipFormat.LocalHeaderSignature);
  const end = zip.length - ZipFormat.EndSize;
  assert.equal(zip.readUInt32LE(end), ZipFormat.EndSignature);
  assert.equal(zip.readUInt16LE(end + 10), 1, 'one entry');
  const cdOffset = zip.readUInt32LE(end + 16);
  assert.equal(zip.readUInt32LE(cdOffset), ZipFormat.CentralHeaderSignature);
  assert.equal(zip.readUInt32LE(cdOffset + 16), crc32(Buffer.from('hello hello hello hello')));
  assert.equal(cdOffset + zip.readUInt32LE(end + 12), end, 'the central directory ends where the end record starts');
});

test('round trip through Info-ZIP unzip: -t passes, -p gives every entry back, deflate or store as fits', (t) => {
  if (!labGate(t, { commands: ['unzip', 'zipinfo'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'fb-zip-'));
  try {
    const entries = [
      { name: 'README.txt', data: 'FieldBoot diagnostics\n' },
      { name: 'log.txt', data: 'DHCP offer 192.168.77.100 to 52:54:00:12:34:56\n'.repeat(5000) },
      { name: 'random.bin', data: randomBytes(100_000) },
      { name: 'empty.txt', data: '' },
      { name: 'profiles/æøå-profil.json', data: JSON.stringify({ name: 'æøå', note: '✓ unicode' }) },
    ];
    const zip = writeZip(entries);
    const file = join(dir, 'bundle.zip');
    writeFileSync(file, zip);
    const tested = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    assert.match(tested, /No errors detected/);
    for (const e of entries) {
      const back = execFileSync('unzip', ['-p', file, e.name], { maxBuffer: 64 * 1024 * 1024 });
      assert.ok(back.equals(Buffer.from(e.data)), `${e.name} comes back byte for byte`);
    }
    const info = execFileSync('zipinfo', [file], { encoding: 'utf8' });
    assert.match(info, /log\.txt/);
    assert.match(info.split('\n').find((l) => l.includes('log.txt')) ?? '', /defN/, 'text is deflated');
    assert.match(info.split('\n').find((l) => l.includes('random.bin')) ?? '', /stor/, 'incompressible data is stored');
    assert.ok(zip.length < 110_000 + 30_000, `the log compresses (${zip.length} bytes in all)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
