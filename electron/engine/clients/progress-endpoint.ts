/**
 * The installer progress endpoint: an HTTP handler mount at /api/progress/ that turns the three callback
 * shapes of shared/answer/progress.ts into StageEvents:
 *
 * 1. POST /api/progress/<mac>          JSON {"stage", "mac", "message"?}       (curl: kickstart, autoinstall)
 * 2. GET  /api/progress/<mac>?stage=&mac=[&message=]                             (busybox wget: Debian installer)
 * 3. POST /api/progress/<mac>/events   a subiquity/curtin reporting webhook event → stage "installing"
 *
 * The MAC is taken from the body or query, else from the path; "unknown" (a generic answer file) leaves it
 * to the tracker, which knows the caller's address from its lease. The reply is sent only after `emit`
 * settles, so when emit is the tracker's observe() a 200 means the stage is on disk. Installers ignore the
 * answer; it is for people testing with curl (400 says what is wrong with the call).
 */
import type { ServerResponse } from 'node:http';
import { PROGRESS_EVENTS_SUFFIX, PROGRESS_STAGES, ProgressStage } from '../../../shared/answer/progress';
import type { StageEvent } from '../../../shared/model/engine-event';
import { nowIso } from '../../../shared/model/engine-event';
import { normalizeMac } from '../../../shared/net/ipv4';
import type { HttpHandlerMount } from '../servers/http-mounts';

export const PROGRESS_PREFIX = '/api/progress/';
/** Callback bodies are a few hundred bytes; subiquity events with a long description stay well under. */
export const PROGRESS_MAX_BODY_BYTES = 16 * 1024;
/** Longest message kept from a callback (a log line, not a transcript). */
export const PROGRESS_MAX_MESSAGE = 300;

const EVENTS_SEGMENT = PROGRESS_EVENTS_SUFFIX.replace(/^\//, '');
const STAGES: ReadonlySet<string> = new Set(PROGRESS_STAGES);

export type StageEmit = (event: StageEvent) => void | Promise<void>;

export interface ProgressEndpointOptions {
  prefix?: string;
  now?: () => string;
}

/** Control characters out, whitespace folded, length bounded: it ends up in a log line and a CSV cell. */
export function cleanMessage(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (!clean) return undefined;
  return clean.length > PROGRESS_MAX_MESSAGE ? `${clean.slice(0, PROGRESS_MAX_MESSAGE - 1)}…` : clean;
}

/** A subiquity/curtin webhook event → the message to show, or null for events not worth a log line. */
export function webhookMessage(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const e = body as Record<string, unknown>;
  const what = cleanMessage(e.description) ?? cleanMessage(e.name);
  if (!what) return null;
  // "start" says what the installer is doing now; a "finish" only matters when it failed. "log" events
  // repeat what the console shows, hundreds per install.
  if (e.event_type === 'start') return what;
  if (e.event_type === 'finish' && e.result === 'FAIL') return `failed: ${what}`;
  return null;
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export function progressEndpoint(emit: StageEmit, options: ProgressEndpointOptions = {}): HttpHandlerMount {
  const now = options.now ?? nowIso;
  return {
    prefix: options.prefix ?? PROGRESS_PREFIX,
    methods: ['POST'],
    maxBodyBytes: PROGRESS_MAX_BODY_BYTES,
    // The reply is written here (not returned), so a GET callback is not reported as a file transfer.
    async handler(req, res, ctx) {
      const [pathMac, tail, ...extra] = ctx.segments;
      if (pathMac === undefined || extra.length > 0 || (tail !== undefined && tail !== EVENTS_SEGMENT)) {
        reply(res, 404, 'not a progress URL\n');
        return undefined;
      }
      if (req.method === 'HEAD') {
        reply(res, 200, '');
        return undefined;
      }
      let stage: string | undefined;
      let mac: string | undefined;
      let message: string | undefined;
      if (tail === EVENTS_SEGMENT) {
        if (req.method !== 'POST') {
          reply(res, 405, 'webhook events are POSTed\n');
          return undefined;
        }
        let body: unknown;
        try {
          body = JSON.parse(ctx.body.toString('utf8'));
        } catch {
          reply(res, 400, 'body is not JSON\n');
          return undefined;
        }
        const text = webhookMessage(body);
        if (text === null) {
          reply(res, 200, 'ignored\n');
          return undefined;
        }
        stage = ProgressStage.Installing;
        message = text;
      } else if (req.method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse(ctx.body.toString('utf8'));
        } catch {
          reply(res, 400, 'body is not JSON\n');
          return undefined;
        }
        if (!body || typeof body !== 'object') {
          reply(res, 400, 'body must be a JSON object\n');
          return undefined;
        }
        const b = body as Record<string, unknown>;
        stage = typeof b.stage === 'string' ? b.stage : undefined;
        mac = typeof b.mac === 'string' ? b.mac : undefined;
        message = cleanMessage(b.message);
      } else {
        stage = ctx.query.get('stage') ?? undefined;
        mac = ctx.query.get('mac') ?? undefined;
        message = cleanMessage(ctx.query.get('message'));
      }
      if (!stage || !STAGES.has(stage)) {
        reply(res, 400, `stage must be one of ${PROGRESS_STAGES.join(', ')}\n`);
        return undefined;
      }
      const known = (mac ? normalizeMac(mac) : null) ?? normalizeMac(pathMac);
      const event: StageEvent = {
        type: 'stage',
        time: now(),
        mac: known ?? 'unknown',
        stage: stage as ProgressStage,
        source: 'installer',
        ...(message ? { message } : {}),
        client: `${ctx.clientAddress}:${ctx.clientPort}`,
      };
      try {
        await emit(event);
      } catch (err) {
        ctx.log.error(`progress callback ${stage} for ${event.mac} not recorded: ${(err as Error).message}`);
        reply(res, 503, 'not recorded\n');
        return undefined;
      }
      reply(res, 200, 'ok\n');
      return undefined;
    },
  };
}
