/**
 * When the engine is started elevated, and the exact commands each platform's prompt gets. The macOS and
 * Windows commands cannot run here: their quoting is checked by decoding them back (and, for the POSIX
 * shell part, by running it through sh), not by a prompt.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  APPIMAGE_ENGINE_BOOTSTRAP,
  DEB_APP_DIR,
  DEB_ENGINE_WRAPPER,
  DEB_POLICY_FILE,
  ElevationMethod,
  EngineElevation,
  MAC_PROMPT_TEXT,
  WIN32_ERROR_CANCELLED,
  appleScriptString,
  elevatedLaunch,
  elevationNeed,
  explainMacPromptExit,
  explainPkexecExit,
  explainUacExit,
  installedDebWrapper,
  macAdminPromptArgv,
  macShellCommand,
  parseWhoamiElevated,
  passedEnv,
  pkexecArgv,
  pkexecLaunch,
  psQuote,
  shQuote,
  uacArgv,
} from '../../electron/engine-host/engine-elevation';
import { engineSocketAddress, tokenMatches } from '../../electron/engine-host/engine-socket';
import { Capability, neededPorts, type PrivilegeFacts } from '../../electron/engine/net/preflight';
import { ErrorCode, FieldbootError } from '../../shared/errors';

const caps = (...c: number[]) => c.reduce((m, n) => m | (1n << BigInt(n)), 0n);
const linux = (uid: number, capEff: bigint): PrivilegeFacts => ({ platform: 'linux', uid, capEff, unprivilegedPortStart: 1024 });
const FULL = neededPorts('full');
const OFF = neededPorts('off');

test('Linux: elevation when not root and a needed capability is missing; never as root or with the capabilities', () => {
  const user = elevationNeed(linux(1000, 0n), FULL, false);
  assert.equal(user.needed, true);
  assert.equal(user.method, ElevationMethod.Pkexec);
  assert.match(user.reason, /CAP_NET_BIND_SERVICE/);
  assert.match(user.reason, /CAP_NET_RAW/);
  assert.equal(elevationNeed(linux(0, 0n), FULL, true).needed, false, 'root');
  assert.equal(elevationNeed(linux(1000, caps(Capability.NetBindService, Capability.NetRaw, Capability.NetAdmin)), FULL, true).needed, false, 'all three capabilities');
  // Bind and raw are enough until an address is to be assigned: then CAP_NET_ADMIN is missing.
  const bindRaw = linux(1000, caps(Capability.NetBindService, Capability.NetRaw));
  assert.equal(elevationNeed(bindRaw, FULL, false).needed, false);
  const assign = elevationNeed(bindRaw, FULL, true);
  assert.equal(assign.needed, true);
  assert.match(assign.reason, /CAP_NET_ADMIN/);
  // DHCP off: no SO_BINDTODEVICE, so CAP_NET_BIND_SERVICE alone serves TFTP/HTTP/FTP.
  assert.equal(elevationNeed(linux(1000, caps(Capability.NetBindService)), OFF, false).needed, false);
  // Every port above ip_unprivileged_port_start and DHCP off: nothing needed.
  const high = neededPorts('off', { tftpPort: 16969, httpPort: 18080, ftp: false });
  assert.equal(elevationNeed(linux(1000, 0n), high, false).needed, false);
});

test('macOS: elevation for ports below 1024 unless root; Windows: only for assigning an address when not elevated', () => {
  const mac = elevationNeed({ platform: 'darwin', uid: 501, capEff: null, unprivilegedPortStart: null }, FULL, false);
  assert.deepEqual([mac.needed, mac.method], [true, ElevationMethod.MacAdminPrompt]);
  assert.equal(elevationNeed({ platform: 'darwin', uid: 0, capEff: null, unprivilegedPortStart: null }, FULL, false).needed, false);
  const win = (elevated: boolean | null, assigning: boolean) => elevationNeed({ platform: 'win32', uid: null, capEff: null, unprivilegedPortStart: null, elevated }, FULL, assigning);
  assert.equal(win(false, false).needed, false, 'Windows binds low ports unelevated');
  assert.deepEqual([win(false, true).needed, win(false, true).method], [true, ElevationMethod.WindowsUac]);
  assert.equal(win(true, true).needed, false);
  assert.equal(elevationNeed({ platform: 'freebsd', uid: 1000, capEff: null, unprivilegedPortStart: null }, FULL, false).needed, false, 'no method: no prompt');
});

test('Windows: whoami /groups tells an elevated process by its mandatory label', () => {
  const high = 'Mandatory Label\\High Mandatory Level       Label            S-1-16-12288\r\n';
  const medium = 'Mandatory Label\\Medium Mandatory Level     Label            S-1-16-8192\r\n';
  assert.equal(parseWhoamiElevated(high), true);
  assert.equal(parseWhoamiElevated(medium), false);
  assert.equal(parseWhoamiElevated('ERROR: something else'), null);
});

test('pkexec: the environment goes through /usr/bin/env (pkexec clears it), paths stay absolute', () => {
  const engine = { command: '/usr/bin/node', args: ['--import', 'file:///app/node_modules/tsx/dist/loader.mjs', '/app/electron/engine/main.ts'] };
  const env = { FIELDBOOT_HEARTBEAT_TIMEOUT_MS: '800', PATH: '/home/me/bin', LD_PRELOAD: '/evil.so' };
  assert.deepEqual(pkexecArgv(engine, { env }), ['pkexec', '/usr/bin/env', 'FIELDBOOT_HEARTBEAT_TIMEOUT_MS=800', ...[engine.command, ...engine.args]]);
  const packaged = { command: '/opt/FieldBoot/fieldboot', args: ['/opt/FieldBoot/resources/app.asar/dist/electron/engine.cjs'], env: { ELECTRON_RUN_AS_NODE: '1' } };
  assert.deepEqual(pkexecArgv(packaged, { env: {} }), ['pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', packaged.command, ...packaged.args]);
  // The deb's own action: its wrapper, and nothing of ours.
  assert.deepEqual(pkexecArgv(packaged, { env, debWrapper: DEB_ENGINE_WRAPPER }), ['pkexec', DEB_ENGINE_WRAPPER]);
  // AppImage: the file itself, extracted, with the bundle found beside the extracted binary.
  assert.deepEqual(pkexecArgv(packaged, { env: {}, appImage: '/home/me/FieldBoot.AppImage' }), [
    'pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', 'APPIMAGE_EXTRACT_AND_RUN=1', '/home/me/FieldBoot.AppImage', '-e', APPIMAGE_ENGINE_BOOTSTRAP,
  ]);
  const plan = pkexecLaunch(packaged, { env: {} });
  assert.equal(plan.transport, 'stdio', 'pkexec keeps stdin/stdout');
  assert.equal(plan.elevated, true);
  assert.deepEqual(plan.command([]), { command: 'pkexec', args: ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', packaged.command, ...packaged.args] });
  assert.deepEqual(passedEnv({ command: 'x', args: [], env: { FIELDBOOT_X: 'mine' } }, { FIELDBOOT_X: 'theirs' }), ['FIELDBOOT_X=mine']);
});

test('the deb wrapper is used only when it and its polkit action are installed, and only by the installed app', () => {
  assert.equal(installedDebWrapper(() => true), DEB_ENGINE_WRAPPER);
  assert.equal(installedDebWrapper((p) => p !== DEB_POLICY_FILE), null);
  assert.ok(DEB_ENGINE_WRAPPER.startsWith(`${DEB_APP_DIR}/`));
  // A development checkout never runs the installed app's engine.
  const dev = elevatedLaunch('linux', { command: '/usr/bin/node', args: ['/work/main/electron/engine/main.ts'] }, {});
  assert.equal(dev?.command([]).args[0], '/usr/bin/env');
});

test('pkexec exit codes become errors that say what happened and what to do', () => {
  const dismissed = explainPkexecExit(126, '');
  assert.ok(dismissed instanceof FieldbootError);
  assert.equal(dismissed.code, ErrorCode.NoPrivilege);
  assert.match(dismissed.message, /prompt was closed/);
  assert.match(dismissed.hint, /Start again/);
  const refused = explainPkexecExit(127, 'Error executing command as another user: Not authorized\n');
  assert.equal(refused?.code, ErrorCode.NoPrivilege);
  assert.match(refused!.message, /Not authorized/);
  assert.match(refused!.hint, /org\.fieldboot\.engine/);
  assert.match(refused!.hint, /sudo/);
  assert.equal(explainPkexecExit(1, ''), null, 'an engine failure is the engine\'s own story');
  assert.equal(explainPkexecExit(null, ''), null);
});

test('POSIX quoting survives sh: every argument comes back byte for byte', () => {
  const args = ['/Applications/Field Boot.app/Contents/MacOS/FieldBoot', "it's", 'a"b', '$(touch /tmp/x)', '`id`', 'back\\slash', 'plain-arg', ''];
  const out = execFileSync('sh', ['-c', `printf '%s\\n' ${args.map(shQuote).join(' ')}`], { encoding: 'utf8' });
  assert.deepEqual(out.split('\n').slice(0, -1), args);
});

/** Reads an AppleScript string literal back (the inverse of appleScriptString). */
function readAppleScriptString(s: string, from: number): { value: string; end: number } {
  assert.equal(s[from], '"');
  let value = '';
  let i = from + 1;
  while (s[i] !== '"') {
    if (s[i] === '\\') i++;
    value += s[i];
    i++;
  }
  return { value, end: i + 1 };
}

test('macOS: osascript runs the engine through env with the connect arguments, quoted for sh inside an AppleScript string', () => {
  const engine = { command: '/Applications/Field "Boot".app/Contents/MacOS/FieldBoot', args: ['/Applications/Field "Boot".app/Contents/Resources/app.asar/dist/electron/engine.cjs'], env: { ELECTRON_RUN_AS_NODE: '1' } };
  const connect = ['--connect', '/var/folders/xy/T/fieldboot-engine-a b/engine.sock', '--token-file', "/var/folders/xy/T/fieldboot-engine-a b/token"];
  const argv = macAdminPromptArgv(engine, connect, {});
  assert.equal(argv[0], '/usr/bin/osascript');
  assert.equal(argv[1], '-e');
  const script = argv[2]!;
  assert.ok(script.startsWith('do shell script "'));
  assert.ok(script.endsWith(' with administrator privileges'));
  const cmd = readAppleScriptString(script, 'do shell script '.length);
  assert.equal(cmd.value, macShellCommand(engine, connect, {}));
  assert.equal(script.slice(cmd.end), ` with prompt ${appleScriptString(MAC_PROMPT_TEXT)} with administrator privileges`);
  // What sh makes of it: env, the variable, the engine, its script, the connect arguments.
  const words = execFileSync('sh', ['-c', `printf '%s\\n' ${cmd.value.replace(/^\/usr\/bin\/env /, '')}`], { encoding: 'utf8' }).split('\n').slice(0, -1);
  assert.deepEqual(words, ['ELECTRON_RUN_AS_NODE=1', engine.command, ...engine.args, ...connect]);
  const plan = elevatedLaunch('darwin', engine, {});
  assert.equal(plan?.transport, 'socket', 'the admin prompt cannot keep stdio pipes');
  assert.equal(plan?.command(connect).command, '/usr/bin/osascript');
});

test('macOS: Cancel on the admin prompt (AppleScript -128) is a clear error', () => {
  const e = explainMacPromptExit(1, '0:180: execution error: User canceled. (-128)\n');
  assert.equal(e?.code, ErrorCode.NoPrivilege);
  assert.match(e!.message, /cancelled/);
  assert.equal(explainMacPromptExit(1, 'execution error: something else (-2700)'), null);
  assert.equal(explainMacPromptExit(0, ''), null);
});

function decodePs(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf16le');
}

test('Windows: UAC through Start-Process -Verb RunAs; the elevated script sets the environment and runs the engine with the pipe', () => {
  const engine = { command: "C:\\Program Files\\O'Field\\FieldBoot.exe", args: ['C:\\Program Files\\O\'Field\\resources\\app.asar\\dist\\electron\\engine.cjs'], env: { ELECTRON_RUN_AS_NODE: '1' } };
  const pipe = engineSocketAddress('C:\\Users\\me\\AppData\\Local\\Temp\\fieldboot-engine-x', 'win32', 'abc123');
  assert.equal(pipe, '\\\\.\\pipe\\fieldboot-engine-abc123');
  const connect = ['--connect', pipe, '--token-file', 'C:\\Users\\me\\AppData\\Local\\Temp\\fieldboot-engine-x\\token'];
  const argv = uacArgv(engine, connect, { FIELDBOOT_HEARTBEAT_TIMEOUT_MS: '900' });
  assert.deepEqual(argv.slice(0, 6), ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
  const outer = decodePs(argv[6]!);
  assert.match(outer, /Start-Process -FilePath 'powershell\.exe' -Verb RunAs -WindowStyle Hidden -Wait -PassThru/);
  assert.match(outer, /exit \$p\.ExitCode/);
  assert.match(outer, new RegExp(`NativeErrorCode -eq ${WIN32_ERROR_CANCELLED}`));
  const innerB64 = /'-EncodedCommand','([A-Za-z0-9+/=]+)'/.exec(outer)?.[1];
  assert.ok(innerB64, outer);
  const inner = decodePs(innerB64);
  assert.deepEqual(inner.split('\n'), [
    "$env:FIELDBOOT_HEARTBEAT_TIMEOUT_MS = '900'",
    "$env:ELECTRON_RUN_AS_NODE = '1'",
    `& ${psQuote(engine.command)} ${psQuote(engine.args[0]!)} '--connect' '\\\\.\\pipe\\fieldboot-engine-abc123' '--token-file' 'C:\\Users\\me\\AppData\\Local\\Temp\\fieldboot-engine-x\\token'`,
    'exit $LASTEXITCODE',
  ]);
  assert.equal(psQuote("O'Field"), "'O''Field'");
  const plan = elevatedLaunch('win32', engine, {});
  assert.equal(plan?.transport, 'socket');
  assert.equal(plan?.command(connect).command, 'powershell.exe');
});

test('Windows: a UAC prompt answered No is a clear error', () => {
  assert.equal(explainUacExit(WIN32_ERROR_CANCELLED, '')?.code, ErrorCode.NoPrivilege);
  assert.equal(explainUacExit(1, 'This command cannot be run due to the error: The operation was canceled by the user.')?.code, ErrorCode.NoPrivilege);
  assert.equal(explainUacExit(1, 'file not found'), null);
});

test('socket auth: only an auth line with exactly the token passes', () => {
  const token = 'a'.repeat(64);
  assert.equal(tokenMatches(JSON.stringify({ type: 'auth', token }), token), true);
  assert.equal(tokenMatches(JSON.stringify({ type: 'auth', token: 'a'.repeat(63) }), token), false);
  assert.equal(tokenMatches(JSON.stringify({ type: 'hello', token }), token), false);
  assert.equal(tokenMatches(JSON.stringify({ type: 'auth', token: 42 }), token), false);
  assert.equal(tokenMatches('not json', token), false);
  assert.equal(engineSocketAddress('/tmp/fieldboot-engine-x', 'linux', 'r'), '/tmp/fieldboot-engine-x/engine.sock');
});

test('EngineElevation: injectable facts and launch', () => {
  const e = new EngineElevation({ platform: 'linux', facts: () => linux(1000, 0n), launch: () => null });
  assert.equal(e.need(FULL, false).needed, true);
  assert.equal(e.launch(), null);
  assert.equal(new EngineElevation({ platform: 'linux', facts: () => linux(0, 0n) }).need(FULL, true).needed, false);
});
