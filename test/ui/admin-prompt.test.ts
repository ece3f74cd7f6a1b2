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
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AppController } from '../../electron/engine-host/app-controller';
import { EngineElevation, pkexecLaunch } from '../../electron/engine-host/engine-elevation';
import { EngineHost, defaultEngineCommand, type EngineLaunchPlan } from '../../electron/engine-host/engine-host';
import { LOOPBACK, PROMPTED_USER, alive, standInPkexec } from '../helpers/engine-processes';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiOnBackend, rendererDirOrSkip, type BackendUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');

test('web mode: a start waiting on the password prompt shows it with Cancel; Cancel ends idle; a prompt left open fails in plain words', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { commands: [CHROMIUM_PATH] })) return;
  const staticDir = rendererDirOrSkip(t);
  if (!staticDir) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-prompt-'));
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  // The stand-in pkexec: records its pid (pid-<n>), then waits for ever like pkexec with its dialog open.
  const fake = standInPkexec(work);
  const pids = fake.pids;

  // Long enough to press Cancel first; then short, to see the timeout.
  let waitMs = 60_000;
  const plan = (): EngineLaunchPlan => {
    const real = pkexecLaunch(defaultEngineCommand(), { pkexec: fake.path, env: {} });
    return Object.defineProperty({ ...real }, 'connectTimeoutMs', { get: () => waitMs, enumerable: true });
  };
  // Ports above ip_unprivileged_port_start are privileged for this "user" (PROMPTED_USER), so every start asks (as on port 69).
  const controller = new AppController({
    baseConfig: { stateDir, httpPort: 18084, tftpPort: 16973, ftp: false },
    host: new EngineHost(),
    listInterfaces: async () => [LOOPBACK],
    elevation: new EngineElevation({ platform: 'linux', facts: () => PROMPTED_USER, launch: plan }),
  });
  let ui: BackendUi | null = null;
  try {
    ui = await openUiOnBackend(controller, staticDir, work);
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
    await ui?.close();
    await controller.dispose();
    fake.kill();
    rmSync(work, { recursive: true, force: true });
  }
});
