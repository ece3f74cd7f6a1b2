/**
 * SHA-512 crypt ($6$) for profile passwords: a plain-text password is given once (wizard field, CLI
 * prompt), turned into a hash here, and only the hash is ever stored.
 *
 * MAIN/ENGINE SIDE ONLY. `unixcrypt` is ESM-only and uses node:crypto, so the renderer must never
 * import this file (nor anything that imports it); the wizard asks the main process over the API.
 * The rest of shared/answer/ is pure and bundles into the renderer. See shared/answer/README.md.
 *
 * unixcrypt 3.0.4 matched glibc/libxcrypt on the vectors in ../shared/research (UTF-8 included);
 * tests here check it against `openssl passwd -6` and python's crypt module.
 */
import { randomInt } from 'node:crypto';
import { encrypt, verify } from 'unixcrypt';
import { SHA512_CRYPT_RE } from './profile-validate';

/** crypt(3)'s salt alphabet. */
const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The longest salt SHA-512 crypt uses; longer ones are truncated by every implementation. */
export const SALT_LENGTH = 16;
/** Below 1000 implementations disagree (libxcrypt rejects, glibc and unixcrypt clamp): never go there. */
export const MIN_ROUNDS = 1000;
export const DEFAULT_ROUNDS = 5000;

export function randomSalt(length = SALT_LENGTH): string {
  let s = '';
  for (let i = 0; i < length; i++) s += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return s;
}

export interface HashOptions {
  /** For tests and reproducible vectors only; omit for a random 16-character salt. */
  salt?: string;
  /** Omit for the default 5000 (the hash then carries no rounds= field). */
  rounds?: number;
}

/** Hash a plain-text password as $6$[rounds=N$]SALT$HASH. */
export function hashPassword(plain: string, options: HashOptions = {}): string {
  const salt = options.salt ?? randomSalt();
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error('salt must be 1-16 characters from [./0-9A-Za-z]');
  const rounds = options.rounds;
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > 999_999_999)) {
    throw new Error(`rounds must be an integer from ${MIN_ROUNDS} to 999999999`);
  }
  const hash = encrypt(plain, rounds === undefined ? `$6$${salt}` : `$6$rounds=${rounds}$${salt}`);
  if (!SHA512_CRYPT_RE.test(hash)) throw new Error('unixcrypt returned an unexpected hash format');
  return hash;
}

/** Check a plain-text password against a stored hash (constant-time compare inside unixcrypt). */
export function verifyPassword(plain: string, hash: string): boolean {
  if (!SHA512_CRYPT_RE.test(hash)) return false;
  return verify(plain, hash);
}
