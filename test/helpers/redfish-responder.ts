/**
 * A small Redfish service for tests, on 127.0.0.1 over HTTPS with a certificate made at test time. It serves
 * the documented resources FieldBoot uses (DSP0266 / the ComputerSystem schema), and records every request:
 *
 *   GET    /redfish/v1                                           service root (no authentication)
 *   POST   /redfish/v1/SessionService/Sessions                   login → 201, X-Auth-Token, Location
 *   DELETE /redfish/v1/SessionService/Sessions/{id}              logout
 *   GET    /redfish/v1/Systems                                   collection with one member
 *   GET    /redfish/v1/Systems/1                                 PowerState, Boot, Actions; ETag
 *   PATCH  /redfish/v1/Systems/1 {"Boot": {...}}                 boot override (If-Match checked when sent)
 *   POST   /redfish/v1/Systems/1/Actions/ComputerSystem.Reset    {"ResetType": ...}
 *   GET    /redfish/v1/Systems/1/EthernetInterfaces[/{n}]        the server's NICs (MACAddress, LinkStatus)
 *
 * The DMTF mockup server and sushy-tools are Python and not installable here (research §9).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SelfSignedCert {
  key: string;
  cert: string;
  /** "AB:CD:..." as Node's getPeerCertificate().fingerprint256 prints it. */
  fingerprint256: string;
}

export function makeSelfSignedCert(dir: string, name: string): SelfSignedCert {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  const fp = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), fingerprint256: fp.trim().replace(/^.*=/, '').toUpperCase() };
}

export interface RecordedRequest {
  method: string;
  path: string;
  auth: 'token' | 'basic' | 'none' | 'bad';
  body: unknown;
}

export interface RedfishState {
  PowerState: 'On' | 'Off';
  Boot: { BootSourceOverrideTarget: string; BootSourceOverrideEnabled: string; BootSourceOverrideMode: string };
  resets: string[];
  sessionsCreated: number;
  sessionsDeleted: number;
}

export interface RedfishResponderOptions {
  user: string;
  password: string;
  tls: SelfSignedCert;
  /** Reuse a port (to restart with another certificate). */
  port?: number;
  resetTypes?: string[];
  /** Answer 400 to a PATCH carrying BootSourceOverrideMode (older BMCs). */
  rejectBootMode?: boolean;
  /** The server's NICs, as EthernetInterfaces members (default: none, and no EthernetInterfaces link). */
  nics?: { mac: string; linkUp: boolean }[];
}

export interface RedfishResponder {
  port: number;
  state: RedfishState;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const SYSTEM = '/redfish/v1/Systems/1';
const RESET = `${SYSTEM}/Actions/ComputerSystem.Reset`;
const SESSIONS = '/redfish/v1/SessionService/Sessions';
const NICS = `${SYSTEM}/EthernetInterfaces`;
const TARGETS = ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup'];

function error(status: number, message: string): [number, unknown] {
  return [status, { error: { code: 'Base.1.0.GeneralError', message, '@Message.ExtendedInfo': [{ MessageId: 'Base.1.0.GeneralError', Message: message }] } }];
}

export async function startRedfishResponder(opts: RedfishResponderOptions, state?: RedfishState): Promise<RedfishResponder> {
  const st: RedfishState = state ?? {
    PowerState: 'Off',
    Boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideMode: 'Legacy' },
    resets: [],
    sessionsCreated: 0,
    sessionsDeleted: 0,
  };
  const resetTypes = opts.resetTypes ?? ['On', 'ForceOff', 'ForceRestart', 'PowerCycle', 'GracefulShutdown'];
  const tokens = new Map<string, string>(); // token → session id
  const requests: RecordedRequest[] = [];
  let etagCounter = 1;
  const etag = () => `W/"${etagCounter}"`;

  const system = () => ({
    '@odata.id': SYSTEM,
    '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
    Id: '1',
    Name: 'Test system',
    PowerState: st.PowerState,
    Boot: { ...st.Boot, 'BootSourceOverrideTarget@Redfish.AllowableValues': TARGETS },
    Actions: { '#ComputerSystem.Reset': { target: RESET, 'ResetType@Redfish.AllowableValues': resetTypes } },
    ...(opts.nics ? { EthernetInterfaces: { '@odata.id': NICS } } : {}),
  });

  const handle = (method: string, path: string, auth: RecordedRequest['auth'], body: unknown, headers: Record<string, string | string[] | undefined>): [number, unknown, Record<string, string>?] => {
    if (method === 'GET' && (path === '/redfish/v1' || path === '/redfish/v1/')) {
      return [200, { '@odata.id': '/redfish/v1', RedfishVersion: '1.11.0', Systems: { '@odata.id': '/redfish/v1/Systems' }, SessionService: { '@odata.id': '/redfish/v1/SessionService' }, Links: { Sessions: { '@odata.id': SESSIONS } } }];
    }
    if (method === 'POST' && path === SESSIONS) {
      const b = body as { UserName?: unknown; Password?: unknown } | null;
      if (!b || b.UserName !== opts.user || b.Password !== opts.password) return error(401, 'Invalid username or password');
      const id = String(++st.sessionsCreated);
      const token = randomBytes(16).toString('hex');
      tokens.set(token, id);
      return [201, { '@odata.id': `${SESSIONS}/${id}`, Id: id, UserName: opts.user }, { 'X-Auth-Token': token, Location: `${SESSIONS}/${id}` }];
    }
    if (auth !== 'token' && auth !== 'basic') return error(401, 'Authentication required');
    if (method === 'DELETE' && path.startsWith(`${SESSIONS}/`)) {
      const token = headers['x-auth-token'];
      if (typeof token === 'string') tokens.delete(token);
      st.sessionsDeleted++;
      return [204, null];
    }
    if (method === 'GET' && path === '/redfish/v1/Systems') {
      return [200, { '@odata.id': '/redfish/v1/Systems', Members: [{ '@odata.id': SYSTEM }], 'Members@odata.count': 1 }];
    }
    if (method === 'GET' && path === SYSTEM) return [200, system(), { ETag: etag() }];
    if (method === 'GET' && opts.nics && path === NICS) {
      return [200, { '@odata.id': NICS, Members: opts.nics.map((_n, i) => ({ '@odata.id': `${NICS}/${i + 1}` })), 'Members@odata.count': opts.nics.length }];
    }
    const nic = opts.nics && method === 'GET' && path.startsWith(`${NICS}/`) ? opts.nics[Number(path.slice(NICS.length + 1)) - 1] : undefined;
    if (nic) {
      const id = path.slice(NICS.length + 1);
      return [200, { '@odata.id': path, '@odata.type': '#EthernetInterface.v1_6_0.EthernetInterface', Id: id, MACAddress: nic.mac.toUpperCase(), LinkStatus: nic.linkUp ? 'LinkUp' : 'LinkDown' }];
    }
    if (method === 'PATCH' && path === SYSTEM) {
      const ifMatch = headers['if-match'];
      if (typeof ifMatch === 'string' && ifMatch !== etag()) return error(412, 'ETag mismatch');
      const boot = (body as { Boot?: Record<string, unknown> } | null)?.Boot;
      if (!boot || typeof boot !== 'object') return error(400, 'Boot object expected');
      if (opts.rejectBootMode && 'BootSourceOverrideMode' in boot) return error(400, 'The property BootSourceOverrideMode is not supported');
      const t = boot.BootSourceOverrideTarget;
      const e = boot.BootSourceOverrideEnabled;
      const m = boot.BootSourceOverrideMode;
      if (t !== undefined && !TARGETS.includes(String(t))) return error(400, `BootSourceOverrideTarget ${String(t)} is not allowed`);
      if (e !== undefined && !['Once', 'Continuous', 'Disabled'].includes(String(e))) return error(400, `BootSourceOverrideEnabled ${String(e)} is not allowed`);
      if (m !== undefined && !['UEFI', 'Legacy'].includes(String(m))) return error(400, `BootSourceOverrideMode ${String(m)} is not allowed`);
      if (t !== undefined) st.Boot.BootSourceOverrideTarget = String(t);
      if (e !== undefined) st.Boot.BootSourceOverrideEnabled = String(e);
      if (m !== undefined) st.Boot.BootSourceOverrideMode = String(m);
      etagCounter++;
      return [200, system(), { ETag: etag() }];
    }
    if (method === 'POST' && path === RESET) {
      const type = String((body as { ResetType?: unknown } | null)?.ResetType);
      if (!resetTypes.includes(type)) return error(400, `ResetType ${type} is not allowed`);
      st.resets.push(type);
      st.PowerState = type === 'ForceOff' || type === 'GracefulShutdown' ? 'Off' : 'On';
      etagCounter++;
      return [204, null];
    }
    return error(404, `no resource ${path}`);
  };

  const server = https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const token = req.headers['x-auth-token'];
      const basic = req.headers.authorization;
      let auth: RecordedRequest['auth'] = 'none';
      if (typeof token === 'string') auth = tokens.has(token) ? 'token' : 'bad';
      else if (typeof basic === 'string') auth = basic === `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}` ? 'basic' : 'bad';
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ method: req.method ?? '', path, auth, body });
      const [status, out, headers] = handle(req.method ?? '', path, auth, body, req.headers);
      res.writeHead(status, { 'OData-Version': '4.0', ...(out !== null ? { 'Content-Type': 'application/json' } : {}), ...headers });
      res.end(out !== null ? JSON.stringify(out) : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    state: st,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
