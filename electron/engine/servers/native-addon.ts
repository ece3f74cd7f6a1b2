/**
 * Loading FieldBoot's optional Linux addons (native/sendfile, native/tftp): built by `npm ci` with node-gyp,
 * Node-API so one build serves Node and Electron. Missing, unbuilt or broken, the caller keeps its
 * JavaScript path; `why` says which, for the log.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';

export type AddonLoad<T> = { addon: T; why?: undefined } | { addon: null; why: string };

/** Requires `pkg` on Linux and checks that it exports `functions`; never throws. */
export function loadLinuxAddon<T>(pkg: string, purpose: string, functions: readonly string[]): AddonLoad<T> {
  if (process.platform !== 'linux') return { addon: null, why: `${purpose} is used on Linux only (this is ${process.platform})` };
  try {
    const addon = createRequire(import.meta.url)(pkg) as Record<string, unknown>;
    if (!functions.every((f) => typeof addon[f] === 'function')) throw new Error('not the expected module');
    return { addon: addon as T };
  } catch (err) {
    return { addon: null, why: `the ${pkg} addon is unavailable (${(err as Error).message.split('\n')[0] ?? ''})` };
  }
}

/** The name of a positive errno an addon reports ("ETIMEDOUT"), or "errno N" for one Node does not know. */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}
