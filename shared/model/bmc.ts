/**
 * BMC control (IPMI over LAN, Redfish): the request/response types shared by the engine, the `fieldboot bmc`
 * CLI and the UI. Nothing here ever carries a stored password back out: entries say `hasPassword`, results
 * carry no credentials at all.
 */

export const BmcProtocol = { Ipmi: 'ipmi', Redfish: 'redfish' } as const;
export type BmcProtocol = (typeof BmcProtocol)[keyof typeof BmcProtocol];

/** Default ports: IPMI RMCP/RMCP+ is UDP 623 (IPMI v2.0 §13.1.1); Redfish is HTTPS (DSP0266 §7). */
export const BMC_DEFAULT_PORT = { ipmi: 623, redfish: 443 } as const satisfies Record<BmcProtocol, number>;

/** How many BMCs one action talks to at once, and how long one BMC may take for the whole action. */
export const DEFAULT_BMC_CONCURRENCY = 8;
export const DEFAULT_BMC_TIMEOUT_MS = 15_000;

/** RMCP+ cipher suites tried, in order (IPMI v2.0 Table 22-20): 3 = HMAC-SHA1 / HMAC-SHA1-96 / AES-CBC-128,
 * 17 = HMAC-SHA256 / HMAC-SHA256-128 / AES-CBC-128. Both are what current BMCs leave enabled. */
export const DEFAULT_CIPHER_SUITES = [3, 17] as const;

/** A BMC as listed (stored credentials are never part of it). */
export interface BmcEntry {
  /** Stable key: "host:port". */
  id: string;
  /** What the technician calls it (defaults to the host); used by --select. */
  name: string;
  host: string;
  port: number;
  protocol: BmcProtocol;
  user: string;
  /** The server's NIC MAC (lower-case, colons) when known: links the BMC to a PXE client. */
  mac: string | null;
  hasPassword: boolean;
  /** IPMI: the cipher suite that last worked (tried first next time). */
  cipherSuite: number | null;
  /** Redfish: SHA-256 fingerprint of the certificate seen on first use ("AB:CD:..."); later ones must match. */
  tlsFingerprint256: string | null;
  addedAt: string;
}

export interface BmcAddRequest {
  host: string;
  port?: number;
  protocol?: BmcProtocol;
  user: string;
  password: string;
  name?: string;
  mac?: string;
}

/** CSV text: `bmc_host,port,user,password,mac?` per line; a header line and `#` comments are skipped.
 * A host written `https://host` or `redfish://host` is a Redfish BMC. */
/** Change a stored BMC (host and port are its identity: to move it, remove and add). Omitted fields stay; `mac: null`
 * forgets the MAC. A new user without a new password keeps the stored password. */
export interface BmcUpdateRequest {
  id: string;
  name?: string;
  user?: string;
  password?: string;
  mac?: string | null;
}

export interface BmcImportRequest {
  csv: string;
  protocol?: BmcProtocol;
}

export interface BmcImportResponse {
  added: BmcEntry[];
  /** Lines naming a BMC already in the list: its user/password/MAC were replaced. */
  updated: BmcEntry[];
  /** Lines that could not be read; nothing from them was stored. Passwords never appear in these messages. */
  errors: { line: number; message: string }[];
}

export const BmcActionKind = {
  PowerStatus: 'power-status',
  PowerOn: 'power-on',
  PowerOff: 'power-off',
  /** Off, then on. A machine that is off is simply powered on (a BMC refuses to cycle a machine that is off). */
  PowerCycle: 'power-cycle',
  /** Hard reset (no power drop). */
  PowerReset: 'power-reset',
  BootPxe: 'boot-pxe',
  BootFlags: 'boot-flags',
  /** The server's own NIC MACs (Redfish EthernetInterfaces; IPMI has no standard command for them). */
  NicMacs: 'nic-macs',
} as const;
export type BmcActionKind = (typeof BmcActionKind)[keyof typeof BmcActionKind];

export type BmcAction =
  | { kind: 'power-status' | 'power-on' | 'power-off' | 'power-cycle' | 'power-reset' | 'boot-flags' | 'nic-macs' }
  /** Next boot from the network: once (the BMC clears it after one boot) or persistent; UEFI or legacy BIOS path. */
  | { kind: 'boot-pxe'; persistent: boolean; efi: boolean };

/** Which stored BMCs an action runs on. */
export type BmcSelection = { all: true } | { ids: string[] };

export interface BmcRunRequest {
  selection: BmcSelection;
  action: BmcAction;
  concurrency?: number;
  timeoutMs?: number;
}

/** Plain-words failure classes; the UI shows BMC_ERROR_TEXT[kind], with `message` as the detail. */
export const BmcErrorKind = {
  Unreachable: 'unreachable',
  BadCredentials: 'bad-credentials',
  CipherSuiteRefused: 'cipher-suite-refused',
  Timeout: 'timeout',
  NotSupported: 'not-supported',
  InsufficientPrivilege: 'insufficient-privilege',
  CertificateChanged: 'certificate-changed',
  ToolMissing: 'tool-missing',
  Failed: 'failed',
} as const;
export type BmcErrorKind = (typeof BmcErrorKind)[keyof typeof BmcErrorKind];

export const BMC_ERROR_TEXT: Record<BmcErrorKind, string> = {
  unreachable: 'unreachable',
  'bad-credentials': 'bad credentials',
  'cipher-suite-refused': 'cipher suite refused',
  timeout: 'timeout',
  'not-supported': 'command not supported',
  'insufficient-privilege': 'user lacks the privilege',
  'certificate-changed': 'certificate changed',
  'tool-missing': 'ipmitool not installed',
  failed: 'failed',
};

/** What the technician can do, per failure class. */
export const BMC_ERROR_HINTS: Record<BmcErrorKind, string> = {
  unreachable: 'Nothing answered at that address and port. Check the BMC address, that its NIC is cabled to this network, and that IPMI over LAN (or Redfish) is enabled.',
  'bad-credentials': 'The BMC refused the user name or password. Check them (they are case-sensitive) and re-add the BMC.',
  'cipher-suite-refused': 'The BMC refused the RMCP+ cipher suites FieldBoot speaks (3 and 17). Enable cipher suite 3 or 17 for the LAN channel in the BMC settings.',
  timeout: 'The BMC did not finish in time. It may be busy or rebooting; try again, or raise the timeout.',
  'not-supported': 'This BMC does not support that command. Set the boot device in its web interface instead.',
  'insufficient-privilege': 'The BMC user needs the Operator or Administrator privilege for this.',
  'certificate-changed': 'The BMC presented a different TLS certificate than the first time. If its certificate was really replaced, remove the BMC and add it again; otherwise something is intercepting the connection.',
  'tool-missing':
    'IPMI needs ipmitool. Install it (Debian/Ubuntu: apt install ipmitool; Fedora: dnf install ipmitool; macOS: brew install ipmitool). On Windows, point FIELDBOOT_IPMITOOL at an ipmitool.exe, or use the BMC over Redfish.',
  failed: 'The BMC reported an error; see the detail.',
};

export interface BmcError {
  kind: BmcErrorKind;
  /** Specifics, e.g. the BMC's own words. Never contains a password. */
  message: string;
}

export const BootDevice = { None: 'none', Pxe: 'pxe', Disk: 'disk', Cdrom: 'cdrom', BiosSetup: 'bios-setup', Other: 'other' } as const;
export type BootDevice = (typeof BootDevice)[keyof typeof BootDevice];

/** The boot override as read back from the BMC. */
export interface BootFlags {
  /** IPMI: the "boot flags valid" bit; Redfish: BootSourceOverrideEnabled is not "Disabled". */
  valid: boolean;
  persistent: boolean;
  /** null when the BMC does not say (Redfish without BootSourceOverrideMode). */
  efi: boolean | null;
  device: BootDevice;
  /** The BMC's own encoding: IPMI parameter 5 data as hex, Redfish Boot object as JSON. */
  raw: string;
}

export type PowerState = 'on' | 'off';

export interface BmcResult {
  id: string;
  name: string;
  host: string;
  protocol: BmcProtocol;
  action: BmcActionKind;
  ok: boolean;
  /** Power as last read back (null when not read). */
  power: PowerState | null;
  bootFlags: BootFlags | null;
  /** boot-pxe: the read-back shows what was asked (device, and the EFI/persistent bits where the BMC reports them). */
  confirmed: boolean | null;
  /** nic-macs: the server's NIC MACs as the BMC lists them (lower-case, colons); null when not read. */
  macs: string[] | null;
  /** What happened on the way, e.g. "was off: powered on", "fell back to cipher suite 3". */
  notes: string[];
  error: BmcError | null;
  durationMs: number;
}

export interface BmcRunResponse {
  action: BmcAction;
  results: BmcResult[];
}

/** How the machines should boot the installer: UEFI network boot or legacy BIOS PXE. */
export const BmcBootMode = { Uefi: 'uefi', Bios: 'bios' } as const;
export type BmcBootMode = (typeof BmcBootMode)[keyof typeof BmcBootMode];

/** "Install these machines": next boot from the network (once unless `persistent`), then power-cycle (power on if off). */
export interface BmcInstallRequest {
  ids: string[];
  bootMode: BmcBootMode;
  persistent?: boolean;
}

export const BmcInstallStep = { BootPxe: 'boot-pxe', PowerCycle: 'power-cycle' } as const;
export type BmcInstallStep = (typeof BmcInstallStep)[keyof typeof BmcInstallStep];

export interface BmcInstallResult {
  id: string;
  name: string;
  host: string;
  protocol: BmcProtocol;
  /** Both steps done. A boot override the BMC did not read back exactly is still ok (see `confirmed`). */
  ok: boolean;
  /** The step that failed (the power is never touched when the boot device could not be set). */
  failedStep: BmcInstallStep | null;
  error: BmcError | null;
  /** Whether the read-back showed the network boot override as asked (null: not read). */
  confirmed: boolean | null;
  power: PowerState | null;
  steps: BmcResult[];
  durationMs: number;
}

export interface BmcInstallResponse {
  request: BmcInstallRequest;
  results: BmcInstallResult[];
}

export type BmcPowerVerb = 'status' | 'on' | 'off' | 'cycle' | 'reset';
export const BMC_POWER_ACTIONS = {
  status: BmcActionKind.PowerStatus,
  on: BmcActionKind.PowerOn,
  off: BmcActionKind.PowerOff,
  cycle: BmcActionKind.PowerCycle,
  reset: BmcActionKind.PowerReset,
} as const satisfies Record<BmcPowerVerb, BmcActionKind>;

export interface BmcPowerRequest {
  ids: string[];
  action: BmcPowerVerb;
}

/** Request/response channels for the UI (spread into ApiChannels in shared/api/fieldboot-api.ts). Passwords go
 * in (add, update, import) and never come back out. */
export interface BmcChannels {
  'bmc:list': { request: void; response: BmcEntry[] };
  'bmc:add': { request: BmcAddRequest; response: BmcEntry };
  'bmc:update': { request: BmcUpdateRequest; response: BmcEntry };
  'bmc:import': { request: BmcImportRequest; response: BmcImportResponse };
  'bmc:remove': { request: { ids: string[] }; response: BmcEntry[] };
  /** Reachability and credentials: power status of each (Redfish BMCs without a MAC also get it read). */
  'bmc:test': { request: { ids: string[] }; response: BmcRunResponse };
  'bmc:install': { request: BmcInstallRequest; response: BmcInstallResponse };
  'bmc:power': { request: BmcPowerRequest; response: BmcRunResponse };
}
export type BmcChannel = keyof BmcChannels;
export const BMC_CHANNELS: readonly BmcChannel[] = ['bmc:list', 'bmc:add', 'bmc:update', 'bmc:import', 'bmc:remove', 'bmc:test', 'bmc:install', 'bmc:power'];

/** What a BMC row is doing now, pushed as each step starts and ends, so a rack of 40 fills in row by row. */
export interface BmcProgressPush {
  type: 'bmc-progress';
  id: string;
  operation: 'test' | 'install' | 'power';
  /** The action running (state "running") or just finished. */
  step: BmcActionKind;
  state: 'running' | 'ok' | 'failed';
  /** Set when the step finished. */
  result: BmcResult | null;
}

/** The whole BMC list after every change (add, update, import, remove, something learned by a run). */
export interface BmcListPush {
  type: 'bmcs';
  bmcs: BmcEntry[];
}

export type BmcPush = BmcProgressPush | BmcListPush;
