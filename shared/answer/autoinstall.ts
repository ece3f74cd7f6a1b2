/**
 * Ubuntu autoinstall generator (subiquity, Ubuntu 20.04+): `#cloud-config` with an `autoinstall:` key.
 * Pure: (profile, host vars, context) -> text. Tests validate the result against subiquity's JSON
 * schema (shared/answer/autoinstall-schema.json) and parse it back with PyYAML.
 *
 * YAML 1.1 output: subiquity and cloud-init read with PyYAML, a YAML 1.1 parser, so the `yaml`
 * package writes with version '1.1' and quotes what 1.1 would misread (keyboard layout `no`, `on`,
 * `1:20`, `0755`); its default 1.2 output is misread (library-evaluation.md section 6).
 *
 * Disk safety: early-commands runs the disk-choice script (disk-select.ts) and writes the chosen
 * device into /autoinstall.yaml, which subiquity re-reads after early-commands; the storage layout
 * matches only that path. If the rewrite does not happen, the placeholder path matches no disk and
 * the install stops before storage is touched.
 *
 * Progress: early-commands (pre-install), the reporting webhook (installing, shape 3 of progress.ts),
 * late-commands (post-install, finished), error-commands (failed), cloud-init runcmd (first-boot).
 */
import { Document } from 'yaml';
import { describeDisk, diskSelectScript } from './disk-select';
import { describeMachine, resolveMachine } from './machine';
import { RenderError, TARGETS, type HostVars, type Profile, type RenderContext } from './profile';
import { PROGRESS_EVENTS_SUFFIX, ProgressStage, curlProgress } from './progress';
import { setupScript } from './setup-script';

/** Replaced on the machine by the disk the script picks. */
export const AUTOINSTALL_DISK_PLACEHOLDER = '/dev/fieldboot-disk-not-chosen';

const DISK_SCRIPT = '/tmp/fieldboot-disk.sh';

function heredoc(path: string, content: string, delimiter: string): string {
  return `cat > ${path} <<'${delimiter}'\n${content.replace(/\n$/, '')}\n${delimiter}`;
}

/** The autoinstall document as plain data (before YAML), for tests and the schema check. */
export function autoinstallData(profile: Profile, host: HostVars, ctx: RenderContext): Record<string, unknown> {
  const m = resolveMachine(profile, host, ctx);
  if (m.target.format !== 'autoinstall') throw new RenderError(`${m.target.label} does not use autoinstall`, 'target');
  const first = profile.accounts.users[0];
  if (!first) throw new RenderError('Ubuntu autoinstall needs at least one user (identity); add one under accounts.users', 'accounts.users');
  if (profile.partitioning.scheme === 'custom') throw new RenderError('custom partitioning is not supported for Ubuntu autoinstall yet; use lvm or plain', 'partitioning.scheme');
  const progress = (stage: (typeof ProgressStage)[keyof typeof ProgressStage], message?: string) => curlProgress(m.progressUrl, stage, m.mac, message);
  const version = Number(m.target.version);

  const ethernet: Record<string, unknown> = m.mac ? { match: { macaddress: m.mac } } : { match: { name: 'e*' } };
  if (m.network.mode === 'static') {
    ethernet.addresses = [`${m.network.ip}/${m.network.prefix}`];
    // netplan on 20.04 predates "routes: to: default"; gateway4 works on every release (deprecated later).
    if (m.network.gateway) {
      if (version < 22) ethernet.gateway4 = m.network.gateway;
      else ethernet.routes = [{ to: 'default', via: m.network.gateway }];
    }
    if (m.network.dns.length) ethernet.nameservers = { addresses: m.network.dns, ...(m.domain ? { search: [m.domain] } : {}) };
  } else {
    ethernet.dhcp4 = true;
  }

  const unsigned = profile.repositories.filter((r) => !r.gpgKeyUrl);
  const signed = profile.repositories.filter((r) => r.gpgKeyUrl);
  profile.repositories.forEach((r, i) => {
    if (!r.suite) throw new RenderError(`repository ${r.name} needs a suite and components (e.g. "noble main") for ${m.target.label}`, `repositories[${i}].suite`);
  });
  const apt: Record<string, unknown> = { geoip: false };
  // Without Internet the mirror check fails; 24.04's subiquity can then install from the ISO alone.
  if (version >= 24) apt.fallback = 'offline-install';
  if (unsigned.length) apt.sources = Object.fromEntries(unsigned.map((r) => [r.name, { source: `deb [trusted=yes] ${r.url} ${r.suite ?? ''}` }]));

  const storage = {
    layout: { name: profile.partitioning.scheme === 'lvm' ? 'lvm' : 'direct', match: { path: AUTOINSTALL_DISK_PLACEHOLDER } },
  };

  const setup = setupScript(profile, m, {
    hostname: false,
    rootPassword: true,
    firstUserDone: true,
    sshdDropIn: true,
    rootKeys: true,
    firstUserKeys: false,
    firstBoot: false,
    signedRepos: signed,
  });
  const late = [
    progress(ProgressStage.PostInstall),
    heredoc('/target/root/fieldboot-setup.sh', setup, 'FIELDBOOT_SETUP'),
    'curtin in-target --target=/target -- sh /root/fieldboot-setup.sh',
  ];
  if (profile.postInstall.trim()) {
    late.push(heredoc('/target/root/fieldboot-post.sh', profile.postInstall, 'FIELDBOOT_POST'), 'curtin in-target --target=/target -- sh /root/fieldboot-post.sh');
  }
  late.push(progress(ProgressStage.Finished));

  const diskCommand = [
    heredoc(DISK_SCRIPT, diskSelectScript(profile.disk).join('\n'), 'FIELDBOOT_DISK'),
    `DISK=$(sh ${DISK_SCRIPT}) || { ${progress(ProgressStage.Failed, 'no disk matches the profile')}; exit 1; }`,
    `sed -i "s|${AUTOINSTALL_DISK_PLACEHOLDER}|/dev/$DISK|" /autoinstall.yaml`,
  ].join('\n');

  const groups = [...new Set([...(first.sudo ? ['sudo'] : []), ...first.groups])];
  const identity: Record<string, unknown> = {
    realname: first.fullName ?? first.name,
    username: first.name,
    hostname: m.hostname ?? 'ubuntu',
    // "!" locks the password: key-only login.
    password: first.passwordHash ?? '!',
  };
  // identity.groups arrived in later subiquity releases; older ones put the first user in the admin groups already.
  if (version >= 24 && groups.length) identity.groups = { append: groups };

  const autoinstall: Record<string, unknown> = {
    version: 1,
    locale: profile.locale.language,
    keyboard: { layout: profile.locale.keyboard, ...(profile.locale.keyboardVariant ? { variant: profile.locale.keyboardVariant } : {}) },
    timezone: profile.locale.timezone,
    network: { version: 2, ethernets: { fieldboot0: ethernet } },
    apt,
    identity,
    ssh: { 'install-server': profile.ssh.installServer, 'authorized-keys': first.sshKeys, 'allow-pw': profile.ssh.passwordAuthentication },
    storage,
    'early-commands': [progress(ProgressStage.PreInstall), diskCommand],
    reporting: { fieldboot: { type: 'webhook', endpoint: `${m.progressUrl}${PROGRESS_EVENTS_SUFFIX}` } },
    'late-commands': late,
    'error-commands': [progress(ProgressStage.Failed, 'the installer reported an error')],
    shutdown: profile.finish,
  };
  const packages = [...new Set([...profile.packages.install, ...(profile.locale.ntpServers.length ? ['chrony'] : [])])];
  if (packages.length) autoinstall.packages = packages;
  const userData: Record<string, unknown> = {};
  if (profile.locale.ntpServers.length) userData.ntp = { enabled: true, servers: profile.locale.ntpServers };
  if (profile.firstBootCheckIn) userData.runcmd = [['sh', '-c', progress(ProgressStage.FirstBoot)]];
  if (Object.keys(userData).length) autoinstall['user-data'] = userData;
  return {
    autoinstall,
    // Not read by the installer; keeps a human-readable record of what was generated.
    _fieldboot: { machine: describeMachine(m), disk: describeDisk(profile.disk), profile: profile.name },
  };
}

/**
 * YAML that PyYAML (YAML 1.1) reads back exactly: the `yaml` package with version '1.1' quotes no/on/yes,
 * 1:20 (sexagesimal), 0755 (octal) and friends. lineWidth 0: never fold long shell commands.
 */
export function toCloudConfigYaml(data: unknown, comment?: string): string {
  const doc = new Document(data, { version: '1.1' });
  if (comment) doc.commentBefore = comment;
  return `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
}

export function renderAutoinstall(profile: Profile, host: HostVars, ctx: RenderContext): string {
  const { _fieldboot: info, ...data } = autoinstallData(profile, host, ctx) as { _fieldboot: { machine: string; disk: string; profile: string } } & Record<string, unknown>;
  const label = TARGETS[ctx.target].label;
  return toCloudConfigYaml(
    data,
    [
      ` Ubuntu autoinstall for ${label}, generated by FieldBoot from profile "${info.profile}".`,
      ` Machine: ${info.machine}.`,
      ` Install disk: ${info.disk} (found by early-commands; no other disk is touched).`,
    ].join('\n'),
  );
}
