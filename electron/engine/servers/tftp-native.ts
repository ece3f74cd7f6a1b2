/**
 * Lock-step TFTP transfers (windowsize 1) through the optional native addon `fieldboot-tftp`
 * (native/tftp): the DATA/ACK loop runs on a thread of its own with a blocking UDP socket, so an ACK is
 * answered by two system calls instead of a trip through epoll, libuv, V8 and dgram. bench/tftp measured
 * that trip as the gap to dnsmasq (README, "TFTP"); the JavaScript transfer (tftp-transfer.ts) kept the
 * same rules and stays the path for windowed transfers, generated files, other platforms and a missing addon.
 *
 * The addon takes the negotiated transfer as it stands after the RRQ: the OACK bytes (or none), blksize,
 * timeout, retries, and where the file's bytes lie (OpenFile.span: a disk file or a file's extents inside an
 * ISO). It owns its socket (the transfer's TID) and duplicates of the file descriptor; this class turns its
 * counters into the same file events and log lines as the JavaScript transfer.
 */
import type { FileEvent } from '../../../shared/model/engine-event';
import type { OpenFile } from '../files/file-source';
import { encodeTftpPacket } from '../protocol/tftp/tftp-packet';
import { TftpOpcode } from '../protocol/tftp/tftp-constants';
import { errnoName, loadLinuxAddon, type AddonLoad } from './native-addon';
import { flattenSpans } from './http-sendfile';
import { TFTP_PROGRESS_INTERVAL_MS, tftpFileEvent, type TftpTransferHandle, type TftpTransferParams, type TftpTransferStats } from './tftp-transfer';

/** Set to "0" to keep every transfer on the JavaScript path (comparisons, a misbehaving build). */
export const TFTP_NATIVE_ENV = 'FIELDBOOT_TFTP_NATIVE';

declare const jobBrand: unique symbol;
type TftpJob = { readonly [jobBrand]: true };

export interface TftpNativeStartOptions {
  bindAddress: string;
  clientAddress: string;
  clientPort: number;
  fileFd: number;
  /** [offset, length, ...] on fileFd, adding up to size. */
  spans: number[];
  size: number;
  blksize: number;
  timeoutMs: number;
  retries: number;
  chunkBytes: number;
  oack: Buffer | null;
}

/** native/tftp/src/tftp-lockstep.c */
export interface TftpNativeAddon {
  start(options: TftpNativeStartOptions, done: (errno: number, detail: string) => void): TftpJob;
  port(job: TftpJob): number;
  /** [bytes acknowledged, DATA datagrams sent, retransmissions] */
  stats(job: TftpJob): [number, number, number];
  cancel(job: TftpJob, message: string): void;
}

let loaded: AddonLoad<TftpNativeAddon> | undefined;

export function loadTftpNative(): AddonLoad<TftpNativeAddon> {
  loaded ??= loadLinuxAddon<TftpNativeAddon>('fieldboot-tftp', 'the native lock-step TFTP sender', ['start', 'port', 'stats', 'cancel']);
  return loaded;
}

export function tftpNativeDisabledByEnv(): boolean {
  return process.env[TFTP_NATIVE_ENV] === '0';
}

/** The JavaScript transfer's parameters, with the addon and the address to bind instead of a socket. */
export interface NativeTransferParams extends Omit<TftpTransferParams, 'socket' | 'udpGso' | 'readChunkBytes'> {
  addon: TftpNativeAddon;
  bindAddress: string;
  readChunkBytes: number;
}

/** Where the whole file lies as spans on one descriptor, or null (generated file, empty file, no span()). */
export function nativeSpansOf(file: OpenFile): { fd: number; flat: number[] } | null {
  if (file.size <= 0 || !file.span) return null;
  const spans = file.span(0, file.size - 1);
  return spans ? flattenSpans(spans) : null;
}

export class NativeLockstepTransfer implements TftpTransferHandle {
  readonly done: Promise<void>;
  private resolveDone: () => void = () => {};
  private job: TftpJob | null = null;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = performance.now();
  private readonly clientLabel: string;
  private acked = 0;

  constructor(
    private readonly p: NativeTransferParams,
    private readonly where: { fd: number; flat: number[] },
  ) {
    this.clientLabel = `${p.client.address}:${p.client.port}`;
    this.done = new Promise((res) => (this.resolveDone = res));
  }

  /** Opens the transfer's socket and starts the thread; throws (nothing sent yet) if the addon refuses. */
  start(): void {
    const { negotiated } = this.p;
    const oack = negotiated.reply.length > 0 ? encodeTftpPacket({ opcode: TftpOpcode.OptionAck, options: negotiated.reply }) : null;
    this.job = this.p.addon.start(
      {
        bindAddress: this.p.bindAddress,
        clientAddress: this.p.client.address,
        clientPort: this.p.client.port,
        fileFd: this.where.fd,
        spans: this.where.flat,
        size: this.p.file.size,
        blksize: negotiated.blksize,
        timeoutMs: Math.max(1, Math.round(this.p.timeoutMs)),
        retries: this.p.retries,
        chunkBytes: this.p.readChunkBytes,
        oack,
      },
      (errno, detail) => this.onDone(errno, detail),
    );
    this.event('start', {});
    this.p.log.info(`${this.clientLabel} RRQ ${this.p.path} (${this.p.file.size} bytes, blksize ${negotiated.blksize}, windowsize 1, native)`);
    this.timer = setInterval(() => this.progress(), TFTP_PROGRESS_INTERVAL_MS);
  }

  get port(): number {
    return this.job ? this.p.addon.port(this.job) : 0;
  }

  /** The addon's counters (they stay readable after the end). */
  get stats(): TftpTransferStats {
    if (!this.job) return { dataSent: 0, retransmits: 0, gsoSends: 0 };
    const [, dataSent, retransmits] = this.p.addon.stats(this.job);
    return { dataSent, retransmits, gsoSends: 0 };
  }

  abort(reason: string): Promise<void> {
    if (this.job && !this.finished) this.p.addon.cancel(this.job, reason);
    return this.done;
  }

  private progress(): void {
    if (!this.job || this.finished) return;
    const [acked] = this.p.addon.stats(this.job);
    if (acked === this.acked) return;
    this.acked = acked;
    this.event('progress', {});
  }

  private onDone(errno: number, detail: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.job) this.acked = this.p.addon.stats(this.job)[0];
    this.finished = true;
    const durationMs = performance.now() - this.startedAt;
    if (errno === 0) {
      const { dataSent, retransmits } = this.stats;
      this.p.log.info(`${this.clientLabel} sent ${this.p.path} (${this.p.file.size} bytes in ${durationMs.toFixed(0)} ms; ${dataSent} DATA, ${retransmits} retransmissions)`);
      this.acked = this.p.file.size;
      this.event('end', {});
    } else {
      const reason = detail || errnoName(errno);
      this.p.log.warn(`${this.clientLabel} transfer of ${this.p.path} failed: ${reason}`);
      this.event('error', { error: reason });
    }
    this.p.file.close().then(
      () => this.resolveDone(),
      () => this.resolveDone(),
    );
  }

  private event(action: FileEvent['action'], extra: Partial<FileEvent>): void {
    this.p.emit(tftpFileEvent(action, { client: this.clientLabel, path: this.p.path, size: this.p.file.size, bytes: this.acked, startedAt: this.startedAt }, extra));
  }
}
