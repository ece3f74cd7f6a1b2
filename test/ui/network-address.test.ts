/**
 * A bare rack NIC: the lab's br0 has no address. The network screen offers "Give it 10.77.0.1/24", checks
 * the field as it is typed, and Start serves on that address: the engine really adds it to br0 (read back
 * with `ip -j addr` inside the namespace), the status says so, and Stop really removes it.
 * Web mode in a real Chromium, both inside the namespace (see network-screen.test.ts for the wrapper).
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
import { openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const TFTP_PORT = 16970;
const HTTP_PORT = 18081;
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');

/** br0's IPv4 addresses as `ip -j addr` reports them inside the namespace. */
function bridgeAddresses(lab: LabSwitch): string[] {
  const links = JSON.parse(lab.exec(['ip', '-j', 'addr', 'show', 'dev', 'br0'])) as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return (links[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

async function waitPhase(page: Page, phase: string, timeoutMs = 20_000): Promise<void> {
  await page.locator(`[data-testid="serving-phase"][data-phase="${phase}"]`).waitFor({ timeout: timeoutMs });
}

test('web mode: br0 without an address gets 10.77.0.1/24 when serving starts, and loses it on stop', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM, 'ip', 'ss'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-addr-'));
  mkdirSync(join(work, 'state'));
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  try {
    lab = createSwitch({ prefix: 'fbad', serverCidr: null });
    // A machine on the switch, so br0 has a carrier like a cabled NIC.
    lab.addVethClient('c0');
    assert.deepEqual(bridgeAddresses(lab), [], 'br0 starts bare');

    ui = await openUiInLab(lab, work, ['--state-dir', join(work, 'state'), '--tftp-port', String(TFTP_PORT), '--http-port', String(HTTP_PORT)], ROOT);
    const { page, pageErrors } = ui;

    const br0 = page.locator('[data-testid="interface-row"][data-name="br0"]');
    await br0.waitFor({ timeout: 15_000 });
    await br0.click();
    await page.getByTestId('dhcp-mode-off').check();
    assert.equal((await br0.getByTestId('interface-ipv4').textContent())?.trim(), 'none');

    // The offer, with the default, editable and checked as typed.
    const field = page.getByTestId('assign-address');
    assert.equal(await field.inputValue(), '10.77.0.1/24');
    const button = page.getByTestId('serve-button');
    await field.fill('10.77.0.0/24');
    await page.locator('[data-testid="assign-help"].field-error').waitFor();
    assert.match((await page.getByTestId('assign-help').textContent()) ?? '', /network address/);
    assert.equal(await button.isDisabled(), true, 'no start with an unusable address');
    await field.fill('10.77.0.1/24');
    await page.locator('[data-testid="assign-help"].field-help').waitFor();
    assert.equal(await button.isDisabled(), false);
    // Preflight checks the ports on the address to be given.
    await page.locator('[data-testid="preflight-summary"]').filter({ hasText: 'checked on 10.77.0.1' }).waitFor({ timeout: 15_000 });

    await button.click();
    await waitPhase(page, 'serving');
    assert.deepEqual(bridgeAddresses(lab), ['10.77.0.1/24'], 'the engine gave br0 the address');
    assert.match((await page.getByTestId('assigned-address').textContent()) ?? '', /br0 the address 10\.77\.0\.1\/24 .*removed when you stop/);
    assert.match((await page.getByTestId('serving-detail').textContent()) ?? '', /10\.77\.0\.1/);
    assert.ok(lab.exec(['ss', '-Hlnu', `sport = :${TFTP_PORT}`]).includes(`10.77.0.1:${TFTP_PORT}`), 'TFTP listens on the assigned address');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-address-serving.png') });

    await button.click();
    await waitPhase(page, 'idle');
    assert.deepEqual(bridgeAddresses(lab), [], 'stop removed the address');
    assert.equal(await page.getByTestId('assigned-address').count(), 0);
    await page.getByTestId('address-offer').waitFor();

    // An address in another interface's subnet is refused before anything changes (veth peer c0's side has none,
    // so give the namespace a second, addressed bridge standing in for the office network).
    lab.addBridge('office0', '10.77.0.50/24');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-testid="interface-row"][data-name="office0"]').waitFor();
    await page.locator('[data-testid="assign-help"].field-error').filter({ hasText: /overlaps office0/ }).waitFor();
    assert.equal(await button.isDisabled(), true);
    assert.deepEqual(bridgeAddresses(lab), []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
