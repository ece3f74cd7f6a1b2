/**
 * The app backend: what both the Electron IPC handlers and the web-mode server call. It implements the
 * request half of FieldbootApi and pushes state/events to subscribers. Never imports electron.
 */
import type { ApiPush, ProfileRender, ProfileRenderRequest, ProfileSaveRequest, ProfileSummary, ServingState, StartRequest } from '../../shared/api/fieldboot-api';
import type { Profile } from '../../shared/answer/profile';
import type { LibraryImage } from '../../shared/model/library-image';
import type { NetworkInterfaceInfo } from '../../shared/model/network';
import type { Readable } from 'node:stream';
import type {
  BmcAddRequest,
  BmcEntry,
  BmcImportRequest,
  BmcImportResponse,
  BmcInstallRequest,
  BmcInstallResponse,
  BmcPowerRequest,
  BmcRunResponse,
  BmcUpdateRequest,
} from '../../shared/model/bmc';
import type { ClientArmRequest, ClientRecord, ClientReportFormat } from '../../shared/model/client-record';
import type { PreflightReport, PreflightRequest } from '../../shared/model/preflight';
import type { DhcpProbeReport } from '../../shared/model/dhcp-probe';
import type { DiagnosticsExport } from '../../shared/api/fieldboot-api';
import type { LogSnapshot } from '../../shared/diagnostics-log';
import type { AppSettings, SettingsSnapshot } from '../../shared/settings';

/** Limits for an upload the web server hands over. */
export interface ImageUploadOptions {
  /** Content-Length, when given: fewer bytes means the sender went away. */
  expectedBytes?: number | null;
  maxBytes?: number;
}

export interface AppBackend {
  listInterfaces(): Promise<NetworkInterfaceInfo[]>;
  getState(): ServingState;
  /** Throws FieldbootError on failure (validated input, engine refusal). */
  startServing(request: StartRequest): Promise<ServingState>;
  stopServing(): Promise<ServingState>;
  subscribe(listener: (push: ApiPush) => void): () => void;
  /** The image library (see electron/engine/images/image-library.ts). Errors are FieldbootErrors. */
  listImages(): Promise<LibraryImage[]>;
  addImage(path: string): Promise<LibraryImage>;
  removeImage(id: string): Promise<LibraryImage>;
  /** Web mode: save a streamed file under the given plain name, inspect it, add it; removed on any failure. */
  uploadImage(fileName: string, body: Readable, options: ImageUploadOptions): Promise<LibraryImage>;
  /** Saved install profiles (electron/engine-host/profile-store.ts). Errors are FieldbootErrors. */
  listProfiles(): Promise<ProfileSummary[]>;
  getProfile(name: string): Promise<Profile>;
  /** Hashes the plain passwords in the request; only hashes reach the disk. */
  saveProfile(request: ProfileSaveRequest): Promise<Profile>;
  deleteProfile(name: string): Promise<ProfileSummary>;
  /** The answer file as served: rendered with the serving context, or the CLI's placeholder address. */
  renderProfile(request: ProfileRenderRequest): Promise<ProfileRender>;
  /** Server BMCs (electron/engine/bmc/bmc-service.ts): the list in the state dir, test / install / power runs.
   * Passwords go in and never come back out. Errors are FieldbootErrors; per-BMC failures are in the results. */
  listBmcs(): Promise<BmcEntry[]>;
  addBmc(request: BmcAddRequest): Promise<BmcEntry>;
  updateBmc(request: BmcUpdateRequest): Promise<BmcEntry>;
  importBmcs(request: BmcImportRequest): Promise<BmcImportResponse>;
  removeBmcs(ids: string[]): Promise<BmcEntry[]>;
  testBmcs(ids: string[]): Promise<BmcRunResponse>;
  installBmcs(request: BmcInstallRequest): Promise<BmcInstallResponse>;
  powerBmcs(request: BmcPowerRequest): Promise<BmcRunResponse>;
  /** Client records (electron/engine/clients/client-tracker.ts); changes are pushed as `clients`. */
  listClients(): Promise<ClientRecord[]>;
  /** Throws FieldbootError(FileNotFound) for a MAC with no record. */
  getClient(mac: string): Promise<ClientRecord>;
  /** Resolves once the arming is saved. */
  armClients(request: ClientArmRequest): Promise<ClientRecord[]>;
  disarmClients(macs: string[]): Promise<ClientRecord[]>;
  clearFinishedClients(): Promise<string[]>;
  exportClients(format: ClientReportFormat): Promise<string>;
  /** Checks before serving (electron/engine/net/preflight.ts): ports and their holders, privileges, firewall. */
  runPreflight(request: PreflightRequest): Promise<PreflightReport>;
  /** One foreign-DHCP probe on an interface, run by the engine (it may bind port 68). */
  probeDhcp?(request: { interface: string; timeoutMs?: number }): Promise<DhcpProbeReport>;
  /** The host's log ring and service counters (diagnostics-log.ts). Optional: scripted backends may leave it out. */
  getLogSnapshot?(): Promise<LogSnapshot>;
  /** Builds the diagnostics zip and saves it: the desktop's save dialog hook, else <stateDir>/diagnostics/. */
  exportDiagnostics?(): Promise<DiagnosticsExport>;
  /** The diagnostics zip itself (web mode's download). */
  buildDiagnostics?(): Promise<{ fileName: string; zip: Buffer; files: string[] }>;
  /** A secret value held outside the backend (the web UI token), for the diagnostics zip to remove wherever it appears. */
  noteSecret?(what: string, value: string, user?: string): void;
  /** Serving settings (electron/engine-host/settings-store.ts), applied at the next start. */
  getSettings(): Promise<SettingsSnapshot>;
  /** Throws FieldbootError(BadOption) naming each field that does not check. */
  saveSettings(settings: AppSettings): Promise<SettingsSnapshot>;
  /** Stop serving and end the engine process. */
  dispose(): Promise<void>;
}
