/**
 * Kickstart generator for anaconda: RHEL/Rocky/Alma 8 and 9, CentOS 7, Fedora 40.
 * Pure: (profile, host vars, context) -> text. Every command it writes is checked against
 * kickstart-commands.ts for the dialect in the tests.
 *
 * Disk safety: the kickstart itself names no disk. %pre finds the one target disk on the machine
 * (disk-select.ts) and writes /tmp/fieldboot-storage.ks (ignoredisk --only-use, clearpart --drives,
 * bootloader --boot-drive, the layout), which the main part %includes. No match: %pre fails
 * (--erroronfail) and anaconda stops before touching any disk.
 *
 * Progress: %pre reports pre-install and installing; a first %post --nochroot reports post-install,
 * the profile's script runs in the chroot, a last %post --nochroot reports finished; %onerror and
 * %traceback (RHEL 7/8; deprecated since F34, where %onerror covers crashes) report failed. All in the installer environment, where curl always exists.
 */
import { diskSelectScript, describeDisk } from './disk-select';
import { describeMachine, resolveMachine, type Machine } from './machine';
import { RenderError, type HostVars, type KickstartDialect, type Profile, type RenderContext } from './profile';
import {
  FIRST_BOOT_SCRIPT_PATH,
  FIRST_BOOT_UNIT_PATH,
  ProgressStage,
  curlProgress,
  firstBootScript,
  firstBootUnit,
} from './progress';

export const KS_STORAGE_INCLUDE = '/tmp/fieldboot-storage.ks';
const KS_DISK_SCRIPT = '/tmp/fieldboot-disk.sh';

/** Default software when the profile lists no groups: the minimal environment of each release. */
const DEFAULT_ENVIRONMENT: Record<KickstartDialect, string> = {
  rhel7: '^minimal',
  rhel8: '^minimal-environment',
  rhel9: '^minimal-environment',
  fedora40: '^minimal-environment',
};

const DEFAULT_FS: Record<KickstartDialect, 'xfs' | 'ext4'> = { rhel7: 'xfs', rhel8: 'xfs', rhel9: 'xfs', fedora40: 'ext4' };

/** Double-quote a kickstart argument (pykickstart splits with shlex). Values are pre-validated. */
function q(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** The storage commands for one disk. `disk` is a name ("sda") or a shell expansion ("$DISK"). */
export function kickstartStorageCommands(profile: Profile, dialect: KickstartDialect, disk: string): string[] {
  const fs = profile.partitioning.fsType ?? DEFAULT_FS[dialect];
  const lines = [
    `ignoredisk --only-use=${disk}`,
    'zerombr',
    `clearpart --all --initlabel --drives=${disk}`,
    `bootloader --location=mbr --boot-drive=${disk}`,
  ];
  switch (profile.partitioning.scheme) {
    case 'lvm':
      lines.push(`autopart --type=lvm --fstype=${fs}`);
      break;
    case 'plain':
      lines.push(`autopart --type=plain --fstype=${fs}`);
      break;
    case 'custom': {
      const parts = profile.partitioning.partitions;
      // reqpart adds what the firmware needs (biosboot or EFI system partition); --add-boot also a
      // /boot unless the profile has its own.
      lines.push(parts.some((p) => p.mount === '/boot') ? 'reqpart' : 'reqpart --add-boot');
      for (const p of parts) {
        const fsopt = p.fsType === 'swap' ? '' : ` --fstype=${p.fsType}`;
        lines.push(`part ${p.mount}${fsopt} --size=${p.sizeMb}${p.grow ? ' --grow' : ''} --ondisk=${disk}`);
      }
      break;
    }
  }
  return lines;
}

function networkLine(m: Machine): string {
  const parts = ['network'];
  if (m.network.mode === 'static') {
    parts.push('--bootproto=static', `--ip=${m.network.ip}`, `--netmask=${m.network.netmask}`);
    if (m.network.gateway) parts.push(`--gateway=${m.network.gateway}`);
    if (m.network.dns.length) parts.push(`--nameserver=${m.network.dns.join(',')}`);
  } else {
    parts.push('--bootproto=dhcp');
  }
  // anaconda accepts a MAC as --device; "link" is the first interface with a carrier.
  parts.push(`--device=${m.mac ?? 'link'}`, '--onboot=on', '--activate');
  if (m.hostname) parts.push(`--hostname=${m.domain ? `${m.hostname}.${m.domain}` : m.hostname}`);
  return parts.join(' ');
}

function checkScript(script: string): void {
  script.split('\n').forEach((line, i) => {
    if (/^\s*%/.test(line)) throw new RenderError(`post-install script line ${i + 1} starts with "%", which kickstart would read as a section marker`, 'postInstall');
  });
}

function heredoc(path: string, content: string, delimiter: string): string[] {
  if (content.split('\n').includes(delimiter)) throw new RenderError(`content contains the line ${delimiter}`, 'postInstall');
  return [`cat > ${path} <<'${delimiter}'`, ...content.replace(/\n$/, '').split('\n'), delimiter];
}

/** Root and user SSH keys through %post, for CentOS 7 (its kickstart has no sshkey command). */
function authorizedKeysScript(user: string, home: string, keys: string[]): string[] {
  if (!keys.length) return [];
  return [
    `install -d -m 700 ${home}/.ssh`,
    ...keys.map((k) => `echo ${q(k)} >> ${home}/.ssh/authorized_keys`),
    `chmod 600 ${home}/.ssh/authorized_keys`,
    `chown -R ${user}: ${home}/.ssh`,
    `restorecon -R ${home}/.ssh 2>/dev/null || true`,
  ];
}

export function renderKickstart(profile: Profile, host: HostVars, ctx: RenderContext): string {
  const m = resolveMachine(profile, host, ctx);
  const dialect = m.target.kickstart;
  if (m.target.format !== 'kickstart' || !dialect) throw new RenderError(`${m.target.label} does not use kickstart`, 'target');
  checkScript(profile.postInstall);
  const progress = (stage: (typeof ProgressStage)[keyof typeof ProgressStage], message?: string) => curlProgress(m.progressUrl, stage, m.mac, message);
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);

  add(
    `# Kickstart for ${m.target.label}, generated by FieldBoot from profile ${q(profile.name)}.`,
    `# Machine: ${describeMachine(m)}.`,
    `# Install disk: ${describeDisk(profile.disk)} (found by %pre; no other disk is touched).`,
  );
  if (dialect === 'rhel7') add('install');
  add('text', `url --url=${q(ctx.repoUrl)}`);
  for (const r of profile.repositories) add(`repo --name=${q(r.name)} --baseurl=${q(r.url)}`);
  add(`lang ${profile.locale.language}`);
  const xlayout = profile.locale.keyboardVariant ? `${profile.locale.keyboard} (${profile.locale.keyboardVariant})` : profile.locale.keyboard;
  add(`keyboard --vckeymap=${profile.locale.keyboard} --xlayouts=${q(xlayout)}`);

  const ntp = profile.locale.ntpServers;
  // RHEL 9 and Fedora moved NTP servers to timesource (timezone --ntpservers is deprecated in F33+).
  const timesource = dialect === 'rhel9' || dialect === 'fedora40';
  add(`timezone ${profile.locale.timezone}${profile.locale.utc ? ' --utc' : ''}${!timesource && ntp.length ? ` --ntpservers=${ntp.join(',')}` : ''}`);
  if (timesource) for (const s of ntp) add(`timesource --ntp-server=${s}`);

  add(networkLine(m));
  add(profile.accounts.rootPasswordHash ? `rootpw --iscrypted ${profile.accounts.rootPasswordHash}` : 'rootpw --lock');
  for (const u of profile.accounts.users) {
    const groups = [...new Set([...(u.sudo ? ['wheel'] : []), ...u.groups])];
    const parts = [`user --name=${u.name}`];
    if (u.fullName) parts.push(`--gecos=${q(u.fullName)}`);
    if (groups.length) parts.push(`--groups=${groups.join(',')}`);
    parts.push(u.passwordHash ? `--iscrypted --password=${u.passwordHash}` : '--lock');
    add(parts.join(' '));
  }
  if (dialect !== 'rhel7') {
    for (const k of profile.accounts.rootSshKeys) add(`sshkey --username=root ${q(k)}`);
    for (const u of profile.accounts.users) for (const k of u.sshKeys) add(`sshkey --username=${u.name} ${q(k)}`);
  }
  const fw = profile.security.firewall;
  add(fw.enabled ? `firewall --enabled${fw.services.length ? ` --service=${fw.services.join(',')}` : ''}` : 'firewall --disabled');
  add(`selinux --${profile.security.selinux}`);
  // CentOS 7 still defaults to the authconfig tool; RHEL 8+ use authselect's default profile as is.
  if (dialect === 'rhel7') add('auth --enableshadow --passalgo=sha512');
  if (profile.ssh.installServer) add('services --enabled=sshd');
  add('skipx', 'firstboot --disable', `%include ${KS_STORAGE_INCLUDE}`, profile.finish === 'poweroff' ? 'poweroff' : 'reboot');

  // Packages.
  add('', '%packages --ignoremissing');
  const groups = profile.packages.groups.length ? profile.packages.groups : [DEFAULT_ENVIRONMENT[dialect]];
  for (const g of groups) add(`@${g}`);
  const pkgs = [...new Set([...(profile.ssh.installServer ? ['openssh-server'] : []), ...(profile.firstBootCheckIn ? ['curl'] : []), ...profile.packages.install])];
  add(...pkgs);
  for (const x of profile.packages.exclude) add(`-${x}`);
  add('%end');

  // %pre: report, choose the disk, write the storage commands.
  add(
    '',
    '%pre --erroronfail --log=/tmp/fieldboot-pre.log',
    progress(ProgressStage.PreInstall),
    ...heredoc(KS_DISK_SCRIPT, diskSelectScript(profile.disk).join('\n'), 'FIELDBOOT_DISK'),
    `if ! DISK=$(sh ${KS_DISK_SCRIPT}); then`,
    `  ${progress(ProgressStage.Failed, 'no disk matches the profile')}`,
    '  exit 1',
    'fi',
    `cat > ${KS_STORAGE_INCLUDE} <<FIELDBOOT_STORAGE`,
    ...kickstartStorageCommands(profile, dialect, '$DISK'),
    'FIELDBOOT_STORAGE',
    progress(ProgressStage.Installing),
    '%end',
  );

  // %post: report from the installer environment, then configure the installed system.
  add('', '%post --nochroot', progress(ProgressStage.PostInstall), '%end');
  const post: string[] = [];
  if (dialect === 'rhel7') {
    post.push(...authorizedKeysScript('root', '/root', profile.accounts.rootSshKeys));
    for (const u of profile.accounts.users) post.push(...authorizedKeysScript(u.name, `/home/${u.name}`, u.sshKeys));
  }
  if (profile.ssh.installServer) {
    const setting = `PasswordAuthentication ${profile.ssh.passwordAuthentication ? 'yes' : 'no'}`;
    if (dialect === 'rhel9' || dialect === 'fedora40') {
      // sshd_config includes sshd_config.d/*.conf first and the first value wins, so 01- beats the vendor file.
      post.push(`echo ${q(setting)} > /etc/ssh/sshd_config.d/01-fieldboot.conf`);
    } else {
      post.push(`sed -i -e '/^#\\?PasswordAuthentication /d' /etc/ssh/sshd_config`, `echo ${q(setting)} >> /etc/ssh/sshd_config`);
    }
  }
  for (const r of profile.repositories) {
    const repo = [`[${r.name}]`, `name=${r.name}`, `baseurl=${r.url}`, 'enabled=1', r.gpgKeyUrl ? 'gpgcheck=1' : 'gpgcheck=0', ...(r.gpgKeyUrl ? [`gpgkey=${r.gpgKeyUrl}`] : [])];
    post.push(...heredoc(`/etc/yum.repos.d/${r.name}.repo`, repo.join('\n'), 'FIELDBOOT_REPO'));
  }
  if (profile.firstBootCheckIn) {
    post.push(
      ...heredoc(FIRST_BOOT_SCRIPT_PATH, firstBootScript(m.progressUrl, m.mac), 'FIELDBOOT_SCRIPT'),
      `chmod 755 ${FIRST_BOOT_SCRIPT_PATH}`,
      ...heredoc(FIRST_BOOT_UNIT_PATH, firstBootUnit(), 'FIELDBOOT_UNIT'),
      'systemctl enable fieldboot-first-boot.service',
    );
  }
  if (post.length) add('', '%post --log=/root/fieldboot-post.log', ...post, '%end');
  if (profile.postInstall.trim()) add('', '%post --log=/root/fieldboot-post-script.log', ...profile.postInstall.replace(/\n$/, '').split('\n'), '%end');
  add('', '%post --nochroot', progress(ProgressStage.Finished), '%end');
  add('', '%onerror', progress(ProgressStage.Failed, 'the installer reported an error'), '%end');
  // Since F34 (so RHEL 9) %onerror also runs on a crash and %traceback is deprecated.
  if (dialect === 'rhel7' || dialect === 'rhel8') add('', '%traceback', progress(ProgressStage.Failed, 'the installer crashed'), '%end');
  return out.join('\n') + '\n';
}
