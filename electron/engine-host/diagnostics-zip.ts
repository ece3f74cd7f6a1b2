/**
 * A small ZIP writer for the diagnostics bundle: a few text files, all in memory, deflated with
 * zlib.deflateRawSync. Just enough of PKWARE's APPNOTE.TXT (6.3.x) for `unzip`, Windows Explorer and
 * macOS Archive Utility: local headers, a central directory, the end record. No ZIP64 (a bundle is a few
 * MB), no encryption, no data descriptors (sizes and CRC are known before each header is written).
 */
import { deflateRawSync } from 'node:zlib';

/** Record signatures and field values, APPNOTE.TXT section numbers beside them. */
export const ZipFormat = {
  /** 4.3.7 local file header */
  LocalHeaderSignature: 0x04034b50,
  /** 4.3.12 central directory file header */
  CentralHeaderSignature: 0x02014b50,
  /** 4.3.16 end of central directory record */
  EndSignature: 0x06054b50,
  LocalHeaderSize: 30,
  CentralHeaderSize: 46,
  EndSize: 22,
  /** 4.4.3: 2.0, the version that introduced deflate and directories. */
  VersionNeeded: 20,
  /** 4.4.2: upper byte 3 = UNIX (so external attributes carry a mode), lower byte 30 = spec 3.0. */
  VersionMadeBy: (3 << 8) | 30,
  /** 4.4.4 general purpose bit 11: file names are UTF-8. */
  FlagUtf8: 0x0800,
  /** 4.4.5 compression methods */
  MethodStored: 0,
  MethodDeflated: 8,
  /** 4.4.15: with "made by" UNIX, the high 16 bits are st_mode: a regular file, rw-r--r--. */
  ExternalAttrFile: (0o100644 << 16) >>> 0,
  /** Limits without ZIP64 (4.4.8, 4.4.9, 4.4.21). */
  MaxSize: 0xffffffff,
  MaxEntries: 0xffff,
} as const;

/** CRC-32 as ZIP uses it (4.4.7): polynomial 0xEDB88320 (reflected 0x04C11DB7), init and final xor ~0. */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export interface ZipEntry {
  /** Path inside the archive, '/' separated, no leading '/' and no '..'. */
  name: string;
  data: string | Uint8Array;
  /** Defaults to the time the archive is written. */
  modified?: Date;
}

/** MS-DOS date and time (4.4.6), local time as unzip expects; 2-second resolution, years 1980-2107. */
export function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0') || name.split('/').some((p) => p === '..' || p === '')) {
    throw new Error(`bad zip entry name "${name}"`);
  }
}

/** The whole archive. Each entry is deflated unless that would make it bigger (then stored). */
export function writeZip(entries: readonly ZipEntry[], now: Date = new Date()): Buffer {
  if (entries.length > ZipFormat.MaxEntries) throw new Error(`too many zip entries (${entries.length})`);
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    checkName(entry.name);
    if (seen.has(entry.name)) throw new Error(`duplicate zip entry "${entry.name}"`);
    seen.add(entry.name);
    const name = Buffer.from(entry.name, 'utf8');
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const deflated = deflateRawSync(raw);
    const stored = deflated.length >= raw.length;
    const body = stored ? raw : deflated;
    if (raw.length > ZipFormat.MaxSize || offset + ZipFormat.LocalHeaderSize + name.length + body.length > ZipFormat.MaxSize) {
      throw new Error('the archive would need ZIP64');
    }
    const crc = crc32(raw);
    const { time, date } = dosDateTime(entry.modified ?? now);
    const method = stored ? ZipFormat.MethodStored : ZipFormat.MethodDeflated;

    // The local header and the central directory entry share these fields, in this order (APPNOTE 4.3.7,
    // 4.3.12): version needed, flags, method, time, date, CRC-32, compressed and uncompressed size, name length.
    const shared = (b: Buffer, at: number): void => {
      b.writeUInt16LE(ZipFormat.VersionNeeded, at);
      b.writeUInt16LE(ZipFormat.FlagUtf8, at + 2);
      b.writeUInt16LE(method, at + 4);
      b.writeUInt16LE(time, at + 6);
      b.writeUInt16LE(date, at + 8);
      b.writeUInt32LE(crc, at + 10);
      b.writeUInt32LE(body.length, at + 14);
      b.writeUInt32LE(raw.length, at + 18);
      b.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(ZipFormat.LocalHeaderSize);
    local.writeUInt32LE(ZipFormat.LocalHeaderSignature, 0);
    shared(local, 4);
    // extra length: 0

    const dir = Buffer.alloc(ZipFormat.CentralHeaderSize);
    dir.writeUInt32LE(ZipFormat.CentralHeaderSignature, 0);
    dir.writeUInt16LE(ZipFormat.VersionMadeBy, 4);
    shared(dir, 6);
    // extra length, comment length, disk number start, internal attributes: all 0
    dir.writeUInt32LE(ZipFormat.ExternalAttrFile, 38);
    dir.writeUInt32LE(offset, 42);

    parts.push(local, name, body);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  if (offset + centralSize + ZipFormat.EndSize > ZipFormat.MaxSize) throw new Error('the archive would need ZIP64');
  const end = Buffer.alloc(ZipFormat.EndSize);
  end.writeUInt32LE(ZipFormat.EndSignature, 0);
  // this disk, the disk the central directory starts on: both 0
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  // comment length 0
  return Buffer.concat([...parts, ...central, end]);
}
