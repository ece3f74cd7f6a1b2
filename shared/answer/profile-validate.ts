/**
 * Profile validation: unknown JSON in, a complete Profile (defaults filled) or a list of issues out.
 * Hand-written rather than a schema library so the renderer bundle stays small; it enforces the same
 * rules as profile-schema.json (a test runs both over the same good and bad documents) plus the ones a
 * schema cannot say well (plain-text passwords, cross-field rules). Values end up inside shell scripts
 * and debconf lines, so the character sets are deliberately narrow.
 */
import { parseIpv4 } from '../net/ipv4';
import {
  DEFAULT_PROFILE,
  DEFAULT_USER,
  DiskSelect,
  PROFILE_VERSION,
  PartitionScheme,
  TARGETS,
  type CustomPartition,
  type Profile,
  type Repository,
  type UserAccount,
} from './profile';

export interface ValidationIssue {
  /** Dotted path into the document: accounts.users[0].passwordHash */
  path: string;
  message: string;
}

export type ProfileResult = { ok: true; profile: Profile } | { ok: false; issues: ValidationIssue[] };

/** SHA-512 crypt as glibc/libxcrypt write it: optional rounds, salt of 1-16 chars, 86-char hash. */
export const SHA512_CRYPT_RE = /^\$6\$(rounds=[1-9][0-9]{3,8}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/;

export const PATTERNS = {
  language: /^[a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?$/,
  keyboard: /^[A-Za-z0-9_-]{1,32}$/,
  timezone: /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/,
  host: /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
  userName: /^[a-z_][a-z0-9_-]{0,31}$/,
  sshKey: /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^"'\\\n\r`$]*)?$/,
  hostnamePattern: /^([A-Za-z0-9.-]|\{\{ *[a-z][a-z0-9_]* *\}\})+$/,
  diskText: /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/,
  wwn: /^(0x|naa\.|eui\.)?[0-9A-Fa-f]{8,32}$/,
  device: /^[a-z][a-z0-9]{1,15}$/,
  mount: /^\/([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/,
  packageName: /^[A-Za-z0-9][A-Za-z0-9._+:-]*$/,
  /** Kickstart %packages accepts globs in exclusions. */
  packageGlob: /^[A-Za-z0-9*?][A-Za-z0-9._+:*?-]*$/,
  groupName: /^\^?[A-Za-z0-9][A-Za-z0-9._-]*$/,
  repoName: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  url: /^(https?|ftp):\/\/[^\s"'`\\$]+$/,
  suite: /^[A-Za-z0-9._/-]+( [A-Za-z0-9._-]+)*$/,
  service: /^[a-z0-9][a-z0-9_-]*$/,
} as const;

const PASSWORD_KEY_RE = /pass(word|wd)?|secret/i;

type Json = unknown;

class Checker {
  readonly issues: ValidationIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** An object with only the given keys; returns it, or null (with an issue) when not an object. */
  object(path: string, value: Json, keys: readonly string[]): Record<string, Json> | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.add(path || '(document)', 'must be an object');
      return null;
    }
    const obj = value as Record<string, Json>;
    for (const key of Object.keys(obj)) {
      if (keys.includes(key)) continue;
      const p = join(path, key);
      if (PASSWORD_KEY_RE.test(key) && typeof obj[key] === 'string') {
        this.add(p, 'unknown field that looks like a plain-text password; passwords are stored only as SHA-512 crypt hashes in "passwordHash" fields (fieldboot answer hash-password)');
      } else {
        this.add(p, 'unknown field');
      }
    }
    return obj;
  }

  string(path: string, value: Json, re?: RegExp, what?: string): string | undefined {
    if (typeof value !== 'string') {
      this.add(path, 'must be a string');
      return undefined;
    }
    if (re && !re.test(value)) {
      this.add(path, `"${clip(value)}" is not ${what ?? 'valid'}`);
      return undefined;
    }
    return value;
  }

  boolean(path: string, value: Json): boolean | undefined {
    if (typeof value !== 'boolean') {
      this.add(path, 'must be true or false');
      return undefined;
    }
    return value;
  }

  number(path: string, value: Json, min: number, max: number, integer: boolean): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      this.add(path, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: Json, options: readonly T[]): T | undefined {
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      this.add(path, `must be one of ${options.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  strings(path: string, value: Json, re: RegExp, what: string): string[] | undefined {
    if (!Array.isArray(value)) {
      this.add(path, 'must be a list');
      return undefined;
    }
    const out: string[] = [];
    value.forEach((v, i) => {
      const s = this.string(`${path}[${i}]`, v, re, what);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  ipv4(path: string, value: Json): string | undefined {
    const s = this.string(path, value);
    if (s === undefined) return undefined;
    if (parseIpv4(s) === null) {
      this.add(path, `"${clip(s)}" is not an IPv4 address`);
      return undefined;
    }
    return s;
  }

  passwordHash(path: string, value: Json): string | null | undefined {
    if (value === null) return null;
    if (typeof value !== 'string') {
      this.add(path, 'must be a SHA-512 crypt hash ($6$...) or null');
      return undefined;
    }
    if (!SHA512_CRYPT_RE.test(value)) {
      this.add(
        path,
        value.startsWith('$')
          ? 'is not a SHA-512 crypt hash ($6$salt$86 characters); other schemes ($1$ MD5, $5$, $y$) are not accepted'
          : 'looks like a plain-text password; store only its SHA-512 crypt hash (fieldboot answer hash-password)',
      );
      return undefined;
    }
    return value;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Validate a parsed JSON document and fill defaults. */
export function validateProfile(doc: Json): ProfileResult {
  const c = new Checker();
  const root = c.object('', doc, [
    'version', 'name', 'target', 'locale', 'accounts', 'ssh', 'network', 'hostname', 'disk', 'partitioning',
    'packages', 'repositories', 'security', 'postInstall', 'finish', 'firstBootCheckIn', '$schema', 'description',
  ]);
  if (!root) return { ok: false, issues: c.issues };
  const d = DEFAULT_PROFILE;
  const p: Profile = structuredClone(d);

  if (root.version !== PROFILE_VERSION) c.add('version', `must be ${PROFILE_VERSION} (this FieldBoot reads profile version ${PROFILE_VERSION})`);
  if ('name' in root) p.name = c.string('name', root.name) ?? p.name;
  if ('description' in root) c.string('description', root.description);
  if ('$schema' in root) c.string('$schema', root.$schema);
  if ('target' in root) {
    const t = c.oneOf('target', root.target, Object.keys(TARGETS) as (keyof typeof TARGETS)[]);
    if (t) p.target = t;
  }

  if ('locale' in root) {
    const o = c.object('locale', root.locale, ['language', 'keyboard', 'keyboardVariant', 'timezone', 'utc', 'ntpServers']);
    if (o) {
      if ('language' in o) p.locale.language = c.string('locale.language', o.language, PATTERNS.language, 'a locale like en_US.UTF-8') ?? p.locale.language;
      if ('keyboard' in o) p.locale.keyboard = c.string('locale.keyboard', o.keyboard, PATTERNS.keyboard, 'a keyboard layout like us or de') ?? p.locale.keyboard;
      if ('keyboardVariant' in o) {
        const v = c.string('locale.keyboardVariant', o.keyboardVariant, /^[A-Za-z0-9_-]{0,32}$/, 'a layout variant');
        if (v) p.locale.keyboardVariant = v;
      }
      if ('timezone' in o) p.locale.timezone = c.string('locale.timezone', o.timezone, PATTERNS.timezone, 'a time zone like Europe/Oslo') ?? p.locale.timezone;
      if ('utc' in o) p.locale.utc = c.boolean('locale.utc', o.utc) ?? p.locale.utc;
      if ('ntpServers' in o) p.locale.ntpServers = c.strings('locale.ntpServers', o.ntpServers, PATTERNS.host, 'a host name or address') ?? [];
    }
  }

  if ('accounts' in root) {
    const o = c.object('accounts', root.accounts, ['rootPasswordHash', 'rootSshKeys', 'users']);
    if (o) {
      if ('rootPasswordHash' in o) {
        const h = c.passwordHash('accounts.rootPasswordHash', o.rootPasswordHash);
        if (h !== undefined) p.accounts.rootPasswordHash = h;
      }
      if ('rootSshKeys' in o) p.accounts.rootSshKeys = c.strings('accounts.rootSshKeys', o.rootSshKeys, PATTERNS.sshKey, 'an OpenSSH public key line') ?? [];
      if ('users' in o) p.accounts.users = users(c, o.users);
    }
  }

  if ('ssh' in root) {
    const o = c.object('ssh', root.ssh, ['installServer', 'passwordAuthentication']);
    if (o) {
      if ('installServer' in o) p.ssh.installServer = c.boolean('ssh.installServer', o.installServer) ?? true;
      if ('passwordAuthentication' in o) p.ssh.passwordAuthentication = c.boolean('ssh.passwordAuthentication', o.passwordAuthentication) ?? false;
    }
  }

  if ('network' in root) {
    const o = c.object('network', root.network, ['mode', 'static', 'domain']);
    if (o) {
      if ('mode' in o) p.network.mode = c.oneOf('network.mode', o.mode, ['dhcp', 'static'] as const) ?? 'dhcp';
      if ('domain' in o) {
        const dom = c.string('network.domain', o.domain, PATTERNS.host, 'a DNS domain');
        if (dom) p.network.domain = dom;
      }
      if ('static' in o) {
        const s = c.object('network.static', o.static, ['prefix', 'gateway', 'dns']);
        if (s) {
          if ('prefix' in s) {
            const n = c.number('network.static.prefix', s.prefix, 1, 32, true);
            if (n !== undefined) p.network.static.prefix = n;
          }
          if ('gateway' in s) {
            const g = c.ipv4('network.static.gateway', s.gateway);
            if (g) p.network.static.gateway = g;
          }
          if ('dns' in s) {
            if (!Array.isArray(s.dns)) c.add('network.static.dns', 'must be a list');
            else p.network.static.dns = s.dns.map((v, i) => c.ipv4(`network.static.dns[${i}]`, v)).filter((v): v is string => !!v);
          }
        }
      }
    }
  }

  if ('hostname' in root) p.hostname = c.string('hostname', root.hostname, PATTERNS.hostnamePattern, 'a host name pattern (letters, digits, dot, dash and {{variables}})') ?? p.hostname;

  if ('disk' in root) {
    const o = c.object('disk', root.disk, ['select', 'minGb', 'maxGb', 'model', 'serial', 'wwn', 'device', 'allowRemovable']);
    if (o) {
      const sel = c.oneOf('disk.select', o.select, Object.values(DiskSelect));
      if (sel) p.disk.select = sel;
      for (const k of ['minGb', 'maxGb'] as const) {
        if (k in o) {
          const n = c.number(`disk.${k}`, o[k], 1, 1_000_000, false);
          if (n !== undefined) p.disk[k] = n;
        }
      }
      if (p.disk.minGb !== undefined && p.disk.maxGb !== undefined && p.disk.minGb > p.disk.maxGb) c.add('disk.maxGb', 'must not be smaller than disk.minGb');
      if ('model' in o) p.disk.model = c.string('disk.model', o.model, PATTERNS.diskText, 'a disk model (letters, digits, space . _ : -)');
      if ('serial' in o) p.disk.serial = c.string('disk.serial', o.serial, PATTERNS.diskText, 'a disk serial number');
      if ('wwn' in o) p.disk.wwn = c.string('disk.wwn', o.wwn, PATTERNS.wwn, 'a WWN like 0x5000c500a1b2c3d4');
      if ('device' in o) p.disk.device = c.string('disk.device', o.device, PATTERNS.device, 'a kernel disk name like sda or nvme0n1 (without /dev/)');
      if ('allowRemovable' in o) p.disk.allowRemovable = c.boolean('disk.allowRemovable', o.allowRemovable) ?? false;
      const needs = { model: 'model', serial: 'serial', wwn: 'wwn', device: 'device' } as const;
      if (sel && sel in needs) {
        const key = needs[sel as keyof typeof needs];
        if (p.disk[key] === undefined && !c.issues.some((i) => i.path === `disk.${key}`)) c.add(`disk.${key}`, `is required when disk.select is ${sel}`);
      }
    }
  } else {
    c.add('disk', 'is required: say which disk to install on (e.g. {"select": "smallest"}); FieldBoot never wipes every disk');
  }

  if ('partitioning' in root) {
    const o = c.object('partitioning', root.partitioning, ['scheme', 'fsType', 'partitions']);
    if (o) {
      if ('scheme' in o) p.partitioning.scheme = c.oneOf('partitioning.scheme', o.scheme, Object.values(PartitionScheme)) ?? 'lvm';
      if ('fsType' in o) {
        const f = c.oneOf('partitioning.fsType', o.fsType, ['xfs', 'ext4'] as const);
        if (f) p.partitioning.fsType = f;
      }
      if ('partitions' in o) p.partitioning.partitions = partitions(c, o.partitions);
      if (p.partitioning.scheme === 'custom') {
        const parts = p.partitioning.partitions;
        if (!parts.some((x) => x.mount === '/')) c.add('partitioning.partitions', 'custom partitioning needs a "/" partition');
        if (parts.filter((x) => x.grow).length > 1) c.add('partitioning.partitions', 'at most one partition can grow');
        const seen = new Set<string>();
        for (const x of parts) {
          if (x.mount !== 'swap' && seen.has(x.mount)) c.add('partitioning.partitions', `mount point ${x.mount} appears twice`);
          seen.add(x.mount);
        }
      }
    }
  }

  if ('packages' in root) {
    const o = c.object('packages', root.packages, ['install', 'groups', 'exclude']);
    if (o) {
      if ('install' in o) p.packages.install = c.strings('packages.install', o.install, PATTERNS.packageName, 'a package name') ?? [];
      if ('groups' in o) p.packages.groups = c.strings('packages.groups', o.groups, PATTERNS.groupName, 'a group or environment name (without @)') ?? [];
      if ('exclude' in o) p.packages.exclude = c.strings('packages.exclude', o.exclude, PATTERNS.packageGlob, 'a package name or glob') ?? [];
    }
  }

  if ('repositories' in root) p.repositories = repositories(c, root.repositories);

  if ('security' in root) {
    const o = c.object('security', root.security, ['selinux', 'firewall']);
    if (o) {
      if ('selinux' in o) p.security.selinux = c.oneOf('security.selinux', o.selinux, ['enforcing', 'permissive', 'disabled'] as const) ?? 'enforcing';
      if ('firewall' in o) {
        const f = c.object('security.firewall', o.firewall, ['enabled', 'services']);
        if (f) {
          if ('enabled' in f) p.security.firewall.enabled = c.boolean('security.firewall.enabled', f.enabled) ?? true;
          if ('services' in f) p.security.firewall.services = c.strings('security.firewall.services', f.services, PATTERNS.service, 'a service name like ssh') ?? [];
        }
      }
    }
  }

  if ('postInstall' in root) p.postInstall = c.string('postInstall', root.postInstall) ?? '';
  if ('finish' in root) p.finish = c.oneOf('finish', root.finish, ['reboot', 'poweroff'] as const) ?? 'reboot';
  if ('firstBootCheckIn' in root) p.firstBootCheckIn = c.boolean('firstBootCheckIn', root.firstBootCheckIn) ?? false;

  return c.issues.length ? { ok: false, issues: c.issues } : { ok: true, profile: p };
}

function users(c: Checker, value: Json): UserAccount[] {
  if (!Array.isArray(value)) {
    c.add('accounts.users', 'must be a list');
    return [];
  }
  const out: UserAccount[] = [];
  const names = new Set<string>();
  value.forEach((v, i) => {
    const path = `accounts.users[${i}]`;
    const o = c.object(path, v, ['name', 'fullName', 'passwordHash', 'groups', 'sudo', 'sshKeys']);
    if (!o) return;
    const u: UserAccount = { name: '', ...structuredClone(DEFAULT_USER) };
    const name = c.string(`${path}.name`, o.name, PATTERNS.userName, 'a user name (lower-case letters, digits, _ and -)');
    if (name === 'root') c.add(`${path}.name`, 'root is configured with accounts.rootPasswordHash, not as a user');
    else if (name && names.has(name)) c.add(`${path}.name`, `user ${name} appears twice`);
    if (name) names.add(name);
    u.name = name ?? '';
    if ('fullName' in o) {
      const f = c.string(`${path}.fullName`, o.fullName, /^[^"'\\\n\r`$:,]{0,64}$/, 'a full name (no quotes, colons, commas or $)');
      if (f) u.fullName = f;
    }
    if ('passwordHash' in o) {
      const h = c.passwordHash(`${path}.passwordHash`, o.passwordHash);
      if (h !== undefined) u.passwordHash = h;
    }
    if ('groups' in o) u.groups = c.strings(`${path}.groups`, o.groups, PATTERNS.userName, 'a group name') ?? [];
    if ('sudo' in o) u.sudo = c.boolean(`${path}.sudo`, o.sudo) ?? false;
    if ('sshKeys' in o) u.sshKeys = c.strings(`${path}.sshKeys`, o.sshKeys, PATTERNS.sshKey, 'an OpenSSH public key line') ?? [];
    out.push(u);
  });
  return out;
}

function partitions(c: Checker, value: Json): CustomPartition[] {
  if (!Array.isArray(value)) {
    c.add('partitioning.partitions', 'must be a list');
    return [];
  }
  const out: CustomPartition[] = [];
  value.forEach((v, i) => {
    const path = `partitioning.partitions[${i}]`;
    const o = c.object(path, v, ['mount', 'sizeMb', 'grow', 'fsType']);
    if (!o) return;
    const fsType = c.oneOf(`${path}.fsType`, o.fsType, ['xfs', 'ext4', 'swap'] as const);
    let mount: string | undefined;
    if (o.mount === 'swap') mount = 'swap';
    else mount = c.string(`${path}.mount`, o.mount, PATTERNS.mount, 'a mount point like /var (or swap)');
    if (mount && fsType && (mount === 'swap') !== (fsType === 'swap')) c.add(`${path}.fsType`, 'swap partitions have mount "swap" and fsType "swap"');
    const sizeMb = c.number(`${path}.sizeMb`, o.sizeMb, 1, 100_000_000, true);
    const grow = 'grow' in o ? c.boolean(`${path}.grow`, o.grow) : false;
    if (mount && fsType && sizeMb !== undefined && grow !== undefined) out.push({ mount, fsType, sizeMb, grow });
  });
  return out;
}

function repositories(c: Checker, value: Json): Repository[] {
  if (!Array.isArray(value)) {
    c.add('repositories', 'must be a list');
    return [];
  }
  const out: Repository[] = [];
  const names = new Set<string>();
  value.forEach((v, i) => {
    const path = `repositories[${i}]`;
    const o = c.object(path, v, ['name', 'url', 'suite', 'gpgKeyUrl']);
    if (!o) return;
    const name = c.string(`${path}.name`, o.name, PATTERNS.repoName, 'a repository name (letters, digits, . _ -)');
    if (name && names.has(name)) c.add(`${path}.name`, `repository ${name} appears twice`);
    if (name) names.add(name);
    const url = c.string(`${path}.url`, o.url, PATTERNS.url, 'an http, https or ftp URL');
    const r: Repository = { name: name ?? '', url: url ?? '' };
    if ('suite' in o) {
      const s = c.string(`${path}.suite`, o.suite, PATTERNS.suite, 'a suite and components like "bookworm main"');
      if (s) r.suite = s;
    }
    if ('gpgKeyUrl' in o) {
      const k = c.string(`${path}.gpgKeyUrl`, o.gpgKeyUrl, PATTERNS.url, 'an http, https or ftp URL');
      if (k) r.gpgKeyUrl = k;
    }
    out.push(r);
  });
  return out;
}

/** Parse profile JSON text; a syntax error is one issue at "(document)". */
export function parseProfileText(text: string): ProfileResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, issues: [{ path: '(document)', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return validateProfile(doc);
}

export function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}
