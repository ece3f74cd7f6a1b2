/**
 * Picks the FieldbootApi implementation: the Electron preload bridge when present, else web mode with
 * the token from the page URL (`?token=...`, as printed by `fieldboot serve --ui`).
 */
import type { FieldbootApi } from '../../../shared/api/fieldboot-api';
import { createWebApi } from './web-api';

export type ApiMode = 'desktop' | 'web';

export type ApiChoice = { ok: true; api: FieldbootApi; mode: ApiMode } | { ok: false; reason: string };

export function getApi(win: Window = window): ApiChoice {
  if (win.fieldboot) return { ok: true, api: win.fieldboot, mode: 'desktop' };
  const token = new URLSearchParams(win.location.search).get('token');
  if (!token) {
    return { ok: false, reason: 'This page needs the address printed by "fieldboot serve --ui", including its ?token=... part.' };
  }
  return { ok: true, api: createWebApi({ origin: win.location.origin, token }), mode: 'web' };
}
