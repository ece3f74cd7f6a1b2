/**
 * A whole serving session on loopback: DHCP (relay-style peer), TFTP and HTTP from one config, and the
 * boot answers real firmware depends on: BIOS and UEFI loaders over TFTP, UEFI HTTP boot (arch 16) gets an
 * http:// URL it can fetch and the HTTPClient echo, and a client already running iPXE gets the script URL
 * (never iPXE again). Every URL handed out is fetched here with curl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DhcpMessageType, DhcpOption } from '../../electron/engine/protocol/dhcp/dhcp-constants';
import { Session } from '../../electron/engine/session';
import type { EngineEvent } from '../../shared/model/engine-event';
import { RELAY_IP, TestPeer } from './dhcp-test-client';

const run = promisify(execFile);
const DHCP_PORT = 16868;
const HTTP_PORT = 18181;
const TFTP_PORT = 16969;

let session: Session;
let peer: TestPeer;
let state: string;
const events: EngineEvent[] = [];

before(async () => {
  state = mkdtempSync(join(tmpdir(), 'fb-session-'));
  session = new Session(
    { interface: 'lo', dhcpMode: 'full', range: '127.0.0.100-127.0.0.120', isos: [], allow: [], stateDir: state, dhcpPort: DHCP_PORT, dhcpClientPort: 16869, proxyPort: 16870, httpPort: HTTP_PORT, tftpPort: TFTP_PORT, ftp: false },
    { emit: (e) => events.push(e), logSink: () => {} },
  );
  const ready = await session.start();
  assert.deepEqual(ready.services.map((s) => s.name).sort(), ['dhcp', 'http', 'tftp']);
  peer = await TestPeer.open(RELAY_IP, DHCP_PORT);
});

after(async () => {
  peer?.close();
  await session?.stop();
  rmSync(state, { recursive: true, force: true });
});

const text = (b: Buffer | undefined) => (b ? b.toString('latin1') : '');
const option = (p: { options: { code: number; data: Buffer }[] }, code: number) => p.options.find((o) => o.code === code)?.data;

test('BIOS PXE client: undionly.kpxe in file and option 67, next server, PXEClient; it downloads over TFTP', async () => {
  const offer = await peer.exchange(DhcpMessageType.Discover, { mac: '52:54:00:aa:00:01', arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }, DHCP_PORT);
  assert.ok(offer);
  assert.equal(offer.messageType, DhcpMessageType.Offer);
  assert.equal(offer.file, 'undionly.kpxe');
  assert.equal(text(option(offer, DhcpOption.BootfileName)), 'undionly.kpxe');
  assert.equal(offer.siaddr, '127.0.0.1');
  assert.equal(text(option(offer, DhcpOption.VendorClassIdentifier)), 'PXEClient');
  const out = join(state, 'undionly.kpxe');
  await run('curl', ['-sS', '--tftp-blksize', '1468', '-o', out, `tftp://127.0.0.1:${TFTP_PORT}/undionly.kpxe`], { timeout: 20_000 });
  assert.ok(readFileSync(out).equals(readFileSync('resources/boot/undionly.kpxe')));
});

test('UEFI HTTP boot (arch 16): an http:// loader URL that serves the loader, and the HTTPClient echo', async () => {
  const offer = await peer.exchange(DhcpMessageType.Discover, { mac: '52:54:00:aa:00:02', arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' }, DHCP_PORT);
  assert.ok(offer);
  const url = offer.file;
  assert.equal(url, `http://127.0.0.1:${HTTP_PORT}/boot/ipxe.efi`);
  assert.equal(text(option(offer, DhcpOption.VendorClassIdentifier)), 'HTTPClient');
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{content_type}', url], { timeout: 20_000 });
  const [code, size, type] = stdout.split(' ');
  assert.equal(code, '200');
  assert.equal(Number(size), readFileSync('resources/boot/ipxe.efi').length);
  assert.match(type ?? '', /application\/efi|octet-stream/);
});

test('a client already running iPXE gets the boot script URL, never iPXE again; the script is served', async () => {
  for (const [mac, arch] of [['52:54:00:aa:00:03', 0], ['52:54:00:aa:00:04', 7]] as const) {
    const offer = await peer.exchange(DhcpMessageType.Discover, { mac, arch, vendorClass: `PXEClient:Arch:0000${arch}:UNDI:002001`, userClass: 'iPXE' }, DHCP_PORT);
    assert.ok(offer);
    assert.equal(offer.file, `http://127.0.0.1:${HTTP_PORT}/boot/fieldboot.ipxe`, `arch ${arch}`);
  }
  const { stdout } = await run('curl', ['-sS', `http://127.0.0.1:${HTTP_PORT}/boot/fieldboot.ipxe`], { timeout: 20_000 });
  assert.match(stdout, /^#!ipxe/);
  assert.match(stdout, /exit/);
});

test('a plain DHCP client gets an address and no boot answer; file events name the transfers', async () => {
  const ack = await peer.dora({ mac: '52:54:00:aa:00:05' }, DHCP_PORT);
  assert.match(ack.yiaddr, /^127\.0\.0\.(1[0-1]\d|120)$/);
  assert.equal(ack.file, '');
  assert.equal(option(ack, DhcpOption.BootfileName), undefined);
  assert.ok(events.some((e) => e.type === 'file' && e.protocol === 'tftp' && e.action === 'end' && /undionly\.kpxe$/.test(e.path)));
  assert.ok(events.some((e) => e.type === 'file' && e.protocol === 'http' && e.action === 'end' && /ipxe\.efi$/.test(e.path)));
});
