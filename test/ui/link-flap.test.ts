/**
 * The serving link in the network status, in a real Chromium against web mode, both inside a lab namespace:
 * serving on a veth NIC (fbs0, 192.168.77.1/24), `ip link set fbs0 down` shows the banner "Link down since
 * hh:mm:ss — serving resumes when the cable is back"; a reload during the outage shows it again at once (from
 * the serving state, on the Dashboard where a reloaded window lands, and on the Network screen) with the same
 * time; `up` clears it and shows "Resumed at hh:mm:ss".
 * Screenshots at 1366x768: test-results/ui/link-flap-down.png and link-flap-resumed.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const NIC = 'fbs0';
const CLOCK = /\d{2}:\d{2}:\d{2}/;

async function waitPhase(page: Page, phase: string, timeoutMs = 20_000): Promise<void> {
  await page.locator(`[data-testid="serving-phase"][data-phase="${phase}"]`).waitFor({ timeout: timeoutMs });
}

test('web mode: link down shows the banner with its time, and it clears with "Resumed at" when the link is back', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-link-'));
  mkdirSync(join(work, 'state'));
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  try {
    lab = createSwitch({ prefix: 'fbul', serverCidr: null });
    // The laptop's NIC: a veth whose other end is a port of the switch, with a machine on the switch.
    lab.exec(['ip', 'link', 'add', NIC, 'type', 'veth', 'peer', 'name', `${NIC}p`]);
    lab.exec(['ip', 'link', 'set', `${NIC}p`, 'master', lab.bridge]);
    lab.exec(['ip', 'link', 'set', `${NIC}p`, 'up']);
    lab.exec(['ip', 'addr', 'add', '192.168.77.1/24', 'dev', NIC]);
    lab.exec(['ip', 'link', 'set', NIC, 'up']);
    lab.addVethClient('c0');

    ui = await openUiInLab(lab, work, ['--state-dir', join(work, 'state'), '--tftp-port', '16971', '--http-port', '18082'], ROOT);
    const { page, pageErrors } = ui;

    const row = page.locator(`[data-testid="interface-row"][data-name="${NIC}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.getByTestId('dhcp-mode-off').check();
    await page.getByTestId('serve-button').click();
    // Serving switches the app to the Dashboard (once, as the phase turns); the link banner lives in the
    // Network screen's status, so go back there. Starting is slow on a loaded machine: a generous wait.
    await page.locator('[data-testid="nav-dashboard"][aria-selected="true"], [data-testid="serving-phase"][data-phase="serving"]').first().waitFor({ timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    await page.getByTestId('nav-network').click();
    await waitPhase(page, 'serving');
    assert.equal(await page.getByTestId('link-banner').count(), 0, 'no banner while the link is up');

    lab.exec(['ip', 'link', 'set', NIC, 'down']);
    const banner = page.locator('[data-testid="link-banner"][data-state="down"]');
    await banner.waitFor({ timeout: 10_000 });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /Link down since \d{2}:\d{2}:\d{2} — serving resumes when the cable is back/);
    assert.match(text, /fbs0: interface set down/);
    // The interface table follows: fbs0's link column says down.
    await row.getByTestId('interface-link').filter({ hasNotText: 'Link up' }).waitFor({ timeout: 5000 });
    await waitPhase(page, 'serving', 1000); // still serving: the session waits for the link
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-flap-down.png') });
    // The activity log has it (the page's own log: a reload starts it afresh).
    await page.locator('[data-testid="event-log"]').filter({ hasText: 'fbs0 link down' }).waitFor({ timeout: 5000 });

    // Reloaded during the outage: no new link event comes while the cable stays out, so the banner can only
    // come from the serving state the page reads on load. It keeps the original "since".
    const since = text.match(CLOCK)?.[0];
    assert.ok(since);
    await page.reload();
    await page.locator('[data-testid="nav-dashboard"][aria-selected="true"]').waitFor({ timeout: 15_000 });
    const dashBanner = page.locator('[data-testid="dashboard"] [data-testid="link-banner"][data-state="down"]');
    await dashBanner.waitFor({ timeout: 10_000 });
    assert.match((await dashBanner.textContent()) ?? '', new RegExp(`Link down since ${since} — serving resumes when the cable is back`));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-flap-reloaded.png') });
    await page.getByTestId('nav-network').click();
    await banner.waitFor({ timeout: 5000 });
    assert.match((await banner.textContent()) ?? '', new RegExp(`Link down since ${since} — serving resumes when the cable is back`));
    await waitPhase(page, 'serving', 1000);

    lab.exec(['ip', 'link', 'set', NIC, 'up']);
    const resumed = page.getByTestId('link-resumed');
    await resumed.waitFor({ timeout: 10_000 });
    assert.match((await resumed.textContent()) ?? '', new RegExp(`Resumed at ${CLOCK.source}: fbs0 is back and serving again`));
    assert.equal(await page.getByTestId('link-banner').count(), 0, 'the banner cleared');
    await row.getByTestId('interface-link').filter({ hasText: 'Link up' }).waitFor({ timeout: 5000 });
    await page.locator('[data-testid="event-log"]').filter({ hasText: 'fbs0 link up' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-flap-resumed.png') });

    // Stop: no link notice once idle.
    await page.getByTestId('serve-button').click();
    await waitPhase(page, 'idle');
    assert.equal(await page.getByTestId('link-resumed').count(), 0);
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
