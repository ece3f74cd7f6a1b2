/**
 * The app's serving settings (Settings screen): ports, the default DHCP pool and lease time, the BIOS boot
 * loader, the menu timeout, the engine's state folder and log level. Saved by the host in
 * <stateDir>/settings.json and applied to the next start. The checks live here so the screen marks a field
 * as it is typed and the host refuses the same input at the trust boundary with the same words.
 *
 * What cannot be checked without the interface (the pool inside its subnet) is checked at start, where the
 * session refuses a range outside the interface's subnet (electron/engine/session.ts, plan()).
 */
import { BiosLoader, DEFAULT_PORTS } from './model/serve-config';
import type { LogLevel } from './model/engine-event';
import { parseIpv4, parseRange } from './net/ipv4';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

export const SETTINGS_LIMITS = {
  /** TCP/UDP port numbers (RFC 793 / RFC 768: 16 bits; 0 is not a listening port). */
  port: { min: 1, max: 65535 },
  /**
   * DHCP lease seconds (RFC 2132 section 9.2, option 51 is 32 bits). A minute at least, like the CLI's
   * --lease-time (shorter leases only add renew traffic during an install); a week at most, far beyond an
   * install day and short enough that a forgotten laptop's leases run out.
   */
  leaseTime: { min: 60, max: 7 * 24 * 3600 },
  /** Boot menu wait in seconds: 0 boots the default at once; ten minutes is more than anyone waits at a console. */
  menuTimeout: { min: 0, max: 600 },
  /** A path longer than PATH_MAX (Linux 4096) cannot be opened anyway. */
  stateDirChars: 4096,
} as const;

/** The ports a session listens on, in the order the screen lists them. */
export const PORT_FIELDS = ['dhcpPort', 'proxyPort', 'tftpPort', 'httpPort', 'ftpPort'] as const;
export type PortField = (typeof PORT_FIELDS)[number];

export interface AppSettings {
  /** DHCP server port (67 on real networks). */
  dhcpPort: number;
  /** proxyDHCP / PXE boot server port (4011). */
  proxyPort: number;
  tftpPort: number;
  httpPort: number;
  ftpPort: number;
  /** Default full-mode pool "FIRST-LAST" when the Network screen's range is empty; "" derives it from the subnet. */
  range: string;
  /** DHCP lease time in seconds. */
  leaseTime: number;
  /** First-stage loader BIOS clients get: iPXE (undionly.kpxe, HTTP) or pxelinux (pxelinux.0, TFTP only). */
  biosLoader: BiosLoader;
  /** Seconds the boot menu waits before its default entry. */
  menuTimeout: number;
  /** Where the engine keeps leases and its client records; "" is the app's own state folder. */
  stateDir: string;
  /** Lowest level of engine log lines passed on (debug includes raw packets). */
  logLevel: LogLevel;
}

export type SettingsField = keyof AppSettings;
export const SETTINGS_FIELDS = [...PORT_FIELDS, 'range', 'leaseTime', 'biosLoader', 'menuTimeout', 'stateDir', 'logLevel'] as const satisfies readonly SettingsField[];

/** Per-field problems, in words for the technician; a field without a problem has no key. */
export type SettingsErrors = Partial<Record<SettingsField, string>>;

export const DEFAULT_SETTINGS: AppSettings = {
  dhcpPort: DEFAULT_PORTS.dhcp,
  proxyPort: DEFAULT_PORTS.proxy,
  tftpPort: DEFAULT_PORTS.tftp,
  httpPort: DEFAULT_PORTS.http,
  ftpPort: DEFAULT_PORTS.ftp,
  range: '',
  leaseTime: 3600,
  biosLoader: BiosLoader.Ipxe,
  // The engine's own default (electron/engine/boot/boot-menu.ts DEFAULT_MENU_TIMEOUT_SEC).
  menuTimeout: 10,
  stateDir: '',
  logLevel: 'info',
};

/** What settings:get answers: the settings in force for the next start and where they come from. */
export interface SettingsSnapshot {
  settings: AppSettings;
  /** What "Reset to defaults" fills in: built-in defaults, overridden by the host's command-line options. */
  defaults: AppSettings;
  /** ISO time of the last save; null: nothing saved, the defaults apply. */
  savedAt: string | null;
  /** The settings file (in the app's own state folder, which the stateDir setting does not move). */
  file: string;
  /** The app's own state folder, used when stateDir is "". */
  defaultStateDir: string;
  /** Set when the saved file could not be read; the defaults apply and the next save replaces it. */
  loadError?: string;
}

const BIOS_LOADERS: readonly string[] = Object.values(BiosLoader);
const PORT_LABELS: Record<PortField, string> = { dhcpPort: 'DHCP', proxyPort: 'proxyDHCP', tftpPort: 'TFTP', httpPort: 'HTTP', ftpPort: 'FTP' };

/** POSIX "/x", Windows "C:\x" or "C:/x", UNC "\\server\share". */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

function intProblem(value: number, min: number, max: number, what: string): string | null {
  if (!Number.isInteger(value) || value < min || value > max) return `${what} must be a whole number from ${min} to ${max}.`;
  return null;
}

export function rangeFormatProblem(range: string): string | null {
  if (range === '') return null;
  const parts = range.split('-');
  if (parts.length !== 2 || parts.some((p) => parseIpv4(p.trim()) === null)) return 'Write the pool as FIRST-LAST, for example 10.77.0.100-10.77.0.200, or leave it empty.';
  if (!parseRange(range)) return 'The first address of the pool must not come after the last.';
  return null;
}

/** Every problem of a complete settings value (types assumed). Empty object: usable as is. */
export function settingsProblems(s: AppSettings): SettingsErrors {
  const errors: SettingsErrors = {};
  for (const field of PORT_FIELDS) {
    const p = intProblem(s[field], SETTINGS_LIMITS.port.min, SETTINGS_LIMITS.port.max, `The ${PORT_LABELS[field]} port`);
    if (p) errors[field] = p;
  }
  // One port, one server: two servers cannot both listen on it (and a shared number would confuse clients).
  for (const [i, field] of PORT_FIELDS.entries()) {
    if (errors[field]) continue;
    const clash = PORT_FIELDS.slice(0, i).find((other) => !errors[other] && s[other] === s[field]);
    if (clash) errors[field] = `Port ${s[field]} is already the ${PORT_LABELS[clash]} port; each server needs its own.`;
  }
  const range = rangeFormatProblem(s.range);
  if (range) errors.range = range;
  const { min, max } = SETTINGS_LIMITS.leaseTime;
  if (intProblem(s.leaseTime, min, max, '')) errors.leaseTime = `The lease time must be a whole number of seconds from ${min} (a minute) to ${max} (a week).`;
  if (!BIOS_LOADERS.includes(s.biosLoader)) errors.biosLoader = 'Pick iPXE or pxelinux.';
  const menu = intProblem(s.menuTimeout, SETTINGS_LIMITS.menuTimeout.min, SETTINGS_LIMITS.menuTimeout.max, 'The menu timeout');
  if (menu) errors.menuTimeout = menu;
  if (s.stateDir !== '') {
    if (s.stateDir.length > SETTINGS_LIMITS.stateDirChars || s.stateDir.includes('\0')) errors.stateDir = 'This is not a usable folder path.';
    else if (!isAbsolutePath(s.stateDir)) errors.stateDir = 'Give the full path of the folder (starting with / or a drive letter), or leave it empty.';
  }
  if (!(LOG_LEVELS as readonly string[]).includes(s.logLevel)) errors.logLevel = `Pick one of ${LOG_LEVELS.join(', ')}.`;
  return errors;
}

/** The Settings form: every field as the technician typed it. */
export type SettingsForm = { [K in SettingsField]: string };

export function settingsToForm(s: AppSettings): SettingsForm {
  return {
    dhcpPort: String(s.dhcpPort),
    proxyPort: String(s.proxyPort),
    tftpPort: String(s.tftpPort),
    httpPort: String(s.httpPort),
    ftpPort: String(s.ftpPort),
    range: s.range,
    leaseTime: String(s.leaseTime),
    biosLoader: s.biosLoader,
    menuTimeout: String(s.menuTimeout),
    stateDir: s.stateDir,
    logLevel: s.logLevel,
  };
}

/** Digits only: "8e1", "0x50", " 80" and "80.0" are not port numbers a person means. */
function formInt(text: string): number {
  const t = text.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : Number.NaN;
}

/** Typed text to settings: the value when every field is usable, and each field's problem otherwise. */
export function parseSettingsForm(form: SettingsForm): { settings: AppSettings | null; errors: SettingsErrors } {
  const settings: AppSettings = {
    dhcpPort: formInt(form.dhcpPort),
    proxyPort: formInt(form.proxyPort),
    tftpPort: formInt(form.tftpPort),
    httpPort: formInt(form.httpPort),
    ftpPort: formInt(form.ftpPort),
    range: form.range.trim(),
    leaseTime: formInt(form.leaseTime),
    biosLoader: form.biosLoader as BiosLoader,
    menuTimeout: formInt(form.menuTimeout),
    stateDir: form.stateDir.trim(),
    logLevel: form.logLevel as LogLevel,
  };
  const errors = settingsProblems(settings);
  return { settings: Object.keys(errors).length === 0 ? settings : null, errors };
}

export type SettingsCheck = { ok: true; settings: AppSettings } | { ok: false; errors: SettingsErrors; message: string };

/**
 * An untrusted value (a request body, the saved file) to settings. Exact types, no unknown keys. With
 * `base`, missing keys take its values (a file written by an older version); without it every key is needed.
 */
export function checkSettings(raw: unknown, base?: AppSettings): SettingsCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: {}, message: 'The settings must be an object.' };
  const r = raw as Record<string, unknown>;
  const known: readonly string[] = SETTINGS_FIELDS;
  const unknown = Object.keys(r).filter((k) => !known.includes(k));
  if (unknown.length) return { ok: false, errors: {}, message: `Unknown setting${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.` };
  const errors: SettingsErrors = {};
  const out: Record<string, unknown> = {};
  for (const field of SETTINGS_FIELDS) {
    const value = field in r ? r[field] : base?.[field];
    const wantsNumber = typeof DEFAULT_SETTINGS[field] === 'number';
    if (value === undefined) errors[field] = 'This setting is missing.';
    else if (wantsNumber ? typeof value !== 'number' : typeof value !== 'string') errors[field] = `This setting must be a ${wantsNumber ? 'number' : 'text'}.`;
    else out[field] = value;
  }
  if (Object.keys(errors).length) return { ok: false, errors, message: describeSettingsErrors(errors) };
  const settings = out as unknown as AppSettings;
  const problems = settingsProblems(settings);
  return Object.keys(problems).length ? { ok: false, errors: problems, message: describeSettingsErrors(problems) } : { ok: true, settings };
}

/** One line naming each field at fault, for an error message. */
export function describeSettingsErrors(errors: SettingsErrors): string {
  return Object.entries(errors)
    .map(([field, message]) => `${field}: ${message}`)
    .join(' ');
}
