/**
 * FieldbootApi over HTTP + WebSocket, for web mode (`fieldboot serve --ui`), talking to
 * electron/engine-host/web-server.ts: POST /api/call/<channel> and WS /api/events, both with the token.
 */
import type { ApiChannel, ApiChannels, ApiPush, ApiResult, FieldbootApi, UploadOptions } from '../../../shared/api/fieldboot-api';
import { API_UPLOAD_PREFIX } from '../../../shared/api/fieldboot-api';
import { API_DIAGNOSTICS_PATH, type DiagnosticsExport } from '../../../shared/api/fieldboot-api';
import type { LibraryImage } from '../../../shared/model/library-image';
import { ErrorCode, errorInfo } from '../../../shared/errors';

export interface WebApiOptions {
  /** http://127.0.0.1:PORT (the page's own origin). */
  origin: string;
  token: string;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;

function unreachable(detail: string): ApiResult<never> {
  return {
    ok: false,
    error: errorInfo(
      ErrorCode.EngineUnresponsive,
      `Cannot reach the FieldBoot server (${detail}).`,
      'Is "fieldboot serve --ui" still running? Start it again and open the new URL it prints.',
    ),
  };
}

/**
 * The part of XMLHttpRequest the upload uses. XHR, not fetch: fetch reports no upload progress, and
 * Chromium streams request bodies only over HTTP/2. Typed here so this file also compiles for Node tests.
 */
interface UploadRequest {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

function uploadImage(origin: string, token: string, file: File, options: UploadOptions = {}): Promise<ApiResult<LibraryImage>> {
  const Xhr = (globalThis as unknown as { XMLHttpRequest?: new () => UploadRequest }).XMLHttpRequest;
  if (!Xhr) return Promise.resolve(unreachable('this page cannot upload files'));
  return new Promise((resolve) => {
    const xhr = new Xhr();
    const aborted = (): void =>
      resolve({ ok: false, error: errorInfo(ErrorCode.BadOption, `the upload of ${file.name} was cancelled; nothing was added`, 'Drop the ISO on the window again.') });
    if (options.signal?.aborted) return aborted();
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.open('PUT', `${origin}${API_UPLOAD_PREFIX}${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => options.onProgress?.({ sentBytes: e.loaded, totalBytes: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        /* not JSON: reported below */
      }
      resolve(isApiResult(body) ? (body as ApiResult<LibraryImage>) : unreachable(`HTTP ${xhr.status}`));
    };
    xhr.onerror = () => resolve(unreachable('the upload connection failed'));
    xhr.onabort = aborted;
    xhr.send(file);
  });
}

function isApiResult(value: unknown): value is ApiResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}

/** The bit of the DOM the download needs, typed here so this file also compiles for Node tests. */
interface DownloadDocument {
  createElement(tag: 'a'): { href: string; download: string; click(): void; remove(): void };
  body: { appendChild(node: unknown): unknown };
}

/**
 * Web mode's "Export diagnostics": the server builds the zip and answers with it; the page hands it to the
 * browser as a download (a blob URL on a temporary link: the browser's own download handling, no dialog here).
 */
async function downloadDiagnostics(origin: string, token: string): Promise<ApiResult<DiagnosticsExport>> {
  let response: Response;
  try {
    response = await fetch(`${origin}${API_DIAGNOSTICS_PATH}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  } catch (err) {
    return unreachable(err instanceof Error ? err.message : String(err));
  }
  if (!response.ok || !(response.headers.get('Content-Type') ?? '').startsWith('application/zip')) {
    const body: unknown = await response.json().catch(() => null);
    return isApiResult(body) ? (body as ApiResult<DiagnosticsExport>) : unreachable(`HTTP ${response.status}`);
  }
  const fileName = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'fieldboot-diagnostics.zip';
  const files = (response.headers.get('X-Fieldboot-Files') ?? '').split(',').filter(Boolean);
  const blob = await response.blob();
  const doc = (globalThis as unknown as { document?: DownloadDocument }).document;
  if (doc) {
    const url = URL.createObjectURL(blob);
    const a = doc.createElement('a');
    a.href = url;
    a.download = fileName;
    doc.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { ok: true, value: { fileName, bytes: blob.size, files, savedTo: null } };
}

export function createWebApi({ origin, token }: WebApiOptions): FieldbootApi {
  async function call<C extends ApiChannel>(channel: C, request?: ApiChannels[C]['request']): Promise<ApiResult<ApiChannels[C]['response']>> {
    let response: Response;
    try {
      response = await fetch(`${origin}/api/call/${channel}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: request === undefined ? '' : JSON.stringify(request),
      });
    } catch (err) {
      return unreachable(err instanceof Error ? err.message : String(err));
    }
    const body: unknown = await response.json().catch(() => null);
    // The server answers every call with ApiResult JSON, refusals (401, 404) included.
    if (isApiResult(body)) return body as ApiResult<ApiChannels[C]['response']>;
    return unreachable(`HTTP ${response.status}`);
  }

  // One socket shared by all subscribers, opened on the first and closed after the last.
  const listeners = new Set<(push: ApiPush) => void>();
  let socket: WebSocket | null = null;
  let retryMs = RECONNECT_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  function open(): void {
    const wsUrl = `${origin.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(wsUrl);
    socket = ws;
    ws.onopen = () => {
      retryMs = RECONNECT_MIN_MS;
    };
    ws.onmessage = (message: MessageEvent) => {
      let push: ApiPush;
      try {
        push = JSON.parse(String(message.data)) as ApiPush;
      } catch {
        return;
      }
      for (const listener of listeners) listener(push);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (listeners.size === 0) return;
      // The server sends a fresh state snapshot on every connection, so a reconnect resynchronises.
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (listeners.size > 0 && socket === null) open();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  return {
    listInterfaces: () => call('interfaces:list'),
    getState: () => call('serving:state'),
    startServing: (request) => call('serving:start', request),
    stopServing: () => call('serving:stop'),
    listImages: () => call('images:list'),
    addImage: (path) => call('images:add', { path }),
    removeImage: (id) => call('images:remove', { id }),
    listProfiles: () => call('profiles:list'),
    getProfile: (name) => call('profiles:get', { name }),
    saveProfile: (request) => call('profiles:save', request),
    deleteProfile: (name) => call('profiles:delete', { name }),
    renderProfile: (request) => call('profiles:render', request),
    uploadImage: (file, options) => uploadImage(origin, token, file, options),
    listBmcs: () => call('bmc:list'),
    addBmc: (request) => call('bmc:add', request),
    updateBmc: (request) => call('bmc:update', request),
    importBmcs: (request) => call('bmc:import', request),
    removeBmcs: (ids) => call('bmc:remove', { ids }),
    testBmcs: (ids) => call('bmc:test', { ids }),
    installBmcs: (request) => call('bmc:install', request),
    powerBmcs: (request) => call('bmc:power', request),
    listClients: () => call('clients:list'),
    getClient: (mac) => call('clients:get', { mac }),
    armClients: (request) => call('clients:arm', request),
    disarmClients: (macs) => call('clients:disarm', { macs }),
    clearFinishedClients: () => call('clients:clear-finished'),
    exportClients: (format) => call('clients:export', { format }),
    runPreflight: (request) => call('preflight:run', request),
    probeDhcp: (request) => call('dhcp:probe', request),
    getLog: () => call('log:snapshot'),
    exportDiagnostics: () => downloadDiagnostics(origin, token),
    getSettings: () => call('settings:get'),
    saveSettings: (settings) => call('settings:set', settings),
    subscribe(listener) {
      listeners.add(listener);
      if (socket === null && retryTimer === null) open();
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        if (retryTimer !== null) clearTimeout(retryTimer);
        retryTimer = null;
        const ws = socket;
        socket = null;
        ws?.close();
      };
    },
  };
}
