/**
 * The Machines (BMC) tab in a real Chromium against the real `fieldboot serve --ui` (web mode, the real
 * AppController), driving three real IPMI-over-LAN BMCs: ipmi_sim instances, each in its own namespace on a lab
 * switch. The web-mode server and Chromium run in the switch's namespace (the BMC addresses are only reachable
 * there; the browser reaches the server on that namespace's 127.0.0.1 through the wrapper that
 * test/ui/network-screen.test.ts describes).
 *
 * What it proves: a BMC added with the form and two imported from a CSV file are listed (with the typed and
 * imported server MACs) and no password ever reaches the page or bmcs.json in clear; "Install these 3 machines"
 * shows each row working live, then per-BMC results: the two good BMCs were told boot device PXE and were
 * power-cycled (the running one: power 0 then 1; the one that was off: powered on), as the simulators' chassis
 * records show; the BMC with a wrong password says "bad credentials" with what to do, and its chassis was never
 * touched. Screenshot: test-results/ui/bmc-install.png (1366x768).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { BMC_SIM_PASSWORD, startBmc, waitFor, waitListening, type Bmc } from '../helpers/bmc-sim';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const SUBNET = '192.168.79';
const WRONG_PASSWORD = 'not-the-password';

function row(page: Page, name: string): Locator {
  return page.locator(`[data-testid="bmc-row"][data-name="${name}"]`);
}

async function rowPhase(page: Page, name: string): Promise<string | null> {
  const status = row(page, name).getByTestId('bmc-row-status');
  return (await status.count()) ? status.getAttribute('data-phase') : null;
}

const sets = (b: Bmc): string[] => b.log().filter((l) => l.op === 'set').map((l) => l.args);

test('web mode: BMCs added by form and CSV; "Install these machines" sets PXE and power-cycles the real simulators; a wrong password is reported plainly', { timeout: 240_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip', 'ss', 'ipmi_sim', 'ipmitool'] })) return;

  const work = mkdtempSync(join(tmpdir(), 'fb-ui-bmc-'));
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  let lab: LabSwitch | null = null;
  const bmcs: Bmc[] = [];
  let ui: LabUi | null = null;
  try {
    lab = createSwitch({ prefix: 'fbuib', serverCidr: `${SUBNET}.1/24` });
    bmcs.push(startBmc(lab, work, 'bmc1', `${SUBNET}.11`), startBmc(lab, work, 'bmc2', `${SUBNET}.12`), startBmc(lab, work, 'bmc3', `${SUBNET}.13`));
    for (const b of bmcs) await waitListening(b);
    const [bmc1, bmc2, bmc3] = bmcs as [Bmc, Bmc, Bmc];
    // Each chassis call answers after 0.25 s, so the rows are seen working before they finish (well short of
    // ipmitool's 1 s retransmit, which single-threaded ipmi_sim would answer twice on this shared 2-core machine).
    for (const b of bmcs) writeFileSync(join(b.dir, 'slow'), '0.25');

    // No --interface: just the UI (and its BMC list) in the lab namespace.
    ui = await openUiInLab(lab, work, ['--state-dir', stateDir], ROOT, { consoleErrors: true });
    const { page, pageErrors } = ui;
    await page.getByTestId('nav-bmc').click();
    await page.getByTestId('bmc-empty').waitFor({ timeout: 15_000 });

    // bmc1 by hand, with a typed MAC (upper case, dashes: stored normalised).
    await page.getByTestId('bmc-host').fill(bmc1.ip);
    await page.getByTestId('bmc-protocol').selectOption('ipmi');
    await page.getByTestId('bmc-user').fill('admin');
    await page.getByTestId('bmc-password').fill(BMC_SIM_PASSWORD);
    await page.getByTestId('bmc-mac').fill('52-54-00-AA-00-01');
    await page.getByTestId('bmc-name').fill('rack1-u01');
    await page.getByTestId('bmc-add').click();
    await row(page, 'rack1-u01').waitFor({ timeout: 10_000 });
    // The form forgets the password once the backend has it.
    for (let i = 0; i < 50 && (await page.getByTestId('bmc-password').inputValue()) !== ''; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await page.getByTestId('bmc-password').inputValue(), '', 'the form forgets the password once stored');
    assert.equal((await row(page, 'rack1-u01').getByTestId('bmc-row-mac').textContent())?.trim(), '52:54:00:aa:00:01');

    // bmc2 (good) and bmc3 (wrong password) from a CSV file; the password with a comma is quoted.
    const csv = `bmc_host,port,user,password,mac\n${bmc2.ip},623,admin,"${BMC_SIM_PASSWORD}",52:54:00:aa:00:02\n${bmc3.ip},623,admin,${WRONG_PASSWORD},\n`;
    await page.getByTestId('bmc-import-input').setInputFiles({ name: 'rack1.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('bmc-import-result').waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId('bmc-import-result').textContent()) ?? '', /Imported 2 new, 0 updated\./);
    await row(page, bmc3.ip).waitFor();
    assert.equal(await page.getByTestId('bmc-row').count(), 3);
    assert.equal((await row(page, bmc2.ip).getByTestId('bmc-row-mac').textContent())?.trim(), '52:54:00:aa:00:02');
    assert.equal((await row(page, bmc3.ip).getByTestId('bmc-row-mac').textContent())?.trim(), '—');

    const html = await page.content();
    assert.ok(!html.includes('s3cret') && !html.includes(WRONG_PASSWORD), 'no password in the page');
    const stored = readFileSync(join(stateDir, 'bmcs.json'), 'utf8');
    assert.ok(!stored.includes('s3cret') && !stored.includes(WRONG_PASSWORD), 'no password in clear in bmcs.json');

    // bmc1's machine is running (so the install must cycle it); bmc2's is off (so it must be powered on).
    await row(page, 'rack1-u01').getByTestId('bmc-row-select').check();
    await page.getByTestId('bmc-power-on').click();
    await waitFor(() => bmc1.state().power === '1', 15_000, 'bmc1 powered on');
    await row(page, 'rack1-u01').locator('[data-testid="bmc-row-status"][data-phase="ok"]').waitFor({ timeout: 15_000 });
    assert.equal((await row(page, 'rack1-u01').getByTestId('bmc-row-power').textContent())?.trim(), 'on');
    for (const b of bmcs) b.clearLog();

    // Select all, UEFI, install, confirm.
    await page.getByTestId('bmc-select-all').check();
    await page.getByTestId('bmc-boot-uefi').check();
    const install = page.getByTestId('bmc-install');
    assert.equal((await install.textContent())?.trim(), 'Install these 3 machines');
    await install.click();
    assert.match((await page.getByTestId('bmc-confirm').textContent()) ?? '', /3 machines will boot from the network once \(UEFI\) and be power-cycled/);
    await page.getByTestId('bmc-confirm-install').click();

    // Live: rows are seen working (a spinner and the step) before they finish.
    await page.locator('[data-testid="bmc-row-status"][data-phase="running"]').first().waitFor({ timeout: 10_000 });
    const working = (await page.locator('[data-testid="bmc-row-status"][data-phase="running"]').first().textContent()) ?? '';
    assert.match(working, /Setting network boot…|Power-cycling…/);

    const done = ['ok', 'warning', 'failed'];
    for (const name of ['rack1-u01', bmc2.ip, bmc3.ip]) {
      await page.waitForFunction(
        ({ name, done }) => {
          // Browser globals, typed here because this file compiles without the DOM library.
          const doc = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } }).document;
          const el = doc.querySelector(`[data-testid="bmc-row"][data-name="${name}"] [data-testid="bmc-row-status"]`);
          return !!el && done.includes(el.getAttribute('data-phase') ?? '');
        },
        { name, done },
        { timeout: 60_000 },
      );
    }
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // The results, not the form: scroll the list panel to the top of the window.
    await page.getByTestId('bmc-list-panel').evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'bmc-install.png') });

    // The two good BMCs: installing. ipmi_sim keeps the PXE device but not the UEFI bit, so the row warns that
    // the read-back differs (a real BMC that keeps the flags shows plain "ok").
    for (const [name, how] of [['rack1-u01', /power-cycled/], [bmc2.ip, /was off, powered on/]] as const) {
      const phase = await rowPhase(page, name);
      const title = (await row(page, name).getByTestId('bmc-row-title').textContent()) ?? '';
      t.diagnostic(`${name}: ${phase}: ${title} / ${(await row(page, name).getByTestId('bmc-row-detail').textContent().catch(() => '')) ?? ''}`);
      assert.equal(phase, 'warning', `${name} installs (with the read-back warning)`);
      assert.match(title, /^Installing: network boot set, /);
      assert.match(title, how);
      assert.match((await row(page, name).getByTestId('bmc-row-detail').textContent()) ?? '', /did not read back the network boot exactly/);
      assert.equal((await row(page, name).getByTestId('bmc-row-power').textContent())?.trim(), 'on');
    }
    // The wrong password: plain words, what to do, and nothing done to that machine.
    assert.equal(await rowPhase(page, bmc3.ip), 'failed');
    assert.equal((await row(page, bmc3.ip).getByTestId('bmc-row-title').textContent())?.trim(), 'Not started: Bad credentials');
    assert.match((await row(page, bmc3.ip).getByTestId('bmc-row-hint').textContent()) ?? '', /refused the user name or password/);

    // The real effect on the simulators: boot device PXE (bootdev, then the raw fallback), then the power.
    assert.equal(bmc1.state().boot, 'pxe');
    assert.equal(bmc2.state().boot, 'pxe');
    assert.deepEqual(sets(bmc2), ['boot pxe', 'boot pxe', 'power 1'], 'bmc2 was off: boot device, then powered on');
    await waitFor(() => sets(bmc1).join('|') === 'boot pxe|boot pxe|power 0|power 1', 10_000, 'bmc1: boot device, then power 0 and power 1 (a cycle)');
    assert.equal(bmc1.state().power, '1');
    const bootSet = bmc1.log().find((l) => l.op === 'set' && l.args === 'boot pxe')!;
    const powerOff = bmc1.log().find((l) => l.op === 'set' && l.args === 'power 0')!;
    assert.ok(bootSet.end <= powerOff.start, 'the boot device was set before the power cycle');
    assert.deepEqual(sets(bmc3), [], 'bmc3 (wrong password) was never touched');
    assert.notEqual(bmc3.state().boot, 'pxe');

    // Read back through the app as well: "Check" on bmc1 reports reachable and on.
    await page.getByTestId('bmc-select-all').uncheck();
    await row(page, 'rack1-u01').getByTestId('bmc-row-select').check();
    await page.getByTestId('bmc-test').click();
    await row(page, 'rack1-u01').locator('[data-testid="bmc-row-status"][data-phase="ok"]').waitFor({ timeout: 20_000 });
    assert.match((await row(page, 'rack1-u01').getByTestId('bmc-row-title').textContent()) ?? '', /Reachable, credentials accepted, power on/);

    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  } finally {
    await ui?.close();
    for (const b of bmcs) b.proc.kill('SIGKILL');
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
