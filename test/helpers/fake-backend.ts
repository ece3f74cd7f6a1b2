/**
 * A scripted AppBackend for the web-server tests and for working on the renderer without root or an
 * engine. It behaves like the real one where the UI can tell: start goes starting -> serving after a
 * short delay, stop goes stopping -> idle, errors are FieldbootErrors.
 *
 * As a dev server:  node --import tsx test/helpers/fake-backend.ts [--port N] [--events] [--clients N]
 * prints {"type":"ui","url":...} like `fieldboot serve --ui --json` and serves dist/renderer.
 */
import { fileURLToPath } from 'node:url';
import type { ApiPush, ServingState, StartRequest } from '../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../shared/api/fieldboot-api';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import type { EngineEvent } from '../../shared/model/engine-event';
import { nowIso } from '../../shared/model/engine-event';
import type { NetworkInterfaceInfo } from '../../shared/model/network';
import type { AppBackend } from '../../electron/engine-host/app-backend';
import { ClientTracker } from '../../electron/engine/clients/client-tracker';
import { clientReport } from '../../electron/engine/clients/client-report';
import { clientSummary } from '../../shared/clients/client-summary';
import { renderProfileAnswer } from '../../electron/engine-host/profile-store';
import { hashPassword } from '../../shared/answer/crypt';
import type { Profile } from '../../shared/answer/profile';
import { profileNameProblem } from '../../shared/answer/profile-name';
import { validateProfile } from '../../shared/answer/profile-validate';
import { runPreflight } from '../../electron/engine/net/preflight';
import { checkAssignable } from '../../electron/engine/net/interface-address';
import { DiagnosticsLog } from '../../electron/engine-host/diagnostics-log';
import { buildDiagnostics, collectVersions, exportResult } from '../../electron/engine-host/diagnostics-export';
import { DEFAULT_SETTINGS, type SettingsSnapshot } from '../../shared/settings';
import { parseSettingsRequest } from '../../electron/engine-host/settings-store';

export const FAKE_INTERFACES: NetworkInterfaceInfo[] = [
  { name: 'lo', mac: null, kind: 'loopback', linkUp: true, speedMbps: null, mtu: 65536, ipv4: [{ address: '127.0.0.1', prefix: 8 }] },
  {
    name: 'br0',
    mac: '52:54:00:12:34:56',
    kind: 'bridge',
    linkUp: true,
    speedMbps: null,
    mtu: 1500,
    ipv4: [{ address: '192.168.77.1', prefix: 24 }],
  },
  { name: 'enp3s0', mac: '3c:ec:ef:01:02:03', kind: 'ethernet', linkUp: false, speedMbps: null, mtu: 1500, ipv4: [] },
  {
    name: 'wlp2s0',
    mac: 'a4:c3:f0:aa:bb:cc',
    kind: 'wifi',
    linkUp: true,
    speedMbps: 866,
    mtu: 1500,
    ipv4: [{ address: '10.20.30.41', prefix: 24 }],
  },
];

export interface FakeBackend extends AppBackend {
  /** Push an engine event to every subscriber (and to the client tracker). */
  emit(event: EngineEvent): void;
  /** The real tracker, in memory: emitted events feed it; its changes are pushed as `clients`. */
  readonly clients: ClientTracker;
  readonly calls: { method: string; request?: StartRequest }[];
}

export function createFakeBackend(opts: { interfaces?: NetworkInterfaceInfo[]; transitionMs?: number } = {}): FakeBackend {
  const interfaces = opts.interfaces ?? FAKE_INTERFACES;
  const transitionMs = opts.transitionMs ?? 150;
  const listeners = new Set<(push: ApiPush) => void>();
  const calls: FakeBackend['calls'] = [];
  let state: ServingState = { ...IDLE_STATE };
  const push = (p: ApiPush): void => {
    for (const l of listeners) l(p);
  };
  const setState = (next: ServingState): ServingState => {
    state = next;
    push({ type: 'state', state });
    return state;
  };
  const delay = (): Promise<void> => new Promise((r) => setTimeout(r, transitionMs));
  let settings: SettingsSnapshot = { settings: DEFAULT_SETTINGS, defaults: DEFAULT_SETTINGS, savedAt: null, file: '/fake/state/settings.json', defaultStateDir: '/fake/state' };
  const clients = new ClientTracker([], { onArm: (event) => push({ type: 'event', event }) });
  // The real log ring: emitted events become log lines and counters, pushed in batches like the AppController's.
  const diagnostics = new DiagnosticsLog({ flushMs: 50, onFlush: (lines, counters) => push({ type: 'log', lines, counters }) });
  // Handed over by the web server (its token), removed from the zip like the AppController's.
  const knownSecrets: { what: string; value: string; user?: string }[] = [];
  const fakeBundle = () =>
    buildDiagnostics({
      log: diagnostics.snapshot(),
      events: diagnostics.recentEvents(),
      state,
      config: null,
      profileText: null,
      profiles: [...profiles.entries()].map(([name, e]) => ({ name, text: JSON.stringify(e.profile) })),
      stateFiles: {},
      clients: clients.list(),
      preflight: null,
      images: [],
      bmcs: [],
      versions: collectVersions(),
      knownSecrets,
    });
  clients.subscribe((c) => {
    // The snapshot at subscription is for nobody: the renderer asks with clients:list.
    if (!c.snapshot) push({ type: 'clients', ...c, ...(c.changed ? { changed: c.changed.map(clientSummary) } : {}) });
  });
  const noBmcs = (method: string) => async (): Promise<never> => {
    calls.push({ method });
    throw new FieldbootError(ErrorCode.BadOption, 'the fake backend has no BMCs');
  };
  // Profiles in memory, with the real validation, hashing and rendering (the store's files are tested with AppController).
  const profiles = new Map<string, { profile: Profile; modified: string }>();
  const savedProfile = (name: string) => {
    const entry = profiles.get(name);
    if (!entry) throw new FieldbootError(ErrorCode.FileNotFound, `No saved profile named "${name}".`);
    return entry;
  };

  return {
    calls,
    clients,
    emit: (event) => {
      diagnostics.addEvent(event);
      push({ type: 'event', event });
      void clients.observe(event);
    },
    async listInterfaces() {
      calls.push({ method: 'listInterfaces' });
      return interfaces;
    },
    getState: () => state,
    async startServing(request) {
      calls.push({ method: 'startServing', request });
      if (state.phase === 'serving' || state.phase === 'starting') throw new FieldbootError(ErrorCode.AlreadyServing, 'already serving');
      const nic = interfaces.find((i) => i.name === request.interface);
      if (!nic) throw new FieldbootError(ErrorCode.NoSuchInterface, `no interface named "${request.interface}"`);
      // A bare interface gets the requested address (validated like the engine does; nothing is changed here).
      const assigned = !nic.ipv4[0] && request.assignAddress ? checkAssignable(nic.name, request.assignAddress, interfaces) : null;
      const addr = nic.ipv4[0] ?? assigned;
      if (!addr) {
        return setState({
          ...IDLE_STATE,
          phase: 'failed',
          interface: nic.name,
          error: new FieldbootError(ErrorCode.NoIpv4OnInterface, `${nic.name} has no IPv4 address`).toInfo(),
        });
      }
      setState({ ...IDLE_STATE, phase: 'starting', interface: nic.name, dhcpMode: request.dhcpMode, range: request.range ?? null });
      await delay();
      const services: ServingState['services'] = [
        ...(request.dhcpMode === 'off' ? [] : [{ name: request.dhcpMode === 'proxy' ? 'proxy' : 'dhcp', address: '0.0.0.0', port: request.dhcpMode === 'proxy' ? 4011 : 67 }]),
        { name: 'tftp', address: addr.address, port: 69 },
        { name: 'http', address: addr.address, port: 80 },
      ];
      return setState({
        phase: 'serving',
        interface: nic.name,
        serverIp: addr.address,
        dhcpMode: request.dhcpMode,
        range: request.range ?? null,
        services,
        startedAt: nowIso(),
        error: null,
        ...(assigned ? { assignedAddress: `${assigned.address}/${assigned.prefix}` } : {}),
      });
    },
    async stopServing() {
      calls.push({ method: 'stopServing' });
      if (state.phase !== 'serving' && state.phase !== 'failed') throw new FieldbootError(ErrorCode.NotServing, 'not serving');
      setState({ ...state, phase: 'stopping' });
      await delay();
      return setState({ ...IDLE_STATE });
    },
    // No image library here: the real one is tested with AppController (test/integration/image-library-api.test.ts).
    async listImages() {
      calls.push({ method: 'listImages' });
      return [];
    },
    async addImage(path) {
      calls.push({ method: 'addImage' });
      throw new FieldbootError(ErrorCode.IsoUnreadable, `the fake backend does not read images (${path})`);
    },
    async removeImage(id) {
      calls.push({ method: 'removeImage' });
      throw new FieldbootError(ErrorCode.BadOption, `no image with id "${id}"`);
    },
    async uploadImage(_name, body) {
      calls.push({ method: 'uploadImage' });
      body.resume();
      throw new FieldbootError(ErrorCode.IsoUnreadable, 'the fake backend does not read images');
    },
    async listProfiles() {
      calls.push({ method: 'listProfiles' });
      return [...profiles.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, e]) => ({ name, target: e.profile.target ?? null, modified: e.modified }));
    },
    async getProfile(name) {
      calls.push({ method: 'getProfile' });
      return structuredClone(savedProfile(name).profile);
    },
    async saveProfile(request) {
      calls.push({ method: 'saveProfile' });
      const checked = validateProfile(request.profile);
      if (!checked.ok) throw new FieldbootError(ErrorCode.BadOption, `The profile is not valid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      const profile = checked.profile;
      const problem = profileNameProblem(profile.name);
      if (problem) throw new FieldbootError(ErrorCode.BadOption, `Profile name ${problem}.`);
      if (request.password !== undefined) profile.accounts.rootPasswordHash = hashPassword(request.password);
      if (request.adminPassword !== undefined && profile.accounts.users[0]) profile.accounts.users[0].passwordHash = hashPassword(request.adminPassword);
      profiles.set(profile.name, { profile: structuredClone(profile), modified: nowIso() });
      return profile;
    },
    async deleteProfile(name) {
      calls.push({ method: 'deleteProfile' });
      const entry = savedProfile(name);
      profiles.delete(name);
      return { name, target: entry.profile.target ?? null, modified: entry.modified };
    },
    async renderProfile(request) {
      calls.push({ method: 'renderProfile' });
      return renderProfileAnswer(request, state);
    },
    // No BMCs here: the real ones are driven through AppController against ipmi_sim (test/ui/bmc.test.ts).
    async listBmcs() {
      calls.push({ method: 'listBmcs' });
      return [];
    },
    addBmc: noBmcs('addBmc'),
    updateBmc: noBmcs('updateBmc'),
    importBmcs: noBmcs('importBmcs'),
    removeBmcs: noBmcs('removeBmcs'),
    testBmcs: noBmcs('testBmcs'),
    installBmcs: noBmcs('installBmcs'),
    powerBmcs: noBmcs('powerBmcs'),
    async listClients() {
      calls.push({ method: 'listClients' });
      return clients.list().map(clientSummary);
    },
    async getClient(mac) {
      calls.push({ method: 'getClient' });
      const record = clients.get(mac);
      if (!record) throw new FieldbootError(ErrorCode.FileNotFound, `no machine with MAC ${mac}`);
      return record;
    },
    async armClients(request) {
      calls.push({ method: 'armClients' });
      return (await clients.arm(request.macs, { oneShot: request.oneShot })).map(clientSummary);
    },
    async disarmClients(macs) {
      calls.push({ method: 'disarmClients' });
      return (await clients.disarm(macs)).map(clientSummary);
    },
    async clearFinishedClients() {
      calls.push({ method: 'clearFinishedClients' });
      return clients.clearFinished();
    },
    async exportClients(format) {
      calls.push({ method: 'exportClients' });
      return clientReport(clients.list(), format);
    },
    async runPreflight(request) {
      calls.push({ method: 'runPreflight' });
      // The real checks over a quiet, open machine: nothing listening, no firewall rules, root.
      return runPreflight(request, { interfaces, platform: 'linux', uid: 0, exec: async () => '', readFile: () => null });
    },
    async probeDhcp(request) {
      calls.push({ method: 'probeDhcp' });
      // A quiet switch: nobody else answers.
      return { interface: request.interface, timeoutMs: request.timeoutMs ?? 3000, boundToInterface: true, servers: [], at: new Date().toISOString() };
    },
    async getLogSnapshot() {
      calls.push({ method: 'getLogSnapshot' });
      return diagnostics.snapshot();
    },
    async buildDiagnostics() {
      calls.push({ method: 'buildDiagnostics' });
      return fakeBundle();
    },
    noteSecret(what, value, user) {
      knownSecrets.push({ what, value, ...(user !== undefined ? { user } : {}) });
    },
    async exportDiagnostics() {
      calls.push({ method: 'exportDiagnostics' });
      // Nothing is written: the fake says where the desktop would have saved it.
      return exportResult(fakeBundle(), `/fake/Documents/${fakeBundle().fileName}`);
    },
    async getSettings() {
      calls.push({ method: 'getSettings' });
      return settings;
    },
    async saveSettings(request) {
      calls.push({ method: 'saveSettings' });
      // The real checks; kept in memory only.
      settings = { ...settings, settings: parseSettingsRequest(request), savedAt: nowIso() };
      return settings;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async dispose() {
      diagnostics.dispose();
      await clients.close();
      listeners.clear();
    },
  };
}

/** A little traffic so the event log has something to show. */
function demoTraffic(backend: FakeBackend): NodeJS.Timeout {
  let n = 0;
  return setInterval(() => {
    const s = backend.getState();
    if (s.phase !== 'serving') return;
    const mac = `52:54:00:00:00:${(10 + (n % 5)).toString(16).padStart(2, '0')}`;
    const ip = `192.168.77.${100 + (n % 5)}`;
    const step = n % 4;
    if (step === 0) backend.emit({ type: 'lease', time: nowIso(), action: 'ack', mac, ip, arch: n % 2 ? 7 : 0, bootFile: n % 2 ? 'ipxe.efi' : 'undionly.kpxe' });
    if (step === 1) backend.emit({ type: 'file', time: nowIso(), protocol: 'tftp', action: 'start', client: ip, mac, path: 'pxelinux.0', size: 46_000, bytes: 0 });
    if (step === 2) backend.emit({ type: 'file', time: nowIso(), protocol: 'tftp', action: 'end', client: ip, mac, path: 'pxelinux.0', size: 46_000, bytes: 46_000, durationMs: 120, rate: 383_000 });
    if (step === 3) backend.emit({ type: 'file', time: nowIso(), protocol: 'http', action: 'end', client: ip, mac, path: 'debian/initrd.gz', size: 31_457_280, bytes: 31_457_280, durationMs: 2_400, rate: 13_107_200 });
    n++;
  }, 700);
}

async function main(): Promise<void> {
  const { startWebServer, createToken } = await import('../../electron/engine-host/web-server');
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;
  const backend = createFakeBackend({ transitionMs: 400 });
  const staticDir = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
  const server = await startWebServer({ backend, port, token: createToken(), staticDir });
  const timer = args.includes('--events') ? demoTraffic(backend) : null;
  const clientsArg = args.indexOf('--clients');
  const simulation = clientsArg >= 0 ? (await import('./client-simulation')).simulateInstalls((e) => backend.emit(e), { count: Number(args[clientsArg + 1]) || 200 }) : null;
  process.stdout.write(JSON.stringify({ type: 'ui', url: server.url }) + '\n');
  const stop = (): void => {
    if (timer) clearInterval(timer);
    simulation?.stop();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
