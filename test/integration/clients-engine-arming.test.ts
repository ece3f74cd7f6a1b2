/**
 * Arming from the Clients view reaches the engine's boot decisions: AppController with the real engine
 * process on loopback serving an ISO; a machine armed in the view (before and while serving) gets the
 * install as its menu default; disarmed, it gets local disk again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { AppController } from '../../electron/engine-host/app-controller';
import { buildIso, rockyLayout } from '../helpers/iso-builder';

const run = promisify(execFile);
const HTTP_PORT = 18231;
const BASE = `http://127.0.0.1:${HTTP_PORT}`;

async function menuDefault(mac: string): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '-f', `${BASE}/ipxe/pcbios/i386/${mac.replace(/:/g, '-')}.ipxe`], { timeout: 20_000 });
  return /set fb-default (\S+)/.exec(stdout)?.[1] ?? '';
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('machines armed in the Clients view are armed in the engine; disarmed ones boot from disk', { timeout: 120_000 }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-arming-'));
  const layout = rockyLayout(9);
  const iso = await buildIso(layout.spec, layout.options);
  const before = '52:54:00:ab:00:01';
  const during = '52:54:00:ab:00:02';
  const controller = new AppController({
    baseConfig: { stateDir, httpPort: HTTP_PORT, tftpPort: 16231, ftp: false },
    listInterfaces: async () => [],
  });
  try {
    await controller.armClients({ macs: [before], oneShot: true });
    await controller.startServing({ interface: 'lo', dhcpMode: 'off', isos: [iso.path] });
    await eventually(async () => (await menuDefault(before)) === 'image-1', 'armed before serving');
    assert.equal(await menuDefault(during), 'local');
    await controller.armClients({ macs: [during], oneShot: false });
    await eventually(async () => (await menuDefault(during)) === 'image-1', 'armed while serving');
    await controller.disarmClients([before]);
    await eventually(async () => (await menuDefault(before)) === 'local', 'disarmed');
    assert.equal(await menuDefault(during), 'image-1');
  } finally {
    await controller.stopServing().catch(() => undefined);
    await controller.dispose();
    await iso.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
