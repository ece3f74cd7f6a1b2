/**
 * The install profile: one JSON document that the kickstart, preseed and autoinstall generators all
 * read. Field-by-field documentation is in shared/answer/README.md; the JSON Schema is
 * profile-schema.json and the validator that the UI and CLI use is profile-validate.ts.
 *
 * Pure data and defaults: no Node APIs (the renderer imports this for the wizard).
 */

/** Bumped when a field changes meaning; the validator refuses documents of another version. */
export const PROFILE_VERSION = 1;

/** Installer answer-file format. */
export const AnswerFormat = {
  Kickstart: 'kickstart',
  Preseed: 'preseed',
  Autoinstall: 'autoinstall',
} as const;
export type AnswerFormat = (typeof AnswerFormat)[keyof typeof AnswerFormat];

/**
 * Kickstart dialects we generate for. RHEL clones (Rocky, Alma) share RHEL's dialect; pykickstart names
 * the same handlers RHEL7 / RHEL8 / RHEL9 / F40.
 */
export const KickstartDialect = {
  Rhel7: 'rhel7',
  Rhel8: 'rhel8',
  Rhel9: 'rhel9',
  Fedora40: 'fedora40',
} as const;
export type KickstartDialect = (typeof KickstartDialect)[keyof typeof KickstartDialect];

export type OsFamily = 'rhel' | 'rocky' | 'alma' | 'centos' | 'fedora' | 'debian' | 'ubuntu';

export interface TargetInfo {
  label: string;
  family: OsFamily;
  /** Major version as the vendor writes it ("9", "12", "24.04"). */
  version: string;
  format: AnswerFormat;
  /** Set for kickstart targets. */
  kickstart?: KickstartDialect;
}

/** Every target `answer render --target` accepts. */
export const TARGETS = {
  rhel8: { label: 'Red Hat Enterprise Linux 8', family: 'rhel', version: '8', format: 'kickstart', kickstart: 'rhel8' },
  rhel9: { label: 'Red Hat Enterprise Linux 9', family: 'rhel', version: '9', format: 'kickstart', kickstart: 'rhel9' },
  rocky8: { label: 'Rocky Linux 8', family: 'rocky', version: '8', format: 'kickstart', kickstart: 'rhel8' },
  rocky9: { label: 'Rocky Linux 9', family: 'rocky', version: '9', format: 'kickstart', kickstart: 'rhel9' },
  alma8: { label: 'AlmaLinux 8', family: 'alma', version: '8', format: 'kickstart', kickstart: 'rhel8' },
  alma9: { label: 'AlmaLinux 9', family: 'alma', version: '9', format: 'kickstart', kickstart: 'rhel9' },
  centos7: { label: 'CentOS 7', family: 'centos', version: '7', format: 'kickstart', kickstart: 'rhel7' },
  fedora40: { label: 'Fedora 40', family: 'fedora', version: '40', format: 'kickstart', kickstart: 'fedora40' },
  debian11: { label: 'Debian 11', family: 'debian', version: '11', format: 'preseed' },
  debian12: { label: 'Debian 12', family: 'debian', version: '12', format: 'preseed' },
  ubuntu1804: { label: 'Ubuntu 18.04 (legacy installer)', family: 'ubuntu', version: '18.04', format: 'preseed' },
  ubuntu2004: { label: 'Ubuntu 20.04', family: 'ubuntu', version: '20.04', format: 'autoinstall' },
  ubuntu2204: { label: 'Ubuntu 22.04', family: 'ubuntu', version: '22.04', format: 'autoinstall' },
  ubuntu2404: { label: 'Ubuntu 24.04', family: 'ubuntu', version: '24.04', format: 'autoinstall' },
} as const satisfies Record<string, TargetInfo>;
export type TargetId = keyof typeof TARGETS;

export function isTargetId(value: string): value is TargetId {
  return Object.prototype.hasOwnProperty.call(TARGETS, value);
}

export function targetInfo(id: TargetId): TargetInfo {
  return TARGETS[id];
}

/** How the install disk is found on the machine. Never "all disks". */
export const DiskSelect = {
  Smallest: 'smallest',
  Largest: 'largest',
  Model: 'model',
  Serial: 'serial',
  Wwn: 'wwn',
  /** A kernel device name (sda, nvme0n1); only safe on identical hardware. */
  Device: 'device',
} as const;
export type DiskSelect = (typeof DiskSelect)[keyof typeof DiskSelect];

export interface DiskChoice {
  select: DiskSelect;
  /** Candidates must be at least / at most this many GB (10^9 bytes). Applies to every `select`. */
  minGb?: number;
  maxGb?: number;
  /** For select=model: a case-insensitive substring of the model string. */
  model?: string;
  /** For select=serial: exact serial number. */
  serial?: string;
  /** For select=wwn: World Wide Name, e.g. 0x5000c500a1b2c3d4 (with or without 0x / naa.). */
  wwn?: string;
  /** For select=device: kernel name without /dev/ (sda, vda, nvme0n1). */
  device?: string;
  /** Removable disks (USB sticks, the install medium) are skipped unless this is true. */
  allowRemovable: boolean;
}

export const PartitionScheme = {
  Lvm: 'lvm',
  Plain: 'plain',
  Custom: 'custom',
} as const;
export type PartitionScheme = (typeof PartitionScheme)[keyof typeof PartitionScheme];

export type FsType = 'xfs' | 'ext4' | 'swap';

export interface CustomPartition {
  /** Mount point ("/", "/var", ...) or "swap". */
  mount: string;
  /** Size in MiB; with grow, the minimum. */
  sizeMb: number;
  /** Take the remaining space (at most one partition). */
  grow: boolean;
  fsType: FsType;
}

export interface Partitioning {
  scheme: PartitionScheme;
  /** File system for automatic layouts; omitted = the distribution's default (xfs on RHEL, ext4 on Debian/Ubuntu). */
  fsType?: 'xfs' | 'ext4';
  /** For scheme=custom: the partitions on the target disk (the boot/EFI partitions the platform needs are added). */
  partitions: CustomPartition[];
}

export interface UserAccount {
  name: string;
  fullName?: string;
  /** SHA-512 crypt ($6$...) or null for a locked password (key-only login). Never plain text. */
  passwordHash: string | null;
  groups: string[];
  /** Add to the admin group (wheel on RHEL, sudo on Debian/Ubuntu). */
  sudo: boolean;
  sshKeys: string[];
}

export interface StaticNetworkDefaults {
  /** Prefix length used when the inventory gives an address without one. */
  prefix?: number;
  gateway?: string;
  dns: string[];
}

export interface NetworkSettings {
  /** dhcp, or static with per-host addresses from the inventory (unknown hosts fall back to DHCP). */
  mode: 'dhcp' | 'static';
  static: StaticNetworkDefaults;
  /** DNS domain (FQDN = hostname.domain). */
  domain?: string;
}

export interface Repository {
  /** Short identifier: letters, digits, dot, dash, underscore. */
  name: string;
  url: string;
  /** Debian/Ubuntu suite and components ("bookworm main"); ignored by kickstart. */
  suite?: string;
  /** URL of the signing key; omitted = unsigned (kickstart: no gpgcheck; apt: [trusted=yes]). */
  gpgKeyUrl?: string;
}

export interface Profile {
  version: typeof PROFILE_VERSION;
  name: string;
  /** Target used when `answer render` is not given --target. */
  target?: TargetId;
  locale: {
    /** POSIX locale: en_US.UTF-8. */
    language: string;
    /** Console/X keyboard layout (us, de, no, fr...). */
    keyboard: string;
    keyboardVariant?: string;
    /** IANA zone: Europe/Oslo, Etc/UTC. */
    timezone: string;
    /** Hardware clock in UTC. */
    utc: boolean;
    ntpServers: string[];
  };
  accounts: {
    /** SHA-512 crypt of root's password, or null for a locked root account. */
    rootPasswordHash: string | null;
    rootSshKeys: string[];
    users: UserAccount[];
  };
  ssh: {
    installServer: boolean;
    /** Allow password logins over SSH (keys are always allowed). */
    passwordAuthentication: boolean;
  };
  network: NetworkSettings;
  /** Hostname pattern: literal text with {{variables}} (mac_hex, mac_suffix, or inventory columns). */
  hostname: string;
  disk: DiskChoice;
  partitioning: Partitioning;
  packages: {
    install: string[];
    /** Kickstart groups/environments without "@" (core, ^minimal-environment); Debian tasksel tasks. */
    groups: string[];
    /** Kickstart only: packages removed from the set. */
    exclude: string[];
  };
  repositories: Repository[];
  security: {
    selinux: 'enforcing' | 'permissive' | 'disabled';
    firewall: { enabled: boolean; services: string[] };
  };
  /** Shell script run inside the installed system (chroot) at the end of the install. */
  postInstall: string;
  /** What the machine does when the install is done. */
  finish: 'reboot' | 'poweroff';
  /** Install a one-shot service that calls the progress endpoint (stage first-boot) on the first boot. */
  firstBootCheckIn: boolean;
}

/** Every default a profile file may omit. Safe: smallest non-removable disk, DHCP, reboot. */
export const DEFAULT_PROFILE: Profile = {
  version: PROFILE_VERSION,
  name: 'default',
  locale: { language: 'en_US.UTF-8', keyboard: 'us', timezone: 'Etc/UTC', utc: true, ntpServers: [] },
  accounts: { rootPasswordHash: null, rootSshKeys: [], users: [] },
  ssh: { installServer: true, passwordAuthentication: false },
  network: { mode: 'dhcp', static: { dns: [] } },
  hostname: 'node-{{mac_suffix}}',
  disk: { select: 'smallest', allowRemovable: false },
  partitioning: { scheme: 'lvm', partitions: [] },
  packages: { install: [], groups: [], exclude: [] },
  repositories: [],
  security: { selinux: 'enforcing', firewall: { enabled: true, services: ['ssh'] } },
  postInstall: '',
  finish: 'reboot',
  firstBootCheckIn: false,
};

/** Default fields of a user entry. */
export const DEFAULT_USER: Omit<UserAccount, 'name'> = { passwordHash: null, groups: [], sudo: false, sshKeys: [] };

/**
 * Per-host values: what the inventory knows about one MAC (or defaults for an unknown one).
 * `vars` holds every inventory column (lower-case names) for hostname patterns and templates.
 */
export interface HostVars {
  /** Lower-case colon form, or null when rendering a generic file. */
  mac: string | null;
  hostname?: string;
  /** Static address; prefix from the inventory or the profile's network.static.prefix. */
  ip?: string;
  prefix?: number;
  gateway?: string;
  dns?: string[];
  vars: Record<string, string>;
}

/** What the server knows when it renders: where the installer calls back and fetches packages. */
export interface RenderContext {
  target: TargetId;
  /** Progress endpoint; "{{mac}}" is replaced by the client's MAC. See progress.ts for the contract. */
  progressUrl: string;
  /** The FieldBoot server's address on the install network. */
  serverIp: string;
  /** URL of the install tree (the ISO's contents served over HTTP), for kickstart url and the preseed mirror. */
  repoUrl: string;
}

/** Generator output when a profile cannot be rendered for a target (e.g. autoinstall without a user). */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}
