import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPreseed } from '../../../shared/answer/preseed';
import { TARGETS, type Profile, type TargetId } from '../../../shared/answer/profile';
import { assertGolden, ctx, exampleProfile, richProfile } from './answer-fixtures';

const PRESEED_TARGETS = (Object.keys(TARGETS) as TargetId[]).filter((t) => TARGETS[t].format === 'preseed');
const HOST = { mac: '52:54:00:00:00:10', ip: '10.77.0.21', prefix: 24, vars: { mac: '52:54:00:00:00:10' } };

function plainProfile(): Profile {
  const p = richProfile();
  p.partitioning = { scheme: 'plain', fsType: 'ext4', partitions: [] };
  p.network.mode = 'dhcp';
  p.postInstall = '';
  return p;
}

const PROFILES: Array<[string, () => Profile]> = [
  ['debian12-example', () => exampleProfile('debian12')],
  ['rich', richProfile],
  ['plain-dhcp', plainProfile],
];

/** debconf-set-selections --checkonly: the real parser d-i's preseeding is built on. */
function checkonly(text: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fieldboot-preseed-'));
  try {
    const file = join(dir, 'preseed.cfg');
    writeFileSync(file, text);
    const r = spawnSync('debconf-set-selections', ['--checkonly', file], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const haveDebconf = spawnSync('debconf-set-selections', ['--checkonly', '/dev/null']).status === 0;

for (const target of PRESEED_TARGETS) {
  for (const [name, make] of PROFILES) {
    test(`preseed ${target} / ${name}: debconf-set-selections --checkonly passes`, (t) => {
      if (!haveDebconf) return t.skip('debconf-set-selections not installed (package debconf)');
      const r = checkonly(renderPreseed(make(), HOST, ctx(target)));
      assert.equal(r.status, 0, r.output);
      assert.equal(r.output, '');
    });
  }
}

test('the checker is not a rubber stamp: a malformed line fails', (t) => {
  if (!haveDebconf) return t.skip('debconf-set-selections not installed');
  const r = checkonly('d-i passwd/root-login boolean true\nd-i missing-type\n');
  assert.notEqual(r.status, 0);
});

test('golden preseeds', () => {
  assertGolden('preseed-debian12-example.cfg', renderPreseed(exampleProfile('debian12'), HOST, ctx('debian12')));
  assertGolden('preseed-debian12-rich.cfg', renderPreseed(richProfile(), HOST, ctx('debian12')));
  assertGolden('preseed-ubuntu1804-plain.cfg', renderPreseed(plainProfile(), HOST, ctx('ubuntu1804')));
});

test('continued lines join into the shell commands d-i runs', () => {
  const text = renderPreseed(richProfile(), HOST, ctx('debian12'));
  // Join continuations the way debconf-set-selections does, then run the commands' syntax through sh -n.
  const joined = text.replace(/\\\n/g, '');
  for (const q of ['preseed/early_command', 'partman/early_command', 'preseed/late_command']) {
    const line = joined.split('\n').find((l) => l.startsWith(`d-i ${q} string `));
    assert.ok(line, q);
    const cmd = line.slice(`d-i ${q} string `.length);
    const r = spawnSync('sh', ['-n', '-c', cmd], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${q}: ${r.stderr}`);
  }
  assert.match(joined, /d-i partman\/early_command string +DISK=\$\(sh \/tmp\/fieldboot-disk\.sh\) \|\| \{ wget [^;]*stage=failed[^;]*; exit 1; \}; +debconf-set partman-auto\/disk "\/dev\/\$DISK"; +debconf-set grub-installer\/bootdev "\/dev\/\$DISK";/);
  // Static addresses: netcfg runs again with the preseeded values.
  assert.match(joined, /d-i preseed\/early_command string +wget [^;]*stage=pre-install[^;]*; +kill-all-dhcp; +netcfg;/);
});

test('the scripts written by late_command come out byte for byte (printf %s\\n of quoted lines)', () => {
  const p = richProfile();
  const text = renderPreseed(p, HOST, ctx('debian12'));
  const joined = text.replace(/\\\n/g, '');
  const late = joined.split('\n').find((l) => l.startsWith('d-i preseed/late_command string '))?.slice('d-i preseed/late_command string '.length) ?? '';
  const dir = mkdtempSync(join(tmpdir(), 'fieldboot-late-'));
  try {
    // Run the whole command with in-target and wget stubbed and /target moved into the temp dir.
    const cmd = `in-target() { :; }; wget() { :; }; mkdir -p ${dir}/root; ${late.replaceAll('/target/', `${dir}/`)}`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', cmd], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const post = spawnSync('cat', [join(dir, 'root', 'fieldboot-post.sh')], { encoding: 'utf8' }).stdout;
    assert.equal(post, p.postInstall);
    const setup = spawnSync('cat', [join(dir, 'root', 'fieldboot-setup.sh')], { encoding: 'utf8' }).stdout;
    assert.match(setup, /^useradd -m -s \/bin\/bash -p '!' bob$/m);
    assert.match(setup, /^echo node-000010 > \/etc\/hostname$/m);
    assert.equal(spawnSync('sh', ['-n', join(dir, 'root', 'fieldboot-setup.sh')]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('accounts, mirror, disk and progress settings', () => {
  const text = renderPreseed(richProfile(), HOST, ctx('debian12'));
  assert.match(text, /^d-i passwd\/root-password-crypted password \$6\$fbExampleSalt01\$/m);
  assert.match(text, /^d-i passwd\/username string alice$/m);
  assert.match(text, /^d-i passwd\/user-default-groups string sudo adm$/m);
  assert.match(text, /^d-i mirror\/http\/hostname string 10\.77\.0\.1:8080$/m);
  assert.match(text, /^d-i mirror\/http\/directory string \/images\/debian12$/m);
  assert.match(text, /^d-i netcfg\/get_ipaddress string 10\.77\.0\.21$/m);
  assert.match(text, /^d-i apt-setup\/local1\/repository string \[trusted=yes\] http:\/\/10\.77\.0\.1:8080\/repo\/local\/ stable main$/m);
  assert.match(text, /^d-i apt-setup\/local0\/key string http:\/\/10\.77\.0\.1:8080\/repo\/key\.asc$/m);
  assert.match(text, /^d-i debian-installer\/exit\/poweroff boolean true$/m);
  assert.match(text, /^d-i partman-auto\/choose_recipe select fieldboot$/m);
  assert.doesNotMatch(text, /partman-auto\/disk string/);
  for (const stage of ['pre-install', 'installing', 'post-install', 'finished', 'failed']) assert.ok(text.includes(`?stage=${stage}&mac=52%3A54%3A00%3A00%3A00%3A10`), stage);
});

test('a machine with neither root password nor user cannot be preseeded', () => {
  const p = richProfile();
  p.accounts = { rootPasswordHash: null, rootSshKeys: [], users: [] };
  assert.throws(() => renderPreseed(p, HOST, ctx('debian12')), /root password or at least one user/);
});
