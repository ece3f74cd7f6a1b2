/**
 * A tcpdump capture on the lab bridge (inside the lab namespace), and the TFTP kernel + initrd window read
 * back from it: dnsmasq logs "sent FILE to IP" only when a transfer ends, so the start of the kernel
 * transfer is taken from the wire instead, with the end from the same capture (one clock for both ends).
 *
 *   window = first RRQ naming the kernel  ->  last packet of the initrd's transfer (the client's final ACK)
 *
 * The capture runs for both setups of the benchmark, so both pay its CPU.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface Capture {
  stop(): Promise<void>;
}

/** Starts tcpdump on `iface` in namespace `ns`, writing headers only (snaplen 160) to `pcap`. */
export async function startCapture(ns: string, iface: string, pcap: string): Promise<Capture> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-n', '-s', '160', '-U', '-w', pcap, 'udp or tcp'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (err += d));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + 10_000;
  while (!/listening on/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tcpdump did not start: ${err.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

function readPcap(pcap: string, filter: string): string[] {
  const r = spawnSync('tcpdump', ['-r', pcap, '-tt', '-n', filter], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tcpdump -r failed: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean);
}

export interface TftpWindow {
  /** Epoch ms of the first read request naming the kernel. */
  startMs: number;
  /** Epoch ms of the last packet of the initrd's transfer. */
  endMs: number;
  packets: number;
  /** Epoch ms of the last read request before the kernel's (the loader's config file), if any. */
  previousRequestMs: number | null;
}

/** The kernel + initrd window of a TFTP boot, from a capture (see the top of this file). */
export function tftpWindow(pcap: string, kernel: string, initrd: string): TftpWindow {
  // "1732573467.123456 IP 192.168.77.100.2070 > 192.168.77.1.69: TFTP, length 50, RRQ "path" octet ..."
  const rrq = /^(\d+\.\d+) IP ([\d.]+)\.(\d+) > [\d.]+\.69: .*RRQ "([^"]+)"/;
  const requests = readPcap(pcap, 'udp dst port 69').flatMap((l) => {
    const m = rrq.exec(l);
    return m ? [{ ms: Number(m[1]) * 1000, ip: m[2] ?? '', port: Number(m[3]), file: (m[4] ?? '').replace(/^\/+/, '') }] : [];
  });
  const k = requests.find((r) => r.file === kernel);
  const i = requests.filter((r) => r.file === initrd).pop();
  if (!k || !i) throw new Error(`capture: no read request for ${!k ? kernel : initrd} (saw ${requests.map((r) => r.file).join(', ') || 'none'})`);
  // The initrd's transfer: every packet to or from the client's port of that request, after it.
  const lines = readPcap(pcap, `udp and host ${i.ip} and port ${i.port}`);
  const times = lines.map((l) => Number(l.slice(0, l.indexOf(' '))) * 1000).filter((t) => t >= i.ms);
  const last = times[times.length - 1];
  if (last === undefined) throw new Error('capture: no packets of the initrd transfer');
  const before = requests.filter((r) => r.ms < k.ms).pop();
  return { startMs: k.ms, endMs: last, packets: times.length, previousRequestMs: before?.ms ?? null };
}
