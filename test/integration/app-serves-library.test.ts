/**
 * The desktop app's own flow, through the real AppController and engine on loopback: an ISO added to the
 * image library and a profile saved by the wizard are what Start serves, with no CLI flags. An armed
 * machine's menu installs the library image unattended with that profile's answer file; `profile: null`
 * serves without one; a library image whose file went away stops the start with a message naming it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { AppController } from '../../electron/engine-host/app-controller';
import { DEFAULT_PROFILE } from '../../shared/answer/profile';
import { FieldbootError } from '../../shared/errors';
import { buildIso, debianLayout, rockyLayout } from '../helpers/iso-builder';

const run = promisify(execFile);
const HTTP_PORT = 18341;
const BASE = `http://127.0.0.1:${HTTP_PORT}`;
const MAC = '52:54:00:ac:31:01';

async function get(url: string): Promise<{ code: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', url], { timeout: 20_000 });
  const i = stdout.lastIndexOf('\n');
  return { code: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

test('Start serves the library images and the chosen wizard profile', { timeout: 120_000 }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-app-lib-'));
  const deb = debianLayout(12);
  const rocky = rockyLayout(9);
  const isos = await Promise.all([buildIso(deb.spec, deb.options), buildIso(rocky.spec, rocky.options)]);
  const controller = new AppController({ baseConfig: { stateDir, httpPort: HTTP_PORT, tftpPort: 16341, ftp: false }, listInterfaces: async () => [] });
  try {
    const debian = await controller.addImage(isos[0]!.path);
    const rockyImage = await controller.addImage(isos[1]!.path);
    const profile = structuredClone(DEFAULT_PROFILE);
    profile.name = 'rack12';
    profile.target = 'debian12';
    await controller.saveProfile({ profile, password: 'correct horse battery' });
    await controller.armClients({ macs: [MAC], oneShot: false });

    const state = await controller.startServing({ interface: 'lo', dhcpMode: 'off', profile: 'rack12' });
    assert.deepEqual(state.images?.map((i) => i.id).sort(), [debian.id, rockyImage.id].sort(), 'both library images served');
    assert.equal(state.profile?.name, 'rack12');
    const menu = await get(`${BASE}/ipxe/pcbios/i386/${MAC.replace(/:/g, '-')}.ipxe`);
    assert.equal(menu.code, 200);
    assert.match(menu.body, new RegExp(`kernel ${BASE}/iso/${debian.id}/install\\.amd/vmlinuz .*url=${BASE}/answer/${MAC.replace(/:/g, '-')}/preseed\\.cfg`));
    assert.match(menu.body, new RegExp(`/iso/${rockyImage.id}/images/pxeboot/vmlinuz`));
    const preseed = await get(`${BASE}/answer/${MAC.replace(/:/g, '-')}/preseed.cfg`);
    assert.equal(preseed.code, 200);
    assert.match(preseed.body, /d-i passwd\/root-password-crypted password \$6\$/, 'the saved profile, password hashed');
    await controller.stopServing();

    // No profile: the images are served, the armed machine installs interactively.
    await controller.startServing({ interface: 'lo', dhcpMode: 'off', profile: null });
    assert.doesNotMatch((await get(`${BASE}/ipxe/pcbios/i386/${MAC.replace(/:/g, '-')}.ipxe`)).body, /\/answer\//);
    await controller.stopServing();

    // Only the chosen image.
    const one = await controller.startServing({ interface: 'lo', dhcpMode: 'off', images: [rockyImage.id] });
    assert.deepEqual(one.images?.map((i) => i.id), [rockyImage.id]);
    await controller.stopServing();

    // A profile that is not there, an unknown id, a file that went away: refused, naming what.
    await assert.rejects(controller.startServing({ interface: 'lo', dhcpMode: 'off', profile: 'nope' }), (e: unknown) => e instanceof FieldbootError && e.code === 'profile-invalid' && /"nope"/.test(e.message));
    await assert.rejects(controller.startServing({ interface: 'lo', dhcpMode: 'off', images: ['nope-1'] }), /no image "nope-1" in the library/);
    renameSync(isos[1]!.path, `${isos[1]!.path}.moved`);
    await assert.rejects(controller.startServing({ interface: 'lo', dhcpMode: 'off', images: [rockyImage.id] }), (e: unknown) => e instanceof FieldbootError && e.code === 'file-not-found' && e.message.includes(isos[1]!.path));
    // Left out by default: the present image still serves.
    const rest = await controller.startServing({ interface: 'lo', dhcpMode: 'off' });
    assert.deepEqual(rest.images?.map((i) => i.id), [debian.id]);
    renameSync(`${isos[1]!.path}.moved`, isos[1]!.path);
  } finally {
    await controller.stopServing().catch(() => undefined);
    await controller.dispose();
    await Promise.all(isos.map((i) => i.cleanup()));
    rmSync(stateDir, { recursive: true, force: true });
  }
});
