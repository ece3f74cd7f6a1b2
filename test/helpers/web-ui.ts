/**
 * Shared by the UI tests: the Chromium flags this machine needs, reading the web-mode URL that
 * `fieldboot serve --ui --json` prints as `{"type":"ui","url":...}`, starting and stopping that server, and
 * opening it in Chromium (in a lab namespace or on this machine); or web mode served from the test process
 * itself by a backend the test holds (openUiOnBackend).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import type { AppBackend } from '../../electron/engine-host/app-backend';
import { createToken, startWebServer, type WebServer } from '../../electron/engine-host/web-server';
import { REPO_ROOT } from './fieldboot-process';

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

/** Chromium on the web-mode UI (see openUiBrowser). */
export interface UiBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors so far, and the console errors asked for (assert it stays empty). */
  pageErrors: string[];
}

export interface UiBrowserOptions {
  /** Console errors count as page errors too: all of them (true), or those this returns true for. Default: only uncaught errors. */
  consoleErrors?: boolean | ((text: string) => boolean);
}

/**
 * Headless Chromium at 1366x768 on `url`, its profile and launcher script in `work`: inside network namespace
 * `ns` when given (its 127.0.0.1 is the server's), else on this machine's own network. Errors are collected
 * from before the first load. On failure the browser is closed before the error is thrown.
 */
export async function openUiBrowser(url: string, work: string, opts: UiBrowserOptions & { ns?: string } = {}): Promise<UiBrowser> {
  const profile = join(work, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  const executablePath = opts.ns ? chromiumInNamespace(opts.ns, work) : CHROMIUM_PATH;
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1366, height: 768 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const counts = opts.consoleErrors;
    if (counts) page.on('console', (m) => m.type() === 'error' && (counts === true || counts(m.text())) && pageErrors.push(m.text()));
    await page.goto(url);
    return { context, page, pageErrors };
  } catch (err) {
    await context.close().catch(() => undefined);
    throw err;
  }
}

/** Runs argv[0] with the rest as its arguments on this machine's own network: LabSwitch.spawn's shape. */
function spawnHere(argv: string[], opts: SpawnOptions): ChildProcess {
  const [command, ...args] = argv;
  return spawn(command!, args, opts);
}

/**
 * Starts `fieldboot serve --ui --json <args>` from `root` through `spawner` (a lab's spawn; by default on this
 * machine). `url` resolves with the UI URL it prints, or rejects as waitForUiUrl does (30 s).
 */
export function startWebMode(args: string[], root: string, spawner: (argv: string[], opts: SpawnOptions) => ChildProcess = spawnHere): { server: ChildProcess; url: Promise<string> } {
  const server = spawner([process.execPath, join(root, 'bin/fieldboot.mjs'), 'serve', '--ui', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return { server, url: waitForUiUrl(server, 30_000) };
}

/** SIGTERM, SIGKILL if it still runs 5 s later; resolves once it has exited (at once if it already has). */
export async function stopWebMode(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A web-mode FieldBoot and a Chromium page on it, both inside a lab namespace (see openUiInLab). */
export interface LabUi extends UiBrowser {
  server: ChildProcess;
  url: string;
  /** Closes the browser, then stops the server (stopWebMode). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `fieldboot serve --ui --json <args>` inside `lab` and opens it in Chromium at 1366x768 inside the
 * same namespace (its 127.0.0.1 is the server's). `work` holds the browser profile and the launcher script.
 * On failure everything started so far is stopped before the error is thrown.
 */
export async function openUiInLab(
  lab: { ns: string; spawn(args: string[], opts?: SpawnOptions): ChildProcess },
  work: string,
  args: string[],
  root: string,
  opts: UiBrowserOptions = {},
): Promise<LabUi> {
  const { server, url: uiUrl } = startWebMode(args, root, (argv, o) => lab.spawn(argv, o));
  try {
    const url = await uiUrl;
    const browser = await openUiBrowser(url, work, { ...opts, ns: lab.ns });
    let closed = false;
    return {
      ...browser,
      server,
      url,
      async close() {
        if (closed) return;
        closed = true;
        await browser.context.close().catch(() => undefined);
        await stopWebMode(server);
      },
    };
  } catch (err) {
    await stopWebMode(server);
    throw err;
  }
}

/**
 * The built renderer web mode serves: FIELDBOOT_RENDERER_DIR, else dist/renderer (the ui tier builds it).
 * Without an index.html there, `t` is skipped and this returns null.
 */
export function rendererDirOrSkip(t: TestContext): string | null {
  const staticDir = process.env.FIELDBOOT_RENDERER_DIR ?? join(REPO_ROOT, 'dist', 'renderer');
  if (existsSync(join(staticDir, 'index.html'))) return staticDir;
  t.skip(`no renderer build in ${staticDir} (npm run build:renderer, or run the ui tier)`);
  return null;
}

/** Web mode served from the test process and a Chromium page on it (see openUiOnBackend). */
export interface BackendUi extends UiBrowser {
  server: WebServer;
  /** Closes the browser, then the server; the backend stays the test's to dispose. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves `staticDir` and the API of `backend` (a fake one, or a real AppController the test set up) from this
 * process on 127.0.0.1 with a fresh token, and opens it in Chromium on this machine (openUiBrowser, profile in
 * `work`). On failure the server is closed before the error is thrown.
 */
export async function openUiOnBackend(backend: AppBackend, staticDir: string, work: string, opts: UiBrowserOptions = {}): Promise<BackendUi> {
  const server = await startWebServer({ backend, port: 0, token: createToken(), staticDir });
  try {
    const browser = await openUiBrowser(server.url, work, opts);
    let closed = false;
    return {
      ...browser,
      server,
      async close() {
        if (closed) return;
        closed = true;
        await browser.context.close().catch(() => undefined);
        await server.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  }
}
