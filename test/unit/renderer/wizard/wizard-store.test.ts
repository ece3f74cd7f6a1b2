/**
 * The wizard without a browser: its checks on top of profile-validate, the preview's stand-in for a
 * password not yet hashed, the preview text equal to main's render for the same inputs (idle and
 * serving), and the save/load round trip through the real dispatch table and the fake backend
 * (real validation, hashing and rendering).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiChannel, ApiChannels, ApiResult, FieldbootApi, ServingState } from '../../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../../shared/api/fieldboot-api';
import { DEFAULT_PROFILE, type Profile } from '../../../../shared/answer/profile';
import { dispatchApiCall } from '../../../../electron/engine-host/api-dispatch';
import { renderProfileAnswer } from '../../../../electron/engine-host/profile-store';
import {
  EMPTY_PASSWORDS,
  PENDING_HASH,
  WIZARD_STEPS,
  issuesAt,
  profileForPreview,
  readInventory,
  renderPreview,
  stepIssueCount,
  wizardIssues,
} from '../../../../renderer/src/features/wizard/wizard-model';
import { createWizardStore } from '../../../../renderer/src/features/wizard/wizard-store';
import { createFakeBackend } from '../../../helpers/fake-backend';
import { unscriptedBmcApi } from '../../../helpers/bmc-api-stub';
import { unscriptedClientsApi } from '../../../helpers/clients-api-stub';

const HASH = '$6$fbExampleSalt01$8oyTJk6IFUJtHz.BY/2MtlbqeiKOqhXOXJ.0J33dmvy1nZfWcIpKd/kbEF4YihFvER/VKoxILfVgwGyzdOEAl1';

function draft(patch: (p: Profile) => void = () => {}): Profile {
  const p = structuredClone(DEFAULT_PROFILE);
  p.name = 'rack12';
  patch(p);
  return p;
}

/** FieldbootApi over the dispatch table, the way both transports reach the backend. */
function apiOver(backend: ReturnType<typeof createFakeBackend>): FieldbootApi {
  const call = <C extends ApiChannel>(c: C, req?: ApiChannels[C]['request']): Promise<ApiResult<ApiChannels[C]['response']>> =>
    dispatchApiCall(backend, c, JSON.parse(JSON.stringify(req ?? null)) as unknown);
  return {
    listInterfaces: () => call('interfaces:list'),
    getState: () => call('serving:state'),
    startServing: (r) => call('serving:start', r),
    stopServing: () => call('serving:stop'),
    listImages: () => call('images:list'),
    addImage: (path) => call('images:add', { path }),
    removeImage: (id) => call('images:remove', { id }),
    listProfiles: () => call('profiles:list'),
    getProfile: (name) => call('profiles:get', { name }),
    saveProfile: (r) => call('profiles:save', r),
    deleteProfile: (name) => call('profiles:delete', { name }),
    renderProfile: (r) => call('profiles:render', r),
    ...unscriptedBmcApi(),
    ...unscriptedClientsApi(),
    subscribe: () => () => undefined,
  };
}

test('wizard checks: name, passwords typed twice, and profile-validate issues land on their step', () => {
  assert.deepEqual(wizardIssues(draft(), 'rocky9', EMPTY_PASSWORDS), []);
  const bad = wizardIssues(draft((p) => ((p.name = 'rack 12'), (p.locale.keyboard = 'u s'))), 'rocky9', EMPTY_PASSWORDS);
  assert.deepEqual(bad.map((i) => i.path).sort(), ['locale.keyboard', 'name']);
  assert.equal(stepIssueCount(bad, WIZARD_STEPS[0]), 1);
  assert.equal(stepIssueCount(bad, WIZARD_STEPS[1]), 1);
  const noPw = wizardIssues(draft(), 'rocky9', { ...EMPTY_PASSWORDS, rootMode: 'password' });
  assert.deepEqual(noPw.map((i) => i.path), ['accounts.rootPassword']);
  assert.equal(stepIssueCount(noPw, WIZARD_STEPS[2]), 1);
  // A saved hash counts as a password; a new one must be typed the same twice.
  assert.deepEqual(wizardIssues(draft((p) => (p.accounts.rootPasswordHash = HASH)), 'rocky9', { ...EMPTY_PASSWORDS, rootMode: 'password' }), []);
  assert.deepEqual(wizardIssues(draft(), 'rocky9', { ...EMPTY_PASSWORDS, rootMode: 'password', root: 'a', rootConfirm: 'b' }).map((i) => i.path), ['accounts.rootPasswordConfirm']);
  const admin = draft((p) => (p.accounts.users = [{ name: 'tech', passwordHash: null, groups: [], sudo: true, sshKeys: [] }]));
  assert.deepEqual(wizardIssues(admin, 'rocky9', { ...EMPTY_PASSWORDS, admin: 'x', adminConfirm: 'y' }).map((i) => i.path), ['accounts.users[0].passwordConfirm']);
  assert.deepEqual(issuesAt([{ path: 'locale.ntpServers[1]', message: 'm' }, { path: 'localeX', message: 'n' }], 'locale').length, 1);
});

test('the preview shows a typed password as pending, a locked root as locked, whatever the draft held', () => {
  const withHash = draft((p) => (p.accounts.rootPasswordHash = HASH));
  const typed = renderPreview(profileForPreview(withHash, 'rocky9', { ...EMPTY_PASSWORDS, rootMode: 'password', root: 'new', rootConfirm: 'new' }), 'rocky9', IDLE_STATE, null, null);
  assert.ok(typed.ok && typed.answer.text.includes(`rootpw --iscrypted ${PENDING_HASH}`));
  const kept = renderPreview(profileForPreview(withHash, 'rocky9', { ...EMPTY_PASSWORDS, rootMode: 'password' }), 'rocky9', IDLE_STATE, null, null);
  assert.ok(kept.ok && kept.answer.text.includes(`rootpw --iscrypted ${HASH}`));
  const locked = renderPreview(profileForPreview(withHash, 'rocky9', EMPTY_PASSWORDS), 'rocky9', IDLE_STATE, null, null);
  assert.ok(locked.ok && locked.answer.text.includes('rootpw --lock') && !locked.answer.text.includes(HASH));
  // A target the profile cannot serve is a message with its path, not an exception.
  const ubuntu = renderPreview(draft(), 'ubuntu2404', IDLE_STATE, null, null);
  assert.ok(!ubuntu.ok && ubuntu.path === 'accounts.users');
});

test('the preview is the text main renders for the same profile, machine and server state', () => {
  const p = draft((x) => {
    x.accounts.rootPasswordHash = HASH;
    x.network.mode = 'static';
    x.locale.timezone = 'Europe/Oslo';
  });
  const csv = 'mac,hostname,ip\n52:54:00:0a:00:01,web-01,10.77.0.21/24\n';
  const inv = readInventory(csv);
  assert.ok(inv.inventory && inv.error === null);
  const serving: ServingState = { ...IDLE_STATE, phase: 'serving', serverIp: '10.77.0.1', services: [{ name: 'http', address: '10.77.0.1', port: 8080 }] };
  for (const target of ['rocky9', 'centos7', 'debian12', 'ubuntu1804'] as const) {
    for (const state of [IDLE_STATE, serving]) {
      for (const mac of [null, '52:54:00:0a:00:01']) {
        const local = renderPreview(p, target, state, inv.inventory, mac);
        const main = renderProfileAnswer({ profile: p, target, ...(mac ? { mac, inventory: csv } : {}) }, state);
        assert.ok(local.ok);
        assert.equal(local.answer.text, main.text, `${target} ${state.phase} ${mac}`);
      }
    }
  }
  assert.match(readInventory('mac,ip\n52:54:00:0a:00:01,10.0.0.300\n').error ?? '', /inventory line 2: "10\.0\.0\.300" is not an IPv4 address/);
  assert.deepEqual(readInventory('  \n'), { inventory: null, error: null });
});

test('save sends typed passwords once, keeps only hashes, and main serves the previewed text; load restores it', async () => {
  const backend = createFakeBackend({ transitionMs: 1 });
  const store = createWizardStore(apiOver(backend), 'rocky9');
  const s = () => store.getState();
  s().update((p) => (p.locale.timezone = 'Asia/Tokyo'));
  s().update((p) => p.accounts.users.push({ name: 'tech', passwordHash: null, groups: [], sudo: true, sshKeys: [] }));
  s().setPasswords({ rootMode: 'password', root: 'root-pw-1', rootConfirm: 'root-pw-1', admin: 'adm-pw-2', adminConfirm: 'adm-pw-2' });
  assert.equal(s().dirty, true);
  assert.equal(await s().save(), true);
  const saved = s().draft;
  assert.match(saved.accounts.rootPasswordHash ?? '', /^\$6\$/);
  assert.match(saved.accounts.users[0]?.passwordHash ?? '', /^\$6\$/);
  assert.deepEqual(s().passwords, { ...EMPTY_PASSWORDS, rootMode: 'password' }, 'plain passwords are dropped after saving');
  assert.equal(s().dirty, false);
  const local = renderPreview(profileForPreview(saved, 'rocky9', s().passwords), 'rocky9', IDLE_STATE, null, null);
  assert.ok(local.ok && s().lastSaved?.served?.text === local.answer.text);
  assert.deepEqual(s().profiles.map((p) => p.name), ['rocky9'], 'the name followed the target');

  s().startNew();
  assert.equal(s().draft.locale.timezone, 'Etc/UTC');
  await s().load('rocky9');
  assert.deepEqual(s().draft, saved);
  assert.equal(s().passwords.rootMode, 'password');

  // A refused save keeps the form and says why.
  s().update((p) => (p.name = '../x'));
  assert.equal(await s().save(), false);
  assert.equal(s().saveError?.code, 'bad-option');
  await s().remove('rocky9');
  assert.deepEqual(s().profiles, []);
});
