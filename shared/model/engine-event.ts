/** Everything the engine reports while serving. One JSON object per line in `fieldboot serve --json`. */
import type { ProgressStage } from '../answer/progress';
import type { ErrorInfo } from '../errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Subsystem = 'DHCP' | 'PROXY' | 'TFTP' | 'HTTP' | 'FTP' | 'ISO' | 'ENGINE' | 'HOST';

export interface ServiceInfo {
  name: 'dhcp' | 'proxy' | 'tftp' | 'http' | 'ftp';
  address: string;
  port: number;
}

export interface ReadyEvent {
  type: 'ready';
  time: string;
  interface: string;
  serverIp: string;
  prefix: number;
  dhcpMode: string;
  range: string | null;
  services: ServiceInfo[];
  /** The images this session serves, with the ids in their URLs (/iso/<id>/). */
  images?: { id: string; name: string; family: string; target: string | null; file: string }[];
}

export interface LeaseEvent {
  type: 'lease';
  time: string;
  /**
   * What the client sent: discover (looking for an address), request (asking to bind one). What the server did:
   * offer (address proposed), ack (bound), nak (refused), release/decline (freed), inform (configuration only).
   */
  action: 'discover' | 'offer' | 'request' | 'ack' | 'nak' | 'release' | 'decline' | 'inform';
  mac: string;
  /** The address concerned; for discover/request, the one the client asks for ("0.0.0.0" when it names none). */
  ip: string;
  hostname?: string;
  /** Client system architecture (RFC 4578 option 93), when sent. */
  arch?: number;
  /** The firmware that architecture means ("bios", "efi-x64", ...), when option 93 was sent. */
  firmware?: string;
  vendorClass?: string;
  userClass?: string;
  bootFile?: string;
}

/**
 * What a served file is to the install, so the client view can say "kernel" instead of a path. The session
 * assigns it (it knows which path is which image's kernel); servers leave it out.
 */
export const FileRole = {
  /** First-stage loader (undionly.kpxe, ipxe.efi, pxelinux.0, shim, grubx64.efi) and its modules. */
  Loader: 'loader',
  /** Boot script or menu (iPXE script, pxelinux.cfg, grub.cfg). */
  Menu: 'menu',
  Kernel: 'kernel',
  Initrd: 'initrd',
  /** Anaconda's install.img / squashfs. */
  Stage2: 'stage2',
  /** The whole ISO (Ubuntu's url=). */
  Iso: 'iso',
  /** Kickstart, preseed or autoinstall user-data/meta-data. */
  Answer: 'answer',
  /** Repository metadata (repodata, dists/ Release and Packages). */
  RepoMetadata: 'repo-metadata',
  /** A package (.rpm, .deb, .udeb). */
  Package: 'package',
  Other: 'other',
} as const;
export type FileRole = (typeof FileRole)[keyof typeof FileRole];

export interface FileEvent {
  type: 'file';
  time: string;
  protocol: 'tftp' | 'http' | 'ftp';
  action: 'start' | 'progress' | 'end' | 'error';
  client: string;
  /** The client's MAC when the session could tell (from the URL, or from the DHCP lease of its address). */
  mac?: string;
  /** What the file is to the install (set by the session). */
  role?: FileRole;
  /** The library/session image id the file belongs to, when it comes from an image. */
  image?: string;
  path: string;
  size?: number;
  bytes: number;
  /** Bytes per second over the transfer so far. */
  rate?: number;
  durationMs?: number;
  error?: string;
}

/**
 * A machine's install moved on: reported by its installer through the progress endpoint (source "installer",
 * see shared/answer/progress.ts) or seen by the server (source "server": answer file served, kernel fetched).
 */
export interface StageEvent {
  type: 'stage';
  time: string;
  mac: string;
  stage: ProgressStage;
  source: 'installer' | 'server';
  message?: string;
  /** The client's address as the server saw it. */
  client?: string;
  image?: string;
}

/** Arming changed: a machine was armed for install (UI, --allow) or disarmed (one-shot, after it finished). */
export interface ArmEvent {
  type: 'arm';
  time: string;
  mac: string;
  armed: boolean;
  reason: 'allow-list' | 'user' | 'finished';
}

export interface PoolEvent {
  type: 'pool';
  time: string;
  action: 'exhausted';
  mac: string;
  range: string;
}

export interface ErrorEvent {
  type: 'error';
  time: string;
  subsystem: Subsystem;
  error: ErrorInfo;
}

export interface LogEvent {
  type: 'log';
  time: string;
  level: LogLevel;
  subsystem: Subsystem;
  message: string;
  mac?: string;
  fields?: Record<string, unknown>;
}

export interface StoppedEvent {
  type: 'stopped';
  time: string;
  reason: string;
}

/**
 * The serving interface's link changed (cable pulled, USB NIC unplugged, address gone, and back). "down": the
 * interface is there but has no carrier, is set down, or lacks the session's address; sockets are kept.
 * "gone": the interface vanished (unplugged); servers that cannot survive are closed. "up" with `resumed`: it
 * is back and serving again (address re-given and servers reopened where needed).
 */
export interface LinkEvent {
  type: 'link';
  time: string;
  interface: string;
  state: 'up' | 'down' | 'gone';
  /** When this state began (ISO time). */
  since: string;
  /** Why, in words: "carrier lost", "interface set down", "address 10.77.0.1 missing", "unplugged", "serving resumed". */
  detail: string;
  /** On "up": serving resumed after a down or gone. */
  resumed?: boolean;
}

export type EngineEvent = ReadyEvent | LeaseEvent | FileEvent | StageEvent | ArmEvent | PoolEvent | ErrorEvent | LogEvent | StoppedEvent | LinkEvent;

export function nowIso(): string {
  return new Date().toISOString();
}
