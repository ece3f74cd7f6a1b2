/**
 * settings.json in the app's state folder: saved atomically and read back, a broken file reported with the
 * defaults in force, the host's options as defaults, and the saved values in the ServeConfig the controller
 * hands its engine host at the next start (and in preflight's port checks).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppController } from '../../electron/engine-host/app-controller';
import { dispatchApiCall } from '../../electron/engine-host/api-dispatch';
import { EngineHost } from '../../electron/engine-host/engine-host';
import { SETTINGS_FILE_NAME, SettingsStore, applySettings, settingsDefaults } from '../../electron/engine-host/settings-store';
import type { ReadyEvent } from '../../shared/model/engine-event';
import type { ServeConfig } from '../../shared/model/serve-config';
import { DEFAULT_SETTINGS, type AppSettings } from '../../shared/settings';

const CUSTOM: AppSettings = {
  ...DEFAULT_SETTINGS,
  httpPort: 8080,
  tftpPort: 6969,
  range: '10.77.0.100-10.77.0.150',
  leaseTime: 7200,
  biosLoader: 'pxelinux',
  menuTimeout: 5,
  stateDir: '/var/tmp/fb-engine',
  logLevel: 'warn',
};

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fb-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('nothing saved: the defaults, savedAt null; save writes the file atomically and a new store reads it back', async (t) => {
  const dir = tempDir(t);
  const store = new SettingsStore(dir, DEFAULT_SETTINGS);
  const empty = await store.load();
  assert.deepEqual(empty.settings, DEFAULT_SETTINGS);
  assert.equal(empty.savedAt, null);
  assert.equal(empty.file, join(dir, SETTINGS_FILE_NAME));
  assert.equal(empty.loadError, undefined);

  const saved = await store.save(CUSTOM);
  assert.deepEqual(saved.settings, CUSTOM);
  assert.ok(saved.savedAt);
  assert.deepEqual(readdirSync(dir), [SETTINGS_FILE_NAME], 'no temp file left behind');
  const again = await new SettingsStore(dir, DEFAULT_SETTINGS).load();
  assert.deepEqual(again.settings, CUSTOM);
  assert.equal(again.savedAt, saved.savedAt);
});

test('save refuses what the shared checks refuse, naming the field, and leaves the file as it was', async (t) => {
  const dir = tempDir(t);
  const store = new SettingsStore(dir, DEFAULT_SETTINGS);
  await store.save(CUSTOM);
  const before = readFileSync(store.file, 'utf8');
  await assert.rejects(store.save({ ...CUSTOM, ftpPort: 8080 }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'bad-option');
    assert.match(err.message, /ftpPort: Port 8080 is already the HTTP port/);
    return true;
  });
  await assert.rejects(store.save({ ...CUSTOM, menuTimeout: 601 }), /menuTimeout/);
  assert.equal(readFileSync(store.file, 'utf8'), before);
});

test('a broken or foreign file: the defaults apply and the problem is reported; an older file gains new keys', async (t) => {
  const dir = tempDir(t);
  const store = new SettingsStore(dir, DEFAULT_SETTINGS);
  for (const [text, why] of [
    ['{not json', /is not JSON/],
    ['{"version":99,"savedAt":"x","settings":{}}', /not a FieldBoot settings file/],
    [JSON.stringify({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', settings: { ...CUSTOM, httpPort: 70000 } }), /httpPort: The HTTP port must be/],
  ] as const) {
    writeFileSync(store.file, text);
    const s = await store.load();
    assert.deepEqual(s.settings, DEFAULT_SETTINGS);
    assert.equal(s.savedAt, null);
    assert.match(s.loadError ?? '', why);
  }
  const { logLevel: _dropped, ...older } = CUSTOM;
  writeFileSync(store.file, JSON.stringify({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', settings: older }));
  const s = await store.load();
  assert.equal(s.loadError, undefined);
  assert.deepEqual(s.settings, { ...CUSTOM, logLevel: DEFAULT_SETTINGS.logLevel });
});

test('defaults follow the options the host was started with', () => {
  const d = settingsDefaults({ stateDir: '/s', httpPort: 18080, tftpPort: 16969, menuTimeout: 3, biosBootFile: 'pxelinux.0', leaseTime: 600 });
  assert.deepEqual(d, { ...DEFAULT_SETTINGS, httpPort: 18080, tftpPort: 16969, menuTimeout: 3, biosLoader: 'pxelinux', leaseTime: 600 });
});

test('applySettings: nothing saved changes nothing; saved values go into the config; the request range wins', () => {
  const config: ServeConfig = { interface: 'br0', dhcpMode: 'full', isos: [], allow: [], stateDir: '/app/state', httpPort: 80 };
  assert.equal(applySettings(config, { settings: CUSTOM, savedAt: null }), config);
  const applied = applySettings(config, { settings: CUSTOM, savedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(applied.httpPort, 8080);
  assert.equal(applied.tftpPort, 6969);
  assert.equal(applied.range, '10.77.0.100-10.77.0.150');
  assert.equal(applied.leaseTime, 7200);
  assert.equal(applied.menuTimeout, 5);
  assert.equal(applied.biosBootFile, 'pxelinux.0');
  assert.equal(applied.stateDir, '/var/tmp/fb-engine');
  assert.equal(applied.logLevel, 'warn');
  const saved = { settings: { ...CUSTOM, biosLoader: 'ipxe', stateDir: '' } as AppSettings, savedAt: 'x' };
  assert.equal(applySettings(config, saved).biosBootFile, 'undionly.kpxe');
  assert.equal(applySettings(config, saved).stateDir, '/app/state', 'empty stateDir keeps the app folder');
  assert.equal(applySettings({ ...config, range: '10.77.0.20-10.77.0.30' }, saved).range, '10.77.0.20-10.77.0.30');
  assert.equal(applySettings({ ...config, dhcpMode: 'proxy' }, saved).range, undefined, 'no pool outside full mode');
});

/** An engine host that records the config instead of starting an engine. */
class RecordingHost extends EngineHost {
  configs: ServeConfig[] = [];
  override async start(config: ServeConfig): Promise<ReadyEvent> {
    this.configs.push(config);
    return { type: 'ready', time: new Date().toISOString(), interface: config.interface, serverIp: '10.77.0.1', prefix: 24, dhcpMode: config.dhcpMode, range: null, services: [] };
  }
  override async stop(): Promise<void> {}
}

test('AppController: settings:set / settings:get through the dispatch table, applied at the next start', async (t) => {
  const dir = tempDir(t);
  const host = new RecordingHost();
  const controller = new AppController({ baseConfig: { stateDir: dir, httpPort: 18080 }, host, listInterfaces: async () => [] });
  t.after(() => controller.dispose());

  const first = await dispatchApiCall(controller, 'settings:get', undefined);
  assert.ok(first.ok);
  assert.equal(first.value.settings.httpPort, 18080, 'the host option is the default');
  assert.equal(first.value.savedAt, null);

  const refused = await dispatchApiCall(controller, 'settings:set', { ...CUSTOM, httpPort: 0 });
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.error.message, /httpPort/);
  assert.equal((await dispatchApiCall(controller, 'settings:set', { ...CUSTOM, extra: 1 })).ok, false);

  await controller.startServing({ interface: 'br0', dhcpMode: 'full' });
  assert.equal(host.configs[0]?.httpPort, 18080, 'before a save: the host options');
  assert.equal(host.configs[0]?.biosBootFile, undefined);
  await controller.stopServing();

  const saved = await dispatchApiCall(controller, 'settings:set', CUSTOM);
  assert.ok(saved.ok);
  await controller.startServing({ interface: 'br0', dhcpMode: 'full' });
  const cfg = host.configs[1];
  assert.equal(cfg?.httpPort, 8080);
  assert.equal(cfg?.menuTimeout, 5);
  assert.equal(cfg?.biosBootFile, 'pxelinux.0');
  assert.equal(cfg?.logLevel, 'warn');
  assert.equal(cfg?.range, '10.77.0.100-10.77.0.150');
  await controller.stopServing();

  // A new controller on the same folder (an app restart) has them.
  const again = new AppController({ baseConfig: { stateDir: dir }, host: new RecordingHost(), listInterfaces: async () => [] });
  t.after(() => again.dispose());
  const read = await dispatchApiCall(again, 'settings:get', undefined);
  assert.ok(read.ok);
  assert.deepEqual(read.value.settings, CUSTOM);
});
