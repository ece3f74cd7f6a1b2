/**
 * Command-line parsing for `fieldboot`. Pure: argv in, a typed command (or a usage error) out.
 * The option names are a public interface (DESIGN.md "Headless CLI"): add options, never rename them.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, DhcpMode, type ServeConfig } from '../../../shared/model/serve-config';
import { normalizeMac, parseIpv4, parseRange } from '../../../shared/net/ipv4';

export const USAGE = `FieldBoot: a PXE install server for field technicians.

Usage:
  fieldboot interfaces [--json] [--all]
  fieldboot iso inspect FILE [--json]
  fieldboot answer render --profile FILE [--mac MAC]
  fieldboot dhcp-probe --interface IF [--timeout S] [--json]
  fieldboot bmc add|import|list|remove|power {status|on|off|cycle|reset}|bootdev pxe|bootflags ...
  fieldboot serve --interface IF [--iso FILE]... [--root DIR] [--profile FILE] [--dhcp full|proxy|off]
                  [--range FIRST-LAST] [--allow MAC,...] [--state-dir DIR]
                  [--http-port N] [--tftp-port N] [--ftp-port N] [--ui [--ui-port N]] [--force] [--json]
  fieldboot --help | --version

Commands:
  interfaces     List network interfaces, including ones that are down or unplugged.
                 --all also lists loopback, container and VPN interfaces.
  iso inspect    Read an OS image in place and report what it is and how it boots.
  answer render  Print the answer file (kickstart, preseed, autoinstall) a profile gives a machine.
  dhcp-probe     Broadcast one DHCP DISCOVER on IF and list every server that answers (server id,
                 offered address, PXE boot info, router, DNS). Leases nothing. --timeout S (default 3).
                 Needs UDP port 68 (root, and no DHCP client running on this machine).
  bmc            Server BMCs over IPMI (lanplus, via ipmitool) or Redfish: keep a list (add, import CSV),
                 power status/on/off/cycle/reset, next boot from PXE (--once|--persistent, --efi), read
                 back the boot flags. --all | --select a,b | --host H --user U. "fieldboot bmc --help".
  serve          Serve DHCP, TFTP, HTTP and FTP on one interface until Ctrl-C: boot menus, the
                 images' kernels and install trees, and answer files for armed machines.

serve options:
  --interface IF       The interface facing the servers (required unless --ui).
  --root DIR           Serve a plain boot tree (the classic pxelinux layout) over TFTP.
  --iso FILE           An OS image to serve (repeatable), read in place: contents at
                       http://SERVER/iso/ID/, the file itself at /iso/ID.iso, FTP /pub/ID/.
  --profile FILE       Answer-file profile: armed machines install unattended with it.
  --inventory CSV      Per-machine host names and addresses for the answer files.
  --menu-timeout S     Seconds the boot menu waits before its default (default 10).
  --console TTY        Serial console for the installers, e.g. ttyS0,115200n8.
  --kernel-args TEXT   Extra kernel arguments for every installer.
  --secure-boot FILE   UEFI clients boot this image's own signed shim and GRUB (Secure Boot)
                       instead of iPXE; FILE is one of the --iso files.
  --netboot FILE       Debian netboot.tar.gz (or its folder) of the same release as a Debian
                       CD/DVD --iso, whose own initrd looks for a CD (repeatable).
  --dhcp MODE          full: hand out addresses from --range (default)
                       proxy: only add boot information beside the site's DHCP server
                       off: no DHCP at all (another server points clients here)
                       Full mode first checks for another DHCP server on IF (2 s) and refuses
                       to start if one answers.
  --force              Start full mode even when another DHCP server answers.
  --range FIRST-LAST   Address pool for full mode (default: part of the interface subnet).
  --allow MAC,...      Machines armed for install: their menu defaults to the first image
                       (unattended with --profile). Everyone else defaults to the local disk.
  --state-dir DIR      Where leases and client records are kept.
  --lease-time S       DHCP lease time in seconds (default 3600).
  --router IP          Default gateway handed out in full mode.
  --dns IP,...         Name servers handed out in full mode.
  --bios-boot-file F   First-stage loader for BIOS clients (default undionly.kpxe, or
                       pxelinux.0 when the --root tree has one).
  --efi-boot-file F    First-stage loader for UEFI x64 clients (default ipxe.efi, or
                       syslinux.efi when the --root tree has one).
  --tftp-port N        (default 69)   --http-port N (default 80)   --ftp-port N (default 21)
  --no-ftp             Do not serve FTP.
  --dhcp-port N        (default 67; replies go to --dhcp-client-port, default 68)
  --ui                 Also serve the FieldBoot UI on 127.0.0.1 (web mode); prints its URL
                       with a one-time token. With --interface, serving starts at once.
  --ui-port N          Port for --ui (default: a free one).
  --json               One JSON event per line on stdout (ready, lease, file, error, ...).
  --verbose            Include debug logs (raw packets).

Exit codes: 0 done, 2 bad usage, 3 unreadable input (iso inspect: not an ISO; answer: invalid
profile), 5 cannot serve (the reason is printed).
`;

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'interfaces'; json: boolean; all: boolean }
  /** Subcommands with their own parser and runner, in their own file (cli/<name>-command.ts). */
  | { kind: 'delegate'; command: 'iso' | 'answer' | 'dhcp-probe' | 'bmc'; argv: string[] }
  | { kind: 'serve'; config: Omit<ServeConfig, 'stateDir'> & { stateDir?: string }; ui: boolean; uiPort: number; json: boolean; verbose: boolean };

export class UsageError extends Error {}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`--${name} must be a port number (1-65535), not "${value}"`);
  return n;
}

export function parseCli(argv: string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { kind: 'help' };
  if (command === '--version' || command === '-v') return { kind: 'version' };
  if (command === 'interfaces') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) return { kind: 'help' };
    return { kind: 'interfaces', json: !!values.json, all: !!values.all };
  }
  if (command === 'serve') return parseServe(rest);
  if (command === 'iso' || command === 'answer' || command === 'dhcp-probe' || command === 'bmc') return { kind: 'delegate', command, argv: rest };
  throw new UsageError(`unknown command "${command}"`);
}

function parseServe(args: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        interface: { type: 'string', short: 'i' },
        iso: { type: 'string', multiple: true },
        root: { type: 'string' },
        profile: { type: 'string' },
        inventory: { type: 'string' },
        'menu-timeout': { type: 'string' },
        console: { type: 'string' },
        'kernel-args': { type: 'string' },
        'no-ftp': { type: 'boolean' },
        'secure-boot': { type: 'string' },
        netboot: { type: 'string', multiple: true },
        dhcp: { type: 'string' },
        range: { type: 'string' },
        allow: { type: 'string', multiple: true },
        'state-dir': { type: 'string' },
        'lease-time': { type: 'string' },
        router: { type: 'string' },
        dns: { type: 'string' },
        'bios-boot-file': { type: 'string' },
        'efi-boot-file': { type: 'string' },
        'http-port': { type: 'string' },
        'tftp-port': { type: 'string' },
        'ftp-port': { type: 'string' },
        'dhcp-port': { type: 'string' },
        'dhcp-client-port': { type: 'string' },
        'proxy-port': { type: 'string' },
        ui: { type: 'boolean' },
        force: { type: 'boolean' },
        'ui-port': { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  const ui = !!v.ui;
  if (!v.interface && !ui) throw new UsageError('serve needs --interface IF (run "fieldboot interfaces" to list them)');

  const dhcp = v.dhcp ?? DhcpMode.Full;
  const modes: string[] = Object.values(DhcpMode);
  if (!modes.includes(dhcp)) throw new UsageError(`--dhcp must be full, proxy or off, not "${dhcp}"`);
  if (v.range !== undefined && !parseRange(v.range)) throw new UsageError(`--range must be FIRST-LAST, e.g. 10.77.0.100-10.77.0.200, not "${v.range}"`);
  if (v.range !== undefined && dhcp !== DhcpMode.Full) throw new UsageError('--range only applies to --dhcp full');
  const allow = (v.allow ?? []).flatMap((a) => a.split(',')).filter(Boolean).map((m) => {
    const mac = normalizeMac(m);
    if (!mac) throw new UsageError(`--allow: "${m}" is not a MAC address`);
    return mac;
  });
  const dns = v.dns?.split(',').filter(Boolean) ?? undefined;
  for (const d of dns ?? []) if (parseIpv4(d) === null) throw new UsageError(`--dns: "${d}" is not an IPv4 address`);
  if (v.router !== undefined && parseIpv4(v.router) === null) throw new UsageError(`--router: "${v.router}" is not an IPv4 address`);
  let leaseTime: number | undefined;
  if (v['lease-time'] !== undefined) {
    leaseTime = Number(v['lease-time']);
    if (!/^\d+$/.test(v['lease-time']) || leaseTime < 60) throw new UsageError('--lease-time must be a number of seconds, at least 60');
  }

  let menuTimeout: number | undefined;
  if (v['menu-timeout'] !== undefined) {
    menuTimeout = Number(v['menu-timeout']);
    if (!/^\d+$/.test(v['menu-timeout']) || menuTimeout > 3600) throw new UsageError('--menu-timeout must be a number of seconds (0 to 3600)');
  }
  if (v.console !== undefined && !/^[A-Za-z0-9]+(,[0-9]+[noe]?[5-8]?r?)?$/.test(v.console)) {
    throw new UsageError(`--console must look like ttyS0,115200n8, not "${v.console}"`);
  }

  return {
    kind: 'serve',
    ui,
    uiPort: v['ui-port'] !== undefined ? port('ui-port', v['ui-port'], 0) : 0,
    json: !!v.json,
    verbose: !!v.verbose,
    config: {
      interface: v.interface ?? '',
      dhcpMode: dhcp as DhcpMode,
      ...(v.range ? { range: v.range } : {}),
      ...(v.root ? { root: v.root } : {}),
      isos: v.iso ?? [],
      allow,
      ...(v.profile ? { profile: v.profile } : {}),
      ...(v.inventory ? { inventory: v.inventory } : {}),
      ...(menuTimeout !== undefined ? { menuTimeout } : {}),
      ...(v.console ? { console: v.console } : {}),
      ...(v['kernel-args'] ? { kernelArgs: v['kernel-args'] } : {}),
      ...(v['no-ftp'] ? { ftp: false } : {}),
      ...(v['secure-boot'] ? { secureBoot: v['secure-boot'] } : {}),
      ...(v.netboot?.length ? { netboot: v.netboot } : {}),
      ...(v['state-dir'] ? { stateDir: v['state-dir'] } : {}),
      ...(leaseTime ? { leaseTime } : {}),
      ...(v.router ? { router: v.router } : {}),
      ...(dns ? { dns } : {}),
      ...(v['bios-boot-file'] ? { biosBootFile: v['bios-boot-file'] } : {}),
      ...(v['efi-boot-file'] ? { efiBootFile: v['efi-boot-file'] } : {}),
      ...(v.force ? { force: true } : {}),
      tftpPort: port('tftp-port', v['tftp-port'], DEFAULT_PORTS.tftp),
      httpPort: port('http-port', v['http-port'], DEFAULT_PORTS.http),
      ftpPort: port('ftp-port', v['ftp-port'], DEFAULT_PORTS.ftp),
      dhcpPort: port('dhcp-port', v['dhcp-port'], DEFAULT_PORTS.dhcp),
      dhcpClientPort: port('dhcp-client-port', v['dhcp-client-port'], DEFAULT_PORTS.dhcpClient),
      proxyPort: port('proxy-port', v['proxy-port'], DEFAULT_PORTS.proxy),
    },
  };
}
