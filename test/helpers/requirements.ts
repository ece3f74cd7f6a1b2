/**
 * Lab and UI tests need root, QEMU, Chromium... Missing pieces skip the test with a printed reason,
 * unless FIELDBOOT_REQUIRE_LAB=1 (set by .ci/run): then a missing piece fails the test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const REQUIRE_LAB = process.env.FIELDBOOT_REQUIRE_LAB === '1';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns the first missing requirement, or null. */
export function missing(req: { root?: boolean; commands?: string[]; files?: string[] }): string | null {
  if (req.root && !isRoot()) return 'needs root (network namespaces)';
  for (const c of req.commands ?? []) if (!hasCommand(c)) return `needs the command "${c}"`;
  for (const f of req.files ?? []) if (!existsSync(f)) return `needs the file ${f}`;
  return null;
}

/**
 * Call at the top of a lab/ui test. Returns true when the test should go on; otherwise it has skipped
 * (or, under FIELDBOOT_REQUIRE_LAB=1, thrown).
 */
export function labGate(t: TestContext, req: Parameters<typeof missing>[0]): boolean {
  const why = missing(req);
  if (!why) return true;
  if (REQUIRE_LAB) throw new Error(`lab requirement missing and FIELDBOOT_REQUIRE_LAB=1: ${why}`);
  console.log(`# skipping "${t.name}": ${why}`);
  t.skip(why);
  return false;
}
