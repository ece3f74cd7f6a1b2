/**
 * What the HTTP server serves, as a list of mounts matched by whole path segments (so "/iso/deb/" never
 * matches "/iso/debian/..."): a FileSource under a prefix (an ISO's contents, a boot tree), one file on
 * disk at one path (the ISO itself, for Ubuntu's `url=`), or a handler for dynamic routes (answer files
 * per MAC, installer progress callbacks). Exact paths win over prefixes; longer prefixes over shorter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { FileSource } from '../files/file-source';
import type { Log } from '../log';
import { parseRequestTarget } from './http-request-path';

/** Files under a prefix, from a FileSource. */
export interface HttpSourceMount {
  /** "/iso/<id>/": starts and ends with '/'. "/" serves the source at the root. */
  prefix: string;
  source: FileSource;
  /** Directory listings (HTML) for this mount. Off by default: nothing asks for them but people. */
  listing?: boolean;
}

/** One whole file on disk at one path (opened per request: its own descriptor each time). */
export interface HttpFileMount {
  /** "/iso/<id>.iso": starts with '/', does not end with '/'. */
  path: string;
  file: string;
}

/** What a handler may return instead of writing the response itself. */
export interface HttpReply {
  /** Default 200. */
  status?: number;
  /** Default text/plain; charset=utf-8. */
  contentType?: string;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface HttpHandlerContext {
  /** The decoded path below the mount's prefix, with a leading '/' ("/52-54-00-12-34-56/preseed.cfg"). */
  subPath: string;
  /** The decoded segments of subPath. */
  segments: string[];
  /** The whole decoded request path. */
  path: string;
  query: URLSearchParams;
  /** The client's address (IPv4-mapped IPv6 shown as IPv4) and port. */
  clientAddress: string;
  clientPort: number;
  /** The request body of a POST, read up to the mount's limit (413 beyond); empty for GET and HEAD. */
  body: Buffer;
  log: Log;
}

/**
 * A dynamic route. Return an HttpReply for the server to send (it handles HEAD, Content-Length and the
 * file event), null for 404, or undefined after writing `res` yourself. A throw answers 500.
 */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, ctx: HttpHandlerContext) => HttpReply | null | undefined | Promise<HttpReply | null | undefined>;

export interface HttpHandlerMount {
  /** "/api/": starts and ends with '/'. */
  prefix: string;
  handler: HttpHandler;
  /** Methods accepted besides GET and HEAD. Only POST is possible; default ['POST']. */
  methods?: readonly 'POST'[];
  /** Largest POST body read for the handler; default DEFAULT_HTTP_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
}

export type HttpMount = HttpSourceMount | HttpFileMount | HttpHandlerMount;

export function isSourceMount(m: HttpMount): m is HttpSourceMount {
  return 'source' in m;
}
export function isFileMount(m: HttpMount): m is HttpFileMount {
  return 'file' in m;
}
export function isHandlerMount(m: HttpMount): m is HttpHandlerMount {
  return 'handler' in m;
}

/** A mount with its path pre-split, in match order. */
export interface CompiledMount {
  mount: HttpMount;
  segments: string[];
  exact: boolean;
}

export type MountMatch = { mount: HttpMount; rest: string[] };

function mountSegments(text: string, what: string): string[] {
  const parsed = parseRequestTarget(text);
  if (!parsed.ok || parsed.query !== '') throw new FieldbootError(ErrorCode.BadOption, `HTTP mount ${what} ${JSON.stringify(text)} is not a clean absolute path`);
  return parsed.segments;
}

/** Checks and orders mounts. Throws FieldbootError(BadOption) on a malformed or duplicate mount. */
export function compileMounts(mounts: readonly HttpMount[]): CompiledMount[] {
  const seen = new Set<string>();
  const out: CompiledMount[] = [];
  for (const mount of mounts) {
    let compiled: CompiledMount;
    if (isFileMount(mount)) {
      if (!mount.path.startsWith('/') || mount.path.endsWith('/')) {
        throw new FieldbootError(ErrorCode.BadOption, `HTTP file mount path ${JSON.stringify(mount.path)} must start with '/' and not end with '/'`);
      }
      compiled = { mount, segments: mountSegments(mount.path, 'path'), exact: true };
    } else {
      if (!mount.prefix.startsWith('/') || !mount.prefix.endsWith('/')) {
        throw new FieldbootError(ErrorCode.BadOption, `HTTP mount prefix ${JSON.stringify(mount.prefix)} must start and end with '/'`);
      }
      compiled = { mount, segments: mountSegments(mount.prefix, 'prefix'), exact: false };
    }
    const key = `${compiled.exact ? '=' : '>'}${compiled.segments.join('/')}`;
    if (seen.has(key)) throw new FieldbootError(ErrorCode.BadOption, `two HTTP mounts at ${isFileMount(mount) ? mount.path : mount.prefix}`);
    seen.add(key);
    out.push(compiled);
  }
  return out.sort((a, b) => Number(b.exact) - Number(a.exact) || b.segments.length - a.segments.length);
}

/** The mount serving `segments`, and the segments below its prefix. */
export function matchMount(compiled: readonly CompiledMount[], segments: readonly string[], trailingSlash: boolean): MountMatch | null {
  for (const c of compiled) {
    if (c.exact) {
      if (trailingSlash || segments.length !== c.segments.length) continue;
    } else if (segments.length < c.segments.length) continue;
    let same = true;
    for (let i = 0; i < c.segments.length; i++) {
      if (segments[i] !== c.segments[i]) {
        same = false;
        break;
      }
    }
    if (same) return { mount: c.mount, rest: segments.slice(c.segments.length) };
  }
  return null;
}
