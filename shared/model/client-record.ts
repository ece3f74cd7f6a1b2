/**
 * One machine as the client view sees it: everything the tracker (electron/engine/clients/client-tracker.ts)
 * learned about it from DHCP, file transfers and installer callbacks. Plain JSON: the same object is
 * persisted in clients.json, pushed to the renderer and exported in the JSON report.
 */
import type { FileRole } from './engine-event';

/**
 * Where a machine is. The first eleven are ordered (an install passes them in this order, maybe skipping
 * some); "failed" and "stalled" are conditions on top of the last ordered stage reached (`reached`).
 */
export const ClientStage = {
  Discovered: 'discovered',
  Address: 'address',
  Loader: 'loader',
  Kernel: 'kernel',
  Initrd: 'initrd',
  InstallerStarted: 'installer-started',
  AnswerFetched: 'answer-fetched',
  Installing: 'installing',
  PostInstall: 'post-install',
  Finished: 'finished',
  FirstBoot: 'first-boot',
  Failed: 'failed',
  Stalled: 'stalled',
} as const;
export type ClientStage = (typeof ClientStage)[keyof typeof ClientStage];
/** The ordered stages only. */
export type ReachedStage = Exclude<ClientStage, 'failed' | 'stalled'>;

/** One line of a machine's own log (newest last; bounded, see MAX_CLIENT_LOG). */
export interface ClientLogEntry {
  /** Per-record sequence number: grows by one per entry, never reused (the journal appends by it). */
  n: number;
  time: string;
  /** What reported it: DHCP, TFTP, HTTP, FTP, the installer, or FieldBoot itself (arming, stalls). */
  source: 'dhcp' | 'tftp' | 'http' | 'ftp' | 'installer' | 'server';
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** The transfer a machine is doing now (or did last), for the rate column and in-stage progress. */
export interface ClientTransfer {
  protocol: 'tftp' | 'http' | 'ftp';
  path: string;
  role?: FileRole;
  bytes: number;
  size?: number;
  /** Bytes per second over that transfer so far. */
  rate: number;
  active: boolean;
}

export interface ClientProblem {
  kind: 'failed' | 'stalled';
  /**
   * Who saw it. "installer": the installer said it failed (%onerror); that stands until a new install cycle.
   * "server": a transfer error or a full address pool; the next sign of progress clears it, because
   * firmware retries and usually succeeds.
   */
  by: 'installer' | 'server';
  reason: string;
  hint: string;
  at: string;
}

export interface ClientRecord {
  /** Lower-case, colon-separated: the record's key. */
  mac: string;
  hostname: string | null;
  ip: string | null;
  /** "bios", "efi-x64", ... from DHCP option 93 when the machine sent it. */
  firmware: string | null;
  arch: number | null;
  /** The image (library id) it is installing, once a file of an image was served to it. */
  image: string | null;
  /** What the view shows: the last ordered stage reached, or failed / stalled. */
  stage: ClientStage;
  /** The last ordered stage reached in this install cycle (what failed/stalled sit on top of). */
  reached: ReachedStage;
  /** When each ordered stage of this cycle was first reached (ISO times). */
  stageTimes: Partial<Record<ReachedStage, string>>;
  /** Set while stage is failed or stalled: what went wrong, then what to do, in plain words. */
  problem: ClientProblem | null;
  /** First and last time anything was heard from it (null: armed ahead of time, never seen). */
  firstSeen: string | null;
  lastSeen: string | null;
  /** Bytes served to it in this cycle (finished transfers plus the running one). */
  bytes: number;
  transfer: ClientTransfer | null;
  /** Packages fetched in this cycle, and how many to expect when known (repo metadata, installer reports). */
  packagesDone: number;
  packagesExpected: number | null;
  armed: boolean;
  /** Armed for one install only: disarmed when it reports finished. */
  oneShot: boolean;
  /** Install cycles started (a new one when an armed machine DHCPs again after finishing or failing). */
  cycle: number;
  /** Bumped on every change: lets a receiver keep the newer of two copies (a snapshot racing a delta). */
  rev: number;
  log: ClientLogEntry[];
}

/** Log lines kept per machine: enough for one install's story, bounded for 200 machines in a window. */
export const MAX_CLIENT_LOG = 200;

/** clients:arm: arm machines for install; one-shot ones are disarmed once they report finished. */
export interface ClientArmRequest {
  macs: string[];
  oneShot: boolean;
}

export type ClientReportFormat = 'csv' | 'json';

/** The clients push: `snapshot` replaces everything; `changed` records replace theirs; `removed` MACs go. */
export interface ClientsPush {
  type: 'clients';
  snapshot?: ClientRecord[];
  changed?: ClientRecord[];
  removed?: string[];
}
