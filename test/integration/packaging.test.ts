/**
 * electron-builder packages the app offline (the Electron binary cannot be downloaded here, so a stub
 * distribution stands in for it): the config is valid, the bundles are in app.asar, and the boot loaders
 * ship as extraResources where the engine looks for them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('electron-builder packs an unpacked Linux app with the bundles and the boot loaders', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-pack-'));
  try {
    await run(process.execPath, ['scripts/build.mjs'], { timeout: 120_000 });
    const stub = join(dir, 'electron-dist');
    mkdirSync(join(stub, 'resources'), { recursive: true });
    writeFileSync(join(stub, 'electron'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(stub, 'electron'), 0o755);
    const electronVersion = (JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')) as { version: string }).version;
    writeFileSync(join(stub, 'version'), electronVersion);
    copyFileSync('node_modules/electron/LICENSE', join(stub, 'LICENSE'));
    const out = join(dir, 'out');
    await run(
      process.execPath,
      ['node_modules/electron-builder/cli.js', '--linux', 'dir', `-c.electronDist=${stub}`, `-c.electronVersion=${electronVersion}`, `-c.directories.output=${out}`],
      { timeout: 200_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
    );
    const app = join(out, 'linux-unpacked');
    const asar = createRequire(import.meta.url)('@electron/asar') as { listPackage(p: string): string[] };
    const files = asar.listPackage(join(app, 'resources', 'app.asar'));
    for (const f of ['/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/dist/electron/engine.cjs', '/dist/renderer/index.html', '/package.json']) {
      assert.ok(files.includes(f), `${f} in app.asar`);
    }
    for (const f of ['undionly.kpxe', 'ipxe.efi', 'snponly.efi', 'pxelinux.0', 'ldlinux.c32', 'efi64/syslinux.efi', 'efi64/ldlinux.e64', 'MANIFEST.txt']) {
      assert.ok(existsSync(join(app, 'resources', 'boot', f)), `resources/boot/${f} shipped`);
    }
    assert.ok(!files.some((f) => f.endsWith('.map')), 'no source maps shipped');
    // The native addons ship outside the archive (a .node file cannot be loaded from inside app.asar).
    for (const [pkg, file] of [['fieldboot-sendfile', 'fieldboot_sendfile.node'], ['fieldboot-tftp', 'fieldboot_tftp.node']] as const) {
      if (!existsSync(`node_modules/${pkg}/build/Release/${file}`)) continue;
      assert.ok(existsSync(join(app, 'resources', 'app.asar.unpacked', 'node_modules', pkg, 'build', 'Release', file)), `the ${pkg} addon is unpacked`);
    }
    // Linux privileges: the polkit policy and the engine wrapper the deb installs.
    for (const f of ['fieldboot-engine', 'org.fieldboot.engine.policy']) assert.ok(existsSync(join(app, 'resources', 'linux', f)), `resources/linux/${f} shipped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The real Electron binary (downloaded by `npm ci` where the network allows it). */
const ELECTRON_BINARY = join('node_modules', 'electron', 'dist', process.platform === 'win32' ? 'electron.exe' : 'electron');

test(
  'release packages for this platform (AppImage + deb on Linux) with the real Electron binary',
  {
    timeout: 600_000,
    skip: existsSync(ELECTRON_BINARY) ? false : 'the Electron binary is not installed (it cannot be downloaded on this machine: npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1)',
  },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-release-'));
    try {
      await run(process.execPath, ['scripts/build.mjs'], { timeout: 120_000 });
      const platformFlag = process.platform === 'win32' ? '--win' : process.platform === 'darwin' ? '--mac' : '--linux';
      await run(process.execPath, ['node_modules/electron-builder/cli.js', platformFlag, `-c.directories.output=${dir}`], { timeout: 550_000 });
      const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
      const made = (await import('node:fs')).readdirSync(dir);
      const expected = process.platform === 'linux' ? ['.AppImage', '.deb'] : process.platform === 'win32' ? ['.exe'] : ['.dmg'];
      for (const ext of expected) assert.ok(made.some((f) => f.includes(version) && f.endsWith(ext)), `${ext} built: ${made.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
