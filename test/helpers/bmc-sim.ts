/**
 * Simulated BMCs for the lab and UI tests: ipmi_sim (openipmi), each in its own namespace on a lab switch,
 * listening for IPMI over LAN on that namespace's address. Their chassis_control script records what the BMC
 * was told (power, boot device, with timestamps) into files a test reads back: the "real effect" of an action.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ClientNs, LabSwitch } from './netns';

/** At most 16 bytes and no spaces (ipmi_sim's config tokenizer splits quoted strings on spaces); the comma tests CSV quoting. */
export const BMC_SIM_PASSWORD = 's3cret,lab-pw#1';

export const CHASSIS_SH = `#!/bin/sh
# ipmi_sim chassis_control: <dir> <mc> get <param>...  |  <dir> <mc> set <param> <value>...
dir=$1; mc=$2; op=$3; shift 3
t0=$(date +%s.%N)
args="$*"
# "slow": answer after 0.6 s (or the seconds written in it), long enough to see two BMCs overlap, short of ipmitool's 1 s retransmit (ipmi_sim
# is single-threaded and would answer a retransmitted request twice).
if [ -s "$dir/slow" ]; then sleep "$(cat "$dir/slow")"; elif [ -e "$dir/slow" ]; then sleep 0.6; fi
if [ "$op" = get ]; then
  for p in "$@"; do
    v=$(sed -n "s/^$p=//p" "$dir/state" 2>/dev/null)
    case $p in power) echo "power:\${v:-0}";; boot) echo "boot:\${v:-none}";; *) echo "$p:\${v:-0}";; esac
  done
else
  while [ $# -ge 2 ]; do
    { grep -v "^$1=" "$dir/state" 2>/dev/null; echo "$1=$2"; } > "$dir/state.tmp"; mv "$dir/state.tmp" "$dir/state"
    shift 2
  done
fi
echo "$t0 $(date +%s.%N) $op $args" >> "$dir/log"
`;

export interface Bmc {
  name: string;
  ip: string;
  dir: string;
  ns: ClientNs;
  proc: ChildProcess;
  output(): string;
  state(): Record<string, string>;
  log(): { start: number; end: number; op: string; args: string }[];
  clearLog(): void;
}

/** Writes the chassis script into tmp (once) and starts one ipmi_sim at `ip` in a new namespace on the switch. */
export function startBmc(lab: LabSwitch, tmp: string, name: string, ip: string, password = BMC_SIM_PASSWORD): Bmc {
  const script = join(tmp, 'chassis.sh');
  if (!existsSync(script)) {
    writeFileSync(script, CHASSIS_SH);
    chmodSync(script, 0o755);
  }
  const ns = lab.addVethClient(name);
  ns.exec(['ip', 'addr', 'add', `${ip}/24`, 'dev', ns.ifname]);
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'sim-state'), { recursive: true });
  writeFileSync(
    join(dir, 'lan.conf'),
    `name "${name}"
set_working_mc 0x20
  startlan 1
    addr ${ip} 623
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${script} ${dir} 0x20"
user 2 true "admin" "${password}" admin 10 none md2 md5 straight
`,
  );
  writeFileSync(
    join(dir, 'sim.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n',
  );
  const proc = ns.spawn(['ipmi_sim', '-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'sim-state'), '-n']);
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return {
    output: () => output,
    name,
    ip,
    dir,
    ns,
    proc,
    state() {
      const p = join(dir, 'state');
      if (!existsSync(p)) return {};
      return Object.fromEntries(readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
    },
    log() {
      const p = join(dir, 'log');
      if (!existsSync(p)) return [];
      return readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => {
        const [start, end, op, ...args] = l.split(' ');
        return { start: Number(start), end: Number(end), op: op ?? '', args: args.join(' ') };
      });
    },
    clearLog() {
      writeFileSync(join(dir, 'log'), '');
    },
  };
}

export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the BMC listens on its address, port 623. */
export async function waitListening(b: Bmc): Promise<void> {
  await waitFor(() => b.ns.exec(['ss', '-Huln']).includes(`${b.ip}:623`), 10_000, `${b.name} to listen on ${b.ip}:623`).catch((err: Error) => {
    throw new Error(`${err.message}; ipmi_sim said: ${b.output()}`);
  });
}
