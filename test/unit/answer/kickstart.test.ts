import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KICKSTART_COMMANDS, checkKickstart, splitKickstartLine } from '../../../shared/answer/kickstart-commands';
import { KS_STORAGE_INCLUDE, kickstartStorageCommands, renderKickstart } from '../../../shared/answer/kickstart';
import { DEFAULT_PROFILE, TARGETS, targetInfo, type KickstartDialect, type Profile, type TargetId } from '../../../shared/answer/profile';
import { assertGolden, ctx, exampleProfile, richProfile } from './answer-fixtures';

const KS_TARGETS = (Object.keys(TARGETS) as TargetId[]).filter((t) => TARGETS[t].format === 'kickstart');
const DIALECT_OF = (t: TargetId) => targetInfo(t).kickstart as KickstartDialect;
const PYKS_VERSION: Record<KickstartDialect, string> = { rhel7: 'RHEL7', rhel8: 'RHEL8', rhel9: 'RHEL9', fedora40: 'F40' };

const PROFILES: Array<[string, () => Profile]> = [
  ['rhel9-example', () => exampleProfile('rhel9')],
  ['centos7-example', () => exampleProfile('centos7')],
  ['rich', richProfile],
  ['defaults', () => ({ ...structuredClone(DEFAULT_PROFILE), accounts: { ...DEFAULT_PROFILE.accounts, rootPasswordHash: richProfile().accounts.rootPasswordHash } })],
];
const HOST = { mac: '52:54:00:00:00:10', ip: '10.77.0.21', prefix: 24, vars: { mac: '52:54:00:00:00:10' } };

/** The storage file %pre writes, with the disk the script would have picked. */
function storageOf(profile: Profile, dialect: KickstartDialect): Record<string, string> {
  return { [KS_STORAGE_INCLUDE]: kickstartStorageCommands(profile, dialect, 'sda').join('\n') };
}

for (const target of KS_TARGETS) {
  for (const [name, make] of PROFILES) {
    test(`kickstart ${target} / ${name}: passes the command table`, () => {
      const profile = make();
      const text = renderKickstart(profile, HOST, ctx(target));
      assert.deepEqual(checkKickstart(text, DIALECT_OF(target), storageOf(profile, DIALECT_OF(target))), []);
    });
  }
}

test('the storage commands the %pre heredoc writes are the ones the table checked', () => {
  const profile = richProfile();
  const text = renderKickstart(profile, HOST, ctx('rhel9'));
  const block = /<<FIELDBOOT_STORAGE\n([\s\S]*?)\nFIELDBOOT_STORAGE/.exec(text)?.[1];
  assert.equal(block, kickstartStorageCommands(profile, 'rhel9', '$DISK').join('\n'));
  assert.match(text, /^%include \/tmp\/fieldboot-storage\.ks$/m);
  assert.match(block ?? '', /^clearpart --all --initlabel --drives=\$DISK$/m);
  assert.match(block ?? '', /^ignoredisk --only-use=\$DISK$/m);
});

test('golden kickstart per dialect', () => {
  for (const target of ['rhel8', 'rhel9', 'centos7', 'fedora40'] as const) {
    assertGolden(`kickstart-${target}.ks`, renderKickstart(richProfile(), HOST, ctx(target)));
  }
  assertGolden('kickstart-rhel9-example.ks', renderKickstart(exampleProfile('rhel9'), HOST, ctx('rhel9')));
});

test('version differences: install, auth, sshkey, timesource, %traceback', () => {
  const p = richProfile();
  const c7 = renderKickstart(p, HOST, ctx('centos7'));
  const r9 = renderKickstart(p, HOST, ctx('rocky9'));
  const f40 = renderKickstart(p, HOST, ctx('fedora40'));
  const r8 = renderKickstart(p, HOST, ctx('alma8'));
  assert.match(c7, /^install$/m);
  assert.doesNotMatch(r8, /^install$/m);
  assert.match(c7, /^auth --enableshadow --passalgo=sha512$/m);
  assert.doesNotMatch(f40, /^auth/m);
  assert.doesNotMatch(c7, /^sshkey/m);
  assert.match(c7, /authorized_keys/);
  assert.match(r9, /^sshkey --username=alice "ssh-ed25519 /m);
  assert.match(c7, /^timezone Europe\/Oslo --utc --ntpservers=ntp1\.example,10\.0\.0\.5$/m);
  assert.match(r8, /^timezone Europe\/Oslo --utc --ntpservers=/m);
  assert.match(r9, /^timezone Europe\/Oslo --utc$/m);
  assert.match(r9, /^timesource --ntp-server=ntp1\.example$/m);
  assert.match(c7, /^%traceback$/m);
  assert.doesNotMatch(r9, /^%traceback$/m);
  assert.match(r9, /^%onerror$/m);
  assert.match(r9, /^rootpw --iscrypted \$6\$/m);
  assert.match(r9, /^user --name=alice --gecos="Alice Admin" --groups=wheel,adm --iscrypted --password=\$6\$/m);
  assert.match(r9, /^user --name=bob --lock$/m);
  assert.match(r9, /^network --bootproto=static --ip=10\.77\.0\.21 --netmask=255\.255\.255\.0 --gateway=10\.77\.0\.1 --nameserver=10\.77\.0\.1,1\.1\.1\.1 --device=52:54:00:00:00:10 --onboot=on --activate --hostname=node-000010\.lab\.example$/m);
  assert.match(r9, /^poweroff$/m);
});

test('progress callbacks in every section, to this machine\'s URL', () => {
  const text = renderKickstart(richProfile(), HOST, ctx('rhel9'));
  const url = "'http://10.77.0.1:8080/api/progress/52:54:00:00:00:10'";
  for (const stage of ['pre-install', 'installing', 'post-install', 'finished', 'failed']) {
    assert.ok(text.includes(`"stage":"${stage}"`), stage);
  }
  assert.equal(text.split(url).length - 1, 7);
  assert.match(text, /%post --nochroot\ncurl [^\n]*"stage":"finished"[^\n]*\n%end\n\n%onerror/);
});

test('the checker catches what a bad generator could write', () => {
  const cases: Array<[KickstartDialect, string, RegExp]> = [
    ['rhel9', 'install\n', /install is not available in rhel9/],
    ['rhel8', 'install\n', /install is deprecated/],
    ['fedora40', 'auth --enableshadow\n', /auth is not available/],
    ['rhel7', 'timesource --ntp-server=x\n', /timesource is not available in rhel7/],
    ['rhel7', 'sshkey --username=root "ssh-ed25519 AAAA"\n', /sshkey is not available in rhel7/],
    ['fedora40', 'timezone UTC --isUtc\n', /--isUtc is deprecated/],
    ['rhel9', 'timezone UTC --bogus\n', /no option --bogus/],
    ['rhel9', 'clearpart --all --initlabel\n', /would wipe every disk/],
    ['rhel9', 'clearpart --all --drives=sda\n', /without ignoredisk --only-use/],
    ['rhel9', 'ignoredisk --only-use=sdb\nclearpart --all --drives=sda\n', /differs from ignoredisk/],
    ['rhel9', '%pre\necho hi\n', /never closed/],
    ['rhel9', '%post --chroot\n%end\n', /no option --chroot/],
    ['rhel9', '%traceback\n%end\n', /%traceback is deprecated/],
    ['rhel9', 'selinux --enforcing\nselinux --permissive\n', /appears twice/],
    ['rhel9', 'btrfs / --data=0\n', /not in FieldBoot's kickstart table/],
    ['rhel9', 'zerombr yes\n', /takes no arguments/],
    ['rhel9', 'lang "en_US\n', /unterminated quote/],
  ];
  for (const [dialect, text, re] of cases) {
    const problems = checkKickstart(text, dialect);
    assert.ok(problems.some((p) => re.test(p.message)), `${dialect} ${JSON.stringify(text)}: ${JSON.stringify(problems)}`);
  }
  assert.deepEqual(splitKickstartLine(`user --gecos="A \\"B\\"" --name=x # comment`), ['user', '--gecos=A "B"', '--name=x']);
});

test('a post-install script line starting with % is refused (kickstart would end the section)', () => {
  const p = richProfile();
  p.postInstall = 'echo a\n%end\necho b\n';
  assert.throws(() => renderKickstart(p, HOST, ctx('rhel9')), /starts with "%"/);
});

test('generic render (no MAC): device=link, no host name, callbacks say unknown', () => {
  const text = renderKickstart(exampleProfile('rhel9'), { mac: null, vars: {} }, ctx('rhel9'));
  assert.match(text, /^network --bootproto=dhcp --device=link --onboot=on --activate$/m);
  assert.ok(text.includes('/api/progress/unknown'));
});

/**
 * pykickstart's ksvalidator as a second oracle when available: FIELDBOOT_PYKICKSTART=<source tree>
 * (needs python3 with requests) or `ksvalidator` on PATH. Debian 12 does not package it.
 */
function ksvalidator(): string[] | null {
  const tree = process.env.FIELDBOOT_PYKICKSTART;
  if (tree && existsSync(join(tree, 'tools', 'ksvalidator.py'))) return ['python3', join(tree, 'tools', 'ksvalidator.py')];
  if (spawnSync('ksvalidator', ['--help']).status === 0) return ['ksvalidator'];
  return null;
}

test('pykickstart ksvalidator accepts every generated kickstart (optional oracle)', (t) => {
  const cmd = ksvalidator();
  if (!cmd) return t.skip('pykickstart not available (set FIELDBOOT_PYKICKSTART to its source tree)');
  const dir = mkdtempSync(join(tmpdir(), 'fieldboot-ks-'));
  try {
    for (const target of KS_TARGETS) {
      for (const [name, make] of PROFILES) {
        const profile = make();
        const dialect = DIALECT_OF(target);
        // ksvalidator cannot see the file %pre writes on the machine: inline it.
        const text = renderKickstart(profile, HOST, ctx(target)).replace(`%include ${KS_STORAGE_INCLUDE}`, storageOf(profile, dialect)[KS_STORAGE_INCLUDE] ?? '');
        const file = join(dir, `${target}-${name}.ks`);
        writeFileSync(file, text);
        const [exe, ...args] = cmd as [string, ...string[]];
        const r = spawnSync(exe, [...args, '-e', '-v', PYKS_VERSION[dialect], file], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: process.env.FIELDBOOT_PYKICKSTART ?? '' } });
        assert.equal(r.status, 0, `${target}/${name}: ${r.stdout}${r.stderr}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command table agrees with pykickstart on every command and option it lists (optional oracle)', (t) => {
  const tree = process.env.FIELDBOOT_PYKICKSTART;
  if (!tree) return t.skip('FIELDBOOT_PYKICKSTART not set');
  const py = `
import json, sys, warnings
warnings.simplefilter('ignore')
sys.path.insert(0, sys.argv[1])
from pykickstart.version import makeVersion
from pykickstart.base import DeprecatedCommand, RemovedCommand
out = {}
for v in ['RHEL7','RHEL8','RHEL9','F40']:
    h = makeVersion(v); d = {}
    for name, obj in h.commands.items():
        if isinstance(obj, RemovedCommand): d[name] = 'removed'; continue
        opts = {}
        for a in obj._getParser()._actions:
            for s in a.option_strings:
                if s.startswith('--'): opts[s] = bool(getattr(a, 'deprecated', False))
        d[name] = {'deprecated': isinstance(obj, DeprecatedCommand), 'options': opts}
    out[v] = d
print(json.dumps(out))`;
  const r = spawnSync('python3', ['-c', py, tree], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  type PyCmd = 'removed' | { deprecated: boolean; options: Record<string, boolean> };
  const real = JSON.parse(r.stdout) as Record<string, Record<string, PyCmd>>;
  for (const [dialect, table] of Object.entries(KICKSTART_COMMANDS) as Array<[KickstartDialect, (typeof KICKSTART_COMMANDS)[KickstartDialect]]>) {
    const py = real[PYKS_VERSION[dialect]] ?? {};
    for (const [cmd, spec] of Object.entries(table)) {
      const p = py[cmd];
      if (spec === 'unavailable') {
        assert.ok(p === undefined || p === 'removed', `${dialect} ${cmd}: pykickstart has it`);
        continue;
      }
      assert.ok(p && p !== 'removed', `${dialect} ${cmd}: pykickstart does not have it`);
      assert.equal(!!spec.deprecatedCommand, p.deprecated, `${dialect} ${cmd} deprecated`);
      const ours = new Set([...spec.options, ...(spec.deprecated ?? [])]);
      assert.deepEqual([...ours].sort(), Object.keys(p.options).sort(), `${dialect} ${cmd} options`);
      for (const o of spec.deprecated ?? []) assert.equal(p.options[o], true, `${dialect} ${cmd} ${o} should be deprecated`);
      for (const o of spec.options) assert.equal(p.options[o], false, `${dialect} ${cmd} ${o} is deprecated in pykickstart`);
    }
  }
});
