/**
 * Checks for bmc:* requests that crossed a trust boundary (IPC from the renderer, HTTP from a browser), used by
 * electron/engine-host/api-dispatch.ts. Each returns the typed request or throws FieldbootError(BadOption)
 * naming the field; unknown fields are refused. Passwords are checked for shape only and never echoed.
 */
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import {
  BMC_POWER_ACTIONS,
  BmcBootMode,
  BmcProtocol,
  type BmcAddRequest,
  type BmcImportRequest,
  type BmcInstallRequest,
  type BmcPowerRequest,
  type BmcPowerVerb,
  type BmcUpdateRequest,
} from '../../../shared/model/bmc';

const MAX_TEXT = 256;
/** A password longer than this is not a BMC password (IPMI v2.0 allows 20 bytes; Redfish BMCs rarely over 64). */
const MAX_PASSWORD = 256;
/** A rack or two; every id is "host:port". */
const MAX_IDS = 512;
/** A CSV of a few thousand BMCs. */
const MAX_CSV = 48 * 1024;

function bad(message: string): FieldbootError {
  return new FieldbootError(ErrorCode.BadOption, message, 'The request did not match the API contract (shared/model/bmc.ts).');
}

function object(raw: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${what} must be an object`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!keys.includes(key)) throw bad(`unknown field "${key}" in ${what}`);
  return r;
}

function text(value: unknown, field: string, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || value.includes('\0')) {
    throw bad(`${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function optionalText(value: unknown, field: string, max = MAX_TEXT): string | undefined {
  // An empty optional field in a form means "not given".
  if (value === undefined || value === '') return undefined;
  return text(value, field, max);
}

function password(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PASSWORD || value.includes('\0')) {
    throw bad(`${field} must be a non-empty string of at most ${MAX_PASSWORD} characters`);
  }
  return value;
}

function protocol(value: unknown): BmcProtocol | undefined {
  if (value === undefined) return undefined;
  if (value !== BmcProtocol.Ipmi && value !== BmcProtocol.Redfish) throw bad('protocol must be "ipmi" or "redfish"');
  return value;
}

function ids(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IDS) throw bad(`ids must be a list of 1 to ${MAX_IDS} BMC ids`);
  return value.map((v, i) => text(v, `ids[${i}]`));
}

export function parseBmcAdd(raw: unknown): BmcAddRequest {
  const r = object(raw, 'the BMC', ['host', 'port', 'protocol', 'user', 'password', 'name', 'mac']);
  const req: BmcAddRequest = { host: text(r.host, 'host'), user: text(r.user, 'user'), password: password(r.password, 'password') };
  if (r.port !== undefined && r.port !== null && r.port !== '') {
    const port = typeof r.port === 'string' && /^\d{1,5}$/.test(r.port) ? Number(r.port) : r.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw bad('port must be a number from 1 to 65535');
    req.port = port;
  }
  const p = protocol(r.protocol);
  if (p) req.protocol = p;
  const name = optionalText(r.name, 'name');
  if (name) req.name = name;
  const mac = optionalText(r.mac, 'mac', 64);
  if (mac) req.mac = mac;
  return req;
}

export function parseBmcUpdate(raw: unknown): BmcUpdateRequest {
  const r = object(raw, 'the BMC change', ['id', 'name', 'user', 'password', 'mac']);
  const req: BmcUpdateRequest = { id: text(r.id, 'id') };
  const name = optionalText(r.name, 'name');
  if (name) req.name = name;
  if (r.user !== undefined) req.user = text(r.user, 'user');
  if (r.password !== undefined && r.password !== '') req.password = password(r.password, 'password');
  if (r.mac === null || r.mac === '') req.mac = null;
  else if (r.mac !== undefined) req.mac = text(r.mac, 'mac', 64);
  return req;
}

export function parseBmcImport(raw: unknown): BmcImportRequest {
  const r = object(raw, 'the import', ['csv', 'protocol']);
  if (typeof r.csv !== 'string' || r.csv.length > MAX_CSV) throw bad(`csv must be text of at most ${MAX_CSV / 1024} KiB`);
  const p = protocol(r.protocol);
  return { csv: r.csv, ...(p ? { protocol: p } : {}) };
}

export function parseBmcIds(raw: unknown): { ids: string[] } {
  const r = object(raw, 'the request', ['ids']);
  return { ids: ids(r.ids) };
}

export function parseBmcInstall(raw: unknown): BmcInstallRequest {
  const r = object(raw, 'the install request', ['ids', 'bootMode', 'persistent']);
  if (r.bootMode !== BmcBootMode.Uefi && r.bootMode !== BmcBootMode.Bios) throw bad('bootMode must be "uefi" or "bios"');
  if (r.persistent !== undefined && typeof r.persistent !== 'boolean') throw bad('persistent must be true or false');
  return { ids: ids(r.ids), bootMode: r.bootMode, ...(r.persistent !== undefined ? { persistent: r.persistent } : {}) };
}

export function parseBmcPower(raw: unknown): BmcPowerRequest {
  const r = object(raw, 'the power request', ['ids', 'action']);
  if (typeof r.action !== 'string' || !Object.hasOwn(BMC_POWER_ACTIONS, r.action)) throw bad(`action must be one of ${Object.keys(BMC_POWER_ACTIONS).join(', ')}`);
  return { ids: ids(r.ids), action: r.action as BmcPowerVerb };
}
