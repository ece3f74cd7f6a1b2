/**
 * What FieldBoot found in an OS image: which installer it is, how to network-boot it, and what the
 * technician should know. Plain data: produced by the engine (electron/engine/iso/os-detect.ts), shown by
 * the UI, printed by `fieldboot iso inspect --json`.
 */

export const OsFamily = {
  Rhel: 'rhel',
  Rocky: 'rocky',
  Alma: 'alma',
  CentOs: 'centos',
  Fedora: 'fedora',
  Debian: 'debian',
  UbuntuLiveServer: 'ubuntu-live-server',
  UbuntuLegacy: 'ubuntu-legacy',
  Unknown: 'unknown',
} as const;
export type OsFamily = (typeof OsFamily)[keyof typeof OsFamily];

export const AnswerFormat = { Kickstart: 'kickstart', Preseed: 'preseed', Autoinstall: 'autoinstall' } as const;
export type AnswerFormat = (typeof AnswerFormat)[keyof typeof AnswerFormat];

/** Placeholders a kernel-argument template may hold; the boot flow substitutes them. */
export const KERNEL_ARG_PLACEHOLDERS = ['{{repo_url}}', '{{answer_url}}', '{{iso_url}}', '{{stage2_url}}'] as const;

export interface IsoBootEntrySummary {
  platform: 'bios' | 'uefi' | 'other';
  emulation: string;
  /** The file holding the boot image, when it could be matched by its sector. */
  imagePath: string | null;
}

/** Kernel and initrd for one architecture (multi-arch media list several). */
export interface IsoBootFiles {
  arch: string;
  kernel: string;
  initrd: string;
}

export interface IsoSummary {
  /** Path of the image file as given. */
  path: string;
  sizeBytes: number;
  /** Which tree names came from: 'rockridge' | 'joliet' | 'iso9660' | 'udf'. */
  filesystem: string;
  volumeId: string;
  family: OsFamily;
  /** Human name, e.g. "Rocky Linux 9.3" or "Ubuntu-Server 22.04.4 LTS". */
  name: string;
  /** e.g. "9.3", "12.5.0", "22.04.4"; null when unknown. */
  version: string | null;
  /** Primary architecture in the distro's own spelling (x86_64, amd64, aarch64, arm64). */
  arch: string | null;
  arches: string[];
  /** Media flavour when known: "dvd", "boot", "netinst", "live-server", "server", "minimal"... */
  variant: string | null;
  /** Paths inside the image, absolute ("/images/pxeboot/vmlinuz"). */
  kernel: string | null;
  initrd: string | null;
  bootFiles: IsoBootFiles[];
  /** Directory to serve as the installer's package tree / repository ("/" for a DVD). */
  installTreeRoot: string | null;
  answerFormat: AnswerFormat | null;
  /** Kernel command line with KERNEL_ARG_PLACEHOLDERS to fill in; null when unknown. */
  kernelArgsTemplate: string | null;
  minRamMb: number | null;
  firmware: { bios: boolean; uefi: boolean };
  bootEntries: IsoBootEntrySummary[];
  /** Files in the image (every directory was read and checked), or null when the tree was not walked. */
  fileCount: number | null;
  /** Things that will go wrong unless the technician knows them. */
  warnings: string[];
  /** Good-to-know facts. */
  notes: string[];
  /** Which files or fields the detection used (for diagnostics). */
  evidence: string[];
}
