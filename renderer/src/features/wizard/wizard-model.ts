/**
 * The wizard's pure half: its steps, which profile fields each one edits, the checks on top of
 * profile-validate (passwords typed twice, the file name), and the live preview rendered right here
 * with shared/answer/render.ts. No React, no API: unit-tested in node.
 *
 * Passwords: the renderer never hashes (crypt.ts is main-side only). A password typed but not saved
 * shows in the preview as PENDING_HASH; Save sends it in plain text once, main stores only its hash,
 * and the preview then shows the real hash (the same text `fieldboot answer render` prints).
 */
import { InventoryError, hostVarsFor, parseInventory, type Inventory } from '../../../../shared/answer/inventory';
import { RenderError, TARGETS, type Profile, type TargetId } from '../../../../shared/answer/profile';
import { profileNameProblem } from '../../../../shared/answer/profile-name';
import { validateProfile, type ValidationIssue } from '../../../../shared/answer/profile-validate';
import { renderAnswer, type RenderedAnswer } from '../../../../shared/answer/render';
import { renderContextFor, type ServingAddress } from '../../../../shared/answer/serving-context';

export const WIZARD_STEPS = [
  { id: 'system', title: 'Target OS', paths: ['name', 'target', 'hostname'] },
  { id: 'locale', title: 'Locale', paths: ['locale'] },
  { id: 'accounts', title: 'Accounts', paths: ['accounts', 'ssh'] },
  { id: 'disk', title: 'Disk', paths: ['disk'] },
  { id: 'partitioning', title: 'Partitioning', paths: ['partitioning'] },
  { id: 'network', title: 'Network', paths: ['network', 'inventory'] },
  { id: 'packages', title: 'Packages', paths: ['packages', 'repositories', 'security'] },
  { id: 'post', title: 'Post-install', paths: ['postInstall'] },
  { id: 'finish', title: 'Finish', paths: ['finish', 'firstBootCheckIn'] },
] as const;
export type WizardStepId = (typeof WIZARD_STEPS)[number]['id'];

/** What the preview shows for a password typed but not saved yet (main makes the real hash on Save). */
export const PENDING_HASH = '$6$HASHED-WHEN-SAVED';

/** Root: locked (key-only) or a password (a new one typed, or the saved hash kept). */
export type RootMode = 'locked' | 'password';

/** The plain passwords being typed; memory only, cleared after Save. */
export interface PasswordFields {
  rootMode: RootMode;
  root: string;
  rootConfirm: string;
  admin: string;
  adminConfirm: string;
}

export const EMPTY_PASSWORDS: PasswordFields = { rootMode: 'locked', root: '', rootConfirm: '', admin: '', adminConfirm: '' };

/** Issues at `path` or inside it (locale matches locale.timezone and locale.ntpServers[1]). */
export function issuesAt(issues: readonly ValidationIssue[], path: string): ValidationIssue[] {
  return issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`));
}

export function stepIssueCount(issues: readonly ValidationIssue[], step: (typeof WIZARD_STEPS)[number]): number {
  return step.paths.reduce((n, p) => n + issuesAt(issues, p).length, 0);
}

/** The profile as it will be saved (before main hashes the passwords): locked root means no hash. */
export function profileToSave(draft: Profile, target: TargetId, pw: PasswordFields): Profile {
  const p = structuredClone(draft);
  p.target = target;
  if (pw.rootMode === 'locked') p.accounts.rootPasswordHash = null;
  return p;
}

/** The profile the preview renders: typed passwords stand in as PENDING_HASH. */
export function profileForPreview(draft: Profile, target: TargetId, pw: PasswordFields): Profile {
  const p = profileToSave(draft, target, pw);
  if (pw.rootMode === 'password' && pw.root !== '') p.accounts.rootPasswordHash = PENDING_HASH;
  const admin = p.accounts.users[0];
  if (admin && pw.admin !== '') admin.passwordHash = PENDING_HASH;
  return p;
}

/** Everything wrong with the form: profile-validate's issues plus the wizard's own. */
export function wizardIssues(draft: Profile, target: TargetId, pw: PasswordFields): ValidationIssue[] {
  const result = validateProfile(profileToSave(draft, target, pw));
  const issues = result.ok ? [] : [...result.issues];
  const nameProblem = profileNameProblem(draft.name);
  if (nameProblem && !issues.some((i) => i.path === 'name')) issues.push({ path: 'name', message: nameProblem });
  if (pw.rootMode === 'password') {
    if (pw.root === '' && !draft.accounts.rootPasswordHash) issues.push({ path: 'accounts.rootPassword', message: 'type a password for root, or choose "Locked"' });
    else if (pw.root !== pw.rootConfirm) issues.push({ path: 'accounts.rootPasswordConfirm', message: 'the two root passwords differ' });
  }
  if (draft.accounts.users[0] && pw.admin !== pw.adminConfirm) issues.push({ path: 'accounts.users[0].passwordConfirm', message: 'the two passwords differ' });
  return issues;
}

export interface InventoryState {
  inventory: Inventory | null;
  /** The parser's message (with its line number), when the CSV is not valid. */
  error: string | null;
}

export function readInventory(text: string): InventoryState {
  if (text.trim() === '') return { inventory: null, error: null };
  try {
    return { inventory: parseInventory(text), error: null };
  } catch (err) {
    if (err instanceof InventoryError) return { inventory: null, error: err.message };
    return { inventory: null, error: (err as Error).message };
  }
}

export type Preview = { ok: true; answer: RenderedAnswer } | { ok: false; path: string; message: string };

/**
 * The answer file for the form as it is now: the same generator, host values and server context that
 * main and `fieldboot answer render` use, so after Save the text is identical.
 */
export function renderPreview(profile: Profile, target: TargetId, serving: ServingAddress | null, inventory: Inventory | null, mac: string | null): Preview {
  try {
    return { ok: true, answer: renderAnswer(profile, hostVarsFor(inventory, mac), renderContextFor(target, serving)) };
  } catch (err) {
    if (err instanceof RenderError) return { ok: false, path: err.path, message: err.message };
    // Half-typed input can trip a generator in ways the validator reports better; never break the page.
    return { ok: false, path: '(profile)', message: (err as Error).message };
  }
}

/** The name a new profile gets: the target id, until the technician types one. */
export function defaultProfileName(target: TargetId): string {
  return target;
}

export const TARGET_IDS = Object.keys(TARGETS) as TargetId[];
