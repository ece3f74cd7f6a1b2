/**
 * Where BMC passwords are sealed. Every vault is AES-256-GCM with the BMC's id and user as additional data, so
 * an edited, truncated or swapped ciphertext is refused instead of decrypting into a wrong password. Vaults
 * differ only in how the 32-byte key itself is kept:
 *
 * - `file-key` (here, the CLI, web mode): the key as plain bytes in bmc-secret.key, mode 0600 in a 0700 state dir.
 * - `os-keychain` (the desktop app): the key wrapped by the OS keychain (Electron safeStorage: Keychain on
 *   macOS, DPAPI on Windows, libsecret/KWallet on Linux) in bmc-secret.key.os. The wrapping is injected
 *   (`KeyWrapper`), so the engine never imports electron; electron/safe-storage-vault.ts supplies it.
 *
 * Wrapping the key (envelope encryption) rather than handing each password to the keychain keeps the GCM
 * authentication and the per-BMC binding on every platform: safeStorage's own format is unauthenticated
 * AES-CBC on Linux and macOS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const BMC_KEY_FILE = 'bmc-secret.key';
export const BMC_WRAPPED_KEY_FILE = 'bmc-secret.key.os';
const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // GCM's native nonce size (NIST SP 800-38D §8.2)

export const SecretVaultKind = { FileKey: 'file-key', OsKeychain: 'os-keychain' } as const;
export type SecretVaultKind = (typeof SecretVaultKind)[keyof typeof SecretVaultKind];

/** One sealed password as stored in bmcs.json. `vault` absent = file-key (lists written before vaults existed). */
export interface SealedSecret {
  vault?: SecretVaultKind;
  iv: string;
  tag: string;
  data: string;
}

/** What a secret is bound to: opening it under another BMC or user fails. */
export interface SecretContext {
  id: string;
  user: string;
}

export interface SecretVault {
  readonly kind: SecretVaultKind;
  /** For logs and the README: what protects the key, e.g. "key file /x/bmc-secret.key (0600)". */
  readonly description: string;
  seal(plain: string, context: SecretContext): SealedSecret;
  /** Throws SecretVaultError when the secret was altered, sealed elsewhere, or the key changed. */
  open(sealed: SealedSecret, context: SecretContext): string;
}

export class SecretVaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretVaultError';
  }
}

function aad(context: SecretContext): Buffer {
  return Buffer.from(`fieldboot-bmc-v1\0${context.id}\0${context.user}`, 'utf8');
}

export function sealWithKey(key: Buffer, plain: string, context: SecretContext): Omit<SealedSecret, 'vault'> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(context));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Null when authentication fails (altered data, other BMC or user, other key). */
export function openWithKey(key: Buffer, sealed: SealedSecret, context: SecretContext): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(aad(context));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** Create `path` with `bytes` (0600, exclusive: two processes never write different keys); false if it existed. */
function createExclusive(path: string, bytes: Buffer): boolean {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A key file readable by group or others defeats its purpose: take those bits away (POSIX only). */
function tighten(path: string): void {
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
}

/** Read the plain key file, or create it. */
export function loadOrCreateKey(stateDir: string): Buffer {
  const path = join(stateDir, BMC_KEY_FILE);
  if (!existsSync(path)) {
    const key = randomBytes(KEY_BYTES);
    if (createExclusive(path, key)) return key;
    // Lost a race with another fieldboot process: use the key it wrote.
  }
  tighten(path);
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw new SecretVaultError(`${path} is not a ${KEY_BYTES}-byte key; the stored BMC passwords cannot be read`);
  return key;
}

/** Wraps and unwraps the data key with something outside the state dir (the OS keychain). */
export interface KeyWrapper {
  /** E.g. "OS keychain (gnome_libsecret)". */
  readonly name: string;
  wrap(key: Buffer): Buffer;
  /** Throws when the keychain refuses (other user, other machine, keychain reset). */
  unwrap(wrapped: Buffer): Buffer;
}

/** Read and unwrap the wrapped key file, or create a key and store it wrapped. */
export function loadOrCreateWrappedKey(stateDir: string, wrapper: KeyWrapper): Buffer {
  const path = join(stateDir, BMC_WRAPPED_KEY_FILE);
  if (!existsSync(path)) {
    const key = randomBytes(KEY_BYTES);
    if (createExclusive(path, wrapper.wrap(key))) return key;
  }
  tighten(path);
  let key: Buffer;
  try {
    key = wrapper.unwrap(readFileSync(path));
  } catch (err) {
    throw new SecretVaultError(
      `the ${wrapper.name} cannot unlock ${path} (${(err as Error).message}); the stored BMC passwords cannot be read. Remove that file and the BMCs, and add them again.`,
    );
  }
  if (key.length !== KEY_BYTES) throw new SecretVaultError(`${path} does not unwrap to a ${KEY_BYTES}-byte key`);
  return key;
}

const VAULT_NAMES: Record<SecretVaultKind, string> = {
  'file-key': 'the key file (the CLI and web mode)',
  'os-keychain': 'the OS keychain (the desktop app)',
};

/** AES-256-GCM under a key loaded on first use (listing BMCs never creates a key). */
export class AesGcmVault implements SecretVault {
  private key: Buffer | null = null;

  constructor(
    readonly kind: SecretVaultKind,
    readonly description: string,
    private readonly loadKey: () => Buffer,
  ) {}

  private getKey(): Buffer {
    this.key ??= this.loadKey();
    return this.key;
  }

  seal(plain: string, context: SecretContext): SealedSecret {
    return { vault: this.kind, ...sealWithKey(this.getKey(), plain, context) };
  }

  open(sealed: SealedSecret, context: SecretContext): string {
    const sealedBy = sealed.vault ?? SecretVaultKind.FileKey;
    if (sealedBy !== this.kind) {
      throw new SecretVaultError(`the password for ${context.id} was stored with ${VAULT_NAMES[sealedBy]}, not ${VAULT_NAMES[this.kind]}; add the BMC again here`);
    }
    const plain = openWithKey(this.getKey(), sealed, context);
    if (plain === null) {
      throw new SecretVaultError(`the stored password for ${context.id} cannot be decrypted: the BMC list was altered or its key was replaced. Add the BMC again.`);
    }
    return plain;
  }
}

/** The key as a 0600 file in the state dir: what works everywhere, including as root over SSH. */
export function fileKeyVault(stateDir: string): SecretVault {
  const path = join(stateDir, BMC_KEY_FILE);
  return new AesGcmVault(SecretVaultKind.FileKey, `AES-256-GCM, key file ${path} (0600)`, () => loadOrCreateKey(stateDir));
}

/** The key wrapped by the OS keychain (see electron/safe-storage-vault.ts for the Electron wrapper). */
export function wrappedKeyVault(stateDir: string, wrapper: KeyWrapper): SecretVault {
  const path = join(stateDir, BMC_WRAPPED_KEY_FILE);
  return new AesGcmVault(SecretVaultKind.OsKeychain, `AES-256-GCM, key in ${path} wrapped by the ${wrapper.name}`, () => loadOrCreateWrappedKey(stateDir, wrapper));
}
