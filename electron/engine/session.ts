/**
 * One serving session: validates a ServeConfig against the machine, builds the file sources and the servers,
 * starts them all or none, and stops them. Reports through ctx.emit (EngineEvent) and ctx.logSink.
 */
import { accessSync, constants, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InventoryError, parseInventory, type Inventory } from '../../shared/answer/inventory';
import { ProgressStage } from '../../shared/answer/progress';
import type { Profile } from '../../shared/answer/profile';
import { formatIssues, parseProfileText } from '../../shared/answer/profile-validate';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { FileRole, nowIso, type EngineEvent, type LinkEvent, type ReadyEvent } from '../../shared/model/engine-event';
import { DEFAULT_PORTS, DhcpMode, type ServeConfig } from '../../shared/model/serve-config';
import { defaultRange, formatIpv4, parseIpv4, parseRange, rangeSize, sameSubnet, type Ipv4Range } from '../../shared/net/ipv4';
import { DEFAULT_BOOT_FILES, decideBoot, isBootClient, type BootAnswer, type BootPolicyConfig, type ClientFacts } from './boot/boot-policy';
import { firmwareOf } from './boot/client-arch';
import { AliasSource } from './files/alias-source';
import { DirectorySource } from './files/directory-source';
import type { FileSource } from './files/file-source';
import { GeneratedSource } from './files/generated-source';
import { LayeredSource } from './files/layered-source';
import { MemorySource } from './files/memory-source';
import { MountedSource } from './files/mounted-source';
import { createLog } from './log';
import { findInterface, listInterfaces } from './net/list-interfaces';
import { assignAddress, removeAddress, type AssignedAddress } from './net/interface-address';
import { describeChange, hasAddress, LinkWatcher, linkStateOf, type LinkChange, type LinkProbe, type LinkSnapshot, type LinkStateName } from './net/link-watch';
import { resolveResourcesDir } from './paths';
import { describeServer, probeDhcpServers, SESSION_PROBE_TIMEOUT_MS } from './servers/dhcp-probe';
import { DhcpServer } from './servers/dhcp-server';
import type { NetworkService, ServiceContext } from './servers/network-service';
import { FtpServer } from './servers/ftp-server';
import { HttpServer, type HttpMount } from './servers/http-server';
import { TftpServer } from './servers/tftp-server';
import { ClientTracker } from './clients/client-tracker';
import { progressEndpoint } from './clients/progress-endpoint';
import { BootFlow } from './session/boot-flow';
import { openServedImages, type ServedImage } from './session/served-images';
import { NETBOOT_CACHE_DIR_NAME } from './images/debian-netboot';

/** The path of the script handed to clients already running iPXE (TFTP root, and under HTTP_BOOT_PREFIX). */
export const IPXE_SCRIPT_PATH = 'fieldboot.ipxe';
/** Where the boot tree (loaders, scripts, --root) is mounted on the HTTP server. */
export const HTTP_BOOT_PREFIX = '/boot/';
/** Where images sit on the FTP server (the seed's vsftpd layout: /pub/<tree>). */
export const FTP_IMAGE_PREFIX = '/pub/';

export interface SessionPlan {
  serverIp: string;
  prefix: number;
  range: Ipv4Range | null;
  bootPolicy: BootPolicyConfig;
  profile: Profile | null;
  inventory: Inventory | null;
}

export interface SessionOptions {
  /**
   * File of the engine's client records in the state dir. The CLI's `serve` owns clients.json; under the
   * desktop app the AppController owns that file and the engine keeps its own (one writer per file).
   */
  clientsFileName?: string;
  /**
   * Watching the interface's link while serving (net/link-watch.ts): on by default. false turns it off;
   * an object sets the poll interval or the probe (tests).
   */
  linkWatch?: false | { intervalMs?: number; probe?: LinkProbe };
}

/** The link as the session last reported it. */
interface LinkStatus {
  state: LinkStateName;
  detail: string;
  since: string;
}

export class Session {
  private services: NetworkService[] = [];
  private tracker: ClientTracker | null = null;
  private images: ServedImage[] = [];
  private flow: BootFlow | null = null;
  private running = false;
  /** The address this session gave a bare interface (cfg.assignAddress), removed on stop or a failed start. */
  private assigned: AssignedAddress | null = null;
  private readonly log;
  private watcher: LinkWatcher | null = null;
  private link: LinkStatus | null = null;
  /** The servers are closed because the interface went away; they reopen when it is back with the address. */
  private paused = false;
  /** The last reason a re-give or reopen failed, logged once until it changes. */
  private lastLinkProblem: string | null = null;
  private serverIp: string | null = null;

  constructor(
    readonly config: ServeConfig,
    private readonly ctx: ServiceContext,
    private readonly resourcesDir: string = resolveResourcesDir(),
    private readonly options: SessionOptions = {},
  ) {
    this.log = createLog(ctx.logSink, 'ENGINE');
  }

  /** Checks everything that can be checked before binding a port; throws FieldbootError. */
  async plan(): Promise<SessionPlan> {
    const cfg = this.config;
    const iface = await findInterface(cfg.interface);
    if (!iface) throw new FieldbootError(ErrorCode.NoSuchInterface, `no network interface named "${cfg.interface}"`);
    let addr = iface.ipv4[0];
    if (!addr && cfg.assignAddress) {
      this.assigned = await assignAddress(cfg.interface, cfg.assignAddress, { interfaces: await listInterfaces() });
      this.log.info(`gave ${cfg.interface} the address ${this.assigned.cidr} for this session`);
      addr = this.assigned.address;
    }
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

    const profile = cfg.profile ? loadProfile(cfg.profile) : null;
    const inventory = cfg.inventory ? loadInventory(cfg.inventory) : null;

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
    return { serverIp: addr.address, prefix: addr.prefix, range, bootPolicy, profile, inventory };
  }

  /** Binds every listener or none. Returns the ready event (also emitted). */
  async start(): Promise<ReadyEvent> {
    if (this.running) throw new FieldbootError(ErrorCode.AlreadyServing, 'this session is already serving');
    try {
      return await this.startOnce();
    } catch (err) {
      await this.releaseAddress();
      throw err;
    }
  }

  /** Takes back the address plan() gave the interface; a failure is logged (the session still stops). */
  private async releaseAddress(): Promise<void> {
    const a = this.assigned;
    this.assigned = null;
    if (!a) return;
    if (this.link?.state === 'gone') {
      this.log.info(`${a.interface} is gone, and its address ${a.cidr} with it`);
      return;
    }
    try {
      await removeAddress(a.interface, a.cidr);
      this.log.info(`removed ${a.cidr} from ${a.interface}`);
    } catch (err) {
      this.log.warn(`could not remove ${a.cidr} from ${a.interface}: ${(err as Error).message}`);
    }
  }

  private async startOnce(): Promise<ReadyEvent> {
    const plan = await this.plan();
    const cfg = this.config;
    if (cfg.dhcpMode === DhcpMode.Full) await this.checkForeignDhcp();

    const images = await openServedImages(cfg.isos, { ...(cfg.netboot ? { netboot: cfg.netboot } : {}), cacheDir: join(cfg.stateDir, NETBOOT_CACHE_DIR_NAME) });
    try {
      return await this.startServing(plan, images);
    } catch (err) {
      await Promise.allSettled(images.map((i) => i.close()));
      await this.tracker?.close().catch(() => {});
      this.tracker = null;
      throw err;
    }
  }

  private async startServing(plan: SessionPlan, images: ServedImage[]): Promise<ReadyEvent> {
    const cfg = this.config;
    const httpPort = cfg.httpPort ?? DEFAULT_PORTS.http;
    const rootHasMenus = !!cfg.root && isDirectory(join(cfg.root, 'pxelinux.cfg'));
    if (rootHasMenus) this.log.info(`${cfg.root} has its own pxelinux.cfg/: its menus are served as they are (no arming for pxelinux clients)`);
    // Every machine seen, persisted; it also holds who is armed, so arming survives a restart and a one-shot
    // machine is disarmed when its installer reports "finished" (its next boot is from disk).
    const tracker = ClientTracker.open(cfg.stateDir, createLog(this.ctx.logSink, 'ENGINE'), {
      ...(this.options.clientsFileName ? { fileName: this.options.clientsFileName } : {}),
      onArm: (event) => this.ctx.emit(event),
    });
    this.tracker = tracker;
    await tracker.armAllowList(cfg.allow);
    const ctx = this.decoratedContext();
    const flow = new BootFlow({
      serverIp: plan.serverIp,
      httpPort,
      images,
      profile: plan.profile,
      inventory: plan.inventory,
      arming: tracker,
      ...(cfg.menuTimeout !== undefined ? { menuTimeoutSec: cfg.menuTimeout } : {}),
      console: cfg.console ?? null,
      // debian-installer needs a name server to carry on; without one from DHCP, point it at this server.
      nameServers: cfg.dns?.length ? cfg.dns : [plan.serverIp],
      ...(cfg.kernelArgs ? { extraKernelArgs: cfg.kernelArgs } : {}),
      pxelinuxMenus: !rootHasMenus,
      emit: ctx.emit,
      log: createLog(ctx.logSink, 'ENGINE'),
    });
    this.flow = flow;
    for (const img of images) this.log.info(`image ${img.id}: ${img.summary.name} (${img.summary.family}${img.target ? `, answer file ${img.target}` : ''}) from ${img.file}`);

    const secure = cfg.secureBoot ? await secureBootChain(cfg.secureBoot, images) : null;
    if (secure) {
      // Every UEFI PXE client (arch 7/9) gets the image's shim; shim asks the root for grubx64.efi.
      plan.bootPolicy.efiX64BootFile = `${secure.image.mountPath.slice(1)}${secure.shim}`;
      this.log.info(`Secure Boot: UEFI clients boot ${secure.image.id}'s signed shim ${secure.shim} and GRUB ${secure.grub}`);
    }

    const scripts = new MemorySource();
    scripts.set(IPXE_SCRIPT_PATH, flow.ipxeChainScript());
    const layers: FileSource[] = [scripts];
    if (cfg.root) layers.push(new DirectorySource(resolve(cfg.root)));
    if (secure) layers.push(new AliasSource(secure.image.source, { '/grubx64.efi': secure.grub }));
    layers.push(new GeneratedSource(flow.tftpGenerator()));
    for (const img of images) layers.push(new MountedSource(img.mountPath, img.source));
    layers.push(new DirectorySource(join(this.resourcesDir, 'boot')));
    layers.push(new DirectorySource(join(this.resourcesDir, 'boot', 'efi64')));
    const source = new LayeredSource(layers);

    // Installer callbacks: a generic answer file reports "unknown", so the caller's address names the machine.
    // The reply waits for the tracker, so a 200 means the stage is on disk.
    const progress = progressEndpoint((event) => {
      const address = (event.client ?? '').replace(/:\d+$/, '');
      const mac = event.mac === 'unknown' ? (flow.macFor(address) ?? tracker.macForIp(address) ?? undefined) : event.mac;
      const resolved = mac ? { ...event, mac, client: address } : { ...event, client: address };
      this.ctx.emit(resolved);
      return tracker.observe(resolved);
    });
    const httpMounts: HttpMount[] = [{ prefix: HTTP_BOOT_PREFIX, source }, flow.ipxeMount(), flow.answerMount(), progress];
    for (const img of images) {
      httpMounts.push({ prefix: `${img.mountPath}/`, source: img.source });
      httpMounts.push({ path: img.isoPath, file: img.file });
    }

    const services: NetworkService[] = [];
    services.push(new TftpServer({ bindAddress: plan.serverIp, port: cfg.tftpPort ?? DEFAULT_PORTS.tftp, source }, ctx));
    // Kernels, initrds, install trees, whole images, menus and answer files: iPXE and installers use HTTP.
    services.push(new HttpServer({ bindAddress: plan.serverIp, port: httpPort, mounts: httpMounts }, ctx));
    if (cfg.ftp !== false) {
      // The seed's flow: method=ftp://server/pub/<tree>, the boot tree at the top.
      const ftpMounts = images.flatMap((img) => [
        { prefix: `${FTP_IMAGE_PREFIX}${img.id}/`, source: img.source },
        { path: `${FTP_IMAGE_PREFIX}${img.id}.iso`, file: img.file },
      ]);
      if (cfg.root) ftpMounts.push({ prefix: '/', source: new DirectorySource(resolve(cfg.root)) });
      services.push(new FtpServer({ bindAddress: plan.serverIp, port: cfg.ftpPort ?? DEFAULT_PORTS.ftp, mounts: ftpMounts }, ctx));
    }
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
          ctx,
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
    this.images = images;
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
      images: images.map((i) => ({ id: i.id, name: i.summary.name, family: i.summary.family, target: i.target, file: i.file })),
    };
    this.log.info(`serving on ${cfg.interface} (${plan.serverIp}/${plan.prefix}), DHCP ${cfg.dhcpMode}`);
    this.ctx.emit(ready);
    this.serverIp = plan.serverIp;
    await this.watchLink();
    return ready;
  }

  // ---- link watch: the cable pulled, a USB NIC unplugged and back -------------------------------------------

  /**
   * Starts the link watch. A failure to watch is a warning: serving goes on as before, just unwatched. A link
   * that is already not up at start is reported at once (the UI shows the banner).
   */
  private async watchLink(): Promise<void> {
    const opt = this.options.linkWatch;
    if (opt === false) return;
    const watcher = new LinkWatcher({
      interfaceName: this.config.interface,
      ...(opt?.intervalMs ? { intervalMs: opt.intervalMs } : {}),
      ...(opt?.probe ? { probe: opt.probe } : {}),
      onSnapshot: (snap, changes) => this.onLinkSnapshot(snap, changes),
      onError: (err) => this.log.debug(`link watch: ${err.message}`),
    });
    try {
      const first = await watcher.start();
      this.watcher = watcher;
      const { state, detail } = linkStateOf(first, this.serverIp ?? '');
      this.link = { state, detail, since: nowIso() };
      if (state !== 'up') this.emitLink(false);
    } catch (err) {
      this.log.warn(`cannot watch the link of ${this.config.interface} (${(err as Error).message}); a cable pulled will not be noticed`);
    }
  }

  /**
   * One look at the link. Carrier lost or set down: the sockets stay (they survive on Linux: the address and
   * the ifindex stay), only the state is reported. Gone, or replaced by a new device of the same name (new
   * ifindex): the servers are closed (the DHCP sockets are tied to the old ifindex, the others to an address
   * that no longer exists). Present again: the session's own address is given back if it had given one, and
   * the servers reopen on the same interface and address, never another. Leases, client records and arming
   * are the same objects throughout (DHCP writes its table on close and reads it back on open).
   */
  private async onLinkSnapshot(snap: LinkSnapshot, changes: LinkChange[]): Promise<void> {
    if (!this.running || !this.serverIp) return;
    const ifname = this.config.interface;
    if (changes.length) this.log.info(`link ${ifname}: ${changes.map(describeChange).join(', ')}`);
    const replaced = changes.some((c) => c.kind === 'replaced');
    if ((!snap.present || replaced) && !this.paused) {
      await this.pauseServices(snap.present ? 'was replaced by a new device' : 'is gone');
      // Unplugged and back within one poll: still an outage, reported as one, so the resume below says so.
      if (this.link?.state !== 'gone') {
        this.link = { state: 'gone', detail: snap.present ? 'unplugged and plugged in again (new device)' : linkStateOf(snap, this.serverIp).detail, since: nowIso() };
        this.emitLink(false);
      }
    }
    let view = snap;
    if (snap.present && !hasAddress(snap, this.serverIp) && this.assigned) {
      if (await this.regiveAddress(this.assigned)) view = { ...snap, ipv4: [...snap.ipv4, this.assigned.cidr] };
    }
    if (this.paused && view.present && hasAddress(view, this.serverIp)) await this.resumeServices();
    if (!this.running) return;
    const next = linkStateOf(view, this.serverIp);
    // Reopening failed: not serving yet, whatever the link says.
    if (next.state === 'up' && this.paused) {
      next.state = 'down';
      next.detail = `cannot reopen the servers yet${this.lastLinkProblem ? `: ${this.lastLinkProblem}` : ''}`;
    }
    const prev = this.link;
    if (prev && prev.state === next.state && prev.detail === next.detail) return;
    const wasNotUp = !prev || prev.state !== 'up';
    const since = prev && prev.state !== 'up' && next.state !== 'up' ? prev.since : nowIso();
    this.link = { ...next, since };
    if (next.state === 'up') {
      this.lastLinkProblem = null;
      this.log.info(`link ${ifname} is back: serving resumed on ${this.serverIp}`);
      this.emitLink(wasNotUp && !!prev);
    } else {
      if (!prev || prev.state === 'up') this.log.warn(`link ${ifname} ${next.state}: ${next.detail}; serving resumes when it is back`);
      this.emitLink(false);
    }
  }

  private emitLink(resumed: boolean): void {
    const l = this.link;
    if (!l) return;
    const event: LinkEvent = {
      type: 'link',
      time: nowIso(),
      interface: this.config.interface,
      state: l.state,
      since: l.since,
      detail: resumed ? 'serving resumed' : l.detail,
      ...(resumed ? { resumed: true } : {}),
    };
    this.ctx.emit(event);
  }

  private noteLinkProblem(text: string): void {
    if (text !== this.lastLinkProblem) this.log.warn(text);
    this.lastLinkProblem = text;
  }

  /** Closes every server (kept as objects, to reopen). */
  private async pauseServices(why: string): Promise<void> {
    this.paused = true;
    this.log.warn(`${this.config.interface} ${why}: closing the servers until it is back`);
    await Promise.allSettled([...this.services].reverse().map((s) => s.stop()));
  }

  /** Reopens every server, all or none (a half-open set would answer DHCP and then fail the download). */
  private async resumeServices(): Promise<void> {
    const opened: NetworkService[] = [];
    try {
      for (const s of this.services) {
        await s.start();
        opened.push(s);
      }
      this.paused = false;
      this.log.info(`reopened the servers on ${this.config.interface} (${this.serverIp})`);
    } catch (err) {
      await Promise.allSettled(opened.reverse().map((s) => s.stop()));
      this.noteLinkProblem(`cannot reopen the servers on ${this.config.interface} yet: ${(err as Error).message}`);
    }
  }

  /** Puts the session's address back (the replugged device came back bare). */
  private async regiveAddress(a: AssignedAddress): Promise<boolean> {
    try {
      await assignAddress(a.interface, a.cidr);
      this.log.info(`gave ${a.interface} the address ${a.cidr} again`);
      return true;
    } catch (err) {
      this.noteLinkProblem(`could not give ${a.interface} the address ${a.cidr} again: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * The context servers report through: file events get the client's MAC (from its DHCP lease or a URL that
   * named it) and what the file is (kernel, initrd, answer...); the end of an initrd is the installer
   * starting. Lease acks teach the address -> MAC map.
   */
  private decoratedContext(): ServiceContext {
    const emit = (event: EngineEvent): void => {
      const forward = (e: EngineEvent): void => {
        this.ctx.emit(e);
        void this.tracker?.observe(e).catch((err: Error) => this.log.warn(`client records: ${err.message}`));
      };
      const flow = this.flow;
      if (flow && event.type === 'lease' && event.action === 'ack') flow.noteClient(event.ip, event.mac);
      if (flow && event.type === 'file') {
        const address = event.client.replace(/:\d+$/, '');
        const mac = event.mac ?? flow.macFor(address);
        const { role, image } = flow.classify(event.path, event.protocol);
        const decorated = { ...event, ...(mac ? { mac } : {}), role, ...(image ? { image } : {}) };
        forward(decorated);
        if (mac && role === FileRole.Initrd && event.action === 'end') {
          forward({ type: 'stage', time: nowIso(), mac, stage: ProgressStage.InstallerStarted, source: 'server', client: address, ...(image ? { image } : {}) });
        }
        return;
      }
      forward(event);
    };
    return { emit, logSink: this.ctx.logSink };
  }

  /** Arm machines for install (the UI's "arm"); imageId null: the first bootable image. Resolves once stored. */
  async arm(macs: readonly string[], options: { imageId?: string | null; oneShot?: boolean } = {}): Promise<void> {
    if (!this.flow || !this.tracker) throw new FieldbootError(ErrorCode.NotServing, 'not serving');
    for (const m of macs) this.flow.chooseImage(m, options.imageId ?? null);
    await this.tracker.arm(macs, { oneShot: options.oneShot ?? true });
  }

  async disarm(macs: readonly string[]): Promise<void> {
    await this.tracker?.disarm(macs);
  }

  /** The client records (the CLI's report, tests). */
  clients(): ClientTracker | null {
    return this.tracker;
  }

  /** The images being served (id, summary). */
  servedImages(): readonly ServedImage[] {
    return this.images;
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
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.stop();
    this.paused = false;
    this.lastLinkProblem = null;
    const services = this.services;
    this.services = [];
    await Promise.allSettled(services.reverse().map((s) => s.stop()));
    const images = this.images;
    this.images = [];
    this.flow = null;
    await Promise.allSettled(images.map((i) => i.close()));
    const tracker = this.tracker;
    this.tracker = null;
    await tracker?.close().catch(() => {});
    await this.releaseAddress();
    this.ctx.emit({ type: 'stopped', time: nowIso(), reason });
  }

  get isRunning(): boolean {
    return this.running;
  }
}

/** Where images keep their signed boot chain (the removable-media path every UEFI firmware knows). */
export const SHIM_PATHS = ['/EFI/BOOT/BOOTX64.EFI', '/EFI/BOOT/bootx64.efi', '/EFI/boot/bootx64.efi', '/efi/boot/bootx64.efi'] as const;
export const SIGNED_GRUB_PATHS = ['/EFI/BOOT/grubx64.efi', '/EFI/BOOT/GRUBX64.EFI', '/EFI/boot/grubx64.efi', '/efi/boot/grubx64.efi'] as const;

/** The image chosen for Secure Boot and the paths of its shim and GRUB; throws when it has none. */
async function secureBootChain(choice: string, images: readonly ServedImage[]): Promise<{ image: ServedImage; shim: string; grub: string }> {
  let real = choice;
  try {
    real = realpathSync(choice);
  } catch {
    /* an image id, or a file that is not among the images: reported below */
  }
  const image = images.find((i) => i.file === real || i.id === choice);
  if (!image) {
    throw new FieldbootError(ErrorCode.BadOption, `--secure-boot ${choice} is not one of the images being served`, 'Give --secure-boot the path of one of the --iso files.');
  }
  const find = async (paths: readonly string[]) => {
    for (const p of paths) {
      const st = await image.source.stat(p);
      if (st && !st.isDirectory) return st.path;
    }
    return null;
  };
  const shim = await find(SHIM_PATHS);
  const grub = await find(SIGNED_GRUB_PATHS);
  if (!shim || !grub) {
    throw new FieldbootError(
      ErrorCode.BadOption,
      `${image.file} has no signed boot chain (${!shim ? 'EFI/BOOT/BOOTX64.EFI' : 'EFI/BOOT/grubx64.efi'} is missing)`,
      'Secure Boot needs an image that carries its own shim and GRUB (RHEL, Rocky, Alma, Ubuntu do). Serve without --secure-boot to boot UEFI clients with iPXE, with Secure Boot off in their firmware.',
    );
  }
  return { image, shim, grub };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new FieldbootError(ErrorCode.FileNotFound, `cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, `Check the path of the ${what}.`);
  }
}

function loadProfile(path: string): Profile {
  const result = parseProfileText(readUserFile(path, 'profile'));
  if (!result.ok) throw new FieldbootError(ErrorCode.ProfileInvalid, `profile ${path} is not valid:\n${formatIssues(result.issues)}`);
  return result.profile;
}

function loadInventory(path: string): Inventory {
  try {
    return parseInventory(readUserFile(path, 'inventory'));
  } catch (err) {
    if (err instanceof InventoryError) throw new FieldbootError(ErrorCode.BadOption, `inventory ${path}: ${err.message}`, 'Fix the inventory CSV: one row per machine, with a mac column.');
    throw err;
  }
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
