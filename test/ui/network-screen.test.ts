/**
 * The UI in a real browser against the real `fieldboot serve --ui` (web mode), inside a network namespace
 * whose only NIC is the lab bridge br0 (192.168.77.1/24). Chromium must run in the same namespace: the
 * server listens on the namespace's own 127.0.0.1, which the host's loopback cannot reach. Playwright
 * launches a wrapper that re-executes chromium under `ip netns exec` (the DevTools pipe on fds 3/4
 * survives the exec).
 *
 * What it proves: the page lists br0 with its real address and MAC; the Stop/Start button changes both
 * the state shown and what is really listening (the TFTP port in the namespace); a refused start (port
 * held by another program) shows the error with its hint.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiBrowser, openUiInLab, type LabUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TFTP_PORT = 16969;
const HTTP_PORT = 18080;
const SCREENSHOT = '/tmp/fieldboot-network.png';
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');

/** Is anything in the namespace listening on this port (TCP or UDP)? */
function listening(lab: LabSwitch, port: number): boolean {
  const out = lab.exec(['ss', '-Hlntu', `sport = :${port}`]);
  return out.trim().length > 0;
}

async function phaseOf(page: Page): Promise<string | null> {
  return page.getByTestId('serving-phase').getAttribute('data-phase');
}

async function waitPhase(page: Page, phases: string[], timeoutMs = 20_000): Promise<string> {
  const selector = phases.map((p) => `[data-testid="serving-phase"][data-phase="${p}"]`).join(', ');
  await page.locator(selector).waitFor({ timeout: timeoutMs });
  return (await phaseOf(page)) ?? '';
}

test('web mode: the network screen lists br0 with its address, and Stop/Start changes the serving state', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip', 'ss'] })) return;

  const work = mkdtempSync(join(tmpdir(), 'fb-ui-'));
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  try {
    lab = createSwitch({ prefix: 'fbui', serverCidr: '192.168.77.1/24' });
    const brMac = (JSON.parse(lab.exec(['ip', '-j', 'link', 'show', 'br0'])) as { address: string }[])[0]?.address;
    assert.ok(brMac, 'br0 has a MAC');

    // The browser joins the server's namespace through a wrapper (see the header comment).
    ui = await openUiInLab(lab, work, ['--interface', 'br0', '--dhcp', 'off', '--state-dir', stateDir, '--tftp-port', String(TFTP_PORT), '--http-port', String(HTTP_PORT)], ROOT, { consoleErrors: true });
    const { page, pageErrors } = ui;
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
    assert.equal(await page.getByTestId('api-mode').textContent(), 'Web mode');
    // Found serving, the app opens on the Dashboard (test/ui/dashboard.test.ts); this test is about the Network screen.
    await page.locator('[data-testid="nav-dashboard"][aria-selected="true"], [data-testid="serving-phase"][data-phase="failed"]').first().waitFor({ timeout: 30_000 });
    if ((await page.getByTestId('nav-dashboard').getAttribute('aria-selected')) === 'true') await page.getByTestId('nav-network').click();

    // The interface list is the namespace's: br0 with its address and its real MAC.
    const br0 = page.locator('[data-testid="interface-row"][data-name="br0"]');
    await br0.waitFor({ timeout: 15_000 });
    assert.equal((await br0.getByTestId('interface-ipv4').textContent())?.trim(), '192.168.77.1/24');
    assert.equal((await br0.getByTestId('interface-mac').textContent())?.trim(), brMac);
    const names = await page.getByTestId('interface-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    assert.ok(!names.includes('eth0'), `only the namespace's interfaces are listed: ${names.join(', ')}`);

    // `serve --ui --interface br0` starts serving at once.
    const first = await waitPhase(page, ['serving', 'failed']);
    if (first === 'failed') assert.fail(`serving failed: ${await page.getByTestId('serving-error').textContent()}`);
    assert.equal(await br0.getAttribute('aria-selected'), 'true');
    const detail = (await page.getByTestId('serving-detail').textContent()) ?? '';
    assert.match(detail, /br0/);
    assert.match(detail, /192\.168\.77\.1/);
    assert.match((await page.getByTestId('service-tftp').textContent()) ?? '', new RegExp(`:${TFTP_PORT}$`));
    assert.ok(listening(lab, TFTP_PORT), 'TFTP is really listening while the UI says serving');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-serving.png') });

    // Stop: the button says so, the state goes to idle, and the port is closed.
    const button = page.getByTestId('serve-button');
    assert.equal(await button.getAttribute('data-action'), 'stop');
    await button.click();
    await waitPhase(page, ['idle']);
    assert.equal(await button.getAttribute('data-action'), 'start');
    assert.equal(await page.getByTestId('serving-services').count(), 0);
    assert.ok(!listening(lab, TFTP_PORT), 'TFTP is closed once the UI says not serving');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-idle.png') });

    // A refused start shows the reason and what to do: another program holds the TFTP port.
    const holder = lab.spawn(['python3', '-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',${TFTP_PORT}))\nprint('held',flush=True)\ntime.sleep(120)`]);
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`port holder exited (${code})`)));
      });
      await button.click();
      await waitPhase(page, ['failed']);
      const notice = page.getByTestId('serving-error');
      assert.equal(await notice.getAttribute('data-code'), 'port-in-use');
      assert.match((await notice.locator('.error-hint').textContent()) ?? '', /Another program is already listening/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'network-failed.png') });
      assert.equal(await button.getAttribute('data-action'), 'start', 'after a failure the technician can try again');
    } finally {
      holder.kill('SIGKILL');
    }
    for (let i = 0; i < 50 && listening(lab, TFTP_PORT); i++) await new Promise((r) => setTimeout(r, 100));

    // Start again from the form: br0, no DHCP.
    await br0.click();
    await page.getByTestId('dhcp-mode-off').check();
    assert.match((await button.textContent()) ?? '', /Start serving on br0/);
    await button.click();
    await waitPhase(page, ['serving']);
    assert.ok(listening(lab, TFTP_PORT), 'TFTP listens again after Start');
    assert.match((await page.getByTestId('serving-detail').textContent()) ?? '', /no DHCP/);
    assert.equal(await button.getAttribute('data-action'), 'stop');

    await button.click();
    await waitPhase(page, ['idle']);
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  } finally {
    await ui?.close();
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});

test('chromium runs inside the namespace through the wrapper', { timeout: 60_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip'] })) return;
  // Guards the trick the test above depends on: a page served on the namespace's own loopback is
  // reachable from the wrapped browser, and the browser processes really live in the namespace.
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-wrap-'));
  let lab: LabSwitch | null = null;
  let server: ChildProcess | null = null;
  let context: BrowserContext | null = null;
  try {
    lab = createSwitch({ prefix: 'fbuw', serverCidr: '192.168.77.1/24' });
    const marker = `ns-${lab.ns}`;
    writeFileSync(join(work, 'index.html'), `<!doctype html><title>${marker}</title>`);
    server = lab.spawn(['python3', '-m', 'http.server', '--bind', '127.0.0.1', '18181', '--directory', work], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !lab.exec(['ss', '-Hlnt', 'sport = :18181']).trim(); i++) await new Promise((r) => setTimeout(r, 100));
    const browser = await openUiBrowser('http://127.0.0.1:18181/index.html', work, { ns: lab.ns });
    context = browser.context;
    const page = browser.page;
    assert.equal(await page.title(), marker);
    // The browser process really is in the namespace.
    const pids = execFileSync('ip', ['netns', 'pids', lab.ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    const comms = pids.map((p) => {
      try {
        return execFileSync('cat', [`/proc/${p}/comm`], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    });
    assert.ok(comms.some((c) => c.includes('chrom')), `chromium is among the namespace's processes: ${comms.join(', ')}`);
  } finally {
    await context?.close().catch(() => undefined);
    server?.kill('SIGTERM');
    lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
