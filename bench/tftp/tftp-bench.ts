/**
 * TFTP benchmark (issue 4): the same 100 MB file, the same clients, the same switch, FieldBoot vs the C
 * servers. Everything runs in network namespaces this script creates and removes (test/helpers/netns.ts):
 * a server namespace with a bridge (192.168.77.1) and one client namespace on a veth port (192.168.77.2).
 *
 *   sudo bash bench/tftp/run.sh [--size-mb 100] [--repeat 3] [--with-512] [--parallel 20]
 *
 * (tftpd-hpa is not in the list: on Debian 12 with atftpd installed, /usr/sbin/in.tftpd is a link to atftpd.)
 * Prints one line per (server, client) with the median time and MB/s, then FieldBoot/reference ratios
 * (time ratio: below 1.00 means FieldBoot is faster).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSwitch, type ClientNs, type LabSwitch } from '../../test/helpers/netns';
import { hasCommand, isRoot } from '../../test/helpers/requirements';
import { peakRssMb } from '../proc-stats';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '100' },
    repeat: { type: 'string', default: '3' },
    'with-512': { type: 'boolean', default: false },
    parallel: { type: 'string', default: '20' },
    'parallel-mb': { type: 'string', default: '20' },
    servers: { type: 'string', default: 'fieldboot,fieldboot-js,dnsmasq,atftpd' },
    /** Comma list of client keys: curl, w8, w16 (and 512 with --with-512). Default: all. */
    clients: { type: 'string' },
    /**
     * A second FieldBoot checkout (e.g. `git worktree add /tmp/fb-base HEAD~3` + a node_modules link) run as
     * server "baseline" in the same rounds, so a change is measured against its parent on the same load.
     */
    baseline: { type: 'string' },
  },
});
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const REPEAT = Number(values.repeat);
const PARALLEL = Number(values.parallel);
const PARALLEL_SIZE = Number(values['parallel-mb']) * 1024 * 1024;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_IP = '192.168.77.1';
const CLIENT_CIDR = '192.168.77.2/24';

interface ServerDef {
  name: string;
  command: string;
  args: (root: string, work: string) => string[];
  /** A line on stdout/stderr that says it is ready; otherwise wait a fixed delay. */
  ready?: RegExp;
  /** Added to the server's environment. */
  env?: Record<string, string>;
}

const fieldbootServer = (name: string, checkout: string, env?: Record<string, string>): ServerDef => ({
  name,
  command: process.execPath,
  args: (root) => ['--import', 'tsx', join(checkout, 'bench/tftp/serve-fieldboot.ts'), '--bind', SERVER_IP, '--port', '69', '--root', root],
  ready: /ready/,
  env,
});

const SERVERS: ServerDef[] = [
  fieldbootServer('fieldboot', repo),
  // The same server with lock-step transfers kept in JavaScript (no native addon): what macOS and Windows get.
  fieldbootServer('fieldboot-js', repo, { FIELDBOOT_TFTP_NATIVE: '0' }),
  ...(values.baseline ? [fieldbootServer('baseline', values.baseline)] : []),
  {
    name: 'dnsmasq',
    command: 'dnsmasq',
    args: (root, work) => ['-d', '--conf-file=/dev/null', '--port=0', '--enable-tftp', `--tftp-root=${root}`, '--interface=br0', '--bind-interfaces', '--user=root', `--pid-file=${join(work, 'dnsmasq.pid')}`],
  },
  {
    name: 'atftpd',
    command: 'atftpd',
    args: (root) => ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--logfile', '/dev/null', '--port', '69', '--bind-address', SERVER_IP, root],
  },
];

interface ClientDef {
  key: string;
  name: string;
  args: (file: string, out: string) => string[];
}

const CLIENTS: ClientDef[] = [
  { key: 'curl', name: 'curl blksize 1468 (lock-step)', args: (f, o) => ['curl', '-sS', '--max-time', '300', `tftp://${SERVER_IP}/${f}`, '--tftp-blksize', '1468', '-o', o] },
  { key: 'w8', name: 'atftp 1468 windowsize 8', args: (f, o) => ['atftp', '--option', 'blksize 1468', '--option', 'tsize 0', '--option', 'windowsize 8', '-g', '-r', f, '-l', o, SERVER_IP, '69'] },
  { key: 'w16', name: 'atftp 1468 windowsize 16', args: (f, o) => ['atftp', '--option', 'blksize 1468', '--option', 'tsize 0', '--option', 'windowsize 16', '-g', '-r', f, '-l', o, SERVER_IP, '69'] },
];
if (values['with-512']) {
  CLIENTS.push({ key: '512', name: 'tftp-hpa 512, no options', args: (f, o) => ['tftp', SERVER_IP, '69', '-m', 'binary', '-c', 'get', f, o] });
}

function writeRandomFile(path: string, size: number): string {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  const block = 1 << 20;
  for (let done = 0; done < size; done += block) {
    const b = randomBytes(Math.min(block, size - done));
    hash.update(b);
    writeSync(fd, b);
  }
  closeSync(fd);
  return hash.digest('hex');
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function startServer(lab: LabSwitch, def: ServerDef, root: string, work: string): Promise<ChildProcess> {
  const child = lab.spawn([def.command, ...def.args(root, work)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...def.env } });
  let output = '';
  const onData = (d: Buffer) => (output += d.toString());
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${def.name} exited: ${output.trim()}`);
    if (def.ready ? def.ready.test(output) : Date.now() > deadline - 19_000) break;
    if (Date.now() > deadline) throw new Error(`${def.name} did not get ready: ${output.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

function timeClient(client: ClientNs, args: string[], out: string, expectSha: string): number | string {
  rmSync(out, { force: true });
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', client.ns, ...args], { encoding: 'utf8', timeout: 320_000 });
  const ms = performance.now() - t0;
  if (!existsSync(out)) return `FAIL (${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop()})`;
  const sum = sha256File(out);
  rmSync(out, { force: true });
  if (sum !== expectSha) return `FAIL (checksum, exit ${r.status})`;
  return ms;
}

async function timeParallel(client: ClientNs, n: number, file: string, outDir: string, expectSha: string): Promise<number | string> {
  const t0 = performance.now();
  const runs = Array.from({ length: n }, (_, i) => {
    const out = join(outDir, `par-${i}`);
    return new Promise<string>((resolve) => {
      const c = client.spawn(['curl', '-sS', '--max-time', '300', `tftp://${SERVER_IP}/${file}`, '--tftp-blksize', '1468', '-o', out]);
      c.on('exit', () => {
        const ok = existsSync(out) && sha256File(out) === expectSha;
        rmSync(out, { force: true });
        resolve(ok ? 'ok' : 'bad');
      });
    });
  });
  const results = await Promise.all(runs);
  const ms = performance.now() - t0;
  const bad = results.filter((r) => r !== 'ok').length;
  return bad ? `FAIL (${bad}/${n} wrong)` : ms;
}

const clients = values.clients ? CLIENTS.filter((c) => values.clients?.split(',').includes(c.key)) : CLIENTS;

/** user + system CPU of a process and its threads, in ms (/proc/PID/stat fields 14 and 15, 100 Hz ticks). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('needs root (network namespaces)');
  const servers = SERVERS.filter((s) => (s.name === 'baseline' || values.servers.split(',').includes(s.name)) && (s.command === process.execPath || hasCommand(s.command)));
  const work = mkdtempSync(join(tmpdir(), 'fb-tftp-bench-'));
  chmodSync(work, 0o755);
  const root = join(work, 'root');
  spawnSync('mkdir', ['-p', root]);
  chmodSync(root, 0o755);
  const outDir = join(work, 'out');
  spawnSync('mkdir', ['-p', outDir]);
  console.log(`# writing ${SIZE / 1048576} MB and ${PARALLEL_SIZE / 1048576} MB random files`);
  const sha = writeRandomFile(join(root, 'big.bin'), SIZE);
  const parSha = writeRandomFile(join(root, 'par.bin'), PARALLEL_SIZE);
  chmodSync(join(root, 'big.bin'), 0o644);
  chmodSync(join(root, 'par.bin'), 0o644);

  const lab = createSwitch({ prefix: 'fbtb', serverCidr: `${SERVER_IP}/24` });
  const results = new Map<string, Map<string, number | string>>();
  let perRound = new Map<string, number[]>();
  try {
    const client = lab.addVethClient('c0');
    client.exec(['ip', 'addr', 'add', CLIENT_CIDR, 'dev', client.ifname]);
    console.log(`# switch ${lab.ns}: server ${SERVER_IP} on ${lab.bridge}, client ${CLIENT_CIDR} on a veth port; ${REPEAT} runs each, median`);
    // Rounds alternate the servers (each round: every server, every client) so that a change in the
    // machine's load hits all of them alike; the median is taken per (server, client) over the rounds.
    const times = new Map<string, number[]>();
    /** Server CPU (user + system) per transfer: less sensitive to the load of a shared machine than time. */
    const cpuTimes = new Map<string, number[]>();
    const failures = new Map<string, string>();
    const key = (server: string, clientName: string) => `${server}\u0000${clientName}`;
    const parallelName = `${PARALLEL} x curl 1468 in parallel`;
    const rss = new Map<string, number | null>();
    for (let round = 0; round < REPEAT; round++) {
      for (const def of servers) {
        const child = await startServer(lab, def, root, work);
        try {
          for (const c of clients) {
            if (failures.has(key(def.name, c.name))) continue;
            const cpu0 = cpuMs(child.pid);
            const r = timeClient(client, c.args('big.bin', join(outDir, 'big.out')), join(outDir, 'big.out'), sha);
            const cpu = cpuMs(child.pid) - cpu0;
            if (typeof r === 'string') failures.set(key(def.name, c.name), r);
            else times.set(key(def.name, c.name), [...(times.get(key(def.name, c.name)) ?? []), r]);
            cpuTimes.set(key(def.name, c.name), [...(cpuTimes.get(key(def.name, c.name)) ?? []), cpu]);
            console.log(`# round ${round + 1} ${def.name.padEnd(10)} ${c.name.padEnd(32)} ${typeof r === 'number' ? `${(r / 1000).toFixed(2)} s` : r}  server CPU ${cpu} ms`);
          }
          if (PARALLEL > 0 && round === 0) {
            const v = await timeParallel(client, PARALLEL, 'par.bin', outDir, parSha);
            if (typeof v === 'string') failures.set(key(def.name, parallelName), v);
            else times.set(key(def.name, parallelName), [v]);
            if (def.name.startsWith('fieldboot') || def.name === 'baseline') rss.set(def.name, peakRssMb(child.pid));
          }
        } finally {
          await stopServer(child);
        }
      }
    }
    perRound = times;
    console.log(`\n# median of ${REPEAT} rounds [all runs]`);
    for (const def of servers) {
      const row = new Map<string, number | string>();
      results.set(def.name, row);
      for (const c of clients) {
        const k = key(def.name, c.name);
        const ts = times.get(k) ?? [];
        const v = failures.get(k) ?? median(ts);
        row.set(c.name, v);
        const cpus = cpuTimes.get(k) ?? [];
        console.log(`${def.name.padEnd(10)} ${c.name.padEnd(32)} ${typeof v === 'number' ? `${(v / 1000).toFixed(2)} s  ${(SIZE / 1048576 / (v / 1000)).toFixed(1)} MB/s  [${ts.map((t) => (t / 1000).toFixed(2)).join(', ')}]` : v}  server CPU median ${median(cpus)} ms [${cpus.join(', ')}]`);
      }
      if (PARALLEL > 0) {
        const k = key(def.name, parallelName);
        const v = failures.get(k) ?? times.get(k)?.[0] ?? NaN;
        row.set(parallelName, v);
        const r = rss.get(def.name);
        console.log(`${def.name.padEnd(10)} ${parallelName.padEnd(32)} ${typeof v === 'number' ? `${(v / 1000).toFixed(2)} s  ${((PARALLEL * PARALLEL_SIZE) / 1048576 / (v / 1000)).toFixed(1)} MB/s total` : v}${r != null ? `  peak RSS ${r} MB` : ''}`);
      }
    }
  } finally {
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  }

  const fb = results.get('fieldboot');
  if (!fb) return;
  console.log('\n# ratios: FieldBoot time / reference time (below 1.00: FieldBoot faster); median of the medians, then the median of per-round ratios [each round]');
  for (const [name, row] of results) {
    if (name === 'fieldboot') continue;
    for (const [clientName, ref] of row) {
      const mine = fb.get(clientName);
      const ratio = typeof mine === 'number' && typeof ref === 'number' ? (mine / ref).toFixed(2) : 'n/a';
      const a = perRound.get(`fieldboot\u0000${clientName}`) ?? [];
      const b = perRound.get(`${name}\u0000${clientName}`) ?? [];
      const rounds = a.length === b.length && a.length > 1 ? a.map((t, i) => t / (b[i] ?? NaN)) : [];
      const roundText = rounds.length ? `   per round ${median(rounds).toFixed(2)} [${rounds.map((r) => r.toFixed(2)).join(', ')}]` : '';
      console.log(`fieldboot/${name.padEnd(10)} ${clientName.padEnd(32)} ${ratio}${roundText}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
