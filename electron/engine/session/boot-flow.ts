/**
 * What a serving session tells each machine: its menu (iPXE over HTTP, pxelinux and GRUB over TFTP), its
 * answer file, and who is armed. Also tells the client view what each served file is (kernel, initrd,
 * answer...) and which machine fetched it. The pure decisions live in ../boot/; this holds the session's
 * state (images, profile, arming, address -> MAC) and the HTTP routes and generated TFTP files.
 */
import type { IncomingMessage } from 'node:http';
import type { Inventory } from '../../../shared/answer/inventory';
import { hostVarsFor } from '../../../shared/answer/inventory';
import { ProgressStage } from '../../../shared/answer/progress';
import { RenderError, type Profile, type RenderContext } from '../../../shared/answer/profile';
import { ANSWER_FILE_NAMES, DEFAULT_PROGRESS_PATH, renderAnswer } from '../../../shared/answer/render';
import { FileRole, nowIso, type EngineEvent, type FileEvent } from '../../../shared/model/engine-event';
import { normalizeMac } from '../../../shared/net/ipv4';
import { buildBootMenu, DEFAULT_MENU_TIMEOUT_SEC, type BootMenu, type MenuImage, type MenuSettings } from '../boot/boot-menu';
import { Firmware } from '../boot/client-arch';
import { renderGrubChainConfig, renderGrubMenu } from '../boot/grub-menu';
import { renderIpxeChainScript, renderIpxeMenu } from '../boot/ipxe-menu';
import { renderPxelinuxMenu } from '../boot/pxelinux-menu';
import type { FileGenerator } from '../files/generated-source';
import type { Log } from '../log';
import type { HttpHandlerMount, HttpReply } from '../servers/http-server';
import { describeImage, type ServedImage } from './served-images';

/** HTTP route of the per-machine iPXE menus: /ipxe/<platform>/<buildarch>/<mac with dashes>.ipxe */
export const IPXE_MENU_PREFIX = '/ipxe/';
/** HTTP route of the answer files: /answer/<mac with dashes>/<ks.cfg | preseed.cfg | user-data | meta-data> */
export const ANSWER_PREFIX = '/answer/';
/** TFTP folder of the per-machine GRUB menus: fieldboot/grub/<mac with colons>.cfg */
export const GRUB_MENU_DIR = '/fieldboot/grub/';
/**
 * Where signed network GRUBs look for grub.cfg (their prefix is built in): the TFTP root and grub/ for most,
 * EFI/BOOT/ for a GRUB loaded from the image's own EFI folder, Debian's netboot prefix, Ubuntu's.
 */
export const GRUB_CONFIG_PATHS = ['/grub.cfg', '/grub/grub.cfg', '/boot/grub/grub.cfg', '/efi/boot/grub.cfg', '/debian-installer/amd64/grub/grub.cfg'] as const;

export interface BootFlowOptions {
  serverIp: string;
  httpPort: number;
  images: readonly ServedImage[];
  profile: Profile | null;
  inventory: Inventory | null;
  menuTimeoutSec?: number;
  console?: string | null;
  /** Name servers the installers are told about (full mode's DHCP option 6, else the server itself). */
  nameServers: string[];
  extraKernelArgs?: string;
  /** False when the --root tree has its own pxelinux.cfg/ (the seed's menus win). */
  pxelinuxMenus: boolean;
  /** Who is armed (the client tracker: persisted, one-shot machines disarmed once they finish). */
  arming: { isArmed(mac: string): boolean };
  emit: (event: EngineEvent) => void;
  log: Log;
}

export interface FileClassification {
  role: FileRole;
  image?: string;
}

function dashed(mac: string): string {
  return mac.replace(/:/g, '-');
}

function firmwareFromIpxe(platform: string, buildarch: string): Firmware {
  if (platform === 'pcbios') return Firmware.Bios;
  if (buildarch === 'arm64') return Firmware.EfiArm64;
  if (buildarch === 'i386') return Firmware.EfiIa32;
  return Firmware.EfiX64;
}

const LOADER_FILE = /\.(kpxe|kkpxe|lkrn|pxe|0|c32|e64|efi)$/i;
const PACKAGE_FILE = /\.(rpm|deb|udeb)$/i;
const REPO_METADATA = /(^|\/)(repodata\/|dists\/.*\/(Release|InRelease|Release\.gpg|Packages(\.gz|\.xz)?)$|\.treeinfo$|treeinfo$)/i;
const STAGE2_FILE = /(^|\/)(images\/install\.img|LiveOS\/squashfs\.img|casper\/[^/]+\.squashfs)$/i;

export class BootFlow {
  /** The image an armed machine installs, when not the default one. */
  private readonly imageChoice = new Map<string, string>();
  private readonly clientMacs = new Map<string, string>();
  private readonly menuImagesBase: Omit<MenuImage, 'answerPath'>[];
  readonly httpBase: string;

  constructor(private readonly o: BootFlowOptions) {
    this.httpBase = `http://${o.serverIp}${o.httpPort === 80 ? '' : `:${o.httpPort}`}`;
    this.menuImagesBase = o.images.map((img) => ({
      id: img.id,
      name: describeImage(img.summary),
      family: img.summary.family,
      version: img.summary.version,
      bootFiles: img.summary.bootFiles.map((b) => ({ arch: b.arch, kernel: img.mountPath + b.kernel, initrd: img.mountPath + b.initrd })),
      repoPath: img.summary.installTreeRoot ? `${img.mountPath}${img.summary.installTreeRoot.replace(/\/?$/, '/')}` : null,
      isoPath: img.isoPath,
    }));
    for (const img of o.images) {
      if (!img.summary.bootFiles.length) o.log.warn(`${img.file}: no kernel and initrd found for network boot; it is served but not in the menus`);
      if (o.profile && !img.target) o.log.warn(`${img.file}: FieldBoot has no answer-file generator for ${img.summary.name}; it installs interactively`);
    }
  }

  /** The image an armed machine installs when none is named: the first one that can network-boot. */
  defaultImageId(): string | null {
    return this.menuImagesBase.find((i) => i.bootFiles.length > 0)?.id ?? null;
  }

  /** Which image an armed machine installs (null: the default image). */
  chooseImage(mac: string, imageId: string | null): void {
    const norm = normalizeMac(mac);
    if (!norm) throw new Error(`"${mac}" is not a MAC address`);
    if (imageId !== null && !this.o.images.some((i) => i.id === imageId)) throw new Error(`no image "${imageId}" is being served`);
    if (imageId === null) this.imageChoice.delete(norm);
    else this.imageChoice.set(norm, imageId);
  }

  /** The image this machine installs if armed, or null when it is not armed. */
  armedImage(mac: string): string | null {
    const norm = normalizeMac(mac);
    if (!norm || !this.o.arming.isArmed(norm)) return null;
    return this.imageChoice.get(norm) ?? this.defaultImageId();
  }

  private menuImages(mac: string | null): MenuImage[] {
    return this.menuImagesBase.map((base, i) => ({ ...base, answerPath: mac ? this.answerPath(this.o.images[i]!, mac) : null }));
  }

  private answerPath(image: ServedImage, mac: string): string | null {
    if (!this.o.profile || !image.target) return null;
    const format = image.summary.answerFormat;
    if (!format) return null;
    // The NoCloud datasource wants a folder ("s=.../") holding user-data and meta-data.
    return format === 'autoinstall' ? `${ANSWER_PREFIX}${dashed(mac)}/` : `${ANSWER_PREFIX}${dashed(mac)}/${ANSWER_FILE_NAMES[format]}`;
  }

  private settings(): MenuSettings {
    return {
      timeoutSec: this.o.menuTimeoutSec ?? DEFAULT_MENU_TIMEOUT_SEC,
      httpBase: this.httpBase,
      console: this.o.console ?? null,
      nameServers: this.o.nameServers,
      ...(this.o.extraKernelArgs ? { extraArgs: this.o.extraKernelArgs } : {}),
    };
  }

  /** The menu for one machine (mac null: the generic menu, never armed). */
  menu(mac: string | null, firmware: Firmware): BootMenu {
    const norm = mac ? normalizeMac(mac) : null;
    const armedImageId = norm ? this.armedImage(norm) : null;
    return buildBootMenu({ mac: norm, firmware, armedImageId }, this.menuImages(norm), this.settings());
  }

  /** The script every iPXE client is pointed at by DHCP. */
  ipxeChainScript(): string {
    return renderIpxeChainScript(this.httpBase, IPXE_MENU_PREFIX);
  }

  /** /ipxe/<platform>/<buildarch>/<mac>.ipxe */
  ipxeMount(): HttpHandlerMount {
    return {
      prefix: IPXE_MENU_PREFIX,
      methods: [],
      handler: (_req, _res, ctx): HttpReply | null => {
        const [platform, buildarch, file, ...more] = ctx.segments;
        const m = /^(.+)\.ipxe$/.exec(file ?? '');
        const mac = m ? normalizeMac(m[1]!) : null;
        if (!platform || !buildarch || !mac || more.length) return null;
        this.noteClient(ctx.clientAddress, mac);
        const menu = this.menu(mac, firmwareFromIpxe(platform, buildarch));
        ctx.log.info(`menu for ${mac}: default "${menu.entries.find((e) => e.id === menu.defaultId)?.label ?? menu.defaultId}" in ${menu.timeoutSec} s`, { mac });
        return { body: renderIpxeMenu(menu, this.httpBase), contentType: 'text/plain; charset=utf-8', headers: { 'Cache-Control': 'no-store' } };
      },
    };
  }

  /** /answer/<mac>/<file>: only for a machine armed for an image FieldBoot can write an answer file for. */
  answerMount(): HttpHandlerMount {
    return {
      prefix: ANSWER_PREFIX,
      methods: [],
      handler: (req, _res, ctx): HttpReply | null => {
        const [macText, file, ...more] = ctx.segments;
        const mac = macText ? normalizeMac(macText) : null;
        if (!mac || more.length) return null;
        this.noteClient(ctx.clientAddress, mac);
        const imageId = this.armedImage(mac);
        if (imageId === null) {
          ctx.log.warn(`answer file refused: ${mac} is not armed for install`, { mac });
          return { status: 403, body: 'This machine is not armed for install.\n' };
        }
        const image = this.o.images.find((i) => i.id === imageId);
        if (!image || !image.target || !this.o.profile) {
          ctx.log.warn(`no answer file for ${mac}: ${!this.o.profile ? 'no profile loaded' : 'no generator for its image'}`, { mac });
          return null;
        }
        const format = image.summary.answerFormat;
        if (format === 'autoinstall' && file === 'meta-data') {
          return { body: `instance-id: fieldboot-${dashed(mac)}\n`, contentType: 'text/yaml; charset=utf-8' };
        }
        if (format === 'autoinstall' && file === 'vendor-data') return { body: '', contentType: 'text/yaml; charset=utf-8' };
        if (!format || file !== ANSWER_FILE_NAMES[format]) return null;
        const rendered = this.renderFor(image, mac, ctx.log);
        if (!rendered) return { status: 500, body: 'The answer file could not be made; see the FieldBoot log.\n' };
        if (isFetch(req)) {
          this.o.emit({ type: 'stage', time: nowIso(), mac, stage: ProgressStage.AnswerFetched, source: 'server', client: ctx.clientAddress, image: image.id });
        }
        return { body: rendered.text, contentType: rendered.contentType, headers: { 'Cache-Control': 'no-store' } };
      },
    };
  }

  private renderFor(image: ServedImage, mac: string, log: Log) {
    const profile = this.o.profile;
    if (!profile || !image.target) return null;
    const ctx: RenderContext = {
      target: image.target,
      serverIp: this.o.serverIp,
      progressUrl: `${this.httpBase}${DEFAULT_PROGRESS_PATH}`,
      repoUrl: `${this.httpBase}${image.mountPath}${(image.summary.installTreeRoot ?? '/').replace(/\/?$/, '/')}`,
    };
    try {
      return renderAnswer(profile, hostVarsFor(this.o.inventory, mac), ctx);
    } catch (err) {
      const why = err instanceof RenderError ? err.message : (err as Error).message;
      log.error(`answer file for ${mac} (${image.target}) failed: ${why}`, { mac });
      return null;
    }
  }

  /**
   * Generated TFTP files: pxelinux.cfg/01-<mac> and pxelinux.cfg/default, GRUB's per-MAC menus and the
   * grub.cfg its signed builds read. Null for every other path.
   */
  tftpGenerator(): FileGenerator {
    return (path) => {
      const lower = path.toLowerCase();
      if (this.o.pxelinuxMenus && lower.startsWith('/pxelinux.cfg/')) {
        const name = lower.slice('/pxelinux.cfg/'.length);
        if (name === 'default') return renderPxelinuxMenu(this.menu(null, Firmware.Bios));
        const m = /^01-([0-9a-f]{2}(?:-[0-9a-f]{2}){5})$/.exec(name);
        return m ? renderPxelinuxMenu(this.menu(m[1]!, Firmware.Bios)) : null;
      }
      if (lower.startsWith(GRUB_MENU_DIR)) {
        const m = /^([0-9a-f:]{17})\.cfg$/.exec(lower.slice(GRUB_MENU_DIR.length));
        const mac = m ? normalizeMac(m[1]!) : null;
        return mac ? renderGrubMenu(this.menu(mac, Firmware.EfiX64)) : null;
      }
      // GRUB's own per-machine names (grub.cfg-01-<mac>) in any folder it reads from.
      const own = /(?:^|\/)grub\.cfg-01-([0-9a-f]{2}(?:-[0-9a-f]{2}){5})$/.exec(lower);
      if (own) return renderGrubMenu(this.menu(own[1]!, Firmware.EfiX64));
      if ((GRUB_CONFIG_PATHS as readonly string[]).includes(lower)) return renderGrubChainConfig(GRUB_MENU_DIR, this.menu(null, Firmware.EfiX64));
      return null;
    };
  }

  /** A machine was seen at this address (a menu or answer request names its MAC; DHCP acks do too). */
  noteClient(address: string, mac: string): void {
    const norm = normalizeMac(mac);
    if (norm) this.clientMacs.set(address, norm);
  }

  macFor(address: string): string | undefined {
    return this.clientMacs.get(address);
  }

  /** What a served path is to the install, for the client view. `path` as the server saw it. */
  classify(path: string, protocol: FileEvent['protocol']): FileClassification {
    let p = path.startsWith('/') ? path : `/${path}`;
    if (protocol === 'http' && p.startsWith('/boot/')) p = p.slice('/boot'.length);
    const lower = p.toLowerCase();
    if (lower.startsWith(IPXE_MENU_PREFIX) || lower.startsWith('/pxelinux.cfg/') || lower.startsWith(GRUB_MENU_DIR) || /(^|\/)grub\.cfg(-[0-9a-f-]+)?$/.test(lower) || lower.endsWith('.ipxe')) {
      return { role: FileRole.Menu };
    }
    if (lower.startsWith(ANSWER_PREFIX)) return { role: FileRole.Answer };
    for (const img of this.o.images) {
      if (lower === img.isoPath.toLowerCase()) return { role: FileRole.Iso, image: img.id };
      const base = `${img.mountPath.toLowerCase()}/`;
      if (!lower.startsWith(base)) continue;
      const inner = p.slice(img.mountPath.length);
      const innerLower = inner.toLowerCase();
      for (const b of img.summary.bootFiles) {
        if (innerLower === b.kernel.toLowerCase()) return { role: FileRole.Kernel, image: img.id };
        if (innerLower === b.initrd.toLowerCase()) return { role: FileRole.Initrd, image: img.id };
      }
      if (STAGE2_FILE.test(inner)) return { role: FileRole.Stage2, image: img.id };
      if (REPO_METADATA.test(inner)) return { role: FileRole.RepoMetadata, image: img.id };
      if (PACKAGE_FILE.test(inner)) return { role: FileRole.Package, image: img.id };
      if (LOADER_FILE.test(inner)) return { role: FileRole.Loader, image: img.id };
      return { role: FileRole.Other, image: img.id };
    }
    if (LOADER_FILE.test(lower)) return { role: FileRole.Loader };
    if (/(^|\/)(vmlinuz|linux|bzimage)[^/]*$/.test(lower)) return { role: FileRole.Kernel };
    if (/(^|\/)initrd[^/]*$/.test(lower)) return { role: FileRole.Initrd };
    return { role: FileRole.Other };
  }

}


/** A fetch of the file itself (not a HEAD probe): the installer has its answer file. */
function isFetch(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'POST';
}
