/**
 * ProfileStore on a real temp folder: saves are atomic and owner-only and leave no temp files; names
 * that are not plain file names are refused before anything touches the disk; plain passwords are
 * hashed (SHA-512 crypt) and never written; a corrupt file is a clear error for that profile, listed
 * (not hidden, not a crash) and deletable. Also the profiles:* request parsers and the main-side render,
 * through the real AppController and the dispatch table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IDLE_STATE } from '../../../shared/api/fieldboot-api';
import { verifyPassword } from '../../../shared/answer/crypt';
import { DEFAULT_PROFILE, type Profile } from '../../../shared/answer/profile';
import { SHA512_CRYPT_RE } from '../../../shared/answer/profile-validate';
import { defaultRenderContext, renderAnswer } from '../../../shared/answer/render';
import { PREVIEW_SERVER_IP } from '../../../shared/answer/serving-context';
import { FieldbootError } from '../../../shared/errors';
import { dispatchApiCall } from '../../../electron/engine-host/api-dispatch';
import { AppController } from '../../../electron/engine-host/app-controller';
import {
  ProfileStore,
  parseProfileRenderRequest,
  parseProfileSaveRequest,
  renderProfileAnswer,
} from '../../../electron/engine-host/profile-store';

const work = mkdtempSync(join(tmpdir(), 'fb-profiles-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(work, `s${n++}`, 'profiles');

function profile(name: string, patch: (p: Profile) => void = () => {}): Profile {
  const p = structuredClone(DEFAULT_PROFILE);
  p.name = name;
  p.target = 'rocky9';
  patch(p);
  return p;
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFieldBootExampleKeyReplaceMeWithYourOwnKey0 tech@laptop';

function isCode(code: string) {
  return (err: unknown): boolean => err instanceof FieldbootError && err.code === code;
}

test('save writes <name>.json atomically (owner-only, no temp left); get and list read it back', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  assert.deepEqual(await store.list(), [], 'no folder yet: an empty list, not an error');
  const saved = await store.save({ profile: profile('rack12', (p) => (p.locale.timezone = 'Europe/Oslo')) });
  assert.equal(saved.locale.timezone, 'Europe/Oslo');
  assert.deepEqual(readdirSync(dir), ['rack12.json']);
  const file = join(dir, 'rack12.json');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), saved);
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(await store.get('rack12'), saved);

  // Overwrite: the whole new document or the old one, never a mix; still one file.
  const again = await store.save({ profile: profile('rack12', (p) => (p.locale.timezone = 'Asia/Tokyo')) });
  assert.deepEqual(readdirSync(dir), ['rack12.json']);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), again);

  await store.save({ profile: profile('alpha', (p) => (p.target = 'debian12')) });
  const list = await store.list();
  assert.deepEqual(list.map((s) => [s.name, s.target]), [['alpha', 'debian12'], ['rack12', 'rocky9']]);
  for (const s of list) assert.ok(!Number.isNaN(Date.parse(s.modified)) && s.error === undefined);
});

test('a failed rename leaves the old state and no temp file behind', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  // A directory where the file should go: the write succeeds, the rename cannot.
  await fsp.mkdir(join(dir, 'blocked.json'), { recursive: true });
  await assert.rejects(store.save({ profile: profile('blocked') }));
  assert.deepEqual(readdirSync(dir), ['blocked.json']);
  // A temp file from a crash (between write and rename) is not a profile.
  await fsp.writeFile(join(dir, '.rack.json.0a1b2c.tmp'), '{"version":1');
  assert.deepEqual((await store.list()).map((s) => s.name), []);
});

test('names that are not plain file names are refused before anything is written', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  const bad = ['', '../escape', '..', 'a/b', 'a\\b', '.hidden', 'x'.repeat(65), 'con', 'NUL.txt', 'trailing.', 'with space', 'ünïcode', '-dash-first', 'nul\0byte'];
  for (const name of bad) {
    await assert.rejects(store.save({ profile: profile(name) }), isCode('bad-option'), JSON.stringify(name));
    await assert.rejects(store.get(name), isCode('bad-option'), JSON.stringify(name));
    await assert.rejects(store.delete(name), isCode('bad-option'), JSON.stringify(name));
  }
  await assert.rejects(fsp.readdir(join(dir, '..')), { code: 'ENOENT' }, 'nothing was created');
  // And the message says what is allowed.
  await assert.rejects(store.save({ profile: profile('../escape') }), /letters, digits, dot, dash and underscore/);
  for (const good of ['a', 'rack12-rocky9', 'site_A.v2', 'x'.repeat(64)]) assert.ok(store.fileFor(good).endsWith(`${good}.json`));
});

test('plain passwords are hashed with SHA-512 crypt and never stored', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  const rootPlain = 'Correct-Horse-9';
  const adminPlain = 'Battery-Staple-7';
  const saved = await store.save({
    profile: profile('pw', (p) => {
      p.accounts.users = [{ name: 'tech', passwordHash: null, groups: [], sudo: true, sshKeys: [KEY] }];
    }),
    password: rootPlain,
    adminPassword: adminPlain,
  });
  const text = readFileSync(join(dir, 'pw.json'), 'utf8');
  assert.ok(!text.includes(rootPlain) && !text.includes(adminPlain), 'no plain password on disk');
  const root = saved.accounts.rootPasswordHash;
  const admin = saved.accounts.users[0]?.passwordHash;
  assert.ok(root && SHA512_CRYPT_RE.test(root) && admin && SHA512_CRYPT_RE.test(admin));
  assert.ok(verifyPassword(rootPlain, root) && verifyPassword(adminPlain, admin));
  assert.ok(!verifyPassword(adminPlain, root));
  assert.ok(text.includes(root) && text.includes(admin));

  // Saving again without a password keeps the stored hash (the wizard sends it back untouched).
  const kept = await store.save({ profile: saved });
  assert.equal(kept.accounts.rootPasswordHash, root);

  // A plain password smuggled into a hash field, or under another key, is refused; the file is unchanged.
  await assert.rejects(store.save({ profile: profile('pw', (p) => (p.accounts.rootPasswordHash = rootPlain)) }), (e: unknown) => isCode('bad-option')(e) && /plain-text password/.test((e as Error).message));
  await assert.rejects(store.save({ profile: { ...profile('pw'), password: 'x' } as unknown as Profile }), /plain-text password/);
  assert.equal(readFileSync(join(dir, 'pw.json'), 'utf8'), text);
  // An admin password without a user, or an empty password: refused.
  await assert.rejects(store.save({ profile: profile('nouser'), adminPassword: 'abc' }), /no user/);
  await assert.rejects(store.save({ profile: profile('empty'), password: '' }), /empty/);
  assert.deepEqual(readdirSync(dir), ['pw.json']);
});

test('a corrupt or invalid file is a clear error for that profile, still listed and deletable', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  await store.save({ profile: profile('good') });
  await fsp.writeFile(join(dir, 'broken.json'), '{ "version": 1, "disk": ');
  await fsp.writeFile(join(dir, 'plain.json'), JSON.stringify({ version: 1, name: 'plain', disk: { select: 'smallest' }, accounts: { rootPasswordHash: 'hunter2' } }));
  await fsp.writeFile(join(dir, 'notes.txt'), 'not a profile');

  await assert.rejects(store.get('broken'), (e: unknown) => {
    assert.ok(isCode('bad-option')(e));
    const err = e as FieldbootError;
    assert.match(err.message, /broken\.json is not valid: \(document\): not valid JSON/);
    assert.match(err.hint, /delete it/);
    return true;
  });
  await assert.rejects(store.get('plain'), /plain\.json is not valid: accounts\.rootPasswordHash: looks like a plain-text password/);
  await assert.rejects(store.get('absent'), isCode('file-not-found'));

  const list = await store.list();
  assert.deepEqual(list.map((s) => [s.name, s.error === undefined]), [['broken', false], ['good', true], ['plain', false]]);
  assert.match(list[0]?.error ?? '', /not valid JSON/);

  assert.equal((await store.delete('broken')).name, 'broken');
  await assert.rejects(store.delete('broken'), isCode('file-not-found'));
  assert.deepEqual(readdirSync(dir).sort(), ['good.json', 'notes.txt', 'plain.json']);
});

test('a copied file loads under its own name, so saving it writes back to itself', async () => {
  const dir = freshDir();
  const store = new ProfileStore(dir);
  await store.save({ profile: profile('orig') });
  await fsp.copyFile(join(dir, 'orig.json'), join(dir, 'copy.json'));
  assert.equal((await store.get('copy')).name, 'copy');
});

test('request parsers: unknown fields, bad targets, MACs and passwords are refused at the boundary', () => {
  const p = profile('x');
  assert.deepEqual(parseProfileSaveRequest({ profile: p, password: 'pw' }), { profile: p, password: 'pw' });
  const refused: unknown[] = [
    null,
    {},
    { profile: p, extra: 1 },
    { profile: p, password: '' },
    { profile: p, password: 5 },
    { profile: p, password: 'x'.repeat(1025) },
    { profile: p, adminPassword: 'a\0b' },
    { profile: { ...p, version: 2 } },
    { profile: 'x' },
  ];
  for (const raw of refused) assert.throws(() => parseProfileSaveRequest(raw), isCode('bad-option'), JSON.stringify(raw)?.slice(0, 80));

  assert.deepEqual(parseProfileRenderRequest({ profile: p, target: 'debian12', mac: '52-54-00-AA-BB-CC' }), { profile: p, target: 'debian12', mac: '52:54:00:aa:bb:cc' });
  for (const raw of [{ profile: p }, { profile: p, target: 'windows11' }, { profile: p, target: 'rocky9', mac: 'nope' }, { profile: p, target: 'rocky9', inventory: 3 }, { profile: p, target: 'rocky9', server: '1.2.3.4' }]) {
    assert.throws(() => parseProfileRenderRequest(raw), isCode('bad-option'), JSON.stringify(raw).slice(-60));
  }
});

test('main-side render: the CLI placeholder when idle, the session address and port when serving, inventory rows per MAC', () => {
  const p = profile('r', (x) => {
    x.network.mode = 'static';
    x.accounts.rootPasswordHash = '$6$fbExampleSalt01$8oyTJk6IFUJtHz.BY/2MtlbqeiKOqhXOXJ.0J33dmvy1nZfWcIpKd/kbEF4YihFvER/VKoxILfVgwGyzdOEAl1';
  });
  const idle = renderProfileAnswer({ profile: p, target: 'rocky9' }, IDLE_STATE);
  assert.deepEqual(idle.context, defaultRenderContext('rocky9', PREVIEW_SERVER_IP));
  assert.equal(idle.text, renderAnswer(p, { mac: null, vars: {} }, defaultRenderContext('rocky9', '127.0.0.1')).text);
  assert.equal(idle.fileName, 'ks.cfg');

  const serving = { ...IDLE_STATE, phase: 'serving' as const, serverIp: '10.77.0.1', services: [{ name: 'http', address: '10.77.0.1', port: 8080 }] };
  const live = renderProfileAnswer({ profile: p, target: 'debian12' }, serving);
  assert.equal(live.context.progressUrl, 'http://10.77.0.1:8080/api/progress/{{mac}}');
  assert.match(live.text, /10\.77\.0\.1:8080/);
  assert.equal(live.fileName, 'preseed.cfg');

  const inventory = 'mac,hostname,ip\n52:54:00:aa:bb:cc,web-01,10.77.0.21/24\n';
  const host = renderProfileAnswer({ profile: p, target: 'rocky9', mac: '52:54:00:aa:bb:cc', inventory }, IDLE_STATE);
  assert.match(host.text, /--hostname=web-01/);
  assert.match(host.text, /--ip=10\.77\.0\.21/);
  assert.throws(() => renderProfileAnswer({ profile: p, target: 'rocky9', inventory: 'mac\nzz\n' }, IDLE_STATE), /inventory CSV is not valid: inventory line 2/);
  // A profile a target cannot take (autoinstall needs a user) is a message, not a crash.
  assert.throws(() => renderProfileAnswer({ profile: p, target: 'ubuntu2404' }, IDLE_STATE), (e: unknown) => isCode('bad-option')(e) && /accounts\.users/.test((e as Error).message));
});

test('profiles:* through the dispatch table and the real AppController', async () => {
  const stateDir = join(work, 'controller');
  const controller = new AppController({ baseConfig: { stateDir }, listInterfaces: async () => [] });
  try {
    const saved = await dispatchApiCall(controller, 'profiles:save', { profile: profile('lab'), password: 'pw-123456' });
    assert.ok(saved.ok && saved.value.accounts.rootPasswordHash?.startsWith('$6$'));
    assert.ok(!readFileSync(join(stateDir, 'profiles', 'lab.json'), 'utf8').includes('pw-123456'));
    const list = await dispatchApiCall(controller, 'profiles:list', undefined);
    assert.ok(list.ok && list.value.length === 1 && list.value[0]?.name === 'lab');
    const got = await dispatchApiCall(controller, 'profiles:get', { name: 'lab' });
    assert.ok(got.ok && saved.ok);
    assert.deepEqual(got.value, saved.value);
    const rendered = await dispatchApiCall(controller, 'profiles:render', { profile: got.value, target: 'rocky9' });
    assert.ok(rendered.ok && rendered.value.text.includes(`rootpw --iscrypted ${saved.value.accounts.rootPasswordHash}`));
    const traversal = await dispatchApiCall(controller, 'profiles:get', { name: '../images' });
    assert.equal(!traversal.ok && traversal.error.code, 'bad-option');
    const deleted = await dispatchApiCall(controller, 'profiles:delete', { name: 'lab' });
    assert.ok(deleted.ok && deleted.value.target === 'rocky9');
    const gone = await dispatchApiCall(controller, 'profiles:get', { name: 'lab' });
    assert.equal(!gone.ok && gone.error.code, 'file-not-found');
  } finally {
    await controller.dispose();
  }
});
