/**
 * The mission in one pass, web mode in Chromium inside a lab namespace: an ISO chosen on the Images screen
 * and a saved answer-file profile are what "Start serving" serves, with no CLI flags for either. The
 * Network screen says so before Start ("Serves 1 image: ...", the profile preselected); after Start the
 * served menu for an armed machine installs that image with that profile's preseed (curl from the switch).
 * Screenshot: test-results/ui/network-serve-plan.png (1366x768).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { buildIso, debianLayout, type BuiltIso } from '../helpers/iso-builder';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const HTTP_PORT = 18351;
const TFTP_PORT = 16351;
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const ARMED = '52:54:00:ac:35:01';

test('web mode: Start serves the ISO added on the Images screen with the saved profile', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM, 'ip', 'xorriso', 'curl'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-plan-'));
  const state = join(work, 'state');
  mkdirSync(join(state, 'profiles'), { recursive: true });
  // A profile as the wizard saves it (the example is in the same format).
  copyFileSync(join(ROOT, 'examples', 'profiles', 'debian12.json'), join(state, 'profiles', 'rack-a.json'));
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  let iso: BuiltIso | null = null;
  try {
    const layout = debianLayout(12);
    iso = await buildIso(layout.spec, layout.options);
    lab = createSwitch({ prefix: 'fbsp' });
    ui = await openUiInLab(lab, work, ['--state-dir', state, '--http-port', String(HTTP_PORT), '--tftp-port', String(TFTP_PORT), '--no-ftp', '--allow', ARMED], ROOT);
    const { page, pageErrors } = ui;

    // Before any ISO: the plan says there is nothing to install.
    await page.getByTestId('serve-plan-images').filter({ hasText: 'No images yet' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('nav-images').click();
    await page.getByTestId('image-file-input').setInputFiles({ name: 'debian-12.5.0-amd64-DVD-1.iso', mimeType: 'application/x-iso9660-image', buffer: readFileSync(iso.path) });
    const row = page.locator('[data-testid="image-row"][data-family="debian"]');
    await row.waitFor({ timeout: 30_000 });
    const imageId = (await row.getAttribute('data-id')) ?? '';
    assert.match(imageId, /^debian-12/);

    await page.getByTestId('nav-network').click();
    const plan = page.getByTestId('serve-plan-images');
    await plan.filter({ hasText: 'Serves 1 image: Debian GNU/Linux 12.5.0' }).waitFor({ timeout: 10_000 });
    const select = page.getByTestId('serve-profile');
    for (let i = 0; i < 100 && (await select.inputValue()) !== 'rack-a'; i++) await page.waitForTimeout(100);
    assert.equal(await select.inputValue(), 'rack-a', 'the saved profile is preselected');

    await page.locator('[data-testid="interface-row"][data-name="br0"]').click();
    await page.getByTestId('dhcp-mode-off').check();
    await page.getByTestId('serve-button').click();
    await page.locator('[data-testid="serving-phase"][data-phase="serving"], [data-testid="serving-phase"][data-phase="failed"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('serving-phase').getAttribute('data-phase'), 'serving', (await page.getByTestId('network-screen').textContent()) ?? '');
    assert.equal(await select.isDisabled(), true, 'the choice is locked while serving');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-serve-plan.png') });

    // From the switch: the armed machine's menu installs the library image with the saved profile.
    const base = `http://${lab.serverIp}:${HTTP_PORT}`;
    const dashed = ARMED.replace(/:/g, '-');
    const menu = lab.exec(['curl', '-sS', '-f', `${base}/ipxe/pcbios/i386/${dashed}.ipxe`]);
    assert.match(menu, new RegExp(`kernel ${base}/iso/${imageId}/install\\.amd/vmlinuz .*url=${base}/answer/${dashed}/preseed\\.cfg`));
    const preseed = lab.exec(['curl', '-sS', '-f', `${base}/answer/${dashed}/preseed.cfg`]);
    assert.match(preseed, /d-i time\/zone string Europe\/Oslo/, "the profile's time zone");
    assert.match(preseed, new RegExp(`mirror/http/directory string /iso/${imageId}/?\\n`), 'the library image is the mirror');

    await page.getByTestId('serve-button').click();
    await page.locator('[data-testid="serving-phase"][data-phase="idle"]').waitFor({ timeout: 20_000 });
    // "None": the next start serves no answer file, and the armed machine installs interactively.
    await select.selectOption('');
    await page.getByTestId('serve-button').click();
    await page.locator('[data-testid="serving-phase"][data-phase="serving"]').waitFor({ timeout: 30_000 });
    assert.doesNotMatch(lab.exec(['curl', '-sS', '-f', `${base}/ipxe/pcbios/i386/${dashed}.ipxe`]), /\/answer\//);
    await page.getByTestId('serve-button').click();
    await page.locator('[data-testid="serving-phase"][data-phase="idle"]').waitFor({ timeout: 20_000 });
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    lab?.destroy();
    await iso?.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
