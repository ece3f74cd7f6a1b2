/**
 * The Range request header (RFC 9110 section 14.2) for one representation of `size` bytes. Only byte ranges;
 * a single range is served as 206, several as the whole body with 200 (section 14.2 lets a server ignore
 * Range), none satisfiable as 416. A header that does not parse is ignored, as section 14.2 asks.
 */

export type RangeRequest =
  /** No Range header, or one to ignore (bad syntax, other unit). */
  | { kind: 'none' }
  /** One satisfiable range, end inclusive, clamped to the representation. */
  | { kind: 'single'; start: number; end: number }
  /** Several ranges, at least one satisfiable: answered with the whole body. */
  | { kind: 'multiple' }
  /** No range overlaps the representation: 416 with "Content-Range: bytes *\/size" (section 15.5.17). */
  | { kind: 'unsatisfiable' };

/** More ranges than this in one header is abuse (RFC 9110 section 14.2 lets a server refuse); ignored. */
export const MAX_RANGES = 64;

interface Spec {
  first: number | null;
  last: number | null;
  suffix: number | null;
}

/** A decimal position, Infinity when larger than any file could be (no precision games past 2^53). */
function position(digits: string): number {
  return digits.length > 15 ? Infinity : Number(digits);
}

function parseSpec(text: string): Spec | null {
  const m = /^(\d*)-(\d*)$/.exec(text.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') return { first: null, last: null, suffix: position(b) };
  const first = position(a);
  const last = b === '' ? null : position(b);
  // Section 14.1.1: an int-range whose last-pos is below its first-pos is invalid.
  if (last !== null && last < first) return null;
  return { first, last, suffix: null };
}

/** The satisfiable part of a spec (section 14.1.2), or null when none of it lies inside the body. */
function resolveSpec(s: Spec, size: number): { start: number; end: number } | null {
  if (s.suffix !== null) {
    if (s.suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - s.suffix), end: size - 1 };
  }
  const first = s.first ?? 0;
  if (first >= size) return null;
  return { start: first, end: Math.min(s.last ?? Infinity, size - 1) };
}

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'none' };
  const parts = header
    .slice(eq + 1)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_RANGES) return { kind: 'none' };
  const specs: Spec[] = [];
  for (const p of parts) {
    const s = parseSpec(p);
    if (!s) return { kind: 'none' };
    specs.push(s);
  }
  const satisfiable = specs.map((s) => resolveSpec(s, size)).filter((r): r is { start: number; end: number } => r !== null);
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  if (specs.length > 1) return { kind: 'multiple' };
  const only = satisfiable[0] as { start: number; end: number };
  return { kind: 'single', start: only.start, end: only.end };
}
