/**
 * The AppBackend behind both the Electron IPC handlers and web mode: keeps the serving state, turns UI
 * requests into ServeConfigs, drives the engine process through EngineHost, and pushes state and events.
 */
import { IDLE_STATE, type ApiPush, type ProfileRender, type ProfileRenderRequest, type ProfileSaveRequest, type ProfileSummary, type ServingState, type StartRequest } from '../../shared/api/fieldboot-api';
import type { Profile } from '../../shared/answer/profile';
import { ErrorCode, FieldbootError, errorInfo, toErrorInfo } from '../../shared/errors';
import type { EngineEvent } from '../../shared/model/engine-event';
import type { NetworkInterfaceInfo } from '../../shared/model/network';
import { DhcpMode, type ServeConfig } from '../../shared/model/serve-config';
import { normalizeMac, parseRange } from '../../shared/net/ipv4';
import type { LibraryImage } from '../../shared/model/library-image';
import { nowIso } from '../../shared/model/engine-event';
import { ImageLibrary, type ImageLibraryOptions } from '../engine/images/image-library';
import { listInterfaces } from '../engine/net/list-interfaces';
import type { Readable } from 'node:stream';
import type { AppBackend, ImageUploadOptions } from './app-backend';
import { EngineHost, exitCodeName } from './engine-host';
import { ProfileStore, renderProfileAnswer } from './profile-store';
import { BmcService, type BmcServiceOptions } from '../engine/bmc/bmc-service';
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
import { ClientTracker } from '../engine/clients/client-tracker';
import { clientReport } from '../engine/clients/client-report';
import { clientSummary } from '../../shared/clients/client-summary';
import { createLog } from '../engine/log';
import { runPreflight } from '../engine/net/preflight';
import { checkAssignable } from '../engine/net/interface-address';
import type { PreflightReport, PreflightRequest } from '../../shared/model/preflight';
import type { DhcpProbeReport } from '../../shared/model/dhcp-probe';
import type { DiagnosticsExport, ServedProfileInfo } from '../../shared/api/fieldboot-api';
import type { LogSnapshot } from '../../shared/diagnostics-log';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DiagnosticsLog } from './diagnostics-log';
import { buildDiagnostics, collectVersions, exportResult, profileSecrets, type DiagnosticsBundle } from './diagnostics-export';
import type { KnownSecret } from './diagnostics-redact';
import { parseBmcCsv } from '../engine/bmc/bmc-store';
import type { AppSettings, SettingsSnapshot } from '../../shared/settings';
import { SettingsStore, applySettings, settingsDefaults } from './settings-store';
import { ElevationMethod, elevationMethod, type EngineElevation } from './engine-elevation';
import { neededPorts } from '../engine/net/preflight';
import { PreflightStatus } from '../../shared/model/preflight';

export interface AppControllerOptions {
  /** Settings a start request does not carry (state dir, ports...). */
  baseConfig: Omit<ServeConfig, 'interface' | 'dhcpMode' | 'isos' | 'allow'> & Partial<Pick<ServeConfig, 'isos' | 'allow'>>;
  host?: EngineHost;
  /**
   * The desktop app: start the engine through the OS's elevation prompt when the privileges check says this
   * process's rights are not enough for a start (engine-elevation.ts). Left out by the CLI's web mode (run it
   * with sudo) and by tests: then the engine has the app's rights, as before.
   */
  elevation?: EngineElevation;
  /** Injectable for tests; defaults to the real lister. */
  listInterfaces?: () => Promise<NetworkInterfaceInfo[]>;
  /** Options for the image library kept in baseConfig.stateDir (tests inject `inspect`). */
  images?: ImageLibraryOptions;
  /** BMC control: the password vault (desktop: keychain-wrapped key), per-BMC timeout, concurrency. */
  bmc?: Omit<BmcServiceOptions, 'stateDir' | 'push'>;
  /** The app's version for the diagnostics zip (Electron: app.getVersion()); default: package.json's. */
  appVersion?: string;
  /**
   * Desktop: asks where to save the diagnostics zip and writes it; resolves with the path, or null when the
   * technician cancels. Without it the zip goes to <stateDir>/diagnostics/.
   */
  saveDiagnostics?: (fileName: string, zip: Buffer) => Promise<string | null>;
}

/** Secrets noted in one app session (noteSecret); the oldest go first past this. */
const MAX_SESSION_SECRETS = 1000;

/** The elevation prompt as the UI names it. */
function promptWords(method: ElevationMethod | null): string {
  return method === ElevationMethod.Pkexec ? 'the system password prompt (pkexec)' : method === ElevationMethod.MacAdminPrompt ? 'the macOS administrator prompt' : 'a Windows UAC prompt';
}

export class AppController implements AppBackend {
  private state: ServingState = IDLE_STATE;
  private readonly listeners = new Set<(push: ApiPush) => void>();
  private readonly host: EngineHost;
  private busy: Promise<unknown> = Promise.resolve();
  private library: Promise<ImageLibrary> | null = null;
  private unsubscribeLibrary: (() => void) | null = null;
  private profileStore: ProfileStore | null = null;
  private bmcService: BmcService | null = null;
  private settingsStore: SettingsStore | null = null;
  /**
   * Every machine seen, fed by the engine events below and persisted in <stateDir>/clients.json. Arming from
   * the view is stored here; the engine's boot decisions need it too (see the client tracker's README notes).
   */
  private readonly clients: ClientTracker;
  /** Every log line and event, for the dashboard's log panel and the diagnostics zip. */
  private readonly diagnosticsLog: DiagnosticsLog;
  /** The config of the running or last started session, and the last preflight report (diagnostics). */
  private lastConfig: ServeConfig | null = null;
  private lastPreflight: PreflightReport | null = null;
  /** Stop was pressed while the start waited on the administrator prompt: that start ends idle, not failed. */
  private startCancelled = false;
  /**
   * Secret values met since the app started that no store keeps in the clear (passwords typed into the wizard
   * and the Machines tab, the web UI token): in memory only, so the diagnostics zip can scrub them wherever
   * they turn up. Bounded: a session types a handful.
   */
  private readonly sessionSecrets: KnownSecret[] = [];

  constructor(private readonly options: AppControllerOptions) {
    this.host = options.host ?? new EngineHost();
    this.diagnosticsLog = new DiagnosticsLog({ onFlush: (lines, counters) => this.push({ type: 'log', lines, counters }) });
    this.host.on('log', (msg) => {
      this.diagnosticsLog.addLog(msg);
    });
    // Tracker problems (an unreadable clients.json) reach the event log like the engine's own warnings.
    const clientLog = createLog((e) => {
      this.diagnosticsLog.addLog(e);
      if (e.level === 'warn' || e.level === 'error') this.push({ type: 'event', event: { type: 'log', time: nowIso(), level: e.level, subsystem: 'HOST', message: e.message } });
    }, 'HOST');
    this.clients = ClientTracker.open(options.baseConfig.stateDir, clientLog, { onArm: (event) => this.push({ type: 'event', event }) });
    this.clients.subscribe((changes) => {
      // The snapshot at subscription is for nobody: the renderer asks with clients:list, then follows these.
      if (!changes.snapshot) this.push({ type: 'clients', ...changes, ...(changes.changed ? { changed: changes.changed.map(clientSummary) } : {}) });
    });
    this.host.on('event', (event) => this.onEngineEvent(event));
    // The prompt was answered: the start goes on opening the services, and there is nothing left to cancel.
    this.host.on('launched', () => {
      if (this.state.phase === 'starting' && this.state.prompt) this.setState({ ...this.state, prompt: null });
    });
    this.host.on('exit', (code, signal, fatal) => {
      if (this.state.phase === 'serving' || this.state.phase === 'starting') {
        const error = fatal ?? errorInfo(ErrorCode.EngineDied, `the engine exited (${signal ?? exitCodeName(code)}) while serving`);
        this.setState({ ...IDLE_STATE, phase: 'failed', error });
      }
    });
  }

  listInterfaces(): Promise<NetworkInterfaceInfo[]> {
    return (this.options.listInterfaces ?? listInterfaces)();
  }

  getState(): ServingState {
    return this.state;
  }

  subscribe(listener: (push: ApiPush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One start/stop at a time: a double click must not start two sessions. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => {});
    return next;
  }

  startServing(request: StartRequest): Promise<ServingState> {
    return this.serial(async () => {
      if (this.state.phase === 'serving') throw new FieldbootError(ErrorCode.AlreadyServing, `already serving on ${this.state.interface}`);
      // The Settings screen's saved values (ports, pool, loader...) apply from this start on.
      const config = applySettings(await this.withLibrary(this.toConfig(request), request), await this.settings().load());
      let hadIpv4 = false;
      if (config.assignAddress) {
        // Checked here too, so a typo or an overlapping subnet is refused before the engine starts.
        const interfaces = await this.listInterfaces();
        hadIpv4 = (interfaces.find((i) => i.name === config.interface)?.ipv4.length ?? 0) > 0;
        if (!hadIpv4) checkAssignable(config.interface, config.assignAddress, interfaces);
      }
      // Before 'starting': replacing an idle unprivileged engine must not read as the engine dying mid-start.
      await this.prepareEngineRights(config, !!config.assignAddress && !hadIpv4);
      // An elevated engine not yet running means this start shows the prompt: the UI says so and offers Cancel.
      const prompt =
        this.host.elevated && this.host.pid === null && this.options.elevation
          ? { name: promptWords(elevationMethod(this.options.elevation.platform)), until: new Date(Date.now() + this.host.launchTimeoutMs).toISOString() }
          : null;
      this.setState({ ...IDLE_STATE, phase: 'starting', interface: config.interface, dhcpMode: config.dhcpMode, ...(prompt ? { prompt } : {}) });
      this.startCancelled = false;
      this.lastConfig = config;
      // Counters are per session; lease events count as proxyDHCP in proxy mode.
      this.diagnosticsLog.resetCounters(config.dhcpMode);
      try {
        const ready = await this.host.start(config);
        const profile = await this.profileInfo(config);
        // The engine assigns only to a bare interface; serving on exactly the requested address means it did.
        const assignedAddress = config.assignAddress && config.assignAddress === `${ready.serverIp}/${ready.prefix}` && !hadIpv4 ? config.assignAddress : null;
        this.setState({
          phase: 'serving',
          interface: ready.interface,
          serverIp: ready.serverIp,
          dhcpMode: config.dhcpMode,
          range: ready.range,
          services: ready.services,
          startedAt: ready.time,
          error: null,
          ...(assignedAddress ? { assignedAddress } : {}),
          images: ready.images ?? [],
          profile,
        });
        // The engine decides boots: it learns who the technician armed in the Clients view.
        for (const oneShot of [true, false]) {
          const macs = this.clients.list().filter((r) => r.armed && r.oneShot === oneShot).map((r) => r.mac);
          if (macs.length) this.host.arm({ macs, armed: true, oneShot });
        }
      } catch (err) {
        if (this.startCancelled) {
          // The technician withdrew the start: nothing failed, nothing to explain.
          this.startCancelled = false;
          this.setState(IDLE_STATE);
          return this.state;
        }
        this.setState({ ...IDLE_STATE, phase: 'failed', interface: config.interface, dhcpMode: config.dhcpMode, error: toErrorInfo(err) });
        throw err;
      }
      return this.state;
    });
  }

  stopServing(): Promise<ServingState> {
    // A start still waiting for its engine (an administrator prompt left open) is cancelled now: queued behind
    // it, this stop would wait for the prompt. The launcher is ended, and the start resolves idle.
    if (this.state.phase === 'starting' && this.host.launching) {
      this.startCancelled = true;
      this.host.cancelLaunch();
      return this.serial(async () => this.state);
    }
    return this.serial(async () => {
      if (this.state.phase !== 'serving') {
        // Stopping from "failed" just clears the error.
        this.setState(IDLE_STATE);
        return this.state;
      }
      this.setState({ ...this.state, phase: 'stopping' });
      try {
        await this.host.stop();
      } finally {
        this.setState(IDLE_STATE);
      }
      return this.state;
    });
  }

  async dispose(): Promise<void> {
    this.diagnosticsLog.flush();
    this.diagnosticsLog.dispose();
    await this.host.dispose();
    await this.clients.close().catch(() => {});
    this.unsubscribeLibrary?.();
    this.listeners.clear();
  }

  /**
   * What the app serves: the library's images (the ones dropped on the window) and the wizard's profile.
   * Explicit `isos` (the CLI's `serve --ui --iso`) are kept; library images come beside them.
   */
  private async withLibrary(config: ServeConfig, request: StartRequest): Promise<ServeConfig> {
    const out: ServeConfig = { ...config };
    if (request.images !== undefined || request.isos === undefined) {
      const library = await this.images();
      await library.recheck();
      const all = library.list();
      let chosen: LibraryImage[];
      if (request.images === undefined) {
        chosen = all.filter((i) => !i.missing);
      } else {
        chosen = request.images.map((id) => {
          const image = all.find((i) => i.id === id);
          if (!image) throw new FieldbootError(ErrorCode.BadOption, `no image "${id}" in the library`, 'Add the image again on the Images screen.');
          return image;
        });
      }
      const gone = chosen.filter((i) => i.missing);
      if (gone.length) {
        throw new FieldbootError(ErrorCode.FileNotFound, `the image file ${gone.map((i) => i.path).join(', ')} is gone`, 'Plug the disk that holds it back in, or remove the image from the Images screen.');
      }
      // The library keeps real paths; a --iso given on the command line may be the same file by another name.
      const real = (p: string): string => {
        try {
          return realpathSync(p);
        } catch {
          return p;
        }
      };
      const given = new Set(config.isos.map(real));
      out.isos = [...config.isos, ...chosen.filter((i) => !i.netboot).map((i) => i.path).filter((p) => !given.has(real(p)))];
      // Debian netboot archives: the engine pairs each with the Debian image of the same release.
      // Only beside a Debian image: a leftover archive must not stop a session that serves no Debian image.
      const debian = chosen.some((i) => !i.netboot && i.summary.family === 'debian');
      const netboot = debian ? chosen.filter((i) => i.netboot).map((i) => i.path) : [];
      if (netboot.length) out.netboot = [...new Set([...(config.netboot ?? []), ...netboot])];
    }
    if (request.profile === null) delete out.profile;
    else if (request.profile !== undefined) {
      const file = this.profiles().fileFor(request.profile);
      try {
        await this.profiles().get(request.profile);
      } catch (err) {
        throw new FieldbootError(ErrorCode.ProfileInvalid, `the answer-file profile "${request.profile}" cannot be used: ${(err as Error).message}`, 'Open it in the Answer file tab and save it again, or pick another.');
      }
      out.profile = file;
    }
    return out;
  }

  async listImages(): Promise<LibraryImage[]> {
    const library = await this.images();
    // A stat per image: the list shows an unplugged disk as missing without a restart.
    await library.recheck();
    return library.list();
  }

  async addImage(path: string): Promise<LibraryImage> {
    return (await this.images()).add(path);
  }

  async removeImage(id: string): Promise<LibraryImage> {
    return (await this.images()).remove(id);
  }

  async uploadImage(fileName: string, body: Readable, options: ImageUploadOptions): Promise<LibraryImage> {
    return (await this.images()).importUpload(fileName, body, options);
  }

  listProfiles(): Promise<ProfileSummary[]> {
    return this.profiles().list();
  }

  getProfile(name: string): Promise<Profile> {
    return this.profiles().get(name);
  }

  saveProfile(request: ProfileSaveRequest): Promise<Profile> {
    const name = typeof request.profile?.name === 'string' ? request.profile.name : 'unsaved';
    if (request.password) this.noteSecret(`root password (profile ${name})`, request.password);
    if (request.adminPassword) this.noteSecret(`password of ${request.profile?.accounts?.users?.[0]?.name ?? 'the admin user'} (profile ${name})`, request.adminPassword);
    return this.profiles().save(request);
  }

  deleteProfile(name: string): Promise<ProfileSummary> {
    return this.profiles().delete(name);
  }

  async renderProfile(request: ProfileRenderRequest): Promise<ProfileRender> {
    return renderProfileAnswer(request, this.state);
  }

  async listBmcs(): Promise<BmcEntry[]> {
    return this.bmcs().list();
  }

  async addBmc(request: BmcAddRequest): Promise<BmcEntry> {
    if (request.password) this.noteSecret(`BMC password (${request.host})`, request.password, request.user);
    return this.bmcs().add(request);
  }

  async updateBmc(request: BmcUpdateRequest): Promise<BmcEntry> {
    if (request.password) this.noteSecret(`BMC password (${request.id})`, request.password, request.user);
    return this.bmcs().update(request);
  }

  async importBmcs(request: BmcImportRequest): Promise<BmcImportResponse> {
    for (const row of parseBmcCsv(request.csv, request.protocol).rows) this.noteSecret(`BMC password (${row.host})`, row.password, row.user);
    return this.bmcs().import(request);
  }

  async removeBmcs(ids: string[]): Promise<BmcEntry[]> {
    return this.bmcs().remove(ids);
  }

  testBmcs(ids: string[]): Promise<BmcRunResponse> {
    return this.bmcs().test(ids);
  }

  installBmcs(request: BmcInstallRequest): Promise<BmcInstallResponse> {
    return this.bmcs().install(request);
  }

  powerBmcs(request: BmcPowerRequest): Promise<BmcRunResponse> {
    return this.bmcs().power(request);
  }

  /** bmcs.json in the state dir, re-read on every call (the CLI may change it meanwhile). */
  private bmcs(): BmcService {
    this.bmcService ??= new BmcService({ ...this.options.bmc, stateDir: this.options.baseConfig.stateDir, push: (p) => this.push(p) });
    return this.bmcService;
  }

  getSettings(): Promise<SettingsSnapshot> {
    return this.settings().load();
  }

  /** Saved for the next start; a running session keeps what it started with. */
  saveSettings(settings: AppSettings): Promise<SettingsSnapshot> {
    return this.settings().save(settings);
  }

  /** <stateDir>/settings.json; its defaults are the options this host was started with. */
  private settings(): SettingsStore {
    this.settingsStore ??= new SettingsStore(this.options.baseConfig.stateDir, settingsDefaults(this.options.baseConfig));
    return this.settingsStore;
  }

  /** <stateDir>/profiles; nothing is read until a call needs it. */
  private profiles(): ProfileStore {
    this.profileStore ??= ProfileStore.forStateDir(this.options.baseConfig.stateDir);
    return this.profileStore;
  }

  /** Opened on first use (reading images.json and stat-ing each file), then shared. */
  private images(): Promise<ImageLibrary> {
    if (!this.library) {
      const opening = ImageLibrary.open(this.options.baseConfig.stateDir, this.options.images ?? {}).then((library) => {
        this.unsubscribeLibrary = library.onChange((images) => this.push({ type: 'images', images }));
        for (const message of library.loadWarnings) {
          this.push({ type: 'event', event: { type: 'log', time: nowIso(), level: 'warn', subsystem: 'ISO', message } });
        }
        return library;
      });
      // A failed open (unreadable state dir) is retried on the next call rather than cached.
      opening.catch(() => {
        if (this.library === opening) this.library = null;
      });
      this.library = opening;
    }
    return this.library;
  }

  /** Validates a UI request into a ServeConfig; throws FieldbootError with the field at fault. */
  private toConfig(request: StartRequest): ServeConfig {
    if (!request || typeof request.interface !== 'string' || !request.interface.trim()) {
      throw new FieldbootError(ErrorCode.BadOption, 'pick a network interface first');
    }
    const modes: string[] = Object.values(DhcpMode);
    if (!modes.includes(request.dhcpMode)) throw new FieldbootError(ErrorCode.BadOption, `unknown DHCP mode "${String(request.dhcpMode)}"`);
    const range = request.range?.trim() || undefined;
    if (range && !parseRange(range)) throw new FieldbootError(ErrorCode.BadRange, `cannot read the range "${range}"`);
    const allow = (request.allow ?? []).map((m) => {
      const mac = normalizeMac(m);
      if (!mac) throw new FieldbootError(ErrorCode.BadOption, `"${m}" is not a MAC address`);
      return mac;
    });
    const base = this.options.baseConfig;
    return {
      ...base,
      interface: request.interface.trim(),
      dhcpMode: request.dhcpMode,
      ...(range ? { range } : {}),
      ...(request.root ? { root: request.root } : base.root ? { root: base.root } : {}),
      isos: request.isos ?? base.isos ?? [],
      allow: allow.length ? allow : (base.allow ?? []),
      ...(request.assignAddress?.trim() ? { assignAddress: request.assignAddress.trim() } : {}),
    };
  }

  /**
   * Preflight runs here, in the host process, not in the engine: today both have the same rights (the
   * engine is a plain child process), and the report says so. Once the engine is started elevated, the
   * privileges line should come from the engine (a protocol command) instead.
   */
  /** The engine runs the probe: it is the process with the right to bind port 68 (once elevated). */
  async probeDhcp(request: { interface: string; timeoutMs?: number }): Promise<DhcpProbeReport> {
    if (this.state.phase === 'serving' || this.state.phase === 'starting') {
      throw new FieldbootError(ErrorCode.AlreadyServing, 'cannot check for other DHCP servers while serving: our own server would answer', 'Stop serving, then check again.');
    }
    // A probe never opens the administrator prompt by itself (after a cancelled or dismissed one, the Network
    // screen probes again as it shows): only Start asks for the password.
    if (this.host.elevated && this.host.pid === null) {
      throw new FieldbootError(
        ErrorCode.NoPrivilege,
        'Checking for other DHCP servers needs administrator rights, and FieldBoot asks for them only when you press Start.',
        'Press Start and enter the administrator password; the check works from then on.',
      );
    }
    return this.host.probeDhcp(request.interface, request.timeoutMs);
  }

  async runPreflight(request: PreflightRequest): Promise<PreflightReport> {
    // The ports the next start will use: the saved settings over the host's options.
    const base = applySettings({ ...this.options.baseConfig, interface: request.interface, dhcpMode: request.dhcpMode, isos: [], allow: [] }, await this.settings().load());
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    const report = await runPreflight(request, {
      interfaces: await this.listInterfaces(),
      ports: { dhcpPort: base.dhcpPort, proxyPort: base.proxyPort, tftpPort: base.tftpPort, httpPort: base.httpPort, ftpPort: base.ftpPort, ftp: base.ftp },
      ranIn: 'host',
      note: `Checked by the app process${uid !== null ? ` (uid ${uid})` : ''}; the engine runs with the same rights.`,
    });
    await this.noteElevation(report, request, base);
    this.lastPreflight = report;
    return report;
  }

  /**
   * With elevation on, the next start asks for administrator rights only if the privileges check says this
   * process lacks them; the engine it starts (once per engine process) is then kept for later starts. The
   * prompt itself comes with host.start, so a dismissed prompt is a failed start with pkexec's (or the OS's)
   * answer turned into words (engine-elevation.ts).
   */
  private async prepareEngineRights(config: ServeConfig, assigning: boolean): Promise<void> {
    const elevation = this.options.elevation;
    if (!elevation || this.host.elevated) return;
    if (!elevation.need(neededPorts(config.dhcpMode, config), assigning).needed) return;
    const plan = elevation.launch();
    if (!plan) return;
    // An unprivileged engine may be idle from an earlier start: the elevated one replaces it.
    await this.host.dispose();
    this.host.useLaunch(plan);
  }

  /**
   * With elevation on, missing rights are not a blocker: the privileges line is the elevation decision
   * (the same one the next start makes) and says who will ask for the rights.
   */
  private async noteElevation(report: PreflightReport, request: PreflightRequest, base: ServeConfig): Promise<void> {
    const elevation = this.options.elevation;
    const check = report.checks.find((c) => c.id === 'privileges');
    if (!elevation || !check) return;
    const method = elevationMethod(elevation.platform);
    const prompt = promptWords(method);
    if (this.host.elevated) {
      check.status = PreflightStatus.Ok;
      check.detail = `The network engine runs with administrator rights, started through ${prompt}.`;
      delete check.fix;
      report.note = `${report.note ?? ''} The privileges line is the engine's: it was started with administrator rights.`.trim();
      return;
    }
    const nic = (await this.listInterfaces()).find((i) => i.name === request.interface);
    const need = elevation.need(neededPorts(request.dhcpMode, base), !!request.assignAddress && !!nic && !nic.ipv4[0]);
    if (!need.needed || !method) return;
    check.status = PreflightStatus.Warning;
    check.detail = `${need.reason} FieldBoot will ask for an administrator password through ${prompt} when you press Start.`;
  }

  async getLogSnapshot(): Promise<LogSnapshot> {
    return this.diagnosticsLog.snapshot();
  }

  /**
   * A secret value met outside the stores (web-server.ts hands over the web UI token): the diagnostics zip
   * removes it wherever it appears. `user` given: its HTTP Basic form goes too.
   */
  noteSecret(what: string, value: string, user?: string): void {
    if (!value || this.sessionSecrets.some((s) => s.value === value && s.user === user)) return;
    if (this.sessionSecrets.length >= MAX_SESSION_SECRETS) this.sessionSecrets.shift();
    this.sessionSecrets.push({ what, value, ...(user !== undefined ? { user } : {}) });
  }

  /** The diagnostics zip (diagnostics-export.ts); every part that cannot be read is left out, never fatal. */
  async buildDiagnostics(): Promise<DiagnosticsBundle> {
    const stateDir = this.options.baseConfig.stateDir;
    const readText = (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);
    const profiles: { name: string; text: string }[] = [];
    // Every secret value the app holds, named: the zip removes them wherever they stand (a password typed
    // into a hostname field, a BMC password quoted in an error), not only where a key or pattern says so.
    const known: KnownSecret[] = [...this.sessionSecrets];
    for (const p of await this.listProfiles().catch(() => [])) {
      const profile = await this.getProfile(p.name).catch(() => null);
      if (profile) {
        profiles.push({ name: p.name, text: JSON.stringify(profile) });
        known.push(...profileSecrets(profile, p.name));
      }
    }
    const servedText = this.lastConfig?.profile ? await readText(this.lastConfig.profile) : null;
    if (servedText !== null) {
      try {
        known.push(...profileSecrets(JSON.parse(servedText) as unknown, 'being served'));
      } catch {
        /* not JSON: the text pass's patterns are all there is for it */
      }
    }
    try {
      for (const c of this.bmcs().credentials()) known.push({ what: `BMC password (${c.id})`, value: c.password, user: c.user });
    } catch {
      /* an unreadable BMC list is reported in bmcs.json below */
    }
    const preflight =
      this.lastPreflight ??
      (this.state.interface && this.state.dhcpMode ? await this.runPreflight({ interface: this.state.interface, dhcpMode: this.state.dhcpMode }).catch(() => null) : null);
    return buildDiagnostics({
      log: this.diagnosticsLog.snapshot(),
      events: this.diagnosticsLog.recentEvents(),
      state: this.state,
      config: this.lastConfig,
      profileText: servedText,
      profiles,
      stateFiles: { 'clients.json': await readText(join(stateDir, 'clients.json')), 'engine-clients.json': await readText(join(stateDir, 'engine-clients.json')) },
      clients: this.clients.list(),
      preflight,
      images: await this.listImages().catch((err: unknown) => ({ error: toErrorInfo(err) })),
      bmcs: await this.listBmcs().catch((err: unknown) => ({ error: toErrorInfo(err) })),
      versions: collectVersions(this.options.appVersion),
      knownSecrets: known,
    });
  }

  async exportDiagnostics(): Promise<DiagnosticsExport> {
    const bundle = await this.buildDiagnostics();
    if (this.options.saveDiagnostics) {
      const savedTo = await this.options.saveDiagnostics(bundle.fileName, bundle.zip);
      return savedTo === null ? { ...exportResult(bundle, null), cancelled: true } : exportResult(bundle, savedTo);
    }
    const dir = join(this.options.baseConfig.stateDir, 'diagnostics');
    await mkdir(dir, { recursive: true });
    const file = join(dir, bundle.fileName);
    await writeFile(file, bundle.zip, { mode: 0o600 });
    return exportResult(bundle, file);
  }

  /** The serving profile's name and target, read from its file (the engine reads the same file). */
  private async profileInfo(config: ServeConfig): Promise<ServedProfileInfo | null> {
    if (!config.profile) return null;
    try {
      const p = JSON.parse(await readFile(config.profile, 'utf8')) as { name?: unknown; target?: unknown };
      return { name: typeof p.name === 'string' ? p.name : basename(config.profile), file: config.profile, target: typeof p.target === 'string' ? p.target : null };
    } catch {
      return { name: basename(config.profile), file: config.profile, target: null };
    }
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.clients.list().map(clientSummary);
  }

  async getClient(mac: string): Promise<ClientRecord> {
    const record = this.clients.get(mac);
    if (!record) throw new FieldbootError(ErrorCode.FileNotFound, `no machine with MAC ${mac} has been seen`);
    return record;
  }

  async armClients(request: ClientArmRequest): Promise<ClientRecord[]> {
    const records = await this.clients.arm(request.macs, { oneShot: request.oneShot });
    if (this.state.phase === 'serving') this.host.arm({ macs: request.macs, armed: true, oneShot: request.oneShot === true });
    return records.map(clientSummary);
  }

  async disarmClients(macs: string[]): Promise<ClientRecord[]> {
    const records = await this.clients.disarm(macs);
    if (this.state.phase === 'serving') this.host.arm({ macs, armed: false });
    return records.map(clientSummary);
  }

  clearFinishedClients(): Promise<string[]> {
    return this.clients.clearFinished();
  }

  async exportClients(format: ClientReportFormat): Promise<string> {
    return clientReport(this.clients.list(), format);
  }

  private onEngineEvent(event: EngineEvent): void {
    this.diagnosticsLog.addEvent(event);
    this.push({ type: 'event', event });
    // A failed save is logged by the tracker; the event itself is already on its way to the view.
    this.clients.observe(event).catch(() => {});
    if (event.type === 'stopped' && this.state.phase === 'serving') this.setState(IDLE_STATE);
    // Kept in the state, so a window opened (or reloaded) during an outage shows it too.
    if (event.type === 'link' && this.state.phase === 'serving') this.setState({ ...this.state, link: event });
  }

  private setState(state: ServingState): void {
    this.state = state;
    this.push({ type: 'state', state });
  }

  private push(push: ApiPush): void {
    for (const l of this.listeners) {
      try {
        l(push);
      } catch {
        // A broken subscriber (closed socket) must not stop the others.
      }
    }
  }
}
