/**
 * The one API the renderer talks to. Two implementations: the Electron preload bridge over IPC
 * (electron/preload) and web mode over HTTP + WebSocket (renderer/src/api/web-api.ts ↔ electron/engine-host/web-server.ts).
 */
import type { ErrorInfo } from '../errors';
import type { EngineEvent, LinkEvent } from '../model/engine-event';
import type { LibraryImage } from '../model/library-image';
import type { NetworkInterfaceInfo } from '../model/network';
import type { DhcpMode } from '../model/serve-config';
import type { PreflightReport, PreflightRequest } from '../model/preflight';
import type { DhcpProbeReport } from '../model/dhcp-probe';
import type { AppSettings, SettingsSnapshot } from '../settings';
import type { LogLine, LogSnapshot, ServiceCounters } from '../diagnostics-log';
import type { Profile, RenderContext, TargetId } from '../answer/profile';
import type { RenderedAnswer } from '../answer/render';
import type { ClientArmRequest, ClientRecord, ClientReportFormat, ClientsPush } from '../model/client-record';
import type {
  BmcAddRequest,
  BmcEntry,
  BmcImportRequest,
  BmcImportResponse,
  BmcInstallRequest,
  BmcInstallResponse,
  BmcPowerRequest,
  BmcPush,
  BmcRunResponse,
  BmcUpdateRequest,
} from '../model/bmc';

export type ServingPhase = 'idle' | 'starting' | 'serving' | 'stopping' | 'failed';

export interface ServingState {
  phase: ServingPhase;
  /** Set while starting/serving: what is being served. */
  interface: string | null;
  serverIp: string | null;
  dhcpMode: DhcpMode | null;
  range: string | null;
  services: { name: string; address: string; port: number }[];
  startedAt: string | null;
  /** Set when phase is "failed", or the last start failed. */
  error: ErrorInfo | null;
  /** "10.77.0.1/24" when FieldBoot gave the bare interface this address for the session (gone on stop). */
  assignedAddress?: string | null;
  /** While serving: the images the engine serves, with the ids in their URLs (/iso/<id>/...). */
  images?: ServedImageInfo[];
  /** While serving: the serving interface's last link report (cable out, NIC gone, resumed), if any. */
  link?: LinkEvent | null;
  /** While serving: the install profile armed machines get, when the session has one. */
  profile?: ServedProfileInfo | null;
  /** While starting: the start waits for the technician to answer this elevation prompt (Stop cancels it). */
  prompt?: ElevationPromptInfo | null;
}

/** An administrator prompt a start is waiting on (pkexec, the macOS prompt, UAC). */
export interface ElevationPromptInfo {
  /** What asks, in the UI's words: "the system password prompt (pkexec)". */
  name: string;
  /** When the start gives up on it and fails (ISO time). */
  until: string;
}

/** One image of the running session, as the engine announced it. */
export interface ServedImageInfo {
  id: string;
  name: string;
  /** OS family as detected (debian, ubuntu, rhel...). */
  family: string;
  /** The answer-file target for it, or null when FieldBoot has no generator for it. */
  target: string | null;
  file: string;
}

export interface ServedProfileInfo {
  /** The profile's own name (its "name" field), or the file name when it cannot be read. */
  name: string;
  file: string;
  target: string | null;
}

/** What "Export diagnostics" did: the zip's name and size, its files, and where it was saved (null: handed to the browser). */
export interface DiagnosticsExport {
  fileName: string;
  bytes: number;
  files: string[];
  savedTo: string | null;
  /** The technician closed the save dialog: nothing was written. */
  cancelled?: boolean;
}

export interface StartRequest {
  interface: string;
  dhcpMode: DhcpMode;
  range?: string;
  root?: string;
  isos?: string[];
  allow?: string[];
  /** "10.77.0.1/24": given to the interface for the session when it has no IPv4 (removed on stop). */
  assignAddress?: string;
  /**
   * Image library ids to serve (beside `isos`). Omitted, with `isos` omitted too: every library image whose
   * file is there. An empty list serves no image (a plain boot tree, or loaders only).
   */
  images?: string[];
  /** A saved profile (the wizard's) by name: armed machines install unattended with it. null: none. */
  profile?: string | null;
}

/** A saved install profile as listed: <stateDir>/profiles/<name>.json. */
export interface ProfileSummary {
  name: string;
  target: TargetId | null;
  /** ISO time of the file's last change. */
  modified: string;
  /** Set when the file cannot be read as a profile; it is still listed so it can be replaced or deleted. */
  error?: string;
}

export interface ProfileSaveRequest {
  profile: Profile;
  /** A new root password in plain text: main hashes it (SHA-512 crypt) into accounts.rootPasswordHash; only the hash is stored. */
  password?: string;
  /** A new password for accounts.users[0] (the wizard's admin user), hashed the same way. */
  adminPassword?: string;
}

export interface ProfileRenderRequest {
  profile: Profile;
  target: TargetId;
  /** Render for this machine; omitted: the generic file. */
  mac?: string;
  /** Inventory CSV text (mac,hostname,ip,...) whose row for `mac` fills the host values. */
  inventory?: string;
}

/** The answer file as `fieldboot answer render` prints it, and the server context it was rendered with. */
export interface ProfileRender extends RenderedAnswer {
  context: RenderContext;
}

/** Result of a call: data or a user-facing error; API calls never throw across the boundary. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export type ApiPush =
  | { type: 'state'; state: ServingState }
  | { type: 'event'; event: EngineEvent }
  /** The whole image list, after every change (add, remove, a file gone or back). */
  | { type: 'images'; images: LibraryImage[] }
  /** BMC list changes and per-BMC progress of test / install / power runs (shared/model/bmc.ts). */
  | BmcPush
  /** Client records (client-record.ts): a snapshot, then changed records and removed MACs. */
  | ClientsPush
  /** New lines of the host's log ring (engine log lines at every level, and events), batched, with the service counters after them. */
  | { type: 'log'; lines: LogLine[]; counters: ServiceCounters };

/** Web-mode upload progress: bytes sent so far of the file's size. */
export interface UploadProgress {
  sentBytes: number;
  totalBytes: number;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface FieldbootApi {
  listInterfaces(): Promise<ApiResult<NetworkInterfaceInfo[]>>;
  getState(): Promise<ApiResult<ServingState>>;
  startServing(request: StartRequest): Promise<ApiResult<ServingState>>;
  stopServing(): Promise<ApiResult<ServingState>>;
  /** The image library; files are re-checked, so a moved or changed ISO shows up flagged. */
  listImages(): Promise<ApiResult<LibraryImage[]>>;
  /** Inspect and add an ISO by its path on the machine running FieldBoot; the same file twice is one entry. */
  addImage(path: string): Promise<ApiResult<LibraryImage>>;
  /** Forget an image (an uploaded copy is deleted; a file added by path is never touched). */
  removeImage(id: string): Promise<ApiResult<LibraryImage>>;
  /**
   * Desktop only: the local path of a dropped or picked File (Electron's webUtils.getPathForFile).
   * Null or absent when the file has no path (web mode, or a file made in the page).
   */
  pathForFile?(file: File): string | null;
  /**
   * Web mode only: stream the file to the server (PUT /api/upload/<name>), which saves, inspects and
   * adds it. Absent in the desktop app, which adds by path instead.
   */
  uploadImage?(file: File, options?: UploadOptions): Promise<ApiResult<LibraryImage>>;
  /** Saved install profiles (answer-file wizard). */
  listProfiles(): Promise<ApiResult<ProfileSummary[]>>;
  getProfile(name: string): Promise<ApiResult<Profile>>;
  /** Validates, hashes any plain password given, writes <name>.json atomically; returns what was stored. */
  saveProfile(request: ProfileSaveRequest): Promise<ApiResult<Profile>>;
  deleteProfile(name: string): Promise<ApiResult<ProfileSummary>>;
  /** Renders main-side with the serving context (or the CLI's placeholder when not serving). */
  renderProfile(request: ProfileRenderRequest): Promise<ApiResult<ProfileRender>>;
  /** Server BMCs (IPMI / Redfish). Passwords go in and are kept main-side; entries only say `hasPassword`. */
  listBmcs(): Promise<ApiResult<BmcEntry[]>>;
  addBmc(request: BmcAddRequest): Promise<ApiResult<BmcEntry>>;
  updateBmc(request: BmcUpdateRequest): Promise<ApiResult<BmcEntry>>;
  importBmcs(request: BmcImportRequest): Promise<ApiResult<BmcImportResponse>>;
  removeBmcs(ids: string[]): Promise<ApiResult<BmcEntry[]>>;
  /** Reachability, credentials and power state; per-BMC progress is pushed as `bmc-progress`. */
  testBmcs(ids: string[]): Promise<ApiResult<BmcRunResponse>>;
  /** Next boot from the network, then power-cycle (power on if off); one result per BMC. */
  installBmcs(request: BmcInstallRequest): Promise<ApiResult<BmcInstallResponse>>;
  powerBmcs(request: BmcPowerRequest): Promise<ApiResult<BmcRunResponse>>;
  /** Every machine seen (and those armed ahead of time); then follow the `clients` push. */
  listClients(): Promise<ApiResult<ClientRecord[]>>;
  /** One machine with its whole event log (list records and pushes carry only its last lines). */
  getClient(mac: string): Promise<ApiResult<ClientRecord>>;
  /** Arm machines for install (one-shot: disarmed once they report finished). Resolves once saved. */
  armClients(request: ClientArmRequest): Promise<ApiResult<ClientRecord[]>>;
  disarmClients(macs: string[]): Promise<ApiResult<ClientRecord[]>>;
  /** Forget finished machines that are not armed; answers the MACs removed. */
  clearFinishedClients(): Promise<ApiResult<string[]>>;
  /** The client report as CSV or JSON text. */
  exportClients(format: ClientReportFormat): Promise<ApiResult<string>>;
  /**
   * Checks before serving: ports free (and who holds one), privileges, host firewall. Optional only so
   * scripted test APIs need not carry it; both transports (preload, web mode) implement it.
   */
  runPreflight?(request: PreflightRequest): Promise<ApiResult<PreflightReport>>;
  /**
   * Is another DHCP server on this interface? One DHCPDISCOVER, answers for a few seconds (refused while
   * serving). The Network screen turns the report into a full/proxy recommendation (shared/model/dhcp-probe.ts).
   */
  probeDhcp?(request: { interface: string; timeoutMs?: number }): Promise<ApiResult<DhcpProbeReport>>;
  /**
   * Serving settings (shared/settings.ts) as saved in the state folder, applied at the next start. Optional
   * only so scripted test APIs need not carry them; both transports implement them.
   */
  getSettings?(): Promise<ApiResult<SettingsSnapshot>>;
  /** Checked with the shared checks (a refusal names each field), saved atomically; answers the new snapshot. */
  saveSettings?(settings: AppSettings): Promise<ApiResult<SettingsSnapshot>>;
  /** The host's log ring and service counters (the dashboard loads it once, then follows the `log` push). */
  getLog?(): Promise<ApiResult<LogSnapshot>>;
  /**
   * Writes the diagnostics zip (logs, events, config and profiles with secrets removed, clients, preflight,
   * versions). Desktop: main asks where to save it. Web mode: the browser downloads it.
   */
  exportDiagnostics?(): Promise<ApiResult<DiagnosticsExport>>;
  /** Live state changes and engine events. Returns an unsubscribe function. */
  subscribe(listener: (push: ApiPush) => void): () => void;
}

/** The request/response half of the API as a channel map (IPC channel names and HTTP routes derive from it). */
export interface ApiChannels {
  'interfaces:list': { request: void; response: NetworkInterfaceInfo[] };
  'serving:state': { request: void; response: ServingState };
  'serving:start': { request: StartRequest; response: ServingState };
  'serving:stop': { request: void; response: ServingState };
  'images:list': { request: void; response: LibraryImage[] };
  'images:add': { request: { path: string }; response: LibraryImage };
  'images:remove': { request: { id: string }; response: LibraryImage };
  'profiles:list': { request: void; response: ProfileSummary[] };
  'profiles:get': { request: { name: string }; response: Profile };
  'profiles:save': { request: ProfileSaveRequest; response: Profile };
  'profiles:delete': { request: { name: string }; response: ProfileSummary };
  'profiles:render': { request: ProfileRenderRequest; response: ProfileRender };
  'bmc:list': { request: void; response: BmcEntry[] };
  'bmc:add': { request: BmcAddRequest; response: BmcEntry };
  'bmc:update': { request: BmcUpdateRequest; response: BmcEntry };
  'bmc:import': { request: BmcImportRequest; response: BmcImportResponse };
  'bmc:remove': { request: { ids: string[] }; response: BmcEntry[] };
  'bmc:test': { request: { ids: string[] }; response: BmcRunResponse };
  'bmc:install': { request: BmcInstallRequest; response: BmcInstallResponse };
  'bmc:power': { request: BmcPowerRequest; response: BmcRunResponse };
  'clients:list': { request: void; response: ClientRecord[] };
  'clients:arm': { request: ClientArmRequest; response: ClientRecord[] };
  'clients:disarm': { request: { macs: string[] }; response: ClientRecord[] };
  'clients:clear-finished': { request: void; response: string[] };
  'clients:export': { request: { format: ClientReportFormat }; response: string };
  'clients:get': { request: { mac: string }; response: ClientRecord };
  'preflight:run': { request: PreflightRequest; response: PreflightReport };
  'dhcp:probe': { request: { interface: string; timeoutMs?: number }; response: DhcpProbeReport };
  'settings:get': { request: void; response: SettingsSnapshot };
  'settings:set': { request: AppSettings; response: SettingsSnapshot };
  'log:snapshot': { request: void; response: LogSnapshot };
  'diagnostics:export': { request: void; response: DiagnosticsExport };
}
export type ApiChannel = keyof ApiChannels;
export const API_CHANNELS: readonly ApiChannel[] = [
  'interfaces:list',
  'serving:state',
  'serving:start',
  'serving:stop',
  'images:list',
  'images:add',
  'images:remove',
  'profiles:list',
  'profiles:get',
  'profiles:save',
  'profiles:delete',
  'profiles:render',
  'bmc:list',
  'bmc:add',
  'bmc:update',
  'bmc:import',
  'bmc:remove',
  'bmc:test',
  'bmc:install',
  'bmc:power',
  'clients:list',
  'clients:arm',
  'clients:disarm',
  'clients:clear-finished',
  'clients:export',
  'clients:get',
  'preflight:run',
  'dhcp:probe',
  'settings:get',
  'settings:set',
  'log:snapshot',
  'diagnostics:export',
];
/**
 * Web mode's upload route (the "images:upload" call): PUT <prefix><file name, URI-encoded> with the raw
 * file as the body and the token; answered with ApiResult<LibraryImage> JSON. Not a JSON channel: the
 * body is the image itself, streamed to disk.
 */
export const API_UPLOAD_PREFIX = '/api/upload/';
/**
 * Web mode's diagnostics download: POST with the token, answered with the zip itself (application/zip,
 * Content-Disposition: attachment) or ApiResult JSON with the error. Not a JSON channel: the body is binary.
 */
export const API_DIAGNOSTICS_PATH = '/api/diagnostics';
/** The push channel (main → renderer). */
export const API_PUSH_CHANNEL = 'fieldboot:push';

export const IDLE_STATE: ServingState = {
  phase: 'idle',
  interface: null,
  serverIp: null,
  dhcpMode: null,
  range: null,
  services: [],
  startedAt: null,
  error: null,
};
