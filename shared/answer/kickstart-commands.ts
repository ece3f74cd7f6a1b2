/**
 * Kickstart commands and options per dialect, and a checker for generated kickstarts.
 *
 * pykickstart (ksvalidator) is not packaged in Debian 12, so this table is our oracle. It lists the
 * commands and sections FieldBoot emits, plus the ones whose status differs between versions
 * (install, auth/authconfig/authselect, timesource, sshkey), with the options each accepts. Facts
 * were read from pykickstart 3.74's handlers (RHEL7, RHEL8, RHEL9, F40 = our rhel7/centos7,
 * rhel8/rocky8/alma8, rhel9/rocky9/alma9, fedora40); options pykickstart marks deprecated are in
 * `deprecated`, and a generated file may not use them. A test cross-checks this table against
 * pykickstart itself when it is available (FIELDBOOT_PYKICKSTART=path to its source tree).
 *
 * Not covered: option values (beyond a few safety rules below), the bodies of %packages and scripts,
 * commands FieldBoot never writes (btrfs, raid, logvol, iscsi, zfcp, realm, ostree*, ...: reported as
 * "not in FieldBoot's table"), %addon and %anaconda sections, and runtime facts such as whether a
 * package group exists on the ISO.
 */
import type { KickstartDialect } from './profile';

export interface CommandSpec {
  options: readonly string[];
  /** Accepted with a warning by this version; FieldBoot never emits them. */
  deprecated?: readonly string[];
  /** Command or section accepted but deprecated as a whole (%traceback since F34: %onerror runs on tracebacks too). */
  deprecatedCommand?: true;
  /** May appear more than once (repo, user, sshkey, network, part, timesource). */
  repeatable?: true;
  /** Takes positional arguments (lang en_US.UTF-8, rootpw HASH, sshkey "KEY", part /). */
  positional?: true;
  /** Arguments are passed to another tool as is (auth/authconfig -> authconfig, authselect); not checked. */
  freeform?: true;
}

export type CommandTable = Readonly<Record<string, CommandSpec | 'unavailable'>>;

const URL_BASE = ['--url', '--mirrorlist', '--noverifyssl', '--proxy'] as const;
const URL_SSL = ['--metalink', '--sslcacert', '--sslclientcert', '--sslclientkey'] as const;
const REPO_BASE = ['--name', '--baseurl', '--cost', '--excludepkgs', '--includepkgs', '--install', '--mirrorlist', '--noverifyssl', '--proxy'] as const;
const USER = ['--name', '--gecos', '--gid', '--groups', '--homedir', '--iscrypted', '--lock', '--password', '--plaintext', '--shell', '--uid'] as const;
const NETWORK = [
  '--activate', '--bindto', '--bondopts', '--bondslaves', '--bootproto', '--bridgeopts', '--bridgeslaves', '--device', '--dhcpclass',
  '--essid', '--ethtool', '--gateway', '--hostname', '--interfacename', '--ip', '--ipv6', '--ipv6gateway', '--mtu', '--nameserver',
  '--netmask', '--no-activate', '--nodefroute', '--nodns', '--noipv4', '--noipv6', '--notksdevice', '--onboot', '--teamconfig',
  '--teamslaves', '--vlanid', '--wepkey', '--wpakey',
] as const;
const FIREWALL = ['--disable', '--disabled', '--enable', '--enabled', '--ftp', '--http', '--port', '--remove-service', '--service', '--smtp', '--ssh', '--trust'] as const;
const CLEARPART = ['--all', '--cdl', '--disklabel', '--drives', '--initlabel', '--linux', '--list', '--none'] as const;
const BOOTLOADER = ['--append', '--boot-drive', '--default', '--disabled', '--driveorder', '--extlinux', '--iscrypted', '--leavebootorder', '--location', '--md5pass', '--nombr', '--password', '--timeout'] as const;
const AUTOPART_BASE = ['--backuppassphrase', '--cipher', '--encrypted', '--escrowcert', '--fstype', '--nohome', '--nolvm', '--passphrase', '--type'] as const;
const AUTOPART_8 = ['--luks-version', '--noboot', '--noswap', '--pbkdf', '--pbkdf-iterations', '--pbkdf-memory', '--pbkdf-time'] as const;
const PART_BASE = [
  '--asprimary', '--backuppassphrase', '--cipher', '--encrypted', '--escrowcert', '--fsoptions', '--fsprofile', '--fstype', '--grow',
  '--hibernation', '--label', '--maxsize', '--mkfsoptions', '--noformat', '--onbiosdisk', '--ondisk', '--ondrive', '--onpart',
  '--passphrase', '--recommended', '--resize', '--size', '--type', '--usepart',
] as const;
const PART_8 = ['--luks-version', '--pbkdf', '--pbkdf-iterations', '--pbkdf-memory', '--pbkdf-time'] as const;
const TIMESOURCE = ['--ntp-disable', '--ntp-pool', '--ntp-server', '--nts'] as const;

/** Commands common to every dialect we generate for, as in pykickstart's RHEL7 handler. */
const RHEL7: CommandTable = {
  text: { options: [] },
  url: { options: URL_BASE },
  repo: { options: [...REPO_BASE, '--ignoregroups'], repeatable: true },
  lang: { options: ['--addsupport'], positional: true },
  keyboard: { options: ['--switch', '--vckeymap', '--xlayouts'], positional: true },
  timezone: { options: ['--isUtc', '--nontp', '--ntpservers', '--utc'], positional: true },
  timesource: 'unavailable',
  sshkey: 'unavailable',
  authselect: 'unavailable',
  rootpw: { options: ['--iscrypted', '--lock', '--plaintext'], positional: true },
  user: { options: USER, repeatable: true },
  network: { options: NETWORK, repeatable: true },
  firewall: { options: FIREWALL },
  selinux: { options: ['--disabled', '--enforcing', '--permissive'] },
  auth: { options: [], freeform: true },
  authconfig: { options: [], freeform: true },
  services: { options: ['--disabled', '--enabled'] },
  ignoredisk: { options: ['--drives', '--interactive', '--only-use'] },
  clearpart: { options: CLEARPART },
  zerombr: { options: [] },
  bootloader: { options: [...BOOTLOADER, '--upgrade'] },
  autopart: { options: AUTOPART_BASE },
  reqpart: { options: ['--add-boot'] },
  part: { options: [...PART_BASE, '--active'], repeatable: true, positional: true },
  reboot: { options: ['--eject'] },
  poweroff: { options: ['--eject'] },
  install: { options: ['--root-device'] },
  skipx: { options: [] },
  firstboot: { options: ['--disable', '--disabled', '--enable', '--enabled', '--reconfig'] },
  eula: { options: ['--accept', '--accepted', '--agree', '--agreed'] },
};

const RHEL8: CommandTable = {
  ...RHEL7,
  text: { options: ['--non-interactive'] },
  url: { options: [...URL_BASE, ...URL_SSL] },
  repo: { options: [...REPO_BASE, '--ignoregroups', ...URL_SSL], repeatable: true },
  sshkey: { options: ['--username'], repeatable: true, positional: true },
  authselect: { options: [], freeform: true },
  firewall: { options: [...FIREWALL, '--use-system-defaults'] },
  ignoredisk: { options: ['--drives', '--only-use'], deprecated: ['--interactive'] },
  bootloader: { options: BOOTLOADER, deprecated: ['--upgrade'] },
  autopart: { options: [...AUTOPART_BASE, ...AUTOPART_8] },
  part: { options: [...PART_BASE, ...PART_8], deprecated: ['--active'], repeatable: true, positional: true },
  reboot: { options: ['--eject', '--kexec'] },
  poweroff: { options: ['--eject', '--kexec'] },
  install: { options: ['--root-device'], deprecatedCommand: true },
};

const RHEL9: CommandTable = {
  ...RHEL8,
  repo: { options: [...REPO_BASE, ...URL_SSL], deprecated: ['--ignoregroups'], repeatable: true },
  timesource: { options: TIMESOURCE, repeatable: true },
  rootpw: { options: ['--allow-ssh', '--iscrypted', '--lock', '--plaintext'], positional: true },
  network: { options: [...NETWORK, '--ipv4-dns-search', '--ipv4-ignore-auto-dns', '--ipv6-dns-search', '--ipv6-ignore-auto-dns'], repeatable: true },
  ignoredisk: { options: ['--drives', '--only-use'] },
  bootloader: { options: BOOTLOADER },
  part: { options: [...PART_BASE, ...PART_8], repeatable: true, positional: true },
  install: 'unavailable',
};

const FEDORA40: CommandTable = {
  ...RHEL9,
  repo: { options: [...REPO_BASE, ...URL_SSL], repeatable: true },
  timezone: { options: ['--utc'], deprecated: ['--isUtc', '--nontp', '--ntpservers'], positional: true },
  auth: 'unavailable',
  authconfig: 'unavailable',
  bootloader: { options: [...BOOTLOADER, '--sdboot'] },
  autopart: { options: [...AUTOPART_BASE, ...AUTOPART_8, '--hibernation'] },
};

export const KICKSTART_COMMANDS: Readonly<Record<KickstartDialect, CommandTable>> = {
  rhel7: RHEL7,
  rhel8: RHEL8,
  rhel9: RHEL9,
  fedora40: FEDORA40,
};

const SCRIPT_OPTIONS = ['--erroronfail', '--interpreter', '--log', '--logfile'] as const;
const PACKAGES_7 = ['--default', '--excludedocs', '--ignoremissing', '--instLangs', '--multilib', '--nocore', '--retries', '--timeout'] as const;

/** Section headers and their options per dialect (pykickstart 3.74). */
export const KICKSTART_SECTIONS: Readonly<Record<KickstartDialect, Readonly<Record<string, CommandSpec>>>> = {
  rhel7: {
    '%pre': { options: SCRIPT_OPTIONS },
    '%pre-install': { options: SCRIPT_OPTIONS },
    '%post': { options: [...SCRIPT_OPTIONS, '--nochroot'] },
    '%onerror': { options: SCRIPT_OPTIONS },
    '%traceback': { options: SCRIPT_OPTIONS },
    '%packages': { options: PACKAGES_7, deprecated: ['--nobase'] },
  },
  rhel8: {
    '%pre': { options: SCRIPT_OPTIONS },
    '%pre-install': { options: SCRIPT_OPTIONS },
    '%post': { options: [...SCRIPT_OPTIONS, '--nochroot'] },
    '%onerror': { options: SCRIPT_OPTIONS },
    '%traceback': { options: SCRIPT_OPTIONS },
    '%packages': { options: [...PACKAGES_7, '--excludeWeakdeps'] },
  },
  rhel9: {
    '%pre': { options: SCRIPT_OPTIONS },
    '%pre-install': { options: SCRIPT_OPTIONS },
    '%post': { options: [...SCRIPT_OPTIONS, '--nochroot'] },
    '%onerror': { options: SCRIPT_OPTIONS },
    '%traceback': { options: SCRIPT_OPTIONS, deprecatedCommand: true },
    '%packages': { options: [...PACKAGES_7, '--excludeWeakdeps', '--exclude-weakdeps', '--inst-langs'] },
  },
  fedora40: {
    '%pre': { options: SCRIPT_OPTIONS },
    '%pre-install': { options: SCRIPT_OPTIONS },
    '%post': { options: [...SCRIPT_OPTIONS, '--nochroot'] },
    '%onerror': { options: SCRIPT_OPTIONS },
    '%traceback': { options: SCRIPT_OPTIONS, deprecatedCommand: true },
    '%packages': {
      options: ['--default', '--excludedocs', '--ignoremissing', '--multilib', '--nocore', '--retries', '--timeout', '--exclude-weakdeps', '--inst-langs', '--ignorebroken'],
      deprecated: ['--excludeWeakdeps', '--instLangs'],
    },
  },
};

export interface KickstartProblem {
  line: number;
  message: string;
}

/** Split a kickstart line as pykickstart does (shlex, POSIX mode, '#' starts a comment). */
export function splitKickstartLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '#' && !inWord) {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch === '\\' && i + 1 < line.length ? line[++i] : ch;
      inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inWord) out.push(cur);
  return out;
}

function checkOptions(where: string, words: string[], spec: CommandSpec, line: number, problems: KickstartProblem[]): Map<string, string | true> {
  const opts = new Map<string, string | true>();
  let positional = 0;
  for (const w of words) {
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq >= 0 ? w.slice(0, eq) : w;
      if (spec.deprecated?.includes(name)) problems.push({ line, message: `${where} ${name} is deprecated in this version` });
      else if (!spec.options.includes(name)) problems.push({ line, message: `${where} has no option ${name} in this version` });
      opts.set(name, eq >= 0 ? w.slice(eq + 1) : true);
    } else {
      positional++;
    }
  }
  if (positional && !spec.positional) problems.push({ line, message: `${where} takes no arguments besides options` });
  return opts;
}

/**
 * Check kickstart text against the table for one dialect. `includes` supplies the content of files
 * pulled in with %include (FieldBoot's storage file, written by %pre on the machine).
 * Besides syntax, it enforces FieldBoot's safety rules: clearpart only with --drives (never every
 * disk) and only with ignoredisk --only-use naming the same drive.
 */
export function checkKickstart(text: string, dialect: KickstartDialect, includes: Readonly<Record<string, string>> = {}): KickstartProblem[] {
  const problems: KickstartProblem[] = [];
  const table = KICKSTART_COMMANDS[dialect];
  const sections = KICKSTART_SECTIONS[dialect];
  const seen = new Map<string, number>();
  const facts: { clearpartDrives?: string; onlyUse?: string; clearpartLine?: number } = {};

  const checkLines = (lines: string[], lineOffset: number, source: string) => {
    let inSection: string | null = null;
    let sectionLine = 0;
    lines.forEach((raw, idx) => {
      const line = lineOffset + idx + 1;
      const trimmed = raw.trim();
      if (inSection) {
        if (trimmed === '%end') inSection = null;
        else if (/^%(pre|post|packages|onerror|traceback|pre-install)\b/.test(trimmed)) problems.push({ line, message: `${trimmed.split(/\s/)[0]} inside ${inSection} (missing %end?)` });
        return;
      }
      if (!trimmed || trimmed.startsWith('#')) return;
      let words: string[];
      try {
        words = splitKickstartLine(trimmed);
      } catch (err) {
        problems.push({ line, message: `${source}: ${(err as Error).message}` });
        return;
      }
      const [cmd, ...args] = words;
      if (!cmd) return;
      if (cmd === '%include' || cmd === '%ksappend') {
        const path = args[0];
        if (!path) problems.push({ line, message: `${cmd} needs a file` });
        else if (cmd === '%include' && path in includes) checkLines((includes[path] ?? '').split('\n'), 0, path);
        return;
      }
      if (cmd.startsWith('%')) {
        const spec = sections[cmd];
        if (!spec) {
          problems.push({ line, message: `unknown section ${cmd}` });
          return;
        }
        if (spec.deprecatedCommand) problems.push({ line, message: `${cmd} is deprecated in ${dialect}` });
        checkOptions(cmd, args, spec, line, problems);
        inSection = cmd;
        sectionLine = line;
        return;
      }
      const spec = table[cmd];
      if (spec === undefined) {
        problems.push({ line, message: `${cmd} is not in FieldBoot's kickstart table for ${dialect}` });
        return;
      }
      if (spec === 'unavailable') {
        problems.push({ line, message: `${cmd} is not available in ${dialect} (removed, or not yet added)` });
        return;
      }
      if (spec.deprecatedCommand) problems.push({ line, message: `${cmd} is deprecated in ${dialect}` });
      const prev = seen.get(cmd);
      if (prev !== undefined && !spec.repeatable) problems.push({ line, message: `${cmd} appears twice (first on line ${prev})` });
      seen.set(cmd, line);
      const opts = spec.freeform ? new Map<string, string | true>() : checkOptions(cmd, args, spec, line, problems);
      if (cmd === 'clearpart') {
        facts.clearpartLine = line;
        const drives = opts.get('--drives');
        if (typeof drives !== 'string' || !drives) problems.push({ line, message: 'clearpart without --drives= would wipe every disk' });
        else facts.clearpartDrives = drives;
        if (opts.has('--list') && opts.has('--all')) problems.push({ line, message: 'clearpart --list and --all together' });
      }
      if (cmd === 'ignoredisk') {
        const only = opts.get('--only-use');
        if (typeof only === 'string') facts.onlyUse = only;
      }
    });
    if (inSection) problems.push({ line: sectionLine, message: `${inSection} is never closed with %end` });
  };

  checkLines(text.split('\n'), 0, 'kickstart');
  if (facts.clearpartLine !== undefined) {
    if (facts.onlyUse === undefined) problems.push({ line: facts.clearpartLine, message: 'clearpart without ignoredisk --only-use: other disks stay visible to the installer' });
    else if (facts.clearpartDrives !== undefined && facts.clearpartDrives !== facts.onlyUse) {
      problems.push({ line: facts.clearpartLine, message: `clearpart --drives=${facts.clearpartDrives} differs from ignoredisk --only-use=${facts.onlyUse}` });
    }
  }
  return problems;
}
