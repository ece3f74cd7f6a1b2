/**
 * The foreign-DHCP probe on loopback: stand-in servers answer its DISCOVER (unicast to 127.0.0.1, since loopback
 * carries no broadcast to port 68). The probe must list each server once with what it offered, ignore replies
 * that are not OFFERs to its own DISCOVER, and never send anything but that one DISCOVER.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { NULL_SINK, createLog } from '../../electron/engine/log';
import { BootOp, BROADCAST_FLAG, DhcpMessageType, DhcpOption } from '../../electron/engine/protocol/dhcp/dhcp-constants';
import { getOptionData, ipData, ipListData, textData, u32Data, u8Data, type DhcpOptionEntry } from '../../electron/engine/protocol/dhcp/dhcp-options';
import { decodeDhcpPacket, encodeDhcpPacket, type DecodedDhcpPacket } from '../../electron/engine/protocol/dhcp/dhcp-packet';
import { probeDhcpServers } from '../../electron/engine/servers/dhcp-probe';

const log = createLog(NULL_SINK, 'DHCP');
let nextPort = 26767;

async function bound(address: string, port = 0, reuseAddr = false): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ port, address, exclusive: true }, () => resolve());
  });
  return s;
}

function offer(req: DecodedDhcpPacket, o: { type?: number; xid?: number; yiaddr: string; serverId?: string; extra?: DhcpOptionEntry[]; file?: string; siaddr?: string }): Buffer {
  const options: DhcpOptionEntry[] = [{ code: DhcpOption.MessageType, data: u8Data(o.type ?? DhcpMessageType.Offer) }];
  if (o.serverId) options.push({ code: DhcpOption.ServerIdentifier, data: ipData(o.serverId) });
  options.push(...(o.extra ?? []));
  return encodeDhcpPacket({
    op: BootOp.Reply,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: o.xid ?? req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: '0.0.0.0',
    yiaddr: o.yiaddr,
    siaddr: o.siaddr ?? '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: req.chaddr,
    sname: '',
    file: o.file ?? '',
    options,
  });
}

test('probe: lists every server that OFFERs (address, PXE info, router, DNS), once each, and sends only one DISCOVER', async () => {
  const serverPort = nextPort++;
  const clientPort = nextPort++;
  const server = await bound('127.0.0.1', serverPort);
  const siteTx = await bound('127.0.0.3');
  const pxeTx = await bound('127.0.0.4');
  const received: DecodedDhcpPacket[] = [];
  server.on('message', (m) => {
    const req = decodeDhcpPacket(m);
    received.push(req);
    const to = (s: dgram.Socket, b: Buffer) => s.send(b, clientPort, '127.0.0.1');
    // A site server: address, mask, router, DNS, lease time; it repeats its OFFER (counted, not listed twice).
    const site = offer(req, {
      yiaddr: '127.0.0.200',
      serverId: '127.0.0.3',
      extra: [
        { code: DhcpOption.SubnetMask, data: ipData('255.0.0.0') },
        { code: DhcpOption.Router, data: ipData('127.0.0.254') },
        { code: DhcpOption.DomainNameServer, data: ipListData(['127.0.0.53', '127.0.0.54']) },
        { code: DhcpOption.LeaseTime, data: u32Data(7200) },
      ],
      siaddr: '127.0.0.3', // its own address in siaddr is no boot offer
    });
    to(siteTx, site);
    to(siteTx, site);
    // A proxyDHCP server: no address, PXE boot information.
    to(pxeTx, offer(req, {
      yiaddr: '0.0.0.0',
      serverId: '127.0.0.4',
      siaddr: '127.0.0.4',
      file: 'pxelinux.0',
      extra: [{ code: DhcpOption.VendorClassIdentifier, data: textData('PXEClient') }],
    }));
    // Not OFFERs to this DISCOVER: another transaction, an ACK, garbage.
    to(siteTx, offer(req, { yiaddr: '127.0.0.201', serverId: '127.0.0.9', xid: (req.xid + 1) >>> 0 }));
    to(siteTx, offer(req, { yiaddr: '127.0.0.202', serverId: '127.0.0.8', type: DhcpMessageType.Ack }));
    to(siteTx, Buffer.from('not dhcp at all'));
  });
  try {
    const t0 = Date.now();
    const r = await probeDhcpServers({ interfaceName: 'lo', timeoutMs: 600, destination: '127.0.0.1', serverPort, clientPort, bindToDevice: false }, log);
    assert.ok(Date.now() - t0 >= 550, 'it listens for the whole timeout');
    assert.equal(received.length, 1, 'exactly one packet sent');
    const d = received[0]!;
    assert.equal(d.messageType, DhcpMessageType.Discover, 'a DISCOVER, never a REQUEST');
    assert.equal(d.flags & BROADCAST_FLAG, BROADCAST_FLAG, 'broadcast flag set');
    assert.equal(d.mac, r.mac);
    assert.equal(parseInt(r.mac.slice(0, 2), 16) & 0x03, 0x02, 'a unicast, locally administered MAC');
    assert.equal(d.vendorClass?.startsWith('PXEClient'), true, 'asks as a PXE ROM would');
    assert.equal(getOptionData(d.options, DhcpOption.RequestedIpAddress), undefined);

    assert.deepEqual(
      r.servers.map((s) => [s.serverId, s.sourceIp, s.offeredIp, s.leasesAddresses, s.pxe, s.offers]),
      [
        ['127.0.0.3', '127.0.0.3', '127.0.0.200', true, false, 2],
        ['127.0.0.4', '127.0.0.4', '0.0.0.0', false, true, 1],
      ],
    );
    const site = r.servers[0]!;
    assert.deepEqual(site.router, ['127.0.0.254']);
    assert.deepEqual(site.dns, ['127.0.0.53', '127.0.0.54']);
    assert.equal(site.subnetMask, '255.0.0.0');
    assert.equal(site.leaseTimeSec, 7200);
    assert.deepEqual(site.boot, { nextServer: '127.0.0.3', vendorOptions: false });
    assert.deepEqual(r.servers[1]!.boot, { nextServer: '127.0.0.4', bootFile: 'pxelinux.0', vendorClass: 'PXEClient', vendorOptions: false });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(received.length, 1, 'nothing sent after the probe either');
  } finally {
    for (const s of [server, siteTx, pxeTx]) s.close();
  }
});

test('probe: nobody answers -> an empty list, not an error', async () => {
  const serverPort = nextPort++;
  const clientPort = nextPort++;
  const r = await probeDhcpServers({ interfaceName: 'lo', timeoutMs: 200, destination: '127.0.0.1', serverPort, clientPort, bindToDevice: false }, log);
  assert.deepEqual(r.servers, []);
});

test('probe: the client port held by another program (a DHCP client) -> PortInUse that says so', async () => {
  const clientPort = nextPort++;
  const holder = await bound('0.0.0.0', clientPort);
  try {
    await assert.rejects(
      probeDhcpServers({ interfaceName: 'lo', timeoutMs: 200, destination: '127.0.0.1', serverPort: nextPort++, clientPort, bindToDevice: false }, log),
      (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.PortInUse && /DHCP client/.test(err.message) && /--force/.test(err.hint),
    );
  } finally {
    holder.close();
  }
});
