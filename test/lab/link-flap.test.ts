/**
 * The serving interface's link goes away and comes back, with real clients in network namespaces:
 *
 * (a) cable pulled and back (`ip link set fbs0 down` / `up` on the server's veth end), served by the real CLI
 *     (`fieldboot serve --json`): link down/up events, and after the flap udhcpc gets its lease again and tftp-hpa
 *     fetches a file.
 * (b) a USB NIC unplugged and plugged in again: the veth is deleted and made again with the same name (a new
 *     ifindex), slowly (the watch sees it gone) and within one poll (it sees a new device). The session had given
 *     the bare interface 10.77.0.1/24; it gives it again, and DHCP (same client, same address: the lease table
 *     survived), TFTP and HTTP (curl) serve again. An address flushed off the NIC is given back, sockets kept.
 * (b2) a port taken while the NIC was away: the reopen fails, nothing stays half-open, and a later poll resumes.
 *
 * Topology: the switch namespace holds br0 (no address) with the server's veth pair fbs0 <-> fbs0p on it, and
 * a client namespace with a veth port on br0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { EngineEvent, LinkEvent } from '../../shared/model/engine-event';
import { REPO_ROOT, startFieldbootServe, type ServerProcess } from '../helpers/fieldboot-process';
import { createSwitch, type ClientNs, type LabSwitch } from '../helpers/netns';
import { labGate } from '../helpers/requirements';

const run = promisify(execFile);
const SERVER_IF = 'fbs0';
const HELLO = 'link-flap says hello\n';
/** The watch polls once a second; a few polls plus reopening the servers. */
const LINK_TIMEOUT_MS = 10_000;

/** The server's NIC: a veth pair, one end on br0, the other (the "NIC") left for the server. */
function plugServerNic(lab: LabSwitch, cidr: string | null): void {
  lab.exec(['ip', 'link', 'add', SERVER_IF, 'type', 'veth', 'peer', 'name', `${SERVER_IF}p`]);
  lab.exec(['ip', 'link', 'set', `${SERVER_IF}p`, 'master', lab.bridge]);
  lab.exec(['ip', 'link', 'set', `${SERVER_IF}p`, 'up']);
  if (cidr) lab.exec(['ip', 'addr', 'add', cidr, 'dev', SERVER_IF]);
  // What udev/NetworkManager do for a NIC plugged in: set it up (FieldBoot does not).
  lab.exec(['ip', 'link', 'set', SERVER_IF, 'up']);
}

function nicInfo(lab: LabSwitch): { ifindex: number; ipv4: string[] } {
  const [l] = JSON.parse(lab.exec(['ip', '-j', 'addr', 'show', 'dev', SERVER_IF])) as { ifindex: number; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return { ifindex: l!.ifindex, ipv4: (l!.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
}

function listening(lab: LabSwitch, proto: 'u' | 't', port: number): boolean {
  return lab.exec(['ss', `-Hln${proto}`, `sport = :${port}`]).trim().length > 0;
}

/** udhcpc once; the lease is applied to the client's port by hand (its script only reports it). */
async function lease(c: ClientNs, dir: string): Promise<string | null> {
  const script = join(dir, 'udhcpc.sh');
  const out = join(dir, 'udhcpc.out');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip/$mask" > ${out}\nexit 0\n`);
  chmodSync(script, 0o755);
  rmSync(out, { force: true });
  try {
    await run('ip', ['netns', 'exec', c.ns, 'udhcpc', '-i', c.ifname, '-f', '-q', '-n', '-t', '6', '-T', '1', '-A', '1', '-s', script], { timeout: 30_000 });
  } catch {
    return null;
  }
  const cidr = readFileSync(out, 'utf8').trim();
  c.exec(['ip', 'addr', 'flush', 'dev', c.ifname]);
  c.exec(['ip', 'addr', 'add', cidr, 'dev', c.ifname]);
  return cidr.split('/')[0]!;
}

async function tftpGet(c: ClientNs, server: string, dir: string): Promise<string> {
  const dest = join(dir, `tftp-${Date.now()}.txt`);
  await run('ip', ['netns', 'exec', c.ns, 'tftp', '-m', 'binary', server, '-c', 'get', 'hello.txt', dest], { timeout: 30_000 });
  return readFileSync(dest, 'utf8');
}

async function httpGet(c: ClientNs, url: string): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', c.ns, 'curl', '-sS', '--fail', '--max-time', '10', url], { timeout: 20_000 });
  return stdout;
}

function macOf(c: ClientNs): string {
  return (JSON.parse(c.exec(['ip', '-j', 'link', 'show', c.ifname])) as { address: string }[])[0]!.address;
}

const isLink =
  (state: LinkEvent['state'], after = 0) =>
  (e: EngineEvent): e is LinkEvent =>
    e.type === 'link' && e.state === state && Date.parse(e.time) >= after;

test('(a) cable out and back: link down and up are reported, and DHCP and TFTP serve after the flap', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'ss', 'udhcpc', 'tftp'] })) return;
  const lab = createSwitch({ prefix: 'fblf', serverCidr: null });
  const dir = mkdtempSync(join(tmpdir(), 'fb-linkflap-'));
  let srv: ServerProcess | null = null;
  try {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'hello.txt'), HELLO);
    plugServerNic(lab, '192.168.77.1/24');
    const c0 = lab.addVethClient('c0');
    srv = startFieldbootServe({
      ns: lab.ns,
      iface: SERVER_IF,
      root: join(dir, 'root'),
      stateDir: join(dir, 'state'),
      dhcp: 'full',
      range: '192.168.77.100-192.168.77.110',
      httpPort: 80,
      extraArgs: ['--force'],
    });
    await srv.waitForEvent((e) => e.type === 'ready', 30_000);
    const before = await lease(c0, dir);
    assert.ok(before, `a lease before the flap; stderr: ${srv.stderr().slice(-1500)}`);
    assert.equal(await tftpGet(c0, '192.168.77.1', dir), HELLO);
    const ifindex = nicInfo(lab).ifindex;

    const pulled = Date.now();
    lab.exec(['ip', 'link', 'set', SERVER_IF, 'down']);
    const down = (await srv.waitForEvent(isLink('down', pulled - 1000), LINK_TIMEOUT_MS)) as LinkEvent;
    assert.equal(down.interface, SERVER_IF);
    assert.match(down.detail, /set down/);
    const downSeenMs = Date.parse(down.time) - pulled;
    // Sockets stay open through a carrier loss.
    assert.ok(listening(lab, 'u', 69) && listening(lab, 't', 80), 'TFTP and HTTP still listen while the link is down');
    assert.equal(await lease(c0, dir), null, 'no lease while the server NIC is down (the flap is real)');

    const plugged = Date.now();
    lab.exec(['ip', 'link', 'set', SERVER_IF, 'up']);
    const up = (await srv.waitForEvent(isLink('up', plugged - 1000), LINK_TIMEOUT_MS)) as LinkEvent;
    assert.equal(up.resumed, true, 'up after down says serving resumed');
    assert.ok(Date.parse(up.since) >= Date.parse(down.since));
    assert.ok(srv.events().some((e) => e.type === 'log' && /serving resumed/.test(e.message)), 'a log line says serving resumed');
    assert.equal(nicInfo(lab).ifindex, ifindex, 'the same device (no reopen needed)');

    const after = await lease(c0, dir);
    assert.equal(after, before, 'the same client gets the same address after the flap');
    assert.equal(await tftpGet(c0, '192.168.77.1', dir), HELLO, 'TFTP serves after the flap');
    const links = srv.events().filter((e): e is LinkEvent => e.type === 'link');
    // Down (its detail may change while it lasts, e.g. set up before the carrier returns), then one up.
    const states = links.map((e) => e.state);
    assert.ok(states.length >= 2 && states.at(-1) === 'up' && states.slice(0, -1).every((x) => x === 'down'), `down..., then up: ${JSON.stringify(links)}`);
    assert.ok(links.slice(0, -1).every((e) => e.since === down.since), 'one outage: every down event keeps its start time');
    t.diagnostic(`link down reported ${downSeenMs} ms after ip link set down; up ${Date.parse(up.time) - plugged} ms after up`);
  } finally {
    await srv?.stop();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A Session (with ServeConfig.assignAddress, which the CLI does not expose) in the lab namespace, events on stdout. */
function startSessionRunner(lab: LabSwitch, dir: string, config: Record<string, unknown>) {
  const runner = join(dir, 'run-session.ts');
  const session = pathToFileURL(join(REPO_ROOT, 'electron/engine/session.ts')).href;
  writeFileSync(
    runner,
    `import { Session } from ${JSON.stringify(session)};
const out = (e: unknown) => process.stdout.write(JSON.stringify(e) + '\\n');
const s = new Session(JSON.parse(process.argv[2] ?? '{}'), {
  emit: out,
  logSink: (l) => out({ type: 'log', time: new Date().toISOString(), level: l.level, subsystem: l.subsystem, message: l.message }),
});
process.on('SIGTERM', () => void s.stop('SIGTERM').then(() => process.exit(0)));
s.start().catch((err: Error) => {
  out({ type: 'error', time: new Date().toISOString(), subsystem: 'ENGINE', error: { code: 'internal', message: err.message, hint: '' } });
  process.exit(1);
});
`,
  );
  const child = spawn('ip', ['netns', 'exec', lab.ns, process.execPath, '--import', 'tsx', runner, JSON.stringify(config)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: EngineEvent[] = [];
  let buf = '';
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        events.push(JSON.parse(line) as EngineEvent);
      } catch {
        /* not an event */
      }
    }
  });
  const gone = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    events,
    async waitFor<E extends EngineEvent>(pred: (e: EngineEvent) => e is E, timeoutMs: number): Promise<E> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        const err = events.find((e) => e.type === 'error');
        if (exited || err) throw new Error(`session ended: ${JSON.stringify(err)} ${stderr.slice(-1500)}`);
        if (Date.now() > until) throw new Error(`timed out; events: ${JSON.stringify(events.filter((e) => e.type === 'link' || (e.type === 'log' && e.level !== 'debug')).slice(-20))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(): Promise<void> {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
    },
  };
}

test('(b) USB NIC unplugged and plugged in again: the address comes back, DHCP (same address), TFTP and HTTP serve again', { timeout: 180_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'ss', 'udhcpc', 'tftp', 'curl'] })) return;
  const lab = createSwitch({ prefix: 'fblu', serverCidr: null });
  const dir = mkdtempSync(join(tmpdir(), 'fb-linkusb-'));
  let srv: ReturnType<typeof startSessionRunner> | null = null;
  try {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'hello.txt'), HELLO);
    plugServerNic(lab, null);
    const c0 = lab.addVethClient('c0');
    srv = startSessionRunner(lab, dir, {
      interface: SERVER_IF,
      dhcpMode: 'full',
      root: join(dir, 'root'),
      isos: [],
      allow: [],
      stateDir: join(dir, 'state'),
      assignAddress: '10.77.0.1/24',
      force: true,
    });
    await srv.waitFor((e): e is EngineEvent => e.type === 'ready', 30_000);
    assert.deepEqual(nicInfo(lab).ipv4, ['10.77.0.1/24'], 'the session gave the bare NIC its address');
    const first = await lease(c0, dir);
    assert.ok(first?.startsWith('10.77.0.'), `a lease before the unplug: ${first}`);
    assert.equal(await tftpGet(c0, '10.77.0.1', dir), HELLO);
    assert.equal(await httpGet(c0, 'http://10.77.0.1/boot/hello.txt'), HELLO);

    // The address alone taken away (what a network manager may do on carrier loss): given back, sockets kept.
    const flushed = Date.now();
    lab.exec(['ip', 'addr', 'flush', 'dev', SERVER_IF]);
    await srv.waitFor((e): e is EngineEvent => e.type === 'log' && Date.parse(e.time) >= flushed - 1000 && /address 10\.77\.0\.1\/24 again/.test(e.message), LINK_TIMEOUT_MS);
    assert.deepEqual(nicInfo(lab).ipv4, ['10.77.0.1/24']);
    assert.ok(!srv.events.some((e) => e.type === 'log' && /reopened the servers/.test(e.message)), 'no reopen needed for a lost address');
    assert.equal(await tftpGet(c0, '10.77.0.1', dir), HELLO, 'TFTP through the sockets bound before the address went');
    assert.equal(await httpGet(c0, 'http://10.77.0.1/boot/hello.txt'), HELLO, 'HTTP too');
    assert.equal(await lease(c0, dir), first, 'DHCP too');

    // Slow: unplugged long enough for the watch to see it gone.
    const oldIndex = nicInfo(lab).ifindex;
    const unplugged = Date.now();
    lab.exec(['ip', 'link', 'del', SERVER_IF]);
    const gone = await srv.waitFor(isLink('gone', unplugged - 1000), LINK_TIMEOUT_MS);
    assert.match(gone.detail, /gone/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(listening(lab, 'u', 69), false, 'TFTP closed while the NIC is gone');
    assert.equal(listening(lab, 't', 80), false, 'HTTP closed while the NIC is gone');
    const replugged = Date.now();
    plugServerNic(lab, null);
    const up = await srv.waitFor(isLink('up', replugged - 1000), LINK_TIMEOUT_MS);
    assert.equal(up.resumed, true);
    const back = nicInfo(lab);
    assert.notEqual(back.ifindex, oldIndex, 'a new device (new ifindex), same name');
    assert.deepEqual(back.ipv4, ['10.77.0.1/24'], 'the session gave the replugged NIC its address again');
    assert.ok(listening(lab, 'u', 67) && listening(lab, 'u', 69) && listening(lab, 't', 80) && listening(lab, 't', 21), 'DHCP, TFTP, HTTP and FTP reopened');
    assert.equal(await lease(c0, dir), first, 'the same client gets the same address (the lease table survived)');
    assert.equal(await tftpGet(c0, '10.77.0.1', dir), HELLO, 'TFTP serves again');
    assert.equal(await httpGet(c0, 'http://10.77.0.1/boot/hello.txt'), HELLO, 'HTTP serves again');
    t.diagnostic(`unplug seen in ${Date.parse(gone.time) - unplugged} ms; serving resumed ${Date.parse(up.time) - replugged} ms after the replug`);

    // Fast: unplugged and plugged in again between two polls; only the ifindex tells.
    const swapped = Date.now();
    lab.exec(['sh', '-c', `ip link del ${SERVER_IF} && ip link add ${SERVER_IF} type veth peer name ${SERVER_IF}p && ip link set ${SERVER_IF}p master ${lab.bridge} && ip link set ${SERVER_IF}p up && ip link set ${SERVER_IF} up`]);
    const up2 = await srv.waitFor((e): e is LinkEvent => isLink('up', swapped)(e) && e.resumed === true, LINK_TIMEOUT_MS);
    assert.ok(srv.events.some((e) => isLink('gone', swapped)(e)), 'the outage is reported even when no poll saw the NIC missing');
    assert.deepEqual(nicInfo(lab).ipv4, ['10.77.0.1/24']);
    assert.equal(await lease(c0, dir), first, 'same address after the fast replug');
    assert.equal(await tftpGet(c0, '10.77.0.1', dir), HELLO);
    assert.equal(await httpGet(c0, 'http://10.77.0.1/boot/hello.txt'), HELLO);
    t.diagnostic(`fast replug: serving resumed ${Date.parse(up2.time) - swapped} ms after it`);
    t.diagnostic(`link events: ${srv.events.filter((e): e is LinkEvent => e.type === 'link').map((e) => `${e.state} (${e.detail})`).join(' | ')}`);

    // The lease file holds one lease for the client, and the records know its MAC.
    const leases = JSON.parse(readFileSync(join(dir, 'state', 'leases.json'), 'utf8')) as { leases: { mac: string; ip: string }[] };
    assert.deepEqual(
      leases.leases.filter((l) => l.mac === macOf(c0)).map((l) => l.ip),
      [first],
    );
    await srv.stop();
    assert.ok(srv.events.some((e) => e.type === 'stopped'));
    assert.deepEqual(nicInfo(lab).ipv4, [], 'stop removed the address from the replugged NIC');
  } finally {
    await srv?.stop();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('(b2) a port taken while the NIC was away: nothing stays half-open (TFTP closed again), the retry resumes once it is free', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'ss', 'tftp', 'curl', 'python3'] })) return;
  const lab = createSwitch({ prefix: 'fblr', serverCidr: null });
  const dir = mkdtempSync(join(tmpdir(), 'fb-linkretry-'));
  let srv: ReturnType<typeof startSessionRunner> | null = null;
  let holder: ReturnType<LabSwitch['spawn']> | null = null;
  try {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'hello.txt'), HELLO);
    plugServerNic(lab, null);
    const c0 = lab.addVethClient('c0');
    c0.exec(['ip', 'addr', 'add', '10.77.0.50/24', 'dev', c0.ifname]);
    srv = startSessionRunner(lab, dir, { interface: SERVER_IF, dhcpMode: 'off', root: join(dir, 'root'), isos: [], allow: [], stateDir: join(dir, 'state'), assignAddress: '10.77.0.1/24' });
    await srv.waitFor((e): e is EngineEvent => e.type === 'ready', 30_000);

    const unplugged = Date.now();
    lab.exec(['ip', 'link', 'del', SERVER_IF]);
    await srv.waitFor(isLink('gone', unplugged - 1000), LINK_TIMEOUT_MS);
    // Someone listens on the HTTP port (every address) while the NIC is out. TFTP reopens first, then HTTP
    // fails: TFTP must be closed again.
    holder = lab.spawn(['python3', '-c', 'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\ns.bind(("0.0.0.0",80))\ns.listen()\nprint("held",flush=True)\ntime.sleep(120)']);
    await new Promise<void>((resolve, reject) => {
      holder!.stdout!.once('data', () => resolve());
      holder!.once('exit', (code) => reject(new Error(`port holder exited (${code})`)));
    });
    const replugged = Date.now();
    plugServerNic(lab, null);
    const stuck = await srv.waitFor((e): e is LinkEvent => isLink('down', replugged - 1000)(e) && /cannot reopen/.test(e.detail), LINK_TIMEOUT_MS);
    assert.match(stuck.detail, /80/, `the reason names the port: ${stuck.detail}`);
    assert.deepEqual(nicInfo(lab).ipv4, ['10.77.0.1/24'], 'the address is back already');
    // Read right after the event: the next retry (which opens TFTP for a moment again) is a poll away.
    assert.equal(listening(lab, 'u', 69), false, 'TFTP is not left open without HTTP');

    const freed = Date.now();
    holder.kill('SIGKILL');
    const up = await srv.waitFor(isLink('up', freed - 1000), LINK_TIMEOUT_MS);
    assert.equal(up.resumed, true);
    assert.equal(await tftpGet(c0, '10.77.0.1', dir), HELLO);
    assert.equal(await httpGet(c0, 'http://10.77.0.1/boot/hello.txt'), HELLO);
    const warnings = srv.events.filter((e) => e.type === 'log' && e.level === 'warn' && /cannot reopen/.test(e.message));
    assert.equal(warnings.length, 1, 'the same failure is logged once, not every second');
    t.diagnostic(`resumed ${Date.parse(up.time) - freed} ms after the port was freed`);
  } finally {
    holder?.kill('SIGKILL');
    await srv?.stop();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
