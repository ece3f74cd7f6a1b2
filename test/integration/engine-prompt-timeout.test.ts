/**
 * An administrator prompt nobody answers. The launcher here is a stand-in pkexec (pkexecLaunch with its
 * `pkexec` swapped for a script that records its pid and then waits for ever, as pkexec does while its dialog
 * is open); the test injects a short wait instead of the 3 minutes. The start fails with the prompt's words,
 * the launcher is ended (SIGKILL when it ignores SIGTERM), and nothing is left running. Through AppController
 * the UI sees 'starting' with the prompt and its deadline, then 'failed' with the same words; Stop while the
 * prompt is open cancels the start at once and leaves the app idle, not failed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppController } from '../../electron/engine-host/app-controller';
import { EngineElevation, explainPkexecTimeout, pkexecLaunch } from '../../electron/engine-host/engine-elevation';
import { EngineHost, LAUNCHER_KILL_GRACE_MS, PROMPT_TIMEOUT_MS, defaultEngineCommand, type EngineLaunchPlan } from '../../electron/engine-host/engine-host';
import type { ServingState } from '../../shared/api/fieldboot-api';
import { ErrorCode, FieldbootError, type ErrorInfo } from '../../shared/errors';
import { LOOPBACK, PROMPTED_USER, alive, standInPkexec } from '../helpers/engine-processes';

const WAIT_MS = 1500;
const PROMPT_WORDS = /^The administrator password prompt was not answered within 2 seconds, so FieldBoot closed it and the network engine did not start\.$/;

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, ms = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A pkexec that never answers (standInPkexec) in a temp dir of its own. `stubborn`: it ignores SIGTERM too. */
function silentPkexec(stubborn: boolean): { dir: string; path: string; pids: () => number[]; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fb-prompt-'));
  const fake = standInPkexec(dir, { stubborn });
  return {
    dir,
    path: fake.path,
    pids: fake.pids,
    cleanup: () => {
      fake.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The real pkexec launch plan (its messages, its timeout words) with the stand-in pkexec and a short wait. */
function silentPlan(pkexec: string): EngineLaunchPlan {
  return { ...pkexecLaunch(defaultEngineCommand(), { pkexec, env: {} }), connectTimeoutMs: WAIT_MS };
}

test('the default wait is 3 minutes, said in plain words', () => {
  assert.equal(PROMPT_TIMEOUT_MS, 180_000);
  const e = explainPkexecTimeout(PROMPT_TIMEOUT_MS);
  assert.equal(e.code, ErrorCode.NoPrivilege);
  assert.equal(e.message, 'The administrator password prompt was not answered within 3 minutes, so FieldBoot closed it and the network engine did not start.');
  assert.match(e.hint, /Press Start again/);
  assert.equal(new EngineHost(pkexecLaunch(defaultEngineCommand())).launchTimeoutMs, 180_000, 'the pkexec plan waits the default');
});

for (const stubborn of [false, true]) {
  test(`EngineHost, stdio through pkexec: a prompt left open fails the start after the wait and the launcher is ended${stubborn ? ' (it ignores SIGTERM: SIGKILL)' : ''}`, { timeout: 30_000 }, async () => {
    const fake = silentPkexec(stubborn);
    const host = new EngineHost(silentPlan(fake.path));
    const exits: (ErrorInfo | null)[] = [];
    host.on('exit', (_code, _signal, fatal) => exits.push(fatal));
    try {
      const t0 = Date.now();
      const started = host.start({ interface: 'lo', dhcpMode: 'off', isos: [], allow: [], stateDir: fake.dir, ftp: false });
      const pid = await waitFor('the launcher to start', () => fake.pids()[0]);
      assert.equal(host.launching, true, 'waiting on the prompt');
      await assert.rejects(started, (e: unknown) => {
        assert.ok(e instanceof FieldbootError);
        assert.equal(e.code, ErrorCode.NoPrivilege);
        assert.match(e.message, PROMPT_WORDS);
        assert.match(e.hint, /Press Start again and enter an administrator password/);
        return true;
      });
      const waited = Date.now() - t0;
      assert.ok(waited >= WAIT_MS - 50 && waited < WAIT_MS + 8000, `gave up after ${waited} ms`);
      assert.equal(host.launching, false);
      // Nothing is left behind: the launcher is gone, and the host knows it (its 'exit' tells the same story).
      await waitFor('the launcher to end', () => !alive(pid), (stubborn ? LAUNCHER_KILL_GRACE_MS : 0) + 5000);
      await waitFor("the host's exit event", () => exits.length > 0);
      assert.equal(exits[0]?.code, ErrorCode.NoPrivilege);
      assert.match(exits[0]!.message, PROMPT_WORDS);
      assert.equal(host.pid, null);
      assert.deepEqual(fake.pids(), [pid], 'one launcher, no other process was started');
    } finally {
      await host.dispose();
      fake.cleanup();
    }
  });
}

test('EngineHost, socket transport (the macOS and Windows prompts): the same wait, the plan\'s words, the launcher ended', { timeout: 30_000 }, async () => {
  const fake = silentPkexec(false);
  const host = new EngineHost({
    transport: 'socket',
    elevated: true,
    label: 'stand-in prompt',
    command: () => ({ command: fake.path, args: [] }),
    explainTimeout: explainPkexecTimeout,
    connectTimeoutMs: WAIT_MS,
  });
  try {
    const t0 = Date.now();
    const started = host.start({ interface: 'lo', dhcpMode: 'off', isos: [], allow: [], stateDir: fake.dir, ftp: false });
    const pid = await waitFor('the launcher to start', () => fake.pids()[0]);
    await assert.rejects(started, (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.NoPrivilege && PROMPT_WORDS.test(e.message));
    const waited = Date.now() - t0;
    // The words are the plan's: the host's deadline ended it, not the listener's backstop.
    assert.ok(waited >= WAIT_MS - 50 && waited < WAIT_MS + 8000, `gave up after ${waited} ms`);
    await waitFor('the launcher to end', () => !alive(pid));
  } finally {
    await host.dispose();
    fake.cleanup();
  }
});

// The test's ports are free high ones made privileged for this "user" (PROMPTED_USER, as in engine-elevation-controller.test.ts).

function controllerWithSilentPrompt() {
  const fake = silentPkexec(false);
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-prompt-state-'));
  let prompts = 0;
  const controller = new AppController({
    baseConfig: { stateDir, httpPort: 18083, tftpPort: 16972, ftp: false },
    host: new EngineHost(),
    listInterfaces: async () => [LOOPBACK],
    elevation: new EngineElevation({
      platform: 'linux',
      facts: () => PROMPTED_USER,
      launch: () => {
        prompts++;
        return silentPlan(fake.path);
      },
    }),
  });
  const states: ServingState[] = [];
  controller.subscribe((p) => {
    if (p.type === 'state') states.push(p.state);
  });
  return {
    controller,
    fake,
    states,
    prompts: () => prompts,
    cleanup: async () => {
      await controller.dispose();
      fake.cleanup();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

test('AppController: the UI sees the prompt with its deadline while starting, then the failed start in the prompt\'s words', { timeout: 30_000 }, async () => {
  const s = controllerWithSilentPrompt();
  try {
    const t0 = Date.now();
    await assert.rejects(s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] }), (e: unknown) => e instanceof FieldbootError && PROMPT_WORDS.test(e.message));
    const starting = s.states.find((st) => st.phase === 'starting');
    assert.equal(starting?.prompt?.name, 'the system password prompt (pkexec)');
    const until = Date.parse(starting!.prompt!.until);
    assert.ok(until >= t0 + WAIT_MS - 50 && until <= Date.now() + 1000, `deadline ${starting!.prompt!.until}`);
    const failed = s.controller.getState();
    assert.equal(failed.phase, 'failed');
    assert.equal(failed.error?.code, ErrorCode.NoPrivilege);
    assert.match(failed.error!.message, PROMPT_WORDS);
    // Every failed state says the same: no 'engine died' when the launcher is ended.
    for (const st of s.states.filter((x) => x.phase === 'failed')) assert.match(st.error!.message, PROMPT_WORDS);
    const pid = s.fake.pids()[0]!;
    await waitFor('the launcher to end', () => !alive(pid));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.controller.getState().phase, 'failed', 'the launcher\'s end does not change the story');
    assert.match(s.controller.getState().error!.message, PROMPT_WORDS);
    assert.equal(s.prompts(), 1);
  } finally {
    await s.cleanup();
  }
});

test('AppController: Stop while the prompt is open cancels the start at once; the app is idle and the launcher gone', { timeout: 30_000 }, async () => {
  const s = controllerWithSilentPrompt();
  try {
    const started = s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] });
    const pid = await waitFor('the launcher to start', () => s.fake.pids()[0]);
    assert.equal(s.controller.getState().phase, 'starting');
    assert.ok(s.controller.getState().prompt, 'waiting on the prompt');
    const t0 = Date.now();
    const stopped = await s.controller.stopServing();
    assert.ok(Date.now() - t0 < WAIT_MS, 'the stop did not wait for the prompt');
    assert.equal(stopped.phase, 'idle');
    assert.equal(stopped.error, null);
    const result = await started;
    assert.equal(result.phase, 'idle', 'the start resolves idle: nothing failed');
    await waitFor('the launcher to end', () => !alive(pid));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.controller.getState().phase, 'idle', 'still idle once the launcher is gone');
    assert.ok(!s.states.some((st) => st.phase === 'failed'), 'no failed state on the way');
  } finally {
    await s.cleanup();
  }
});
