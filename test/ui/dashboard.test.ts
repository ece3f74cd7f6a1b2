/**
 * Issue #9 item 3, the dashboard, in a real Chromium (web mode) inside a lab namespace:
 *   - `serve --ui --interface br0 --iso <Rocky 9 layout> --profile <profile with a root hash>` is found
 *     running: the app opens on the Dashboard, which names the interface, address, DHCP mode and range,
 *     the image with its id and family, the profile, and each service listening where `ss` says;
 *   - the ISO is put in the image library and the profile saved (API calls from the page, as the Images and
 *     Answer file tabs do); Stop from the dashboard; Start with another process holding the TFTP port: the
 *     TFTP card says failed with "already in use"; the port freed, Start again from the dashboard: serving,
 *     the same image under the same id;
 *   - a real client (busybox udhcpc in a client namespace) gets a lease, fetches the loader with tftp-hpa,
 *     asks for a missing file, and fetches over HTTP with curl: the service counters, the machines-per-stage
 *     counts and the log update;
 *   - the log filters: by level (debug >= info >= warn, warn shows only warn/error), and by the client's MAC
 *     typed in another notation (its TFTP lines are found though the TFTP server only knows its address);
 *   - "Export diagnostics" downloads a zip: `unzip -t` passes, the log names the MAC, the saved profile is in
 *     it with its hash removed, and the hash and the web UI token are in none of its bytes or files;
 *   - Stop. Screenshot at 1366x768: test-results/ui/dashboard.png (serving, after the client's traffic).
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../shared/answer/crypt';
import { buildIso, rockyLayout, type BuiltIso } from '../helpers/iso-builder';
import { REPO_ROOT } from '../helpers/fieldboot-process';
import { createSwitch, type ClientNs, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiInLab, type LabUi } from '../helpers/web-ui';

const RESULTS = join(REPO_ROOT, 'test-results', 'ui');
const RENDERER_INDEX = join(REPO_ROOT, 'dist', 'renderer', 'index.html');
const TFTP_PORT = 16972;
const HTTP_PORT = 18083;
const FTP_PORT = 12121;
const RANGE = '192.168.77.100-192.168.77.110';

async function waitPhase(page: Page, phase: string, timeoutMs = 30_000): Promise<void> {
  await page.locator(`[data-testid="dash-phase"][data-phase="${phase}"]`).waitFor({ timeout: timeoutMs });
}

/** Polls `read` until `ok` holds (or fails with the last value). */
async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

async function counters(page: Page, service: string): Promise<Record<string, number>> {
  const raw = await page.locator(`[data-testid="dash-service-${service}"] [data-testid="dash-service-counters"]`).getAttribute('data-counters');
  return JSON.parse(raw ?? '{}') as Record<string, number>;
}

/** Every row of the filtered log: the list is virtualized, so it is scrolled through, top to bottom. */
async function everyRow(page: Page): Promise<{ mac: string | null; text: string }[]> {
  const scroller = page.getByTestId('log-scroller');
  const seen = new Map<string, { mac: string | null; text: string }>();
  await scroller.evaluate((el) => (el.scrollTop = 0));
  for (let i = 0; i < 1000; i++) {
    await page.waitForTimeout(50); // one frame for the list to draw the rows now in view
    for (const r of await page.getByTestId('log-row').evaluateAll((els) => els.map((e) => ({ seq: e.getAttribute('data-seq') ?? '', mac: e.getAttribute('data-mac'), text: e.textContent ?? '' })))) {
      seen.set(r.seq, { mac: r.mac, text: r.text });
    }
    const done = await scroller.evaluate((el) => {
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
      el.scrollTop += Math.max(1, el.clientHeight - 20);
      return false;
    });
    if (done) break;
  }
  return [...seen.values()];
}

async function shown(page: Page): Promise<number> {
  return Number(await page.getByTestId('log-count').getAttribute('data-shown'));
}

/** udhcpc once, configuring the address it is given (so tftp and curl can use it). */
function udhcpc(c: ClientNs, dir: string): { ip: string } {
  const script = join(dir, 'udhcpc.sh');
  const out = join(dir, 'udhcpc.out');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/24" dev "$interface" && echo "$ip" > ${out}\nexit 0\n`);
  chmodSync(script, 0o755);
  c.exec(['udhcpc', '-i', c.ifname, '-f', '-q', '-n', '-t', '5', '-T', '2', '-A', '1', '-s', script], { timeoutMs: 40_000 });
  return { ip: readFileSync(out, 'utf8').trim() };
}

function macOf(c: ClientNs): string {
  return (JSON.parse(c.exec(['ip', '-j', 'link', 'show', c.ifname])) as { address: string }[])[0]!.address;
}

test('dashboard: what is served, service cards, stage counts, log filters, diagnostics zip, start/stop', { timeout: 240_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: [CHROMIUM_PATH, 'ip', 'ss', 'udhcpc', 'tftp', 'curl', 'unzip', 'python3', 'xorriso'], files: [RENDERER_INDEX] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-dash-'));
  mkdirSync(join(work, 'state'));
  let lab: LabSwitch | null = null;
  let ui: LabUi | null = null;
  let holder: ChildProcess | null = null;
  let iso: BuiltIso | null = null;
  try {
    lab = createSwitch({ prefix: 'fbdb', serverCidr: '192.168.77.1/24' });
    const c0 = lab.addVethClient('c0');
    const mac = macOf(c0);
    const rocky = rockyLayout(9);
    iso = await buildIso(rocky.spec, rocky.options);
    // A profile with a root password hash: it must not leave in the diagnostics zip.
    const rootHash = hashPassword('Dashboard-Root-Secret-1');
    const profile = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'profiles', 'rhel9.json'), 'utf8')) as { name: string; accounts: { rootPasswordHash: string | null } };
    profile.name = 'dash-lab';
    profile.accounts.rootPasswordHash = rootHash;
    const profilePath = join(work, 'dash-lab.json');
    writeFileSync(profilePath, JSON.stringify(profile, null, 2));

    // Downloads are accepted (Playwright's default): the diagnostics export below is one.
    ui = await openUiInLab(
      lab,
      work,
      [
        '--interface', 'br0', '--dhcp', 'full', '--range', RANGE,
        '--iso', iso.path, '--profile', profilePath, '--state-dir', join(work, 'state'),
        '--tftp-port', String(TFTP_PORT), '--http-port', String(HTTP_PORT), '--ftp-port', String(FTP_PORT),
      ],
      REPO_ROOT,
    );
    const { page, pageErrors } = ui;
    const token = new URL(ui.url).searchParams.get('token') ?? '';
    assert.ok(token.length >= 16);

    // --- Found serving: the app shows the dashboard, not the network screen.
    await waitPhase(page, 'serving');
    assert.equal(await page.getByTestId('nav-dashboard').getAttribute('aria-selected'), 'true', 'opened on the dashboard');
    assert.equal((await page.getByTestId('dash-interface').textContent())?.trim(), 'br0');
    assert.match((await page.getByTestId('dash-address').textContent()) ?? '', /192\.168\.77\.1\b/);
    assert.match((await page.getByTestId('dash-dhcp-mode').textContent()) ?? '', new RegExp(`Full DHCP.*${RANGE.replace(/\./g, '\\.')}`));
    const image = page.getByTestId('dash-image');
    await image.waitFor();
    assert.equal(await image.getAttribute('data-family'), 'rocky');
    const imageId = (await image.getAttribute('data-id')) ?? '';
    assert.match(imageId, /^rocky-9-3-x86-64-[0-9a-f]{8,}$/);
    assert.match((await page.getByTestId('dash-profile').textContent()) ?? '', /dash-lab/);
    const udp = lab.exec(['ss', '-Hlnu']);
    for (const s of ['dhcp', 'tftp', 'http', 'ftp']) assert.equal(await page.getByTestId(`dash-service-${s}`).getAttribute('data-kind'), 'listening', s);
    assert.match((await page.locator('[data-testid="dash-service-tftp"] [data-testid="dash-service-where"]').textContent()) ?? '', new RegExp(`192\\.168\\.77\\.1:${TFTP_PORT}`));
    assert.ok(udp.includes(`192.168.77.1:${TFTP_PORT}`), 'and ss agrees');
    assert.match((await page.getByTestId('dash-service-proxy').getAttribute('data-kind')) ?? '', /listening|off/);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard-found-serving.png') });

    // The app's own Start serves the image library and the saved profile (not the command line's --iso):
    // put the ISO in the library and save the profile through the API, as the Images and Answer file tabs would.
    const call = (channel: string, body: unknown) =>
      page.evaluate(
        async ({ channel, body, token }) =>
          (await fetch(`/api/call/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ ok: boolean }>,
        { channel, body, token },
      );
    assert.equal((await call('images:add', { path: iso.path })).ok, true);
    assert.equal((await call('profiles:save', { profile })).ok, true);

    // --- Stop, then a start that fails on a taken TFTP port, then a start from the dashboard that serves.
    await page.getByTestId('dash-stop').click();
    await waitPhase(page, 'idle');
    assert.equal(await page.getByTestId('dash-service-tftp').getAttribute('data-kind'), 'idle');
    holder = lab.spawn(['python3', '-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("192.168.77.1",${TFTP_PORT}))\nprint("bound",flush=True)\ntime.sleep(600)`]);
    await new Promise<void>((resolve, reject) => {
      holder!.stdout!.once('data', () => resolve());
      holder!.once('exit', (c) => reject(new Error(`port holder exited ${c}`)));
    });
    await page.getByTestId('dash-start').click();
    await waitPhase(page, 'failed');
    const tftpCard = page.getByTestId('dash-service-tftp');
    assert.equal(await tftpCard.getAttribute('data-kind'), 'failed');
    assert.match((await tftpCard.getByTestId('dash-service-error').textContent()) ?? '', new RegExp(`TFTP port ${TFTP_PORT} .*already in use`));
    holder.kill('SIGKILL');
    await eventually('the TFTP port is free', async () => lab!.exec(['ss', '-Hlnu', `sport = :${TFTP_PORT}`]).trim(), (v) => v === '');
    await page.getByTestId('dash-stop').click(); // "Clear" after a failure
    await waitPhase(page, 'idle');
    await page.getByTestId('dash-start').click();
    await waitPhase(page, 'serving');
    assert.equal(await page.getByTestId('dash-service-tftp').getAttribute('data-kind'), 'listening');
    // The dashboard's Start serves the library: the same image, under the same id.
    assert.equal(await page.getByTestId('dash-image').getAttribute('data-id'), imageId);

    // --- A real client: lease, loader over TFTP, a missing file, a file over HTTP.
    const lease = udhcpc(c0, work);
    const last = Number(lease.ip.split('.')[3]);
    assert.ok(lease.ip.startsWith('192.168.77.') && last >= 100 && last <= 110, `lease ${lease.ip} in ${RANGE}`);
    c0.exec(['tftp', '-m', 'binary', '192.168.77.1', String(TFTP_PORT), '-c', 'get', 'undionly.kpxe', join(work, 'undionly.kpxe')], { timeoutMs: 30_000 });
    assert.ok(readFileSync(join(work, 'undionly.kpxe')).length > 10_000, 'the loader arrived');
    try {
      c0.exec(['tftp', '-m', 'binary', '192.168.77.1', String(TFTP_PORT), '-c', 'get', 'no-such-file.bin', join(work, 'missing.bin')], { timeoutMs: 20_000 });
    } catch {
      /* tftp-hpa may exit non-zero on the error packet: that is the point */
    }
    const status = c0.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://192.168.77.1:${HTTP_PORT}/boot/undionly.kpxe`]);
    assert.equal(status, '200');

    // --- Cards, stage counts and the log update.
    await eventually('DHCP counters', () => counters(page, 'dhcp'), (c) => (c.leases ?? 0) >= 1);
    const tftp = await eventually('TFTP counters', () => counters(page, 'tftp'), (c) => (c.completed ?? 0) >= 1 && (c.failed ?? 0) + (c.transfers ?? 0) >= 2);
    assert.ok((tftp['bytes sent'] ?? 0) > 10_000, JSON.stringify(tftp));
    await eventually('HTTP counters', () => counters(page, 'http'), (c) => (c.completed ?? 0) >= 1);
    await page.locator('[data-testid="dash-stage-total"][data-count="1"]').waitFor({ timeout: 15_000 });
    const atStage = await page.locator('[data-testid="dash-stage-count"][data-count="1"]').getAttribute('data-stage');
    assert.ok(atStage === 'loader' || atStage === 'address', `the machine is at ${atStage}`);
    await page.locator(`[data-testid="log-row"][data-mac="${mac}"]`).first().waitFor({ timeout: 15_000 });

    // --- Level filter.
    await page.getByTestId('log-level-debug').check();
    const nDebug = await shown(page);
    await page.getByTestId('log-level-info').check();
    const nInfo = await shown(page);
    await page.getByTestId('log-level-warn').check();
    const nWarn = await eventually('warn lines', () => shown(page), (n) => n >= 1);
    assert.ok(nDebug >= nInfo && nInfo > nWarn, `debug ${nDebug} >= info ${nInfo} > warn ${nWarn}`);
    const warnLevels = await page.getByTestId('log-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-level')));
    assert.ok(warnLevels.length > 0 && warnLevels.every((l) => l === 'warn' || l === 'error'), `only warn/error: ${warnLevels.join(',')}`);
    assert.ok(
      (await page.getByTestId('log-row').allTextContents()).some((text) => text.includes('no-such-file.bin')),
      'the failed transfer is among the warnings',
    );

    // --- MAC filter, in another notation than the log writes it.
    await page.getByTestId('log-level-debug').check();
    await page.getByTestId('log-mac-filter').fill(mac.toUpperCase().replace(/:/g, '-'));
    const nMac = await shown(page);
    assert.ok(nMac >= 3 && nMac < nDebug, `the MAC's lines ${nMac} of ${nDebug}`);
    const rows = await everyRow(page);
    assert.ok(rows.length >= nMac, `every filtered line was read (the list draws only the rows in view): ${rows.length} of ${nMac}`);
    assert.ok(rows.every((r) => r.mac === mac || r.text.toLowerCase().includes(mac)), 'every row concerns the MAC');
    assert.ok(rows.some((r) => /TFTP|undionly\.kpxe/.test(r.text)), 'its TFTP lines are found by the address it was leased');
    assert.ok(rows.some((r) => /Leased|lease/i.test(r.text)), 'and its lease');
    await page.getByTestId('log-mac-filter').fill('52:54:00:00:00:99');
    await page.getByTestId('log-empty').waitFor();
    assert.equal(await shown(page), 0);
    await page.getByTestId('log-mac-filter').fill('');
    await page.getByTestId('log-level-info').check();
    await page.screenshot({ path: join(RESULTS, 'dashboard.png') });

    // --- Export diagnostics: a download, checked with the real unzip.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('dash-export').click()]);
    const zipPath = join(work, download.suggestedFilename());
    assert.match(download.suggestedFilename(), /^fieldboot-diagnostics-\d{8}-\d{6}\.zip$/);
    await download.saveAs(zipPath);
    await page.getByTestId('dash-export-result').waitFor();
    assert.match(execFileSync('unzip', ['-t', zipPath], { encoding: 'utf8' }), /No errors detected/);
    const names = execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n');
    for (const f of ['log.txt', 'events.jsonl', 'serve-config.json', 'profiles/dash-lab.json', 'clients.json', 'preflight.json', 'versions.json', 'serving-state.json']) {
      assert.ok(names.includes(f), `${f} in ${names.join(' ')}`);
    }
    const file = (name: string) => execFileSync('unzip', ['-p', zipPath, name], { encoding: 'utf8' });
    assert.ok(file('log.txt').includes(mac), 'the log names the client');
    assert.match(file('log.txt'), /DEBUG|INFO/);
    assert.equal((JSON.parse(file('serve-config.json')) as { interface: string }).interface, 'br0');
    // The saved profile, and the serving one when the session has it: the hash reads [removed].
    for (const f of ['profiles/dash-lab.json', ...(names.includes('profile.json') ? ['profile.json'] : [])]) {
      assert.equal((JSON.parse(file(f)) as { accounts: { rootPasswordHash: string } }).accounts.rootPasswordHash, '[removed]', f);
    }
    assert.ok(file('clients.json').includes(mac), 'the clients file has the machine');
    assert.equal((JSON.parse(file('versions.json')) as { node: string }).node, process.versions.node);
    const zip = readFileSync(zipPath);
    for (const secret of [rootHash, rootHash.split('$').pop()!, token]) {
      assert.ok(!zip.includes(Buffer.from(secret)), 'not in the zip bytes');
      for (const n of names) assert.ok(!file(n).includes(secret), `a secret is in ${n}`);
    }

    // --- Stop from the dashboard.
    await page.getByTestId('dash-stop').click();
    await waitPhase(page, 'idle');
    assert.equal(lab.exec(['ss', '-Hlnu', `sport = :${TFTP_PORT}`]).trim(), '', 'the TFTP port is closed');
    assert.deepEqual(pageErrors, []);
  } finally {
    await ui?.close();
    holder?.kill('SIGKILL');
    lab?.destroy();
    await iso?.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
