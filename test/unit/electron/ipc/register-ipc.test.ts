/**
 * The Electron bridge end to end without Electron: the real preload (electron/preload/index.ts) and the
 * real IPC handlers (electron/ipc/register-ipc.ts), joined by test/helpers/fake-electron.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { API_CHANNELS, API_PUSH_CHANNEL } from '../../../../shared/api/fieldboot-api';
import { createFakeBackend, FAKE_INTERFACES } from '../../../helpers/fake-backend';
import * as fake from '../../../helpers/fake-electron';

fake.useFakeElectron();
// The fake must be the very module instance the code under test imports as 'electron'.
const electron = (await import('electron')) as unknown as typeof fake;
await import('../../../../electron/preload/index');
const { registerIpc } = await import('../../../../electron/ipc/register-ipc');

test('the preload exposes window.fieldboot and every channel reaches the backend', async () => {
  assert.equal(electron.exposed, fake.exposed, "the code under test imported this fake as 'electron'");
  const api = electron.exposed.get('fieldboot') as FieldbootApi;
  assert.ok(api, 'window.fieldboot is exposed');
  assert.deepEqual(Object.keys(api).sort(), [
    'addImage', 'getState', 'listImages', 'listInterfaces', 'pathForFile', 'removeImage', 'startServing', 'stopServing', 'subscribe',
    'addBmc', 'importBmcs', 'installBmcs', 'listBmcs', 'powerBmcs', 'removeBmcs', 'testBmcs', 'updateBmc',
    'listProfiles', 'getProfile', 'saveProfile', 'deleteProfile', 'renderProfile',
    'listClients', 'getClient', 'armClients', 'disarmClients', 'clearFinishedClients', 'exportClients',
    'runPreflight', 'probeDhcp',
    'getLog', 'exportDiagnostics',
    'getSettings', 'saveSettings',
  ].sort());
  // pathForFile is webUtils.getPathForFile, with '' (a File made in the page) turned into null.
  assert.equal(api.pathForFile?.({ path: '/isos/rocky.iso' } as never), '/isos/rocky.iso');
  assert.equal(api.pathForFile?.({} as never), null);

  const backend = createFakeBackend({ transitionMs: 1 });
  const unregister = registerIpc(backend, electron.fakeWindow as never);
  try {
    assert.deepEqual(electron.ipcMain.handledChannels().sort(), [...API_CHANNELS].sort());
    assert.deepEqual(await api.listInterfaces(), { ok: true, value: FAKE_INTERFACES });

    const pushes: ApiPush[] = [];
    const unsubscribe = api.subscribe((p) => pushes.push(p));
    const started = await api.startServing({ interface: 'br0', dhcpMode: 'off' });
    assert.ok(started.ok && started.value.phase === 'serving');
    assert.deepEqual(
      pushes.map((p) => p.type === 'state' && p.state.phase),
      ['starting', 'serving'],
      'state pushes reach the renderer on the push channel',
    );
    backend.emit({ type: 'lease', time: new Date().toISOString(), action: 'ack', mac: '52:54:00:00:00:02', ip: '192.168.77.101' });
    assert.equal(pushes.at(-1)?.type, 'event');
    const armed = await api.armClients({ macs: ['52:54:00:00:00:02'], oneShot: true });
    assert.ok(armed.ok && armed.value[0]?.armed === true && backend.clients.isArmed('52:54:00:00:00:02'), 'clients:arm reaches the tracker');
    const preflight = await api.runPreflight?.({ interface: 'br0', dhcpMode: 'proxy' });
    assert.ok(preflight?.ok && preflight.value.checks.some((c) => c.id === 'port-udp-4011'), 'preflight:run reaches the backend');
    const probe = await api.probeDhcp?.({ interface: 'br0', timeoutMs: 1000 });
    assert.ok(probe?.ok && probe.value.interface === 'br0' && probe.value.timeoutMs === 1000, 'dhcp:probe reaches the backend');
    const badProbe = await api.probeDhcp?.({ interface: 'br0', timeoutMs: 60_000 });
    assert.equal(badProbe && !badProbe.ok && badProbe.error.code, 'bad-option', 'a probe longer than 10 s is refused at the edge');
    unsubscribe();
    assert.equal(electron.ipcRenderer.listenerCount(API_PUSH_CHANNEL), 0, 'unsubscribe removes the IPC listener');

    const bad = await api.startServing({ interface: 'br0', dhcpMode: 'evil' as 'off' });
    assert.equal(!bad.ok && bad.error.code, 'bad-option');
    const notServing = await api.stopServing().then(() => api.stopServing());
    assert.equal(!notServing.ok && notServing.error.code, 'not-serving');
  } finally {
    unregister();
  }
  assert.deepEqual(electron.ipcMain.handledChannels(), [], 'unregister removes every handler');
});

test('calls from another frame or window are refused before the backend sees them', async () => {
  const api = electron.exposed.get('fieldboot') as FieldbootApi;
  const backend = createFakeBackend({ transitionMs: 1 });
  const unregister = registerIpc(backend, electron.fakeWindow as never);
  try {
    electron.caller.senderFrame = { processId: 1, routingId: 7 };
    const fromSubframe = await api.listInterfaces();
    assert.equal(fromSubframe.ok, false);
    electron.caller.senderFrame = electron.mainFrame;
    electron.caller.sender = { other: 'window' };
    const fromOtherWindow = await api.startServing({ interface: 'br0', dhcpMode: 'off' });
    assert.equal(fromOtherWindow.ok, false);
    assert.deepEqual(backend.calls, []);
  } finally {
    electron.caller.sender = electron.webContents;
    electron.caller.senderFrame = electron.mainFrame;
    unregister();
  }
});

test('no pushes are sent to a destroyed window', () => {
  const backend = createFakeBackend();
  const unregister = registerIpc(backend, electron.fakeWindow as never);
  let received = 0;
  const listener = () => received++;
  electron.ipcRenderer.on(API_PUSH_CHANNEL, listener);
  try {
    electron.webContents.destroyed = true;
    backend.emit({ type: 'stopped', time: new Date().toISOString(), reason: 'test' });
    assert.equal(received, 0);
    electron.webContents.destroyed = false;
    backend.emit({ type: 'stopped', time: new Date().toISOString(), reason: 'test' });
    assert.equal(received, 1);
  } finally {
    electron.ipcRenderer.removeListener(API_PUSH_CHANNEL, listener);
    unregister();
  }
});
