/**
 * El Torito boot catalog ("El Torito" Bootable CD-ROM Format Specification 1.0, 1995; UEFI 2.x 13.3.2.1
 * for platform 0xEF). Tells which firmware can boot the disc: a BIOS (x86) entry, a UEFI entry, or both.
 */
import type { ImageFile } from './image-file';
import { SECTOR_SIZE } from './image-file';

/** El Torito 2.1 / UEFI: platform ids of the validation entry and section headers. */
export const BootPlatform = { X86: 0x00, PowerPc: 0x01, Mac: 0x02, Efi: 0xef } as const;

/** El Torito 2.2: boot media type (low nibble of byte 1 of an entry). */
export const BootMedia = { NoEmulation: 0, Floppy12: 1, Floppy144: 2, Floppy288: 3, HardDisk: 4 } as const;

const MEDIA_NAMES = ['no-emulation', 'floppy-1.2M', 'floppy-1.44M', 'floppy-2.88M', 'hard-disk'] as const;

export interface BootEntry {
  platform: 'bios' | 'uefi' | 'other';
  platformId: number;
  bootable: boolean;
  emulation: string;
  /** Sector (2048 bytes) of the boot image. */
  loadRba: number;
  /** Size in 512-byte virtual sectors, as recorded (often 0 or 1 for UEFI images: use the file size). */
  sectorCount: number;
}

const MAX_CATALOG_SECTORS = 4;
const MAX_ENTRIES = 64;

function platformOf(id: number): BootEntry['platform'] {
  return id === BootPlatform.X86 ? 'bios' : id === BootPlatform.Efi ? 'uefi' : 'other';
}

function entry(b: Buffer, off: number, platformId: number): BootEntry {
  return {
    platform: platformOf(platformId),
    platformId,
    bootable: b[off] === 0x88,
    emulation: MEDIA_NAMES[(b[off + 1] ?? 0) & 0x0f] ?? 'unknown',
    sectorCount: b.readUInt16LE(off + 6),
    loadRba: b.readUInt32LE(off + 8),
  };
}

/**
 * Parses the catalog at `lba`. Returns [] when the catalog is missing or fails validation (a bad catalog
 * only means "not bootable from this disc", never an unreadable image).
 */
export async function readBootCatalog(file: ImageFile, lba: number): Promise<BootEntry[]> {
  if ((lba + 1) * SECTOR_SIZE > file.size) return [];
  const sectors = Math.min(MAX_CATALOG_SECTORS, Math.floor(file.size / SECTOR_SIZE) - lba);
  const b = await file.readSectors(lba, sectors, `El Torito boot catalog at sector ${lba}`);
  // Validation entry (El Torito 2.1): header id 1, key bytes 55 AA, 16-bit words summing to zero.
  if (b[0] !== 0x01 || b[30] !== 0x55 || b[31] !== 0xaa) return [];
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum = (sum + b.readUInt16LE(i)) & 0xffff;
  if (sum !== 0) return [];
  const out: BootEntry[] = [entry(b, 32, b[1] ?? 0)];
  // Section headers (El Torito 2.4): 0x90 = more follow, 0x91 = final; each followed by its entries.
  let off = 64;
  while (off + 32 <= b.length && out.length < MAX_ENTRIES) {
    const hdr = b[off];
    if (hdr !== 0x90 && hdr !== 0x91) break;
    const platformId = b[off + 1] ?? 0;
    const count = b.readUInt16LE(off + 2);
    off += 32;
    for (let i = 0; i < count && off + 32 <= b.length && out.length < MAX_ENTRIES; i++) {
      out.push(entry(b, off, platformId));
      off += 32;
      // Extension entries (El Torito 2.5, indicator 0x44) continue the selection criteria: skip them.
      while (off + 32 <= b.length && b[off] === 0x44) off += 32;
    }
    if (hdr === 0x91) break;
  }
  return out;
}
