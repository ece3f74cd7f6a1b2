/**
 * The Settings screen's values on disk: <stateDir>/settings.json in the app's own state folder, written
 * atomically (temp file, fsync, rename, fsync of the folder), read defensively (a file that does not check is
 * reported and the defaults apply; the next save replaces it). Applied to the ServeConfig of the next start
 * only: a running session keeps what it started with.
 *
 * The stateDir *setting* moves where the engine keeps leases and its client records; this file, the image
 * library, profiles and BMCs stay in the app's own folder (the file cannot live in the folder it names).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { BiosLoader, DhcpMode, type ServeConfig } from '../../shared/model/serve-config';
import { DEFAULT_SETTINGS, checkSettings, type AppSettings, type SettingsSnapshot } from '../../shared/settings';
import { DEFAULT_BOOT_FILES } from '../engine/boot/boot-policy';
import { writeFileAtomic } from '../engine/images/library-file';

export const SETTINGS_FILE_NAME = 'settings.json';
export const SETTINGS_FILE_VERSION = 1;

interface SettingsFile {
  version: typeof SETTINGS_FILE_VERSION;
  savedAt: string;
  settings: AppSettings;
}

/** pxelinux.0 ships in resources/boot beside undionly.kpxe (see resources/boot/MANIFEST.txt). */
export const PXELINUX_BOOT_FILE = 'pxelinux.0';

/**
 * The defaults the screen resets to: the built-in ones, overridden by what the host was started with
 * (`fieldboot serve --ui --http-port 8080` shows and keeps 8080 until the technician saves otherwise).
 */
export function settingsDefaults(base: Partial<ServeConfig>): AppSettings {
  const d = { ...DEFAULT_SETTINGS };
  if (base.dhcpPort !== undefined) d.dhcpPort = base.dhcpPort;
  if (base.proxyPort !== undefined) d.proxyPort = base.proxyPort;
  if (base.tftpPort !== undefined) d.tftpPort = base.tftpPort;
  if (base.httpPort !== undefined) d.httpPort = base.httpPort;
  if (base.ftpPort !== undefined) d.ftpPort = base.ftpPort;
  if (base.range !== undefined) d.range = base.range;
  if (base.leaseTime !== undefined) d.leaseTime = base.leaseTime;
  if (base.menuTimeout !== undefined) d.menuTimeout = base.menuTimeout;
  if (base.biosBootFile === PXELINUX_BOOT_FILE) d.biosLoader = BiosLoader.Pxelinux;
  if (base.logLevel !== undefined) d.logLevel = base.logLevel;
  return d;
}

/**
 * The next start's config with the saved settings in it. The Network screen's own range (in the request)
 * wins over the default pool; the pool is only for full DHCP. Nothing saved: the config is left as it is.
 */
export function applySettings(config: ServeConfig, snapshot: Pick<SettingsSnapshot, 'settings' | 'savedAt'>): ServeConfig {
  if (snapshot.savedAt === null) return config;
  const s = snapshot.settings;
  const range = config.range ?? (s.range && config.dhcpMode === DhcpMode.Full ? s.range : undefined);
  return {
    ...config,
    dhcpPort: s.dhcpPort,
    proxyPort: s.proxyPort,
    tftpPort: s.tftpPort,
    httpPort: s.httpPort,
    ftpPort: s.ftpPort,
    ...(range ? { range } : {}),
    leaseTime: s.leaseTime,
    menuTimeout: s.menuTimeout,
    // The boot policy hands BIOS clients biosBootFile (electron/engine/session.ts, plan()); pxelinux then
    // reads the session's generated pxelinux.cfg/ menus over TFTP, as for a seed tree.
    biosBootFile: s.biosLoader === BiosLoader.Pxelinux ? PXELINUX_BOOT_FILE : DEFAULT_BOOT_FILES.bios,
    ...(s.stateDir ? { stateDir: s.stateDir } : {}),
    logLevel: s.logLevel,
  };
}

export class SettingsStore {
  readonly file: string;

  constructor(
    /** The app's own state folder. */
    readonly stateDir: string,
    /** What applies when nothing is saved, and what "Reset to defaults" offers. */
    readonly defaults: AppSettings,
  ) {
    this.file = join(stateDir, SETTINGS_FILE_NAME);
  }

  /** Re-read on every call: cheap, and a hand edit or a second host process is seen at the next start. */
  async load(): Promise<SettingsSnapshot> {
    const base = { defaults: this.defaults, file: this.file, defaultStateDir: this.stateDir };
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...base, settings: this.defaults, savedAt: null };
      return { ...base, settings: this.defaults, savedAt: null, loadError: `cannot read ${this.file}: ${(err as Error).message}` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { ...base, settings: this.defaults, savedAt: null, loadError: `${this.file} is not JSON (${(err as Error).message})` };
    }
    const body = parsed as Partial<SettingsFile> | null;
    if (typeof body !== 'object' || body === null || body.version !== SETTINGS_FILE_VERSION || typeof body.savedAt !== 'string') {
      return { ...base, settings: this.defaults, savedAt: null, loadError: `${this.file} is not a FieldBoot settings file (version ${SETTINGS_FILE_VERSION})` };
    }
    // Keys an older version did not write take today's defaults.
    const checked = checkSettings(body.settings, this.defaults);
    if (!checked.ok) return { ...base, settings: this.defaults, savedAt: null, loadError: `${this.file} does not check: ${checked.message}` };
    return { ...base, settings: checked.settings, savedAt: body.savedAt };
  }

  /** Checks (the same shared checks as the screen), writes atomically, answers the new snapshot. */
  async save(raw: unknown): Promise<SettingsSnapshot> {
    const settings = parseSettingsRequest(raw);
    const body: SettingsFile = { version: SETTINGS_FILE_VERSION, savedAt: new Date().toISOString(), settings };
    await writeFileAtomic(this.file, JSON.stringify(body, null, 2) + '\n');
    return { settings, defaults: this.defaults, savedAt: body.savedAt, file: this.file, defaultStateDir: this.stateDir };
  }
}

/** settings:set at the trust boundary: every key, exact types, the shared checks; BadOption naming each field. */
export function parseSettingsRequest(raw: unknown): AppSettings {
  const checked = checkSettings(raw);
  if (!checked.ok) throw new FieldbootError(ErrorCode.BadOption, `The settings were not saved. ${checked.message}`, 'Fix the fields the Settings screen marks, then save again.');
  return checked.settings;
}
