import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { DEFAULT_PROFILE } from '../../../shared/answer/profile';
import { parseProfileText, validateProfile } from '../../../shared/answer/profile-validate';
import { HASH_A, KEY, ROOT } from './answer-fixtures';

const schema = JSON.parse(readFileSync(join(ROOT, 'shared', 'answer', 'profile-schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
const schemaValid = ajv.compile(schema);

const minimal = () => ({ version: 1, disk: { select: 'smallest' } });

test('example profiles pass the validator and the JSON Schema', () => {
  const dir = join(ROOT, 'examples', 'profiles');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const r = parseProfileText(text);
    assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.issues)}`);
    assert.ok(schemaValid(JSON.parse(text)), `${f}: ${JSON.stringify(schemaValid.errors)}`);
  }
});

test('a minimal profile gets every default, and the defaults never mean "every disk"', () => {
  const r = validateProfile(minimal());
  assert.ok(r.ok);
  assert.deepEqual(r.profile, { ...DEFAULT_PROFILE, disk: { select: 'smallest', allowRemovable: false } });
  assert.equal(r.profile.disk.allowRemovable, false);
});

type Case = [string, (doc: Record<string, unknown>) => void, string, RegExp];
const BAD: Case[] = [
  ['plain-text root password', (d) => (d.accounts = { rootPasswordHash: 'hunter2' }), 'accounts.rootPasswordHash', /plain-text/],
  ['MD5 crypt root password', (d) => (d.accounts = { rootPasswordHash: '$1$salt$qJH7.N4xYta3aEG/dfqo/0' }), 'accounts.rootPasswordHash', /not a SHA-512/],
  ['truncated $6$ hash', (d) => (d.accounts = { rootPasswordHash: HASH_A.slice(0, -3) }), 'accounts.rootPasswordHash', /SHA-512/],
  ['plain-text user password', (d) => (d.accounts = { users: [{ name: 'a', passwordHash: 'Secret123!' }] }), 'accounts.users[0].passwordHash', /plain-text/],
  ['password under an unknown key', (d) => (d.accounts = { rootPassword: 'hunter2' }), 'accounts.rootPassword', /plain-text password/],
  ['user named root', (d) => (d.accounts = { users: [{ name: 'root' }] }), 'accounts.users[0].name', /root/],
  ['bad ssh key', (d) => (d.accounts = { rootSshKeys: ['not a key'] }), 'accounts.rootSshKeys[0]', /OpenSSH/],
  ['ssh key with a quote', (d) => (d.accounts = { rootSshKeys: [`${KEY}'; rm -rf /`] }), 'accounts.rootSshKeys[0]', /OpenSSH/],
  ['no disk at all', (d) => delete d.disk, 'disk', /never wipes every disk/],
  ['disk select all', (d) => (d.disk = { select: 'all' }), 'disk.select', /one of/],
  ['model select without a model', (d) => (d.disk = { select: 'model' }), 'disk.model', /required/],
  ['wwn malformed', (d) => (d.disk = { select: 'wwn', wwn: 'xyz' }), 'disk.wwn', /WWN/],
  ['device with /dev/', (d) => (d.disk = { select: 'device', device: '/dev/sda' }), 'disk.device', /kernel disk name/],
  ['model with shell characters', (d) => (d.disk = { select: 'model', model: 'a"; reboot; "' }), 'disk.model', /disk model/],
  ['unknown top-level field', (d) => (d.colour = 'blue'), 'colour', /unknown field/],
  ['wrong version', (d) => (d.version = 2), 'version', /must be 1/],
  ['bad timezone', (d) => (d.locale = { timezone: 'Europe/Oslo; reboot' }), 'locale.timezone', /time zone/],
  ['bad gateway', (d) => (d.network = { mode: 'static', static: { gateway: '10.0.0.300' } }), 'network.static.gateway', /IPv4/],
  ['bad repository URL', (d) => (d.repositories = [{ name: 'x', url: 'file:///etc/passwd' }]), 'repositories[0].url', /URL/],
  ['bad hostname pattern', (d) => (d.hostname = 'node_{{mac}}'), 'hostname', /host name pattern/],
  ['bad finish', (d) => (d.finish = 'halt'), 'finish', /reboot, poweroff/],
  ['bad partition fs', (d) => (d.partitioning = { scheme: 'custom', partitions: [{ mount: '/', sizeMb: 1000, fsType: 'btrfs' }] }), 'partitioning.partitions[0].fsType', /one of/],
];

for (const [name, mutate, path, message] of BAD) {
  test(`rejected by the validator and the schema: ${name}`, () => {
    const doc: Record<string, unknown> = minimal();
    mutate(doc);
    const r = validateProfile(doc);
    assert.equal(r.ok, false);
    const issue = !r.ok ? r.issues.find((i) => i.path === path) : undefined;
    assert.ok(issue, `no issue at ${path}: ${JSON.stringify(!r.ok && r.issues)}`);
    assert.match(issue.message, message);
    assert.equal(schemaValid(doc), false, `the schema accepted it (${name})`);
  });
}

test('cross-field rules only the validator enforces', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...minimal(), disk: { select: 'smallest', minGb: 500, maxGb: 100 } }, /smaller than disk.minGb/],
    [{ ...minimal(), partitioning: { scheme: 'custom', partitions: [{ mount: '/var', sizeMb: 100, fsType: 'xfs' }] } }, /needs a "\/"/],
    [{ ...minimal(), partitioning: { scheme: 'custom', partitions: [{ mount: '/', sizeMb: 100, fsType: 'xfs', grow: true }, { mount: '/var', sizeMb: 100, fsType: 'xfs', grow: true }] } }, /at most one/],
    [{ ...minimal(), accounts: { users: [{ name: 'a' }, { name: 'a' }] } }, /appears twice/],
  ];
  for (const [doc, re] of cases) {
    const r = validateProfile(doc);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.issues.some((i) => re.test(i.message)), JSON.stringify(!r.ok && r.issues));
  }
});

test('JSON syntax errors and a BOM', () => {
  const r = parseProfileText('{"version": 1,');
  assert.ok(!r.ok && r.issues[0]?.message.startsWith('not valid JSON'));
  assert.ok(parseProfileText('\uFEFF' + JSON.stringify(minimal())).ok);
});
