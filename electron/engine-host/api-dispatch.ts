/**
 * One table for the request half of FieldbootApi: for each channel of ApiChannels, how to check the
 * request that crossed a trust boundary (IPC from the renderer, HTTP from a browser) and which AppBackend
 * method answers it. The Electron IPC handlers and the web-mode server both dispatch through it, so a
 * new channel is added here once and both transports get it.
 */
import type { ApiChannel, ApiChannels, ApiResult, StartRequest } from '../../shared/api/fieldboot-api';
import { API_CHANNELS } from '../../shared/api/fieldboot-api';
import { ErrorCode, FieldbootError, toErrorInfo } from '../../shared/errors';
import { DhcpMode } from '../../shared/model/serve-config';
import type { PreflightRequest } from '../../shared/model/preflight';
import type { AppBackend } from './app-backend';
import { parseBmcAdd, parseBmcIds, parseBmcImport, parseBmcInstall, parseBmcPower, parseBmcUpdate } from '../engine/bmc/bmc-requests';
import { parseClientArm, parseClientExport, parseClientMac, parseClientMacs } from '../engine/clients/client-requests';
import { parseProfileRenderRequest, parseProfileSaveRequest } from './profile-store';
import { parseSettingsRequest } from './settings-store';

interface ChannelHandler<C extends ApiChannel> {
  /** Returns the typed request or throws FieldbootError(BadOption) saying what is wrong. */
  parse(raw: unknown): ApiChannels[C]['request'];
  call(backend: AppBackend, request: ApiChannels[C]['request']): Promise<ApiChannels[C]['response']>;
}

type HandlerTable = { [C in ApiChannel]: ChannelHandler<C> };

function bad(message: string): FieldbootError {
  return new FieldbootError(ErrorCode.BadOption, message, 'The request did not match the API contract (shared/api/fieldboot-api.ts).');
}

/** A backend that does not implement an optional call (a scripted test backend). */
function notOffered(what: string): FieldbootError {
  return new FieldbootError(ErrorCode.BadOption, `${what} is not offered by this backend`);
}

/** Channels without a request accept nothing, null or {} (what a JSON body or an IPC invoke may carry). */
function parseVoid(raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0) return;
  throw bad('this call takes no arguments');
}

// Longest names seen in practice are Windows adapter names ("Ethernet adapter ..."); 256 bounds abuse only.
const MAX_TEXT = 256;
const MAX_LIST = 64;
const START_KEYS: ReadonlySet<string> = new Set(['interface', 'dhcpMode', 'range', 'root', 'isos', 'allow', 'assignAddress', 'images', 'profile'] satisfies (keyof StartRequest)[]);
const PREFLIGHT_KEYS: ReadonlySet<string> = new Set(['interface', 'dhcpMode', 'assignAddress'] satisfies (keyof PreflightRequest)[]);
const DHCP_MODES: ReadonlySet<string> = new Set(Object.values(DhcpMode));

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) {
    throw bad(`${field} must be a non-empty string of at most ${MAX_TEXT} characters`);
  }
  return value;
}

function textList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_LIST) throw bad(`${field} must be a list of at most ${MAX_LIST} strings`);
  return value.map((v, i) => text(v, `${field}[${i}]`));
}

export function parseStartRequest(raw: unknown): StartRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('start request must be an object');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!START_KEYS.has(key)) throw bad(`unknown field "${key}" in start request`);
  const dhcpMode = r.dhcpMode;
  if (typeof dhcpMode !== 'string' || !DHCP_MODES.has(dhcpMode)) throw bad(`dhcpMode must be one of ${[...DHCP_MODES].join(', ')}`);
  const request: StartRequest = { interface: text(r.interface, 'interface'), dhcpMode: dhcpMode as DhcpMode };
  // An empty range means "derive it from the interface subnet", same as leaving it out.
  if (r.range !== undefined && r.range !== '') request.range = text(r.range, 'range');
  if (r.root !== undefined) request.root = text(r.root, 'root');
  if (r.isos !== undefined) request.isos = textList(r.isos, 'isos');
  if (r.allow !== undefined) request.allow = textList(r.allow, 'allow');
  // Empty: the technician cleared the field, i.e. "do not assign".
  if (r.assignAddress !== undefined && r.assignAddress !== '') request.assignAddress = text(r.assignAddress, 'assignAddress');
  if (r.images !== undefined) request.images = Array.isArray(r.images) && r.images.length === 0 ? [] : textList(r.images, 'images');
  if (r.profile !== undefined) request.profile = r.profile === null ? null : text(r.profile, 'profile');
  return request;
}

/** { interface, timeoutMs? }: a name the OS could have, a listening time of 0.5 to 10 s. */
export function parseProbeRequest(raw: unknown): { interface: string; timeoutMs?: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('probe request must be an object');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (key !== 'interface' && key !== 'timeoutMs') throw bad(`unknown field "${key}" in probe request`);
  const name = text(r.interface, 'interface');
  if (!/^[\w.:@ -]{1,64}$/.test(name)) throw bad('interface: not an interface name');
  if (r.timeoutMs === undefined) return { interface: name };
  if (typeof r.timeoutMs !== 'number' || !Number.isInteger(r.timeoutMs) || r.timeoutMs < 500 || r.timeoutMs > 10_000) throw bad('timeoutMs: 500 to 10000');
  return { interface: name, timeoutMs: r.timeoutMs };
}

export function parsePreflightRequest(raw: unknown): PreflightRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('preflight request must be an object');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!PREFLIGHT_KEYS.has(key)) throw bad(`unknown field "${key}" in preflight request`);
  const dhcpMode = r.dhcpMode;
  if (typeof dhcpMode !== 'string' || !DHCP_MODES.has(dhcpMode)) throw bad(`dhcpMode must be one of ${[...DHCP_MODES].join(', ')}`);
  const request: PreflightRequest = { interface: text(r.interface, 'interface'), dhcpMode: dhcpMode as DhcpMode };
  if (r.assignAddress !== undefined && r.assignAddress !== '') request.assignAddress = text(r.assignAddress, 'assignAddress');
  return request;
}

/** `{ <field>: non-empty string }` and nothing else. */
function singleText<K extends string>(field: K, max: number) {
  return (raw: unknown): { [P in K]: string } => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`the request must be an object with "${field}"`);
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) if (key !== field) throw bad(`unknown field "${key}"`);
    const value = r[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > max) throw bad(`${field} must be a non-empty string of at most ${max} characters`);
    if (value.includes('\0')) throw bad(`${field} must not contain NUL characters`);
    return { [field]: value } as { [P in K]: string };
  };
}

// PATH_MAX on Linux; Windows long paths can be longer, but nobody drops an ISO from that deep.
const MAX_PATH = 4096;
const MAX_IMAGE_ID = 64;
// The store checks the name itself (shared/answer/profile-name.ts); this only bounds the request.
const MAX_PROFILE_NAME = 256;

export const API_HANDLERS: HandlerTable = {
  'interfaces:list': { parse: parseVoid, call: (b) => b.listInterfaces() },
  'serving:state': { parse: parseVoid, call: async (b) => b.getState() },
  'serving:start': { parse: parseStartRequest, call: (b, req) => b.startServing(req) },
  'serving:stop': { parse: parseVoid, call: (b) => b.stopServing() },
  'images:list': { parse: parseVoid, call: (b) => b.listImages() },
  'images:add': { parse: singleText('path', MAX_PATH), call: (b, req) => b.addImage(req.path) },
  'images:remove': { parse: singleText('id', MAX_IMAGE_ID), call: (b, req) => b.removeImage(req.id) },
  'profiles:list': { parse: parseVoid, call: (b) => b.listProfiles() },
  'profiles:get': { parse: singleText('name', MAX_PROFILE_NAME), call: (b, req) => b.getProfile(req.name) },
  'profiles:save': { parse: parseProfileSaveRequest, call: (b, req) => b.saveProfile(req) },
  'profiles:delete': { parse: singleText('name', MAX_PROFILE_NAME), call: (b, req) => b.deleteProfile(req.name) },
  'profiles:render': { parse: parseProfileRenderRequest, call: (b, req) => b.renderProfile(req) },
  'bmc:list': { parse: parseVoid, call: (b) => b.listBmcs() },
  'bmc:add': { parse: parseBmcAdd, call: (b, req) => b.addBmc(req) },
  'bmc:update': { parse: parseBmcUpdate, call: (b, req) => b.updateBmc(req) },
  'bmc:import': { parse: parseBmcImport, call: (b, req) => b.importBmcs(req) },
  'bmc:remove': { parse: parseBmcIds, call: (b, req) => b.removeBmcs(req.ids) },
  'bmc:test': { parse: parseBmcIds, call: (b, req) => b.testBmcs(req.ids) },
  'bmc:install': { parse: parseBmcInstall, call: (b, req) => b.installBmcs(req) },
  'bmc:power': { parse: parseBmcPower, call: (b, req) => b.powerBmcs(req) },
  'clients:list': { parse: parseVoid, call: (b) => b.listClients() },
  'clients:arm': { parse: parseClientArm, call: (b, req) => b.armClients(req) },
  'clients:disarm': { parse: parseClientMacs, call: (b, req) => b.disarmClients(req.macs) },
  'clients:clear-finished': { parse: parseVoid, call: (b) => b.clearFinishedClients() },
  'clients:export': { parse: parseClientExport, call: (b, req) => b.exportClients(req.format) },
  'clients:get': { parse: parseClientMac, call: (b, req) => b.getClient(req.mac) },
  'preflight:run': { parse: parsePreflightRequest, call: (b, req) => b.runPreflight(req) },
  'dhcp:probe': { parse: parseProbeRequest, call: (b, req) => (b.probeDhcp ? b.probeDhcp(req) : Promise.reject(notOffered('the DHCP check'))) },
  'log:snapshot': { parse: parseVoid, call: (b) => (b.getLogSnapshot ? b.getLogSnapshot() : Promise.reject(notOffered('the log'))) },
  'diagnostics:export': { parse: parseVoid, call: (b) => (b.exportDiagnostics ? b.exportDiagnostics() : Promise.reject(notOffered('diagnostics export'))) },
  'settings:get': { parse: parseVoid, call: (b) => b.getSettings() },
  'settings:set': { parse: parseSettingsRequest, call: (b, req) => b.saveSettings(req) },
};

const CHANNEL_SET: ReadonlySet<string> = new Set(API_CHANNELS);

export function isApiChannel(name: string): name is ApiChannel {
  return CHANNEL_SET.has(name);
}

/** Check and run one call. Never throws: every failure becomes `{ ok: false, error }`. */
export async function dispatchApiCall<C extends ApiChannel>(
  backend: AppBackend,
  channel: C,
  raw: unknown,
): Promise<ApiResult<ApiChannels[C]['response']>> {
  try {
    const handler = API_HANDLERS[channel] as ChannelHandler<C>;
    const request = handler.parse(raw);
    return { ok: true, value: await handler.call(backend, request) };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}
