/**
 * HTTP benchmark (issue 6, item 7): a 1 GiB file served from inside an ISO by FieldBoot vs nginx serving
 * the same file extracted, the same client (curl -o /dev/null), the same switch. Everything runs in network
 * namespaces this script creates and removes (test/helpers/netns.ts): a server namespace with a bridge
 * (192.168.77.1) and one client namespace on a veth port (192.168.77.2).
 *
 *   sudo bash bench/http/run.sh [--size-mb 1024] [--repeat 5] [--chunk-kb 256] [--nginx-sendfile on|off|both]
 *
 * Runs alternate between the servers (after one warm-up each) so drift from other load hits both alike.
 * Prints each run, the median throughput per server, and the ratio FieldBoot / nginx (target >= 0.8).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
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
    'chunk-kb': { type: 'string' },
    'nginx-sendfile': { type: 'string', default: 'on' },
  },
});
const SIZE = Number(values['size-mb']) * 1024 * 1024;
const REPEAT = Number(values.repeat);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_IP = '192.168.77.1';
const CLIENT_CIDR = '192.168.77.2/24';
const FILE = 'images/big.img';

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
    const r = spawnSync('ip', ['netns', 'exec', c.ns, 'curl', '-s', '-o', '/dev/null', '-I', url], { timeout: 5000 });
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
      spawnSync('mkdir', ['-p', join(dir, 'logs'), join(dir, 'tmp')]);
      const conf = join(dir, 'nginx.conf');
      // One worker: FieldBoot's server is one Node thread (plus libuv's file-read pool).
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

function fieldbootContender(iso: string): Contender {
  return {
    name: 'FieldBoot (from the ISO)',
    url: `http://${SERVER_IP}/iso/bench/${FILE}`,
    async start(sw) {
      const args = [process.execPath, '--import', 'tsx', join(repo, 'bench/http/serve-fieldboot.ts'), '--bind', SERVER_IP, '--port', '80', '--iso', iso, '--prefix', '/iso/bench/'];
      if (values['chunk-kb']) args.push('--chunk-kb', values['chunk-kb']);
      const child = sw.spawn(args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForLine(child, /ready/, 30_000);
      return child;
    },
  };
}

interface Run {
  seconds: number;
  bytes: number;
}

function fetchOnce(c: ClientNs, url: string): Run {
  const out = c.exec(['curl', '-sS', '-f', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url], { timeoutMs: 600_000 });
  const [t = '0', b = '0'] = out.trim().split(' ');
  return { seconds: Number(t), bytes: Number(b) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('needs root (network namespaces)');
  for (const c of ['nginx', 'xorriso', 'curl', 'sha256sum']) if (!hasCommand(c)) throw new Error(`missing ${c}`);
  const work = mkdtempSync(join(tmpdir(), 'fb-http-bench-'));
  let sw: LabSwitch | null = null;
  const children: ChildProcess[] = [];
  try {
    // The payload: random bytes (no sparse shortcuts for either server), written once, then mastered.
    const tree = join(work, 'tree');
    spawnSync('mkdir', ['-p', join(tree, 'images')]);
    const payload = join(tree, FILE);
    const fd = openSync(payload, 'w');
    const hash = createHash('sha256');
    for (let done = 0; done < SIZE; ) {
      const chunk = randomBytes(Math.min(16 << 20, SIZE - done));
      writeSync(fd, chunk);
      hash.update(chunk);
      done += chunk.length;
    }
    closeSync(fd);
    const want = hash.digest('hex');
    const iso = join(work, 'bench.iso');
    const t0 = Date.now();
    await mastering(tree, iso, { volumeId: 'HTTPBENCH' });
    console.log(`payload ${SIZE / 1048576} MiB, image mastered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    sw = createSwitch({ prefix: 'fbh', serverCidr: `${SERVER_IP}/24` });
    const client = sw.addVethClient('c0');
    client.exec(['ip', 'addr', 'add', CLIENT_CIDR, 'dev', client.ifname]);

    const sendfile = values['nginx-sendfile'];
    const contenders: Contender[] = [fieldbootContender(iso)];
    if (sendfile === 'on' || sendfile === 'both') contenders.push(nginxContender('on', tree));
    if (sendfile === 'off' || sendfile === 'both') contenders.push(nginxContender('off', tree));

    const runs = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
    // All servers run side by side on their own ports; idle ones cost nothing, and runs alternate.
    const pids = new Map<string, number | undefined>();
    for (const c of contenders) {
      const child = await c.start(sw, work);
      children.push(child);
      pids.set(c.name, child.pid);
      await waitForPort(client, c.url, 30_000);
      const sum = client.exec(['sh', '-c', `curl -sS -f ${c.url} | sha256sum`], { timeoutMs: 600_000 }).split(/\s/)[0];
      if (sum !== want) throw new Error(`${c.name}: sha256 mismatch (${sum} vs ${want})`);
      console.log(`${c.name}: sha256 ok (warm-up)`);
    }
    for (let i = 0; i < REPEAT; i++) {
      for (const c of contenders) {
        const r = fetchOnce(client, c.url);
        if (r.bytes !== SIZE) throw new Error(`${c.name}: got ${r.bytes} bytes, want ${SIZE}`);
        runs.get(c.name)?.push(r);
        console.log(`run ${i + 1} ${c.name}: ${r.seconds.toFixed(2)} s, ${(r.bytes / r.seconds / 1e6).toFixed(0)} MB/s`);
      }
    }
    const rss = new Map<string, number | null>([[contenders[0]?.name ?? '', peakRssMb(pids.get(contenders[0]?.name ?? ''))]]);
    console.log('');
    console.log(`| server | median time | median throughput | runs (MB/s) |`);
    console.log(`|---|---|---|---|`);
    const med = new Map<string, number>();
    for (const c of contenders) {
      const rs = runs.get(c.name) ?? [];
      const mbps = rs.map((r) => r.bytes / r.seconds / 1e6);
      med.set(c.name, median(mbps));
      console.log(`| ${c.name} | ${median(rs.map((r) => r.seconds)).toFixed(2)} s | ${median(mbps).toFixed(0)} MB/s | ${mbps.map((x) => x.toFixed(0)).join(', ')} |`);
    }
    const fb = med.get(contenders[0]?.name ?? '') ?? 0;
    for (const c of contenders.slice(1)) console.log(`ratio FieldBoot / ${c.name}: ${(fb / (med.get(c.name) ?? 1)).toFixed(2)} (throughput; target >= 0.8)`);
    const peak = rss.get(contenders[0]?.name ?? '');
    if (peak) console.log(`FieldBoot peak RSS: ${peak} MB`);
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
