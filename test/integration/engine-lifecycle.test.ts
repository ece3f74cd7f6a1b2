/**
 * The engine process must never outlive its host (a DHCP server left on a customer's network is the worst
 * failure this product can have), and it reports start failures as data, not crashes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineHost } from '../../electron/engine-host/engine-host';
import { EngineExitCode, encodeLine } from '../../shared/engine-protocol';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { alive, hostReport, spawnEngine, spawnHost, waitGone } from '../helpers/engine-processes';

test('the engine exits within a few seconds of its host being killed with SIGKILL', async () => {
  const host = spawnHost('engine-host-fixture.ts', []);
  const { enginePid } = await hostReport<{ enginePid: number }>(host, 20_000);
  assert.ok(alive(enginePid), 'engine running while its host lives');
  host.kill('SIGKILL');
  const took = await waitGone(enginePid, 5000);
  assert.ok(took < 5000);
});

test('the engine exits with HeartbeatLost when heartbeats stop but the channel stays open', async () => {
  const child = spawnEngine([], { stdio: ['pipe', 'pipe', 'inherit'], env: { FIELDBOOT_HEARTBEAT_TIMEOUT_MS: '800' } });
  child.stdin!.write(encodeLine({ type: 'heartbeat', seq: 1 }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, EngineExitCode.HeartbeatLost);
  child.stdin!.destroy();
});

test('a start the engine cannot serve comes back as a typed error; the engine stays up; shutdown exits 0', async () => {
  const state = mkdtempSync(join(tmpdir(), 'fb-state-'));
  const host = new EngineHost();
  try {
    await assert.rejects(
      host.start({ interface: 'no-such-if0', dhcpMode: 'off', isos: [], allow: [], stateDir: state, tftpPort: 16900 }),
      (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.NoSuchInterface && /no-such-if0/.test(err.message),
    );
    assert.ok(host.pid && alive(host.pid), 'engine survives a failed start');
    await assert.rejects(
      host.start({ interface: 'lo', dhcpMode: 'full', range: '10.0.0.1-10.0.0.5', isos: [], allow: [], stateDir: state, tftpPort: 16900 }),
      (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.BadRange,
    );
    const pid = host.pid!;
    const exited = new Promise<number | null>((r) => host.once('exit', (c) => r(c)));
    await host.dispose();
    assert.equal(await exited, EngineExitCode.Ok);
    assert.ok(!alive(pid));
  } finally {
    await host.dispose();
    rmSync(state, { recursive: true, force: true });
  }
});
