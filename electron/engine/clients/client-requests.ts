/**
 * Checks for the clients:* requests that cross a trust boundary (IPC from the renderer, HTTP in web mode):
 * each returns the typed request or throws FieldbootError(BadOption) saying what is wrong.
 */
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { ClientArmRequest, ClientReportFormat } from '../../../shared/model/client-record';
import { normalizeMac } from '../../../shared/net/ipv4';

/** A rack or two of machines selected at once; the bound only stops abuse. */
export const MAX_CLIENT_MACS = 4096;

function bad(message: string): FieldbootError {
  return new FieldbootError(ErrorCode.BadOption, message, 'The request did not match the API contract (shared/api/fieldboot-api.ts).');
}

function object(raw: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`the request must be an object with ${keys.map((k) => `"${k}"`).join(', ')}`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!keys.includes(key)) throw bad(`unknown field "${key}"`);
  return r;
}

function macList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CLIENT_MACS) throw bad(`macs must be a list of 1 to ${MAX_CLIENT_MACS} MAC addresses`);
  return value.map((v, i) => {
    const mac = typeof v === 'string' && v.length <= 64 ? normalizeMac(v) : null;
    if (!mac) throw bad(`macs[${i}] is not a MAC address`);
    return mac;
  });
}

export function parseClientArm(raw: unknown): ClientArmRequest {
  const r = object(raw, ['macs', 'oneShot']);
  if (r.oneShot !== undefined && typeof r.oneShot !== 'boolean') throw bad('oneShot must be true or false');
  return { macs: macList(r.macs), oneShot: r.oneShot === true };
}

export function parseClientMacs(raw: unknown): { macs: string[] } {
  return { macs: macList(object(raw, ['macs']).macs) };
}

export function parseClientMac(raw: unknown): { mac: string } {
  const value = object(raw, ['mac']).mac;
  const mac = typeof value === 'string' && value.length <= 64 ? normalizeMac(value) : null;
  if (!mac) throw bad('mac must be a MAC address');
  return { mac };
}

export function parseClientExport(raw: unknown): { format: ClientReportFormat } {
  const format = object(raw, ['format']).format;
  if (format !== 'csv' && format !== 'json') throw bad('format must be "csv" or "json"');
  return { format };
}
