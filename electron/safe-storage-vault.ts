/**
 * The desktop app's BMC password vault: the AES-256-GCM key is wrapped by Electron safeStorage (Keychain on
 * macOS, DPAPI on Windows, libsecret or KWallet on Linux), so a copy of the state dir alone does not reveal the
 * passwords. Where safeStorage has no real keychain (Linux without one reports the "basic_text" backend, whose
 * key is a constant compiled into Chromium) the file-key vault is used instead: a constant key would only look
 * safer than the 0600 file.
 *
 * Main process only, after app "ready" (safeStorage answers false before). Not run by any test on the build
 * machine: it has no keychain daemon or D-Bus session; the key wrapping around it is tested with a stand-in
 * (test/unit/engine/bmc/bmc-secret-vault.test.ts).
 */
import { safeStorage } from 'electron';
import { fileKeyVault, wrappedKeyVault, type KeyWrapper, type SecretVault } from './engine/bmc/secret-vault';

/** Linux backends that are a real keychain (anything else, "basic_text" and "unknown" included, is not). */
const REAL_LINUX_BACKENDS: ReadonlySet<string> = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

function backendName(): string | null {
  if (!safeStorage.isEncryptionAvailable()) return null;
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows DPAPI';
  const backend = safeStorage.getSelectedStorageBackend();
  return REAL_LINUX_BACKENDS.has(backend) ? `OS keychain (${backend})` : null;
}

/** safeStorage works on strings: the 32-byte key crosses it as base64. */
function safeStorageWrapper(name: string): KeyWrapper {
  return {
    name,
    wrap: (key) => safeStorage.encryptString(key.toString('base64')),
    unwrap: (wrapped) => Buffer.from(safeStorage.decryptString(wrapped), 'base64'),
  };
}

/** The vault for the app's state dir: keychain-wrapped where a keychain exists, else the 0600 key file. */
export function createAppSecretVault(stateDir: string): SecretVault {
  const name = backendName();
  return name ? wrappedKeyVault(stateDir, safeStorageWrapper(name)) : fileKeyVault(stateDir);
}
