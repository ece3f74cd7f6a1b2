/**
 * The Clients view in a real Chromium (web mode) against the fake backend, which runs the real ClientTracker
 * fed by 200 simulated installs (test/helpers/client-simulation.ts: DHCP, TFTP/HTTP transfers with progress
 * ticks, callbacks, packages; about 4000 engine events a second at first).
 *
 * What it proves: all 200 machines are listed and keep moving; the page stays responsive while they update
 * (frame budget measured in the page: requestAnimationFrame gaps and long tasks from PerformanceObserver);
 * counts per stage add up; failures show their plain-words reason; the detail panel shows the timeline
 * and the full event log; selecting rows and "Arm for install" / "Disarm" reach the tracker (isArmed);
 * the CSV export downloads one line per machine. Numbers go to test-results/ui/clients-frames.json.
 *
 * The renderer bundle is dist/renderer (the ui tier builds it), or FIELDBOOT_RENDERER_DIR.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createFakeBackend } from '../helpers/fake-backend';
import { simulateInstalls, type Simulation } from '../helpers/client-simulation';
import { labGate } from '../helpers/requirements';
import { CHROMIUM_PATH, openUiOnBackend, rendererDirOrSkip, type BackendUi } from '../helpers/web-ui';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'test-results', 'ui');
const COUNT = 200;
const MEASURE_MS = 6000;
/**
 * Bounds for a responsive page on a 2-core machine that also runs the simulation, the server and other
 * work (load average ~9 while this was written): a median frame within 100 ms, 95% within 250 ms, none
 * over 1 s, and at most 15% of the time in long tasks (main thread blocked > 50 ms). Idle, the same
 * page draws at 16.7 ms. The first version (a plain 200-row table) measured a 150 ms median, 350 ms p95
 * and 40% long tasks under the same load: these bounds catch that.
 */
const MAX_P50_GAP_MS = 100;
const MAX_P95_GAP_MS = 250;
const MAX_GAP_MS = 1000;
const MAX_LONG_TASK_SHARE = 0.15;

interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  longTasks: number;
  longTaskMs: number;
  maxLongTask: number;
  durationMs: number;
}

/** The page's document, typed here because this file compiles without the DOM library. */
interface PageGlobals {
  document: { querySelector(s: string): { getAttribute(a: string): string | null } | null; querySelectorAll(s: string): ArrayLike<{ getAttribute(a: string): string | null }> };
  requestAnimationFrame(cb: (t: number) => void): number;
  performance: { now(): number };
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { type: string }): void; disconnect(): void };
}

/** Frame gaps and long tasks over `ms` of wall time, measured inside the page. */
async function measureFrames(page: Page, ms: number): Promise<FrameStats> {
  return page.evaluate((ms) => {
    const g = globalThis as unknown as PageGlobals;
    return new Promise<FrameStats>((resolve) => {
      const gaps: number[] = [];
      const longTasks: number[] = [];
      const observer = new g.PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration);
      });
      observer.observe({ type: 'longtask' });
      const start = g.performance.now();
      // Assigned to a property, not declared: a named function would need tsx's __name helper in the page.
      const state: { last: number; frame: (t: number) => void } = { last: start, frame: Number };
      state.frame = (t: number) => {
        gaps.push(t - state.last);
        state.last = t;
        if (t - start < ms) {
          g.requestAnimationFrame(state.frame);
          return;
        }
        observer.disconnect();
        const sorted = [...gaps].sort((a, b) => a - b);
        resolve({
          frames: gaps.length,
          p50: sorted[Math.floor(0.5 * sorted.length)] ?? 0,
          p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0,
          max: sorted[sorted.length - 1] ?? 0,
          longTasks: longTasks.length,
          longTaskMs: longTasks.reduce((a, b) => a + b, 0),
          maxLongTask: Math.max(0, ...longTasks),
          durationMs: t - start,
        });
      };
      g.requestAnimationFrame(state.frame);
    });
  }, ms);
}

// Page functions below are anonymous arrows with no named inner functions: tsx would wrap named ones in a
// helper (__name) the page does not have, and the page's CSP forbids string predicates (no eval).

/** The list is virtualized: the table says how many machines match; only those in view are rows. */
function waitMatching(page: Page, n: number) {
  return page.waitForFunction(
    (n) => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="clients-table"]')?.getAttribute('data-visible') === String(n),
    n,
    { timeout: 30_000 },
  );
}

async function filterTo(page: Page, text: string, expected: number): Promise<void> {
  await page.getByTestId('clients-filter-text').fill(text);
  await waitMatching(page, expected);
}

function waitStage(page: Page, mac: string, stages: string[]) {
  return page.waitForFunction(
    ({ mac, stages }) => stages.includes((globalThis as unknown as PageGlobals).document.querySelector(`[data-testid="client-row"][data-mac="${mac}"]`)?.getAttribute('data-stage') ?? ''),
    { mac, stages },
    { timeout: 30_000 },
  );
}

test('Clients view: 200 machines updating stay responsive; arming from the view reaches the tracker', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { commands: [CHROMIUM_PATH] })) return;
  const staticDir = rendererDirOrSkip(t);
  if (!staticDir) return;
  const backend = createFakeBackend({ transitionMs: 50 });
  let ui: BackendUi | null = null;
  let simulation: Simulation | null = null;
  const work = mkdtempSync(join(tmpdir(), 'fb-ui-clients-'));
  try {
    // Downloads are accepted: Playwright's default, which the CSV export below relies on.
    ui = await openUiOnBackend(backend, staticDir, work, { consoleErrors: true });
    const { page, pageErrors } = ui;
    await page.getByTestId('nav-clients').click();
    await page.getByTestId('clients-empty').waitFor({ timeout: 15_000 });

    simulation = simulateInstalls((e) => backend.emit(e), { count: COUNT, tickMs: 50, packages: 40 });
    const rows = page.getByTestId('client-row');
    await waitMatching(page, COUNT);
    assert.equal(await page.getByTestId('clients-table').getAttribute('data-total'), String(COUNT));
    const rendered = await rows.count();
    assert.ok(rendered > 5 && rendered < 40, `only the rows in view are in the page (${rendered} of ${COUNT})`);

    // Updates flowing: measure the frame budget while every machine moves.
    const emittedBefore = simulation.emitted;
    const stats = await measureFrames(page, MEASURE_MS);
    const emittedDuring = simulation.emitted - emittedBefore;
    const stagesNow = await page.locator('[data-testid="clients-stage-count"]:not([data-stage="all"]):not([data-stage="active"])').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'clients-busy.png') });
    const report = { clients: COUNT, eventsPerSecond: Math.round((emittedDuring * 1000) / stats.durationMs), ...stats };
    writeFileSync(join(RESULTS, 'clients-frames.json'), JSON.stringify(report, null, 2) + '\n');
    t.diagnostic(`frames: ${JSON.stringify(report)}`);
    assert.ok(emittedDuring > 5000, `the simulation kept the view busy (${emittedDuring} events during the measurement)`);
    assert.ok(stats.p50 <= MAX_P50_GAP_MS, `median frame within ${MAX_P50_GAP_MS} ms (p50 ${stats.p50.toFixed(1)} ms)`);
    assert.ok(stats.p95 <= MAX_P95_GAP_MS, `95% of frames within ${MAX_P95_GAP_MS} ms (p95 ${stats.p95.toFixed(1)} ms)`);
    assert.ok(stats.max <= MAX_GAP_MS, `no frame gap over ${MAX_GAP_MS} ms (max ${stats.max.toFixed(1)} ms)`);
    assert.ok(stats.longTaskMs / stats.durationMs <= MAX_LONG_TASK_SHARE, `long tasks ${stats.longTaskMs.toFixed(0)} ms of ${stats.durationMs.toFixed(0)} ms`);
    assert.ok(new Set(stagesNow).size >= 2, `machines are spread over stages: ${[...new Set(stagesNow)].join(', ')}`);

    // The view follows: a machine that was early is further now, and the counts add up to 200.
    const mac0 = simulation.macs[0]!;
    await filterTo(page, mac0, 1);
    await waitStage(page, mac0, ['installing', 'post-install', 'finished']);
    const counts: Record<string, number> = await page
      .getByTestId('clients-stage-count')
      .evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-stage') ?? '', Number(e.getAttribute('data-count'))])));
    const perStage = Object.entries(counts).filter(([k]) => k !== 'all' && k !== 'active').reduce((a, [, n]) => a + n, 0);
    assert.equal(counts.all, COUNT);
    assert.equal(perStage, COUNT, `stage counts add up: ${JSON.stringify(counts)}`);

    // A TFTP failure (machine 3 times out on its initrd) shows its reason in plain words.
    const failing = simulation.macs[3]!;
    await filterTo(page, failing, 1);
    await waitStage(page, failing, ['failed']);
    const failLabel = await page.locator(`[data-testid="client-row"][data-mac="${failing}"] [data-testid="client-stage-label"]`).textContent();
    assert.equal(failLabel, 'Failed: TFTP transfer of the initrd failed: timed out after 6 retransmissions');

    // Detail: the timeline and the full event log (more than the 3 lines list records carry).
    await filterTo(page, mac0, 1);
    await page.locator(`[data-testid="client-row"][data-mac="${mac0}"] [role="cell"]:nth-child(3)`).click();
    const detail = page.getByTestId('client-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-mac'), mac0);
    const reached = await detail.locator('[data-testid="client-timeline"] li[data-reached="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    assert.deepEqual(reached.slice(0, 5), ['discovered', 'address', 'loader', 'kernel', 'initrd']);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="client-log"] li').length > 10, undefined, { timeout: 10_000 });
    assert.match((await detail.getByTestId('client-log').textContent()) ?? '', /Leased 10\.77\.0\.1/);

    // Arming: select three rows, arm them (one-shot), then disarm one. The simulated installs must be over
    // first: a simulated machine reporting "finished" just after being armed one-shot is disarmed again.
    for (const end = Date.now() + 120_000; !simulation.done && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
    assert.ok(simulation.done, 'the simulated installs ended');
    await filterTo(page, '5e:00:0', 16);
    const pick = [simulation.macs[10]!, simulation.macs[11]!, simulation.macs[12]!];
    for (const mac of pick) await page.locator(`[data-testid="client-row"][data-mac="${mac}"] [data-testid="client-select"]`).check();
    assert.equal(await page.getByTestId('clients-selected-count').textContent(), '3 selected');
    assert.equal(await page.getByTestId('clients-one-shot').isChecked(), true, 'one-shot is the default');
    await page.getByTestId('clients-arm').click();
    for (const mac of pick) {
      await page.locator(`[data-testid="client-row"][data-mac="${mac}"][data-armed="true"]`).waitFor({ timeout: 10_000 });
      assert.equal(backend.clients.isArmed(mac), true, `${mac} armed in the tracker`);
      assert.equal(backend.clients.get(mac)?.oneShot, true);
    }
    assert.equal(backend.clients.isArmed(simulation.macs[13]!), false);
    await page.locator(`[data-testid="client-row"][data-mac="${pick[0]}"] [data-testid="client-select"]`).check();
    await page.locator(`[data-testid="client-row"][data-mac="${pick[1]}"] [data-testid="client-select"]`).uncheck();
    await page.locator(`[data-testid="client-row"][data-mac="${pick[2]}"] [data-testid="client-select"]`).uncheck();
    await page.getByTestId('clients-disarm').click();
    await page.locator(`[data-testid="client-row"][data-mac="${pick[0]}"][data-armed="false"]`).waitFor({ timeout: 10_000 });
    assert.equal(backend.clients.isArmed(pick[0]!), false);
    assert.equal(backend.clients.isArmed(pick[1]!), true);

    // Filter by text, select all shown, arm: only the matches are armed.
    await filterTo(page, 'node-19', 10); // node-190 .. node-199
    await page.getByTestId('clients-select-all').check();
    await page.getByTestId('clients-arm').click();
    await page.waitForFunction(
      () => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="client-row"]')).every((r) => r.getAttribute('data-armed') === 'true'),
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(backend.clients.list().filter((r) => r.armed).length, 2 + 10);
    await filterTo(page, '', COUNT);

    // Export CSV: a download with a header and one line per machine.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('clients-export-csv').click()]);
    const csvPath = join(work, 'report.csv');
    await download.saveAs(csvPath);
    const csv = readFileSync(csvPath, 'utf8');
    assert.match(download.suggestedFilename(), /^fieldboot-clients-\d{4}-\d{2}-\d{2}-\d{4}\.csv$/);
    assert.equal(csv.trimEnd().split('\r\n').length, COUNT + 1);
    assert.match(csv, /^mac,hostname,ip,firmware,image,stage,/);

    await page.screenshot({ path: join(RESULTS, 'clients.png') });
    assert.deepEqual(pageErrors, []);
  } finally {
    simulation?.stop();
    await ui?.close();
    await backend.dispose();
    rmSync(work, { recursive: true, force: true });
  }
});
