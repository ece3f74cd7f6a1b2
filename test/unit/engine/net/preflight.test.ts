import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  firewallCheck,
  firewallVerdict,
  neededPorts,
  parseCapEff,
  parseIptablesRules,
  parseNetstatListeners,
  parseNftRuleset,
  parseSsListeners,
  parseTasklist,
  portChecks,
  privilegeCheck,
  runPreflight,
  splitSocketAddress,
} from '../../../../electron/engine/net/preflight';
import { DhcpMode } from '../../../../shared/model/serve-config';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';

// Captured in a lab namespace (iproute2 6.1): python3 holding 67 (SO_BINDTODEVICE br0), 69 (0.0.0.0),
// 4011 and 21 (IPv6 wildcard, dual-stack), and `python3 -m http.server 80 --bind 192.168.77.1`.
const SS = `udp UNCONN 0      0       0.0.0.0%br0:67   0.0.0.0:* users:(("python3",pid=31042,fd=6))
udp UNCONN 0      0           0.0.0.0:69   0.0.0.0:* users:(("python3",pid=31042,fd=3))
udp UNCONN 0      0                 *:4011       *:* users:(("python3",pid=31042,fd=4))
tcp LISTEN 0      5      192.168.77.1:80   0.0.0.0:* users:(("python3",pid=31041,fd=3))
tcp LISTEN 0      128               *:21         *:* users:(("python3",pid=31042,fd=5))
tcp LISTEN 0      4096      127.0.0.53%lo:53    0.0.0.0:*
udp UNCONN 0      0      [::ffff:10.0.0.5]:69      *:*
`;

test('ss: every listener with its address, bound device and process', () => {
  const l = parseSsListeners(SS);
  assert.equal(l.length, 7);
  assert.deepEqual(l[0], { protocol: 'udp', address: '0.0.0.0', device: 'br0', port: 67, process: 'python3', pid: 31042 });
  assert.deepEqual(l[3], { protocol: 'tcp', address: '192.168.77.1', device: null, port: 80, process: 'python3', pid: 31041 });
  assert.equal(l[2]?.address, '*');
  // Another user's socket, seen without root: no process column.
  assert.deepEqual(l[5], { protocol: 'tcp', address: '127.0.0.53', device: 'lo', port: 53, process: null, pid: null });
  assert.equal(l[6]?.address, '10.0.0.5', 'an IPv4-mapped IPv6 address is the IPv4 one');
  assert.deepEqual(splitSocketAddress('[::]:80'), { address: '::', device: null, port: 80 });
  assert.equal(splitSocketAddress('garbage'), null);
  assert.deepEqual(parseSsListeners('State Recv-Q\nnonsense line\n'), []);
});

test('ports: a holder on the serving address or a wildcard blocks; one on another address or device does not', () => {
  const needs = neededPorts(DhcpMode.Proxy);
  assert.deepEqual(needs.map((n) => `${n.port}/${n.protocol}`), ['67/udp', '4011/udp', '69/udp', '80/tcp', '21/tcp']);
  const cmd = new Map([[31041, 'python3 -m http.server 80 --bind 192.168.77.1']]);
  const checks = portChecks(needs, parseSsListeners(SS), '192.168.77.1', 'br0', cmd);
  const by = Object.fromEntries(checks.map((c) => [c.id, c]));
  assert.equal(by['port-udp-67']?.status, 'blocking', 'bound to br0 itself');
  assert.equal(by['port-tcp-80']?.status, 'blocking');
  assert.match(by['port-tcp-80']?.detail ?? '', /python3 \(pid 31041\), "python3 -m http\.server 80 --bind 192\.168\.77\.1" on 192\.168\.77\.1:80/);
  assert.match(by['port-tcp-80']?.fix ?? '', /kill 31041/);
  assert.equal(by['port-udp-69']?.holders?.length, 1, 'the 10.0.0.5 listener is not on the serving address');

  // Serving on another interface: the br0-bound DHCP socket and the 192.168.77.1 HTTP server are no obstacle.
  const other = portChecks(needs, parseSsListeners(SS), '10.77.0.1', 'eth1');
  const o = Object.fromEntries(other.map((c) => [c.id, c.status]));
  assert.equal(o['port-udp-67'], 'ok');
  assert.equal(o['port-tcp-80'], 'ok');
  assert.equal(o['port-udp-69'], 'blocking', '0.0.0.0:69 is everywhere');

  assert.ok(portChecks(needs, [], '10.77.0.1', 'eth1').every((c) => c.status === 'ok'));
  assert.ok(portChecks(needs, null, '10.77.0.1', 'eth1').every((c) => c.status === 'warning'), 'no ss: unknown, not "free"');
  assert.deepEqual(neededPorts(DhcpMode.Off, { tftpPort: 16969, httpPort: 18080, ftp: false }).map((n) => n.port), [16969, 18080]);
});

test('privileges: root, capabilities from CapEff, the unprivileged port sysctl', () => {
  const needs = neededPorts(DhcpMode.Full);
  assert.equal(parseCapEff('Name:\tnode\nCapEff:\t000001fffeffffff\n'), 0x1fffeffffffn);
  assert.equal(privilegeCheck({ platform: 'linux', uid: 0, capEff: 0n, unprivilegedPortStart: 1024 }, needs, true).status, 'ok');
  const none = privilegeCheck({ platform: 'linux', uid: 1000, capEff: 0n, unprivilegedPortStart: 1024 }, needs, true);
  assert.equal(none.status, 'blocking');
  assert.match(none.detail, /CAP_NET_BIND_SERVICE .*CAP_NET_RAW .*CAP_NET_ADMIN/);
  // bind_service (10) + net_raw (13): enough unless an address has to be assigned.
  const caps = (1n << 10n) | (1n << 13n);
  assert.equal(privilegeCheck({ platform: 'linux', uid: 1000, capEff: caps, unprivilegedPortStart: 1024 }, needs, false).status, 'ok');
  assert.equal(privilegeCheck({ platform: 'linux', uid: 1000, capEff: caps, unprivilegedPortStart: 1024 }, needs, true).status, 'blocking');
  // ip_unprivileged_port_start=0 (some container hosts) makes low ports bindable; DHCP still needs NET_RAW.
  const offNeeds = neededPorts(DhcpMode.Off);
  assert.equal(privilegeCheck({ platform: 'linux', uid: 1000, capEff: 0n, unprivilegedPortStart: 0 }, offNeeds, false).status, 'ok');
});

test('nft (captured): policy drop with accepts for 67 and 69 only; a second table rejects everything but FTP on br0', () => {
  const set = parseNftRuleset(readFileSync(new URL('fixtures/preflight-nft-drop.txt', import.meta.url), 'utf8'));
  assert.deepEqual(set.inputChains, ['inet filter input', 'ip other inp']);
  const v = (protocol: 'udp' | 'tcp', port: number, iface = 'br0') => firewallVerdict(set, { protocol, port, iface });
  // 67 passes the first table and is rejected by the second: every hooked chain must let it through.
  assert.deepEqual(v('udp', 67), { allowed: false, uncertain: false, blockedBy: ['ip other inp'] });
  assert.deepEqual(v('udp', 4011).blockedBy, ['inet filter input', 'ip other inp']);
  assert.equal(v('tcp', 80).allowed, false);
  assert.equal(v('tcp', 21).allowed, false, 'the first table has no accept for 21');
  const check = firewallCheck([set], 'br0', neededPorts(DhcpMode.Proxy));
  assert.equal(check.status, 'warning');
  assert.match(check.detail, /67\/udp, 4011\/udp, 69\/udp, 80\/tcp, 21\/tcp/);
  // One accept per chain that drops, with the ports that chain drops.
  assert.deepEqual((check.fix ?? '').split('\n'), [
    'sudo nft insert rule ip other inp iifname "br0" udp dport { 67, 4011, 69 } accept',
    'sudo nft insert rule ip other inp iifname "br0" tcp dport 80 accept',
    'sudo nft insert rule inet filter input iifname "br0" udp dport 4011 accept',
    'sudo nft insert rule inet filter input iifname "br0" tcp dport { 80, 21 } accept',
  ]);
});

test('nft: an open ruleset, an interface accept, ct state, jumps and firewalld', () => {
  const open = parseNftRuleset('table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n');
  assert.equal(firewallCheck([open], 'br0', neededPorts(DhcpMode.Full)).status, 'ok');
  assert.equal(firewallCheck([parseNftRuleset('')], 'br0', neededPorts(DhcpMode.Full)).status, 'ok', 'no tables: nothing filters');

  const rules = `table inet filter {
	set allowed { type ipv4_addr; elements = { 10.0.0.1 } }
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		iifname "lo" accept
		jump lan
		ip saddr 10.0.0.0/8 tcp dport 80 accept
	}
	chain lan {
		iifname { "eth1", "br*" } meta l4proto udp accept
		tcp dport != 22 return
		tcp dport 22 accept
	}
}`;
  const set = parseNftRuleset(rules);
  assert.equal(firewallVerdict(set, { protocol: 'udp', port: 69, iface: 'br0' }).allowed, true, 'br* matches br0');
  assert.equal(firewallVerdict(set, { protocol: 'udp', port: 69, iface: 'eth2' }).allowed, false);
  const http = firewallVerdict(set, { protocol: 'tcp', port: 80, iface: 'br0' });
  assert.deepEqual(http, { allowed: false, uncertain: true, blockedBy: ['inet filter input'] }, 'a source-address rule is not read: maybe');
  assert.match(firewallCheck([set], 'br0', neededPorts(DhcpMode.Full)).detail, /may drop 80\/tcp, 21\/tcp/);

  // The shape firewalld (1.x, nftables backend) writes, trimmed: zones by goto, a final reject.
  const firewalld = `table inet firewalld {
	chain filter_INPUT {
		type filter hook input priority filter + 10; policy accept;
		ct state { established, related } accept
		ct status dnat accept
		iifname "lo" accept
		ct state invalid drop
		jump filter_INPUT_ZONES
		reject with icmpx admin-prohibited
	}
	chain filter_INPUT_ZONES {
		iifname "eth0" goto filter_IN_public
		goto filter_IN_public
	}
	chain filter_IN_public {
		jump filter_IN_public_allow
		meta l4proto { icmp, ipv6-icmp } accept
	}
	chain filter_IN_public_allow {
		tcp dport 22 accept
		ip6 daddr fe80::/64 udp dport 546 accept
	}
}`;
  const fw = parseNftRuleset(firewalld);
  assert.equal(firewallVerdict(fw, { protocol: 'tcp', port: 22, iface: 'br0' }).allowed, true);
  assert.equal(firewallVerdict(fw, { protocol: 'udp', port: 67, iface: 'br0' }).allowed, false, 'falls out of the zone chain into the reject');
  assert.match(firewallCheck([fw], 'br0', neededPorts(DhcpMode.Full)).fix ?? '', /firewall-cmd --zone=trusted --add-interface=br0/);
});

test('iptables -S: INPUT DROP with a multiport accept, user chains, a final REJECT, ufw', () => {
  // The format of `iptables -S` (iptables 1.8); written by hand: iptables is not installed here.
  const rhel = `-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N LOCAL
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,21 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -j LOCAL
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A LOCAL -p udp -m udp --dport 60:70 -j ACCEPT
-A LOCAL -s 10.1.0.0/16 -j ACCEPT`;
  const set = parseIptablesRules(rhel);
  const ok = (protocol: 'udp' | 'tcp', port: number) => firewallVerdict(set, { protocol, port, iface: 'eth1' }).allowed;
  assert.equal(ok('tcp', 80), true);
  assert.equal(ok('udp', 67), true, '60:70 range in the user chain');
  assert.equal(ok('udp', 4011), false, 'the final REJECT');
  const check = firewallCheck([set], 'eth1', neededPorts(DhcpMode.Proxy));
  assert.match(check.detail, /may drop 4011\/udp/);
  assert.equal(check.fix, 'sudo iptables -I INPUT -i eth1 -p udp -m multiport --dports 4011 -j ACCEPT');

  const drop = parseIptablesRules('-P INPUT DROP\n-A INPUT -i br0 -j ACCEPT\n');
  assert.equal(firewallVerdict(drop, { protocol: 'udp', port: 69, iface: 'br0' }).allowed, true);
  assert.equal(firewallVerdict(drop, { protocol: 'udp', port: 69, iface: 'eth0' }).allowed, false);
  const ufw = parseIptablesRules('-P INPUT DROP\n-N ufw-user-input\n-A INPUT -j ufw-user-input\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n');
  assert.equal(firewallCheck([ufw], 'eth1', neededPorts(DhcpMode.Off)).fix, 'sudo ufw allow in on eth1');
});

test('Windows netstat -ano and tasklist (format from the manuals; untested on Windows)', () => {
  const netstat = `
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4
  TCP    10.0.0.2:50000         10.0.0.9:443           ESTABLISHED     900
  UDP    0.0.0.0:69             *:*                                    1234
  UDP    [::]:67                *:*                                    1234
`;
  const names = parseTasklist('"System","4","Services","0","144 K"\r\n"tftpd64.exe","1234","Console","1","9,000 K"\r\n');
  const l = parseNetstatListeners(netstat, names);
  assert.deepEqual(l.map((x) => `${x.protocol} ${x.address}:${x.port} ${x.process}`), ['tcp 0.0.0.0:80 System', 'udp 0.0.0.0:69 tftpd64.exe', 'udp :::67 tftpd64.exe']);
});

test('runPreflight (injected commands): the holder is named, the assigned address is where ports are checked', async () => {
  const interfaces: NetworkInterfaceInfo[] = [
    { name: 'br0', mac: '02:00:00:00:00:01', kind: 'bridge', linkUp: true, speedMbps: null, mtu: 1500, ipv4: [] },
    { name: 'eth0', mac: '02:00:00:00:00:02', kind: 'ethernet', linkUp: true, speedMbps: null, mtu: 1500, ipv4: [{ address: '192.168.1.5', prefix: 24 }] },
  ];
  const ran: string[] = [];
  const report = await runPreflight(
    { interface: 'br0', dhcpMode: DhcpMode.Full, assignAddress: '10.77.0.1/24' },
    {
      interfaces,
      platform: 'linux',
      uid: 0,
      exec: async (command, args) => {
        ran.push([command, ...args].join(' '));
        if (command === 'ss') return 'udp UNCONN 0 0 0.0.0.0:69 0.0.0.0:* users:(("in.tftpd",pid=77,fd=0))\ntcp LISTEN 0 5 192.168.1.5:80 0.0.0.0:* users:(("nginx",pid=78,fd=6))\n';
        if (command === 'nft') return '';
        throw new Error('not found');
      },
      readFile: (path) => (path === '/proc/77/cmdline' ? 'in.tftpd\0-L\0-s\0/srv/tftp\0' : null),
      note: 'checked in the app process',
    },
  );
  assert.deepEqual(ran, ['ss -Hlnptu', 'nft list ruleset', 'iptables -S']);
  assert.equal(report.serverIp, '10.77.0.1');
  assert.equal(report.note, 'checked in the app process');
  const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  assert.equal(by.interface?.status, 'ok');
  assert.match(by.interface?.detail ?? '', /will give it 10\.77\.0\.1\/24/);
  assert.equal(by['port-udp-69']?.status, 'blocking');
  assert.match(by['port-udp-69']?.detail ?? '', /in\.tftpd \(pid 77\), "in\.tftpd -L -s \/srv\/tftp"/);
  assert.equal(by['port-tcp-80']?.status, 'ok', 'nginx is on eth0\'s address, not the serving one');
  assert.equal(by.privileges?.status, 'ok');
  assert.equal(by.firewall?.status, 'ok');

  const bare = await runPreflight({ interface: 'br0', dhcpMode: DhcpMode.Off }, { interfaces, platform: 'linux', uid: 0, exec: async () => '', readFile: () => null });
  assert.equal(bare.checks.find((c) => c.id === 'interface')?.status, 'blocking');
  const gone = await runPreflight({ interface: 'eth9', dhcpMode: DhcpMode.Off }, { interfaces, platform: 'linux', uid: 0, exec: async () => '', readFile: () => null });
  assert.equal(gone.checks[0]?.status, 'blocking');
});
