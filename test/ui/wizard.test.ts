/**
 * The answer-file wizard in a real Chromium against the real `fieldboot serve --ui` (web mode, real
 * AppController and ProfileStore in a temp state dir; no interface served, so no namespace needed).
 *
 * What it proves: the preview is the generated file and follows the form as it changes (time zone,
 * keyboard, disk, static addresses from an imported inventory, target); validation messages appear
 * beside the field they are about and block Save; a typed password never reaches the disk (only its
 * $6$ hash); after Save the page says main's served copy equals the preview; and
 * `fieldboot answer render --profile <saved file> --target T [--mac M --inventory CSV]` prints exactly the
 * preview text, byte for byte, with nothing normalised (the preview uses the CLI's default server address
 * when not serving). A reload opens the saved profile again. Screenshots: test-results/ui/wizard.png and wizard-network.png (1366x768).
 */
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiBrowser, startWebMode, stopWebMode, type UiBrowser } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');
const run = promisify(execFile);

const ROOT_PASSWORD = 'Rack12-Root-Pass!';
const ADMIN_PASSWORD = 'Tech-Admin-Pass-7';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFieldBootExampleKeyReplaceMeWithYourOwnKey0 tech@laptop';
const INVENTORY = 'mac,hostname,ip,rack\n52:54:00:0a:00:01,web-01,10.77.0.21/24,R12\n52:54:00:0a:00:02,web-02,10.77.0.22,R12\n';
const BAD_INVENTORY = 'mac,hostname,ip\n52:54:00:0a:00:01,web-01,10.77.0.21\n52:54:00:0a:00:01,web-02,10.77.0.22\n';

async function answerRender(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/fieldboot.mjs'), 'answer', 'render', ...args], { cwd: ROOT, maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}

async function previewText(page: Page): Promise<string> {
  return (await page.getByTestId('wz-preview-text').textContent()) ?? '';
}

/** Waits until the preview satisfies `check` (React re-renders on the next frame). */
async function previewUntil(page: Page, check: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = await previewText(page);
    if (check(text)) return text;
    if (Date.now() > deadline) assert.fail(`preview never showed ${what}; it shows:\n${text.slice(0, 2000)}`);
    await page.waitForTimeout(50);
  }
}

function form(page: Page) {
  return page.locator('.wizard-form');
}

test('web mode: the wizard previews the answer file live, saves it, and answer render prints the same file', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { commands: [CHROMIUM_PATH] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-wizard-'));
  const stateDir = join(work, 'state');
  let server: ChildProcess | null = null;
  let browser: UiBrowser | null = null;
  try {
    const web = startWebMode(['--state-dir', stateDir], ROOT);
    server = web.server;
    browser = await openUiBrowser(await web.url, work, { consoleErrors: true });
    const { page, pageErrors } = browser;
    await page.getByTestId('nav-wizard').click();
    await page.getByTestId('wizard-screen').waitFor({ timeout: 10_000 });

    // 1. Target and name. The preview is a kickstart for Rocky 9 with the defaults.
    await page.getByTestId('wz-target').selectOption('rocky9');
    let text = await previewUntil(page, (x) => x.includes('timezone Etc/UTC'), 'the default time zone');
    assert.match(text, /^#.*kickstart|^# /i);
    assert.ok(!text.includes('Europe/Oslo'));
    const name = page.getByTestId('wz-name');
    await name.fill('rack 12');
    assert.match((await form(page).getByTestId('field-error').textContent()) ?? '', /letters, digits, dot, dash and underscore/);
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.ok(await page.getByTestId('wz-save').isDisabled(), 'Save is blocked while a field is wrong');
    await name.fill('rack12-rocky9');
    assert.equal(await form(page).getByTestId('field-error').count(), 0);

    // 2. Locale: the time zone change shows up in the preview; a bad keyboard layout is flagged beside it.
    await page.getByTestId('wz-step-locale').click();
    await page.getByTestId('wz-timezone').fill('Europe/Oslo');
    text = await previewUntil(page, (x) => x.includes('timezone Europe/Oslo'), 'timezone Europe/Oslo');
    assert.ok(!text.includes('Etc/UTC'));
    await page.getByTestId('wz-keyboard').fill('u s');
    assert.match((await form(page).getByTestId('field-error').textContent()) ?? '', /"u s" is not a keyboard layout/);
    assert.equal(await page.getByTestId('wz-step-locale').locator('.wizard-step-issues').textContent(), '1');
    await page.getByTestId('wz-keyboard').fill('no');
    await previewUntil(page, (x) => /keyboard .*no/.test(x), 'the keyboard layout no');

    // 3. Accounts, reached with the keyboard: a root password (shown as pending until saved) and an admin user.
    await page.getByTestId('wz-next').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('wz-form-accounts').waitFor();
    await page.getByTestId('wz-root-mode-password').check();
    assert.match((await form(page).getByTestId('field-error').textContent()) ?? '', /type a password for root/);
    await page.getByTestId('wz-root-password').fill(ROOT_PASSWORD);
    await page.getByTestId('wz-root-password-confirm').fill('typo');
    assert.match((await form(page).getByTestId('field-error').textContent()) ?? '', /two root passwords differ/);
    await page.getByTestId('wz-root-password-confirm').fill(ROOT_PASSWORD);
    await page.getByTestId('wz-pending-hash').waitFor();
    await previewUntil(page, (x) => x.includes('rootpw --iscrypted $6$HASHED-WHEN-SAVED'), 'the pending root hash');
    await page.getByTestId('wz-admin').check();
    await page.getByTestId('wz-admin-name').fill('tech');
    await page.getByTestId('wz-admin-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('wz-admin-password-confirm').fill(ADMIN_PASSWORD);
    await page.getByTestId('wz-root-keys').fill(KEY);
    await previewUntil(page, (x) => x.includes('user --name=tech') && x.includes(KEY), 'the admin user and the key');

    // 4. Disk by serial: required value flagged until given, then in the preview.
    await page.getByTestId('wz-step-disk').click();
    await page.getByTestId('wz-disk-serial').check();
    assert.match((await form(page).getByTestId('field-error').textContent()) ?? '', /required when disk\.select is serial/);
    await page.getByTestId('wz-disk-value').fill('S3Z9NB0K123456');
    await previewUntil(page, (x) => x.includes('S3Z9NB0K123456'), 'the disk serial');
    assert.match((await page.getByTestId('wz-form-disk').textContent()) ?? '', /USB sticks, SD cards and the install medium are skipped/);

    // 5. Network: static from an imported inventory; a broken CSV names its line; preview per machine.
    await page.getByTestId('wz-step-network').click();
    await page.getByTestId('wz-net-static').check();
    await page.getByTestId('wz-inventory-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_INVENTORY) });
    assert.match((await page.getByTestId('wz-inventory-error').textContent()) ?? '', /line 3: MAC 52:54:00:0a:00:01 is listed twice, on lines 2 and 3/);
    await page.getByTestId('wz-inventory-file').setInputFiles({ name: 'rack12.csv', mimeType: 'text/csv', buffer: Buffer.from(INVENTORY) });
    await page.getByTestId('wz-inventory-row').nth(1).waitFor();
    assert.equal(await page.getByTestId('wz-inventory-error').count(), 0);
    assert.deepEqual(await page.getByTestId('wz-inventory-row').allTextContents(), ['252:54:00:0a:00:01web-0110.77.0.21/24R12', '352:54:00:0a:00:02web-0210.77.0.22R12']);
    await page.getByTestId('wz-preview-mac').selectOption('52:54:00:0a:00:01');
    await previewUntil(page, (x) => x.includes('--hostname=web-01') && x.includes('--ip=10.77.0.21'), 'web-01 with its static address');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.getByTestId('wz-inventory-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'wizard-network.png') });

    // 6. Packages, post-install script, finish.
    await page.getByTestId('wz-step-packages').click();
    await page.getByTestId('wz-packages').fill('tmux jq');
    await page.getByTestId('wz-step-post').click();
    await page.getByTestId('wz-post').fill("echo 'Rack 12, installed by FieldBoot' > /etc/motd\n");
    await page.getByTestId('wz-step-finish').click();
    await page.getByTestId('wz-finish-poweroff').check();
    await page.getByTestId('wz-checkin').check();
    await previewUntil(page, (x) => /^poweroff/m.test(x) && x.includes('tmux') && x.includes('Rack 12, installed by FieldBoot'), 'poweroff, packages and the script');

    // 7. Save: main hashes the passwords, stores the file, renders it again: the same text.
    await page.getByTestId('wz-save').click();
    const status = page.getByTestId('wz-served-status');
    await status.waitFor({ timeout: 15_000 });
    assert.equal(await status.getAttribute('data-same'), 'true', (await status.textContent()) ?? '');
    assert.equal(await page.getByTestId('wz-pending-hash').count(), 0);
    const file = join(stateDir, 'profiles', 'rack12-rocky9.json');
    const stored = readFileSync(file, 'utf8');
    assert.ok(!stored.includes(ROOT_PASSWORD) && !stored.includes(ADMIN_PASSWORD), 'no plain password on disk');
    const saved = JSON.parse(stored) as { accounts: { rootPasswordHash: string; users: { passwordHash: string }[] }; locale: { timezone: string } };
    assert.match(saved.accounts.rootPasswordHash, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    assert.match(saved.accounts.users[0]?.passwordHash ?? '', /^\$6\$/);
    assert.equal(saved.locale.timezone, 'Europe/Oslo');
    assert.equal((await page.getByTestId('wz-root-password').count()) + (await page.getByTestId('wz-admin-password').count()), 0, 'on the Finish step');

    // The preview for web-01 is what `answer render` prints for that MAC with the same inventory, byte for byte.
    const hostPreview = await previewUntil(page, (x) => x.includes(`rootpw --iscrypted ${saved.accounts.rootPasswordHash}`), 'the stored root hash');
    const csv = join(work, 'rack12.csv');
    writeFileSync(csv, INVENTORY);
    assert.equal(hostPreview, await answerRender(['--profile', file, '--target', 'rocky9', '--mac', '52:54:00:0a:00:01', '--inventory', csv]));
    // And the generic file.
    await page.getByTestId('wz-preview-mac').selectOption('');
    const generic = await previewUntil(page, (x) => !x.includes('web-01'), 'the generic file');
    assert.equal(generic, await answerRender(['--profile', file, '--target', 'rocky9']));
    // Saved and unchanged: main's copy for the newly picked machine is checked again.
    await page.locator('[data-testid="wz-served-status"][data-same="true"]').waitFor({ timeout: 10_000 });

    await page.getByTestId('wz-step-accounts').click();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'wizard.png') });
    const overflow = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    assert.equal(overflow, 0, 'no horizontal scrolling at 1366x768');
    process.stdout.write(`# wizard screenshot: ${join(SCREENSHOT_DIR, 'wizard.png')}\n`);

    // 8. A fresh page opens the saved profile: fields and preview come back the same.
    await page.reload();
    await page.getByTestId('nav-wizard').click();
    await page.getByTestId('wz-saved').selectOption('rack12-rocky9');
    await page.getByTestId('wz-load').click();
    await previewUntil(page, (x) => x === generic, 'the saved generic file');
    await page.getByTestId('wz-step-locale').click();
    assert.equal(await page.getByTestId('wz-timezone').inputValue(), 'Europe/Oslo');

    // 9. Another target: the same profile becomes a preseed, then an autoinstall user-data.
    await page.getByTestId('wz-step-system').click();
    await page.getByTestId('wz-target').selectOption('debian12');
    await previewUntil(page, (x) => x.includes('d-i time/zone string Europe/Oslo'), 'the preseed time zone');
    await page.getByTestId('wz-target').selectOption('ubuntu2404');
    const userData = await previewUntil(page, (x) => x.startsWith('#cloud-config'), 'the autoinstall user-data');
    assert.match(userData, /timezone: Europe\/Oslo/);
    assert.match((await page.getByTestId('wz-preview').locator('h2').textContent()) ?? '', /^user-data/);
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  } finally {
    await browser?.context.close().catch(() => undefined);
    if (server) await stopWebMode(server);
    rmSync(work, { recursive: true, force: true });
  }
});
