/**
 * A start waiting on the administrator password prompt, in a real Chromium against web mode served by the real
 * AppController. The prompt is a stand-in pkexec that never answers (the real pkexec plan otherwise: its words,
 * its timeout); the wait is shortened by the test. The Network screen's status says what it waits for and until
 * when, its button is "Cancel" while the Start request is still in flight; Cancel leaves the app idle with no
 * error and the launcher gone. Left open past the wait, the start fails with the plain-words message.
 * Screenshots at 1366x768: test-results/ui/admin-prompt-waiting.png and admin-prompt-timeout.png.
 *
 * The renderer bundle is dist/renderer (the ui tier builds it), or FIELDBOOT_RENDERER_DIR.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AppController } from '../../electron/engine-host/app-controller';
import { EngineElevation, pkexecLaunch } from '../../electron/engine-host/engine-elevation';
import { EngineHost, defaultEngineCommand, type EngineLaunchPlan } from '../../electron/engine-host/engine-host';
import { createToken, startWebServer, type WebServer } from '../../electron/engine-host/web-server';
import type { PrivilegeFacts } from '../../electron/engine/net/preflight';
import { InterfaceKind, type NetworkInterfaceInfo } from '../../shared/model/network';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiBrowser, type UiBrowser } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Ports above ip_unprivileged_port_start are privileged for this "user", so every start asks (as on port 69).
const user: PrivilegeFacts = { platform: 'linux', uid: 1000, capEff: 0n, unprivilegedPortStart: 65535 };
const lo: NetworkInterfaceInfo = { name: 'lo', mac: null, kind: InterfaceKind.Loopback, linkUp: true, speedMbps: null, mtu: 65536, ipv4: [{ address: '127.0.0.1', prefix: 8 }] };

test('web mode: a start waiting on the password prompt shows it with Cancel; Cancel ends idle; a prompt left open fails in plain words', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { commands: [CHROMIUM_PATH] })) return;
  const staticDir = process.env.FIELDBOOT_RENDERER_DIR ?? join(ROOT, 'dist', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    t.skip(`no renderer build in ${staticDir} (npm run build:renderer, or run the ui tier)`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-prompt-'));
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  // The stand-in pkexec: records its pid (pid-<n>), then waits for ever like pkexec with its dialog open.
  const script = join(work, 'fake-pkexec.cjs');
  writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(join(work, 'pid-'))} + process.pid, '');\nsetInterval(() => {}, 1 << 30);\n`);
  const pkexec = join(work, 'pkexec');
  writeFileSync(pkexec, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(pkexec, 0o755);
  const pids = () =>
    readdirSync(work)
      .filter((f) => f.startsWith('pid-'))
      .map((f) => Number(f.slice(4)));

  // Long enough to press Cancel first; then short, to see the timeout.
  let waitMs = 60_000;
  const plan = (): EngineLaunchPlan => {
    const real = pkexecLaunch(defaultEngineCommand(), { pkexec, env: {} });
    return Object.defineProperty({ ...real }, 'connectTimeoutMs', { get: () => waitMs, enumerable: true });
  };
  const controller = new AppController({
    baseConfig: { stateDir, httpPort: 18084, tftpPort: 16973, ftp: false },
    host: new EngineHost(),
    listInterfaces: async () => [lo],
    elevation: new EngineElevation({ platform: 'linux', facts: () => user, launch: plan }),
  });
  let server: WebServer | null = null;
  let ui: UiBrowser | null = null;
  try {
    server = await startWebServer({ backend: controller, port: 0, token: createToken(), staticDir });
    ui = await openUiBrowser(server.url, work);
    const { page, pageErrors } = ui;
    const row = page.locator('[data-testid="interface-row"][data-name="lo"]');
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.getByTestId('dhcp-mode-off').check();
    const button = page.getByTestId('serve-button');
    await button.click();

    await page.locator('[data-testid="serving-phase"][data-phase="starting"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="serve-button"][data-action="cancel"]').waitFor({ timeout: 5000 });
    assert.match((await page.getByTestId('serving-detail').textContent()) ?? '', /^Waiting for you to answer the system password prompt \(pkexec\); FieldBoot gives up at \d{2}:\d{2}:\d{2}\.$/);
    assert.equal(await button.textContent(), 'Cancel');
    assert.equal(await button.isEnabled(), true, 'Cancel works while the Start request is in flight');
    // The page shows the wait as soon as the launcher is spawned; the stand-in records its pid only once node has
    // started in it, which takes a while on a loaded machine.
    for (let i = 0; i < 100 && pids().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const first = pids()[0];
    assert.ok(first && alive(first), 'the prompt is up');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-prompt-waiting.png') });

    await button.click();
    await page.locator('[data-testid="serving-phase"][data-phase="idle"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('serving-error').count(), 0, 'a cancel is not an error');
    assert.equal(await page.getByTestId('action-error').count(), 0);
    for (let i = 0; i < 100 && alive(first); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(first), false, 'the launcher was ended');

    // Left open: the start gives up after the wait and says so.
    waitMs = 3000;
    await page.locator('[data-testid="serve-button"][data-action="start"]:enabled').waitFor({ timeout: 10_000 });
    await button.click();
    await page.locator('[data-testid="serve-button"][data-action="cancel"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="serving-phase"][data-phase="failed"]').waitFor({ timeout: 20_000 });
    const error = (await page.getByTestId('serving-error').textContent()) ?? '';
    assert.match(error, /The administrator password prompt was not answered within 3 seconds, so FieldBoot closed it and the network engine did not start\./);
    assert.match(error, /Press Start again and enter an administrator password/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-prompt-timeout.png') });
    const second = pids().find((p) => p !== first);
    assert.ok(second, 'the second Start asked again');
    for (let i = 0; i < 100 && alive(second); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(second), false, 'nothing left running');
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.context.close().catch(() => undefined);
    await server?.close();
    await controller.dispose();
    for (const pid of pids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
