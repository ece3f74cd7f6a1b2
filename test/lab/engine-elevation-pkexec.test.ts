/**
 * The real thing on Linux: an unprivileged app (uid 65534, nobody) starts the engine through real pkexec,
 * polkit grants it (a rules file this test writes and removes), and the engine runs as uid 0, binds a port
 * below 1024 and serves; SIGKILL of the app ends the root engine within seconds and frees the port. Without
 * the grant, pkexec exits 127 and the app gets the explained error. The deb's polkit action file is loaded by
 * the real polkitd and read back with pkaction.
 *
 * Needs the system D-Bus and polkitd: the machine's own when they run, else this test starts a system
 * dbus-daemon and polkitd of its own (no systemd needed) and stops them after.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DEB_APP_DIR, DEB_ENGINE_WRAPPER, POLKIT_ACTION_ID } from '../../electron/engine-host/engine-elevation';
import { freePort, hostCommand, hostReport, listening, waitGone } from '../helpers/engine-processes';
import { labGate, missing } from '../helpers/requirements';

const run = promisify(execFile);
const POLKITD = '/usr/lib/polkit-1/polkitd';
const BUS_SOCKET = '/run/dbus/system_bus_socket';
const NOBODY = 65534;
const marker = randomBytes(8).toString('hex');
const ruleFile = `/etc/polkit-1/rules.d/10-fieldboot-test-${marker}.rules`;
const policySource = join(process.cwd(), 'resources', 'linux', `${POLKIT_ACTION_ID}.policy`);
const policyTarget = `/usr/share/polkit-1/actions/${POLKIT_ACTION_ID}.policy`;
const started: ChildProcess[] = [];
let createdBusSocket = false;
let installedPolicy = false;
let ready = false;
const requirements = { root: true, commands: ['pkexec', 'pkaction', 'dbus-daemon', 'setpriv', 'unshare'], files: [POLKITD] };

async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

const polkitAnswers = () => run('pkaction', ['--action-id', 'org.freedesktop.policykit.exec']).then(() => true, () => false);

/** A TCP port on 127.0.0.1 below 1024 that nobody holds: only root (or CAP_NET_BIND_SERVICE) can bind it. */
async function freeLowPort(): Promise<number> {
  for (let port = 900 + Math.floor(Math.random() * 90); port < 1024; port++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port in 900-1023');
}

interface HostReport {
  hostPid?: number;
  hostUid?: number;
  enginePid?: number;
  privileged?: boolean;
  error?: { code: string; message: string; hint: string };
}

/** The stand-in app as nobody; with `grant`, the polkit rule's marker is in the environment pkexec passes on. */
function startHost(grant: boolean, stateDir: string, httpPort: number, tftpPort: number, how = 'pkexec', root?: string): { proc: ChildProcess; report: Promise<HostReport> } {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: '/nonexistent' };
  if (grant) env.FIELDBOOT_TEST_POLKIT_GRANT = marker;
  else delete env.FIELDBOOT_TEST_POLKIT_GRANT;
  // nobody must read the checkout, whose parent folders may be closed to it (CI clones into a 0700 folder):
  // in a mount namespace of its own, the checkout is bind-mounted at an open path and the host runs there.
  // unshare, sh and setpriv each exec the next, so the host keeps this process's pid (the test kills it).
  const view = mkdtempSync(join(tmpdir(), 'fb-pkexec-repo-'));
  const hostArgs = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', ...hostCommand('engine-elevation-host.ts', [how, stateDir, String(httpPort), String(tftpPort), ...(root ? [root] : [])])];
  const proc = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" "$1" && cd "$1" && shift && exec setpriv "$@"', process.cwd(), view, ...hostArgs],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  // rmdir, never a recursive remove: were the mount ever visible here, this must fail, not empty the checkout.
  proc.once('exit', () => {
    try {
      rmdirSync(view);
    } catch {
      /* left behind rather than risk the checkout */
    }
  });
  const report = hostReport<HostReport>(proc, 60_000);
  report.catch(() => {});
  return { proc, report };
}

before(async () => {
  // Each test gates itself (and says why it skips); the setup just does nothing when it cannot run.
  if (missing(requirements)) return;
  // Only our marker in pkexec's command line is granted, only for nobody, only through /usr/bin/env.
  writeFileSync(
    ruleFile,
    `polkit.addRule(function (action, subject) {
  if (action.id == "org.freedesktop.policykit.exec" && subject.user == "nobody" &&
      action.lookup("program") == "/usr/bin/env" &&
      action.lookup("command_line").indexOf("FIELDBOOT_TEST_POLKIT_GRANT=${marker}") >= 0) {
    return polkit.Result.YES;
  }
});
`,
    { mode: 0o644 },
  );
  if (existsSync(policySource) && !existsSync(policyTarget)) {
    copyFileSync(policySource, policyTarget);
    installedPolicy = true;
  }
  if (!(await polkitAnswers())) {
    if (!(await connects(BUS_SOCKET))) {
      createdBusSocket = !existsSync(BUS_SOCKET);
      const bus = spawn('dbus-daemon', ['--system', '--nofork', '--nopidfile'], { stdio: 'ignore' });
      started.push(bus);
      await until(() => connects(BUS_SOCKET), 10_000, 'system bus socket');
    }
    const polkitd = spawn(POLKITD, ['--no-debug'], { stdio: 'ignore' });
    started.push(polkitd);
    await until(polkitAnswers, 15_000, 'polkitd answering pkaction');
  } else {
    // The machine's polkitd reads rules.d when it changes.
    await new Promise((r) => setTimeout(r, 2000));
  }
  ready = true;
});

after(async () => {
  rmSync(ruleFile, { force: true });
  if (installedPolicy) rmSync(policyTarget, { force: true });
  for (const p of started.reverse()) {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
  }
  if (createdBusSocket) rmSync(BUS_SOCKET, { force: true });
});

test('real pkexec: the app as nobody, the engine as root serving a port below 1024; SIGKILL of the app ends it and frees the port', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, requirements)) return;
  assert.ok(ready, 'polkit set up');
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-pkexec-'));
  const [httpPort, tftpPort] = [await freeLowPort(), await freePort()];
  const { proc, report } = startHost(true, stateDir, httpPort, tftpPort);
  try {
    const r = await report;
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.hostUid, NOBODY, 'the app runs unprivileged');
    assert.equal(r.privileged, true, 'the engine says it runs as root');
    const enginePid = r.enginePid!;
    const uidLine = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${enginePid}/status`, 'utf8'))?.[1]?.split(/\s+/);
    assert.deepEqual(uidLine, ['0', '0', '0', '0'], 'engine real/effective/saved/fs uid 0');
    assert.equal(readFileSync(`/proc/${enginePid}/status`, 'utf8').match(/^PPid:\s+(\d+)$/m)?.[1], String(r.hostPid), 'pkexec exec\'d the engine: its parent is the app');
    assert.equal(await listening(httpPort), true, `the root engine serves HTTP on port ${httpPort}`);
    const body = await (await fetch(`http://127.0.0.1:${httpPort}/boot/undionly.kpxe`)).arrayBuffer();
    assert.ok(body.byteLength > 10_000, 'a boot loader served by the root engine');
    proc.kill('SIGKILL');
    const took = await waitGone(enginePid, 5000);
    t.diagnostic(`root engine gone ${took} ms after SIGKILL of its app`);
    assert.equal(await listening(httpPort), false, 'port free again');
  } finally {
    proc.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('real pkexec without a grant: exit 127, and the app says what happened and what to do', { timeout: 90_000 }, async (t) => {
  if (!labGate(t, requirements)) return;
  assert.ok(ready, 'polkit set up');
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-pkexec-'));
  const { proc, report } = startHost(false, stateDir, await freePort(), await freePort());
  try {
    const r = await report;
    assert.equal(r.error?.code, 'no-privilege');
    assert.match(r.error!.message, /did not authorize .*pkexec exit 127/);
    assert.match(r.error!.hint, /administrator/);
    t.diagnostic(`error shown: ${r.error!.message}`);
  } finally {
    proc.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('the deb polkit action loads in polkitd: auth_admin_keep for the active session, for the fixed wrapper only', { timeout: 30_000 }, async (t) => {
  if (!labGate(t, requirements)) return;
  assert.ok(ready, 'polkit set up');
  assert.ok(existsSync(policyTarget), 'policy installed');
  let out = '';
  await until(async () => {
    out = await run('pkaction', ['--action-id', POLKIT_ACTION_ID, '--verbose']).then((r) => r.stdout, () => '');
    return out.includes(POLKIT_ACTION_ID);
  }, 10_000, 'polkitd reading the new action');
  assert.match(out, /implicit any:\s+no\b/);
  assert.match(out, /implicit inactive:\s+no\b/);
  assert.match(out, /implicit active:\s+auth_admin_keep\b/);
  assert.match(out, /org\.freedesktop\.policykit\.exec\.path -> \/opt\/FieldBoot\/resources\/linux\/fieldboot-engine/);
});

test('real pkexec through the deb\'s own action: the no-argument wrapper in /opt/FieldBoot runs the installed engine as root over stdio', { timeout: 120_000 }, async (t) => {
  if (!labGate(t, requirements)) return;
  assert.ok(ready, 'polkit set up');
  if (existsSync(DEB_APP_DIR)) {
    t.skip(`${DEB_APP_DIR} exists (a real installation): not touching it`);
    return;
  }
  // The deb's layout with node standing in for the Electron binary (ELECTRON_RUN_AS_NODE means nothing to it):
  // /opt/FieldBoot/fieldboot, resources/app.asar/dist/electron/engine.cjs, resources/boot, resources/linux/.
  const { build } = await import('esbuild');
  const debRule = `/etc/polkit-1/rules.d/10-fieldboot-test-deb-${marker}.rules`;
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-pkexec-deb-'));
  const root = mkdtempSync(join(tmpdir(), 'fb-pkexec-deb-root-'));
  writeFileSync(join(root, 'hello.txt'), 'served by the deb wrapper engine\n');
  chmodSync(root, 0o755);
  let proc: ChildProcess | null = null;
  try {
    const bundleDir = join(DEB_APP_DIR, 'resources', 'app.asar', 'dist', 'electron');
    mkdirSync(bundleDir, { recursive: true });
    await build({
      entryPoints: [join(process.cwd(), 'electron/engine/main.ts')],
      outfile: join(bundleDir, 'engine.cjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
      external: ['electron', 'dtrace-provider'],
    });
    symlinkSync(process.execPath, join(DEB_APP_DIR, 'fieldboot'));
    symlinkSync(join(process.cwd(), 'resources', 'boot'), join(DEB_APP_DIR, 'resources', 'boot'));
    mkdirSync(join(DEB_APP_DIR, 'resources', 'linux'));
    copyFileSync(join(process.cwd(), 'resources', 'linux', 'fieldboot-engine'), DEB_ENGINE_WRAPPER);
    chmodSync(DEB_ENGINE_WRAPPER, 0o755);
    writeFileSync(debRule, `polkit.addRule(function (action, subject) {
  if (action.id == "${POLKIT_ACTION_ID}" && subject.user == "nobody") return polkit.Result.YES;
});
`);
    await new Promise((r) => setTimeout(r, 1500)); // polkitd rereads rules.d on change
    const httpPort = await freeLowPort();
    const started = startHost(true, stateDir, httpPort, await freePort(), 'pkexec-deb', root);
    proc = started.proc;
    const r = await started.report;
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.hostUid, NOBODY);
    assert.equal(r.privileged, true);
    const enginePid = r.enginePid!;
    const cmdline = readFileSync(`/proc/${enginePid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.deepEqual(cmdline.slice(1), [join(bundleDir, 'engine.cjs')], 'the installed bundle, no caller arguments');
    const environ = readFileSync(`/proc/${enginePid}/environ`, 'utf8').split('\0').filter(Boolean).sort();
    assert.deepEqual(environ, ['ELECTRON_RUN_AS_NODE=1', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'], 'nothing inherited');
    const got = await fetch(`http://127.0.0.1:${httpPort}/boot/hello.txt`);
    assert.equal(await got.text(), 'served by the deb wrapper engine\n');
    proc.kill('SIGKILL');
    await waitGone(enginePid, 5000);
    assert.equal(await listening(httpPort), false, 'port free again');
  } finally {
    proc?.kill('SIGKILL');
    rmSync(debRule, { force: true });
    rmSync(DEB_APP_DIR, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test('the deb maintainer scripts, filled in as electron-builder does, install the polkit action polkitd then reads, and remove it', { timeout: 60_000 }, async (t) => {
  if (!labGate(t, requirements)) return;
  assert.ok(ready, 'polkit set up');
  if (existsSync(DEB_APP_DIR) || existsSync('/usr/bin/fieldboot')) {
    t.skip('a FieldBoot installation exists here: not touching it');
    return;
  }
  // electron-builder (FpmTarget writeConfigFile) replaces ${name} macros and refuses unknown ones.
  const macros: Record<string, string> = { executable: 'fieldboot', sanitizedProductName: 'FieldBoot' };
  const fill = (file: string) =>
    readFileSync(join(process.cwd(), 'resources', 'linux', file), 'utf8').replace(/\$\{([a-zA-Z]+)\}/g, (_m, name: string) => {
      const v = macros[name];
      if (v === undefined) throw new Error(`${file}: macro ${name} is not one electron-builder defines`);
      return v;
    });
  const scripts = mkdtempSync(join(tmpdir(), 'fb-deb-scripts-'));
  const hadPolicy = existsSync(policyTarget);
  try {
    writeFileSync(join(scripts, 'postinst'), fill('after-install.sh'), { mode: 0o755 });
    writeFileSync(join(scripts, 'postrm'), fill('after-remove.sh'), { mode: 0o755 });
    // The package's files as dpkg would have unpacked them.
    mkdirSync(join(DEB_APP_DIR, 'resources', 'linux'), { recursive: true });
    writeFileSync(join(DEB_APP_DIR, 'fieldboot'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    copyFileSync(join(process.cwd(), 'resources', 'linux', 'fieldboot-engine'), DEB_ENGINE_WRAPPER);
    chmodSync(DEB_ENGINE_WRAPPER, 0o644); // the script makes it executable
    copyFileSync(policySource, join(DEB_APP_DIR, 'resources', 'linux', `${POLKIT_ACTION_ID}.policy`));
    rmSync(policyTarget, { force: true });
    await run('bash', [join(scripts, 'postinst'), 'configure']);
    assert.equal(readFileSync(policyTarget, 'utf8'), readFileSync(policySource, 'utf8'));
    assert.equal((await run('stat', ['-c', '%a %U', DEB_ENGINE_WRAPPER])).stdout.trim(), '755 root');
    assert.equal((await run('readlink', ['/usr/bin/fieldboot'])).stdout.trim(), `${DEB_APP_DIR}/fieldboot`);
    let out = '';
    await until(async () => {
      out = await run('pkaction', ['--action-id', POLKIT_ACTION_ID, '--verbose']).then((r) => r.stdout, () => '');
      return out.includes('auth_admin_keep');
    }, 10_000, 'polkitd reading the installed action');
    await run('bash', [join(scripts, 'postrm'), 'remove']);
    assert.equal(existsSync(policyTarget), false, 'policy removed');
    assert.equal(existsSync('/usr/bin/fieldboot'), false, 'command removed');
  } finally {
    rmSync('/usr/bin/fieldboot', { force: true });
    rmSync(DEB_APP_DIR, { recursive: true, force: true });
    rmSync(scripts, { recursive: true, force: true });
    if (hadPolicy && !existsSync(policyTarget)) copyFileSync(policySource, policyTarget);
  }
});
