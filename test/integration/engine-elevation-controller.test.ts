/**
 * AppController with elevation on: it asks for an elevated engine only when the privileges check says the
 * app's rights are not enough, a dismissed prompt is a failed start the UI shows with what to do, and the
 * preflight list says who will ask. The "prompt" here is a stand-in launch plan (the real pkexec run is the
 * lab test engine-elevation-pkexec.test.ts); the engine it starts is real and serves on loopback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppController } from '../../electron/engine-host/app-controller';
import { EngineElevation, explainPkexecExit } from '../../electron/engine-host/engine-elevation';
import { EngineHost, defaultEngineCommand, plainLaunch, type EngineLaunchPlan } from '../../electron/engine-host/engine-host';
import type { PrivilegeFacts } from '../../electron/engine/net/preflight';
import type { ServingState } from '../../shared/api/fieldboot-api';
import { InterfaceKind, type NetworkInterfaceInfo } from '../../shared/model/network';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { freePort } from '../helpers/engine-processes';

// The test's ports are free high ones; an ip_unprivileged_port_start above them makes them privileged for
// this user (the sysctl allows up to 65535), so the decision is the one a real start on port 69 makes.
const user: PrivilegeFacts = { platform: 'linux', uid: 1000, capEff: 0n, unprivilegedPortStart: 65535 };
const root: PrivilegeFacts = { ...user, uid: 0 };

/** Counts prompts shown (spawns); `dismiss` makes the "prompt" exit 126 as pkexec does when its dialog is closed. */
function standInPrompt(dismiss: () => boolean): { plan: () => EngineLaunchPlan; prompts: number } {
  const s = {
    prompts: 0,
    plan: (): EngineLaunchPlan => {
      const real = plainLaunch(defaultEngineCommand(), 'socket');
      return {
        ...real,
        elevated: true,
        label: 'stand-in prompt',
        command: (args) => {
          s.prompts++;
          return dismiss() ? { command: process.execPath, args: ['-e', 'process.exit(126)'] } : real.command(args);
        },
        explainExit: explainPkexecExit,
      };
    },
  };
  return s;
}

async function setup(facts: PrivilegeFacts, dismiss: () => boolean) {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-elev-ctl-'));
  const [httpPort, tftpPort] = [await freePort(), await freePort()];
  const prompt = standInPrompt(dismiss);
  const host = new EngineHost();
  const controller = new AppController({
    baseConfig: { stateDir, httpPort, tftpPort, ftp: false },
    host,
    listInterfaces: async (): Promise<NetworkInterfaceInfo[]> => [{ name: 'lo', mac: null, kind: InterfaceKind.Loopback, linkUp: true, speedMbps: null, mtu: 65536, ipv4: [{ address: '127.0.0.1', prefix: 8 }] }],
    elevation: new EngineElevation({ platform: 'linux', facts: () => facts, launch: prompt.plan }),
  });
  const states: ServingState[] = [];
  controller.subscribe((p) => {
    if (p.type === 'state') states.push(p.state);
  });
  return {
    controller,
    host,
    prompt,
    states,
    cleanup: async () => {
      await controller.stopServing().catch(() => undefined);
      await controller.dispose();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

test('missing rights: a dismissed prompt is a failed start with what to do; the next Start asks again and serves elevated', { timeout: 60_000 }, async () => {
  let dismiss = true;
  const s = await setup(user, () => dismiss);
  try {
    const pre = await s.controller.runPreflight({ interface: 'lo', dhcpMode: 'off' });
    const privileges = pre.checks.find((c) => c.id === 'privileges');
    assert.equal(privileges?.status, 'warning', 'not a blocker: the app will ask');
    assert.match(privileges!.detail, /will ask for an administrator password through the system password prompt \(pkexec\)/);

    await assert.rejects(s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] }), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.NoPrivilege);
    const failed = s.controller.getState();
    // Every state pushed on the way says the same thing: no 'engine died' flash before the real reason.
    const failures = s.states.filter((st) => st.phase === 'failed');
    assert.ok(failures.length > 0);
    for (const st of failures) assert.equal(st.error?.code, ErrorCode.NoPrivilege, st.error?.message);
    assert.equal(failed.phase, 'failed');
    assert.equal(failed.error?.code, ErrorCode.NoPrivilege);
    assert.match(failed.error!.message, /password prompt was closed/);
    assert.match(failed.error!.hint, /Press Start again/);
    assert.equal(s.prompt.prompts, 1);

    dismiss = false;
    const serving = await s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] });
    assert.equal(serving.phase, 'serving');
    assert.equal(s.host.elevated, true);
    assert.equal(s.host.transport, 'socket');
    const after = await s.controller.runPreflight({ interface: 'lo', dhcpMode: 'off' });
    assert.equal(after.checks.find((c) => c.id === 'privileges')?.status, 'ok');
    // Stop and start again: the elevated engine is kept, no second prompt.
    await s.controller.stopServing();
    const pid = s.host.enginePid;
    await s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] });
    assert.equal(s.host.enginePid, pid, 'same engine process');
    assert.equal(s.prompt.prompts, 2, 'one prompt per engine process: the dismissed one and the one that started it');
  } finally {
    await s.cleanup();
  }
});

test('running as root: no prompt, the plain engine serves', { timeout: 60_000 }, async () => {
  const s = await setup(root, () => false);
  try {
    const serving = await s.controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [] });
    assert.equal(serving.phase, 'serving');
    assert.equal(s.prompt.prompts, 0);
    assert.equal(s.host.elevated, false);
    assert.equal(s.host.transport, 'stdio');
  } finally {
    await s.cleanup();
  }
});
