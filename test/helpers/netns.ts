/**
 * Network namespaces made by a test and removed by it. All test traffic stays inside them (or on loopback).
 *
 *   const lab = await createSwitch({ prefix: 'fbt', serverCidr: '192.168.77.1/24' });
 *   const c = await lab.addVethClient('c0');   // a client namespace with one veth port on the bridge
 *   lab.exec(['ip', 'addr']); await lab.destroy();
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function run(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface ClientNs {
  ns: string;
  /** The interface inside the client namespace. */
  ifname: string;
  exec(args: string[], opts?: { timeoutMs?: number }): string;
  spawn(args: string[], opts?: SpawnOptions): ChildProcess;
}

export interface LabSwitch {
  /** The "server" namespace holding the bridge (the laptop's side). */
  ns: string;
  bridge: string;
  serverIp: string;
  prefix: number;
  exec(args: string[], opts?: { timeoutMs?: number }): string;
  spawn(args: string[], opts?: SpawnOptions): ChildProcess;
  /** A tap device on the bridge (for QEMU). */
  addTap(name: string): string;
  /** A second namespace with a veth port on the bridge. */
  addVethClient(name: string): ClientNs;
  /** A second bridge with its own address, standing in for the office network. */
  addBridge(name: string, cidr: string | null): string;
  destroy(): void;
}

function nsExec(ns: string, args: string[], timeoutMs = 30_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function nsSpawn(ns: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export function createSwitch(opts: { prefix?: string; serverCidr?: string | null; bridge?: string } = {}): LabSwitch {
  const ns = uniqueName(opts.prefix ?? 'fb');
  const bridge = opts.bridge ?? 'br0';
  const cidr = opts.serverCidr === undefined ? '192.168.77.1/24' : opts.serverCidr;
  const extraNs: string[] = [];
  run(['ip', 'netns', 'add', ns]);
  try {
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', ns, 'link', 'add', bridge, 'type', 'bridge']);
    // Without these the bridge holds frames for 15 s (STP listening/learning).
    run(['ip', '-n', ns, 'link', 'set', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    run(['ip', '-n', ns, 'link', 'set', bridge, 'up']);
    if (cidr) run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', bridge]);
  } catch (err) {
    run(['ip', 'netns', 'del', ns]);
    throw err;
  }
  const [serverIp = '', prefixText = '24'] = (cidr ?? '/0').split('/');
  let vethCount = 0;
  const sw: LabSwitch = {
    ns,
    bridge,
    serverIp,
    prefix: Number(prefixText),
    exec: (args, o) => nsExec(ns, args, o?.timeoutMs),
    spawn: (args, o) => nsSpawn(ns, args, o),
    addTap(name) {
      run(['ip', '-n', ns, 'tuntap', 'add', 'dev', name, 'mode', 'tap']);
      run(['ip', '-n', ns, 'link', 'set', name, 'master', bridge]);
      run(['ip', '-n', ns, 'link', 'set', name, 'up']);
      return name;
    },
    addVethClient(name) {
      const cns = `${ns}-${name}`;
      run(['ip', 'netns', 'add', cns]);
      extraNs.push(cns);
      run(['ip', '-n', cns, 'link', 'set', 'lo', 'up']);
      const peer = `vp${vethCount++}${randomBytes(2).toString('hex')}`;
      run(['ip', 'link', 'add', name, 'netns', cns, 'type', 'veth', 'peer', 'name', peer, 'netns', ns]);
      run(['ip', '-n', ns, 'link', 'set', peer, 'master', bridge]);
      run(['ip', '-n', ns, 'link', 'set', peer, 'up']);
      run(['ip', '-n', cns, 'link', 'set', name, 'up']);
      return {
        ns: cns,
        ifname: name,
        exec: (args, o) => nsExec(cns, args, o?.timeoutMs),
        spawn: (args, o) => nsSpawn(cns, args, o),
      };
    },
    addBridge(name, bcidr) {
      run(['ip', '-n', ns, 'link', 'add', name, 'type', 'bridge']);
      run(['ip', '-n', ns, 'link', 'set', name, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
      run(['ip', '-n', ns, 'link', 'set', name, 'up']);
      if (bcidr) run(['ip', '-n', ns, 'addr', 'add', bcidr, 'dev', name]);
      return name;
    },
    destroy() {
      // Kill anything still running inside, then delete the namespaces.
      for (const n of [...extraNs, ns]) {
        try {
          const pids = run(['ip', 'netns', 'pids', n]).split(/\s+/).filter(Boolean);
          for (const p of pids) {
            try {
              process.kill(Number(p), 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
        } catch {
          /* namespace gone */
        }
        try {
          run(['ip', 'netns', 'del', n]);
        } catch {
          /* already deleted */
        }
      }
    },
  };
  return sw;
}
