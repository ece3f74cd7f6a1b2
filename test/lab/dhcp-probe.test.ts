/**
 * Foreign-DHCP detection on a real switch: dnsmasq (addresses only, no PXE) plays the site's DHCP server in its own
 * namespace on the same bridge as FieldBoot's br0.
 *
 * - `fieldboot dhcp-probe --json` reports it: its server id, an address from its range, pxe false; and it leases
 *   nothing (dnsmasq's lease file stays empty: the probe never REQUESTs).
 * - `serve --dhcp full` refuses with exit 5 and one line naming it; `--force` starts anyway.
 * - With no other server: the probe reports nothing and full mode starts.
 * - Port 68 held by something else (a DHCP client on the laptop): the probe says it cannot run (exit 5), and
 *   full mode starts with a warning instead of blocking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineExitCode } from '../../shared/engine-protocol';
import type { LogEvent } from '../../shared/model/engine-event';
import type { DhcpProbeResult } from '../../electron/engine/servers/dhcp-probe';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';
import { FIELDBOOT_BIN, REPO_ROOT, startFieldbootServe } from '../helpers/fieldboot-process';

const run = promisify(execFile);
const SITE_IP = '192.168.77.2';
const inSiteRange = (ip: string) => /^192\.168\.77\.2(0\d|10)$/.test(ip);

async function fieldboot(lab: LabSwitch, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('ip', ['netns', 'exec', lab.ns, process.execPath, FIELDBOOT_BIN, ...args], { cwd: REPO_ROOT, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function startSiteDnsmasq(lab: LabSwitch, tmp: string): { proc: ChildProcess; log: () => string; leaseFile: string } {
  const site = lab.addVethClient('site');
  site.exec(['ip', 'addr', 'add', `${SITE_IP}/24`, 'dev', site.ifname]);
  const leaseFile = join(tmp, 'site.leases');
  let log = '';
  const proc = spawn(
    'ip',
    ['netns', 'exec', site.ns, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-', '--user=root',
      `--interface=${site.ifname}`, '--bind-interfaces', '--port=0', '--dhcp-range=192.168.77.200,192.168.77.210,255.255.255.0,1h',
      '--dhcp-option=3,192.168.77.254', '--dhcp-option=6,192.168.77.53',
      `--dhcp-leasefile=${leaseFile}`, '--no-ping', '--log-dhcp'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { proc, log: () => log, leaseFile };
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('dhcp-probe finds the site dnsmasq; full mode refuses beside it (exit 5, one line), --force starts', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'dnsmasq'], files: [FIELDBOOT_BIN] })) return;
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-probe-'));
  const lab = createSwitch({ prefix: 'fbpr' });
  let dnsmasq: ChildProcess | null = null;
  try {
    const site = startSiteDnsmasq(lab, tmp);
    dnsmasq = site.proc;
    await waitFor(() => /started, version/.test(site.log()), 10_000, 'dnsmasq to start');

    const probe = await fieldboot(lab, ['dhcp-probe', '--interface', 'br0', '--timeout', '2', '--json']);
    assert.equal(probe.code, 0, probe.stderr);
    const result = JSON.parse(probe.stdout) as DhcpProbeResult;
    t.diagnostic(`probe: ${JSON.stringify(result.servers)}`);
    assert.equal(result.servers.length, 1, 'one server answered');
    const s = result.servers[0]!;
    assert.equal(s.serverId, SITE_IP);
    assert.equal(s.sourceIp, SITE_IP);
    assert.ok(inSiteRange(s.offeredIp), `offered ${s.offeredIp} from the site range`);
    assert.equal(s.pxe, false, 'dnsmasq here has no PXE options');
    assert.deepEqual(s.router, ['192.168.77.254']);
    assert.deepEqual(s.dns, ['192.168.77.53']);
    assert.equal(result.boundToInterface, true);
    // The human form says the same and what to do.
    const text = await fieldboot(lab, ['dhcp-probe', '--interface', 'br0', '--timeout', '1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`${SITE_IP.replace(/\./g, '\\.')}\\s+${SITE_IP.replace(/\./g, '\\.')}\\s+192\\.168\\.77\\.2\\d\\d\\s+no`));
    assert.match(text.stdout, /--dhcp proxy/);

    // Full mode refuses: exit 5, one line naming the server and the interface.
    const state = join(tmp, 'state');
    const root = join(tmp, 'root');
    mkdirSync(root);
    const refused = await fieldboot(lab, ['serve', '--interface', 'br0', '--root', root, '--dhcp', 'full', '--state-dir', state, '--http-port', '18080']);
    assert.equal(refused.code, EngineExitCode.CannotServe, refused.stderr);
    const lines = refused.stderr.trim().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, /another DHCP server \(192\.168\.77\.2\) answers on br0/);
    assert.match(lines[0]!, /--dhcp proxy/);
    assert.equal(existsSync(join(state, 'leases.json')), false, 'no pool was opened');

    // The probes leased nothing: dnsmasq saw DISCOVERs only, and its lease file has no lease.
    assert.doesNotMatch(site.log(), /DHCPREQUEST/);
    const leases = existsSync(site.leaseFile) ? readFileSync(site.leaseFile, 'utf8').trim() : '';
    assert.equal(leases, '', 'dnsmasq has no lease');

    // --force starts full mode anyway (and says it did not check).
    const forced = startFieldbootServe({ ns: lab.ns, root, stateDir: state, dhcp: 'full', extraArgs: ['--force'] });
    try {
      const ready = await forced.waitForEvent((e) => e.type === 'ready', 20_000);
      assert.equal(ready.type === 'ready' && ready.dhcpMode, 'full');
      assert.ok(forced.events().some((e) => e.type === 'log' && /--force/.test(e.message)));
    } finally {
      await forced.stop();
    }
  } finally {
    dnsmasq?.kill('SIGKILL');
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('no other server: the probe reports nothing and full mode starts; port 68 busy: a warning, not a refusal', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip'], files: [FIELDBOOT_BIN] })) return;
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-probe-'));
  const lab = createSwitch({ prefix: 'fbpn' });
  let holder: ChildProcess | null = null;
  try {
    lab.addVethClient('c0'); // a quiet host on the switch
    const probe = await fieldboot(lab, ['dhcp-probe', '--interface', 'br0', '--timeout', '1', '--json']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.deepEqual((JSON.parse(probe.stdout) as DhcpProbeResult).servers, []);

    const root = join(tmp, 'root');
    mkdirSync(root);
    const srv = startFieldbootServe({ ns: lab.ns, root, stateDir: join(tmp, 'state'), dhcp: 'full' });
    try {
      await srv.waitForEvent((e) => e.type === 'ready', 20_000);
      assert.ok(srv.events().some((e) => e.type === 'log' && /no other DHCP server answered on br0/.test(e.message)));
    } finally {
      await srv.stop();
    }

    // Something holds UDP 68 (as dhclient would on a laptop): the probe cannot listen.
    holder = lab.spawn([process.execPath, '-e', "require('dgram').createSocket('udp4').bind(68, '0.0.0.0', () => console.log('held'))"]);
    let held = '';
    holder.stdout!.on('data', (d: Buffer) => (held += d.toString()));
    await waitFor(() => held.includes('held'), 10_000, 'port 68 to be held');
    const busy = await fieldboot(lab, ['dhcp-probe', '--interface', 'br0', '--timeout', '1']);
    assert.equal(busy.code, EngineExitCode.CannotServe, busy.stderr);
    assert.equal(busy.stderr.trim().split('\n').length, 1, busy.stderr);
    assert.match(busy.stderr, /port 68 is in use/);
    const warned = startFieldbootServe({ ns: lab.ns, root, stateDir: join(tmp, 'state'), dhcp: 'full' });
    try {
      await warned.waitForEvent((e) => e.type === 'ready', 20_000);
      const warning = warned.events().find((e): e is LogEvent => e.type === 'log' && e.level === 'warn' && /could not check br0/.test(e.message));
      assert.ok(warning, 'a warning says the check could not run');
      assert.match(warning.message, /port 68/);
    } finally {
      await warned.stop();
    }
  } finally {
    holder?.kill('SIGKILL');
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
});
