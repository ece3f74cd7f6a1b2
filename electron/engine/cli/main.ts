/**
 * `fieldboot` command-line entry (bin/fieldboot.mjs loads this). Runs the engine in-process for `serve`,
 * or, with --ui, hosts the web-mode UI and drives an engine process exactly as the desktop app does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineExitCode } from '../../../shared/engine-protocol';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { nowIso, type EngineEvent } from '../../../shared/model/engine-event';
import { InterfaceKind, type NetworkInterfaceInfo } from '../../../shared/model/network';
import type { ServeConfig } from '../../../shared/model/serve-config';
import type { LogEntry } from '../log';
import { listInterfaces } from '../net/list-interfaces';
import { resolveAppRoot } from '../paths';
import { defaultStateDir } from '../state-dir';
import { USAGE, UsageError, parseCli, type CliCommand } from './cli-args';

type ServeCommand = Extract<CliCommand, { kind: 'serve' }>;

function line(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function cannotServe(error: ErrorInfo, json: boolean): never {
  if (json) line({ type: 'error', time: nowIso(), subsystem: 'ENGINE', error });
  process.stderr.write(`fieldboot: cannot serve: ${error.message}. ${error.hint}\n`);
  process.exit(EngineExitCode.CannotServe);
}

function formatInterfaces(list: NetworkInterfaceInfo[]): string {
  const rows = list.map((i) => [
    i.name,
    i.kind,
    i.linkUp ? 'up' : 'down',
    i.ipv4.map((a) => `${a.address}/${a.prefix}`).join(',') || '-',
    i.mac ?? '-',
    i.speedMbps ? `${i.speedMbps} Mb/s` : '',
  ]);
  const head = ['NAME', 'TYPE', 'LINK', 'IPV4', 'MAC', 'SPEED'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((r) => r.map((cell, c) => (cell ?? '').padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Human-readable one-liners for `serve` without --json. */
function describe(event: EngineEvent): string | null {
  switch (event.type) {
    case 'ready':
      return `serving on ${event.interface} (${event.serverIp}/${event.prefix}), DHCP ${event.dhcpMode}${event.range ? ` ${event.range}` : ''}; ${event.services.map((s) => `${s.name} ${s.address}:${s.port}`).join(', ')}`;
    case 'lease':
      return `DHCP ${event.action.toUpperCase()} ${event.mac} ${event.ip}${event.bootFile ? ` boot ${event.bootFile}` : ''}`;
    case 'file':
      if (event.action === 'progress') return null;
      return `${event.protocol.toUpperCase()} ${event.action} ${event.client} ${event.path}${event.action === 'end' ? ` ${event.bytes} bytes in ${event.durationMs ?? 0} ms` : ''}${event.error ? `: ${event.error}` : ''}`;
    case 'stage':
      return `STAGE ${event.mac} ${event.stage}${event.message ? `: ${event.message}` : ''}`;
    case 'arm':
      return `${event.armed ? 'ARMED' : 'DISARMED'} ${event.mac} (${event.reason})`;
    case 'pool':
      return `DHCP pool ${event.range} exhausted: no address for ${event.mac}`;
    case 'error':
      return `${event.subsystem} error: ${event.error.message}`;
    case 'log':
      return `${event.subsystem} ${event.level}: ${event.message}`;
    case 'stopped':
      return `stopped: ${event.reason}`;
    case 'link':
      return `LINK ${event.interface} ${event.state}: ${event.detail}`;
  }
}

async function serve(cmd: ServeCommand): Promise<void> {
  const config: ServeConfig = { ...cmd.config, stateDir: cmd.config.stateDir ?? defaultStateDir() };
  const out = (event: EngineEvent) => {
    if (cmd.json) line(event);
    else {
      const text = describe(event);
      if (text) process.stdout.write(`${text}\n`);
    }
  };
  const logSink = (e: LogEntry) => {
    if (e.level === 'debug' && !cmd.verbose) return;
    out({ type: 'log', time: nowIso(), level: e.level, subsystem: e.subsystem, message: e.message, ...(e.mac ? { mac: e.mac } : {}), ...(e.fields ? { fields: e.fields } : {}) });
  };

  if (cmd.ui) return serveUi(cmd, config, out);

  // Loaded on demand so `fieldboot interfaces` and `--help` stay instant.
  const { Session } = await import('../session');
  const session = new Session(config, { emit: out, logSink });
  try {
    await session.start();
  } catch (err) {
    cannotServe(toErrorInfo(err), cmd.json);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      void session.stop('interrupted').then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.exit(EngineExitCode.Ok);
}

async function serveUi(cmd: ServeCommand, config: ServeConfig, out: (e: EngineEvent) => void): Promise<void> {
  const staticDir = join(resolveAppRoot(), 'dist', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    process.stderr.write('fieldboot: the UI is not built; run "npm run build:renderer" (or "npm run build") first\n');
    process.exit(EngineExitCode.BadUsage);
  }
  const { AppController } = await import('../../engine-host/app-controller');
  const { createToken, startWebServer } = await import('../../engine-host/web-server');
  // --iso and --allow given with --ui apply to every start from the browser (beside the library's images).
  const { interface: _i, dhcpMode: _d, ...base } = config;
  const controller = new AppController({ baseConfig: base });
  controller.subscribe((push) => {
    if (push.type === 'event') out(push.event);
  });
  const token = createToken();
  const web = await startWebServer({ backend: controller, host: '127.0.0.1', port: cmd.uiPort, token, staticDir });
  if (cmd.json) line({ type: 'ui', time: nowIso(), url: web.url });
  else process.stdout.write(`FieldBoot UI: ${web.url}\n`);

  const shutdown = async () => {
    await controller.dispose().catch(() => {});
    await web.close().catch(() => {});
    process.exit(EngineExitCode.Ok);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  if (config.interface) {
    try {
      await controller.startServing({ interface: config.interface, dhcpMode: config.dhcpMode, ...(config.range ? { range: config.range } : {}), isos: config.isos, allow: config.allow });
    } catch (err) {
      // In UI mode a failed start is shown in the UI; say it here too, and keep the UI up.
      const info = toErrorInfo(err);
      if (cmd.json) line({ type: 'error', time: nowIso(), subsystem: 'ENGINE', error: info });
      process.stderr.write(`fieldboot: could not start serving: ${info.message}. ${info.hint}\n`);
    }
  }
}

export async function main(argv: string[]): Promise<void> {
  let cmd: CliCommand;
  try {
    cmd = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fieldboot: ${err.message}\nRun "fieldboot --help" for usage.\n`);
      process.exit(EngineExitCode.BadUsage);
    }
    throw err;
  }
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'version': {
      const pkg = JSON.parse(readFileSync(join(resolveAppRoot(), 'package.json'), 'utf8')) as { version: string };
      process.stdout.write(`fieldboot ${pkg.version}\n`);
      return;
    }
    case 'interfaces': {
      const hidden: string[] = [InterfaceKind.Loopback, InterfaceKind.Virtual, InterfaceKind.Vpn];
      const list = (await listInterfaces()).filter((i) => cmd.all || !hidden.includes(i.kind) || i.ipv4.length > 0 && i.kind !== InterfaceKind.Loopback);
      if (cmd.json) line(list);
      else process.stdout.write(formatInterfaces(list));
      return;
    }
    case 'serve':
      return serve(cmd);
    case 'delegate': {
      // Each subcommand module exports run(argv): Promise<exit code>, and prints its own errors.
      const mod =
        cmd.command === 'iso' ? await import('./iso-command') : cmd.command === 'answer' ? await import('./answer-command') : cmd.command === 'bmc' ? await import('./bmc-command') : await import('./dhcp-probe-command');
      const code = await mod.run(cmd.argv);
      if (code !== 0) process.exit(code);
      return;
    }
  }
}
