/**
 * Shared by the UI tests: the Chromium flags this machine needs, and reading the web-mode URL that
 * `fieldboot serve --ui --json` prints as `{"type":"ui","url":...}`.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
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

/** A web-mode FieldBoot and a Chromium page on it, both inside a lab namespace (see openUiInLab). */
export interface LabUi {
  server: ChildProcess;
  context: BrowserContext;
  page: Page;
  url: string;
  /** Uncaught page errors so far (assert it stays empty). */
  pageErrors: string[];
  /** Closes the browser, then stops the server (SIGTERM, up to 5 s). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `fieldboot serve --ui --json <args>` inside `lab` and opens it in Chromium at 1366x768 inside the
 * same namespace (its 127.0.0.1 is the server's). `work` holds the browser profile and the launcher script.
 * On failure everything started so far is stopped before the error is thrown.
 */
export async function openUiInLab(lab: { ns: string; spawn(args: string[], opts?: SpawnOptions): ChildProcess }, work: string, args: string[], root: string): Promise<LabUi> {
  const server = lab.spawn([process.execPath, join(root, 'bin/fieldboot.mjs'), 'serve', '--ui', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let context: BrowserContext | null = null;
  const stopServer = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGTERM');
    await new Promise((r) => {
      const timer = setTimeout(r, 5000);
      server.once('exit', () => (clearTimeout(timer), r(null)));
    });
  };
  try {
    const url = await waitForUiUrl(server, 30_000);
    const profile = join(work, 'chromium-profile');
    mkdirSync(profile, { recursive: true });
    context = await chromium.launchPersistentContext(profile, { executablePath: chromiumInNamespace(lab.ns, work), headless: true, args: CHROMIUM_ARGS, viewport: { width: 1366, height: 768 } });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    const ctx = context;
    let closed = false;
    return {
      server,
      context: ctx,
      page,
      url,
      pageErrors,
      async close() {
        if (closed) return;
        closed = true;
        await ctx.close().catch(() => undefined);
        await stopServer();
      },
    };
  } catch (err) {
    await context?.close().catch(() => undefined);
    await stopServer();
    throw err;
  }
}
