import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { AUTOINSTALL_DISK_PLACEHOLDER, autoinstallData, renderAutoinstall, toCloudConfigYaml } from '../../../shared/answer/autoinstall';
import { TARGETS, type Profile, type TargetId } from '../../../shared/answer/profile';
import { ROOT, assertGolden, ctx, exampleProfile, richProfile } from './answer-fixtures';

const AI_TARGETS = (Object.keys(TARGETS) as TargetId[]).filter((t) => TARGETS[t].format === 'autoinstall');
const HOST = { mac: '52:54:00:00:00:10', ip: '10.77.0.21', prefix: 24, vars: { mac: '52:54:00:00:00:10' } };
const schema = JSON.parse(readFileSync(join(ROOT, 'shared', 'answer', 'autoinstall-schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function ubuntuRich(): Profile {
  const p = richProfile();
  p.partitioning = { scheme: 'plain', partitions: [] };
  return p;
}

/** Parse with PyYAML's safe_load, as subiquity and cloud-init do; returns JSON. */
function pyyaml(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyYAML failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const havePyYaml = spawnSync('python3', ['-c', 'import yaml']).status === 0;

const PROFILES: Array<[string, () => Profile]> = [
  ['ubuntu2404-example', () => exampleProfile('ubuntu2404')],
  ['rich-plain', ubuntuRich],
];

for (const target of AI_TARGETS) {
  for (const [name, make] of PROFILES) {
    test(`autoinstall ${target} / ${name}: #cloud-config, version 1, valid against subiquity's schema, PyYAML reads it back`, (t) => {
      const profile = make();
      const text = renderAutoinstall(profile, HOST, ctx(target));
      assert.ok(text.startsWith('#cloud-config\n'));
      const { _fieldboot: _info, ...data } = autoinstallData(profile, HOST, ctx(target));
      const auto = (data as { autoinstall: Record<string, unknown> }).autoinstall;
      assert.equal(auto.version, 1);
      assert.ok(validate(auto), JSON.stringify(validate.errors));
      if (!havePyYaml) return t.skip('python3-yaml not installed');
      assert.deepEqual(pyyaml(text), data);
    });
  }
}

test('the schema check is not a rubber stamp', () => {
  assert.equal(validate({ version: 2 }), false);
  assert.equal(validate({ version: 1, identity: { username: 'a' } }), false);
  assert.equal(validate({ version: 1, shutdown: 'halt' }), false);
});

test('tricky values survive PyYAML (YAML 1.1): no, on/off/yes, 1:20, 0755, 22.04, a long shell command', (t) => {
  if (!havePyYaml) return t.skip('python3-yaml not installed');
  const long = `curl -fsS -m 10 -H 'Content-Type: application/json' -d '{"stage":"x"}' 'http://10.77.0.1:8080/api/progress/52:54:00:00:00:10' >/dev/null 2>&1 || true; ${'echo "a: b # not a comment"; '.repeat(12)}`;
  const data = {
    keyboard: { layout: 'no' },
    on: 'off',
    yes: 'yes',
    list: ['y', 'n', 'Y', 'No', 'ON', 'true', 'null', '~', ''],
    time: '1:20',
    clock: '12:30:00',
    mode: '0755',
    version: '22.04',
    hex: '0x1F',
    exp: '1e3',
    dot: '.5',
    star: '*',
    amp: '&a',
    hash: '# x',
    colon: 'a: b',
    long,
    multi: 'line 1\n  line 2\nline 3 ',
    number: 1,
    bool: false,
  };
  const text = toCloudConfigYaml(data);
  assert.deepEqual(pyyaml(text), data);
  // And through a real profile: Norwegian keyboard, package names that YAML 1.1 calls booleans.
  const p = exampleProfile('ubuntu2404');
  p.locale.keyboard = 'no';
  p.packages.install = ['on', 'off', 'yes', 'no'];
  p.postInstall = 'chmod 0755 /srv\necho 1:20 22.04\n';
  const out = pyyaml(renderAutoinstall(p, HOST, ctx('ubuntu2404'))) as { autoinstall: { keyboard: { layout: unknown }; packages: unknown[]; 'late-commands': string[] } };
  assert.equal(out.autoinstall.keyboard.layout, 'no');
  assert.deepEqual(out.autoinstall.packages, ['on', 'off', 'yes', 'no']);
  assert.ok(out.autoinstall['late-commands'].some((c) => c.includes('chmod 0755 /srv\necho 1:20 22.04')));
});

test('YAML 1.2 output would have been misread (why version 1.1 matters)', async (t) => {
  if (!havePyYaml) return t.skip('python3-yaml not installed');
  const { stringify } = await import('yaml');
  const bad = pyyaml(stringify({ layout: 'no', time: '1:20' })) as Record<string, unknown>;
  assert.notDeepEqual(bad, { layout: 'no', time: '1:20' });
});

test('golden autoinstall', () => {
  assertGolden('autoinstall-ubuntu2404-example.yaml', renderAutoinstall(exampleProfile('ubuntu2404'), HOST, ctx('ubuntu2404')));
  assertGolden('autoinstall-ubuntu2004-rich.yaml', renderAutoinstall(ubuntuRich(), HOST, ctx('ubuntu2004')));
});

test('disk, network, progress and accounts', () => {
  const { autoinstall: a } = autoinstallData(ubuntuRich(), HOST, ctx('ubuntu2204')) as { autoinstall: Record<string, unknown> };
  assert.deepEqual(a.storage, { layout: { name: 'direct', match: { path: AUTOINSTALL_DISK_PLACEHOLDER } } });
  const early = a['early-commands'] as string[];
  assert.match(early[0] ?? '', /"stage":"pre-install"/);
  assert.ok(early[1]?.includes(`sed -i "s|${AUTOINSTALL_DISK_PLACEHOLDER}|/dev/$DISK|" /autoinstall.yaml`));
  assert.deepEqual(a.reporting, { fieldboot: { type: 'webhook', endpoint: 'http://10.77.0.1:8080/api/progress/52:54:00:00:00:10/events' } });
  assert.deepEqual(a.network, { version: 2, ethernets: { fieldboot0: { match: { macaddress: '52:54:00:00:00:10' }, addresses: ['10.77.0.21/24'], routes: [{ to: 'default', via: '10.77.0.1' }], nameservers: { addresses: ['10.77.0.1', '1.1.1.1'], search: ['lab.example'] } } } });
  const late = (a['late-commands'] as string[]).join('\n');
  assert.match(late, /usermod -p '\$6\$fbExampleSalt01\$[^']+' root/);
  assert.match(late, /useradd -m -s \/bin\/bash -p '!' bob/);
  assert.match(late, /"stage":"finished"/);
  assert.match((a['error-commands'] as string[])[0] ?? '', /"stage":"failed"/);
  assert.equal(a.shutdown, 'poweroff');
  assert.deepEqual((a['user-data'] as { runcmd: unknown }).runcmd, [['sh', '-c', "curl -fsS -m 10 -H 'Content-Type: application/json' -d '{\"stage\":\"first-boot\",\"mac\":\"52:54:00:00:00:10\"}' 'http://10.77.0.1:8080/api/progress/52:54:00:00:00:10' >/dev/null 2>&1 || true"]]);
  const old = autoinstallData(ubuntuRich(), HOST, ctx('ubuntu2004')) as { autoinstall: { network: { ethernets: { fieldboot0: Record<string, unknown> } } } };
  assert.equal(old.autoinstall.network.ethernets.fieldboot0.gateway4, '10.77.0.1');
});

test('the early command that picks the disk is valid shell', () => {
  const { autoinstall: a } = autoinstallData(ubuntuRich(), HOST, ctx('ubuntu2404')) as { autoinstall: Record<string, unknown> };
  for (const c of [...(a['early-commands'] as string[]), ...(a['late-commands'] as string[])]) {
    assert.equal(spawnSync('sh', ['-n', '-c', c]).status, 0, c);
  }
});

test('what autoinstall cannot do yet is refused with a reason', () => {
  const p = richProfile();
  assert.throws(() => autoinstallData(p, HOST, ctx('ubuntu2404')), /custom partitioning is not supported/);
  p.partitioning.scheme = 'lvm';
  p.accounts.users = [];
  assert.throws(() => autoinstallData(p, HOST, ctx('ubuntu2404')), /at least one user/);
});
