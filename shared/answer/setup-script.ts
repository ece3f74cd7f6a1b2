/**
 * A shell script run once inside the installed system (chroot) by the Debian and Ubuntu generators,
 * for what their answer formats cannot say: extra users, SSH keys, sshd settings, the host name set
 * late, the first-boot check-in. Kickstart has commands for most of this and writes its own %post.
 */
import type { Machine } from './machine';
import type { Profile } from './profile';
import { FIRST_BOOT_SCRIPT_PATH, FIRST_BOOT_UNIT_PATH, firstBootScript, firstBootUnit, shQuote } from './progress';

export interface SetupOptions {
  /** Write /etc/hostname and the 127.0.1.1 line (d-i reads the preseed after netcfg named the host). */
  hostname: boolean;
  /** Set root's password hash with usermod (autoinstall has no field for it). */
  rootPassword: boolean;
  /** The first user was created by the installer (d-i passwd/*, autoinstall identity). */
  firstUserDone: boolean;
  /** sshd reads /etc/ssh/sshd_config.d (Debian 11+, Ubuntu 20.04+); else edit sshd_config. */
  sshdDropIn: boolean;
  rootKeys: boolean;
  /** Write the first user's keys too (autoinstall's ssh.authorized-keys already did). */
  firstUserKeys: boolean;
  /** Install the systemd first-boot check-in. */
  firstBoot: boolean;
  /** Extra apt sources with a key URL, added after the install (autoinstall). */
  signedRepos?: Profile['repositories'];
}

export function setupScript(profile: Profile, m: Machine, o: SetupOptions): string {
  const lines = ['#!/bin/sh', '# Written by FieldBoot; runs once inside the installed system.', 'set -e'];
  if (o.hostname && m.hostname) {
    const fqdn = m.domain ? `${m.hostname}.${m.domain}` : m.hostname;
    lines.push(
      `echo ${m.hostname} > /etc/hostname`,
      `sed -i -e '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts`,
      `echo '127.0.1.1 ${fqdn}${fqdn !== m.hostname ? ` ${m.hostname}` : ''}' >> /etc/hosts`,
    );
  }
  if (o.rootPassword && profile.accounts.rootPasswordHash) lines.push(`usermod -p ${shQuote(profile.accounts.rootPasswordHash)} root`);
  const users = o.firstUserDone ? profile.accounts.users.slice(1) : profile.accounts.users;
  for (const u of users) {
    const groups = [...new Set([...(u.sudo ? ['sudo'] : []), ...u.groups])];
    lines.push(
      `useradd -m -s /bin/bash${u.fullName ? ` -c ${shQuote(u.fullName)}` : ''}${groups.length ? ` -G ${groups.join(',')}` : ''} -p ${shQuote(u.passwordHash ?? '!')} ${u.name}`,
    );
  }
  if (o.rootKeys && profile.accounts.rootSshKeys.length) {
    lines.push('install -d -m 700 /root/.ssh', ...profile.accounts.rootSshKeys.map((k) => `echo ${shQuote(k)} >> /root/.ssh/authorized_keys`), 'chmod 600 /root/.ssh/authorized_keys');
  }
  profile.accounts.users.forEach((u, i) => {
    if (!u.sshKeys.length || (i === 0 && !o.firstUserKeys)) return;
    const home = `/home/${u.name}`;
    lines.push(
      `install -d -m 700 -o ${u.name} -g ${u.name} ${home}/.ssh`,
      ...u.sshKeys.map((k) => `echo ${shQuote(k)} >> ${home}/.ssh/authorized_keys`),
      `chown ${u.name}: ${home}/.ssh/authorized_keys`,
      `chmod 600 ${home}/.ssh/authorized_keys`,
    );
  });
  if (profile.ssh.installServer) {
    const setting = `PasswordAuthentication ${profile.ssh.passwordAuthentication ? 'yes' : 'no'}`;
    // sshd takes the first value it reads and includes sshd_config.d/*.conf at the top: 01- wins.
    if (o.sshdDropIn) lines.push(`echo '${setting}' > /etc/ssh/sshd_config.d/01-fieldboot.conf`);
    else lines.push(`sed -i -e '/^#\\?PasswordAuthentication /d' /etc/ssh/sshd_config`, `echo '${setting}' >> /etc/ssh/sshd_config`);
  }
  for (const r of o.signedRepos ?? []) {
    if (!r.gpgKeyUrl || !r.suite) continue;
    lines.push(
      'install -d -m 755 /etc/apt/keyrings',
      `curl -fsSL ${shQuote(r.gpgKeyUrl)} -o /etc/apt/keyrings/${r.name}.asc`,
      `echo ${shQuote(`deb [signed-by=/etc/apt/keyrings/${r.name}.asc] ${r.url} ${r.suite}`)} > /etc/apt/sources.list.d/${r.name}.list`,
    );
  }
  if (o.firstBoot) {
    lines.push(
      `cat > ${FIRST_BOOT_SCRIPT_PATH} <<'FIELDBOOT_SCRIPT'`, ...firstBootScript(m.progressUrl, m.mac).replace(/\n$/, '').split('\n'), 'FIELDBOOT_SCRIPT',
      `chmod 755 ${FIRST_BOOT_SCRIPT_PATH}`,
      `cat > ${FIRST_BOOT_UNIT_PATH} <<'FIELDBOOT_UNIT'`, ...firstBootUnit().replace(/\n$/, '').split('\n'), 'FIELDBOOT_UNIT',
      'systemctl enable fieldboot-first-boot.service',
    );
  }
  return lines.join('\n') + '\n';
}
