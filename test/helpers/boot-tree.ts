/**
 * A plain pxelinux boot tree (the seed's layout), built from Debian's packages, for lab boots:
 *
 *   TREE/pxelinux.0, ldlinux.c32, libcom32.c32, libutil.c32, menu.c32, vesamenu.c32   BIOS pxelinux
 *   TREE/syslinux.efi + ldlinux.e64                                                   UEFI x64 syslinux
 *   TREE/undionly.kpxe, ipxe.efi, snponly.efi                                         iPXE
 *   TREE/pxelinux.cfg/default                                                         read by both syslinuxes
 *   TREE/debian-installer/amd64/linux, initrd.gz                                      Debian 12 netboot installer
 *   TREE/boot.ipxe                                                                    same kernel, for iPXE
 *
 * Files are copied, never symlinked: the TFTP server under test refuses symlinks that leave its root.
 * syslinux.efi looks for ldlinux.e64 and pxelinux.cfg/ beside itself, so it sits at the root too; its
 * config names no .c32 module (plain KERNEL/APPEND), so the BIOS modules next to it are never loaded by it.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const RESOURCES = join(REPO, 'resources', 'boot');

export const DEBIAN_NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64';
export const DEBIAN_KERNEL = join(DEBIAN_NETBOOT, 'linux');
export const DEBIAN_INITRD = join(DEBIAN_NETBOOT, 'initrd.gz');

/** Paths inside the tree, as a client asks for them over TFTP. */
export const TREE_PATHS = {
  pxelinux: 'pxelinux.0',
  syslinuxEfi: 'syslinux.efi',
  ldlinuxE64: 'ldlinux.e64',
  undionly: 'undionly.kpxe',
  ipxeEfi: 'ipxe.efi',
  config: 'pxelinux.cfg/default',
  kernel: 'debian-installer/amd64/linux',
  initrd: 'debian-installer/amd64/initrd.gz',
  ipxeScript: 'boot.ipxe',
} as const;

/** The serial-console line showing kernel and initrd arrived and the kernel started userspace. */
export const KERNEL_RAN_INIT = /Run \/init as init process/;

/**
 * Kernel command line. `console=ttyS0` puts the kernel (and the installer) on the serial log QEMU writes;
 * no `quiet`, which would hide the KERN_INFO "Run /init as init process" line the tests wait for.
 * `panic=-1` + QEMU's -no-reboot turns a kernel panic into a QEMU exit instead of a hang.
 */
export const KERNEL_ARGS = 'console=ttyS0,115200n8 panic=-1 priority=critical';

/** Where each source file comes from: the repo's resources/boot first, then the Debian package path. */
const SOURCES: ReadonlyArray<{ dest: string; candidates: string[] }> = [
  { dest: 'pxelinux.0', candidates: [join(RESOURCES, 'pxelinux.0'), '/usr/lib/PXELINUX/pxelinux.0'] },
  ...['ldlinux.c32', 'libcom32.c32', 'libutil.c32', 'menu.c32', 'vesamenu.c32'].map((m) => ({
    dest: m,
    candidates: [join(RESOURCES, m), `/usr/lib/syslinux/modules/bios/${m}`],
  })),
  {
    dest: 'syslinux.efi',
    candidates: [join(RESOURCES, 'efi64', 'syslinux.efi'), '/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi'],
  },
  {
    dest: 'ldlinux.e64',
    candidates: [join(RESOURCES, 'efi64', 'ldlinux.e64'), '/usr/lib/syslinux/modules/efi64/ldlinux.e64'],
  },
  ...['undionly.kpxe', 'ipxe.efi', 'snponly.efi'].map((f) => ({
    dest: f,
    candidates: [join(RESOURCES, f), `/usr/lib/ipxe/${f}`],
  })),
  { dest: TREE_PATHS.kernel, candidates: [DEBIAN_KERNEL] },
  { dest: TREE_PATHS.initrd, candidates: [DEBIAN_INITRD] },
];

/** Files a lab test needs present before it builds a tree (for labGate's `files`). */
export const SEED_TREE_REQUIRED_FILES = [DEBIAN_KERNEL, DEBIAN_INITRD];

function place(src: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  // A hard link is free when both are on one filesystem; otherwise copy (never a symlink: see above).
  // Only link files from the repo, never from /usr, so nothing in the tree aliases a system file.
  if (src.startsWith(REPO)) {
    try {
      linkSync(src, dest);
      return;
    } catch {
      /* cross-device or exists: copy */
    }
  }
  copyFileSync(src, dest);
}

export function pxelinuxConfig(kernelArgs = KERNEL_ARGS): string {
  // Non-interactive: DEFAULT with no PROMPT, TIMEOUT 1 (tenths of a second), no menu module.
  return [
    'DEFAULT install',
    'PROMPT 0',
    'TIMEOUT 1',
    '',
    'LABEL install',
    `  KERNEL ${TREE_PATHS.kernel}`,
    `  APPEND initrd=${TREE_PATHS.initrd} ${kernelArgs}`,
    '',
  ].join('\n');
}

export function ipxeScript(kernelArgs = KERNEL_ARGS): string {
  // Relative names resolve against the script's own URL (tftp://server/boot.ipxe).
  return [
    '#!ipxe',
    `kernel ${TREE_PATHS.kernel} initrd=initrd.gz ${kernelArgs}`,
    `initrd ${TREE_PATHS.initrd}`,
    'boot',
    '',
  ].join('\n');
}

/** Builds the tree in `dir` (created if missing). Returns `dir`. */
export function buildSeedTree(dir: string, opts: { kernelArgs?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  for (const { dest, candidates } of SOURCES) {
    const src = candidates.find((c) => existsSync(c));
    if (!src) throw new Error(`boot tree: none of ${candidates.join(', ')} exists (install the Debian packages of LAB.md)`);
    place(src, join(dir, dest));
  }
  mkdirSync(join(dir, 'pxelinux.cfg'), { recursive: true });
  writeFileSync(join(dir, TREE_PATHS.config), pxelinuxConfig(opts.kernelArgs));
  writeFileSync(join(dir, TREE_PATHS.ipxeScript), ipxeScript(opts.kernelArgs));
  return dir;
}
