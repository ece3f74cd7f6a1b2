/**
 * `fieldboot serve` refuses with exit 5 and one line when the interface has no IPv4 address or the
 * process lacks the privilege to bind port 69. Both need a namespace of their own (root).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { EngineExitCode } from '../../shared/engine-protocol';
import { createSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';

const run = promisify(execFile);

async function inNs(ns: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('ip', ['netns', 'exec', ns, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('an interface without IPv4: exit 5, one line that says so', async (t) => {
  if (!labGate(t, { root: true, commands: ['ip'] })) return;
  const sw = createSwitch({ prefix: 'fbe', serverCidr: null });
  const state = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  try {
    const r = await inNs(sw.ns, [process.execPath, '--import', 'tsx', resolve('bin/fieldboot.mjs'), 'serve', '--interface', 'br0', '--dhcp', 'full', '--state-dir', state]);
    assert.equal(r.code, EngineExitCode.CannotServe, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /br0 has no IPv4 address/);
  } finally {
    sw.destroy();
    rmSync(state, { recursive: true, force: true });
  }
});

test('no privilege for port 69: exit 5, one line that says to run as root', async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'setpriv'] })) return;
  const sw = createSwitch({ prefix: 'fbp', serverCidr: '192.168.79.1/24' });
  const state = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  try {
    // Root without CAP_NET_BIND_SERVICE: the kernel refuses port 69 exactly as for an ordinary user, while
    // the checkout stays readable wherever CI cloned it (a uid switch would need a world-readable path).
    const r = await inNs(sw.ns, [
      'setpriv', '--bounding-set', '-net_bind_service', '--inh-caps', '-net_bind_service', '--',
      process.execPath, '--import', 'tsx', resolve('bin/fieldboot.mjs'),
      'serve', '--interface', 'br0', '--dhcp', 'off', '--state-dir', join(state, 's'),
    ]);
    assert.equal(r.code, EngineExitCode.CannotServe, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /administrator rights|root/);
  } finally {
    sw.destroy();
    rmSync(state, { recursive: true, force: true });
  }
});
