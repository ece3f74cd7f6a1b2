/**
 * The Settings tab in a real Chromium (web mode), all inside a lab namespace: an out-of-range port and two
 * servers on one port are marked as typed and block Save; valid values are saved, survive a page reload (read
 * back from <state>/settings.json by the host), and the next start uses them: the HTTP server answers on the
 * saved port and not the one fieldboot was started with, the iPXE menu it serves waits the saved 5 s, and
 * udhcpc gets a lease from the saved pool, with the saved lease time and pxelinux.0 as its BIOS boot file,
 * which TFTP serves on the saved port with a pxelinux menu of the same 5 s.
 * While serving the screen says changes apply on the next start, and axe-core finds no serious or critical
 * problem on it. Screenshots at 1366x768.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { createSwitch, type ClientNs, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const run = promisify(execFile);

/** What fieldboot is started with, and what the Settings tab saves instead. */
const BASE = { tftp: 16971, http: 18082 };
const SAVED = { tftp: '16972', http: '18083', ftp: '2121', range: '192.168.77.100-192.168.77.120', lease: '600', menu: '5' };
const MAC = '52:54:00:5e:77:01';

async function waitPhase(page: Page, phase: string, timeoutMs = 30_000): Promise<void> {
  await page.locator(`[data-testid="serving-phase"][data-phase="${phase}"]`).waitFor({ timeout: timeoutMs });
}

/** The field's message, once it has the class (field-error / field-help). */
async function message(page: Page, field: string, cls: 'field-error' | 'field-help'): Promise<string> {
  const msg = page.locator(`[data-testid="setting-${field}-msg"].${cls}`);
  await msg.waitFor({ timeout: 5000 });
  return (await msg.textContent()) ?? '';
}

/** busybox udhcpc as a BIOS PXE client (vendor class PXEClient, option 93 = 0): what its script was told. */
async function pxeLease(c: ClientNs, dir: string): Promise<Record<string, string> | null> {
  const script = join(dir, 'udhcpc.sh');
  const out = join(dir, 'udhcpc.out');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && printf 'ip=%s\\nlease=%s\\nboot_file=%s\\nbootfile=%s\\n' "$ip" "$lease" "$boot_file" "$bootfile" > ${out}\nexit 0\n`);
  chmodSync(script, 0o755);
  try {
    await run('ip', ['netns', 'exec', c.ns, 'udhcpc', '-i', c.ifname, '-f', '-q', '-n', '-t', '5', '-T', '1', '-A', '1', '-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000', '-s', script], { timeout: 30_000 });
  } catch {
    return null;
  }
  return Object.fromEntries(readFileSync(out, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('Settings: checked as typed, saved, kept across a reload, and used by the next start (port, menu timeout, pool, lease, loader)', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip', 'curl', 'udhcpc', 'tftp'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-settings-'));
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  try {
    lab = createSwitch({ prefix: 'fbst', serverCidr: '192.168.77.1/24' });
    const client = lab.addVethClient('c0');
    client.exec(['ip', 'link', 'set', client.ifname, 'address', MAC]);
    ui = await openUiInLab(lab, work, ['--state-dir', stateDir, '--tftp-port', String(BASE.tftp), '--http-port', String(BASE.http)], ROOT);
    const { page, pageErrors } = ui;

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-status').filter({ hasText: 'Nothing saved yet' }).waitFor({ timeout: 15_000 });
    // The host's own options are what the screen starts from.
    assert.equal(await page.getByTestId('setting-httpPort').inputValue(), String(BASE.http));
    assert.equal(await page.getByTestId('setting-tftpPort').inputValue(), String(BASE.tftp));
    const save = page.getByTestId('settings-save');

    // An impossible port: marked at once, Save disabled.
    await page.getByTestId('setting-httpPort').fill('70000');
    assert.match(await message(page, 'httpPort', 'field-error'), /HTTP port must be a whole number from 1 to 65535/);
    assert.equal(await page.getByTestId('setting-httpPort').getAttribute('aria-invalid'), 'true');
    assert.equal(await save.isDisabled(), true, 'no save with an invalid port');
    await page.getByTestId('settings-error-count').filter({ hasText: 'One field needs fixing' }).waitFor();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'settings-invalid.png') });

    // Two servers on one port.
    await page.getByTestId('setting-httpPort').fill(SAVED.http);
    await page.getByTestId('setting-ftpPort').fill(SAVED.http);
    assert.match(await message(page, 'ftpPort', 'field-error'), new RegExp(`Port ${SAVED.http} is already the HTTP port`));
    assert.equal(await save.isDisabled(), true, 'no save with two servers on one port');
    // A menu timeout beyond the limit.
    await page.getByTestId('setting-ftpPort').fill(SAVED.ftp);
    await page.getByTestId('setting-menuTimeout').fill('601');
    assert.match(await message(page, 'menuTimeout', 'field-error'), /from 0 to 600/);
    assert.equal(await save.isDisabled(), true);

    // Valid values everywhere.
    await page.getByTestId('setting-menuTimeout').fill(SAVED.menu);
    await page.getByTestId('setting-tftpPort').fill(SAVED.tftp);
    await page.getByTestId('setting-range').fill(SAVED.range);
    await page.getByTestId('setting-leaseTime').fill(SAVED.lease);
    await page.getByTestId('setting-biosLoader-pxelinux').check();
    for (const f of ['httpPort', 'ftpPort', 'tftpPort', 'menuTimeout', 'range', 'leaseTime']) await message(page, f, 'field-help');
    assert.equal(await page.getByTestId('settings-error-count').count(), 0);
    assert.equal(await save.isDisabled(), false);
    await save.click();
    await page.getByTestId('settings-status').filter({ hasText: /Saved\. Saved / }).waitFor({ timeout: 10_000 });
    const onDisk = JSON.parse(readFileSync(join(stateDir, 'settings.json'), 'utf8')) as { settings: Record<string, unknown> };
    assert.equal(onDisk.settings.httpPort, Number(SAVED.http));
    assert.equal(onDisk.settings.menuTimeout, Number(SAVED.menu));
    assert.equal(await save.isDisabled(), true, 'nothing left to save');

    // A reload reads them back from the host.
    await page.reload();
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-status').filter({ hasText: /^Saved / }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('setting-httpPort').inputValue(), SAVED.http);
    assert.equal(await page.getByTestId('setting-tftpPort').inputValue(), SAVED.tftp);
    assert.equal(await page.getByTestId('setting-ftpPort').inputValue(), SAVED.ftp);
    assert.equal(await page.getByTestId('setting-menuTimeout').inputValue(), SAVED.menu);
    assert.equal(await page.getByTestId('setting-range').inputValue(), SAVED.range);
    assert.equal(await page.getByTestId('setting-leaseTime').inputValue(), SAVED.lease);
    assert.equal(await page.getByTestId('setting-biosLoader-pxelinux').isChecked(), true);

    // Serve (full DHCP on br0, no range typed on the Network screen: the saved pool applies).
    await page.getByTestId('nav-network').click();
    // On an interface whose subnet the saved pool is not in (lo, 127.0.0.1/8), the empty field says so and Start waits.
    const lo = page.locator('[data-testid="interface-row"][data-name="lo"]');
    await lo.waitFor({ timeout: 15_000 });
    await lo.click();
    await page.getByTestId('dhcp-mode-full').check();
    const rangeHelp = page.locator('#dhcp-range-help.field-error');
    await rangeHelp.waitFor({ timeout: 5000 });
    assert.equal(
      await rangeHelp.textContent(),
      `The Settings screen's pool ${SAVED.range} does not fit here: it must be inside lo's subnet (127.0.0.1/8). Type a range for this interface, or change the pool in Settings.`,
    );
    assert.equal(await page.getByTestId('serve-button').isDisabled(), true, 'a start would be refused: Start waits');
    const br0 = page.locator('[data-testid="interface-row"][data-name="br0"]');
    await br0.click();
    await page.getByTestId('dhcp-mode-full').check();
    assert.equal(await page.locator('#dhcp-range-help.field-help').textContent(), "Leave empty to use the Settings screen's pool.");
    // The empty range field says which pool it stands for.
    assert.equal(await page.getByTestId('dhcp-range').getAttribute('placeholder'), `From Settings: ${SAVED.range}`);
    await page.getByTestId('serve-button').click();
    // Once serving the app may move on to the Dashboard: the state is read on the Network screen.
    await page.locator('[data-testid="serving-phase"][data-phase="serving"], [data-testid="nav-dashboard"][aria-selected="true"]').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('nav-network').click();
    await waitPhase(page, 'serving');
    assert.match((await page.getByTestId('serving-detail').textContent()) ?? '', /192\.168\.77\.100-192\.168\.77\.120/);

    // HTTP on the saved port, nothing on the one fieldboot was started with.
    const menu = lab.exec(['curl', '-sS', '--max-time', '5', `http://192.168.77.1:${SAVED.http}/ipxe/pcbios/i386/${MAC}.ipxe`]);
    assert.match(menu, /^#!ipxe/);
    assert.match(menu, /choose --default \S+ --timeout 5000 /, 'the menu waits the saved 5 s');
    await assert.rejects(run('ip', ['netns', 'exec', lab.ns, 'curl', '-sS', '--max-time', '3', `http://192.168.77.1:${BASE.http}/`]), 'nothing on the start-up HTTP port');
    assert.ok(lab.exec(['ss', '-Hlnu', `sport = :${SAVED.tftp}`]).includes(`:${SAVED.tftp}`), 'TFTP on the saved port');

    const lease = await pxeLease(client, work);
    assert.ok(lease, 'udhcpc got a lease');
    const last = Number(lease.ip?.split('.')[3]);
    assert.ok(lease.ip?.startsWith('192.168.77.') && last >= 100 && last <= 120, `address ${lease.ip} from the saved pool`);
    assert.equal(lease.lease, SAVED.lease, 'the saved lease time');
    assert.ok([lease.boot_file, lease.bootfile].includes('pxelinux.0'), `BIOS boot file pxelinux.0, got ${JSON.stringify(lease)}`);
    // What pxelinux then fetches over TFTP on the saved port: itself, and its menu with the saved 5 s (TIMEOUT is in tenths).
    const pxeMenu = join(work, 'pxelinux-menu');
    const loader = join(work, 'pxelinux.0');
    lab.exec(['tftp', '-m', 'binary', '192.168.77.1', SAVED.tftp, '-c', 'get', 'pxelinux.0', loader]);
    assert.ok(statSync(loader).size > 10_000, 'pxelinux.0 over TFTP');
    lab.exec(['tftp', '-m', 'binary', '192.168.77.1', SAVED.tftp, '-c', 'get', `pxelinux.cfg/01-${MAC.replaceAll(':', '-')}`, pxeMenu]);
    assert.match(readFileSync(pxeMenu, 'utf8'), /^TIMEOUT 50$/m);

    // While serving, the screen says an edit waits for the next start.
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-next-start').waitFor();
    assert.match((await page.getByTestId('settings-next-start').textContent()) ?? '', /apply on next start/);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    assert.equal(overflow, 0, 'no horizontal scrollbar at 1366x768');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'settings.png') });
    // axe-core on the real screen while serving: no serious or critical finding.
    await page.evaluate(axe.source);
    const found = (await page.evaluate(`axe.run(document).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.help))`)) as string[];
    assert.deepEqual(found, []);

    await page.getByTestId('nav-network').click();
    await page.getByTestId('serve-button').click();
    await waitPhase(page, 'idle');
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
