/** `fieldboot answer ...` through the real CLI (bin/fieldboot.mjs), as scripts and the lead's CI use it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostVarsFor, parseInventory } from '../../shared/answer/inventory';
import { parseProfileText } from '../../shared/answer/profile-validate';
import { defaultRenderContext, renderAnswer } from '../../shared/answer/render';
import type { TargetId } from '../../shared/answer/profile';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'fieldboot.mjs');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function generated(profileFile: string, mac: string | null, target: TargetId, inventoryFile?: string): string {
  const r = parseProfileText(readFileSync(join(ROOT, profileFile), 'utf8'));
  if (!r.ok) throw new Error('bad example');
  const inv = inventoryFile ? parseInventory(readFileSync(join(ROOT, inventoryFile), 'utf8')) : null;
  return renderAnswer(r.profile, hostVarsFor(inv, mac), defaultRenderContext(target, '127.0.0.1')).text;
}

test('answer render prints exactly what the generator returns, for each example profile', () => {
  const cases: Array<[string, TargetId]> = [
    ['examples/profiles/debian12.json', 'debian12'],
    ['examples/profiles/rhel9.json', 'rhel9'],
    ['examples/profiles/centos7.json', 'centos7'],
    ['examples/profiles/ubuntu2404.json', 'ubuntu2404'],
  ];
  for (const [file, target] of cases) {
    const r = cli(['answer', 'render', '--profile', file, '--mac', '52:54:00:00:00:10']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, generated(file, '52:54:00:00:00:10', target));
  }
});

test('--inventory and --target: the inventory row fills the machine, the target picks the format', () => {
  const r = cli(['answer', 'render', '--profile', 'examples/profiles/centos7.json', '--mac', '52-54-00-00-00-11', '--inventory', 'examples/profiles/inventory.csv', '--target', 'rocky8']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, generated('examples/profiles/centos7.json', '52:54:00:00:00:11', 'rocky8', 'examples/profiles/inventory.csv'));
  assert.match(r.stdout, /--ip=10\.77\.0\.22 .*--hostname=web-02\.rack\.example/);
  assert.match(r.stdout, /^# Kickstart for Rocky Linux 8/);
});

test('usage errors exit 2 with a message', () => {
  for (const args of [
    ['answer', 'render'],
    ['answer', 'render', '--profile', 'examples/profiles/rhel9.json', '--mac', 'nope'],
    ['answer', 'render', '--profile', 'examples/profiles/rhel9.json', '--target', 'windows11'],
    ['answer', 'render', '--profile', 'no/such/file.json'],
    ['answer', 'render', '--profile', 'examples/profiles/rhel9.json', '--bogus'],
    ['answer', 'frobnicate'],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^fieldboot: /);
    assert.equal(r.stdout, '');
  }
});

test('invalid profile, inventory or template exits 3 naming the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldboot-cli-'));
  try {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, target: 'debian12', disk: { select: 'smallest' }, accounts: { rootPasswordHash: 'hunter2' } }));
    let r = cli(['answer', 'render', '--profile', bad]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /accounts\.rootPasswordHash: looks like a plain-text password/);

    const inv = join(dir, 'inv.csv');
    writeFileSync(inv, 'mac,hostname\n52:54:00:00:00:10,a\n52:54:00:00:00:10,b\n');
    r = cli(['answer', 'render', '--profile', 'examples/profiles/debian12.json', '--inventory', inv]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /listed twice, on lines 2 and 3/);

    const tpl = join(dir, 'ks.tpl');
    writeFileSync(tpl, 'text\nnetwork --hostname={{hostnme}}\n');
    r = cli(['answer', 'render', '--template', tpl, '--target', 'rhel9', '--mac', '52:54:00:00:00:10']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /line 2: unknown variable \{\{hostnme\}\}/);

    writeFileSync(tpl, 'text\nnetwork --hostname={{hostname}} --ip={{ip}}\n# {{rack}}\n');
    r = cli(['answer', 'render', '--template', tpl, '--target', 'rhel9', '--mac', '52:54:00:00:00:10', '--inventory', 'examples/profiles/inventory.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'text\nnetwork --hostname=web-01 --ip=10.77.0.21\n# r1\n');

    // Renderable profile, impossible target: autoinstall needs a user.
    const noUser = join(dir, 'nouser.json');
    writeFileSync(noUser, JSON.stringify({ version: 1, disk: { select: 'smallest' } }));
    r = cli(['answer', 'render', '--profile', noUser, '--target', 'ubuntu2404']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /accounts\.users: Ubuntu autoinstall needs at least one user/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('answer validate and hash-password (stdin only; the hash verifies with python crypt)', () => {
  let r = cli(['answer', 'validate', '--profile', 'examples/profiles/rhel9.json', '--inventory', 'examples/profiles/inventory.csv']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /is valid \("rhel9-lvm"; inventory lists 3 machines\)/);
  r = cli(['answer', 'hash-password'], 'pässwörd 名前\n');
  assert.equal(r.status, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  const py = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])', 'pässwörd 名前', hash], { encoding: 'utf8' });
  if (py.status === 0) assert.equal(py.stdout.trim(), 'True');
  r = cli(['answer', 'hash-password', 'secret']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /never from the command line/);
});
