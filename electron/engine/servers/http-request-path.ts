/**
 * The request target of an HTTP request, cleaned before any mount sees it. Traversal is refused here, once,
 * for every mount: '..' (raw or percent-encoded), backslashes (Windows-minded clients and CVE-2020-26299-style
 * escapes), NUL and other control characters, and encoded slashes (a "%2F" inside a segment would make one
 * path mean two things). '.' and empty segments are dropped ("//a/./b" is "/a/b"). Segments stay decoded.
 */

/** Longer targets are refused (414): no boot or install path comes near this. */
export const MAX_REQUEST_TARGET_LENGTH = 4096;

export interface RequestPath {
  ok: true;
  /** Decoded segments, none empty, '.' or '..'. */
  segments: string[];
  /** "/" + segments joined: what logs and events show. */
  path: string;
  /** The target ended in '/' (a directory was asked for). */
  trailingSlash: boolean;
  /** The raw query string without '?', '' when none. */
  query: string;
}

export interface RequestPathRefusal {
  ok: false;
  /** 400 for a malformed or refused path, 414 when too long. */
  status: 400 | 414;
  reason: string;
}

// Control characters (C0 and DEL): never part of a file name a boot client asks for.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function parseRequestTarget(target: string): RequestPath | RequestPathRefusal {
  if (target.length > MAX_REQUEST_TARGET_LENGTH) return { ok: false, status: 414, reason: `request target longer than ${MAX_REQUEST_TARGET_LENGTH} characters` };
  let t = target;
  // Absolute form (RFC 9112 section 3.2.2): proxies' style, but a server must accept it.
  const absolute = /^https?:\/\/[^/?#]*/i.exec(t);
  if (absolute) t = t.slice(absolute[0].length) || '/';
  if (!t.startsWith('/')) return { ok: false, status: 400, reason: 'request target is not an absolute path' };
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const query = q < 0 ? '' : t.slice(q + 1);
  if (rawPath.includes('#')) return { ok: false, status: 400, reason: 'fragment in request target' };
  if (rawPath.includes('\\')) return { ok: false, status: 400, reason: 'backslash in path' };
  if (CONTROL.test(rawPath)) return { ok: false, status: 400, reason: 'control character in path' };
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: 'bad percent-encoding in path' };
    }
    if (seg === '.') continue;
    if (seg === '..') return { ok: false, status: 400, reason: "'..' in path" };
    if (seg.includes('/') || seg.includes('\\')) return { ok: false, status: 400, reason: 'encoded separator in path' };
    if (CONTROL.test(seg)) return { ok: false, status: 400, reason: 'control character in path' };
    segments.push(seg);
  }
  const trailingSlash = segments.length > 0 && rawPath.endsWith('/');
  return { ok: true, segments, path: '/' + segments.join('/'), trailingSlash, query };
}

/** Percent-encodes a path for a Location header or a listing link, keeping '/' as the separator. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
