/**
 * Checks before serving: are the ports free on the serving address (and who holds one), may this process
 * bind them, and does the host firewall let PXE clients in. Each check is a pure parser of a command's
 * output (unit-tested with captured outputs) plus a thin runner. Linux is measured here; the Windows
 * netstat / netsh paths and macOS lsof are written from their manuals and untested.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { PreflightStatus, type PortHolder, type PreflightCheck, type PreflightReport, type PreflightRequest } from '../../../shared/model/preflight';
import { DEFAULT_PORTS, DhcpMode } from '../../../shared/model/serve-config';
import type { NetworkInterfaceInfo } from '../../../shared/model/network';
import { nowIso } from '../../../shared/model/engine-event';
import { parseCidr } from './interface-address';
import { formatIpv4 } from '../../../shared/net/ipv4';

const execFileAsync = promisify(execFile);

export type Protocol = 'udp' | 'tcp';

export interface PortNeed {
  protocol: Protocol;
  port: number;
  /** What FieldBoot serves on it, for the technician. */
  service: string;
}

/** The ports a session binds for this DHCP mode (ports from the settings, else the well-known ones). */
export function neededPorts(
  mode: DhcpMode,
  ports: { dhcpPort?: number; proxyPort?: number; tftpPort?: number; httpPort?: number; ftpPort?: number; ftp?: boolean } = {},
): PortNeed[] {
  const out: PortNeed[] = [];
  // RFC 2131 section 4.1 (67), PXE spec 2.1 section 2.2.2 (4011, proxyDHCP), RFC 1350 (69), RFC 9110 (80), RFC 959 (21).
  if (mode !== DhcpMode.Off) out.push({ protocol: 'udp', port: ports.dhcpPort ?? DEFAULT_PORTS.dhcp, service: 'DHCP' });
  if (mode === DhcpMode.Proxy) out.push({ protocol: 'udp', port: ports.proxyPort ?? DEFAULT_PORTS.proxy, service: 'proxyDHCP' });
  out.push({ protocol: 'udp', port: ports.tftpPort ?? DEFAULT_PORTS.tftp, service: 'TFTP' });
  out.push({ protocol: 'tcp', port: ports.httpPort ?? DEFAULT_PORTS.http, service: 'HTTP' });
  if (ports.ftp !== false) out.push({ protocol: 'tcp', port: ports.ftpPort ?? DEFAULT_PORTS.ftp, service: 'FTP' });
  return out;
}

// ---------------------------------------------------------------------------------------------- listeners

export interface Listener {
  protocol: Protocol;
  /** Without brackets or %device: "0.0.0.0", "*", "::", "192.168.77.1". */
  address: string;
  /** The device a socket is bound to ("0.0.0.0%br0"), if any. */
  device: string | null;
  port: number;
  process: string | null;
  pid: number | null;
}

/** Splits "addr:port" as ss prints it: "0.0.0.0%br0:67", "*:4011", "[::]:80", "[::ffff:10.0.0.1]:80". */
export function splitSocketAddress(text: string): { address: string; device: string | null; port: number } | null {
  const i = text.lastIndexOf(':');
  if (i <= 0) return null;
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  let host = text.slice(0, i);
  let device: string | null = null;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const pct = host.indexOf('%');
  if (pct >= 0) {
    device = host.slice(pct + 1) || null;
    host = host.slice(0, pct);
  }
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7);
  return { address: host, device, port };
}

/**
 * `ss -Hlnptu` (iproute2): "udp UNCONN 0 0 0.0.0.0%br0:67 0.0.0.0:* users:(("python3",pid=31042,fd=6))".
 * The process column is missing for other users' sockets unless run as root.
 */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const netid = cols[0];
    if (netid !== 'udp' && netid !== 'tcp') continue;
    const local = cols[4];
    const where = local ? splitSocketAddress(local) : null;
    if (!where) continue;
    const users = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(line);
    out.push({ protocol: netid, ...where, process: users?.[1] ?? null, pid: users?.[2] ? Number(users[2]) : null });
  }
  return out;
}

/**
 * Windows `netstat -ano` (untested here): "  UDP    0.0.0.0:69    *:*    1234" and
 * "  TCP    0.0.0.0:80    0.0.0.0:0    LISTENING    4". Process names come from `tasklist` (names map).
 */
export function parseNetstatListeners(text: string, names: ReadonlyMap<number, string> = new Map()): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const proto = cols[0]?.toLowerCase();
    if (proto !== 'udp' && proto !== 'tcp') continue;
    if (proto === 'tcp' && cols[3] !== 'LISTENING') continue;
    const where = cols[1] ? splitSocketAddress(cols[1]) : null;
    const pid = Number(cols[cols.length - 1]);
    if (!where || !Number.isInteger(pid)) continue;
    out.push({ protocol: proto, ...where, process: names.get(pid) ?? null, pid });
  }
  return out;
}

/** `tasklist /FO CSV /NH`: "\"svchost.exe\",\"1234\",..." -> pid -> name (untested here). */
export function parseTasklist(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^"([^"]*)","(\d+)"/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(Number(m[2]), m[1]);
  }
  return out;
}

/** `lsof -nP -iUDP -iTCP -sTCP:LISTEN` on macOS (untested here): "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME". */
export function parseLsofListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const node = cols[7];
    if (node !== 'UDP' && node !== 'TCP') continue;
    const name = cols[8];
    const where = name ? splitSocketAddress(name) : null;
    if (!where) continue;
    out.push({ protocol: node === 'UDP' ? 'udp' : 'tcp', ...where, process: cols[0] ?? null, pid: Number(cols[1]) || null });
  }
  return out;
}

const WILDCARDS: ReadonlySet<string> = new Set(['*', '0.0.0.0', '::']);

/**
 * Would this listener stop FieldBoot binding the port on serverIp? A wildcard socket does (the kernel
 * refuses a specific bind beside a wildcard one without SO_REUSEADDR), unless it is bound to another
 * device; so does one on the serving address itself. Unknown serverIp: any non-loopback listener might.
 */
export function blocks(listener: Listener, need: PortNeed, serverIp: string | null, ifname: string): boolean {
  if (listener.protocol !== need.protocol || listener.port !== need.port) return false;
  if (listener.device && listener.device !== ifname) return false;
  if (WILDCARDS.has(listener.address)) return true;
  if (serverIp === null) return !listener.address.startsWith('127.') && listener.address !== '::1';
  return listener.address === serverIp;
}

/** One check per needed port: ok, or blocking with the holders named. */
export function portChecks(needs: readonly PortNeed[], listeners: readonly Listener[] | null, serverIp: string | null, ifname: string, commandLines: ReadonlyMap<number, string> = new Map()): PreflightCheck[] {
  return needs.map((need) => {
    const id = `port-${need.protocol}-${need.port}`;
    const title = `${need.service} port ${need.port}/${need.protocol}`;
    if (listeners === null) return { id, title, status: PreflightStatus.Warning, detail: 'Could not list the ports in use on this system.' };
    const holders: PortHolder[] = listeners
      .filter((l) => blocks(l, need, serverIp, ifname))
      .map((l) => {
        const cmd = l.pid !== null ? commandLines.get(l.pid) : undefined;
        return { protocol: l.protocol, port: l.port, address: l.device ? `${l.address}%${l.device}` : l.address, process: l.process, pid: l.pid, ...(cmd ? { commandLine: cmd } : {}) };
      });
    if (holders.length === 0) return { id, title, status: PreflightStatus.Ok, detail: `Free${serverIp ? ` on ${serverIp}` : ''}.` };
    const who = holders.map(describeHolder).join('; ');
    const pids = [...new Set(holders.map((h) => h.pid).filter((p): p is number => p !== null))];
    return {
      id,
      title,
      status: PreflightStatus.Blocking,
      detail: `In use by ${who}.`,
      fix: pids.length
        ? `Stop ${holders[0]?.process ?? 'that program'} (for example: kill ${pids.join(' ')}), or pick another ${need.service} port in Settings.`
        : `Stop the program listening on ${need.port}/${need.protocol} (run as administrator to see its name), or pick another port in Settings.`,
      holders,
    };
  });
}

export function describeHolder(h: PortHolder): string {
  const name = h.process ? `${h.process}${h.pid !== null ? ` (pid ${h.pid})` : ''}` : 'a program this user cannot see (pid hidden)';
  const cmd = h.commandLine && h.commandLine !== h.process ? `, "${h.commandLine}"` : '';
  return `${name}${cmd} on ${h.address}:${h.port}`;
}

// --------------------------------------------------------------------------------------------- privileges

/** Linux capability numbers (linux/capability.h). */
export const Capability = { NetBindService: 10, NetAdmin: 12, NetRaw: 13 } as const;

/** The CapEff mask from /proc/PID/status, or null. */
export function parseCapEff(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  return m?.[1] ? BigInt(`0x${m[1]}`) : null;
}

export function hasCapability(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

export interface PrivilegeFacts {
  platform: NodeJS.Platform;
  uid: number | null;
  capEff: bigint | null;
  /** /proc/sys/net/ipv4/ip_unprivileged_port_start (Linux 4.11+; default 1024). */
  unprivilegedPortStart: number | null;
  /** Windows: is the process elevated (null: unknown). */
  elevated?: boolean | null;
}

/** Can this process bind the ports (and assign an address)? */
export function privilegeCheck(facts: PrivilegeFacts, needs: readonly PortNeed[], assigning: boolean): PreflightCheck {
  const id = 'privileges';
  const title = 'Privileges';
  const lowest = Math.min(...needs.map((n) => n.port));
  if (facts.platform === 'win32') {
    // Windows lets anyone bind low ports; the firewall prompt and netsh need elevation (untested here).
    if (facts.elevated === false && assigning) return { id, title, status: PreflightStatus.Blocking, detail: 'Not running as administrator: the address cannot be assigned.', fix: 'Start FieldBoot as administrator.' };
    return { id, title, status: PreflightStatus.Ok, detail: 'Windows lets programs open ports below 1024.' };
  }
  if (facts.uid === 0) return { id, title, status: PreflightStatus.Ok, detail: 'Running as root.' };
  if (facts.platform !== 'linux') {
    return lowest < 1024
      ? { id, title, status: PreflightStatus.Blocking, detail: `Not running as root: ports below 1024 (${lowest}) need administrator rights.`, fix: 'Run FieldBoot with sudo, or let it start its privileged engine.' }
      : { id, title, status: PreflightStatus.Ok, detail: 'Only ports above 1024 are used.' };
  }
  const mask = facts.capEff ?? 0n;
  const missing: string[] = [];
  const start = facts.unprivilegedPortStart ?? 1024;
  if (lowest < start && !hasCapability(mask, Capability.NetBindService)) missing.push(`CAP_NET_BIND_SERVICE (port ${lowest} is below ${start})`);
  // SO_BINDTODEVICE, which the DHCP server uses to stay on the chosen interface, needs CAP_NET_RAW.
  if (needs.some((n) => n.service === 'DHCP') && !hasCapability(mask, Capability.NetRaw)) missing.push('CAP_NET_RAW (DHCP binds to the interface)');
  if (assigning && !hasCapability(mask, Capability.NetAdmin)) missing.push('CAP_NET_ADMIN (to assign the address)');
  if (missing.length === 0) return { id, title, status: PreflightStatus.Ok, detail: 'Not root, but has the capabilities it needs.' };
  return {
    id,
    title,
    status: PreflightStatus.Blocking,
    detail: `Missing ${missing.join(', ')}.`,
    fix: 'Run FieldBoot with sudo (or let it start its privileged engine), or grant the capabilities: sudo setcap cap_net_bind_service,cap_net_raw,cap_net_admin+ep "$(readlink -f "$(which node)")"',
  };
}

// ---------------------------------------------------------------------------------------------- firewall

/** What a packet looks like to the firewall: a new connection / datagram to one port on the interface. */
export interface Probe {
  protocol: Protocol;
  port: number;
  iface: string;
}

type Verdict = 'accept' | 'drop' | 'reject' | 'return' | { jump: string } | { goto: string } | null;

interface Rule {
  /** Does this rule match the probe: true, false, or null when it tests something we do not read. */
  matches(p: Probe): boolean | null;
  verdict: Verdict;
  text: string;
}

interface Chain {
  name: string;
  /** Base chains hooked to input carry a policy; user chains do not. */
  policy: 'accept' | 'drop' | null;
  rules: Rule[];
  /** nft only: the table's family and name, for the fix command. */
  family?: string;
  table?: string;
}

export interface FirewallRuleset {
  tool: 'nft' | 'iptables';
  /** Every input base chain; a packet must pass all of them (nft evaluates each hooked chain). */
  inputChains: string[];
  chains: Map<string, Chain>;
}

/** "67", "{ 67, 69 }", "8000-8100", "60:70", "67,69,4011" -> ranges. */
function parsePortSet(text: string): [number, number][] | null {
  const parts = text.replace(/[{}]/g, ' ').split(/[\s,]+/).filter(Boolean);
  const out: [number, number][] = [];
  for (const p of parts) {
    const m = /^(\d+)(?:[-:](\d+))?$/.exec(p);
    if (!m) return null; // a named service ("tftp") or a set reference ("@ports"): not read
    out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return out;
}

function nameMatches(pattern: string, iface: string): boolean {
  // nft: trailing "*"; iptables: trailing "+".
  if (pattern.endsWith('*') || pattern.endsWith('+')) return iface.startsWith(pattern.slice(0, -1));
  return pattern === iface;
}

/** Builds a rule from "does it match" tests; any test returning null makes the whole match unknown. */
function rule(tests: ((p: Probe) => boolean | null)[], verdict: Verdict, text: string): Rule {
  return {
    verdict,
    text,
    matches(p) {
      let unknown = false;
      for (const t of tests) {
        const r = t(p);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    },
  };
}

const UNKNOWN = (): null => null;

/** Reads one nft rule statement line (as `nft list ruleset` prints it). */
export function parseNftRule(line: string): Rule {
  const tests: ((p: Probe) => boolean | null)[] = [];
  // Quoted strings and braced sets are single tokens.
  const tokens = line.match(/"[^"]*"|\{[^}]*\}|\S+/g) ?? [];
  let verdict: Verdict = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const next = tokens[i + 1] ?? '';
    const unquote = (s: string) => s.replace(/^"|"$/g, '');
    if (t === 'accept' || t === 'drop' || t === 'reject' || t === 'return') {
      verdict = t;
      break;
    }
    if ((t === 'jump' || t === 'goto') && next) {
      verdict = t === 'jump' ? { jump: next } : { goto: next };
      break;
    }
    if (t === 'counter') {
      // "counter packets 0 bytes 0"
      if (tokens[i + 1] === 'packets') i += 4;
      continue;
    }
    if (t === 'log' || t === 'comment') {
      // "log prefix \"x\" level info", "comment \"x\"": no match, no verdict
      while (i + 1 < tokens.length && !['accept', 'drop', 'reject', 'jump', 'goto', 'return', 'counter'].includes(tokens[i + 1] ?? '')) i++;
      continue;
    }
    if (t === 'iif' || t === 'iifname') {
      const set = next.startsWith('{') ? next.replace(/[{}]/g, '').split(',').map((s) => unquote(s.trim())) : [unquote(next)];
      tests.push((p) => set.some((s) => nameMatches(s, p.iface)));
      i++;
      continue;
    }
    if (t === 'oif' || t === 'oifname') {
      i++;
      continue;
    }
    if ((t === 'udp' || t === 'tcp' || t === 'th') && (next === 'dport' || next === 'sport')) {
      const value = tokens[i + 2] ?? '';
      const negate = value === '!=';
      const setText = negate ? (tokens[i + 3] ?? '') : value;
      const ranges = parsePortSet(setText);
      const proto = t;
      const isDport = next === 'dport';
      tests.push((p) => {
        if (proto !== 'th' && p.protocol !== proto) return false;
        if (!isDport) return null;
        if (!ranges) return null;
        const inSet = ranges.some(([a, b]) => p.port >= a && p.port <= b);
        return negate ? !inSet : inSet;
      });
      i += negate ? 3 : 2;
      continue;
    }
    if ((t === 'meta' && next === 'l4proto') || (t === 'ip' && next === 'protocol')) {
      const value = tokens[i + 2] ?? '';
      const set = value.replace(/[{}]/g, ' ').split(/[\s,]+/).filter(Boolean);
      tests.push((p) => set.includes(p.protocol));
      i += 2;
      continue;
    }
    if (t === 'ct' && (next === 'state' || next === 'status')) {
      const value = tokens[i + 2] ?? '';
      if (value === 'vmap') {
        // "ct state vmap { invalid : drop, established : accept, related : accept }": a new packet hits no key.
        const map = tokens[i + 3] ?? '';
        tests.push(() => /\bnew\s*:/.test(map) ? null : false);
        i += 3;
        continue;
      }
      const negate = value === '!=';
      const set = (negate ? (tokens[i + 3] ?? '') : value).replace(/[{}]/g, ' ').split(/[\s,]+/).filter(Boolean);
      // The probe is a new, valid, un-NATed packet.
      const matchesNew = next === 'state' ? set.includes('new') : false;
      tests.push(() => (negate ? !matchesNew : matchesNew));
      i += negate ? 3 : 2;
      continue;
    }
    if (t === 'icmp' || t === 'icmpv6' || t === 'ip6') {
      tests.push(() => false);
      break;
    }
    if (t === 'vmap' || t === 'map') {
      tests.push(UNKNOWN);
      break;
    }
    // Anything else (saddr, daddr, fib, pkttype, limit...) is a test we do not read.
    tests.push(UNKNOWN);
  }
  return rule(tests, verdict, line.trim());
}

/** `nft list ruleset` -> the chains, with every filter chain hooked to input. */
export function parseNftRuleset(text: string): FirewallRuleset {
  const chains = new Map<string, Chain>();
  const inputChains: string[] = [];
  let family = '';
  let table = '';
  let chain: Chain | null = null;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const tableMatch = /^table\s+(\S+)\s+(\S+)\s*\{$/.exec(line);
    if (tableMatch && depth === 0) {
      family = tableMatch[1] ?? '';
      table = tableMatch[2] ?? '';
      depth = 1;
      continue;
    }
    const chainMatch = /^chain\s+(\S+)\s*\{$/.exec(line);
    if (chainMatch && depth === 1) {
      const key = `${family} ${table} ${chainMatch[1]}`;
      chain = { name: chainMatch[1] ?? '', policy: null, rules: [], family, table };
      chains.set(key, chain);
      depth = 2;
      continue;
    }
    if (line === '}') {
      depth = Math.max(0, depth - 1);
      if (depth < 2) chain = null;
      continue;
    }
    if (depth === 2 && chain) {
      const hook = /^type\s+filter\s+hook\s+input\b.*?;\s*(?:policy\s+(accept|drop);)?/.exec(line);
      if (hook) {
        chain.policy = (hook[1] as 'accept' | 'drop' | undefined) ?? 'accept';
        // ip6 / arp / netdev tables never see the IPv4 packets PXE clients send.
        if (family === 'ip' || family === 'inet') inputChains.push(`${family} ${table} ${chain.name}`);
        continue;
      }
      if (/^type\s/.test(line)) continue;
      chain.rules.push(parseNftRule(line));
      continue;
    }
    // Sets, maps, flowtables: skipped (their bodies are at depth >= 2 outside a chain).
    if (line.endsWith('{')) depth++;
  }
  return { tool: 'nft', inputChains, chains };
}

/** One `iptables -S` rule line ("-A INPUT -p udp -m udp --dport 69 -j ACCEPT"). */
export function parseIptablesRule(line: string): Rule {
  const tokens = line.match(/"[^"]*"|\S+/g) ?? [];
  const tests: ((p: Probe) => boolean | null)[] = [];
  let verdict: Verdict = null;
  for (let i = 2; i < tokens.length; i++) {
    let t = tokens[i] ?? '';
    let negate = false;
    if (t === '!') {
      negate = true;
      t = tokens[++i] ?? '';
    }
    const next = tokens[i + 1] ?? '';
    const neg = (f: (p: Probe) => boolean | null) => (p: Probe) => {
      const r = f(p);
      return r === null ? null : negate ? !r : r;
    };
    switch (t) {
      case '-j':
      case '-g': {
        const target = next;
        i++;
        if (target === 'ACCEPT') verdict = 'accept';
        else if (target === 'DROP') verdict = 'drop';
        else if (target === 'REJECT') verdict = 'reject';
        else if (target === 'RETURN') verdict = 'return';
        else if (['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'ULOG', 'AUDIT'].includes(target)) verdict = null;
        else verdict = t === '-j' ? { jump: target } : { goto: target };
        // Target options follow (--reject-with ...): no more tests.
        i = tokens.length;
        break;
      }
      case '-p': {
        const proto = next.toLowerCase();
        tests.push(neg((p) => (proto === 'all' ? true : p.protocol === proto)));
        i++;
        break;
      }
      case '-i':
        tests.push(neg((p) => nameMatches(next, p.iface)));
        i++;
        break;
      case '-o':
        i++;
        break;
      case '-m':
        // Module names (udp, tcp, multiport, comment, conntrack, state) carry no test themselves.
        i++;
        break;
      case '--dport':
      case '--dports':
      case '--destination-port':
      case '--destination-ports': {
        const ranges = parsePortSet(next);
        tests.push(neg((p) => (ranges ? ranges.some(([a, b]) => p.port >= a && p.port <= b) : null)));
        i++;
        break;
      }
      case '--ctstate':
      case '--state': {
        const set = next.split(',');
        tests.push(neg(() => set.includes('NEW')));
        i++;
        break;
      }
      case '--comment':
        i++;
        break;
      case '--icmp-type':
        tests.push(() => false);
        i++;
        break;
      default:
        // -s, -d, --sport, --src-type, limits...: a test we do not read.
        tests.push(UNKNOWN);
        if (next && !next.startsWith('-')) i++;
    }
  }
  return rule(tests, verdict, line.trim());
}

/** `iptables -S` (filter table) -> chains; INPUT is the input base chain. */
export function parseIptablesRules(text: string): FirewallRuleset {
  const chains = new Map<string, Chain>();
  const get = (name: string): Chain => {
    let c = chains.get(name);
    if (!c) {
      c = { name, policy: null, rules: [] };
      chains.set(name, c);
    }
    return c;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const p = /^-P\s+(\S+)\s+(ACCEPT|DROP)/.exec(line);
    if (p) {
      get(p[1] ?? '').policy = p[2] === 'DROP' ? 'drop' : 'accept';
      continue;
    }
    const n = /^-N\s+(\S+)/.exec(line);
    if (n) {
      get(n[1] ?? '');
      continue;
    }
    const a = /^-A\s+(\S+)\s/.exec(line);
    if (a) get(a[1] ?? '').rules.push(parseIptablesRule(line));
  }
  return { tool: 'iptables', inputChains: chains.has('INPUT') ? ['INPUT'] : [], chains };
}

/** 'accept' / 'drop' / 'continue' (fell off a non-base chain); `uncertain` tells whether a rule we could not read was skipped. */
type Outcome = { result: 'accept' | 'drop' | 'continue'; uncertain: boolean };

function evaluateChain(set: FirewallRuleset, key: string, probe: Probe, depth: number): Outcome {
  const chain = set.chains.get(key);
  if (!chain || depth > 16) return { result: 'continue', uncertain: true };
  let uncertain = false;
  const resolve = (name: string) => (set.tool === 'nft' && chain.family !== undefined ? `${chain.family} ${chain.table} ${name}` : name);
  for (const r of chain.rules) {
    if (r.verdict === null) continue;
    const m = r.matches(probe);
    if (m === false) continue;
    if (m === null) {
      // An accept we cannot read might let the packet in; we assume it does not (and say so).
      uncertain = true;
      continue;
    }
    const v = r.verdict;
    if (v === 'accept') return { result: 'accept', uncertain };
    if (v === 'drop' || v === 'reject') return { result: 'drop', uncertain };
    if (v === 'return') return { result: 'continue', uncertain };
    if ('jump' in v) {
      const sub = evaluateChain(set, resolve(v.jump), probe, depth + 1);
      uncertain ||= sub.uncertain;
      if (sub.result !== 'continue') return { result: sub.result, uncertain };
      continue;
    }
    const sub = evaluateChain(set, resolve(v.goto), probe, depth + 1);
    return { result: sub.result, uncertain: uncertain || sub.uncertain };
  }
  return { result: 'continue', uncertain };
}

/**
 * Does the ruleset let this probe in? Every input base chain must accept it (or fall through to an accept
 * policy); blockedBy lists each chain that drops it, since each needs its own accept.
 */
export function firewallVerdict(set: FirewallRuleset, probe: Probe): { allowed: boolean; uncertain: boolean; blockedBy: string[] } {
  let uncertain = false;
  const blockedBy: string[] = [];
  for (const key of set.inputChains) {
    const chain = set.chains.get(key);
    const out = evaluateChain(set, key, probe, 0);
    uncertain ||= out.uncertain;
    const result = out.result === 'continue' ? (chain?.policy ?? 'accept') : out.result;
    if (result === 'drop') blockedBy.push(key);
  }
  return { allowed: blockedBy.length === 0, uncertain, blockedBy };
}

/** The command that lets PXE clients in on this interface, for the firewall that blocks them. */
export function firewallFix(set: FirewallRuleset, blockedBy: string, iface: string, blocked: readonly PortNeed[]): string {
  const udp = blocked.filter((b) => b.protocol === 'udp').map((b) => b.port);
  const tcp = blocked.filter((b) => b.protocol === 'tcp').map((b) => b.port);
  const lines: string[] = [];
  if (set.tool === 'nft') {
    const [family, table, chain] = blockedBy.split(' ');
    if (table === 'firewalld') return `sudo firewall-cmd --zone=trusted --add-interface=${iface}   (until the next reload; remove with --remove-interface)`;
    const list = (ports: number[]) => (ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`);
    if (udp.length) lines.push(`sudo nft insert rule ${family} ${table} ${chain} iifname "${iface}" udp dport ${list(udp)} accept`);
    if (tcp.length) lines.push(`sudo nft insert rule ${family} ${table} ${chain} iifname "${iface}" tcp dport ${list(tcp)} accept`);
    return lines.join('\n');
  }
  if ([...set.chains.keys()].some((c) => c.startsWith('ufw-'))) return `sudo ufw allow in on ${iface}`;
  if (udp.length) lines.push(`sudo iptables -I INPUT -i ${iface} -p udp -m multiport --dports ${udp.join(',')} -j ACCEPT`);
  if (tcp.length) lines.push(`sudo iptables -I INPUT -i ${iface} -p tcp -m multiport --dports ${tcp.join(',')} -j ACCEPT`);
  return lines.join('\n');
}

/** Windows Firewall: the inbound rules that let PXE clients in (untested here). */
export function windowsFirewallFix(needs: readonly PortNeed[]): string {
  const udp = needs.filter((n) => n.protocol === 'udp').map((n) => n.port);
  const tcp = needs.filter((n) => n.protocol === 'tcp').map((n) => n.port);
  const lines: string[] = [];
  if (udp.length) lines.push(`netsh advfirewall firewall add rule name="FieldBoot PXE (UDP)" dir=in action=allow protocol=UDP localport=${udp.join(',')}`);
  if (tcp.length) lines.push(`netsh advfirewall firewall add rule name="FieldBoot PXE (TCP)" dir=in action=allow protocol=TCP localport=${tcp.join(',')}`);
  return lines.join('\n');
}

/** `netsh advfirewall show allprofiles state`: is any profile ON? (untested here) */
export function parseNetshFirewallState(text: string): boolean | null {
  const states = [...text.matchAll(/^\s*State\s+(ON|OFF)\s*$/gim)].map((m) => m[1]?.toUpperCase());
  return states.length === 0 ? null : states.includes('ON');
}

/** The firewall check from the rulesets that could be read (nft and/or iptables). */
export function firewallCheck(rulesets: readonly FirewallRuleset[], iface: string, needs: readonly PortNeed[]): PreflightCheck {
  const id = 'firewall';
  const title = 'Host firewall';
  if (rulesets.length === 0) return { id, title, status: PreflightStatus.Warning, detail: 'Could not read the firewall rules (nft and iptables unavailable or refused).', fix: 'Check that the firewall lets UDP 67, 69, 4011 and TCP 80, 21 in on this interface.' };
  const fixes: string[] = [];
  const blockedAll = new Set<string>();
  let uncertain = false;
  for (const set of rulesets) {
    // Chain -> the ports it drops, in the order the ports are needed.
    const byChain = new Map<string, PortNeed[]>();
    for (const need of needs) {
      const v = firewallVerdict(set, { protocol: need.protocol, port: need.port, iface });
      uncertain ||= v.uncertain;
      for (const key of v.blockedBy) {
        byChain.set(key, [...(byChain.get(key) ?? []), need]);
        blockedAll.add(`${need.port}/${need.protocol}`);
      }
    }
    for (const [key, blocked] of byChain) fixes.push(firewallFix(set, key, iface, blocked));
  }
  if (blockedAll.size === 0) {
    return { id, title, status: PreflightStatus.Ok, detail: uncertain ? `Lets the PXE ports in on ${iface} (some rules test things not checked here).` : `Lets the PXE ports in on ${iface}.` };
  }
  return {
    id,
    title,
    status: PreflightStatus.Warning,
    detail: `The firewall ${uncertain ? 'may drop' : 'drops'} ${[...blockedAll].join(', ')} arriving on ${iface}: clients would never get an answer.`,
    fix: [...new Set(fixes)].join('\n'),
  };
}

// ------------------------------------------------------------------------------------------------ runner

export interface PreflightOptions {
  interfaces: readonly NetworkInterfaceInfo[];
  /** Ports from the settings (serve config). */
  ports?: Parameters<typeof neededPorts>[1];
  platform?: NodeJS.Platform;
  /** Runs a command, resolving with its stdout; rejects when it cannot run. Injectable for tests. */
  exec?: (command: string, args: string[]) => Promise<string>;
  readFile?: (path: string) => string | null;
  uid?: number | null;
  ranIn?: 'host' | 'engine';
  note?: string;
}

const defaultExec = async (command: string, args: string[]): Promise<string> => (await execFileAsync(command, args, { timeout: 5000, maxBuffer: 8 * 1024 * 1024 })).stdout;

function defaultReadFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function listListeners(platform: NodeJS.Platform, exec: NonNullable<PreflightOptions['exec']>): Promise<Listener[] | null> {
  try {
    if (platform === 'win32') {
      const [netstat, tasks] = await Promise.all([exec('netstat', ['-ano']), exec('tasklist', ['/FO', 'CSV', '/NH']).catch(() => '')]);
      return parseNetstatListeners(netstat, parseTasklist(tasks));
    }
    if (platform === 'darwin') return parseLsofListeners(await exec('lsof', ['-nP', '-iUDP', '-iTCP', '-sTCP:LISTEN']));
    return parseSsListeners(await exec('ss', ['-Hlnptu']));
  } catch {
    return null;
  }
}

/** The serving address: the interface's first IPv4, else the address to be assigned. */
export function servingAddress(nic: NetworkInterfaceInfo | undefined, assignAddress: string | undefined): string | null {
  const own = nic?.ipv4[0]?.address;
  if (own) return own;
  const c = assignAddress ? parseCidr(assignAddress) : null;
  return c ? formatIpv4(c.ip) : null;
}

export async function runPreflight(request: PreflightRequest, options: PreflightOptions): Promise<PreflightReport> {
  const platform = options.platform ?? process.platform;
  const exec = options.exec ?? defaultExec;
  const read = options.readFile ?? defaultReadFile;
  const nic = options.interfaces.find((i) => i.name === request.interface);
  const serverIp = servingAddress(nic, request.assignAddress);
  const needs = neededPorts(request.dhcpMode, options.ports);
  const checks: PreflightCheck[] = [];

  if (!nic) checks.push({ id: 'interface', title: 'Interface', status: PreflightStatus.Blocking, detail: `There is no interface named ${request.interface}.`, fix: 'Refresh the list and pick another interface.' });
  else if (!nic.ipv4[0]) {
    checks.push(
      serverIp
        ? { id: 'interface', title: 'Interface address', status: PreflightStatus.Ok, detail: `${nic.name} has no IPv4 address; FieldBoot will give it ${request.assignAddress} while serving.` }
        : { id: 'interface', title: 'Interface address', status: PreflightStatus.Blocking, detail: `${nic.name} has no IPv4 address.`, fix: 'Let FieldBoot assign one (for example 10.77.0.1/24), or give it one by hand.' },
    );
  }

  const listeners = await listListeners(platform, exec);
  const commandLines = new Map<number, string>();
  if (platform === 'linux') {
    for (const l of listeners ?? []) {
      if (l.pid === null || commandLines.has(l.pid)) continue;
      const cmd = read(`/proc/${l.pid}/cmdline`);
      // One line, whatever the arguments hold (a `python3 -c` script has newlines).
      if (cmd) commandLines.set(l.pid, cmd.split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ').slice(0, 200));
    }
  }
  checks.push(...portChecks(needs, listeners, serverIp, request.interface, commandLines));

  const uid = options.uid !== undefined ? options.uid : typeof process.getuid === 'function' ? process.getuid() : null;
  const status = platform === 'linux' ? read('/proc/self/status') : null;
  const portStart = platform === 'linux' ? Number(read('/proc/sys/net/ipv4/ip_unprivileged_port_start')?.trim()) : NaN;
  checks.push(
    privilegeCheck(
      { platform, uid, capEff: status ? parseCapEff(status) : null, unprivilegedPortStart: Number.isFinite(portStart) ? portStart : null },
      needs,
      !!nic && !nic.ipv4[0] && !!request.assignAddress,
    ),
  );

  if (platform === 'linux') {
    const rulesets: FirewallRuleset[] = [];
    const nft = await exec('nft', ['list', 'ruleset']).catch(() => null);
    if (nft !== null) rulesets.push(parseNftRuleset(nft));
    const ipt = await exec('iptables', ['-S']).catch(() => null);
    // iptables-nft shows the same rules nft does; evaluating both gives the same answer, so keep both.
    if (ipt !== null) rulesets.push(parseIptablesRules(ipt));
    checks.push(firewallCheck(rulesets, request.interface, needs));
  } else if (platform === 'win32') {
    const state = await exec('netsh', ['advfirewall', 'show', 'allprofiles', 'state']).then(parseNetshFirewallState).catch(() => null);
    checks.push(
      state === false
        ? { id: 'firewall', title: 'Windows Firewall', status: PreflightStatus.Ok, detail: 'Windows Firewall is off.' }
        : { id: 'firewall', title: 'Windows Firewall', status: PreflightStatus.Warning, detail: 'Windows Firewall may block PXE clients (the rules are not read; untested).', fix: windowsFirewallFix(needs) },
    );
  } else {
    checks.push({ id: 'firewall', title: 'Host firewall', status: PreflightStatus.Warning, detail: 'The firewall is not checked on this system.', fix: 'Check that the firewall lets UDP 67, 69, 4011 and TCP 80, 21 in.' });
  }

  return {
    interface: request.interface,
    serverIp,
    checks,
    ranIn: options.ranIn ?? 'host',
    ...(options.note ? { note: options.note } : {}),
    time: nowIso(),
  };
}
