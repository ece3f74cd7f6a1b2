/**
 * The Images screen in a real Chromium against the real `fieldboot serve --ui` (web mode, on the host's
 * 127.0.0.1: no interface is served, so no namespace is needed). ISOs are built with xorriso in the
 * Rocky 9, Debian 12 and Ubuntu 24.04 live-server layouts.
 *
 * What it proves: a file chosen with the file input and a file dropped on the drop zone (a real
 * DataTransfer with the file bytes, dispatched as dragenter/dragover/drop) are uploaded, inspected and
 * listed with their detected OS, version, arch, firmware and answer-file format; the drag shows the
 * full-window hint; a dropped text file is refused with the reader's message and nothing is added or
 * left on disk; the list survives a restart of the server (images.json in the state dir); removing an
 * uploaded image deletes its copy. Screenshots: test-results/ui/images*.png (1366x768).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { buildIso, debianLayout, rockyLayout, ubuntuLiveLayout, type BuiltIso } from '../helpers/iso-builder';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiBrowser, startWebMode, stopWebMode } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = join(ROOT, 'test-results', 'ui');

/** `fieldboot serve --ui --json` on this machine with no interface: just the UI and the image library. */
function startUi(stateDir: string): { server: ChildProcess; url: Promise<string> } {
  return startWebMode(['--state-dir', stateDir], ROOT);
}

/** Drops a file built from `bytes` on an element, the way a file manager drag does: enter, over, drop. */
async function dropFile(page: Page, testId: string, name: string, bytes: Buffer, steps: ('dragenter' | 'dragover' | 'drop')[] = ['dragenter', 'dragover', 'drop']): Promise<void> {
  await page.evaluate(
    ({ testId, name, b64, steps }) => {
      const raw = atob(b64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      // Browser globals, typed here because this file compiles without the DOM library.
      const w = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        DragEvent: new (type: string, init: { bubbles: boolean; cancelable: boolean; dataTransfer: unknown }) => unknown;
        document: { querySelector(selector: string): { dispatchEvent(event: unknown): boolean } | null };
      };
      const transfer = new w.DataTransfer();
      transfer.items.add(new File([data], name, { type: name.endsWith('.iso') ? 'application/x-iso9660-image' : 'text/plain' }));
      const target = w.document.querySelector(`[data-testid="${testId}"]`);
      if (!target) throw new Error(`no element ${testId}`);
      for (const type of steps) target.dispatchEvent(new w.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    },
    { testId, name, b64: bytes.toString('base64'), steps },
  );
}

function row(page: Page, family: string) {
  return page.locator(`[data-testid="image-row"][data-family="${family}"]`);
}

test('web mode: ISOs chosen or dropped are listed with their detected OS; a dropped text file is refused', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { commands: [CHROMIUM_PATH, 'xorriso'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-images-'));
  const stateDir = join(work, 'state');
  const uploads = join(stateDir, 'images');
  const isos: BuiltIso[] = [];
  let server: ChildProcess | null = null;
  let context: BrowserContext | null = null;
  try {
    const [rocky, debian, ubuntu] = await Promise.all([rockyLayout(9), debianLayout(12), ubuntuLiveLayout('24.04')].map((l) => buildIso(l.spec, l.options)));
    isos.push(rocky!, debian!, ubuntu!);

    const ui = startUi(stateDir);
    server = ui.server;
    // A refused upload is an HTTP 422 answer, which Chromium also logs as a failed resource: expected here.
    const browser = await openUiBrowser(await ui.url, work, { consoleErrors: (text) => !/status of 422/.test(text) });
    context = browser.context;
    const { page, pageErrors } = browser;
    assert.equal(await page.getByTestId('api-mode').textContent(), 'Web mode');
    await page.getByTestId('nav-images').click();
    await page.getByTestId('images-empty').waitFor({ timeout: 10_000 });

    // 1. "Choose ISO…": the file input.
    await page.getByTestId('image-file-input').setInputFiles({ name: 'Rocky-9.3-x86_64-dvd.iso', mimeType: 'application/x-iso9660-image', buffer: readFileSync(rocky!.path) });
    await row(page, 'rocky').waitFor({ timeout: 20_000 });
    const r = row(page, 'rocky');
    assert.equal((await r.getByTestId('image-os').textContent())?.trim(), 'Rocky Linux 9.3');
    assert.equal((await r.getByTestId('image-arch').textContent())?.trim(), 'x86_64');
    assert.equal((await r.getByTestId('image-firmware').textContent())?.trim(), 'BIOS + UEFI');
    assert.equal((await r.getByTestId('image-answer').textContent())?.trim(), 'Kickstart');
    assert.match((await r.getAttribute('data-id')) ?? '', /^rocky-9-3-x86-64-[0-9a-f]{8}$/);
    assert.equal(await page.getByTestId('images-empty').count(), 0);

    // 2. Drag and drop onto the drop zone: the full-window hint shows during the drag, then the image is listed.
    await page.getByTestId('nav-network').click();
    await dropFile(page, 'network-screen', 'debian-12.5.0-amd64-netinst.iso', readFileSync(debian!.path), ['dragenter', 'dragover']);
    await page.getByTestId('drop-overlay').waitFor({ timeout: 5000 });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'images-drag.png') });
    await dropFile(page, 'network-screen', 'debian-12.5.0-amd64-netinst.iso', readFileSync(debian!.path), ['drop']);
    // A drop anywhere switches to the Images screen.
    await page.getByTestId('images-screen').waitFor({ timeout: 5000 });
    await row(page, 'debian').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('drop-overlay').count(), 0, 'the hint goes away after the drop');
    assert.match((await row(page, 'debian').getByTestId('image-os').textContent()) ?? '', /Debian.*12\.5\.0/);
    assert.equal((await row(page, 'debian').getByTestId('image-answer').textContent())?.trim(), 'Preseed');

    // Slow the upload down (DevTools network throttling) to see its progress.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 120 * 1024 });
    await dropFile(page, 'image-drop-zone', 'ubuntu-24.04.1-live-server-amd64.iso', readFileSync(ubuntu!.path));
    const pending = page.locator('[data-testid="image-pending"][data-phase="uploading"]');
    await pending.waitFor({ timeout: 5000 });
    await page.waitForFunction(() => /Uploading [1-9]/.test((globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText), null, { timeout: 10_000 });
    assert.match((await pending.textContent()) ?? '', /ubuntu-24\.04\.1-live-server-amd64\.iso.*Uploading .* of \d+ KB \(\d+%\)/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'images-upload.png') });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await row(page, 'ubuntu-live-server').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('image-pending').count(), 0);
    const u = row(page, 'ubuntu-live-server');
    assert.match((await u.getByTestId('image-os').textContent()) ?? '', /24\.04\.1/);
    assert.match((await u.locator('[data-testid="image-warnings"], [data-testid="image-notes"]').allTextContents()).join(' '), /4 ?GB|4096 ?MB|RAM/i, 'the RAM note for live-server');

    // 3. A text file dropped: a clear refusal, nothing added, nothing left in the upload folder.
    await dropFile(page, 'image-drop-zone', 'notes.txt', Buffer.from('Rack 12: servers 1-8, cable to port 24.\n'.repeat(50)));
    const refusal = page.getByTestId('image-error');
    await refusal.waitFor({ timeout: 10_000 });
    assert.equal(await refusal.getAttribute('data-code'), 'iso-unreadable');
    assert.match((await refusal.locator('.error-message').textContent()) ?? '', /^notes\.txt: not an ISO 9660 or UDF image/);
    assert.match((await refusal.locator('.error-hint').textContent()) ?? '', /ISO 9660 or UDF disc image/);
    assert.equal(await page.getByTestId('image-row').count(), 3);
    assert.deepEqual(readdirSync(uploads).sort(), ['Rocky-9.3-x86_64-dvd.iso', 'debian-12.5.0-amd64-netinst.iso', 'ubuntu-24.04.1-live-server-amd64.iso']);
    assert.equal((await page.getByTestId('nav-images').textContent())?.trim(), 'Images (3)');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'images.png') });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'images-full.png'), fullPage: true });

    // 4. The library survives a restart of the server (images.json), with the same ids.
    const ids = await page.getByTestId('image-row').evaluateAll((rows) => rows.map((e) => e.getAttribute('data-id')));
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
    await stopWebMode(server);
    const again = startUi(stateDir);
    server = again.server;
    await page.goto(await again.url);
    // The old page's socket retrying while the server was down is expected noise; count from here.
    pageErrors.length = 0;
    await page.getByTestId('nav-images').click();
    await page.getByTestId('image-row').first().waitFor({ timeout: 10_000 });
    assert.deepEqual(await page.getByTestId('image-row').evaluateAll((rows) => rows.map((e) => e.getAttribute('data-id'))), ids);

    // 5. Remove: the row goes and the uploaded copy is deleted.
    await row(page, 'debian').getByTestId('image-remove').click();
    await row(page, 'debian').waitFor({ state: 'detached', timeout: 10_000 });
    assert.ok(!existsSync(join(uploads, 'debian-12.5.0-amd64-netinst.iso')));
    assert.equal(await page.getByTestId('image-row').count(), 2);

    // The network screen still works beside it.
    await page.getByTestId('nav-network').click();
    await page.getByTestId('network-screen').waitFor();
    assert.deepEqual(pageErrors, [], 'no errors in the page console');
  } finally {
    await context?.close().catch(() => undefined);
    if (server) await stopWebMode(server);
    for (const iso of isos) await iso.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
