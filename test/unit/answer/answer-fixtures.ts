/** Shared inputs for the answer-file tests: the example profiles, a fixed server context, golden files. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE, type Profile, type RenderContext, type TargetId } from '../../../shared/answer/profile';
import { parseProfileText } from '../../../shared/answer/profile-validate';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const GOLDEN_DIR = join(ROOT, 'test', 'unit', 'answer', 'golden');

export const HASH_A = '$6$fbExampleSalt01$8oyTJk6IFUJtHz.BY/2MtlbqeiKOqhXOXJ.0J33dmvy1nZfWcIpKd/kbEF4YihFvER/VKoxILfVgwGyzdOEAl1';
export const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFieldBootExampleKeyReplaceMeWithYourOwnKey0 tech@laptop';

export function ctx(target: TargetId): RenderContext {
  return { target, serverIp: '10.77.0.1', progressUrl: 'http://10.77.0.1:8080/api/progress/{{mac}}', repoUrl: `http://10.77.0.1:8080/images/${target}/` };
}

export function exampleProfile(name: string): Profile {
  const r = parseProfileText(readFileSync(join(ROOT, 'examples', 'profiles', `${name}.json`), 'utf8'));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.profile;
}

/** A profile exercising most options: static network, custom partitions, repositories, several users. */
export function richProfile(): Profile {
  const p = structuredClone(DEFAULT_PROFILE);
  p.name = 'rich';
  p.locale = { language: 'nb_NO.UTF-8', keyboard: 'no', keyboardVariant: 'nodeadkeys', timezone: 'Europe/Oslo', utc: true, ntpServers: ['ntp1.example', '10.0.0.5'] };
  p.accounts = {
    rootPasswordHash: HASH_A,
    rootSshKeys: [KEY],
    users: [
      { name: 'alice', fullName: 'Alice Admin', passwordHash: HASH_A, groups: ['adm'], sudo: true, sshKeys: [KEY] },
      { name: 'bob', passwordHash: null, groups: [], sudo: false, sshKeys: [KEY] },
    ],
  };
  p.network = { mode: 'static', static: { prefix: 24, gateway: '10.77.0.1', dns: ['10.77.0.1', '1.1.1.1'] }, domain: 'lab.example' };
  p.disk = { select: 'serial', serial: 'S3Z9NB0K123456', minGb: 50, maxGb: 4000, allowRemovable: false };
  p.partitioning = { scheme: 'custom', partitions: [{ mount: '/', sizeMb: 20480, grow: true, fsType: 'xfs' }, { mount: '/var', sizeMb: 10240, grow: false, fsType: 'ext4' }, { mount: 'swap', sizeMb: 2048, grow: false, fsType: 'swap' }] };
  p.packages = { install: ['vim', 'tmux'], groups: ['core'], exclude: ['plymouth'] };
  p.repositories = [{ name: 'extras', url: 'http://10.77.0.1:8080/repo/extras/', suite: 'stable main', gpgKeyUrl: 'http://10.77.0.1:8080/repo/key.asc' }, { name: 'local', url: 'http://10.77.0.1:8080/repo/local/', suite: 'stable main' }];
  p.security = { selinux: 'permissive', firewall: { enabled: true, services: ['ssh', 'https'] } };
  p.postInstall = "#!/bin/sh\necho \"it's done\" > /etc/motd\nchmod 0755 /usr/local/bin || true\n";
  p.finish = 'poweroff';
  p.firstBootCheckIn = true;
  return p;
}

/** Compare with a golden file; UPDATE_GOLDEN=1 rewrites it. */
export function assertGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`golden file ${name} did not exist; written now, check it and re-run`);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from golden ${name} (UPDATE_GOLDEN=1 to accept)`);
}
