/**
 * Debian CD/DVD images with `--netboot`: the netboot kernel and initrd of the same release are served as the
 * image's boot files (HTTP, TFTP, FTP) while the image stays the mirror; a netboot set from another point
 * release is refused before anything serves, naming both kernels. Real clients: curl over HTTP, TFTP, FTP.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Session } from '../../electron/engine/session';
import { FieldbootError } from '../../shared/errors';
import type { EngineEvent } from '../../shared/model/engine-event';
import type { ServeConfig } from '../../shared/model/serve-config';
import { fakeBzImage } from '../helpers/fake-bzimage';
import { buildIso, debianLayout, patternBytes, type BuiltIso } from '../helpers/iso-builder';

const run = promisify(execFile);
const HTTP_PORT = 18291;
const TFTP_PORT = 17091;
const FTP_PORT = 12291;
const BASE = `http://127.0.0.1:${HTTP_PORT}`;
const ARMED = '52:54:00:ab:20:01';
const RELEASE = '6.1.0-13-amd64';

let iso: BuiltIso;
let work: string;
const kernel = fakeBzImage(RELEASE, { size: 300_000 });
const initrd = patternBytes(700_000, 41);

function netbootTarball(release: string, name: string, k: Buffer = kernel, i: Buffer = initrd): string {
  const src = join(work, `${name}-tree`);
  mkdirSync(join(src, 'debian-installer', 'amd64'), { recursive: true });
  writeFileSync(join(src, 'debian-installer', 'amd64', 'linux'), release === RELEASE ? k : fakeBzImage(release));
  writeFileSync(join(src, 'debian-installer', 'amd64', 'initrd.gz'), i);
  const out = join(work, `${name}.tar.gz`);
  execFileSync('tar', ['czf', out, '-C', src, '.']);
  return out;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fb-netboot-int-'));
  const layout = debianLayout(12);
  // A DVD's pool carries the installer's kernel udebs, named after the kernel ABI they were built for.
  layout.spec[`pool/main/l/linux-signed-amd64/kernel-image-${RELEASE}-di_6.1.55-1_amd64.udeb`] = patternBytes(3000, 5);
  layout.spec[`pool/main/l/linux-signed-amd64/nic-modules-${RELEASE}-di_6.1.55-1_amd64.udeb`] = patternBytes(3000, 6);
  iso = await buildIso(layout.spec, layout.options);
});

after(async () => {
  await iso?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function config(state: string, netboot: string[]): ServeConfig {
  return {
    interface: 'lo',
    dhcpMode: 'off',
    isos: [iso.path],
    netboot,
    allow: [ARMED],
    profile: join(process.cwd(), 'examples', 'profiles', 'debian12.json'),
    stateDir: state,
    httpPort: HTTP_PORT,
    tftpPort: TFTP_PORT,
    ftpPort: FTP_PORT,
  };
}

async function fetchBytes(url: string): Promise<Buffer> {
  const { stdout } = await run('curl', ['-sS', '-f', url], { encoding: 'buffer', timeout: 20_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

test('a Debian DVD with --netboot boots the netboot kernel and initrd of its release, served from the archive over HTTP, TFTP and FTP', async () => {
  const state = mkdtempSync(join(work, 'state-'));
  const events: EngineEvent[] = [];
  const session = new Session(config(state, [netbootTarball(RELEASE, 'same')]), { emit: (e) => events.push(e), logSink: () => {} });
  try {
    await session.start();
    const img = session.servedImages()[0]!;
    assert.equal(img.summary.kernel, '/.netboot/amd64/linux');
    assert.ok(!img.summary.warnings.some((w) => /CD/.test(w)), 'the CD-initrd warning is gone');
    assert.ok(img.summary.notes.some((n) => n.includes(`netboot kernel ${RELEASE}`)), img.summary.notes.join('\n'));
    const menu = (await fetchBytes(`${BASE}/ipxe/pcbios/i386/${ARMED.replace(/:/g, '-')}.ipxe`)).toString();
    const k = /kernel (http:\/\/\S+)/.exec(menu)?.[1];
    const i = /initrd (http:\/\/\S+)/.exec(menu)?.[1];
    assert.equal(k, `${BASE}/iso/${img.id}/.netboot/amd64/linux`);
    assert.equal(i, `${BASE}/iso/${img.id}/.netboot/amd64/initrd.gz`);
    assert.match(menu, /auto=true priority=critical url=\S+preseed\.cfg/);
    assert.ok((await fetchBytes(k!)).equals(kernel), 'kernel over HTTP');
    assert.ok((await fetchBytes(i!)).equals(initrd), 'initrd over HTTP');
    assert.ok((await fetchBytes(`tftp://127.0.0.1:${TFTP_PORT}/iso/${img.id}/.NETBOOT/amd64/initrd.gz`)).equals(initrd), 'initrd over TFTP, any case');
    assert.ok((await fetchBytes(`ftp://127.0.0.1:${FTP_PORT}/pub/${img.id}/.netboot/amd64/linux`)).equals(kernel), 'kernel over FTP');
    // Only kernel and initrd: nothing else of the netboot folder shows through.
    assert.equal((await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${BASE}/iso/${img.id}/.netboot/amd64/complete`])).stdout, '404');
    // The image is still the mirror, and its own files are still there.
    assert.match((await fetchBytes(`${BASE}/iso/${img.id}/dists/bookworm/Release`)).toString(), /Codename: bookworm/);
    const roles = events.filter((e) => e.type === 'file' && e.action === 'end' && e.protocol === 'http').map((e) => (e.type === 'file' ? e.role : ''));
    assert.deepEqual(roles.slice(1, 3), ['kernel', 'initrd']);
    const preseed = (await fetchBytes(`${BASE}/answer/${ARMED.replace(/:/g, '-')}/preseed.cfg`)).toString();
    assert.match(preseed, new RegExp(`mirror/http/directory string /iso/${img.id}/?\n`));
  } finally {
    await session.stop();
  }
});

test('netboot files of another point release are refused before serving, naming both kernels', async () => {
  const state = mkdtempSync(join(work, 'state-'));
  const session = new Session(config(state, [netbootTarball('6.1.0-18-amd64', 'newer')]), { emit: () => {}, logSink: () => {} });
  await assert.rejects(session.start(), (e: unknown) => {
    assert.ok(e instanceof FieldbootError);
    assert.equal(e.code, 'netboot-unusable');
    assert.match(e.message, /kernel 6\.1\.0-18-amd64\) match no image: Debian GNU\/Linux 12\.5\.0 .*needs 6\.1\.0-13-amd64/);
    return true;
  });
  // Nothing is listening: the HTTP port is free again.
  const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${BASE}/`]).catch((err: { code?: number }) => err);
  assert.notEqual((r as { stdout?: string }).stdout, '200');
});

test('the unpacked kernel and initrd are cached in the state folder and reused by the next session', async () => {
  const state = mkdtempSync(join(work, 'state-'));
  const tarball = netbootTarball(RELEASE, 'cached');
  for (let round = 0; round < 2; round++) {
    const session = new Session(config(state, [tarball]), { emit: () => {}, logSink: () => {} });
    await session.start();
    await session.stop();
  }
  const found = execFileSync('find', [join(state, 'netboot-cache'), '-name', 'linux']).toString().trim().split('\n');
  assert.equal(found.length, 1);
  assert.ok(readFileSync(found[0]!).equals(kernel));
});

test('in the app: netboot.tar.gz added to the image library is listed with its kernel and served with the Debian image', async () => {
  const { AppController } = await import('../../electron/engine-host/app-controller');
  const stateDir = mkdtempSync(join(work, 'app-'));
  const controller = new AppController({ baseConfig: { stateDir, httpPort: HTTP_PORT, tftpPort: TFTP_PORT, ftp: false }, listInterfaces: async () => [] });
  try {
    const tarball = netbootTarball(RELEASE, 'library');
    const entry = await controller.addImage(tarball);
    assert.deepEqual(entry.netboot, { kernels: [{ arch: 'amd64', kernelVersion: RELEASE }] });
    assert.equal(entry.summary.name, 'Debian netboot files');
    // Alone (no Debian image in the library) it is left out, not an error.
    const alone = await controller.startServing({ interface: 'lo', dhcpMode: 'off' });
    assert.deepEqual(alone.images ?? [], []);
    await controller.stopServing();

    const dvd = await controller.addImage(iso.path);
    await controller.armClients({ macs: [ARMED], oneShot: false });
    const state = await controller.startServing({ interface: 'lo', dhcpMode: 'off' });
    assert.deepEqual(state.images?.map((i) => i.id), [dvd.id], 'the archive completes the image; it is not an image of its own');
    const menu = (await fetchBytes(`${BASE}/ipxe/efi/x86_64/${ARMED.replace(/:/g, '-')}.ipxe`)).toString();
    assert.match(menu, new RegExp(`kernel ${BASE}/iso/${dvd.id}/\\.netboot/amd64/linux `));
    assert.ok((await fetchBytes(`${BASE}/iso/${dvd.id}/.netboot/amd64/initrd.gz`)).equals(initrd));
    await controller.stopServing();

    // Another point release's archive beside it: Start refuses, naming the kernels.
    await controller.removeImage(entry.id);
    await controller.addImage(netbootTarball('6.1.0-18-amd64', 'other'));
    await assert.rejects(controller.startServing({ interface: 'lo', dhcpMode: 'off' }), (e: unknown) => e instanceof FieldbootError && e.code === 'netboot-unusable');
  } finally {
    await controller.stopServing().catch(() => undefined);
    await controller.dispose();
  }
});
