/**
 * Starting the engine with administrator rights while the window stays an ordinary user process.
 *
 * When: only when the privileges preflight check (electron/engine/net/preflight.ts) says this process's
 * rights are not enough for the ports and address assignment the session needs. Linux: not uid 0 and missing
 * one of CAP_NET_BIND_SERVICE (ports below ip_unprivileged_port_start), CAP_NET_RAW (DHCP binds to the
 * interface), CAP_NET_ADMIN (address assignment). macOS: not uid 0 and a port below 1024. Windows: any
 * program may bind low ports, so the engine runs unelevated and is restarted elevated on demand, only for a
 * start that assigns an address (netsh needs an administrator); firewall rules are shown as a command to run.
 *
 * How (one prompt per engine process, which then lives until the app quits):
 * - Linux: pkexec, which keeps stdin/stdout, so the stdio transport stays. pkexec clears the environment and
 *   runs the program in root's home (pkexec(1)), so ELECTRON_RUN_AS_NODE and FIELDBOOT_* are passed through
 *   /usr/bin/env, and every path is absolute. The deb package installs a polkit action (org.fieldboot.engine,
 *   resources/linux/) for a fixed wrapper script that takes no arguments; an AppImage cannot install one, so
 *   it uses pkexec's generic action (org.freedesktop.policykit.exec), which asks every time.
 * - macOS: osascript "do shell script ... with administrator privileges", which cannot hand back stdio pipes:
 *   the engine connects back over a Unix socket (engine-socket.ts).
 * - Windows: PowerShell Start-Process -Verb RunAs (UAC); likewise over a named pipe.
 * The macOS and Windows commands are written from their manuals and unit-tested for their construction only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { PreflightStatus } from '../../shared/model/preflight';
import { parseCapEff, privilegeCheck, type PortNeed, type PrivilegeFacts } from '../engine/net/preflight';
import { defaultEngineCommand, waitWords, type EngineCommand, type EngineLaunchPlan } from './engine-host';

export const ElevationMethod = { Pkexec: 'pkexec', MacAdminPrompt: 'mac-admin-prompt', WindowsUac: 'uac' } as const;
export type ElevationMethod = (typeof ElevationMethod)[keyof typeof ElevationMethod];

/** The polkit action the deb package installs (resources/linux/org.fieldboot.engine.policy). */
export const POLKIT_ACTION_ID = 'org.fieldboot.engine';
/** Where the deb package puts the wrapper the action names (electron-builder installs the app in /opt/<productName>). */
export const DEB_APP_DIR = '/opt/FieldBoot';
export const DEB_ENGINE_WRAPPER = `${DEB_APP_DIR}/resources/linux/fieldboot-engine`;
export const DEB_POLICY_FILE = `/usr/share/polkit-1/actions/${POLKIT_ACTION_ID}.policy`;

/** pkexec(1) RETURN VALUE: 127 not authorized / could not authenticate / error; 126 the dialog was dismissed. */
export const PkexecExit = { Dismissed: 126, NotAuthorized: 127 } as const;
/** AppleScript error number for "User canceled." (the admin prompt's Cancel button). */
export const APPLESCRIPT_USER_CANCELED = -128;
/** Win32 ERROR_CANCELLED: the UAC prompt was answered No. The launcher script exits with it. */
export const WIN32_ERROR_CANCELLED = 1223;

export interface ElevationNeed {
  needed: boolean;
  method: ElevationMethod | null;
  /** The privileges check's words: why (or why not). */
  reason: string;
}

export function elevationMethod(platform: NodeJS.Platform): ElevationMethod | null {
  if (platform === 'linux') return ElevationMethod.Pkexec;
  if (platform === 'darwin') return ElevationMethod.MacAdminPrompt;
  if (platform === 'win32') return ElevationMethod.WindowsUac;
  return null;
}

/** Is an elevated engine needed for a session binding these ports (and assigning an address)? */
export function elevationNeed(facts: PrivilegeFacts, needs: readonly PortNeed[], assigning: boolean): ElevationNeed {
  const check = privilegeCheck(facts, needs, assigning);
  const method = elevationMethod(facts.platform);
  if (check.status !== PreflightStatus.Blocking) return { needed: false, method: null, reason: check.detail };
  return { needed: method !== null, method, reason: check.detail };
}

/** Windows: `whoami /groups` lists the High Mandatory Level (S-1-16-12288) only in an elevated process. */
export function parseWhoamiElevated(text: string): boolean | null {
  if (!/S-1-16-\d+/.test(text)) return null;
  return /S-1-16-(12288|16384)\b/.test(text);
}

/** This process's rights, as the privileges check reads them. */
export function currentPrivilegeFacts(platform: NodeJS.Platform = process.platform): PrivilegeFacts {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  };
  const status = platform === 'linux' ? read('/proc/self/status') : null;
  const portStart = platform === 'linux' ? Number(read('/proc/sys/net/ipv4/ip_unprivileged_port_start')?.trim()) : NaN;
  let elevated: boolean | null = null;
  if (platform === 'win32') {
    try {
      elevated = parseWhoamiElevated(execFileSync('whoami', ['/groups'], { encoding: 'utf8', windowsHide: true }));
    } catch {
      elevated = null;
    }
  }
  return { platform, uid, capEff: status ? parseCapEff(status) : null, unprivilegedPortStart: Number.isFinite(portStart) ? portStart : null, elevated };
}

// ------------------------------------------------------------------------------------------------ quoting

/** POSIX shell single quotes: 'it'\''s'. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An AppleScript string literal (the language guide: backslash and double quote are escaped with a backslash). */
export function appleScriptString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A PowerShell single-quoted string: a quote inside is doubled. */
export function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** -EncodedCommand takes base64 of the script's UTF-16LE bytes: no quoting survives to cmd.exe or ShellExecute. */
export function psEncoded(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/**
 * The environment the elevated engine needs, as NAME=value words for /usr/bin/env: the command's own env
 * (ELECTRON_RUN_AS_NODE) and this process's FIELDBOOT_* settings (heartbeat timeout in tests).
 */
export function passedEnv(engine: EngineCommand, env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) if (k.startsWith('FIELDBOOT_') && v !== undefined) out.set(k, v);
  for (const [k, v] of Object.entries(engine.env ?? {})) out.set(k, v);
  return [...out].map(([k, v]) => `${k}=${v}`);
}

// ----------------------------------------------------------------------------------------------- errors

const SUDO_HINT = 'Or start FieldBoot from a terminal with sudo: sudo fieldboot serve --ui.';

export function explainPkexecExit(code: number | null, output: string): FieldbootError | null {
  if (code === PkexecExit.Dismissed) {
    return new FieldbootError(
      ErrorCode.NoPrivilege,
      'The administrator password prompt was closed, so the network engine did not start (pkexec exit 126).',
      `Serving needs administrator rights for ports 67 and 69. Press Start again and enter an administrator password. ${SUDO_HINT}`,
    );
  }
  if (code === PkexecExit.NotAuthorized) {
    const detail = output.split('\n').map((l) => l.trim()).filter(Boolean).pop();
    return new FieldbootError(
      ErrorCode.NoPrivilege,
      `The system did not authorize the network engine to run as administrator (pkexec exit 127${detail ? `: ${detail}` : ''}).`,
      `Your account may not be an administrator, or no authentication agent is running to ask for the password (a desktop session has one; a bare X or SSH session may not). Ask an administrator to allow the action ${POLKIT_ACTION_ID}. ${SUDO_HINT}`,
    );
  }
  return null;
}

/**
 * The prompt was left open past the launch's wait (EngineHost ends the launcher then): said in plain words,
 * with where the dialog may be. `prompt` names it as the user sees it.
 */
export function explainPromptTimeout(waitedMs: number, prompt: string, hint: string): FieldbootError {
  return new FieldbootError(
    ErrorCode.NoPrivilege,
    `The ${prompt} was not answered within ${waitWords(waitedMs)}, so FieldBoot closed it and the network engine did not start.`,
    hint,
  );
}

export const explainPkexecTimeout = (waitedMs: number): FieldbootError =>
  explainPromptTimeout(
    waitedMs,
    'administrator password prompt',
    `Press Start again and enter an administrator password when the prompt appears (it may open behind this window or on another screen). ${SUDO_HINT}`,
  );

export function explainMacPromptExit(code: number | null, output: string): FieldbootError | null {
  if (code === 0 || code === null) return null;
  if (output.includes(String(APPLESCRIPT_USER_CANCELED))) {
    return new FieldbootError(
      ErrorCode.NoPrivilege,
      'The administrator prompt was cancelled, so the network engine did not start.',
      'Serving needs administrator rights for ports 67 and 69. Press Start again and enter an administrator name and password, or run: sudo fieldboot serve --ui.',
    );
  }
  return null;
}

export function explainUacExit(code: number | null, output: string): FieldbootError | null {
  if (code === WIN32_ERROR_CANCELLED || /canceled by the user/i.test(output)) {
    return new FieldbootError(
      ErrorCode.NoPrivilege,
      'The Windows administrator prompt (UAC) was answered No, so the network engine did not start.',
      'Assigning an address to the interface needs administrator rights. Press Start again and answer Yes, give the interface an address yourself, or start FieldBoot as administrator.',
    );
  }
  return null;
}

// ----------------------------------------------------------------------------------------- launch plans

export interface PkexecOptions {
  pkexec?: string;
  env?: NodeJS.ProcessEnv;
  /** The deb package's wrapper, when its polkit action is installed (null: use the generic action). */
  debWrapper?: string | null;
  /** $APPIMAGE when running from an AppImage: root cannot read the user's FUSE mount, so run the file itself. */
  appImage?: string | null;
}

/** The deb wrapper when both it and its polkit action are installed. */
export function installedDebWrapper(exists: (p: string) => boolean = existsSync): string | null {
  return exists(DEB_ENGINE_WRAPPER) && exists(DEB_POLICY_FILE) ? DEB_ENGINE_WRAPPER : null;
}

/**
 * From an AppImage: the engine bundle sits inside the mount, which root cannot enter (FUSE without
 * allow_other), so the AppImage runtime is asked to extract itself (APPIMAGE_EXTRACT_AND_RUN) and the
 * bundle is found beside the extracted binary. Untested here (no AppImage build on this machine).
 */
export const APPIMAGE_ENGINE_BOOTSTRAP =
  "const p=require('path');require(p.join(p.dirname(process.execPath),'resources','app.asar','dist','electron','engine.cjs'))";

/** pkexec argv for the engine: [pkexec, program, ...args]. */
export function pkexecArgv(engine: EngineCommand, options: PkexecOptions = {}): string[] {
  const pkexec = options.pkexec ?? 'pkexec';
  // The deb action names a wrapper that takes no arguments (see its comment): nothing from us reaches root.
  if (options.debWrapper) return [pkexec, options.debWrapper];
  const env = passedEnv(engine, options.env);
  if (options.appImage) {
    return [pkexec, '/usr/bin/env', ...env, 'APPIMAGE_EXTRACT_AND_RUN=1', options.appImage, '-e', APPIMAGE_ENGINE_BOOTSTRAP];
  }
  return [pkexec, '/usr/bin/env', ...env, engine.command, ...engine.args];
}

export function pkexecLaunch(engine: EngineCommand, options: PkexecOptions = {}): EngineLaunchPlan {
  const [command, ...args] = pkexecArgv(engine, options) as [string, ...string[]];
  return {
    transport: 'stdio',
    elevated: true,
    label: 'pkexec',
    // pkexec itself needs nothing from our environment, and passes none of it on.
    command: () => ({ command, args }),
    explainExit: explainPkexecExit,
    explainTimeout: explainPkexecTimeout,
  };
}

/** The shell command the macOS admin prompt runs: env, the engine and the connect arguments, each quoted. */
export function macShellCommand(engine: EngineCommand, connectArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return ['/usr/bin/env', ...passedEnv(engine, env), engine.command, ...engine.args, ...connectArgs].map(shQuote).join(' ');
}

export const MAC_PROMPT_TEXT = 'FieldBoot needs administrator rights to serve network boot (ports 67 and 69).';

export function macAdminPromptArgv(engine: EngineCommand, connectArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const script = `do shell script ${appleScriptString(macShellCommand(engine, connectArgs, env))} with prompt ${appleScriptString(MAC_PROMPT_TEXT)} with administrator privileges`;
  return ['/usr/bin/osascript', '-e', script];
}

export function macAdminPromptLaunch(engine: EngineCommand, env: NodeJS.ProcessEnv = process.env): EngineLaunchPlan {
  return {
    transport: 'socket',
    elevated: true,
    label: 'administrator prompt',
    command: (connectArgs) => {
      const [command, ...args] = macAdminPromptArgv(engine, connectArgs, env) as [string, ...string[]];
      return { command, args };
    },
    explainExit: explainMacPromptExit,
    explainTimeout: (ms) =>
      explainPromptTimeout(ms, 'administrator prompt', 'Press Start again and enter an administrator name and password when the prompt appears, or run: sudo fieldboot serve --ui.'),
  };
}

/** The script the elevated PowerShell runs: the engine's environment, then the engine; its exit code is ours. */
export function uacInnerScript(engine: EngineCommand, connectArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  // An elevated process started through ShellExecute does not get our environment: set it here.
  const sets = passedEnv(engine, env).map((kv) => {
    const i = kv.indexOf('=');
    return `$env:${kv.slice(0, i)} = ${psQuote(kv.slice(i + 1))}`;
  });
  const call = `& ${[engine.command, ...engine.args, ...connectArgs].map(psQuote).join(' ')}`;
  return [...sets, call, 'exit $LASTEXITCODE'].join('\n');
}

/** The unelevated PowerShell script: UAC prompt, wait for the engine, pass on its exit code or 1223 when answered No. */
export function uacOuterScript(inner: string): string {
  const args = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', psEncoded(inner)].map(psQuote).join(',');
  return [
    "$ErrorActionPreference = 'Stop'",
    'try {',
    `  $p = Start-Process -FilePath 'powershell.exe' -Verb RunAs -WindowStyle Hidden -Wait -PassThru -ArgumentList ${args}`,
    '  exit $p.ExitCode',
    '} catch {',
    '  $e = $_.Exception',
    `  while ($e) { if ($e.NativeErrorCode -eq ${WIN32_ERROR_CANCELLED}) { exit ${WIN32_ERROR_CANCELLED} }; $e = $e.InnerException }`,
    '  [Console]::Error.WriteLine($_.Exception.Message)',
    '  exit 1',
    '}',
  ].join('\n');
}

export function uacArgv(engine: EngineCommand, connectArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', psEncoded(uacOuterScript(uacInnerScript(engine, connectArgs, env)))];
}

export function uacLaunch(engine: EngineCommand, env: NodeJS.ProcessEnv = process.env): EngineLaunchPlan {
  return {
    transport: 'socket',
    elevated: true,
    label: 'UAC prompt',
    command: (connectArgs) => {
      const [command, ...args] = uacArgv(engine, connectArgs, env) as [string, ...string[]];
      return { command, args };
    },
    explainExit: explainUacExit,
    explainTimeout: (ms) =>
      explainPromptTimeout(ms, 'Windows administrator prompt (UAC)', 'Press Start again and answer Yes when the prompt appears (it may be flashing in the taskbar), or start FieldBoot as administrator.'),
  };
}

/** The elevated launch for this platform (null where there is none). */
export function elevatedLaunch(
  platform: NodeJS.Platform = process.platform,
  engine: EngineCommand = defaultEngineCommand(),
  env: NodeJS.ProcessEnv = process.env,
): EngineLaunchPlan | null {
  switch (elevationMethod(platform)) {
    case ElevationMethod.Pkexec:
      // The wrapper runs the installed app's engine: use it only when this is that app.
      return pkexecLaunch(engine, { env, debWrapper: engine.command.startsWith(`${DEB_APP_DIR}/`) ? installedDebWrapper() : null, appImage: env.APPIMAGE ?? null });
    case ElevationMethod.MacAdminPrompt:
      return macAdminPromptLaunch(engine, env);
    case ElevationMethod.WindowsUac:
      return uacLaunch(engine, env);
    default:
      return null;
  }
}

/**
 * What AppController asks before a start: is an elevated engine needed, and how to launch it. Facts and
 * the launch plan are injectable so tests can drive the decision without a prompt.
 */
export class EngineElevation {
  constructor(
    private readonly options: {
      platform?: NodeJS.Platform;
      facts?: () => PrivilegeFacts;
      launch?: () => EngineLaunchPlan | null;
    } = {},
  ) {}

  get platform(): NodeJS.Platform {
    return this.options.platform ?? process.platform;
  }

  need(needs: readonly PortNeed[], assigning: boolean): ElevationNeed {
    return elevationNeed((this.options.facts ?? (() => currentPrivilegeFacts(this.platform)))(), needs, assigning);
  }

  launch(): EngineLaunchPlan | null {
    return this.options.launch ? this.options.launch() : elevatedLaunch(this.platform);
  }
}
