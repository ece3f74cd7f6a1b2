/**
 * The preload bridge: exposes FieldbootApi as `window.fieldboot` to the sandboxed renderer, over
 * ipcRenderer.invoke (one channel per ApiChannels key) and one push channel. The renderer never sees
 * ipcRenderer itself, only these typed functions. Bundled to CJS (sandboxed preloads cannot import).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { ApiChannel, ApiChannels, ApiPush, ApiResult, FieldbootApi } from '../../shared/api/fieldboot-api';
import { API_PUSH_CHANNEL } from '../../shared/api/fieldboot-api';

function invoke<C extends ApiChannel>(channel: C, request?: ApiChannels[C]['request']): Promise<ApiResult<ApiChannels[C]['response']>> {
  return ipcRenderer.invoke(channel, request) as Promise<ApiResult<ApiChannels[C]['response']>>;
}

const api: FieldbootApi = {
  listInterfaces: () => invoke('interfaces:list'),
  getState: () => invoke('serving:state'),
  startServing: (request) => invoke('serving:start', request),
  stopServing: () => invoke('serving:stop'),
  listImages: () => invoke('images:list'),
  addImage: (path) => invoke('images:add', { path }),
  removeImage: (id) => invoke('images:remove', { id }),
  listProfiles: () => invoke('profiles:list'),
  getProfile: (name) => invoke('profiles:get', { name }),
  saveProfile: (request) => invoke('profiles:save', request),
  deleteProfile: (name) => invoke('profiles:delete', { name }),
  renderProfile: (request) => invoke('profiles:render', request),
  // Electron >= 32 removed File.path; webUtils is the sanctioned way to learn where a dropped file lives.
  // Only the path crosses to main, and main inspects it before trusting it.
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
  listBmcs: () => invoke('bmc:list'),
  addBmc: (request) => invoke('bmc:add', request),
  updateBmc: (request) => invoke('bmc:update', request),
  importBmcs: (request) => invoke('bmc:import', request),
  removeBmcs: (ids) => invoke('bmc:remove', { ids }),
  testBmcs: (ids) => invoke('bmc:test', { ids }),
  installBmcs: (request) => invoke('bmc:install', request),
  powerBmcs: (request) => invoke('bmc:power', request),
  listClients: () => invoke('clients:list'),
  getClient: (mac) => invoke('clients:get', { mac }),
  armClients: (request) => invoke('clients:arm', request),
  disarmClients: (macs) => invoke('clients:disarm', { macs }),
  clearFinishedClients: () => invoke('clients:clear-finished'),
  exportClients: (format) => invoke('clients:export', { format }),
  runPreflight: (request) => invoke('preflight:run', request),
  probeDhcp: (request) => invoke('dhcp:probe', request),
  getLog: () => invoke('log:snapshot'),
  // Main shows the save dialog and writes the file; only the outcome comes back.
  exportDiagnostics: () => invoke('diagnostics:export'),
  getSettings: () => invoke('settings:get'),
  saveSettings: (settings) => invoke('settings:set', settings),
  subscribe(listener) {
    // Wrap so the renderer's callback never receives the IPC event (it carries `sender`).
    const onPush = (_event: IpcRendererEvent, push: ApiPush): void => listener(push);
    ipcRenderer.on(API_PUSH_CHANNEL, onPush);
    return () => {
      ipcRenderer.removeListener(API_PUSH_CHANNEL, onPush);
    };
  },
};

contextBridge.exposeInMainWorld('fieldboot', api);
