/**
 * Redfish (DMTF DSP0266) over HTTPS for the few resources FieldBoot needs: the service root, the Systems
 * collection, one ComputerSystem (PowerState, Boot override) and its ComputerSystem.Reset action, with a
 * session from the SessionService (X-Auth-Token).
 *
 * Why node:tls + node:http instead of fetch: BMCs ship self-signed certificates, so CA verification is off and
 * the certificate is pinned instead (trust on first use). Node 20's global fetch cannot take a TLS option
 * without the `undici` package as a dependency, and even then the pin could only be checked after the request
 * (with the password in it) was on its way. Here the TLS socket is opened first, its certificate fingerprint
 * compared with the pin, and only then is a single byte of HTTP written on it.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { BmcErrorKind, BootDevice, type BootFlags, type PowerState } from '../../../shared/model/bmc';
import { normalizeMac } from '../../../shared/net/ipv4';
import { BmcFailure, redact, remainingMs, type BmcTarget, type Deadline } from './bmc-types';

/** Resource paths of DSP0266 §6.2 used when the service root does not link them. */
export const REDFISH_PATHS = {
  serviceRoot: '/redfish/v1',
  systems: '/redfish/v1/Systems',
  sessions: '/redfish/v1/SessionService/Sessions',
} as const;

/** ResetType values of the ComputerSystem schema (Resource.ResetType). */
export const RedfishResetType = { On: 'On', ForceOff: 'ForceOff', ForceRestart: 'ForceRestart', PowerCycle: 'PowerCycle' } as const;
export type RedfishResetType = (typeof RedfishResetType)[keyof typeof RedfishResetType];

export interface RedfishOptions {
  /** The fingerprint stored on first use ("AB:CD:..."), or null: accept and report whatever is presented. */
  pinnedFingerprint256: string | null;
  /** Called once, on the first connection, when nothing was pinned yet. */
  onFirstUse?: (fingerprint256: string) => void;
}

export interface RedfishResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface RedfishBoot {
  BootSourceOverrideTarget?: string;
  BootSourceOverrideEnabled?: string;
  BootSourceOverrideMode?: string;
  'BootSourceOverrideTarget@Redfish.AllowableValues'?: string[];
}

export interface RedfishSystem {
  path: string;
  etag: string | null;
  /** The EthernetInterfaces collection (ComputerSystem schema), when the BMC links one. */
  ethernetInterfaces: string | null;
  power: PowerState | null;
  boot: RedfishBoot;
  resetTarget: string;
  allowedResetTypes: string[] | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const odataId = (v: unknown): string | null => (isObject(v) && typeof v['@odata.id'] === 'string' ? v['@odata.id'] : null);

/** Redfish error bodies (DSP0266 §9.6): error.message or the first @Message.ExtendedInfo message. */
function redfishMessage(body: unknown): string {
  if (!isObject(body) || !isObject(body.error)) return '';
  const err = body.error;
  const info = err['@Message.ExtendedInfo'];
  if (Array.isArray(info) && isObject(info[0]) && typeof info[0].Message === 'string') return info[0].Message;
  return typeof err.message === 'string' ? err.message : '';
}

const NETWORK_UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTDOWN']);

/** PowerState (Resource.PowerState); a transition reports where it is heading. */
function toPower(state: unknown): PowerState | null {
  if (state === 'On' || state === 'PoweringOn') return 'on';
  if (state === 'Off' || state === 'PoweringOff') return 'off';
  return null;
}

function toDevice(target: string | undefined): BootDevice {
  switch (target) {
    case undefined:
    case 'None':
      return BootDevice.None;
    case 'Pxe':
      return BootDevice.Pxe;
    case 'Hdd':
      return BootDevice.Disk;
    case 'Cd':
      return BootDevice.Cdrom;
    case 'BiosSetup':
      return BootDevice.BiosSetup;
    default:
      return BootDevice.Other;
  }
}

export function bootFlagsFromRedfish(boot: RedfishBoot): BootFlags {
  const enabled = boot.BootSourceOverrideEnabled;
  const mode = boot.BootSourceOverrideMode;
  const { BootSourceOverrideTarget, BootSourceOverrideEnabled, BootSourceOverrideMode } = boot;
  return {
    valid: enabled === 'Once' || enabled === 'Continuous',
    persistent: enabled === 'Continuous',
    efi: mode === 'UEFI' ? true : mode === 'Legacy' ? false : null,
    device: toDevice(boot.BootSourceOverrideTarget),
    raw: JSON.stringify({ BootSourceOverrideTarget, BootSourceOverrideEnabled, BootSourceOverrideMode }),
  };
}

export class RedfishClient {
  /** The fingerprint the BMC presented on this run's first connection. */
  seenFingerprint256: string | null = null;
  readonly notes: string[] = [];
  private token: string | null = null;
  private sessionPath: string | null = null;
  private basicAuth = false;

  constructor(
    private readonly target: BmcTarget,
    private readonly opts: RedfishOptions,
  ) {}

  /** A TLS connection whose certificate matches the pin (or, with no pin, is recorded as the pin). */
  private connect(deadline: Deadline): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const left = remainingMs(deadline);
      if (left <= 0) return reject(new BmcFailure(BmcErrorKind.Timeout, 'no time left for this BMC'));
      const socket = tls.connect({
        host: this.target.host,
        port: this.target.port,
        // SNI must be a name, not an address (RFC 6066 §3).
        ...(isIP(this.target.host) ? {} : { servername: this.target.host }),
        // BMC certificates are self-signed; trust comes from the pin below instead.
        rejectUnauthorized: false,
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BmcFailure(BmcErrorKind.Timeout, `no TLS handshake with ${this.target.host}:${this.target.port} in time`));
      }, left);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const kind = NETWORK_UNREACHABLE.has(err.code ?? '') ? BmcErrorKind.Unreachable : BmcErrorKind.Failed;
        reject(new BmcFailure(kind, `${err.code ?? 'TLS error'}: ${err.message}`));
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const fp = socket.getPeerCertificate().fingerprint256;
        if (!fp) {
          socket.destroy();
          return reject(new BmcFailure(BmcErrorKind.Failed, 'the BMC presented no certificate'));
        }
        const pinned = this.opts.pinnedFingerprint256 ?? this.seenFingerprint256;
        if (pinned && pinned !== fp) {
          socket.destroy();
          return reject(new BmcFailure(BmcErrorKind.CertificateChanged, `certificate ${fp} is not the pinned ${pinned}; nothing was sent`));
        }
        if (!this.seenFingerprint256) {
          this.seenFingerprint256 = fp;
          if (!this.opts.pinnedFingerprint256) this.opts.onFirstUse?.(fp);
        }
        resolve(socket);
      });
    });
  }

  /** One HTTP request on a fresh pinned connection. */
  async request(method: string, path: string, deadline: Deadline, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<RedfishResponse> {
    const socket = await this.connect(deadline);
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'OData-Version': '4.0',
      Connection: 'close',
      ...extraHeaders,
    };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (this.token) headers['X-Auth-Token'] = this.token;
    else if (this.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${this.target.user}:${this.target.password}`).toString('base64')}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ method, path, headers, host: this.target.host, port: this.target.port, createConnection: () => socket });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new BmcFailure(BmcErrorKind.Timeout, `${method} ${path}: no answer in time`));
      }, Math.max(1, remainingMs(deadline)));
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new BmcFailure(NETWORK_UNREACHABLE.has(err.code ?? '') ? BmcErrorKind.Unreachable : BmcErrorKind.Failed, `${method} ${path}: ${redact(err.message, this.target.password)}`));
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', (err) => {
          clearTimeout(timer);
          reject(new BmcFailure(BmcErrorKind.Failed, `${method} ${path}: ${err.message}`));
        });
        res.once('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      });
      req.end(payload ?? undefined);
    });
  }

  /** Turn a non-2xx answer into a classified failure. */
  private fail(res: RedfishResponse, what: string): BmcFailure {
    const detail = `${what}: HTTP ${res.status}${redfishMessage(res.body) ? ` (${redfishMessage(res.body)})` : ''}`;
    const msg = redact(detail, this.target.password);
    if (res.status === 401) return new BmcFailure(BmcErrorKind.BadCredentials, msg);
    if (res.status === 403) return new BmcFailure(BmcErrorKind.InsufficientPrivilege, msg);
    if (res.status === 404 || res.status === 405 || res.status === 501) return new BmcFailure(BmcErrorKind.NotSupported, msg);
    return new BmcFailure(BmcErrorKind.Failed, msg);
  }

  private async getJson(path: string, deadline: Deadline): Promise<{ body: Json; etag: string | null }> {
    const res = await this.request('GET', path, deadline);
    if (res.status < 200 || res.status > 299 || !isObject(res.body)) throw this.fail(res, `GET ${path}`);
    const etag = res.headers.etag;
    return { body: res.body, etag: typeof etag === 'string' ? etag : null };
  }

  /** Open a session (DSP0266 §13.3.4); BMCs without a SessionService get HTTP Basic instead. */
  async login(deadline: Deadline): Promise<void> {
    let sessionsPath: string = REDFISH_PATHS.sessions;
    const root = await this.request('GET', REDFISH_PATHS.serviceRoot, deadline);
    if (root.status >= 200 && root.status < 300 && isObject(root.body)) {
      const links = root.body.Links;
      sessionsPath = (isObject(links) ? odataId(links.Sessions) : null) ?? sessionsPath;
    } else if (root.status === 404) {
      throw new BmcFailure(BmcErrorKind.NotSupported, `no Redfish service at ${this.target.host}:${this.target.port} (GET /redfish/v1: HTTP 404)`);
    }
    const res = await this.request('POST', sessionsPath, deadline, { UserName: this.target.user, Password: this.target.password });
    if (res.status === 404 || res.status === 405) {
      this.basicAuth = true;
      this.notes.push('no Redfish sessions: used HTTP Basic authentication');
      return;
    }
    if (res.status < 200 || res.status > 299) throw this.fail(res, 'login');
    const token = res.headers['x-auth-token'];
    if (typeof token !== 'string' || !token) throw new BmcFailure(BmcErrorKind.Failed, 'login: the BMC returned no X-Auth-Token');
    this.token = token;
    const location = res.headers.location;
    const fromBody = odataId(res.body);
    this.sessionPath = typeof location === 'string' ? new URL(location, 'https://bmc').pathname : fromBody;
  }

  /** Delete the session (best effort: BMCs hold few sessions, and a leaked one blocks logins until it expires). */
  async logout(deadline: Deadline): Promise<void> {
    if (!this.token || !this.sessionPath) return;
    try {
      await this.request('DELETE', this.sessionPath, { at: Math.min(deadline.at, Date.now() + 2000) });
    } catch {
      /* the session times out on the BMC anyway */
    }
    this.token = null;
  }

  private systemPath: string | null = null;

  async system(deadline: Deadline): Promise<RedfishSystem> {
    if (!this.systemPath) {
      const { body } = await this.getJson(REDFISH_PATHS.systems, deadline);
      const members = Array.isArray(body.Members) ? body.Members.map(odataId).filter((m): m is string => !!m) : [];
      if (!members.length) throw new BmcFailure(BmcErrorKind.NotSupported, 'the BMC lists no computer system');
      if (members.length > 1) this.notes.push(`${members.length} systems behind this BMC; used ${members[0]}`);
      this.systemPath = members[0]!;
    }
    const { body, etag } = await this.getJson(this.systemPath, deadline);
    const actions = isObject(body.Actions) ? body.Actions : {};
    const reset = actions['#ComputerSystem.Reset'];
    const allowed = isObject(reset) ? reset['ResetType@Redfish.AllowableValues'] : undefined;
    return {
      path: this.systemPath,
      etag,
      ethernetInterfaces: odataId(body.EthernetInterfaces),
      power: toPower(body.PowerState),
      boot: isObject(body.Boot) ? (body.Boot as RedfishBoot) : {},
      resetTarget: isObject(reset) && typeof reset.target === 'string' ? reset.target : `${this.systemPath}/Actions/ComputerSystem.Reset`,
      allowedResetTypes: Array.isArray(allowed) ? allowed.filter((a): a is string => typeof a === 'string') : null,
    };
  }

  async reset(sys: RedfishSystem, type: RedfishResetType, deadline: Deadline): Promise<void> {
    const res = await this.request('POST', sys.resetTarget, deadline, { ResetType: type });
    if (res.status < 200 || res.status > 299) throw this.fail(res, `ComputerSystem.Reset ${type}`);
  }

  /**
   * The server's NIC MACs from Systems/{id}/EthernetInterfaces (EthernetInterface schema: MACAddress, else
   * PermanentMACAddress), link-up ones first: the NIC that PXE-boots is cabled. Members without a MAC are skipped.
   */
  async nicMacs(sys: RedfishSystem, deadline: Deadline): Promise<string[]> {
    if (!sys.ethernetInterfaces) throw new BmcFailure(BmcErrorKind.NotSupported, 'this BMC lists no EthernetInterfaces for the system; type the MAC in');
    const { body } = await this.getJson(sys.ethernetInterfaces, deadline);
    const members = Array.isArray(body.Members) ? body.Members.map(odataId).filter((m): m is string => !!m) : [];
    const found: { mac: string; up: boolean }[] = [];
    for (const member of members.slice(0, 16)) {
      const { body: nic } = await this.getJson(member, deadline);
      const raw = typeof nic.MACAddress === 'string' && nic.MACAddress ? nic.MACAddress : nic.PermanentMACAddress;
      const mac = typeof raw === 'string' ? normalizeMac(raw) : null;
      if (mac && !found.some((f) => f.mac === mac)) found.push({ mac, up: nic.LinkStatus === 'LinkUp' });
    }
    return [...found.filter((f) => f.up), ...found.filter((f) => !f.up)].map((f) => f.mac);
  }

  /** PATCH the boot override (ComputerSystem.Boot). BMCs that reject BootSourceOverrideMode get it without. */
  async setBootPxe(sys: RedfishSystem, opts: { persistent: boolean; efi: boolean }, deadline: Deadline): Promise<void> {
    const boot: RedfishBoot = {
      BootSourceOverrideTarget: 'Pxe',
      BootSourceOverrideEnabled: opts.persistent ? 'Continuous' : 'Once',
      BootSourceOverrideMode: opts.efi ? 'UEFI' : 'Legacy',
    };
    const headers: Record<string, string> = sys.etag ? { 'If-Match': sys.etag } : {};
    let res = await this.request('PATCH', sys.path, deadline, { Boot: boot }, headers);
    if (res.status === 400) {
      const { BootSourceOverrideMode: _mode, ...withoutMode } = boot;
      const retry = await this.request('PATCH', sys.path, deadline, { Boot: withoutMode }, headers);
      if (retry.status >= 200 && retry.status < 300) {
        this.notes.push(`the BMC refused BootSourceOverrideMode=${boot.BootSourceOverrideMode} (${redfishMessage(res.body) || 'HTTP 400'}); set the target only`);
      }
      res = retry;
    }
    if (res.status < 200 || res.status > 299) throw this.fail(res, 'PATCH Boot');
  }
}
