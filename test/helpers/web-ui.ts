/**
 * Shared by the UI tests: the Chromium flags this machine needs, and reading the web-mode URL that
 * `fieldboot serve --ui --json` prints as `{"type":"ui","url":...}`.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * A Chromium launcher that runs inside network namespace `ns` (the web-mode server listens on that
 * namespace's own 127.0.0.1): a script re-executing chromium under `ip netns exec`, written into `dir`.
 * Playwright's DevTools pipe on fds 3/4 survives the exec. Returns the script's path for `executablePath`.
 */
export function chromiumInNamespace(ns: string, dir: string): string {
  const wrapper = join(dir, 'chromium-in-netns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' '${CHROMIUM_PATH}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Headless Chromium as root on a machine without outside network (see the env notes). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Waits for the UI line; rejects with the process's stderr if it exits first or the time runs out. */
export function waitForUiUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UI URL within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { type?: string; url?: string };
        if (msg.type === 'ui' && msg.url) {
          clearTimeout(timer);
          resolve(msg.url);
        }
      } catch {
        /* not JSON: ignore */
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fieldboot exited with ${code} before printing its UI URL; stderr: ${stderr}`));
    });
  });
}
