/**
 * Default state folder (leases, client records) per OS, when --state-dir is not given.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultStateDir(): string {
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'FieldBoot', 'state');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'FieldBoot', 'state');
  if (typeof process.getuid === 'function' && process.getuid() === 0 && !process.env.SUDO_USER) return '/var/lib/fieldboot';
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'fieldboot');
}
