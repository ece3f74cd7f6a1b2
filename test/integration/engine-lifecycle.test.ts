/**
 * The engine process must never outlive its host (a DHCP server left on a customer's network is the worst
 * failure this product can have), and it reports start failures as data, not crashes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineHost, defaultEngineCommand } from '../../electron/engine-host/engine-host';
import { EngineExitCode, encodeLine } from '../../shared/engine-protocol';
import { ErrorCode, FieldbootError } from '../../shared/errors';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > ms) throw new Error(`process ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

test('the engine exits within a few seconds of its host being killed with SIGKILL', async () => {
  const host = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/engine-host-fixture.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const enginePid = await new Promise<number>((resolve, reject) => {
    let buf = '';
    host.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"enginePid":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    host.once('exit', () => reject(new Error('host exited early')));
    setTimeout(() => reject(new Error('host did not report the engine pid')), 20_000);
  });
  assert.ok(alive(enginePid), 'engine running while its host lives');
  host.kill('SIGKILL');
  const took = await waitGone(enginePid, 5000);
  assert.ok(took < 5000);
});

test('the engine exits with HeartbeatLost when heartbeats stop but the channel stays open', async () => {
  const { command, args } = defaultEngineCommand();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, FIELDBOOT_HEARTBEAT_TIMEOUT_MS: '800' } });
  child.stdin.write(encodeLine({ type: 'heartbeat', seq: 1 }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, EngineExitCode.HeartbeatLost);
  child.stdin.destroy();
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
