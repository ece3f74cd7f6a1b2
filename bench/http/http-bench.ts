/**
 * HTTP benchmark (issue 6, item 7): a 1 GiB file served from inside an ISO by FieldBoot vs nginx serving
 * the same file extracted, the same client (curl -o /dev/null), the same link. Everything runs in network
 * namespaces this script creates and removes (test/helpers/netns.ts): a server namespace with a bridge
 * (192.168.77.1) and one client namespace on a veth port (192.168.77.2).
 *
 *   sudo bash bench/http/run.sh [--size-mb 1024] [--repeat 5] [--concurrency 10] [--concurrent-repeat 3]
 *        [--nginx-sendfile on|off|both] [--chunk-kb 1024] [--copy-path] [--reuse DIR]
 *
 * FieldBoot runs as shipped: bodies by sendfile(2) through native/sendfile when `npm ci` built it (the
 * server prints which path it uses), else copied. `--copy-path` adds a second FieldBoot forced onto the
 * read/write copy loop, to compare the two paths side by side.
 *
 * Three cases, each alternating between the servers run by run (after one checked warm-up each), so drift
 * from other load hits all alike: the whole file, one byte range (the middle half), and N clients at once
 * fetching the whole file. Prints each run, the medians, the ratios FieldBoot / nginx (target >= 0.8), the
 * servers' CPU time per GiB sent, and their peak RSS.
 *
 * The page cache is warm for both servers: the warm-up reads the image (FieldBoot) and the extracted file
 * (nginx) once, and the machine has the memory to keep both. Neither is measured cold.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSwitch, type ClientNs, type LabSwitch } from '../../test/helpers/netns';
import { mastering } from '../../test/helpers/iso-builder';
import { hasCommand, isRoot } from '../../test/helpers/requirements';
import { peakRssMb } from '../proc-stats';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    repeat: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    'concurrent-repeat': { type: 'string', default: '3' },
    'chunk-kb': { type: 'string' },
    'nginx-sendfile': { type: 'string', default: 'on' },
    'copy-path': { type: 'boolean', default: false },
    /** Keep the payload and the image in DIR between runs (made if missing, never removed). */
    reuse: { type: 'string' },
  },
});
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const REPEAT = Number(values.repeat);
const CONCURRENCY = Number(values.concurrency);
const CONCURRENT_REPEAT = Number(values['concurrent-repeat']);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_IP = '192.168.77.1';
const CLIENT_CIDR = '192.168.77.2/24';
const FILE = 'images/big.img';
/** The range case: the middle half of the file, so it starts and ends away from any edge. */
const RANGE = { start: SIZE / 4, end: (3 * SIZE) / 4 - 1 };

interface Contender {
  name: string;
  url: string;
  start(sw: LabSwitch, work: string): Promise<ChildProcess>;
}

function waitForLine(child: ChildProcess, re: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server not ready after ${ms} ms: ${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${seen}`));
    });
  });
}

async function waitForPort(c: ClientNs, url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = spawnSync('ip', ['netns', 'exec', c.ns, 'curl', '-s', '-o', '/dev/null', '-r', '0-0', url], { timeout: 5000 });
    if (r.status === 0) return;
    if (Date.now() > deadline) throw new Error(`${url} not answering`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

function nginxContender(sendfile: 'on' | 'off', tree: string): Contender {
  const port = sendfile === 'on' ? 8080 : 8081;
  return {
    name: `nginx (sendfile ${sendfile})`,
    url: `http://${SERVER_IP}:${port}/${FILE}`,
    async start(sw, work) {
      const dir = join(work, `nginx-${sendfile}`);
      mkdirSync(join(dir, 'logs'), { recursive: true });
      mkdirSync(join(dir, 'tmp'), { recursive: true });
      const conf = join(dir, 'nginx.conf');
      // One worker, no master: FieldBoot's server is one Node thread (plus libuv's file-read pool), and the
      // process spawned is then the one serving (its RSS and CPU time are what is read).
      writeFileSync(
        conf,
        [
          'worker_processes 1;',
          'daemon off;',
          'master_process off;',
          `pid ${join(dir, 'nginx.pid')};`,
          `error_log ${join(dir, 'logs', 'error.log')} warn;`,
          'events { worker_connections 256; }',
          'http {',
          '  access_log off;',
          `  sendfile ${sendfile};`,
          '  tcp_nopush on;',
          `  client_body_temp_path ${join(dir, 'tmp', 'body')};`,
          `  proxy_temp_path ${join(dir, 'tmp', 'proxy')};`,
          `  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};`,
          `  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};`,
          `  scgi_temp_path ${join(dir, 'tmp', 'scgi')};`,
          '  types { application/octet-stream img; }',
          `  server { listen ${SERVER_IP}:${port}; root ${tree}; }`,
          '}',
          '',
        ].join('\n'),
      );
      const test = spawnSync('ip', ['netns', 'exec', sw.ns, 'nginx', '-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
      if (test.status !== 0) throw new Error(`nginx config refused: ${test.stderr}`);
      return sw.spawn(['nginx', '-p', dir, '-c', conf]);
    },
  };
}

/** FieldBoot's HttpServer over the image in place; `copy` forces the read/write copy path on port 8082. */
function fieldbootContender(iso: string, copy: boolean): Contender {
  const port = copy ? 8082 : 80;
  return {
    name: copy ? 'FieldBoot copy path (from the ISO)' : 'FieldBoot (from the ISO)',
    url: `http://${SERVER_IP}${copy ? `:${port}` : ''}/iso/bench/${FILE}`,
    async start(sw) {
      const args = [process.execPath, '--import', 'tsx', join(repo, 'bench/http/serve-fieldboot.ts'), '--bind', SERVER_IP, '--port', String(port), '--iso', iso, '--prefix', '/iso/bench/'];
      if (values['chunk-kb']) args.push('--chunk-kb', values['chunk-kb']);
      if (copy) args.push('--copy');
      const child = sw.spawn(args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.startsWith('body path:')) console.log(`${copy ? 'FieldBoot copy path' : 'FieldBoot'} ${line}`);
      });
      await waitForLine(child, /ready/, 30_000);
      return child;
    },
  };
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds a process has used so far (/proc/PID/stat fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

interface Run {
  seconds: number;
  bytes: number;
  /** Server CPU seconds spent during the run. */
  cpu: number;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One curl, timed by curl itself. */
function fetchOnce(c: ClientNs, url: string, range: string | null): { seconds: number; bytes: number } {
  const args = ['curl', '-sS', '-f', '-o', '/dev/null', '-w', '%{time_total} %{size_download}'];
  if (range) args.push('-r', range);
  const out = c.exec([...args, url], { timeoutMs: 600_000 });
  const [t = '0', b = '0'] = out.trim().split(' ');
  return { seconds: Number(t), bytes: Number(b) };
}

/**
 * N curl processes started together (N clients, one connection each); the wall time is from the first
 * start to the last end, measured inside the namespace by the shell. Each must get the whole file.
 */
function fetchConcurrent(c: ClientNs, url: string, n: number): { seconds: number; bytes: number } {
  const script = [
    't0=$(date +%s%N)',
    `for i in $(seq 1 ${n}); do curl -sS -f -o /dev/null -w '%{size_download}\\n' '${url}' & done`,
    'wait',
    'echo "wall $(( $(date +%s%N) - t0 ))"',
  ].join('\n');
  const out = c.exec(['sh', '-c', script], { timeoutMs: 900_000 });
  const lines = out.trim().split('\n');
  const wall = Number(/wall (\d+)/.exec(out)?.[1] ?? 0) / 1e9;
  const sizes = lines.filter((l) => /^\d+$/.test(l)).map(Number);
  if (sizes.length !== n || sizes.some((s) => s !== SIZE)) throw new Error(`${url}: ${n} clients at once got ${sizes.join(', ')} bytes`);
  return { seconds: wall, bytes: sizes.reduce((a, b) => a + b, 0) };
}

const mbps = (r: Run) => r.bytes / r.seconds / 1e6;

function report(title: string, contenders: Contender[], runs: Map<string, Run[]>): void {
  console.log('');
  console.log(`### ${title}`);
  console.log('');
  console.log('| server | median throughput | server CPU per GiB | runs (MB/s) |');
  console.log('|---|---|---|---|');
  for (const c of contenders) {
    const rs = runs.get(c.name) ?? [];
    const cpuPerGiB = median(rs.map((r) => (r.cpu * 1024 ** 3) / r.bytes));
    console.log(`| ${c.name} | ${median(rs.map(mbps)).toFixed(0)} MB/s | ${(cpuPerGiB * 1000).toFixed(0)} ms | ${rs.map((r) => mbps(r).toFixed(0)).join(', ')} |`);
  }
  const fb = median((runs.get(contenders[0]?.name ?? '') ?? []).map(mbps));
  for (const c of contenders.slice(1)) {
    const other = median((runs.get(c.name) ?? []).map(mbps));
    // Also the median of per-round ratios: each round's runs sat next to each other in time.
    const fbRuns = runs.get(contenders[0]?.name ?? '') ?? [];
    const paired = (runs.get(c.name) ?? []).map((r, i) => (fbRuns[i] ? mbps(fbRuns[i]) / mbps(r) : 0)).filter((x) => x > 0);
    console.log(`ratio FieldBoot / ${c.name}: ${(fb / other).toFixed(2)} (of medians), ${median(paired).toFixed(2)} (median of per-round ratios; target >= 0.8)`);
  }
}

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('needs root (network namespaces)');
  for (const c of ['nginx', 'xorriso', 'curl', 'sha256sum']) if (!hasCommand(c)) throw new Error(`missing ${c}`);
  const work = mkdtempSync(join(tmpdir(), 'fb-http-bench-'));
  const keep = values.reuse ?? null;
  const data = keep ?? work;
  mkdirSync(data, { recursive: true });
  let sw: LabSwitch | null = null;
  const children: ChildProcess[] = [];
  try {
    // The payload: random bytes (no sparse shortcuts for either server), written once, then mastered. The
    // extracted file (nginx's) and the image (FieldBoot's) both exist only until the end of the run: about
    // twice the payload on disk meanwhile, nothing after (unless --reuse keeps them for the next run).
    const tree = join(data, 'tree');
    const payload = join(tree, FILE);
    const iso = join(data, 'bench.iso');
    const hashes = join(data, 'sha256.json');
    let want: { whole: string; range: string };
    if (keep && existsSync(iso) && existsSync(hashes) && existsSync(payload)) {
      want = JSON.parse(readFileSync(hashes, 'utf8')) as { whole: string; range: string };
      console.log(`payload and image reused from ${keep}`);
    } else {
      mkdirSync(join(tree, 'images'), { recursive: true });
      const fd = openSync(payload, 'w');
      const whole = createHash('sha256');
      const part = createHash('sha256');
      for (let done = 0; done < SIZE; ) {
        const chunk = randomBytes(Math.min(16 << 20, SIZE - done));
        writeSync(fd, chunk);
        whole.update(chunk);
        const a = Math.max(RANGE.start, done) - done;
        const b = Math.min(RANGE.end + 1, done + chunk.length) - done;
        if (b > a) part.update(chunk.subarray(a, b));
        done += chunk.length;
      }
      closeSync(fd);
      want = { whole: whole.digest('hex'), range: part.digest('hex') };
      const t0 = Date.now();
      await mastering(tree, iso, { volumeId: 'HTTPBENCH' });
      writeFileSync(hashes, JSON.stringify(want));
      console.log(`payload ${SIZE / 1048576} MiB, image mastered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    sw = createSwitch({ prefix: 'fbh', serverCidr: `${SERVER_IP}/24` });
    const client = sw.addVethClient('c0');
    client.exec(['ip', 'addr', 'add', CLIENT_CIDR, 'dev', client.ifname]);

    const sendfile = values['nginx-sendfile'];
    const contenders: Contender[] = [fieldbootContender(iso, false)];
    if (sendfile === 'on' || sendfile === 'both') contenders.push(nginxContender('on', tree));
    if (sendfile === 'off' || sendfile === 'both') contenders.push(nginxContender('off', tree));
    if (values['copy-path']) contenders.push(fieldbootContender(iso, true));

    // All servers run side by side on their own ports; idle ones cost nothing, and runs alternate.
    const pids = new Map<string, number | undefined>();
    const rangeHeader = `${RANGE.start}-${RANGE.end}`;
    for (const c of contenders) {
      const child = await c.start(sw, work);
      children.push(child);
      pids.set(c.name, child.pid);
      await waitForPort(client, c.url, 30_000);
      const sum = client.exec(['sh', '-c', `curl -sS -f ${c.url} | sha256sum`], { timeoutMs: 600_000 }).split(/\s/)[0];
      if (sum !== want.whole) throw new Error(`${c.name}: sha256 mismatch (${sum} vs ${want.whole})`);
      const part = client.exec(['sh', '-c', `curl -sS -f -r ${rangeHeader} ${c.url} | sha256sum`], { timeoutMs: 600_000 }).split(/\s/)[0];
      if (part !== want.range) throw new Error(`${c.name}: sha256 of the range ${rangeHeader} differs`);
      console.log(`${c.name}: whole file and range sha256 ok (warm-up; page cache now warm)`);
    }

    const timed = (c: Contender, f: () => { seconds: number; bytes: number }): Run => {
      const pid = pids.get(c.name);
      const cpu0 = cpuSeconds(pid);
      const r = f();
      return { ...r, cpu: cpuSeconds(pid) - cpu0 };
    };
    const whole = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
    const ranged = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
    const crowd = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
    for (let i = 0; i < REPEAT; i++) {
      for (const c of contenders) {
        const r = timed(c, () => fetchOnce(client, c.url, null));
        if (r.bytes !== SIZE) throw new Error(`${c.name}: got ${r.bytes} bytes, want ${SIZE}`);
        whole.get(c.name)?.push(r);
        console.log(`whole ${i + 1} ${c.name}: ${r.seconds.toFixed(2)} s, ${mbps(r).toFixed(0)} MB/s, server CPU ${(r.cpu * 1000).toFixed(0)} ms`);
      }
      for (const c of contenders) {
        const r = timed(c, () => fetchOnce(client, c.url, rangeHeader));
        if (r.bytes !== RANGE.end - RANGE.start + 1) throw new Error(`${c.name}: range got ${r.bytes} bytes`);
        ranged.get(c.name)?.push(r);
        console.log(`range ${i + 1} ${c.name}: ${r.seconds.toFixed(2)} s, ${mbps(r).toFixed(0)} MB/s`);
      }
    }
    for (let i = 0; i < CONCURRENT_REPEAT && CONCURRENCY > 0; i++) {
      for (const c of contenders) {
        const r = timed(c, () => fetchConcurrent(client, c.url, CONCURRENCY));
        crowd.get(c.name)?.push(r);
        console.log(`${CONCURRENCY} at once ${i + 1} ${c.name}: ${r.seconds.toFixed(2)} s, ${mbps(r).toFixed(0)} MB/s in all`);
      }
    }

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log('');
    console.log(`## ${SIZE / 1048576} MiB, ${REPEAT} rounds (${CONCURRENT_REPEAT} with ${CONCURRENCY} clients), load average at the end ${load}`);
    report(`whole file, one client`, contenders, whole);
    report(`range ${rangeHeader} (${(RANGE.end - RANGE.start + 1) / 1048576} MiB), one client`, contenders, ranged);
    if (CONCURRENCY > 0) report(`${CONCURRENCY} clients at once, whole file each (throughput = all bytes / wall time)`, contenders, crowd);
    console.log('');
    for (const c of contenders) console.log(`peak RSS ${c.name}: ${peakRssMb(pids.get(c.name)) ?? '?'} MB`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    sw?.destroy();
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
