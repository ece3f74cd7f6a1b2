/**
 * The render context for the wizard's preview and for `profiles:render`: the serving session's real
 * address and HTTP port while FieldBoot serves, else the same placeholder `fieldboot answer render` uses
 * without --server-ip. Main and renderer both call this, so the live preview, the saved copy main
 * renders and the CLI's output are the same text.
 *
 * Pure: the renderer imports it.
 */
import type { RenderContext, TargetId } from './profile';
import { defaultRenderContext } from './render';

/**
 * `fieldboot answer render` defaults --server-ip to 127.0.0.1; the preview uses the same value when
 * nothing is served, so "the preview is what answer render prints" holds without extra options.
 */
export const PREVIEW_SERVER_IP = '127.0.0.1';

/** What a ServingState says about where installers reach FieldBoot (a structural subset of it). */
export interface ServingAddress {
  phase: string;
  serverIp: string | null;
  services: readonly { name: string; port: number }[];
}

/** The server's address and HTTP port while serving, or null (not serving, or no HTTP service). */
export function servingHttp(state: ServingAddress | null): { serverIp: string; httpPort: number } | null {
  if (!state || state.phase !== 'serving' || !state.serverIp) return null;
  const http = state.services.find((s) => s.name === 'http');
  return http ? { serverIp: state.serverIp, httpPort: http.port } : null;
}

export function renderContextFor(target: TargetId, state: ServingAddress | null): RenderContext {
  const live = servingHttp(state);
  return live ? defaultRenderContext(target, live.serverIp, live.httpPort) : defaultRenderContext(target, PREVIEW_SERVER_IP);
}
