/**
 * Which profile names can be saved: the name is the file name (<stateDir>/profiles/<name>.json), so it
 * must be a plain, portable file name. Pure: the wizard shows the same message beside the name field.
 */

/** Letters, digits, dot, dash, underscore; starts with a letter or digit; at most 64 characters. */
export const PROFILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Device names Windows refuses as file names, with or without an extension. */
const WINDOWS_RESERVED_RE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Null when `name` can be saved, else why not (a sentence fragment for "Profile name ..."). */
export function profileNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty; give the profile a name such as rack12-rocky9';
  if (!PROFILE_NAME_RE.test(name)) return `"${name.length > 40 ? `${name.slice(0, 37)}...` : name}" can hold only letters, digits, dot, dash and underscore, must start with a letter or digit, and be at most 64 characters (it becomes the file name)`;
  // A trailing dot is dropped by Windows, so two names would meet in one file.
  if (name.endsWith('.')) return `"${name}" must not end with a dot`;
  if (WINDOWS_RESERVED_RE.test(name)) return `"${name}" is a reserved device name on Windows`;
  return null;
}
