/**
 * The one API the renderer talks to. Two implementations: the Electron preload bridge over IPC
 * (electron/preload) and web mode over HTTP + WebSocket (renderer/src/api/web-api.ts ↔ electron/engine-host/web-server.ts).
 */
import type { ErrorInfo } from '../errors';
import type { EngineEvent } from '../model/engine-event';
import type { NetworkInterfaceInfo } from '../model/network';
import type { DhcpMode } from '../model/serve-config';

export type ServingPhase = 'idle' | 'starting' | 'serving' | 'stopping' | 'failed';

export interface ServingState {
  phase: ServingPhase;
  /** Set while starting/serving: what is being served. */
  interface: string | null;
  serverIp: string | null;
  dhcpMode: DhcpMode | null;
  range: string | null;
  services: { name: string; address: string; port: number }[];
  startedAt: string | null;
  /** Set when phase is "failed", or the last start failed. */
  error: ErrorInfo | null;
}

export interface StartRequest {
  interface: string;
  dhcpMode: DhcpMode;
  range?: string;
  root?: string;
  isos?: string[];
  allow?: string[];
}

/** Result of a call: data or a user-facing error; API calls never throw across the boundary. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export type ApiPush = { type: 'state'; state: ServingState } | { type: 'event'; event: EngineEvent };

export interface FieldbootApi {
  listInterfaces(): Promise<ApiResult<NetworkInterfaceInfo[]>>;
  getState(): Promise<ApiResult<ServingState>>;
  startServing(request: StartRequest): Promise<ApiResult<ServingState>>;
  stopServing(): Promise<ApiResult<ServingState>>;
  /** Live state changes and engine events. Returns an unsubscribe function. */
  subscribe(listener: (push: ApiPush) => void): () => void;
}

/** The request/response half of the API as a channel map (IPC channel names and HTTP routes derive from it). */
export interface ApiChannels {
  'interfaces:list': { request: void; response: NetworkInterfaceInfo[] };
  'serving:state': { request: void; response: ServingState };
  'serving:start': { request: StartRequest; response: ServingState };
  'serving:stop': { request: void; response: ServingState };
}
export type ApiChannel = keyof ApiChannels;
export const API_CHANNELS: readonly ApiChannel[] = ['interfaces:list', 'serving:state', 'serving:start', 'serving:stop'];
/** The push channel (main → renderer). */
export const API_PUSH_CHANNEL = 'fieldboot:push';

export const IDLE_STATE: ServingState = {
  phase: 'idle',
  interface: null,
  serverIp: null,
  dhcpMode: null,
  range: null,
  services: [],
  startedAt: null,
  error: null,
};
