/** IPv4 helpers on 32-bit unsigned integers. Pure; used by the engine, validators and the UI. */

export type Ipv4 = number;

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): Ipv4 | null {
  const m = IPV4_RE.exec(text.trim());
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return null;
    n = n * 256 + part;
  }
  return n >>> 0;
}

export function formatIpv4(n: Ipv4): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function prefixToMask(prefix: number): Ipv4 {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffff;
  return (0xffffffff << (32 - prefix)) >>> 0;
}

export function maskToPrefix(mask: Ipv4): number {
  let p = 0;
  for (let bit = 31; bit >= 0 && (mask >>> bit) & 1; bit--) p++;
  return p;
}

export function networkOf(ip: Ipv4, prefix: number): Ipv4 {
  return (ip & prefixToMask(prefix)) >>> 0;
}

export function broadcastOf(ip: Ipv4, prefix: number): Ipv4 {
  return (networkOf(ip, prefix) | (~prefixToMask(prefix) >>> 0)) >>> 0;
}

export function sameSubnet(a: Ipv4, b: Ipv4, prefix: number): boolean {
  return networkOf(a, prefix) === networkOf(b, prefix);
}

export interface Ipv4Range {
  first: Ipv4;
  last: Ipv4;
}

/** Parse "FIRST-LAST" (dotted quads). Returns null when malformed or reversed. */
export function parseRange(text: string): Ipv4Range | null {
  const parts = text.split('-');
  if (parts.length !== 2) return null;
  const first = parseIpv4(parts[0] ?? '');
  const last = parseIpv4(parts[1] ?? '');
  if (first === null || last === null || last < first) return null;
  return { first, last };
}

/**
 * A sensible pool when the user gave none: within the server's subnet (or, for subnets wider than /24,
 * the /24 around the server, so we never hand out half a /16), the half of the host addresses that does
 * not hold the server. Never the server, network or broadcast address. Empty (last < first) if impossible.
 */
export function defaultRange(serverIp: Ipv4, prefix: number): Ipv4Range {
  const p = Math.max(prefix, 24);
  const lo = networkOf(serverIp, p) + 1;
  const hi = broadcastOf(serverIp, p) - (p === prefix ? 1 : 0); // inside a wider subnet x.y.z.255 is a host
  const hiClamped = Math.min(hi, broadcastOf(serverIp, prefix) - 1);
  if (hiClamped - lo + 1 < 2) return { first: lo, last: lo - 1 };
  const mid = lo + Math.floor((hiClamped - lo + 1) / 2);
  // Upper half unless the server sits in it.
  return serverIp >= mid ? { first: lo, last: mid - 1 } : { first: mid, last: hiClamped };
}

export function rangeSize(r: Ipv4Range): number {
  return r.last >= r.first ? r.last - r.first + 1 : 0;
}

/** MAC as lower-case colon-separated hex ("52:54:00:00:00:10"). */
export function normalizeMac(text: string): string | null {
  const hex = text.replace(/[^0-9a-fA-F]/g, '');
  if (hex.length !== 12 || !/^[0-9a-fA-F:.-]+$/.test(text.trim())) return null;
  return hex.toLowerCase().replace(/(..)(?!$)/g, '$1:');
}
