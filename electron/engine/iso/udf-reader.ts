/**
 * UDF 1.02-2.60 (OSTA UDF over ECMA-167 3rd edition), read-only: enough to list and read files of
 * Windows install media and ISO/UDF bridge discs. Anchor at sector 256 (or N-256 / N-1), main volume
 * descriptor sequence, partition and logical volume descriptors (type 1 maps, and the UDF 2.50 metadata
 * partition), file set descriptor, File Entries / Extended File Entries with short, long, extended or
 * inline allocation descriptors, and File Identifier Descriptors. Every chain has a hop limit.
 */
import { IsoError, IsoErrorKind } from './iso-errors';
import { SECTOR_SIZE, type ImageFile } from './image-file';
import { MAX_DIRECTORY_BYTES } from './iso-reader';
import { EntryType, NameScheme, NO_DATA, dataLength, type DataExtent, type FileData, type VolumeEntry, type VolumeTree } from './volume-tree';

/** ECMA-167 3/7.2.1 and 4/7.2.1: descriptor tag identifiers. */
export const UdfTag = {
  PrimaryVolume: 1,
  AnchorPointer: 2,
  VolumePointer: 3,
  ImplementationUse: 4,
  Partition: 5,
  LogicalVolume: 6,
  UnallocatedSpace: 7,
  Terminating: 8,
  LogicalVolumeIntegrity: 9,
  FileSet: 256,
  FileIdentifier: 257,
  AllocationExtent: 258,
  FileEntry: 261,
  ExtendedFileEntry: 266,
} as const;

/** ECMA-167 4/14.6.6: ICB file types. */
export const IcbFileType = { Directory: 4, File: 5, Symlink: 12, Metadata: 250, MetadataMirror: 251 } as const;

/** ECMA-167 4/14.6.8: allocation descriptor form (low 3 bits of the ICB flags). */
const AdForm = { Short: 0, Long: 1, Extended: 2, Inline: 3 } as const;

/** ECMA-167 4/14.4.3: file characteristics of a FID. */
const FidFlag = { Hidden: 0x01, Directory: 0x02, Deleted: 0x04, Parent: 0x08 } as const;

/** UDF 2.2.4.3: the anchor is at 256, and also at N-256 or N-1 (N = last sector). */
const ANCHOR_SECTOR = 256;
const MAX_VDS_DESCRIPTORS = 64;
const MAX_VDS_POINTER_HOPS = 8;
const MAX_AED_HOPS = 256;
const MAX_EXTENTS = 65536;
const MAX_SYMLINK_BYTES = 4096;

interface LbAddr {
  lbn: number;
  partRef: number;
}

interface PartitionMap {
  kind: 'physical' | 'metadata';
  partitionNumber: number;
  metadataFileLbn?: number;
}

export interface UdfVolumeInfo {
  volumeId: string;
  logicalVolumeId: string;
  blockSize: number;
  udfRevision: string | null;
}

/** OSTA CS0 "compressed unicode" (UDF 2.1.1): 8 = one byte per char, 16 = UCS-2BE; 254/255 likewise. */
export function decodeOstaUnicode(b: Buffer): string {
  if (b.length === 0) return '';
  const comp = b[0];
  const body = b.subarray(1);
  if (comp === 8 || comp === 254) return body.toString('latin1');
  if (comp === 16 || comp === 255) {
    const even = body.length & ~1;
    const sw = Buffer.alloc(even);
    for (let i = 0; i < even; i += 2) {
      sw[i] = body[i + 1] ?? 0;
      sw[i + 1] = body[i] ?? 0;
    }
    return sw.toString('utf16le');
  }
  return '';
}

/** A dstring (ECMA-167 1/7.2.12): the last byte holds the used length. */
function dstring(b: Buffer, off: number, len: number): string {
  const used = b[off + len - 1] ?? 0;
  if (used === 0 || used > len - 1) return '';
  return decodeOstaUnicode(b.subarray(off, off + used)).replace(/\0+$/, '');
}

/** ECMA-167 1/7.3: timestamp; timezone is a 12-bit signed minute offset (-2047 = none). */
function timestamp(b: Buffer, off: number): number {
  if (off + 12 > b.length) return 0;
  const tt = b.readUInt16LE(off);
  let tz = tt & 0x0fff;
  if (tz & 0x0800) tz -= 0x1000;
  const year = b.readInt16LE(off + 2);
  const month = b[off + 4] ?? 0;
  if (year === 0 || month === 0) return 0;
  const ms = Date.UTC(year, month - 1, b[off + 5] ?? 1, b[off + 6] ?? 0, b[off + 7] ?? 0, b[off + 8] ?? 0, (b[off + 9] ?? 0) * 10);
  if (!Number.isFinite(ms)) return 0;
  return tz === -2047 || (tt >> 12) !== 1 ? ms : ms - tz * 60_000;
}

/** ECMA-167 3/7.2: checks the tag checksum and, optionally, the tag id and recorded location. */
export function checkTag(b: Buffer, expectId: number | null, location: number | null): number | null {
  if (b.length < 16) return null;
  let sum = 0;
  for (let i = 0; i < 16; i++) if (i !== 4) sum = (sum + (b[i] ?? 0)) & 0xff;
  if (sum !== b[4]) return null;
  const id = b.readUInt16LE(0);
  if (expectId !== null && id !== expectId) return null;
  if (location !== null && b.readUInt32LE(12) !== location) return null;
  return id;
}

function longAd(b: Buffer, off: number): { length: number; type: number; addr: LbAddr } {
  const raw = b.readUInt32LE(off);
  return { length: raw & 0x3fffffff, type: raw >>> 30, addr: { lbn: b.readUInt32LE(off + 4), partRef: b.readUInt16LE(off + 8) } };
}

/** POSIX mode from UDF permissions (ECMA-167 4/14.9.5): 5 bits per class, x=1 w=2 r=4 like POSIX. */
function posixMode(perm: number, type: number): number {
  const bits = (((perm >> 10) & 7) << 6) | (((perm >> 5) & 7) << 3) | (perm & 7);
  const fmt = type === IcbFileType.Directory ? 0o040000 : type === IcbFileType.Symlink ? 0o120000 : 0o100000;
  return fmt | bits;
}

/** Is there a UDF anchor (AVDP) at sector 256, N-256 or N-1? */
export async function findAnchor(file: ImageFile): Promise<Buffer | null> {
  const last = Math.floor(file.size / SECTOR_SIZE) - 1;
  for (const s of [ANCHOR_SECTOR, last - 256, last]) {
    if (s < ANCHOR_SECTOR || (s + 1) * SECTOR_SIZE > file.size) continue;
    const b = await file.readSectors(s, 1, `UDF anchor at sector ${s}`);
    if (checkTag(b, UdfTag.AnchorPointer, s) !== null) return b;
  }
  return null;
}

export class UdfTree implements VolumeTree {
  readonly names = NameScheme.Udf;
  readonly root: VolumeEntry;
  readonly info: UdfVolumeInfo;
  private readonly bs: number;

  private constructor(
    private readonly file: ImageFile,
    info: UdfVolumeInfo,
    private readonly partStart: Map<number, { start: number; length: number }>,
    private readonly maps: PartitionMap[],
    private metadataExtents: DataExtent[] | null,
    root: VolumeEntry,
  ) {
    this.info = info;
    this.bs = info.blockSize;
    this.root = root;
  }

  static async open(file: ImageFile): Promise<UdfTree> {
    const anchor = await findAnchor(file);
    if (!anchor) throw new IsoError(IsoErrorKind.NotAnImage, 'not a UDF image: no anchor volume descriptor at sector 256');
    let extLen = anchor.readUInt32LE(16);
    let extLoc = anchor.readUInt32LE(20);
    const parts = new Map<number, { start: number; length: number }>();
    let lvd: Buffer | null = null;
    let pvdVolumeId = '';
    let hops = 0;
    let seen = 0;
    // Volume descriptor sequence (ECMA-167 3/8.4.2), possibly continued by Volume Descriptor Pointers.
    outer: for (;;) {
      const count = Math.min(Math.floor(extLen / SECTOR_SIZE), MAX_VDS_DESCRIPTORS);
      let next: { len: number; loc: number } | null = null;
      for (let i = 0; i < count; i++) {
        if (++seen > MAX_VDS_DESCRIPTORS) break outer;
        const s = extLoc + i;
        const b = await file.readSectors(s, 1, `UDF volume descriptor at sector ${s}`);
        const id = checkTag(b, null, null);
        if (id === null) break;
        if (id === UdfTag.PrimaryVolume && !pvdVolumeId) pvdVolumeId = dstring(b, 24, 32);
        else if (id === UdfTag.Partition) {
          const num = b.readUInt16LE(22);
          // Later descriptors with a higher sequence number replace earlier ones; first one is enough here.
          if (!parts.has(num)) parts.set(num, { start: b.readUInt32LE(188), length: b.readUInt32LE(192) });
        } else if (id === UdfTag.LogicalVolume && !lvd) lvd = b;
        else if (id === UdfTag.VolumePointer) next = { len: b.readUInt32LE(20), loc: b.readUInt32LE(24) };
        else if (id === UdfTag.Terminating) break;
      }
      if (!next || ++hops > MAX_VDS_POINTER_HOPS) break;
      extLen = next.len;
      extLoc = next.loc;
    }
    if (!lvd) throw new IsoError(IsoErrorKind.Corrupt, 'UDF image has no logical volume descriptor');
    if (parts.size === 0) throw new IsoError(IsoErrorKind.Corrupt, 'UDF image has no partition descriptor');
    const blockSize = lvd.readUInt32LE(212);
    if (blockSize !== SECTOR_SIZE) throw new IsoError(IsoErrorKind.Unsupported, `UDF logical block size ${blockSize} (only 2048-byte blocks are read)`);
    const domain = lvd.subarray(216, 248);
    const udfRev = domain.toString('latin1', 1, 20).startsWith('*OSTA UDF Compliant') ? `${(domain[25] ?? 0).toString(16)}.${(domain[24] ?? 0).toString(16).padStart(2, '0')}` : null;
    const fsd = longAd(lvd, 248);
    const mapCount = Math.min(lvd.readUInt32LE(268), 64);
    const maps: PartitionMap[] = [];
    let off = 440;
    for (let i = 0; i < mapCount && off + 2 <= lvd.length; i++) {
      const type = lvd[off] ?? 0;
      const len = lvd[off + 1] ?? 0;
      if (len < 6 || off + len > lvd.length) break;
      if (type === 1) maps.push({ kind: 'physical', partitionNumber: lvd.readUInt16LE(off + 4) });
      else if (type === 2 && len >= 64) {
        // regid (ECMA-167 1/7.4): flags byte, then a 23-byte identifier.
        const ident = lvd.toString('latin1', off + 5, off + 28).replace(/\0+$/, '').replace(/[^\x20-\x7e]/g, '?');
        const partitionNumber = lvd.readUInt16LE(off + 38);
        if (ident.startsWith('*UDF Metadata Partition')) maps.push({ kind: 'metadata', partitionNumber, metadataFileLbn: lvd.readUInt32LE(off + 40) });
        // Sparable partitions (CD-RW) read like physical ones on an image; virtual (VAT) ones need the VAT.
        else if (ident.startsWith('*UDF Sparable Partition')) maps.push({ kind: 'physical', partitionNumber });
        else throw new IsoError(IsoErrorKind.Unsupported, `UDF partition map "${ident}" is not supported (only physical, sparable and metadata partitions)`);
      }
      off += len;
    }
    const info: UdfVolumeInfo = { volumeId: pvdVolumeId || dstring(lvd, 84, 128), logicalVolumeId: dstring(lvd, 84, 128), blockSize, udfRevision: udfRev };
    const placeholder: VolumeEntry = { name: '', type: EntryType.Directory, size: 0, mtimeMs: 0, mode: null, linkTarget: null, data: NO_DATA, dirKey: null };
    const tree = new UdfTree(file, info, parts, maps, null, placeholder);
    const metaIndex = maps.findIndex((m) => m.kind === 'metadata');
    if (metaIndex >= 0) {
      const meta = maps[metaIndex];
      const physRef = maps.findIndex((m) => m.kind === 'physical' && m.partitionNumber === meta?.partitionNumber);
      if (physRef < 0 || meta?.metadataFileLbn === undefined) throw new IsoError(IsoErrorKind.Corrupt, 'UDF metadata partition without its physical partition');
      const fe = await tree.readFileEntry({ lbn: meta.metadataFileLbn, partRef: physRef }, 'UDF metadata file');
      if (fe.data.kind !== 'extents') throw new IsoError(IsoErrorKind.Corrupt, 'UDF metadata file has inline data');
      tree.metadataExtents = fe.data.extents;
    }
    // File Set Descriptor (ECMA-167 4/14.1): the root directory ICB at byte 400.
    const fsdBuf = await tree.readBlock(fsd.addr, 'UDF file set descriptor');
    if (checkTag(fsdBuf, UdfTag.FileSet, null) === null) throw new IsoError(IsoErrorKind.Corrupt, `UDF file set descriptor at block ${fsd.addr.lbn} has a bad tag`);
    const rootIcb = longAd(fsdBuf, 400);
    const rootFe = await tree.readFileEntry(rootIcb.addr, 'UDF root directory');
    if (rootFe.type !== EntryType.Directory) throw new IsoError(IsoErrorKind.Corrupt, 'UDF root ICB is not a directory');
    (tree as { root: VolumeEntry }).root = { ...rootFe, name: '' };
    return tree;
  }

  /** Absolute byte ranges of `length` bytes starting at logical block `addr`. */
  private map(addr: LbAddr, length: number, what: string): DataExtent[] {
    const m = this.maps[addr.partRef];
    if (!m) throw new IsoError(IsoErrorKind.Corrupt, `${what}: partition reference ${addr.partRef} does not exist`);
    if (m.kind === 'physical') {
      const p = this.partStart.get(m.partitionNumber);
      if (!p) throw new IsoError(IsoErrorKind.Corrupt, `${what}: partition ${m.partitionNumber} has no descriptor`);
      return [{ position: (p.start + addr.lbn) * this.bs, length }];
    }
    // Metadata partition (UDF 2.2.13): its blocks are the bytes of the metadata file, wherever those lie.
    const ext = this.metadataExtents;
    if (!ext) throw new IsoError(IsoErrorKind.Corrupt, `${what}: metadata partition not loaded`);
    const out: DataExtent[] = [];
    let want = addr.lbn * this.bs;
    let left = length;
    for (const e of ext) {
      if (left <= 0) break;
      if (want >= e.length) {
        want -= e.length;
        continue;
      }
      const n = Math.min(e.length - want, left);
      out.push(e.zero ? { position: 0, length: n, zero: true } : { position: e.position + want, length: n });
      left -= n;
      want = 0;
    }
    if (left > 0) throw new IsoError(IsoErrorKind.Corrupt, `${what}: block ${addr.lbn} lies beyond the UDF metadata file`);
    return out;
  }

  private async readMapped(extents: DataExtent[], what: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const e of extents) parts.push(e.zero ? Buffer.alloc(e.length) : await this.file.readAt(e.position, e.length, what));
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  readBlock(addr: LbAddr, what: string): Promise<Buffer> {
    return this.readMapped(this.map(addr, this.bs, what), `${what} at block ${addr.lbn}`);
  }

  /** Reads a (Extended) File Entry and turns it into a VolumeEntry with its data extents. */
  async readFileEntry(addr: LbAddr, what: string): Promise<VolumeEntry> {
    const b = await this.readBlock(addr, what);
    const id = checkTag(b, null, null);
    if (id !== UdfTag.FileEntry && id !== UdfTag.ExtendedFileEntry) {
      throw new IsoError(IsoErrorKind.Corrupt, `${what}: block ${addr.lbn} is not a file entry (tag ${id ?? 'invalid'})`);
    }
    const efe = id === UdfTag.ExtendedFileEntry;
    const fileType = b[27] ?? 0;
    const icbFlags = b.readUInt16LE(34);
    const perm = b.readUInt32LE(44);
    const infoLength = Number(b.readBigUInt64LE(56));
    const mtimeMs = timestamp(b, efe ? 92 : 84);
    const lEa = b.readUInt32LE(efe ? 208 : 168);
    const lAd = b.readUInt32LE(efe ? 212 : 172);
    const adStart = (efe ? 216 : 176) + lEa;
    if (adStart + lAd > b.length) throw new IsoError(IsoErrorKind.Corrupt, `${what}: allocation descriptors overrun the file entry at block ${addr.lbn}`);
    if (!Number.isSafeInteger(infoLength)) throw new IsoError(IsoErrorKind.Corrupt, `${what}: impossible file length`);
    const form = icbFlags & 7;
    let data: FileData;
    if (form === AdForm.Inline) {
      data = { kind: 'inline', bytes: Buffer.from(b.subarray(adStart, adStart + Math.min(lAd, infoLength))) };
    } else {
      data = { kind: 'extents', extents: await this.allocation(b.subarray(adStart, adStart + lAd), form, addr.partRef, infoLength, what) };
    }
    const type = fileType === IcbFileType.Directory ? EntryType.Directory : fileType === IcbFileType.Symlink ? EntryType.Symlink : EntryType.File;
    const entry: VolumeEntry = {
      name: '',
      type,
      size: infoLength,
      mtimeMs,
      mode: posixMode(perm, fileType),
      linkTarget: null,
      data,
      dirKey: type === EntryType.Directory ? `u${addr.partRef}:${addr.lbn}` : null,
    };
    if (type === EntryType.Symlink) {
      const raw = infoLength <= MAX_SYMLINK_BYTES ? await this.readData(data, infoLength, what) : Buffer.alloc(0);
      entry.linkTarget = symlinkTarget(raw);
      entry.data = NO_DATA;
    }
    return entry;
  }

  /** Allocation descriptors (ECMA-167 4/14.14), following Allocation Extent Descriptors (type 3). */
  private async allocation(area: Buffer, form: number, partRef: number, infoLength: number, what: string): Promise<DataExtent[]> {
    const out: DataExtent[] = [];
    let remaining = infoLength;
    let cur: Buffer | null = area;
    let hops = 0;
    while (cur && remaining > 0) {
      const step = form === AdForm.Short ? 8 : form === AdForm.Long ? 16 : form === AdForm.Extended ? 20 : 0;
      if (step === 0) throw new IsoError(IsoErrorKind.Corrupt, `${what}: unknown allocation descriptor form ${form}`);
      let next: LbAddr | null = null;
      for (let p = 0; p + step <= cur.length && remaining > 0; p += step) {
        const raw = cur.readUInt32LE(p);
        const len = raw & 0x3fffffff;
        const type = raw >>> 30;
        if (len === 0) break;
        const addr: LbAddr =
          form === AdForm.Short ? { lbn: cur.readUInt32LE(p + 4), partRef }
          : form === AdForm.Long ? { lbn: cur.readUInt32LE(p + 4), partRef: cur.readUInt16LE(p + 8) }
          : { lbn: cur.readUInt32LE(p + 12), partRef: cur.readUInt16LE(p + 16) };
        if (type === 3) {
          next = addr; // the rest continues in an Allocation Extent Descriptor
          break;
        }
        const n = Math.min(len, remaining);
        if (type === 0) out.push(...this.map(addr, n, what));
        else out.push({ position: 0, length: n, zero: true }); // allocated-not-recorded or sparse: zeros
        remaining -= n;
        if (out.length > MAX_EXTENTS) throw new IsoError(IsoErrorKind.LimitExceeded, `${what}: more than ${MAX_EXTENTS} extents`);
      }
      cur = null;
      if (next) {
        if (++hops > MAX_AED_HOPS) throw new IsoError(IsoErrorKind.LimitExceeded, `${what}: allocation extent chain longer than ${MAX_AED_HOPS}`);
        const aed = await this.readBlock(next, `${what} allocation extent`);
        if (checkTag(aed, UdfTag.AllocationExtent, null) === null) throw new IsoError(IsoErrorKind.Corrupt, `${what}: bad allocation extent descriptor at block ${next.lbn}`);
        const l = aed.readUInt32LE(20);
        cur = aed.subarray(24, Math.min(aed.length, 24 + l));
        partRef = next.partRef;
      }
    }
    return out;
  }

  private async readData(data: FileData, length: number, what: string): Promise<Buffer> {
    if (data.kind === 'inline') return data.bytes.subarray(0, length);
    const buf = await this.readMapped(data.extents, what);
    return buf.subarray(0, length);
  }

  async readDirectory(dir: VolumeEntry, where: string): Promise<VolumeEntry[]> {
    if (dir.size > MAX_DIRECTORY_BYTES) throw new IsoError(IsoErrorKind.LimitExceeded, `UDF directory ${where} claims ${dir.size} bytes (limit ${MAX_DIRECTORY_BYTES})`);
    if (dataLength(dir.data) < dir.size) throw new IsoError(IsoErrorKind.Corrupt, `UDF directory ${where}: its extents do not cover its size`);
    const buf = await this.readData(dir.data, dir.size, `UDF directory ${where}`);
    const out: VolumeEntry[] = [];
    let off = 0;
    while (off + 38 <= buf.length) {
      const tag = buf.subarray(off, off + 16);
      if (checkTag(tag, UdfTag.FileIdentifier, null) === null) {
        throw new IsoError(IsoErrorKind.Corrupt, `UDF directory ${where}: bad file identifier descriptor at byte ${off}`);
      }
      const chars = buf[off + 18] ?? 0;
      const lFi = buf[off + 19] ?? 0;
      const icb = longAd(buf, off + 20);
      const lIu = buf.readUInt16LE(off + 36);
      const nameStart = off + 38 + lIu;
      const total = 4 * Math.ceil((38 + lIu + lFi) / 4);
      if (nameStart + lFi > buf.length) throw new IsoError(IsoErrorKind.Corrupt, `UDF directory ${where}: file identifier overruns the directory at byte ${off}`);
      if (!(chars & (FidFlag.Deleted | FidFlag.Parent))) {
        const name = decodeOstaUnicode(buf.subarray(nameStart, nameStart + lFi));
        const fe = await this.readFileEntry(icb.addr, `UDF entry ${where}/${name}`);
        fe.name = name;
        out.push(fe);
      }
      off += total;
    }
    return out;
  }
}

/** ECMA-167 4/14.16: symlink data is a list of path components. */
function symlinkTarget(raw: Buffer): string {
  const parts: string[] = [];
  let absolute = false;
  let p = 0;
  while (p + 4 <= raw.length) {
    const type = raw[p] ?? 0;
    const len = raw[p + 1] ?? 0;
    const ident = raw.subarray(p + 4, p + 4 + len);
    if (type === 1 || type === 2) {
      absolute = true;
      parts.length = 0;
    } else if (type === 3) parts.push('..');
    else if (type === 4) parts.push('.');
    else if (type === 5) parts.push(decodeOstaUnicode(ident));
    p += 4 + len;
  }
  return (absolute ? '/' : '') + parts.join('/');
}
