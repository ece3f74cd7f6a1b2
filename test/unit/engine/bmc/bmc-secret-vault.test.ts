/**
 * SecretVault: the file-key vault used by the CLI and web mode, and the wrapped-key vault the desktop app uses
 * with Electron safeStorage (here with a stand-in wrapper, since no keychain runs on this machine): round trips,
 * binding to the BMC and user, lazy key creation, mode 0600, refusal of secrets sealed by the other vault, and
 * a keychain that refuses to unwrap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BMC_KEY_FILE,
  BMC_WRAPPED_KEY_FILE,
  SecretVaultError,
  SecretVaultKind,
  fileKeyVault,
  wrappedKeyVault,
  type KeyWrapper,
} from '../../../../electron/engine/bmc/secret-vault';
import { BmcStore, BmcStoreError } from '../../../../electron/engine/bmc/bmc-store';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bmc-vault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Stands in for safeStorage: AES-256-CBC under a key only "the OS" has. `locked` makes unwrap fail like a reset keychain. */
function fakeKeychain(): KeyWrapper & { locked: boolean; wrapped: number } {
  const osKey = randomBytes(32);
  const w = {
    name: 'test keychain',
    locked: false,
    wrapped: 0,
    wrap(key: Buffer): Buffer {
      w.wrapped++;
      const iv = randomBytes(16);
      const c = createCipheriv('aes-256-cbc', osKey, iv);
      return Buffer.concat([iv, c.update(key), c.final()]);
    },
    unwrap(blob: Buffer): Buffer {
      if (w.locked) throw new Error('keychain is locked');
      const d = createDecipheriv('aes-256-cbc', osKey, blob.subarray(0, 16));
      return Buffer.concat([d.update(blob.subarray(16)), d.final()]);
    },
  };
  return w;
}

const CTX = { id: '10.0.0.1:623', user: 'admin' };

test('file vault: round trip, no key until first seal, key file 0600, ciphertext never holds the password', (t) => {
  const dir = tmp(t);
  const vault = fileKeyVault(dir);
  assert.equal(vault.kind, SecretVaultKind.FileKey);
  assert.deepEqual(readdirSync(dir), [], 'making a vault writes nothing');
  const sealed = vault.seal('calvin-pw', CTX);
  assert.equal(sealed.vault, 'file-key');
  assert.ok(!JSON.stringify(sealed).includes('calvin'));
  assert.equal(statSync(join(dir, BMC_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(vault.open(sealed, CTX), 'calvin-pw');
  // A second vault on the same dir (the next run) reads the same key.
  assert.equal(fileKeyVault(dir).open(sealed, CTX), 'calvin-pw');
  // Two seals of the same password differ (random IV).
  assert.notEqual(vault.seal('calvin-pw', CTX).data, sealed.data);
});

test('file vault: bound to BMC and user; altered data refused; lists from before vaults (no "vault" field) still open', (t) => {
  const vault = fileKeyVault(tmp(t));
  const sealed = vault.seal('pw-1', CTX);
  const refused = (fn: () => unknown, what: string) =>
    assert.throws(fn, (e: Error) => e instanceof SecretVaultError && /cannot be decrypted/.test(e.message) && !e.message.includes('pw-1'), what);
  refused(() => vault.open(sealed, { ...CTX, id: '10.0.0.2:623' }), 'other BMC');
  refused(() => vault.open(sealed, { ...CTX, user: 'root' }), 'other user');
  const data = Buffer.from(sealed.data, 'base64');
  data[0] = data[0]! ^ 1;
  refused(() => vault.open({ ...sealed, data: data.toString('base64') }, CTX), 'flipped bit');
  const { vault: _v, ...legacy } = sealed;
  assert.equal(vault.open(legacy, CTX), 'pw-1');
});

test('wrapped-key vault: the key on disk is wrapped, unwrapped on the next run; a locked keychain gives a plain error', (t) => {
  const dir = tmp(t);
  const keychain = fakeKeychain();
  const vault = wrappedKeyVault(dir, keychain);
  assert.equal(vault.kind, SecretVaultKind.OsKeychain);
  assert.match(vault.description, /test keychain/);
  const sealed = vault.seal('ilo-pass', CTX);
  assert.equal(sealed.vault, 'os-keychain');
  assert.equal(existsSync(join(dir, BMC_KEY_FILE)), false, 'no plain key file');
  const onDisk = readFileSync(join(dir, BMC_WRAPPED_KEY_FILE));
  assert.equal(statSync(join(dir, BMC_WRAPPED_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(onDisk.length, 16 + 48, 'IV + the 32-byte key padded: wrapped, not raw');
  assert.equal(keychain.wrapped, 1);

  assert.equal(wrappedKeyVault(dir, keychain).open(sealed, CTX), 'ilo-pass');
  assert.equal(keychain.wrapped, 1, 'the next run unwraps the same key instead of making a new one');

  keychain.locked = true;
  assert.throws(() => wrappedKeyVault(dir, keychain).open(sealed, CTX), (e: Error) => e instanceof SecretVaultError && /test keychain cannot unlock .*keychain is locked/.test(e.message));
  // Another keychain (another user or machine) cannot read it either.
  assert.throws(() => wrappedKeyVault(dir, fakeKeychain()).open(sealed, CTX), SecretVaultError);
});

test('a secret sealed by one vault is refused by the other with a message saying where it came from', (t) => {
  const dir = tmp(t);
  const file = fileKeyVault(dir);
  const os = wrappedKeyVault(dir, fakeKeychain());
  assert.throws(() => os.open(file.seal('a', CTX), CTX), /stored with the key file \(the CLI and web mode\), not the OS keychain/);
  assert.throws(() => file.open(os.seal('b', CTX), CTX), /stored with the OS keychain \(the desktop app\), not the key file/);
});

test('BmcStore over the wrapped-key vault: add, reopen, targets; update re-seals under a new user; errors become BmcStoreError', (t) => {
  const dir = tmp(t);
  const keychain = fakeKeychain();
  const store = BmcStore.open(dir, wrappedKeyVault(dir, keychain));
  store.add({ host: '10.0.0.5', user: 'admin', password: 'first' });
  store.save();
  assert.ok(!readFileSync(store.path, 'utf8').includes('first'));
  const again = BmcStore.open(dir, wrappedKeyVault(dir, keychain));
  assert.equal(again.targets({ all: true })[0]!.password, 'first');

  const renamed = again.update({ id: '10.0.0.5:623', user: 'root', mac: '52-54-00-AA-BB-05' });
  assert.deepEqual([renamed.user, renamed.mac, renamed.hasPassword], ['root', '52:54:00:aa:bb:05', true]);
  again.save();
  const third = BmcStore.open(dir, wrappedKeyVault(dir, keychain));
  assert.deepEqual(third.targets({ all: true }).map((x) => [x.user, x.password]), [['root', 'first']], 'password kept across the user change');
  third.update({ id: '10.0.0.5', password: 'second', mac: null });
  assert.equal(third.targets({ all: true })[0]!.password, 'second');
  assert.equal(third.list()[0]!.mac, null);

  // The same list opened by the CLI (file vault): a clear refusal, not garbage.
  assert.throws(() => BmcStore.open(dir).targets({ all: true }), (e: Error) => e instanceof BmcStoreError && /OS keychain/.test(e.message));
});

test('BmcStore.learn: a MAC read from the BMC fills an empty MAC, never replaces a typed one', (t) => {
  const dir = tmp(t);
  const store = BmcStore.open(dir);
  store.add({ host: '10.0.0.6', user: 'admin', password: 'x' });
  store.add({ host: '10.0.0.7', user: 'admin', password: 'x', mac: '52:54:00:00:00:07' });
  store.learn('10.0.0.6:623', { mac: '52:54:00:00:00:aa' });
  store.learn('10.0.0.7:623', { mac: '52:54:00:00:00:bb' });
  assert.deepEqual(store.list().map((b) => b.mac), ['52:54:00:00:00:aa', '52:54:00:00:00:07']);
});
