/**
 * A session serving ISOs on loopback, driven with real clients (curl over HTTP/TFTP/FTP, tftp-hpa): every
 * URL a menu hands out is fetched, answer files go only to armed machines, and each served file is
 * reported with its role and the machine's MAC; installer callbacks come back as stages.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Session } from '../../electron/engine/session';
import type { EngineEvent } from '../../shared/model/engine-event';
import { buildIso, debianLayout, rockyLayout, ubuntuLiveLayout, type BuiltIso } from '../helpers/iso-builder';

const run = promisify(execFile);
const HTTP_PORT = 18191;
const TFTP_PORT = 16991;
const FTP_PORT = 12191;
const BASE = `http://127.0.0.1:${HTTP_PORT}`;
const ARMED = '52:54:00:aa:10:01';
const OTHER = '52:54:00:aa:10:02';

let session: Session;
let state: string;
let isos: BuiltIso[] = [];
const events: EngineEvent[] = [];
let ids: { debian: string; rocky: string; ubuntu: string };

before(async () => {
  state = mkdtempSync(join(tmpdir(), 'fb-session-iso-'));
  const layouts = [debianLayout(12), rockyLayout(9), ubuntuLiveLayout('24.04')];
  isos = await Promise.all(layouts.map((l) => buildIso(l.spec, l.options)));
  session = new Session(
    {
      interface: 'lo',
      dhcpMode: 'off',
      isos: isos.map((i) => i.path),
      allow: [ARMED],
      profile: join(process.cwd(), 'examples', 'profiles', 'debian12.json'),
      menuTimeout: 4,
      stateDir: state,
      httpPort: HTTP_PORT,
      tftpPort: TFTP_PORT,
      ftpPort: FTP_PORT,
    },
    { emit: (e) => events.push(e), logSink: () => {} },
  );
  const ready = await session.start();
  assert.deepEqual(ready.services.map((s) => s.name).sort(), ['ftp', 'http', 'tftp']);
  const served = session.servedImages();
  const id = (family: string) => served.find((s) => s.summary.family === family)?.id ?? '';
  ids = { debian: id('debian'), rocky: id('rocky'), ubuntu: id('ubuntu-live-server') };
  assert.ok(ids.debian && ids.rocky && ids.ubuntu, JSON.stringify(served.map((s) => s.id)));
});

after(async () => {
  await session?.stop();
  await Promise.all(isos.map((i) => i.cleanup()));
  rmSync(state, { recursive: true, force: true });
});

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '-f', ...args], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function status(url: string): Promise<number> {
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', url], { timeout: 20_000 });
  return Number(stdout);
}

const dashed = (mac: string) => mac.replace(/:/g, '-');

async function until<T>(find: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = find();
    if (hit !== undefined) return hit;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the armed machine\'s iPXE menu defaults to the first image, unattended, and every URL in it works', async () => {
  const menu = await curl([`${BASE}/ipxe/pcbios/i386/${dashed(ARMED)}.ipxe`]);
  assert.match(menu, /set fb-default image-1/);
  assert.match(menu, /Install Debian GNU\/Linux 12\.5\.0 amd64 \(unattended\)/);
  assert.match(menu, /Install Rocky Linux 9\.3 x86_64 \(interactive\)/);
  const urls = [...menu.matchAll(/(?:kernel|initrd) (http:\/\/\S+)/g)].map((m) => m[1]!);
  assert.equal(urls.length, 6, 'kernel and initrd for three images');
  for (const u of urls) assert.ok((await curl([u])).length > 0, u);
  const answerUrl = /url=(http:\/\/\S+preseed\.cfg)/.exec(menu)?.[1];
  assert.equal(answerUrl, `${BASE}/answer/${dashed(ARMED)}/preseed.cfg`);
  const preseed = await curl([answerUrl!]);
  assert.match(preseed, /d-i preseed\/early_command/);
  assert.match(preseed, new RegExp(`mirror/http/directory string /iso/${ids.debian}/?\n`), 'the ISO is the mirror');
  assert.match(preseed, /mirror\/http\/hostname string 127\.0\.0\.1:18191\n/);
  const stage = await until(() => events.find((e) => e.type === 'stage' && e.stage === 'answer-fetched' && e.mac === ARMED), 'answer-fetched');
  assert.ok(stage.type === 'stage' && stage.image === ids.debian);
});

test('a machine nobody armed: local disk by default, and no answer file even when asked for by URL', async () => {
  const menu = await curl([`${BASE}/ipxe/efi/x86_64/${dashed(OTHER)}.ipxe`]);
  assert.match(menu, /set fb-default local/);
  assert.doesNotMatch(menu, /\/answer\//);
  assert.equal(await status(`${BASE}/answer/${dashed(OTHER)}/preseed.cfg`), 403);
  assert.ok(!events.some((e) => e.type === 'stage' && e.mac === OTHER));
});

test('files are reported with their role, image and the MAC that fetched them', async () => {
  events.length = 0;
  await curl([`${BASE}/ipxe/pcbios/i386/${dashed(ARMED)}.ipxe`]);
  await curl([`${BASE}/iso/${ids.rocky}/images/pxeboot/vmlinuz`]);
  await curl([`${BASE}/iso/${ids.rocky}/images/pxeboot/initrd.img`]);
  await curl([`${BASE}/iso/${ids.rocky}/BaseOS/repodata/repomd.xml`]);
  const roles = events.filter((e) => e.type === 'file' && e.action === 'end').map((e) => (e.type === 'file' ? [e.role, e.mac, e.image ?? null] : []));
  assert.deepEqual(roles, [
    ['menu', ARMED, null],
    ['kernel', ARMED, ids.rocky],
    ['initrd', ARMED, ids.rocky],
    ['repo-metadata', ARMED, ids.rocky],
  ]);
  assert.ok(events.some((e) => e.type === 'stage' && e.stage === 'installer-started' && e.mac === ARMED), 'initrd end: the installer starts');
});

test('the whole image at /iso/<id>.iso with ranges (Ubuntu url=), and the NoCloud seed for autoinstall', async () => {
  await session.arm([OTHER], { imageId: ids.ubuntu, oneShot: false });
  const menu = await curl([`${BASE}/ipxe/efi/x86_64/${dashed(OTHER)}.ipxe`]);
  assert.match(menu, /set fb-default image-3/);
  assert.match(menu, new RegExp(`url=${BASE}/iso/${ids.ubuntu}\\.iso autoinstall ds=nocloud-net;s=${BASE}/answer/${dashed(OTHER)}/ cloud-config-url=/dev/null`));
  const head = await curl(['-I', `${BASE}/iso/${ids.ubuntu}.iso`]);
  const size = Number(/content-length: (\d+)/i.exec(head)?.[1]);
  const iso = isos[2]!;
  const { size: onDisk } = await import('node:fs').then((fs) => fs.statSync(iso.path));
  assert.equal(size, onDisk);
  const part = await curl(['-r', '32768-32773', `${BASE}/iso/${ids.ubuntu}.iso`]);
  assert.equal(part, '\u0001CD001', 'the primary volume descriptor, by range');
  assert.match(await curl([`${BASE}/answer/${dashed(OTHER)}/user-data`]), /^#cloud-config\n(.|\n)*autoinstall:/);
  assert.match(await curl([`${BASE}/answer/${dashed(OTHER)}/meta-data`]), /instance-id: fieldboot-52-54-00-aa-10-02/);
  await session.disarm([OTHER]);
  assert.equal(await status(`${BASE}/answer/${dashed(OTHER)}/user-data`), 403);
});

test('pxelinux and GRUB menus over TFTP (tftp-hpa), per MAC, with kernels reachable by the same paths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-tftp-'));
  try {
    const get = async (remote: string) => {
      const local = join(dir, remote.replace(/[/:]/g, '_'));
      await run('tftp', ['127.0.0.1', String(TFTP_PORT), '-m', 'binary', '-c', 'get', remote, local], { timeout: 20_000 });
      return (await import('node:fs')).readFileSync(local, 'utf8');
    };
    const armed = await get(`pxelinux.cfg/01-${dashed(ARMED)}`);
    assert.match(armed, /ONTIMEOUT image-1/);
    const kernel = /KERNEL (\S+)/.exec(armed)?.[1];
    assert.equal(kernel, `/iso/${ids.debian}/install.amd/vmlinuz`);
    assert.ok((await get(kernel!.slice(1))).length > 0, 'the kernel path in the menu is served over TFTP');
    assert.match(await get('pxelinux.cfg/default'), /ONTIMEOUT local/);
    // tftp-hpa reads "a:b" as host:file, so the GRUB per-MAC name (colons, as GRUB asks) goes through curl.
    assert.match(await curl([`tftp://127.0.0.1:${TFTP_PORT}/fieldboot/grub/${ARMED}.cfg`]), /set default=0/);
    assert.match(await get('grub/grub.cfg'), /configfile \/fieldboot\/grub\/\$net_default_mac\.cfg/);
    assert.match(await get('debian-installer/amd64/grub/grub.cfg'), /configfile/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FTP: the images under /pub/<id>/ for the seed flow (method=ftp://...), anonymous, read-only', async () => {
  const list = await curl(['-l', `ftp://127.0.0.1:${FTP_PORT}/pub/`]);
  assert.ok(list.split(/\r?\n/).includes(ids.rocky), list);
  const treeinfo = await curl([`ftp://127.0.0.1:${FTP_PORT}/pub/${ids.rocky}/.treeinfo`]);
  assert.equal(treeinfo, await curl([`${BASE}/iso/${ids.rocky}/.treeinfo`]));
  await assert.rejects(run('curl', ['-sS', '-f', '-T', '/etc/hostname', `ftp://127.0.0.1:${FTP_PORT}/pub/x.txt`], { timeout: 20_000 }));
});

test('installer callbacks: wget-style GET and curl-style POST become stages for the MAC; "unknown" is resolved by address', async () => {
  events.length = 0;
  await curl([`${BASE}/ipxe/pcbios/i386/${dashed(ARMED)}.ipxe`]); // this address is now known as ARMED
  events.length = 0;
  await curl([`${BASE}/api/progress/${dashed(ARMED)}?stage=pre-install&mac=${ARMED}`]);
  await curl(['-H', 'Content-Type: application/json', '-d', JSON.stringify({ stage: 'post-install', mac: 'unknown' }), `${BASE}/api/progress/unknown`]);
  const stages = events.filter((e) => e.type === 'stage').map((e) => (e.type === 'stage' ? [e.stage, e.mac, e.source] : []));
  assert.deepEqual(stages, [
    ['pre-install', ARMED, 'installer'],
    ['post-install', ARMED, 'installer'],
  ]);
});

test('a corrupt ISO stops the session from starting with a message naming the file', async () => {
  const bad = join(state, 'broken.iso');
  (await import('node:fs')).writeFileSync(bad, Buffer.alloc(64 * 1024, 0x41));
  const s = new Session({ interface: 'lo', dhcpMode: 'off', isos: [bad], allow: [], stateDir: state, httpPort: HTTP_PORT + 1, tftpPort: TFTP_PORT + 1, ftp: false }, { emit: () => {}, logSink: () => {} });
  await assert.rejects(s.start(), (err: Error & { code?: string }) => err.code === 'iso-unreadable' && err.message.includes('broken.iso'));
});

test('one-shot arming: once the installer reports "finished", the machine gets local disk and no answer file', async () => {
  const mac = '52:54:00:aa:10:03';
  await session.arm([mac], { imageId: ids.rocky });
  assert.match(await curl([`${BASE}/ipxe/efi/x86_64/${dashed(mac)}.ipxe`]), /set fb-default image-2/);
  assert.match(await curl([`${BASE}/answer/${dashed(mac)}/ks.cfg`]), /%packages/);
  await curl([`${BASE}/api/progress/${dashed(mac)}?stage=finished&mac=${mac}`]);
  await until(() => events.find((e) => e.type === 'arm' && e.mac === mac && !e.armed && e.reason === 'finished'), 'disarm on finish');
  assert.match(await curl([`${BASE}/ipxe/efi/x86_64/${dashed(mac)}.ipxe`]), /set fb-default local/);
  assert.equal(await status(`${BASE}/answer/${dashed(mac)}/ks.cfg`), 403);
  const record = session.clients()?.get(mac);
  assert.equal(record?.armed, false);
  assert.equal(record?.stage, 'finished');
});
