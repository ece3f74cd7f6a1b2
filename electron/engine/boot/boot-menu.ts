/**
 * The boot menu one machine gets: pure (machine, arming, images) -> menu model, rendered for iPXE, pxelinux
 * and GRUB by ipxe-menu.ts, pxelinux-menu.ts and grub-menu.ts. Every menu lists each image plus "boot from
 * local disk"; the default is local disk unless the machine is armed, so a machine nobody armed never
 * installs by itself, and an armed one installs without anyone at its console.
 */
import type { OsFamily } from '../../../shared/model/iso-summary';
import { Firmware } from './client-arch';
import { kernelArgs, type KernelArgsInput } from './kernel-args';

/** What the menu needs to know about one served image. Paths are server paths ("/iso/<id>/...") valid over TFTP and HTTP. */
export interface MenuImage {
  id: string;
  /** Shown in the menu: "Rocky Linux 9.3 x86_64". */
  name: string;
  family: OsFamily;
  version: string | null;
  /** Kernel and initrd per architecture, as server paths. */
  bootFiles: { arch: string; kernel: string; initrd: string }[];
  /** Server path of the install tree ("/iso/<id>/"), or null. */
  repoPath: string | null;
  /** Server path of the whole image ("/iso/<id>.iso"). */
  isoPath: string;
  /** Server path of this machine's answer file (or NoCloud seed dir), or null when no profile can render one. */
  answerPath: string | null;
}

export interface MenuMachine {
  /** Lower-case, colons; null when the loader did not say (a generic menu). */
  mac: string | null;
  firmware: Firmware;
  /** The image this machine is armed to install, or null when not armed. */
  armedImageId: string | null;
}

export interface MenuSettings {
  /** Seconds before the default entry boots. */
  timeoutSec: number;
  /** "http://10.77.0.1" or "http://10.77.0.1:8080": base for URLs handed to the installer. */
  httpBase: string;
  console: string | null;
  nameServers: string[];
  extraArgs?: string;
}

export interface InstallEntry {
  kind: 'install';
  /** Menu label id: letters, digits and dashes (valid in iPXE, pxelinux and GRUB). */
  id: string;
  label: string;
  imageId: string;
  family: OsFamily;
  version: string | null;
  /** Server paths. */
  kernel: string;
  initrd: string;
  args: string[];
  unattended: boolean;
}

export interface LocalEntry {
  kind: 'local';
  id: 'local';
  label: string;
}

export type MenuEntry = InstallEntry | LocalEntry;

export interface BootMenu {
  title: string;
  mac: string | null;
  entries: MenuEntry[];
  defaultId: string;
  timeoutSec: number;
}

export const LOCAL_ENTRY_ID = 'local';
export const DEFAULT_MENU_TIMEOUT_SEC = 10;

/** Architectures an image's boot files may be listed under, per firmware. */
const ARCHES_FOR: Record<Firmware, readonly string[]> = {
  [Firmware.Bios]: ['x86_64', 'amd64', 'i386', 'i686'],
  [Firmware.EfiX64]: ['x86_64', 'amd64'],
  [Firmware.EfiX64Http]: ['x86_64', 'amd64'],
  [Firmware.EfiIa32]: ['i386', 'i686'],
  [Firmware.EfiArm64]: ['aarch64', 'arm64'],
  [Firmware.EfiArm64Http]: ['aarch64', 'arm64'],
  [Firmware.Unknown]: ['x86_64', 'amd64'],
};

export function bootFilesFor(image: MenuImage, firmware: Firmware): MenuImage['bootFiles'][number] | null {
  const wanted = ARCHES_FOR[firmware];
  return image.bootFiles.find((b) => wanted.includes(b.arch)) ?? null;
}

export function entryId(index: number): string {
  return `image-${index + 1}`;
}

export function buildBootMenu(machine: MenuMachine, images: readonly MenuImage[], settings: MenuSettings): BootMenu {
  const entries: MenuEntry[] = [];
  let defaultId: string = LOCAL_ENTRY_ID;
  images.forEach((image, index) => {
    const files = bootFilesFor(image, machine.firmware);
    if (!files) return;
    const armedForThis = machine.armedImageId === image.id;
    // Only the image a machine is armed for gets the answer file: choosing another one at the console is
    // a person's decision, and it installs interactively.
    const unattended = armedForThis && image.answerPath !== null;
    const input: KernelArgsInput = {
      family: image.family,
      repoUrl: image.repoPath ? settings.httpBase + image.repoPath : null,
      isoUrl: settings.httpBase + image.isoPath,
      answerUrl: unattended && image.answerPath ? settings.httpBase + image.answerPath : null,
      mac: machine.mac,
      console: settings.console,
      nameServers: settings.nameServers,
      ...(settings.extraArgs ? { extra: settings.extraArgs } : {}),
    };
    const id = entryId(index);
    entries.push({
      kind: 'install',
      id,
      label: `Install ${image.name} (${unattended ? 'unattended' : 'interactive'})`,
      imageId: image.id,
      family: image.family,
      version: image.version,
      kernel: files.kernel,
      initrd: files.initrd,
      args: kernelArgs(input),
      unattended,
    });
    if (armedForThis) defaultId = id;
  });
  entries.push({ kind: 'local', id: LOCAL_ENTRY_ID, label: 'Boot from local disk' });
  const armed = defaultId !== LOCAL_ENTRY_ID;
  const who = machine.mac ?? 'this machine';
  return {
    title: armed ? `FieldBoot: ${who} is armed for install` : `FieldBoot: ${who} is not armed, booting from local disk`,
    mac: machine.mac,
    entries,
    defaultId,
    timeoutSec: Math.max(0, Math.round(settings.timeoutSec)),
  };
}
