/**
 * One serving session: validates a ServeConfig against the machine, builds the file sources and the servers,
 * starts them all or none, and stops them. Reports through ctx.emit (EngineEvent) and ctx.logSink.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { nowIso, type ReadyEvent } from '../../shared/model/engine-event';
import { DEFAULT_PORTS, DhcpMode, type ServeConfig } from '../../shared/model/serve-config';
import { defaultRange, formatIpv4, parseIpv4, parseRange, rangeSize, sameSubnet, type Ipv4Range } from '../../shared/net/ipv4';
import { DEFAULT_BOOT_FILES, decideBoot, isBootClient, type BootAnswer, type BootPolicyConfig, type ClientFacts } from './boot/boot-policy';
import { firmwareOf } from './boot/client-arch';
import { renderLocalBootScript } from './boot/ipxe-script';
import { DirectorySource } from './files/directory-source';
import type { FileSource } from './files/file-source';
import { LayeredSource } from './files/layered-source';
import { MemorySource } from './files/memory-source';
import { createLog } from './log';
import { findInterface } from './net/list-interfaces';
import { resolveResourcesDir } from './paths';
import { describeServer, probeDhcpServers, SESSION_PROBE_TIMEOUT_MS } from './servers/dhcp-probe';
import { DhcpServer } from './servers/dhcp-server';
import type { NetworkService, ServiceContext } from './servers/network-service';
import { HttpServer } from './servers/http-server';
import { TftpServer } from './servers/tftp-server';

/** The path of the script handed to clients already running iPXE (TFTP root, and under HTTP_BOOT_PREFIX). */
export const IPXE_SCRIPT_PATH = 'fieldboot.ipxe';
/** Where the boot tree (loaders, scripts, --root) is mounted on the HTTP server. */
export const HTTP_BOOT_PREFIX = '/boot/';

export interface SessionPlan {
  serverIp: string;
  prefix: number;
  range: Ipv4Range | null;
  bootPolicy: BootPolicyConfig;
}

export class Session {
  private services: NetworkService[] = [];
  private running = false;
  private readonly log;

  constructor(
    readonly config: ServeConfig,
    private readonly ctx: ServiceContext,
    private readonly resourcesDir: string = resolveResourcesDir(),
  ) {
    this.log = createLog(ctx.logSink, 'ENGINE');
  }

  /** Checks everything that can be checked before binding a port; throws FieldbootError. */
  async plan(): Promise<SessionPlan> {
    const cfg = this.config;
    const iface = await findInterface(cfg.interface);
    if (!iface) throw new FieldbootError(ErrorCode.NoSuchInterface, `no network interface named "${cfg.interface}"`);
    const addr = iface.ipv4[0];
    if (!addr) throw new FieldbootError(ErrorCode.NoIpv4OnInterface, `interface ${cfg.interface} has no IPv4 address`);
    const serverIpNum = parseIpv4(addr.address);
    if (serverIpNum === null) throw new FieldbootError(ErrorCode.Internal, `unreadable address ${addr.address} on ${cfg.interface}`);

    let range: Ipv4Range | null = null;
    if (cfg.dhcpMode === DhcpMode.Full) {
      if (cfg.range) {
        range = parseRange(cfg.range);
        if (!range) throw new FieldbootError(ErrorCode.BadRange, `cannot read the range "${cfg.range}"`);
        if (!sameSubnet(range.first, serverIpNum, addr.prefix) || !sameSubnet(range.last, serverIpNum, addr.prefix)) {
          throw new FieldbootError(ErrorCode.BadRange, `range ${cfg.range} is not inside ${addr.address}/${addr.prefix} on ${cfg.interface}`);
        }
      } else {
        range = defaultRange(serverIpNum, addr.prefix);
      }
      if (rangeSize(range) === 0) throw new FieldbootError(ErrorCode.BadRange, `the subnet ${addr.address}/${addr.prefix} leaves no addresses to hand out`);
    }

    if (cfg.root) {
      let isDir = false;
      try {
        isDir = statSync(cfg.root).isDirectory();
      } catch {
        /* reported below */
      }
      if (!isDir) throw new FieldbootError(ErrorCode.RootNotFound, `boot folder ${cfg.root} does not exist or is not a folder`);
    }
    try {
      mkdirSync(cfg.stateDir, { recursive: true });
      accessSync(cfg.stateDir, constants.W_OK);
    } catch (err) {
      throw new FieldbootError(ErrorCode.StateDirUnwritable, `cannot write the state folder ${cfg.stateDir}: ${(err as Error).message}`);
    }

    // A plain pxelinux tree (the seed's layout) boots with its own loaders unless told otherwise.
    const rootHas = (file: string) => !!cfg.root && fileExists(join(cfg.root, file));
    const bootPolicy: BootPolicyConfig = {
      serverIp: addr.address,
      httpPort: cfg.httpPort ?? DEFAULT_PORTS.http,
      biosBootFile: cfg.biosBootFile ?? (rootHas('pxelinux.0') ? 'pxelinux.0' : DEFAULT_BOOT_FILES.bios),
      efiX64BootFile: cfg.efiBootFile ?? (rootHas('syslinux.efi') ? 'syslinux.efi' : DEFAULT_BOOT_FILES.efiX64),
      // No arm64 loader ships with FieldBoot (Debian's ipxe package is x86 only); answer arm64 clients only
      // when the tree or the resources hold one, else let their firmware move on.
      ...(rootHas(DEFAULT_BOOT_FILES.efiArm64) || fileExists(join(this.resourcesDir, 'boot', DEFAULT_BOOT_FILES.efiArm64))
        ? { efiArm64BootFile: DEFAULT_BOOT_FILES.efiArm64 }
        : {}),
      ipxeScriptPath: IPXE_SCRIPT_PATH,
      // iPXE fetches its script, and UEFI HTTP boot its loader, from the HTTP server's boot mount.
      ipxeScriptOverHttp: true,
      httpPathPrefix: HTTP_BOOT_PREFIX.slice(1),
    };
    return { serverIp: addr.address, prefix: addr.prefix, range, bootPolicy };
  }

  /** Binds every listener or none. Returns the ready event (also emitted). */
  async start(): Promise<ReadyEvent> {
    if (this.running) throw new FieldbootError(ErrorCode.AlreadyServing, 'this session is already serving');
    const plan = await this.plan();
    const cfg = this.config;
    if (cfg.dhcpMode === DhcpMode.Full) await this.checkForeignDhcp();

    const generated = new MemorySource();
    generated.set(IPXE_SCRIPT_PATH, renderLocalBootScript({ chainFile: plan.bootPolicy.biosBootFile === 'pxelinux.0' ? 'pxelinux.0' : null }));
    const layers: FileSource[] = [generated];
    if (cfg.root) layers.push(new DirectorySource(resolve(cfg.root)));
    layers.push(new DirectorySource(join(this.resourcesDir, 'boot')));
    layers.push(new DirectorySource(join(this.resourcesDir, 'boot', 'efi64')));
    const source = new LayeredSource(layers);

    const services: NetworkService[] = [];
    services.push(new TftpServer({ bindAddress: plan.serverIp, port: cfg.tftpPort ?? DEFAULT_PORTS.tftp, source }, this.ctx));
    // The same boot files over HTTP: iPXE scripts and kernels, UEFI HTTP boot loaders.
    services.push(new HttpServer({ bindAddress: plan.serverIp, port: cfg.httpPort ?? DEFAULT_PORTS.http, mounts: [{ prefix: HTTP_BOOT_PREFIX, source }] }, this.ctx));
    if (cfg.dhcpMode !== DhcpMode.Off) {
      services.push(
        new DhcpServer(
          {
            interfaceName: cfg.interface,
            serverIp: plan.serverIp,
            prefix: plan.prefix,
            mode: cfg.dhcpMode,
            ...(plan.range ? { range: plan.range } : {}),
            ...(cfg.leaseTime ? { leaseTimeSec: cfg.leaseTime } : {}),
            stateDir: cfg.stateDir,
            ...(cfg.router ? { router: cfg.router } : {}),
            ...(cfg.dns ? { dns: cfg.dns } : {}),
            port: cfg.dhcpPort ?? DEFAULT_PORTS.dhcp,
            clientPort: cfg.dhcpClientPort ?? DEFAULT_PORTS.dhcpClient,
            proxyPort: cfg.proxyPort ?? DEFAULT_PORTS.proxy,
            boot: (facts) => this.decideBoot(facts, plan.bootPolicy),
          },
          this.ctx,
        ),
      );
    }

    const started: NetworkService[] = [];
    try {
      for (const s of services) {
        await s.start();
        started.push(s);
      }
    } catch (err) {
      for (const s of started.reverse()) await s.stop().catch(() => {});
      throw err;
    }
    this.services = services;
    this.running = true;
    const ready: ReadyEvent = {
      type: 'ready',
      time: nowIso(),
      interface: cfg.interface,
      serverIp: plan.serverIp,
      prefix: plan.prefix,
      dhcpMode: cfg.dhcpMode,
      range: plan.range ? `${formatIpv4(plan.range.first)}-${formatIpv4(plan.range.last)}` : null,
      services: services.flatMap((s) => s.services()),
    };
    this.log.info(`serving on ${cfg.interface} (${plan.serverIp}/${plan.prefix}), DHCP ${cfg.dhcpMode}`);
    this.ctx.emit(ready);
    return ready;
  }

  private readonly unanswered = new Set<string>();

  /** The boot policy, plus a note (once per machine) when a network-boot client gets no answer. */
  private decideBoot(facts: ClientFacts, policy: BootPolicyConfig): BootAnswer | null {
    const answer = decideBoot(facts, policy);
    if (!answer && isBootClient(facts) && !this.unanswered.has(facts.mac)) {
      this.unanswered.add(facts.mac);
      this.log.warn(`no boot loader for ${facts.mac}: client architecture ${facts.arch ?? 'unknown'} (${firmwareOf(facts.arch)}); not answering its boot request`, { mac: facts.mac });
    }
    return answer;
  }

  /**
   * Two DHCP servers leasing on one network hand out conflicting addresses: the failure the seed warns about.
   * So full mode first asks the network (one DISCOVER, no REQUEST) and refuses to start when anyone offers an
   * address. Skipped with `force`, and on a non-standard DHCP port (test setups, where no real client listens).
   * A probe that cannot run (port 68 held by a DHCP client on this machine) is a warning, not a refusal.
   */
  private async checkForeignDhcp(): Promise<void> {
    const cfg = this.config;
    if (cfg.force) {
      this.log.warn(`--force: not checking ${cfg.interface} for another DHCP server`);
      return;
    }
    if ((cfg.dhcpPort ?? DEFAULT_PORTS.dhcp) !== DEFAULT_PORTS.dhcp) return;
    const dhcpLog = createLog(this.ctx.logSink, 'DHCP');
    let servers;
    try {
      ({ servers } = await probeDhcpServers({ interfaceName: cfg.interface, timeoutMs: SESSION_PROBE_TIMEOUT_MS }, dhcpLog));
    } catch (err) {
      dhcpLog.warn(`could not check ${cfg.interface} for another DHCP server (${(err as Error).message}); starting anyway`);
      return;
    }
    const leasing = servers.filter((s) => s.leasesAddresses);
    for (const s of servers.filter((x) => !x.leasesAddresses)) dhcpLog.warn(`${describeServer(s)}: PXE clients may boot from it instead`);
    if (leasing.length === 0) {
      dhcpLog.info(`no other DHCP server answered on ${cfg.interface} within ${SESSION_PROBE_TIMEOUT_MS / 1000} s`);
      return;
    }
    const names = leasing.map((s) => s.serverId ?? s.sourceIp).join(', ');
    const offered = leasing.map((s) => s.offeredIp).join(', ');
    throw new FieldbootError(
      ErrorCode.ForeignDhcpServer,
      `another DHCP server (${names}) answers on ${cfg.interface}, offering ${offered}; a second one would hand out conflicting addresses`,
      'Serve with --dhcp proxy (proxy mode): the site server keeps handing out addresses and FieldBoot adds only the boot information. Use --force only if you are sure.',
    );
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const services = this.services;
    this.services = [];
    await Promise.allSettled(services.reverse().map((s) => s.stop()));
    this.ctx.emit({ type: 'stopped', time: nowIso(), reason });
  }

  get isRunning(): boolean {
    return this.running;
  }
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
