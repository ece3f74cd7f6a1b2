/**
 * FieldbootApi over HTTP + WebSocket, for web mode (`fieldboot serve --ui`), talking to
 * electron/engine-host/web-server.ts: POST /api/call/<channel> and WS /api/events, both with the token.
 */
import type { ApiChannel, ApiChannels, ApiPush, ApiResult, FieldbootApi } from '../../../shared/api/fieldboot-api';
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

function isApiResult(value: unknown): value is ApiResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
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
