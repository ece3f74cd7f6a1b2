/**
 * Saved install profiles: one JSON file per profile in <stateDir>/profiles/<name>.json, written
 * atomically (temp file, fsync, rename, fsync of the folder) and owner-only, because the files carry
 * password hashes. Plain passwords arrive only in a save request, are hashed here (SHA-512 crypt,
 * shared/answer/crypt.ts, main side only) and never written anywhere.
 *
 * Also the request parsers for the profiles:* channels (api-dispatch.ts calls them at the trust
 * boundary) and the main-side render that `profiles:render` answers with.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ProfileRender, ProfileRenderRequest, ProfileSaveRequest, ProfileSummary } from '../../shared/api/fieldboot-api';
import { hashPassword } from '../../shared/answer/crypt';
import { InventoryError, hostVarsFor, parseInventory } from '../../shared/answer/inventory';
import { RenderError, TARGETS, isTargetId, type Profile } from '../../shared/answer/profile';
import { profileNameProblem } from '../../shared/answer/profile-name';
import { parseProfileText, validateProfile, type ValidationIssue } from '../../shared/answer/profile-validate';
import { renderAnswer } from '../../shared/answer/render';
import { renderContextFor, type ServingAddress } from '../../shared/answer/serving-context';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { normalizeMac } from '../../shared/net/ipv4';
import { writeFileAtomic } from '../engine/images/library-file';

export const PROFILES_DIR_NAME = 'profiles';
const PROFILE_EXT = '.json';
/** crypt(3) reads any length, but nobody types more; this bounds the work a request can cause. */
export const MAX_PASSWORD_LENGTH = 1024;
/** An inventory for a rack or a room; far above what a technician pastes, far below memory trouble. */
export const MAX_INVENTORY_CHARS = 1_000_000;

const FIX_HINT = 'Fix the fields the wizard marks, then save again.';

function badName(name: string): FieldbootError {
  const problem = profileNameProblem(name);
  return new FieldbootError(ErrorCode.BadOption, `Profile name ${problem ?? 'is not valid'}.`, 'Pick a short name such as rack12-rocky9.');
}

function invalidProfile(what: string, issues: ValidationIssue[]): FieldbootError {
  const list = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`).join('; ');
  const more = issues.length > 10 ? ` (and ${issues.length - 10} more)` : '';
  return new FieldbootError(ErrorCode.BadOption, `${what} is not valid: ${list}${more}`, FIX_HINT);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export interface ProfileStoreOptions {
  /** Injectable for tests; defaults to SHA-512 crypt with a random salt. */
  hashPassword?: (plain: string) => string;
}

export class ProfileStore {
  private readonly hash: (plain: string) => string;

  constructor(
    /** The profiles folder itself (<stateDir>/profiles); created on the first save. */
    readonly dir: string,
    options: ProfileStoreOptions = {},
  ) {
    this.hash = options.hashPassword ?? ((plain) => hashPassword(plain));
  }

  static forStateDir(stateDir: string, options: ProfileStoreOptions = {}): ProfileStore {
    return new ProfileStore(join(stateDir, PROFILES_DIR_NAME), options);
  }

  /** The file a profile name maps to; throws bad-option for a name that is not a safe file name. */
  fileFor(name: string): string {
    if (profileNameProblem(name) !== null) throw badName(name);
    return join(this.dir, `${name}${PROFILE_EXT}`);
  }

  /** Every <name>.json in the folder, by name; an unreadable file is listed with its error. */
  async list(): Promise<ProfileSummary[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: ProfileSummary[] = [];
    for (const file of names.sort()) {
      if (!file.endsWith(PROFILE_EXT)) continue;
      const name = file.slice(0, -PROFILE_EXT.length);
      // Temp files (".x.json.abc.tmp") and anything else we would not have written are not profiles.
      if (profileNameProblem(name) !== null) continue;
      const path = join(this.dir, file);
      let modified: string;
      try {
        const info = await fsp.stat(path);
        if (!info.isFile()) continue;
        modified = info.mtime.toISOString();
      } catch {
        continue; // deleted between readdir and stat
      }
      try {
        const profile = await this.read(name);
        out.push({ name, target: profile.target ?? null, modified });
      } catch (err) {
        out.push({ name, target: null, modified, error: (err as Error).message });
      }
    }
    return out;
  }

  /** The stored profile. Missing: file-not-found; unreadable or invalid: bad-option naming the file and the problems. */
  get(name: string): Promise<Profile> {
    return this.read(name);
  }

  /**
   * Validates, hashes the plain passwords given (root, admin user = users[0]) into the profile, and
   * writes <name>.json atomically. Returns exactly what was stored.
   */
  async save(request: ProfileSaveRequest): Promise<Profile> {
    const checked = validateProfile(request.profile);
    if (!checked.ok) throw invalidProfile('The profile', checked.issues);
    const profile = checked.profile;
    const file = this.fileFor(profile.name);
    if (request.password !== undefined) {
      profile.accounts.rootPasswordHash = this.hash(checkPassword(request.password, 'root password'));
    }
    if (request.adminPassword !== undefined) {
      const admin = profile.accounts.users[0];
      if (!admin) throw new FieldbootError(ErrorCode.BadOption, 'An admin password was given, but the profile has no user.', 'Add the admin user on the Accounts step, or leave its password empty.');
      admin.passwordHash = this.hash(checkPassword(request.adminPassword, `password of ${admin.name}`));
    }
    // What goes to disk must read back as the same profile (and never as a plain password).
    const again = validateProfile(profile);
    if (!again.ok) throw invalidProfile('The profile', again.issues);
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify(profile, null, 2)}\n`);
    return profile;
  }

  /** Removes <name>.json (even an unreadable one); returns what it was. */
  async delete(name: string): Promise<ProfileSummary> {
    const file = this.fileFor(name);
    let summary: ProfileSummary;
    try {
      const info = await fsp.stat(file);
      summary = { name, target: null, modified: info.mtime.toISOString() };
    } catch (err) {
      if (isMissing(err)) throw notFound(name);
      throw err;
    }
    try {
      summary.target = (await this.read(name)).target ?? null;
    } catch {
      // A corrupt file is exactly what one wants to delete.
    }
    await fsp.rm(file);
    return summary;
  }

  private async read(name: string): Promise<Profile> {
    const file = this.fileFor(name);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if (isMissing(err)) throw notFound(name);
      throw err;
    }
    const result = parseProfileText(text);
    if (!result.ok) {
      const e = invalidProfile(`The saved profile ${file}`, result.issues);
      throw new FieldbootError(e.code, e.message, 'Fix the file by hand (the wizard cannot open it), or delete it and save the profile again.');
    }
    // The file name is the profile's identity: a copied file saves back to itself, not to the original.
    result.profile.name = name;
    return result.profile;
  }
}

function notFound(name: string): FieldbootError {
  return new FieldbootError(ErrorCode.FileNotFound, `No saved profile named "${name}".`, 'Pick one from the list of saved profiles, or save this one first.');
}

function checkPassword(plain: string, what: string): string {
  if (plain.length === 0) throw new FieldbootError(ErrorCode.BadOption, `The ${what} is empty.`, 'Type a password, or choose a locked (key-only) account.');
  return plain;
}

// ---- request parsers for the profiles:* channels (called by api-dispatch.ts) ----

function bad(message: string): FieldbootError {
  return new FieldbootError(ErrorCode.BadOption, message, 'The request did not match the API contract (shared/api/fieldboot-api.ts).');
}

function object(raw: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${what} must be an object`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!keys.includes(key)) throw bad(`unknown field "${key}" in ${what}`);
  return r;
}

/** The profile as the API receives it: validated and completed, or refused with the issues listed. */
export function parseProfileField(raw: unknown): Profile {
  const result = validateProfile(raw);
  if (!result.ok) throw invalidProfile('The profile', result.issues);
  return result.profile;
}

function passwordField(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PASSWORD_LENGTH) {
    throw bad(`${field} must be a non-empty string of at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (value.includes('\0')) throw bad(`${field} must not contain NUL characters`);
  return value;
}

export function parseProfileSaveRequest(raw: unknown): ProfileSaveRequest {
  const r = object(raw, ['profile', 'password', 'adminPassword'], 'the save request');
  const request: ProfileSaveRequest = { profile: parseProfileField(r.profile) };
  if (r.password !== undefined) request.password = passwordField(r.password, 'password');
  if (r.adminPassword !== undefined) request.adminPassword = passwordField(r.adminPassword, 'adminPassword');
  return request;
}

export function parseProfileRenderRequest(raw: unknown): ProfileRenderRequest {
  const r = object(raw, ['profile', 'target', 'mac', 'inventory'], 'the render request');
  if (typeof r.target !== 'string' || !isTargetId(r.target)) throw bad(`target must be one of ${Object.keys(TARGETS).join(', ')}`);
  const request: ProfileRenderRequest = { profile: parseProfileField(r.profile), target: r.target };
  if (r.mac !== undefined) {
    const mac = typeof r.mac === 'string' ? normalizeMac(r.mac) : null;
    if (!mac) throw bad('mac must be a MAC address like 52:54:00:12:34:56');
    request.mac = mac;
  }
  if (r.inventory !== undefined) {
    if (typeof r.inventory !== 'string' || r.inventory.length > MAX_INVENTORY_CHARS) throw bad(`inventory must be CSV text of at most ${MAX_INVENTORY_CHARS} characters`);
    request.inventory = r.inventory;
  }
  return request;
}

/**
 * The answer file main serves for this profile: the serving session's address and HTTP port when
 * serving, else the CLI's placeholder (shared/answer/serving-context.ts). Same text as
 * `fieldboot answer render --profile FILE --target T [--mac M --inventory CSV]` with that server address.
 */
export function renderProfileAnswer(request: ProfileRenderRequest, serving: ServingAddress | null): ProfileRender {
  const context = renderContextFor(request.target, serving);
  let inventory = null;
  if (request.inventory !== undefined && request.inventory.trim() !== '') {
    try {
      inventory = parseInventory(request.inventory);
    } catch (err) {
      if (err instanceof InventoryError) throw new FieldbootError(ErrorCode.BadOption, `The inventory CSV is not valid: ${err.message}`, 'Fix the line named, or import the CSV again.');
      throw err;
    }
  }
  try {
    const answer = renderAnswer(request.profile, hostVarsFor(inventory, request.mac ?? null), context);
    return { ...answer, context };
  } catch (err) {
    if (err instanceof RenderError) {
      throw new FieldbootError(ErrorCode.BadOption, `Cannot write a ${TARGETS[request.target].label} answer file from this profile: ${err.path}: ${err.message}`, FIX_HINT);
    }
    throw err;
  }
}
