/**
 * ISO 9660 (ECMA-119) with Joliet and Rock Ridge (SUSP 1.12 / RRIP 1.12). Reads the volume descriptor set
 * and parses directories on demand into VolumeEntry lists. Every length and pointer is checked; every
 * chain (CE continuation areas, volume descriptors) has a hop limit.
 */
import { IsoError, IsoErrorKind } from './iso-errors';
import { SECTOR_SIZE, type ImageFile } from './image-file';
import { EntryType, NameScheme, NO_DATA, type DataExtent, type VolumeEntry, type VolumeTree } from './volume-tree';

/** ECMA-119 8.1: volume descriptor types. */
export const VolumeDescriptorType = { BootRecord: 0, Primary: 1, Supplementary: 2, Partition: 3, Terminator: 255 } as const;

/** ECMA-119 9.1.6: file flags of a directory record. */
export const FileFlag = { Hidden: 0x01, Directory: 0x02, Associated: 0x04, Record: 0x08, Protection: 0x10, MultiExtent: 0x80 } as const;

/** Joliet: escape sequences in the SVD (bytes 88..120) for UCS-2 levels 1, 2 and 3. */
const JOLIET_ESCAPES = ['%/@', '%/C', '%/E'] as const;

/** UDF (ECMA-167 2/9.1) volume recognition sequence identifiers that can follow the ISO descriptors. */
const UDF_VRS_IDS = ['BEA01', 'NSR02', 'NSR03', 'TEA01', 'BOOT2', 'CDW02'] as const;

/** The system area is sectors 0-15; descriptors start at 16 (ECMA-119 6.2.1). */
export const FIRST_DESCRIPTOR_SECTOR = 16;
/** Real images have 2 to 6 descriptors; 64 sectors is far beyond any of them. */
const MAX_DESCRIPTORS = 64;
/** A directory larger than this is a corrupt length (a 10,000-file directory with RR is about 2 MB). */
export const MAX_DIRECTORY_BYTES = 32 * 1024 * 1024;
/** CE continuation areas per directory record, and their total size (SUSP 5.1). */
const MAX_CE_HOPS = 16;
const MAX_SUSP_BYTES = 64 * 1024;

export interface PrimaryVolume {
  volumeId: string;
  systemId: string;
  publisherId: string;
  applicationId: string;
  volumeSetId: string;
  /** Volume space size in logical blocks. */
  volumeBlocks: number;
  blockSize: number;
  rootLba: number;
  rootSize: number;
  creationMs: number | null;
}

export interface DescriptorSet {
  primary: PrimaryVolume | null;
  joliet: PrimaryVolume | null;
  bootCatalogLba: number | null;
  /** A UDF volume recognition sequence (NSR02/NSR03) was seen. */
  hasUdfVrs: boolean;
}

const ascii = (b: Buffer, start: number, len: number) => b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '');

export function decodeUcs2Be(b: Buffer): string {
  const even = b.length & ~1;
  const swapped = Buffer.alloc(even);
  for (let i = 0; i < even; i += 2) {
    swapped[i] = b[i + 1] ?? 0;
    swapped[i + 1] = b[i] ?? 0;
  }
  return swapped.toString('utf16le');
}

const ucs2 = (b: Buffer, start: number, len: number) => decodeUcs2Be(b.subarray(start, start + len)).replace(/[\0 ]+$/, '');

/** ECMA-119 8.4.26.1: 17-byte "YYYYMMDDHHMMSScc" + offset in 15-minute units. */
function longDate(b: Buffer, off: number): number | null {
  const s = b.toString('latin1', off, off + 16);
  if (!/^\d{16}$/.test(s) || s.startsWith('0000')) return null;
  const tz = b.readInt8(off + 16);
  const ms = Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14), +s.slice(14, 16) * 10);
  return Number.isFinite(ms) ? ms - tz * 15 * 60_000 : null;
}

/** ECMA-119 9.1.5: 7-byte recording date (years since 1900 ... offset in 15-minute units). */
function shortDate(b: Buffer, off: number): number {
  if (off + 7 > b.length) return 0;
  const y = b[off] ?? 0;
  const mo = b[off + 1] ?? 0;
  if (mo === 0) return 0;
  const ms = Date.UTC(1900 + y, mo - 1, b[off + 2] ?? 1, b[off + 3] ?? 0, b[off + 4] ?? 0, b[off + 5] ?? 0);
  return Number.isFinite(ms) ? ms - b.readInt8(off + 6) * 15 * 60_000 : 0;
}

function parsePrimary(b: Buffer, joliet: boolean): PrimaryVolume {
  const text = joliet ? ucs2 : ascii;
  const blockSize = b.readUInt16LE(128);
  return {
    systemId: text(b, 8, 32),
    volumeId: text(b, 40, 32),
    volumeBlocks: b.readUInt32LE(80),
    blockSize,
    // Root directory record: ECMA-119 8.4.18, a 34-byte directory record at byte 156.
    rootLba: b.readUInt32LE(156 + 2),
    rootSize: b.readUInt32LE(156 + 10),
    volumeSetId: text(b, 190, 128),
    publisherId: text(b, 318, 128),
    applicationId: text(b, 574, 128),
    creationMs: longDate(b, 813),
  };
}

/** Reads the descriptors from sector 16 until the terminator (and any UDF recognition sequence after it). */
export async function readDescriptorSet(file: ImageFile): Promise<DescriptorSet> {
  const set: DescriptorSet = { primary: null, joliet: null, bootCatalogLba: null, hasUdfVrs: false };
  if (file.size < (FIRST_DESCRIPTOR_SECTOR + 1) * SECTOR_SIZE) {
    throw new IsoError(IsoErrorKind.NotAnImage, `not an ISO 9660 or UDF image: ${file.size} bytes is too small to hold a volume descriptor (sector 16)`);
  }
  let sawCd001 = false;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const sector = FIRST_DESCRIPTOR_SECTOR + i;
    if ((sector + 1) * SECTOR_SIZE > file.size) {
      if (sawCd001 && !set.primary) break;
      break;
    }
    const b = await file.readSectors(sector, 1, `volume descriptor at sector ${sector}`);
    const id = b.toString('latin1', 1, 6);
    if (id === 'CD001') {
      sawCd001 = true;
      const type = b[0];
      if (type === VolumeDescriptorType.Primary && !set.primary) set.primary = parsePrimary(b, false);
      else if (type === VolumeDescriptorType.Supplementary && !set.joliet) {
        const esc = b.toString('latin1', 88, 120);
        if (JOLIET_ESCAPES.some((e) => esc.includes(e))) set.joliet = parsePrimary(b, true);
      } else if (type === VolumeDescriptorType.BootRecord && b.toString('latin1', 7, 30) === 'EL TORITO SPECIFICATION') {
        set.bootCatalogLba = b.readUInt32LE(71);
      }
      // The terminator ends the ISO set; a UDF recognition sequence may still follow, so keep going.
      continue;
    }
    if ((UDF_VRS_IDS as readonly string[]).includes(id)) {
      if (id === 'NSR02' || id === 'NSR03') set.hasUdfVrs = true;
      continue;
    }
    break;
  }
  if (set.primary) validatePrimary(set.primary, 'primary', file.size);
  if (set.joliet) {
    try {
      validatePrimary(set.joliet, 'Joliet', file.size);
    } catch {
      set.joliet = null; // a broken Joliet SVD is ignored when the primary tree is usable
    }
  }
  return set;
}

function validatePrimary(v: PrimaryVolume, which: string, fileSize: number): void {
  if (v.blockSize !== 2048 && v.blockSize !== 1024 && v.blockSize !== 512) {
    throw new IsoError(IsoErrorKind.Corrupt, `${which} volume descriptor has logical block size ${v.blockSize}; ISO 9660 allows 512, 1024 or 2048`);
  }
  if (v.rootSize === 0 || v.rootSize > MAX_DIRECTORY_BYTES) {
    throw new IsoError(IsoErrorKind.Corrupt, `${which} volume descriptor: root directory size ${v.rootSize} is impossible`);
  }
  if (v.rootLba * v.blockSize + v.rootSize > fileSize) {
    throw new IsoError(IsoErrorKind.Truncated, `truncated: root directory at sector ${v.rootLba} lies beyond the end of the file (size ${fileSize})`);
  }
}

/** One parsed directory record (ECMA-119 9.1) with its Rock Ridge fields. */
interface DirRecord {
  lba: number;
  size: number;
  flags: number;
  earLength: number;
  interleaved: boolean;
  isoName: string;
  mtimeMs: number;
  rr: RockRidge | null;
}

interface RockRidge {
  name: string | null;
  mode: number | null;
  mtimeMs: number | null;
  linkTarget: string | null;
  childLink: number | null;
  relocated: boolean;
}

/** RRIP 1.12 4.1.1: POSIX file type bits in PX. */
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

export class Iso9660Tree implements VolumeTree {
  readonly names: NameScheme;
  readonly root: VolumeEntry;
  private readonly bs: number;
  private readonly joliet: boolean;
  /** SUSP SP "bytes skipped" (SUSP 5.3), from the root's '.' record; null when there is no Rock Ridge. */
  private readonly suspSkip: number | null;

  private constructor(private readonly file: ImageFile, vol: PrimaryVolume, joliet: boolean, suspSkip: number | null) {
    this.bs = vol.blockSize;
    this.joliet = joliet;
    this.suspSkip = suspSkip;
    this.names = joliet ? NameScheme.Joliet : suspSkip !== null ? NameScheme.RockRidge : NameScheme.Iso9660;
    this.root = {
      name: '',
      type: EntryType.Directory,
      size: vol.rootSize,
      mtimeMs: vol.creationMs ?? 0,
      mode: null,
      linkTarget: null,
      data: { kind: 'extents', extents: [{ position: vol.rootLba * vol.blockSize, length: vol.rootSize }] },
      dirKey: `i${vol.rootLba}`,
    };
  }

  /** Opens the tree of one descriptor; for the primary tree, detects Rock Ridge from the root's SP entry. */
  static async open(file: ImageFile, vol: PrimaryVolume, joliet: boolean): Promise<Iso9660Tree> {
    let skip: number | null = null;
    if (!joliet) skip = await detectRockRidge(file, vol);
    return new Iso9660Tree(file, vol, joliet, skip);
  }

  get hasRockRidge(): boolean {
    return this.suspSkip !== null;
  }

  async readDirectory(dir: VolumeEntry, where: string): Promise<VolumeEntry[]> {
    const extent = dir.data.kind === 'extents' ? dir.data.extents[0] : undefined;
    if (!extent) return [];
    const lba = extent.position / this.bs;
    if (extent.length > MAX_DIRECTORY_BYTES) {
      throw new IsoError(IsoErrorKind.LimitExceeded, `directory ${where} at sector ${lba} claims ${extent.length} bytes (limit ${MAX_DIRECTORY_BYTES})`);
    }
    if (extent.position + extent.length > this.file.size) {
      throw new IsoError(IsoErrorKind.Truncated, `truncated: directory ${where} at sector ${lba} lies beyond the end of the file (size ${this.file.size})`);
    }
    const buf = await this.file.readAt(extent.position, extent.length, `directory ${where} at sector ${lba}`);
    const records = await this.parseRecords(buf, lba);
    const out: VolumeEntry[] = [];
    let pending: { rec: DirRecord; extents: DataExtent[]; size: number } | null = null;
    const flush = () => {
      if (pending) out.push(this.toEntry(pending.rec, pending.extents, pending.size));
      pending = null;
    };
    for (const rec of records.slice(2)) {
      if (rec.flags & FileFlag.Associated) continue; // Apple resource forks and the like
      if (rec.rr?.relocated) continue; // RRIP 4.1.5.3: the real place of this directory is its CL entry
      const ext: DataExtent = { position: (rec.lba + rec.earLength) * this.bs, length: rec.size };
      if (pending && pending.rec.isoName === rec.isoName) {
        // ECMA-119 6.5.1: a multi-extent file is consecutive records of the same name, 0x80 on all but the last.
        pending.extents.push(ext);
        pending.size += rec.size;
      } else {
        flush();
        pending = { rec, extents: [ext], size: rec.size };
      }
      if (!(rec.flags & FileFlag.MultiExtent)) flush();
    }
    flush();
    // CL (RRIP 4.1.5.1): a placeholder file whose real directory was moved (deep trees); read its size.
    for (const e of out) {
      const cl = e.type === EntryType.Directory && e.dirKey?.startsWith('c') ? Number(e.dirKey.slice(1)) : null;
      if (cl === null) continue;
      const first = await this.file.readAt(cl * this.bs, Math.min(this.bs, 256), `relocated directory ${where}/${e.name} at sector ${cl}`);
      const len = first[0] ?? 0;
      if (len < 34) throw new IsoError(IsoErrorKind.Corrupt, `relocated directory ${where}/${e.name} at sector ${cl} has no '.' record`);
      const size = first.readUInt32LE(10);
      e.size = size;
      e.data = { kind: 'extents', extents: [{ position: cl * this.bs, length: size }] };
      e.dirKey = `i${cl}`;
    }
    // The relocation directory (mkisofs "rr_moved", xorriso ".rr_moved") is empty once its RE entries
    // are hidden: hide it too, as the Linux kernel and libarchive do, so listings show the real tree.
    if (this.suspSkip !== null && dir.dirKey === this.root.dirKey) {
      const keep: VolumeEntry[] = [];
      for (const e of out) {
        if (e.type === EntryType.Directory && e.dirKey !== this.root.dirKey && /^\.?rr_moved$/i.test(e.name) && (await this.readDirectory(e, `${where}${e.name}`)).length === 0) continue;
        keep.push(e);
      }
      return keep;
    }
    return out;
  }

  private toEntry(rec: DirRecord, extents: DataExtent[], size: number): VolumeEntry {
    const rr = rec.rr;
    const isDir = (rec.flags & FileFlag.Directory) !== 0 || (rr?.childLink ?? null) !== null;
    const isLink = !isDir && rr?.linkTarget != null && ((rr.mode ?? S_IFLNK) & S_IFMT) === S_IFLNK;
    const name = rr?.name ?? cleanIsoName(rec.isoName, this.joliet);
    const type = isDir ? EntryType.Directory : isLink ? EntryType.Symlink : EntryType.File;
    const entry: VolumeEntry = {
      name,
      type,
      size: type === EntryType.File ? size : type === EntryType.Symlink ? Buffer.byteLength(rr?.linkTarget ?? '') : size,
      mtimeMs: rr?.mtimeMs ?? rec.mtimeMs,
      mode: rr?.mode ?? null,
      linkTarget: isLink ? (rr?.linkTarget ?? null) : null,
      data: type === EntryType.Symlink ? NO_DATA : { kind: 'extents', extents },
      dirKey: null,
    };
    if (isDir) entry.dirKey = rr?.childLink != null ? `c${rr.childLink}` : `i${rec.lba}`;
    if (rec.interleaved && type === EntryType.File) {
      // ECMA-119 6.4.3 interleaving: no mastering tool used for OS media writes it; refuse to misread it.
      // Its data is left empty, so reading it fails with "data does not cover its size" instead.
      entry.data = { kind: 'extents', extents: [] };
    }
    return entry;
  }

  private async parseRecords(buf: Buffer, lba: number): Promise<DirRecord[]> {
    const out: DirRecord[] = [];
    let off = 0;
    while (off < buf.length) {
      const len = buf[off] ?? 0;
      const sectorEnd = (Math.floor(off / this.bs) + 1) * this.bs;
      // ECMA-119 6.8.1.1: records never span a sector; a zero length byte pads to the next sector.
      if (len === 0 || off + len > sectorEnd || len < 34) {
        off = sectorEnd;
        continue;
      }
      const nameLen = buf[off + 32] ?? 0;
      if (33 + nameLen > len) {
        off = sectorEnd; // malformed record: skip the rest of this sector rather than read garbage
        continue;
      }
      const nameBytes = buf.subarray(off + 33, off + 33 + nameLen);
      const flags = buf[off + 25] ?? 0;
      const rec: DirRecord = {
        lba: buf.readUInt32LE(off + 2),
        size: buf.readUInt32LE(off + 10),
        flags,
        earLength: buf[off + 1] ?? 0,
        interleaved: (buf[off + 26] ?? 0) !== 0,
        isoName: nameLen === 1 && (nameBytes[0] === 0 || nameBytes[0] === 1) ? (nameBytes[0] === 0 ? '.' : '..') : this.joliet ? decodeUcs2Be(nameBytes) : nameBytes.toString('latin1'),
        mtimeMs: shortDate(buf, off + 18),
        rr: null,
      };
      if (this.suspSkip !== null) {
        const suStart = off + 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0) + this.suspSkip;
        if (suStart < off + len) rec.rr = await this.parseSusp(buf.subarray(suStart, off + len), lba);
      }
      out.push(rec);
      off += len;
    }
    return out;
  }

  /** SUSP entries of one record, following CE continuation areas with a hop and size limit. */
  private async parseSusp(area: Buffer, dirLba: number): Promise<RockRidge | null> {
    const rr: RockRidge = { name: null, mode: null, mtimeMs: null, linkTarget: null, childLink: null, relocated: false };
    let any = false;
    let nameParts: string[] | null = null;
    let linkParts: string[] | null = null;
    let linkContinues = false;
    let current: Buffer | null = area;
    let hops = 0;
    let total = area.length;
    while (current) {
      let next: { lba: number; offset: number; length: number } | null = null;
      let off = 0;
      while (off + 4 <= current.length) {
        const sig = current.toString('latin1', off, off + 2);
        const len = current[off + 2] ?? 0;
        if (len < 4 || off + len > current.length) break;
        const e = current.subarray(off, off + len);
        switch (sig) {
          case 'CE':
            if (len >= 28) next = { lba: e.readUInt32LE(4), offset: e.readUInt32LE(12), length: e.readUInt32LE(20) };
            break;
          case 'NM': {
            any = true;
            const f = e[4] ?? 0;
            nameParts ??= [];
            if (f & 0x02) nameParts.push('.');
            else if (f & 0x04) nameParts.push('..');
            else nameParts.push(e.toString('utf8', 5));
            break;
          }
          case 'PX':
            any = true;
            if (len >= 12) rr.mode = e.readUInt32LE(4);
            break;
          case 'TF':
            any = true;
            rr.mtimeMs = tfModify(e) ?? rr.mtimeMs;
            break;
          case 'SL': {
            any = true;
            linkParts ??= [];
            let p = 5;
            while (p + 2 <= e.length) {
              const cf = e[p] ?? 0;
              const cl = e[p + 1] ?? 0;
              if (p + 2 + cl > e.length) break;
              const text = cf & 0x02 ? '.' : cf & 0x04 ? '..' : cf & 0x08 ? '' : e.toString('utf8', p + 2, p + 2 + cl);
              if (linkContinues && linkParts.length) linkParts[linkParts.length - 1] += text;
              else linkParts.push(text);
              linkContinues = (cf & 0x01) !== 0;
              p += 2 + cl;
            }
            break;
          }
          case 'CL':
            any = true;
            if (len >= 12) rr.childLink = e.readUInt32LE(4);
            break;
          case 'RE':
            any = true;
            rr.relocated = true;
            break;
          case 'ST':
            off = current.length;
            continue;
          default:
            break; // PN, RR, SF, ER, ES, PL, PD, ZF...: nothing we need
        }
        off += len;
      }
      current = null;
      if (next) {
        if (++hops > MAX_CE_HOPS) throw new IsoError(IsoErrorKind.LimitExceeded, `Rock Ridge continuation (CE) chain in directory at sector ${dirLba} is longer than ${MAX_CE_HOPS} hops`);
        total += next.length;
        if (total > MAX_SUSP_BYTES || next.offset + next.length > 64 * this.bs) {
          throw new IsoError(IsoErrorKind.LimitExceeded, `Rock Ridge continuation (CE) area in directory at sector ${dirLba} is implausibly large`);
        }
        current = await this.file.readAt(next.lba * this.bs + next.offset, next.length, `Rock Ridge continuation area at sector ${next.lba}`);
      }
    }
    if (!any) return null;
    if (nameParts) rr.name = nameParts.join('');
    if (linkParts) {
      // A leading empty component is the root flag (RRIP 4.1.3.1, 0x08): an absolute target.
      rr.linkTarget = linkParts.length === 1 && linkParts[0] === '' ? '/' : linkParts.join('/');
    }
    if (rr.name === '') rr.name = null;
    return rr;
  }
}

/** RRIP 4.1.6: TF timestamps in flag order; we want "modify" (bit 1). */
function tfModify(e: Buffer): number | null {
  const flags = e[4] ?? 0;
  const long = (flags & 0x80) !== 0;
  const size = long ? 17 : 7;
  let p = 5;
  if (flags & 0x01) p += size; // creation
  if (!(flags & 0x02) || p + size > e.length) return null;
  return long ? longDate(e, p) : shortDate(e, p);
}

/** Reads the root's '.' record and looks for SUSP SP (SUSP 5.3) followed by any Rock Ridge entry. */
async function detectRockRidge(file: ImageFile, vol: PrimaryVolume): Promise<number | null> {
  const b = await file.readAt(vol.rootLba * vol.blockSize, Math.min(vol.rootSize, vol.blockSize), `root directory at sector ${vol.rootLba}`);
  const len = b[0] ?? 0;
  if (len < 34 + 7) return null;
  const nameLen = b[32] ?? 0;
  const su = 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0);
  if (su + 7 > len) return null;
  if (b.toString('latin1', su, su + 2) !== 'SP' || b[su + 4] !== 0xbe || b[su + 5] !== 0xef) return null;
  return b[su + 6] ?? 0;
}

/** ISO 9660 identifiers: drop the ";1" version and the '.' that separates an empty extension. */
export function cleanIsoName(raw: string, joliet: boolean): string {
  let n = raw;
  const semi = n.lastIndexOf(';');
  if (semi > 0 && /^;\d*$/.test(n.slice(semi))) n = n.slice(0, semi);
  if (!joliet && n.endsWith('.') && n.length > 1) n = n.slice(0, -1);
  return n;
}

export const _forTests = { S_IFDIR, S_IFLNK };
