/**
 * The DHCP server on loopback with real sockets. Requests are relay-style (giaddr = 127.0.0.2) so replies are
 * unicast to the test peer bound on 127.0.0.2:<server port> (RFC 2131 section 4.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import type { EngineEvent, LeaseEvent, PoolEvent } from '../../shared/model/engine-event';
import { parseIpv4 } from '../../shared/net/ipv4';
import { isBootClient, type BootAnswer, type ClientFacts } from '../../electron/engine/boot/boot-policy';
import { Firmware } from '../../electron/engine/boot/client-arch';
import type { LogEntry } from '../../electron/engine/log';
import { DhcpMessageType, DhcpOption } from '../../electron/engine/protocol/dhcp/dhcp-constants';
import { getOptionData } from '../../electron/engine/protocol/dhcp/dhcp-options';
import { DhcpServer, type DhcpServerOptions } from '../../electron/engine/servers/dhcp-server';
import { clientPacket, RELAY_IP, SERVER_IP, TestPeer } from './dhcp-test-client';

let nextPort = 16767;
/**
 * The server's contract is "ask boot(facts), put the answer on the wire"; a fixed stand-in policy keeps these
 * tests about the server (the real policy has its own table tests). It records the facts it was given.
 */
const factsSeen: ClientFacts[] = [];
function testPolicy(f: ClientFacts): BootAnswer | null {
  factsSeen.push(f);
  if (!isBootClient(f)) return null;
  if (f.userClass === 'iPXE') return { firmware: Firmware.Bios, bootFile: 'http://127.0.0.1:8080/boot.ipxe', nextServer: SERVER_IP, vendorClass: 'PXEClient' };
  if (f.arch === 7) return { firmware: Firmware.EfiX64, bootFile: 'ipxe.efi', nextServer: SERVER_IP, vendorClass: 'PXEClient' };
  return { firmware: Firmware.Bios, bootFile: 'undionly.kpxe', nextServer: SERVER_IP, vendorClass: 'PXEClient' };
}

interface Rig {
  server: DhcpServer;
  peer: TestPeer;
  port: number;
  events: EngineEvent[];
  logs: LogEntry[];
  stateDir: string;
  options: DhcpServerOptions;
  close(): Promise<void>;
}

async function rig(over: Partial<DhcpServerOptions> = {}, keepState?: string): Promise<Rig> {
  const port = over.port ?? nextPort++;
  const stateDir = keepState ?? mkdtempSync(join(tmpdir(), 'fb-dhcp-'));
  const events: EngineEvent[] = [];
  const logs: LogEntry[] = [];
  const options: DhcpServerOptions = {
    interfaceName: 'lo',
    serverIp: SERVER_IP,
    prefix: 8,
    mode: 'full',
    range: { first: parseIpv4('127.0.0.100')!, last: parseIpv4('127.0.0.101')! },
    stateDir,
    port,
    clientPort: port + 1,
    proxyPort: port + 2,
    bindToDevice: false,
    boot: testPolicy,
    ...over,
  };
  const server = new DhcpServer(options, { emit: (e) => events.push(e), logSink: (l) => logs.push(l) });
  await server.start();
  const peer = await TestPeer.open(RELAY_IP, port);
  return {
    server,
    peer,
    port,
    events,
    logs,
    stateDir,
    options,
    async close() {
      peer.close();
      await server.stop();
    },
  };
}

const leaseEvents = (r: Rig, action?: LeaseEvent['action']) =>
  r.events.filter((e): e is LeaseEvent => e.type === 'lease' && (!action || e.action === action));
const MAC1 = '52:54:00:00:01:01';
const MAC2 = '52:54:00:00:01:02';
const MAC3 = '52:54:00:00:01:03';

test('DORA: a plain client gets an address from the range, the network options, and no boot info', async () => {
  const r = await rig({ router: '127.0.0.254', dns: ['127.0.0.53'] });
  try {
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.ok(offer, 'OFFER received');
    assert.equal(offer.messageType, DhcpMessageType.Offer);
    assert.equal(offer.yiaddr, '127.0.0.100');
    assert.equal(offer.serverId, SERVER_IP);
    assert.equal(offer.giaddr, RELAY_IP, 'giaddr echoed');
    assert.equal(offer.mac, MAC1);
    assert.deepEqual(getOptionData(offer.options, DhcpOption.SubnetMask), Buffer.from([255, 0, 0, 0]));
    assert.deepEqual(getOptionData(offer.options, DhcpOption.Router), Buffer.from([127, 0, 0, 254]));
    assert.deepEqual(getOptionData(offer.options, DhcpOption.DomainNameServer), Buffer.from([127, 0, 0, 53]));
    assert.equal(offer.leaseTimeSec, 3600);
    assert.equal(offer.file, '');
    assert.equal(getOptionData(offer.options, DhcpOption.BootfileName), undefined);
    assert.equal(getOptionData(offer.options, DhcpOption.VendorSpecific), undefined);

    const ack = await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, serverId: SERVER_IP, requestedIp: offer.yiaddr }, r.port);
    assert.equal(ack?.messageType, DhcpMessageType.Ack);
    assert.equal(ack?.yiaddr, '127.0.0.100');
    // The client view sees the whole exchange, in order: what the client asked, what the server answered.
    assert.deepEqual(leaseEvents(r).map((e) => `${e.action} ${e.ip}`), [
      'discover 0.0.0.0',
      'offer 127.0.0.100',
      'request 127.0.0.100',
      'ack 127.0.0.100',
    ]);
    assert.ok(leaseEvents(r).every((e) => e.mac === MAC1 && e.arch === undefined && e.firmware === undefined));
    const file = JSON.parse(readFileSync(join(r.stateDir, 'leases.json'), 'utf8')) as { leases: { ip: string; mac: string; state: string }[] };
    assert.deepEqual(file.leases.map((l) => [l.ip, l.mac, l.state]), [['127.0.0.100', MAC1, 'bound']], 'ACKed lease is on disk');
  } finally {
    await r.close();
  }
});

test('no router and no DNS are sent unless configured (never a public resolver)', async () => {
  const r = await rig();
  try {
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.equal(getOptionData(offer!.options, DhcpOption.Router), undefined);
    assert.equal(getOptionData(offer!.options, DhcpOption.DomainNameServer), undefined);
  } finally {
    await r.close();
  }
});

test('a PXE client in full mode gets an address AND the boot file in file, option 67, siaddr, 66, 60 and 43', async () => {
  const r = await rig();
  try {
    const spec = { mac: MAC1, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', arch: 0 };
    const offer = await r.peer.exchange(DhcpMessageType.Discover, spec, r.port);
    assert.ok(offer);
    assert.equal(offer.yiaddr, '127.0.0.100');
    assert.equal(offer.file, 'undionly.kpxe');
    assert.equal(offer.siaddr, SERVER_IP);
    assert.equal(getOptionData(offer.options, DhcpOption.BootfileName)?.toString(), 'undionly.kpxe');
    assert.equal(getOptionData(offer.options, DhcpOption.TftpServerName)?.toString(), SERVER_IP);
    assert.equal(offer.vendorClass, 'PXEClient');
    assert.deepEqual(getOptionData(offer.options, DhcpOption.VendorSpecific), Buffer.from([6, 1, 8, 255]));
    const ev = leaseEvents(r, 'offer')[0]!;
    assert.equal(ev.arch, 0);
    assert.equal(ev.bootFile, 'undionly.kpxe');
    assert.equal(ev.vendorClass, 'PXEClient:Arch:00000:UNDI:002001');
    // A UEFI x64 ROM (arch 7) gets the EFI loader; once it runs iPXE (plain-text user class "iPXE") the script URL.
    const efi = { mac: MAC2, vendorClass: 'PXEClient:Arch:00007:UNDI:003016', arch: 7 };
    assert.equal((await r.peer.exchange(DhcpMessageType.Discover, efi, r.port))?.file, 'ipxe.efi');
    const ipxe = await r.peer.exchange(DhcpMessageType.Discover, { ...efi, userClass: 'iPXE' }, r.port);
    assert.equal(ipxe?.file, 'http://127.0.0.1:8080/boot.ipxe');
    assert.equal(leaseEvents(r, 'offer').at(-1)?.userClass, 'iPXE');
    assert.deepEqual(factsSeen.at(-1), { mac: MAC2, arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016', userClass: 'iPXE' });
    // DISCOVER events carry what the client said about itself, before any answer.
    const discovers = leaseEvents(r, 'discover');
    assert.deepEqual(
      discovers.map((e) => [e.mac, e.arch, e.firmware, e.vendorClass, e.userClass, e.bootFile]),
      [
        [MAC1, 0, 'bios', 'PXEClient:Arch:00000:UNDI:002001', undefined, undefined],
        [MAC2, 7, 'efi-x64', 'PXEClient:Arch:00007:UNDI:003016', undefined, undefined],
        [MAC2, 7, 'efi-x64', 'PXEClient:Arch:00007:UNDI:003016', 'iPXE', undefined],
      ],
    );
    // A renewal (ciaddr, no server id) is a request for that address.
    await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, serverId: SERVER_IP, requestedIp: '127.0.0.100' }, r.port);
    await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, ciaddr: '127.0.0.100' }, r.port);
    assert.deepEqual(leaseEvents(r, 'request').map((e) => `${e.mac} ${e.ip}`), [`${MAC1} 127.0.0.100`, `${MAC1} 127.0.0.100`]);
  } finally {
    await r.close();
  }
});

test('NAK when the client requests an address it was not offered, or one outside the pool', async () => {
  const r = await rig();
  try {
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.equal(offer?.yiaddr, '127.0.0.100');
    const nak = await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, serverId: SERVER_IP, requestedIp: '127.0.0.101' }, r.port);
    assert.equal(nak?.messageType, DhcpMessageType.Nak);
    assert.equal(nak?.yiaddr, '0.0.0.0');
    assert.equal(nak?.serverId, SERVER_IP);
    // INIT-REBOOT on the wrong network.
    const nak2 = await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, requestedIp: '10.1.2.3' }, r.port);
    assert.equal(nak2?.messageType, DhcpMessageType.Nak);
    assert.deepEqual(leaseEvents(r, 'nak').map((e) => e.ip), ['127.0.0.101', '10.1.2.3']);
    // INIT-REBOOT from a client we have never seen: silence (RFC 2131 section 4.3.2).
    const silent = await r.peer.exchange(DhcpMessageType.Request, { mac: MAC3, requestedIp: '127.0.0.101' }, r.port, 400);
    assert.equal(silent, null);
  } finally {
    await r.close();
  }
});

test('a REQUEST naming another server is ignored, and our offer is withdrawn', async () => {
  const r = await rig({ range: { first: parseIpv4('127.0.0.100')!, last: parseIpv4('127.0.0.100')! } });
  try {
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.equal(offer?.yiaddr, '127.0.0.100');
    const reply = await r.peer.exchange(DhcpMessageType.Request, { mac: MAC1, serverId: '127.0.0.9', requestedIp: '127.0.0.77' }, r.port, 500);
    assert.equal(reply, null, 'no ACK (and no NAK) for another server\'s client');
    // The one address is free again at once, not after the offer hold time.
    const offer2 = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2 }, r.port);
    assert.equal(offer2?.yiaddr, '127.0.0.100');
  } finally {
    await r.close();
  }
});

test('RELEASE frees the address for another client', async () => {
  const r = await rig({ range: { first: parseIpv4('127.0.0.100')!, last: parseIpv4('127.0.0.100')! } });
  try {
    const ack = await r.peer.dora({ mac: MAC1 }, r.port);
    assert.equal(ack.yiaddr, '127.0.0.100');
    assert.equal(await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2 }, r.port, 400), null, 'pool full');
    await r.peer.send(clientPacket(DhcpMessageType.Release, { mac: MAC1, ciaddr: '127.0.0.100', serverId: SERVER_IP }), r.port);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(leaseEvents(r, 'release')[0]?.ip, '127.0.0.100');
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2 }, r.port);
    assert.equal(offer?.yiaddr, '127.0.0.100');
  } finally {
    await r.close();
  }
});

test('DECLINE keeps the address out of the pool; the client gets another one', async () => {
  const r = await rig();
  try {
    const ack = await r.peer.dora({ mac: MAC1 }, r.port);
    await r.peer.send(clientPacket(DhcpMessageType.Decline, { mac: MAC1, requestedIp: ack.yiaddr, serverId: SERVER_IP }), r.port);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(leaseEvents(r, 'decline')[0]?.ip, ack.yiaddr);
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.ok(offer && offer.yiaddr !== ack.yiaddr, `a different address (got ${offer?.yiaddr})`);
    assert.equal(await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2 }, r.port, 400), null, 'the declined address is not handed out');
  } finally {
    await r.close();
  }
});

test('INFORM: ACK with configuration, no yiaddr and no lease time', async () => {
  const r = await rig({ dns: ['127.0.0.53'] });
  try {
    const ack = await r.peer.exchange(DhcpMessageType.Inform, { mac: MAC1, ciaddr: '127.0.0.50' }, r.port);
    assert.equal(ack?.messageType, DhcpMessageType.Ack);
    assert.equal(ack?.yiaddr, '0.0.0.0');
    assert.equal(ack?.ciaddr, '127.0.0.50');
    assert.equal(ack?.leaseTimeSec, undefined);
    assert.deepEqual(getOptionData(ack!.options, DhcpOption.DomainNameServer), Buffer.from([127, 0, 0, 53]));
    assert.equal(leaseEvents(r, 'inform')[0]?.ip, '127.0.0.50');
  } finally {
    await r.close();
  }
});

test('pool of 2, three clients: the third gets nothing and a pool event; the first is still served', async () => {
  const r = await rig();
  try {
    const a = await r.peer.dora({ mac: MAC1 }, r.port);
    const b = await r.peer.dora({ mac: MAC2 }, r.port);
    assert.deepEqual([a.yiaddr, b.yiaddr].sort(), ['127.0.0.100', '127.0.0.101']);
    assert.equal(await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC3 }, r.port, 500), null);
    const pool = r.events.filter((e): e is PoolEvent => e.type === 'pool');
    assert.equal(pool.length, 1);
    assert.equal(pool[0]!.mac, MAC3);
    assert.equal(pool[0]!.range, '127.0.0.100-127.0.0.101');
    const again = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.equal(again?.yiaddr, a.yiaddr, 'first client keeps its address');
  } finally {
    await r.close();
  }
});

test('garbage is dropped and logged; the next valid DISCOVER gets its OFFER', async () => {
  const r = await rig();
  try {
    const junk = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(300, 0xff), clientPacket(DhcpMessageType.Discover, { mac: MAC2 }).fill(0x41, 236, 240)];
    for (const j of junk) await r.peer.send(j, r.port);
    const offer = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, r.port);
    assert.equal(offer?.messageType, DhcpMessageType.Offer);
    assert.ok(r.logs.filter((l) => l.level === 'debug' && /dropped/.test(l.message)).length >= 3, 'drops are logged at debug');
    assert.ok(r.logs.some((l) => /magic cookie/.test(l.message)));
  } finally {
    await r.close();
  }
});

test('restart with the same state dir: the same MAC gets the same address, others do not take it', async () => {
  const first = await rig();
  const stateDir = first.stateDir;
  const ackB = await first.peer.dora({ mac: MAC2 }, first.port); // .100
  const ackA = await first.peer.dora({ mac: MAC1 }, first.port); // .101
  await first.close();
  assert.equal(ackA.yiaddr, '127.0.0.101');
  const second = await rig({}, stateDir);
  try {
    // MAC3 comes first: the bound leases of MAC1/MAC2 are remembered, so the pool is full for it.
    assert.equal(await second.peer.exchange(DhcpMessageType.Discover, { mac: MAC3 }, second.port, 400), null);
    const offerA = await second.peer.exchange(DhcpMessageType.Discover, { mac: MAC1 }, second.port);
    assert.equal(offerA?.yiaddr, ackA.yiaddr);
    const ackB2 = await second.peer.dora({ mac: MAC2 }, second.port);
    assert.equal(ackB2.yiaddr, ackB.yiaddr);
  } finally {
    await second.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('client id (option 61) identifies the client even from another MAC', async () => {
  const r = await rig();
  try {
    const id = Buffer.from('ff00112233', 'hex');
    const a = await r.peer.dora({ mac: MAC1, clientId: id }, r.port);
    const b = await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2, clientId: id }, r.port);
    assert.equal(b?.yiaddr, a.yiaddr);
    assert.deepEqual(b?.clientId, id, 'option 61 echoed (RFC 6842)');
  } finally {
    await r.close();
  }
});

test('a reservation gets its address and hostname', async () => {
  const r = await rig({ reservations: [{ mac: MAC3.toUpperCase(), ip: '127.0.0.150', hostname: 'node150' }] });
  try {
    const ack = await r.peer.dora({ mac: MAC3 }, r.port);
    assert.equal(ack.yiaddr, '127.0.0.150');
    assert.equal(ack.hostname, 'node150');
    assert.equal(leaseEvents(r, 'ack')[0]?.hostname, 'node150');
  } finally {
    await r.close();
  }
});

test('a port held by another program (no SO_REUSEADDR, like dnsmasq) fails start with PortInUse', async () => {
  const port = nextPort++;
  const squatter = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((res) => squatter.bind(port, '0.0.0.0', () => res()));
  try {
    await assert.rejects(
      rig({ port }),
      (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.PortInUse && /UDP port \d+ is in use/.test(err.message),
    );
  } finally {
    squatter.close();
  }
  // A second FieldBoot on the same port is refused too.
  const r = await rig();
  try {
    await assert.rejects(rig({ port: r.port }), (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.PortInUse);
  } finally {
    await r.close();
  }
});

test('bad configuration is refused before binding', async () => {
  await assert.rejects(rig({ range: { first: parseIpv4('10.0.0.1')!, last: parseIpv4('10.0.0.5')! } }), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.BadRange);
  await assert.rejects(rig({ range: undefined }), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.BadRange);
  await assert.rejects(rig({ dns: ['dns.example'] }), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.BadOption);
});

test('proxy mode: boot info without an address on port 67, ACK on the proxy port, nothing for plain clients', async () => {
  const r = await rig({ mode: 'proxy', range: undefined });
  const pxe = await TestPeer.open(SERVER_IP, 0);
  try {
    const guid = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 0xab)]);
    const spec = { mac: MAC1, vendorClass: 'PXEClient:Arch:00000:UNDI:002001', arch: 0, guid };
    const offer = await r.peer.exchange(DhcpMessageType.Discover, spec, r.port);
    assert.ok(offer, 'proxy OFFER');
    assert.equal(offer.yiaddr, '0.0.0.0', 'never an address');
    assert.equal(offer.leaseTimeSec, undefined);
    assert.equal(offer.file, 'undionly.kpxe');
    assert.equal(offer.vendorClass, 'PXEClient');
    assert.equal(offer.serverId, SERVER_IP);
    assert.deepEqual(getOptionData(offer.options, DhcpOption.VendorSpecific), Buffer.from([6, 1, 8, 255]));
    assert.deepEqual(getOptionData(offer.options, DhcpOption.ClientMachineIdentifier), guid, 'option 97 echoed');

    assert.equal(await r.peer.exchange(DhcpMessageType.Discover, { mac: MAC2 }, r.port, 400), null, 'plain client ignored');
    assert.equal(
      await r.peer.exchange(DhcpMessageType.Request, { ...spec, serverId: '127.0.0.9', requestedIp: '127.0.0.77' }, r.port, 400),
      null,
      'REQUESTs on 67 belong to the site server',
    );

    // The PXE client, now configured by the site server, asks the boot server on 4011 (unicast, giaddr 0).
    const xid = 0x4011;
    await pxe.send(clientPacket(DhcpMessageType.Request, { ...spec, xid, giaddr: '0.0.0.0', ciaddr: '127.0.0.77' }), r.port + 2);
    const ack = await pxe.next();
    assert.ok(ack, 'ACK on the proxy port, back to the source address and port');
    assert.equal(ack.xid, xid);
    assert.equal(ack.messageType, DhcpMessageType.Ack);
    assert.equal(ack.yiaddr, '0.0.0.0');
    assert.equal(ack.file, 'undionly.kpxe');
    assert.deepEqual(r.server.services().map((s) => `${s.name}:${s.port}`), [`proxy:${r.port}`, `proxy:${r.port + 2}`]);
    assert.deepEqual(leaseEvents(r).map((e) => e.action), ['offer', 'ack']);
  } finally {
    pxe.close();
    await r.close();
  }
});

test('stop() releases the ports: a new server binds them at once', async () => {
  const r = await rig({ mode: 'proxy', range: undefined });
  await r.close();
  const again = await rig({ mode: 'proxy', range: undefined, port: r.port });
  await again.close();
});

test('robustness: 100,000 random and mutated packets with real DORAs interleaved; memory stays flat; under 60 s', { timeout: 120_000 }, async (t) => {
  // Mutated MACs are new clients, so the noise fills the small pool (as it would any server's): the real clients
  // have reservations, and the point is that the server answers them all along, stays up, and does not grow.
  const real = ['52:54:00:00:0f:01', '52:54:00:00:0f:02', '52:54:00:00:0f:03'];
  const port = nextPort++;
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-dhcp-fuzz-'));
  const counts = new Map<string, number>();
  let errors: string[] = [];
  const server = new DhcpServer(
    {
      interfaceName: 'lo',
      serverIp: SERVER_IP,
      prefix: 8,
      mode: 'full',
      range: { first: parseIpv4('127.0.0.100')!, last: parseIpv4('127.0.0.120')! },
      reservations: real.map((mac, i) => ({ mac, ip: `127.0.0.${200 + i}` })),
      stateDir,
      port,
      clientPort: port + 1,
      proxyPort: port + 2,
      bindToDevice: false,
      boot: testPolicy,
    },
    {
      // Count, do not keep: this process's heap is what is measured.
      emit: (e) => counts.set(e.type, (counts.get(e.type) ?? 0) + 1),
      logSink: (l) => {
        if (l.level === 'error' && errors.length < 20) errors.push(l.message);
      },
    },
  );
  await server.start();
  const peer = await TestPeer.open(RELAY_IP, port);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const drain = async () => {
    while (await peer.next(1)); // replies to the noise
    peer.garbage.length = 0;
  };
  const memory = async () => {
    await drain();
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((res) => setImmediate(res));
    }
    return process.memoryUsage();
  };
  try {
    let seed = 0x5eed;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    // Real captured client packets (test/fixtures/dhcp) plus our test client's REQUEST, INFORM, RELEASE, DECLINE.
    const fixture = (name: string) => Buffer.from(readFileSync(new URL(`../fixtures/dhcp/${name}`, import.meta.url), 'utf8').trim(), 'hex');
    const templates = [
      ...['udhcpc-discover.hex', 'dhclient-discover.hex', 'qemu-seabios-ipxe-discover.hex', 'qemu-ovmf-ipxe-discover.hex', 'qemu-ovmf-native-discover.hex', 'ipxe-efi-discover-synthetic.hex'].map(fixture),
      clientPacket(DhcpMessageType.Request, { mac: MAC2, serverId: SERVER_IP, requestedIp: '127.0.0.100' }),
      clientPacket(DhcpMessageType.Request, { mac: MAC1, ciaddr: '127.0.0.101' }),
      clientPacket(DhcpMessageType.Inform, { mac: MAC3, ciaddr: '127.0.0.9' }),
      clientPacket(DhcpMessageType.Release, { mac: MAC1, serverId: SERVER_IP, ciaddr: '127.0.0.101' }),
      clientPacket(DhcpMessageType.Decline, { mac: MAC2, serverId: SERVER_IP, requestedIp: '127.0.0.102' }),
    ];
    const relay = Buffer.from([127, 0, 0, 2]);
    // Every packet is relayed by 127.0.0.2 (giaddr, never mutated), so any reply goes back to the peer on loopback.
    const asRelayed = (b: Buffer) => {
      if (b.length >= 28) {
        relay.copy(b, 24);
        b[3] = 1; // hops
      }
      return b;
    };
    const noise = (i: number): Buffer => {
      const kind = i % 8;
      if (kind === 0) {
        // Pure random bytes of random length.
        const b = Buffer.alloc(rnd() * 3);
        for (let k = 0; k < b.length; k++) b[k] = rnd();
        return asRelayed(b);
      }
      if (kind === 1) {
        // A valid header and cookie, then random option bytes: exercises every option parser.
        const b = Buffer.from(templates[i % templates.length]!.subarray(0, 240 + (rnd() % 200)));
        for (let k = 240; k < b.length; k++) b[k] = rnd();
        return asRelayed(b);
      }
      const b = asRelayed(Buffer.from(templates[i % templates.length]!));
      for (let k = 0; k < 1 + (i % 6); k++) {
        const at = ((rnd() << 8) | rnd()) % b.length;
        if (at < 24 || at >= 28) b[at] = rnd();
      }
      if (i % 7 === 0) return b.subarray(0, 240 + (rnd() % 40));
      if (i % 11 === 0) return Buffer.concat([b, Buffer.alloc(rnd(), rnd())]); // trailing junk
      return b;
    };

    const TOTAL = 100_000;
    const t0 = Date.now();
    let before: NodeJS.MemoryUsage | null = null;
    let doras = 0;
    let informs = 0;
    let retries = 0;
    for (let i = 0; i < TOTAL; i++) {
      await peer.send(noise(i), port);
      if (i % 250 === 249) {
        // A real INFORM every 250 packets must be answered. The socket is FIFO, so its answer also means the
        // noise before it was handled: this paces the storm to the server's speed (a faster flood only fills the
        // receive buffer, where the kernel drops new packets, the real client's too). One retransmission allowed,
        // as a real client would.
        await drain();
        let ack = await peer.exchange(DhcpMessageType.Inform, { mac: MAC3, ciaddr: '127.0.0.9' }, port, 3000);
        if (!ack) {
          retries++;
          ack = await peer.exchange(DhcpMessageType.Inform, { mac: MAC3, ciaddr: '127.0.0.9' }, port, 3000);
        }
        assert.equal(ack?.messageType, DhcpMessageType.Ack, `INFORM after packet ${i} answered`);
        informs++;
      }
      if (i === 10_000) before = await memory(); // after warm-up: pool full, JIT settled
      if (i % 10_000 === 5_000) {
        // A real client, mid-storm: its full DORA still succeeds.
        await drain();
        const mac = real[doras++ % real.length]!;
        const ack = await peer.dora({ mac }, port);
        assert.equal(ack.yiaddr, `127.0.0.${200 + real.indexOf(mac)}`);
      }
    }
    const after = await memory();
    const seconds = (Date.now() - t0) / 1000;
    const ack = await peer.dora({ mac: real[0]! }, port);
    assert.equal(ack.yiaddr, '127.0.0.200');
    const plain = await peer.exchange(DhcpMessageType.Inform, { mac: MAC3, ciaddr: '127.0.0.9' }, port);
    assert.equal(plain?.messageType, DhcpMessageType.Ack);

    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const heapGrowth = after.heapUsed - before!.heapUsed;
    const rssGrowth = after.rss - before!.rss;
    t.diagnostic(
      `${TOTAL} packets + ${doras} DORAs + ${informs} INFORMs (${retries} retried) in ${seconds.toFixed(1)} s; heapUsed ${mb(before!.heapUsed)} -> ${mb(after.heapUsed)} MB, ` +
        `rss ${mb(before!.rss)} -> ${mb(after.rss)} MB; events ${JSON.stringify(Object.fromEntries(counts))}`,
    );
    assert.ok(doras >= 10, `${doras} real DORAs ran during the storm`);
    assert.ok(retries <= informs / 100, `${retries} of ${informs} INFORMs needed a retransmission`);
    assert.ok((counts.get('lease') ?? 0) > 1000, 'the noise reached the lease logic, not just the decoder');
    assert.ok(heapGrowth < 20 * 1024 * 1024, `heap grew ${mb(heapGrowth)} MB over 90,000 packets`);
    assert.ok(rssGrowth < 64 * 1024 * 1024, `rss grew ${mb(rssGrowth)} MB over 90,000 packets`);
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
    assert.deepEqual(errors, [], 'no handler failed');
  } finally {
    errors = [];
    peer.close();
    await server.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
