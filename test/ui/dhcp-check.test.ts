/**
 * The Network screen's "other DHCP servers" check, in web mode in Chromium inside a lab namespace: on a bare
 * switch it recommends full mode; with the site's DHCP server (dnsmasq in its own namespace on the same
 * switch) it names that server and its offer, recommends proxy mode, and one click switches the mode;
 * with dnsmasq also offering a PXE boot file it warns about it. The probe is the engine's real DISCOVER.
 * Screenshot: test-results/ui/network-dhcp-check.png (1366x768).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const SITE_IP = '192.168.77.2';

function siteDnsmasq(lab: LabSwitch, site: { ns: string; ifname: string }, pxe: boolean): ChildProcess {
  return spawn(
    'ip',
    ['netns', 'exec', site.ns, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-', '--user=root',
      `--interface=${site.ifname}`, '--bind-interfaces', '--port=0', '--dhcp-range=192.168.77.200,192.168.77.210,255.255.255.0,1h',
      '--dhcp-leasefile=/dev/null', '--no-ping', ...(pxe ? ['--dhcp-boot=pxelinux.0'] : [])],
    { stdio: 'ignore' },
  );
}

async function advice(page: Page, rerun: boolean): Promise<{ recommended: string; headline: string; warnings: string[] }> {
  if (rerun) {
    await page.getByTestId('dhcp-check-rerun').click();
    await page.locator('[data-testid="dhcp-check"][aria-busy="true"]').waitFor({ timeout: 5000 }).catch(() => {});
  }
  await page.locator('[data-testid="dhcp-check"][aria-busy="false"] [data-testid="dhcp-advice"]').waitFor({ timeout: 30_000 });
  const box = page.getByTestId('dhcp-advice');
  return {
    recommended: (await box.getAttribute('data-recommended')) ?? '',
    headline: ((await page.getByTestId('dhcp-advice-headline').textContent()) ?? '').trim(),
    warnings: await page.getByTestId('dhcp-advice-warning').allTextContents(),
  };
}

test('web mode: the DHCP check recommends full on a bare switch, proxy beside the site server, and warns about its boot file', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM, 'ip', 'dnsmasq'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-probe-'));
  mkdirSync(join(work, 'state'));
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  let dnsmasq: ChildProcess | null = null;
  try {
    lab = createSwitch({ prefix: 'fbdc' });
    const site = lab.addVethClient('site');
    site.exec(['ip', 'addr', 'add', `${SITE_IP}/24`, 'dev', site.ifname]);
    ui = await openUiInLab(lab, work, ['--state-dir', join(work, 'state')], ROOT);
    const { page, pageErrors } = ui;

    const br0 = page.locator('[data-testid="interface-row"][data-name="br0"]');
    await br0.waitFor({ timeout: 15_000 });
    await br0.click();
    // Nobody else on the switch: full mode (the screen starts in proxy, the safe choice), one click away.
    const bare = await advice(page, false);
    assert.equal(bare.recommended, 'full');
    assert.match(bare.headline, /No other DHCP server answered/);
    assert.equal(await page.getByTestId('dhcp-mode-proxy').isChecked(), true);
    await page.getByTestId('dhcp-advice-apply').click();
    assert.equal(await page.getByTestId('dhcp-mode-full').isChecked(), true, 'full mode chosen');
    await page.getByTestId('dhcp-advice-matches').waitFor();

    // The site's DHCP server comes up: proxy, naming it and what it offered; one click applies it.
    dnsmasq = siteDnsmasq(lab, site, false);
    let site1 = await advice(page, true);
    for (let i = 0; i < 5 && site1.recommended !== 'proxy'; i++) site1 = await advice(page, true); // dnsmasq still starting
    assert.equal(site1.recommended, 'proxy');
    assert.match(site1.headline, new RegExp(`Another DHCP server answered \\(${SITE_IP.replace(/\./g, '\\.')} offered 192\\.168\\.77\\.2\\d\\d\\): use proxy mode`));
    assert.deepEqual(site1.warnings, []);
    await page.getByTestId('dhcp-advice-apply').click();
    assert.equal(await page.getByTestId('dhcp-mode-proxy').isChecked(), true, 'proxy mode chosen');
    await page.getByTestId('dhcp-advice-matches').waitFor();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-dhcp-check.png') });

    // The same server handing out a boot file of its own: warned.
    dnsmasq.kill('SIGTERM');
    await new Promise((r) => dnsmasq!.once('exit', r));
    dnsmasq = siteDnsmasq(lab, site, true);
    let pxe = await advice(page, true);
    for (let i = 0; i < 5 && !pxe.warnings.length; i++) pxe = await advice(page, true);
    assert.equal(pxe.recommended, 'proxy');
    assert.ok(pxe.warnings.some((w) => w.includes(`${SITE_IP} already offers a boot file (pxelinux.0)`)), pxe.warnings.join('\n'));
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    dnsmasq?.kill('SIGTERM');
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
