/**
 * DHCP benchmark (issue 3 item 9): ISC perfdhcp (Kea 2.2, package kea-admin) against FieldBoot's full-mode server
 * and against dnsmasq, in the same run, on the same two network namespaces (../shared/research/dhcp-bench-recipe.md):
 *
 *   server ns: veth pdhs0 10.77.0.1/16, the server under test on UDP 67
 *   client ns: veth pdhc0 10.77.0.50/16, perfdhcp -4 -l pdhc0 (relay-style: giaddr 10.77.0.50, replies to :67)
 *
 * For each lease storage (disk: ext4 under /var/tmp; tmpfs: /dev/shm) and each server, a fresh server and a fresh
 * lease file per step, 500 simulated clients (-R 500), rates climbing a ladder (10 s each). A step passes when both
 * DISCOVER-OFFER and REQUEST-ACK drops are under 1 %; a failed step is run once more (the knee is noisy on a
 * shared 2-core machine) and the ladder stops after a step fails twice. "Best" is the highest passing rate.
 *
 *   sudo bash bench/dhcp/run.sh [--rates 250,500,...] [--period 10] [--clients 500] [--storage disk,tmpfs]
 *                               [--servers fieldboot,dnsmasq] [--profile DIR]
 *
 * The namespaces are created here and removed in `finally` (and on Ctrl-C). Nothing leaves them.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,1000,1500,2000,2500,3000,4000,5000,6000,8000' },
    period: { type: 'string', default: '10' },
    clients: { type: 'string', default: '500' },
    storage: { type: 'string', default: 'disk,tmpfs' },
    servers: { type: 'string', default: 'fieldboot,dnsmasq' },
    /** Write a V8 CPU profile of each FieldBoot run into this folder. */
    profile: { type: 'string' },
    'max-drop': { type: 'string', default: '1' },
  },
});
const RATES = values.rates.split(',').map(Number);
const PERIOD = Number(values.period);
const CLIENTS = Number(values.clients);
const MAX_DROP = Number(values['max-drop']);
const STORAGES = values.storage.split(',') as ('disk' | 'tmpfs')[];
const SERVERS = values.servers.split(',') as ('fieldboot' | 'dnsmasq')[];
const repo = fileURLToPath(new URL('../..', import.meta.url));
const tag = randomBytes(2).toString('hex');
const SRV = `fbdb-srv-${tag}`;
const CLI = `fbdb-cli-${tag}`;
const SERVER_IF = 'pdhs0';
const CLIENT_IF = 'pdhc0';
const SERVER_IP = '10.77.0.1';
const POOL = { first: '10.77.1.0', last: '10.77.250.0' };

function sh(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const inNs = (ns: string, args: string[]) => sh(['ip', 'netns', 'exec', ns, ...args]);

function setupNamespaces(): void {
  sh(['ip', 'netns', 'add', SRV]);
  sh(['ip', 'netns', 'add', CLI]);
  for (const ns of [SRV, CLI]) sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  sh(['ip', 'link', 'add', SERVER_IF, 'netns', SRV, 'type', 'veth', 'peer', 'name', CLIENT_IF, 'netns', CLI]);
  sh(['ip', '-n', SRV, 'addr', 'add', `${SERVER_IP}/16`, 'dev', SERVER_IF]);
  sh(['ip', '-n', CLI, 'addr', 'add', '10.77.0.50/16', 'dev', CLIENT_IF]);
  sh(['ip', '-n', SRV, 'link', 'set', SERVER_IF, 'up']);
  sh(['ip', '-n', CLI, 'link', 'set', CLIENT_IF, 'up']);
}

function teardown(): void {
  for (const ns of [CLI, SRV]) {
    try {
      for (const pid of sh(['ip', 'netns', 'pids', ns]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no namespace */
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

interface Running {
  proc: ChildProcess;
  output: () => string;
}

async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listening67(): boolean {
  return inNs(SRV, ['ss', '-Hlun', 'sport = :67']).trim().length > 0;
}

async function startServer(server: 'fieldboot' | 'dnsmasq', dir: string, profileDir: string | null): Promise<Running> {
  let args: string[];
  if (server === 'fieldboot') {
    args = [
      process.execPath,
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '--import',
      'tsx',
      join(repo, 'bench/dhcp/serve-fieldboot.ts'),
      '--interface', SERVER_IF, '--server-ip', SERVER_IP, '--prefix', '16',
      '--range', `${POOL.first}-${POOL.last}`, '--state-dir', dir,
    ];
  } else {
    // The recipe's configuration: --no-ping (its 3 s ICMP check per new address would dominate), --quiet-dhcp.
    args = [
      'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--port=0',
      `--interface=${SERVER_IF}`, '--bind-interfaces', `--dhcp-range=${POOL.first},${POOL.last},255.255.0.0,1h`,
      '--dhcp-lease-max=100000', '--no-ping', '--quiet-dhcp', `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
      `--log-facility=${join(dir, 'dnsmasq.log')}`, '--user=root', `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    ];
  }
  const proc = spawn('ip', ['netns', 'exec', SRV, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitUntil(() => proc.exitCode === null && listening67() && (server === 'dnsmasq' || out.includes('ready')), 30_000, `${server} to listen`);
  return { proc, output: () => out };
}

async function stopServer(r: Running): Promise<void> {
  if (r.proc.exitCode !== null) return;
  const exited = new Promise((res) => r.proc.once('exit', res));
  r.proc.kill('SIGTERM');
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** utime + stime of a process in clock ticks (USER_HZ = 100 on Linux). */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

interface Exchange {
  sent: number;
  received: number;
  dropPct: number;
  avgDelayMs: number;
}
interface StepResult {
  rate: number;
  achieved: number;
  discover: Exchange;
  request: Exchange;
  rcvbufErrors: number;
  cpuMsPerExchange: number;
  pass: boolean;
  exit: number;
}

function parsePerfdhcp(text: string): { achieved: number; discover: Exchange; request: Exchange } {
  const achieved = Number(/Rate: ([\d.]+) 4-way/.exec(text)?.[1] ?? NaN);
  const section = (name: string): Exchange => {
    const at = text.indexOf(`***Statistics for: ${name}***`);
    const s = at >= 0 ? text.slice(at, text.indexOf('collected packets', at) + 1 || undefined) : '';
    const num = (re: RegExp) => Number(re.exec(s)?.[1] ?? NaN);
    return {
      sent: num(/sent packets: (\d+)/),
      received: num(/received packets: (\d+)/),
      dropPct: num(/drops ratio: ([\d.e-]+) %/),
      avgDelayMs: num(/avg delay: ([\d.]+) ms/),
    };
  };
  return { achieved, discover: section('DISCOVER-OFFER'), request: section('REQUEST-ACK') };
}

/** Datagrams the server namespace dropped because a socket's receive queue was full (absolute counter). */
function rcvbufErrors(): number {
  return Number(/UdpRcvbufErrors\s+(\d+)/.exec(inNs(SRV, ['nstat', '-az', 'UdpRcvbufErrors']))?.[1] ?? NaN);
}

/** The server's pid is the spawned `ip netns exec` child's: ip execs the server in place. */
async function runStep(server: 'fieldboot' | 'dnsmasq', storageDir: string, rate: number): Promise<StepResult> {
  const dir = mkdtempSync(join(storageDir, `${server}-${rate}-`));
  const profileDir = server === 'fieldboot' && values.profile ? join(values.profile, `r${rate}`) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const srv = await startServer(server, dir, profileDir);
  try {
    const rcv0 = rcvbufErrors();
    const cpu0 = cpuTicks(srv.proc.pid!);
    const r = spawnSync('ip', ['netns', 'exec', CLI, 'perfdhcp', '-4', '-l', CLIENT_IF, '-r', String(rate), '-R', String(CLIENTS), '-p', String(PERIOD)], {
      encoding: 'utf8',
      timeout: (PERIOD + 30) * 1000,
    });
    const cpu1 = cpuTicks(srv.proc.pid!);
    const text = `${r.stdout}\n${r.stderr}`;
    const p = parsePerfdhcp(text);
    const rcv = rcvbufErrors() - rcv0;
    const exchanges = Math.max(1, p.request.received);
    const pass = p.discover.dropPct < MAX_DROP && p.request.dropPct < MAX_DROP && p.discover.sent > 0;
    if (!Number.isFinite(p.achieved)) process.stderr.write(`perfdhcp output not understood:\n${text}\n`);
    return { rate, ...p, rcvbufErrors: rcv, cpuMsPerExchange: ((cpu1 - cpu0) * 10) / exchanges, pass, exit: r.status ?? -1 };
  } finally {
    await stopServer(srv);
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(s: StepResult): string {
  const cells = [
    String(s.rate).padStart(5),
    s.achieved.toFixed(1).padStart(8),
    `${s.discover.dropPct.toFixed(2)}/${s.request.dropPct.toFixed(2)}`.padStart(12),
    `${s.discover.avgDelayMs.toFixed(2)}/${s.request.avgDelayMs.toFixed(2)}`.padStart(15),
    String(s.rcvbufErrors).padStart(7),
    s.cpuMsPerExchange.toFixed(3).padStart(8),
    s.pass ? 'pass' : 'FAIL',
  ];
  return cells.join('  ');
}
const HEADER = ' rate  achieved  drop DO/RA %  delay DO/RA ms  rcvbuf  cpu ms/x  <1%';

async function ladder(server: 'fieldboot' | 'dnsmasq', storageDir: string, label: string): Promise<{ best: number; steps: StepResult[] }> {
  const steps: StepResult[] = [];
  let best = 0;
  console.log(`\n${server}, leases on ${label}`);
  console.log(HEADER);
  for (const rate of RATES) {
    let s = await runStep(server, storageDir, rate);
    console.log(fmt(s));
    steps.push(s);
    if (!s.pass) {
      s = await runStep(server, storageDir, rate); // once more: a neighbour's burst can cost one step
      console.log(`${fmt(s)}  (repeat)`);
      steps.push(s);
    }
    if (!s.pass) break;
    best = rate;
  }
  return { best, steps };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)');
  const started = new Date();
  console.log(`DHCP benchmark ${started.toISOString()}: perfdhcp -R ${CLIENTS} -p ${PERIOD}, rates ${RATES.join(',')}/s, pass = drops < ${MAX_DROP} %`);
  console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`node ${process.version}; ${spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);
  setupNamespaces();
  const results: { storage: string; server: string; best: number }[] = [];
  const dirs: string[] = [];
  try {
    for (const storage of STORAGES) {
      const base = storage === 'disk' ? '/var/tmp' : '/dev/shm';
      const label = storage === 'disk' ? `disk (${base}, ext4)` : `tmpfs (${base})`;
      const dir = mkdtempSync(join(base, 'fb-dhcp-bench-'));
      dirs.push(dir);
      // Interleave: both servers per storage, back to back, so they see the same neighbours.
      for (const server of SERVERS) {
        const { best } = await ladder(server, dir, label);
        results.push({ storage, server, best });
      }
    }
  } finally {
    teardown();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  console.log('\nHighest rate with < 1 % drops (4-way exchanges/s requested):');
  console.log('| leases on | FieldBoot | dnsmasq | FieldBoot / dnsmasq |');
  console.log('|---|---:|---:|---:|');
  for (const storage of STORAGES) {
    const fb = results.find((r) => r.storage === storage && r.server === 'fieldboot')?.best;
    const dm = results.find((r) => r.storage === storage && r.server === 'dnsmasq')?.best;
    const ratio = fb !== undefined && dm ? (fb / dm).toFixed(2) : '-';
    console.log(`| ${storage} | ${fb ?? '-'} | ${dm ?? '-'} | ${ratio} |`);
  }
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    teardown();
    process.exit(130);
  });
}
main().catch((err: unknown) => {
  teardown();
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
