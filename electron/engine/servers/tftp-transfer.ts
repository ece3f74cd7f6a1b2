/**
 * One TFTP read transfer on its own UDP socket (RFC 1350 "TID"): OACK handshake (RFC 2347), windows of
 * DATA (RFC 7440; a window of 1 is RFC 1350 lock-step), retransmission with backoff, block-number
 * rollover, and file events. The file is read in chunks a little ahead of the window, never whole.
 *
 * Speed (bench/tftp): the socket is connected to the client, so a send skips Node's per-call address
 * lookup (a dns.lookup and a nextTick) and the kernel's per-packet route lookup; a window is assembled in
 * one reused buffer (headers written in place) and sent without per-packet callbacks or closures; on
 * Linux a window goes out in one UDP GSO send (tftp-udp-gso.ts); one timer per transfer, moved by a
 * deadline instead of being reset on every ACK; progress events at most every 500 ms.
 *
 * Lock-step (windowsize 1) is bound by the round trip: nothing the server does between an ACK arriving and
 * the next DATA leaving overlaps with the client. So the next DATA datagram is built while the client is
 * busy with the current one (onAck sends it before any bookkeeping), and no file read, copy, map lookup or
 * clock read sits between the two.
 */
import type { Socket } from 'node:dgram';
import { nowIso, type FileEvent } from '../../../shared/model/engine-event';
import type { OpenFile } from '../files/file-source';
import type { Log } from '../log';
import { TftpErrorCode, TftpLimits, TftpOpcode } from '../protocol/tftp/tftp-constants';
import { decodeTftpPacket, encodeTftpPacket, TftpDecodeError, type TftpPacket } from '../protocol/tftp/tftp-packet';
import type { TftpNegotiated } from '../protocol/tftp/tftp-options';
import { setUdpGsoSegment, UDP_GSO_MAX_BYTES, UDP_GSO_MAX_SEGMENTS } from './tftp-udp-gso';

/** File events are throttled to one progress event per transfer per this many ms. */
export const TFTP_PROGRESS_INTERVAL_MS = 500;
/**
 * File reads per transfer: between these sizes, as large as TFTP_READ_BUDGET_BYTES shared by the running
 * transfers allows (readChunkBytesFor). A transfer keeps two or three chunks (the one being sent, the one
 * read ahead, a recycled spare). Large reads matter on a busy machine: each read is a trip through libuv's
 * thread pool, and the read-ahead must be done before the window reaches it: 64 KiB is only ~44 lock-step
 * round trips (2 ms) ahead, and a pool thread not scheduled within that stalls the transfer. Measured on the
 * benchmark VM (load 9-12, 50 MB, curl lock-step, 7 alternating rounds, median of same-round ratios to
 * dnsmasq): 64 KiB 1.64 (server CPU 1.70 s), 256 KiB 1.31 (1.25 s), 1 MiB 0.98 and 1.12 (1.41 s, 1.08 s).
 */
export const TFTP_READ_CHUNK_MIN_BYTES = 64 * 1024;
export const TFTP_READ_CHUNK_MAX_BYTES = 1024 * 1024;
/**
 * The first 8 transfers read 1 MiB at a time, the 20th 400 KiB. Memory is about three times the sum: in the
 * 20-client benchmark peak RSS was 135 MB (87 MB with fixed 64 KiB reads, 153 MB with a 16 MiB budget).
 */
export const TFTP_READ_BUDGET_BYTES = 8 * 1024 * 1024;

/** Chunk size for a transfer starting while `running` others are in flight. */
export function readChunkBytesFor(running: number): number {
  const share = Math.floor(TFTP_READ_BUDGET_BYTES / (running + 1));
  return Math.max(TFTP_READ_CHUNK_MIN_BYTES, Math.min(TFTP_READ_CHUNK_MAX_BYTES, share));
}
/**
 * A repeated ACK arriving sooner than this after the window went out is never answered (see onDuplicateAck).
 * A client re-sends its ACK after its own timeout, which is far longer (curl 7.88 measured here: ~2 s).
 */
const DUP_ACK_GUARD_MIN_MS = 100;
/** Retransmission backoff doubles per attempt up to this multiple of the base timeout... */
const MAX_BACKOFF_FACTOR = 8;
/**
 * ...or up to this, whichever is longer. A short base timeout must still back off past the client's own
 * timeout: atftp 0.8 answers a resent window it already has with a single extra ACK and otherwise waits
 * for its timer (5 s by default), which every packet it receives restarts. If that ACK is lost too, only
 * a pause in our retransmissions longer than its timer lets it speak again (measured in the loss lab test:
 * with a 20 ms base and an 8x cap, transfers stalled until the server gave up).
 */
const BACKOFF_CAP_FLOOR_MS = 8000;

export interface TftpTransferParams {
  /**
   * Bound to an ephemeral port and connected to the client (so the kernel delivers only the client's
   * packets, and answers anyone else with ICMP port unreachable); the transfer owns it and closes it.
   */
  socket: Socket;
  client: { address: string; port: number };
  /** Owned by the transfer, closed when it ends. */
  file: OpenFile;
  /** As the client asked for it (for events and logs). */
  path: string;
  negotiated: TftpNegotiated;
  /** Base retransmission timeout (the client's RFC 2349 value, else the server's). */
  timeoutMs: number;
  retries: number;
  /** Send each window with one UDP GSO call where the OS offers it (Linux). Default true. */
  udpGso?: boolean;
  /** Bytes per file read (whole blocks, at least one window); default TFTP_READ_CHUNK_MIN_BYTES. See readChunkBytesFor. */
  readChunkBytes?: number;
  log: Log;
  emit: (event: FileEvent) => void;
}

export interface TftpTransferStats {
  /** DATA datagrams sent, retransmissions included (tests use this to see duplicate-ACK behaviour). */
  dataSent: number;
  retransmits: number;
  /** Windows sent as one UDP GSO call (0 where unavailable or in lock-step). */
  gsoSends: number;
}

interface Chunk {
  /** The bytes of this chunk once read (a view of `backing`). */
  data: Buffer | null;
  /** Full-capacity buffer, recycled when the window has passed the chunk. */
  backing: Buffer;
  ready: Promise<Buffer>;
}

/** What the server holds of a running transfer: this JavaScript one, or a native lock-step one (tftp-native.ts). */
export interface TftpTransferHandle {
  readonly done: Promise<void>;
  readonly stats: TftpTransferStats;
  /** The transfer's own local port (its TID). */
  readonly port: number;
  start(): void;
  /** Ends the transfer now (server stopping), telling the client why. */
  abort(reason: string): Promise<void>;
}

export class TftpTransfer implements TftpTransferHandle {
  readonly done: Promise<void>;
  readonly stats: TftpTransferStats = { dataSent: 0, retransmits: 0, gsoSends: 0 };
  private resolveDone: () => void = () => {};
  private readonly size: number;
  private readonly blksize: number;
  private readonly windowsize: number;
  private readonly lastBlock: number;
  private readonly blocksPerChunk: number;
  private readonly chunkCapacity: number;
  private readonly chunks = new Map<number, Chunk>();
  private readonly spareChunks: Buffer[] = [];
  /** Lowest chunk still kept (chunks below it were recycled). */
  private firstKeptChunk = 0;
  /** Header + blksize: one DATA datagram, and the GSO segment size. */
  private readonly stride: number;
  /** One window of DATA datagrams back to back, headers written in place; reused while nothing is queued. */
  private windowBuffer: Buffer;
  /** Full-size datagram views into windowBuffer, made once (a short last block gets its own view). */
  private windowViews: Buffer[];
  /** Blocks per GSO send, or 0 when the window goes out one datagram per send. */
  private gsoSegments = 0;
  /**
   * Lock-step only: the DATA datagram for block `preparedBlock` (absolute), built ahead so that the ACK of
   * the block before it is answered with a bare send (see onAck). 0: nothing prepared.
   */
  private preparedBlock = 0;
  private prepared: Buffer | null = null;
  /** Two full-size datagram buffers used in turn for `prepared` (lock-step only). */
  private readonly stepBuffers: Buffer[] = [];
  private stepIndex = 0;
  private readonly clientLabel: string;
  /** Lowest block (absolute, 1-based, never wrapped) the client has not acknowledged. */
  private base = 1;
  private awaitingOackAck: boolean;
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the retransmission timer is due (performance.now()); the timer itself is moved lazily. */
  private deadline = 0;
  private timerDue = 0;
  /** Times the current window (or the OACK) was transmitted, and when it last was. */
  private windowSends = 0;
  private windowSentAt = 0;
  /** Transmissions of the window the client last acknowledged. */
  private prevWindowSends = 0;
  private dupRetransmitted = false;
  /** Smoothed round-trip time (RFC 6298 style, Karn's rule), null until the first clean sample. */
  private srttMs: number | null = null;
  /** Bumped on every send decision, so a send that waited for a file read can tell it is stale. */
  private sendGeneration = 0;
  private finished = false;
  private readonly startedAt = performance.now();
  private lastProgressAt = this.startedAt;

  constructor(private readonly p: TftpTransferParams) {
    this.size = p.file.size;
    this.blksize = p.negotiated.blksize;
    this.windowsize = p.negotiated.windowsize;
    // The last block is always shorter than blksize, so a file that is an exact multiple ends with an
    // empty block (RFC 1350 section 6); an empty file is one empty block.
    this.lastBlock = Math.floor(this.size / this.blksize) + 1;
    this.blocksPerChunk = Math.max(this.windowsize, Math.floor((p.readChunkBytes ?? TFTP_READ_CHUNK_MIN_BYTES) / this.blksize), 1);
    // A small file never needs a full-size chunk.
    this.chunkCapacity = Math.min(this.blocksPerChunk * this.blksize, this.size);
    this.awaitingOackAck = p.negotiated.reply.length > 0;
    this.clientLabel = `${p.client.address}:${p.client.port}`;
    this.stride = TftpLimits.headerSize + this.blksize;
    const slots = Math.min(this.windowsize, this.lastBlock);
    this.windowBuffer = Buffer.allocUnsafeSlow(slots * this.stride);
    this.windowViews = this.makeViews(this.windowBuffer, slots);
    const segments = Math.min(UDP_GSO_MAX_SEGMENTS, Math.floor(UDP_GSO_MAX_BYTES / this.stride));
    if (slots > 1 && segments > 1 && p.udpGso !== false && setUdpGsoSegment(p.socket, this.stride)) this.gsoSegments = segments;
    if (this.windowsize === 1 && this.lastBlock > 1) {
      this.stepBuffers.push(Buffer.allocUnsafeSlow(this.stride), Buffer.allocUnsafeSlow(this.stride));
    }
    this.done = new Promise((res) => (this.resolveDone = res));
  }

  private makeViews(buf: Buffer, slots: number): Buffer[] {
    return Array.from({ length: slots }, (_, i) => buf.subarray(i * this.stride, (i + 1) * this.stride));
  }

  get port(): number {
    return this.p.socket.address().port;
  }

  start(): void {
    this.p.socket.on('message', (msg) => this.onMessage(msg));
    // Send errors (ENOBUFS, host unreachable...) are losses like any other: retransmission covers them.
    this.p.socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(err));
    this.event('start', {});
    this.p.log.info(`${this.clientLabel} RRQ ${this.p.path} (${this.size} bytes, blksize ${this.blksize}, windowsize ${this.windowsize})`);
    if (this.awaitingOackAck) this.sendOack();
    else {
      this.sendWindow();
      this.prepareNext();
    }
  }

  /**
   * Send errors (ENOBUFS...) are losses like any other: retransmission covers them. ECONNREFUSED is news:
   * the connected socket got ICMP port unreachable, so the client has closed its port. If it had been sent
   * the last block it is done and only its final ACK was lost (atftp and curl exit without the RFC 1350
   * dally); otherwise it gave up. Either way nothing will answer: end now instead of after every retry.
   */
  private onSocketError(err: NodeJS.ErrnoException): void {
    this.p.log.debug(`socket error for ${this.clientLabel}: ${err.message}`);
    if (err.code !== 'ECONNREFUSED' || this.finished) return;
    const lastWindowSent = !this.awaitingOackAck && this.windowSends > 0 && this.base + this.windowsize - 1 >= this.lastBlock;
    if (lastWindowSent) {
      this.p.log.debug(`${this.clientLabel} closed its port after the last block went out: its final ACK was lost`);
      this.complete();
    } else this.fail('the client closed its port (ICMP port unreachable)', false);
  }

  /** Ends the transfer now (server stopping), telling the client why. */
  abort(reason: string): Promise<void> {
    this.fail(reason, true);
    return this.done;
  }

  private onMessage(msg: Buffer): void {
    if (this.finished) return;
    // The socket is connected: only the client's own TID gets here. A stranger's packet (RFC 1350
    // section 4) never reaches the transfer; the kernel answers it with ICMP port unreachable.
    // Fast path for the one packet a read transfer lives on (lock-step speed is per-ACK latency).
    if (msg.length >= TftpLimits.headerSize && msg[0] === 0 && msg[1] === TftpOpcode.Ack) {
      this.onAck(msg.readUInt16BE(2));
      return;
    }
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(msg);
    } catch (err) {
      if (!(err instanceof TftpDecodeError)) throw err;
      this.p.log.debug(`dropped malformed packet from ${this.clientLabel}: ${err.message}`, { fields: { hex: msg.subarray(0, 64).toString('hex') } });
      return;
    }
    switch (packet.opcode) {
      case TftpOpcode.Ack:
        this.onAck(packet.block);
        return;
      case TftpOpcode.Error:
        this.fail(`client sent error ${packet.code}: ${packet.message}`, false);
        return;
      case TftpOpcode.ReadRequest:
      case TftpOpcode.WriteRequest:
      case TftpOpcode.Data:
      case TftpOpcode.OptionAck:
        this.p.log.debug(`ignored opcode ${packet.opcode} from ${this.clientLabel} during a read transfer`);
        return;
    }
  }

  private onAck(wireBlock: number): void {
    if (this.awaitingOackAck) {
      // RFC 2347: ACK 0 confirms the OACK. Anything else is not an answer to it.
      if (wireBlock !== 0) return;
      this.awaitingOackAck = false;
      this.attempts = 0;
      this.prevWindowSends = this.windowSends; // the OACK counts as window 0
      this.windowSends = 0;
      this.sendWindow();
      this.prepareNext();
      return;
    }
    // Map the 16-bit block number onto [base - 1, base + windowsize - 1]: a window never spans more than
    // 65536 blocks, so the match is unique and rollover past 65535 needs no special case.
    const prev = this.base - 1;
    const ahead = (wireBlock - (prev & 0xffff) + TftpLimits.blockModulo) % TftpLimits.blockModulo;
    const acked = prev + ahead;
    // Lock-step critical path: the ACK of the block in flight, and the next block already built. Send it
    // first; the bookkeeping below then runs while the datagram is on its way and the client is busy.
    const early = ahead === 1 && this.preparedBlock === acked + 1 && this.prepared !== null;
    if (early) this.p.socket.send(this.prepared as Buffer);
    const windowEnd = Math.min(this.base + this.windowsize - 1, this.lastBlock);
    if (acked > windowEnd) return; // stray: acknowledges something never sent
    if (ahead === 0) {
      this.onDuplicateAck();
      return;
    }
    const now = performance.now();
    // Karn: only a window sent once gives an unambiguous round-trip sample.
    if (this.windowSends === 1) {
      const sample = now - this.windowSentAt;
      this.srttMs = this.srttMs === null ? sample : this.srttMs * 0.875 + sample * 0.125;
    }
    this.prevWindowSends = this.windowSends;
    this.windowSends = 0;
    this.dupRetransmitted = false;
    this.base = acked + 1;
    this.attempts = 0;
    if (acked >= this.lastBlock) {
      this.complete();
      return;
    }
    if (early) {
      this.preparedBlock = 0;
      this.prepared = null;
      this.sendGeneration++; // a send still waiting for a file read (none in lock-step) is stale now
      this.windowSends = 1;
      this.windowSentAt = now;
      this.stats.dataSent++;
      this.armTimer();
    }
    this.dropChunksBefore(this.chunkOf(this.base));
    if (now - this.lastProgressAt >= TFTP_PROGRESS_INTERVAL_MS) {
      this.lastProgressAt = now;
      this.event('progress', {});
    }
    if (!early) this.sendWindow();
    this.prepareNext();
  }

  /**
   * Lock-step: builds the DATA datagram of the block after the one in flight, if its chunk is in memory
   * (otherwise the read is started and the next ACK takes the ordinary path, which waits for it).
   */
  private prepareNext(): void {
    if (this.stepBuffers.length === 0 || this.finished || this.awaitingOackAck) return;
    const n = this.base + 1;
    if (n > this.lastBlock || this.preparedBlock === n) return;
    const chunk = this.ensureChunk(this.chunkOf(n));
    if (this.chunkOf(n) + 1 <= this.chunkOf(this.lastBlock)) this.ensureChunk(this.chunkOf(n) + 1); // read ahead
    if (!chunk.data) return;
    // dgram keeps a buffer it could not hand to the kernel at once (EAGAIN); never write into that one.
    this.stepIndex ^= 1;
    if (this.p.socket.getSendQueueCount() > 0) this.stepBuffers[this.stepIndex] = Buffer.allocUnsafeSlow(this.stride);
    const buf = this.stepBuffers[this.stepIndex] as Buffer;
    this.prepared = buf.subarray(0, this.writeDatagram(buf, 0, n));
    this.preparedBlock = n;
  }

  /**
   * The client repeated its ACK of the block before the window: it timed out waiting (our DATA or its
   * ACK was lost), or, windowed, it saw a gap at the window's first block (RFC 7440). Answering at once
   * saves a whole server timeout (curl asks for "timeout 6" and re-ACKs sooner). But a duplicate ACK is
   * also how the Sorcerer's Apprentice bug feeds itself (RFC 1123 section 4.2.3.1), so the window is
   * resent only when the ACK cannot be an echo of our own duplicate: at most once per window, only if
   * the acknowledged window went out exactly once, and only if this window left longer ago than a few
   * round trips (a duplicated or reordered ACK arrives right behind the original).
   */
  private onDuplicateAck(): void {
    if (this.dupRetransmitted || this.prevWindowSends !== 1 || this.windowSends === 0) return;
    const guard = Math.max(DUP_ACK_GUARD_MIN_MS, 4 * (this.srttMs ?? 0));
    if (performance.now() - this.windowSentAt < guard) return;
    this.dupRetransmitted = true;
    this.stats.retransmits++;
    this.p.log.debug(`${this.clientLabel} repeated ACK ${(this.base - 1) & 0xffff}: resending from block ${this.base}`);
    this.sendWindow();
  }

  private sendOack(): void {
    this.sendTo(encodeTftpPacket({ opcode: TftpOpcode.OptionAck, options: this.p.negotiated.reply }));
    this.windowSends++;
    this.windowSentAt = performance.now();
    this.armTimer();
  }

  /** Sends the whole window starting at `base`, reading the file first if needed. */
  private sendWindow(): void {
    const generation = ++this.sendGeneration;
    const first = this.base;
    const last = Math.min(this.base + this.windowsize - 1, this.lastBlock);
    const c1 = this.chunkOf(first);
    const c2 = this.chunkOf(last);
    const a = this.ensureChunk(c1);
    const b = this.ensureChunk(c2);
    if (c2 + 1 <= this.chunkOf(this.lastBlock)) this.ensureChunk(c2 + 1); // read ahead
    if (a.data && b.data) {
      this.transmit(first, last);
      this.armTimer();
      return;
    }
    Promise.all([a.ready, b.ready]).then(
      () => {
        if (this.finished || generation !== this.sendGeneration) return;
        this.transmit(first, last);
        this.armTimer();
      },
      (err: unknown) => this.fail(`read error: ${err instanceof Error ? err.message : String(err)}`, true),
    );
  }

  private transmit(first: number, last: number): void {
    this.windowSends++;
    this.windowSentAt = performance.now();
    const count = last - first + 1;
    // A send dgram could not hand to the kernel at once (EAGAIN: socket buffer full) still points into the
    // window buffer; leave that one to it and assemble this window in a fresh buffer.
    if (this.p.socket.getSendQueueCount() > 0) {
      this.windowBuffer = Buffer.allocUnsafeSlow(this.windowBuffer.length);
      this.windowViews = this.makeViews(this.windowBuffer, this.windowViews.length);
    }
    const buf = this.windowBuffer;
    let end = 0; // bytes of buf in use
    for (let i = 0; i < count; i++) {
      const at = i * this.stride;
      end = at + this.writeDatagram(buf, at, first + i);
    }
    this.stats.dataSent += count;
    if (this.gsoSegments > 0 && count > 1) {
      this.transmitSegmented(buf, end, count);
      return;
    }
    // One datagram per send, no callback: on a connected socket dgram sends at once, so nothing per packet
    // is left behind (no closure, no nextTick). A refused send is a loss like any other.
    for (let i = 0; i < count; i++) {
      const full = (i + 1) * this.stride <= end;
      this.p.socket.send(full ? (this.windowViews[i] as Buffer) : buf.subarray(i * this.stride, end));
    }
  }

  /** Writes the DATA datagram of block `n` (absolute) at `at` in `buf`; returns its length. */
  private writeDatagram(buf: Buffer, at: number, n: number): number {
    const chunkIndex = this.chunkOf(n);
    const data = this.chunks.get(chunkIndex)?.data;
    if (!data) throw new Error(`chunk ${chunkIndex} not loaded`); // a bug, not a network condition
    const offset = (n - 1 - chunkIndex * this.blocksPerChunk) * this.blksize;
    const length = Math.max(0, Math.min(this.blksize, this.size - (n - 1) * this.blksize));
    buf[at] = 0;
    buf[at + 1] = TftpOpcode.Data;
    buf.writeUInt16BE(n & 0xffff, at + 2); // rollover: block 65536 goes out as 0 (see onAck)
    data.copy(buf, at + TftpLimits.headerSize, offset, offset + length);
    return TftpLimits.headerSize + length;
  }

  /**
   * The window in as few GSO sends as the kernel allows. Errors are checked (one callback per send, not per
   * packet): a route without checksum offload (EIO) or a segment over the MTU (EINVAL) turns GSO off for
   * this transfer and the window goes out again one datagram at a time.
   */
  private transmitSegmented(buf: Buffer, end: number, count: number): void {
    const generation = this.sendGeneration;
    for (let i = 0; i < count; i += this.gsoSegments) {
      const from = i * this.stride;
      const to = Math.min(end, (i + this.gsoSegments) * this.stride);
      this.stats.gsoSends++;
      this.p.socket.send(buf.subarray(from, to), (err) => {
        if (!err || this.finished || this.gsoSegments === 0) return;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED' || code === 'ENOBUFS' || code === 'EAGAIN') return; // a loss; timers cover it
        this.p.log.debug(`${this.clientLabel}: UDP GSO send refused (${code ?? err.message}); one datagram per send from now on`);
        this.gsoSegments = 0;
        setUdpGsoSegment(this.p.socket, 0);
        if (generation === this.sendGeneration) this.sendWindow();
      });
    }
  }

  private chunkOf(block: number): number {
    return Math.floor((block - 1) / this.blocksPerChunk);
  }

  private ensureChunk(index: number): Chunk {
    const existing = this.chunks.get(index);
    if (existing) return existing;
    const start = index * this.blocksPerChunk * this.blksize;
    const length = Math.max(0, Math.min(this.blocksPerChunk * this.blksize, this.size - start));
    // Reuse a chunk the window has left behind: nothing references it (packets are copies), and
    // recycling keeps a long transfer from churning off-heap memory that V8 only reclaims lazily.
    const backing = this.spareChunks.pop() ?? Buffer.allocUnsafeSlow(this.chunkCapacity);
    const chunk: Chunk = { data: null, backing, ready: Promise.resolve(backing) };
    chunk.ready = this.readFully(backing.subarray(0, length), start).then((buf) => {
      chunk.data = buf;
      return buf;
    });
    chunk.ready.catch(() => {}); // surfaced by sendWindow; a read-ahead failure alone is not fatal yet
    this.chunks.set(index, chunk);
    return chunk;
  }

  private async readFully(buf: Buffer, position: number): Promise<Buffer> {
    const length = buf.length;
    let filled = 0;
    while (filled < length) {
      const n = await this.p.file.read(buf, filled, length - filled, position + filled);
      if (n <= 0) throw new Error(`file ended at ${position + filled} of ${this.size} bytes (changed while serving?)`);
      filled += n;
    }
    return buf;
  }

  private dropChunksBefore(index: number): void {
    if (index <= this.firstKeptChunk) return;
    this.firstKeptChunk = index;
    for (const [k, chunk] of this.chunks) {
      if (k >= index) continue;
      this.chunks.delete(k);
      if (chunk.data && this.spareChunks.length < 2) this.spareChunks.push(chunk.backing);
    }
  }

  /**
   * One timer per transfer. Every window moves the deadline; the timer is not reset each time (in lock-step
   * that is once per packet) but, when it fires early, re-armed for what is left.
   */
  private armTimer(): void {
    const cap = Math.max(this.p.timeoutMs * MAX_BACKOFF_FACTOR, BACKOFF_CAP_FLOOR_MS);
    const delay = Math.min(this.p.timeoutMs * 2 ** this.attempts, cap);
    this.deadline = performance.now() + delay;
    // A pending timer due later than the new deadline (set during a backoff) would fire late: replace it.
    if (this.timer && this.timerDue > this.deadline) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.timer) {
      this.timerDue = this.deadline;
      this.timer = setTimeout(() => this.onTimer(), delay);
    }
  }

  private onTimer(): void {
    this.timer = null;
    if (this.finished) return;
    const left = this.deadline - performance.now();
    if (left > 1) {
      this.timerDue = this.deadline;
      this.timer = setTimeout(() => this.onTimer(), left);
      return;
    }
    this.onTimeout();
  }

  private onTimeout(): void {
    this.attempts++;
    if (this.attempts > this.p.retries) {
      this.fail(`timed out after ${this.p.retries} retransmissions`, true);
      return;
    }
    this.stats.retransmits++;
    this.p.log.debug(`retransmit ${this.awaitingOackAck ? 'OACK' : `block ${this.base}`} to ${this.clientLabel} (attempt ${this.attempts})`);
    if (this.awaitingOackAck) this.sendOack();
    else this.sendWindow();
  }

  private sendTo(buf: Buffer): void {
    this.p.socket.send(buf);
  }

  private complete(): void {
    const durationMs = performance.now() - this.startedAt;
    const { dataSent, retransmits, gsoSends } = this.stats;
    this.p.log.info(`${this.clientLabel} sent ${this.p.path} (${this.size} bytes in ${durationMs.toFixed(0)} ms; ${dataSent} DATA, ${retransmits} retransmissions, ${gsoSends} GSO sends)`);
    this.finish('end', undefined);
  }

  private fail(reason: string, tellClient: boolean): void {
    if (this.finished) return;
    this.p.log.warn(`${this.clientLabel} transfer of ${this.p.path} failed: ${reason}`);
    let flushed: Promise<void> = Promise.resolve();
    if (tellClient) {
      const packet = encodeTftpPacket({ opcode: TftpOpcode.Error, code: TftpErrorCode.NotDefined, message: reason });
      // Closing before dgram reports the send done could drop the ERROR (a send queued on EAGAIN).
      flushed = new Promise((res) => this.p.socket.send(packet, () => res()));
    }
    this.finish('error', reason, flushed);
  }

  private finish(action: 'end' | 'error', error: string | undefined, flushed: Promise<void> = Promise.resolve()): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.chunks.clear();
    this.event(action, error === undefined ? {} : { error });
    const socket = this.p.socket;
    const closed = flushed.then(
      () =>
        new Promise<void>((res) => {
          try {
            socket.close(() => res());
          } catch {
            res(); // already closed
          }
        }),
    );
    Promise.allSettled([closed, this.p.file.close()]).then(() => this.resolveDone());
  }

  private bytesDone(): number {
    if (this.awaitingOackAck) return 0;
    return Math.min(this.size, (this.base - 1) * this.blksize);
  }

  private event(action: FileEvent['action'], extra: Partial<FileEvent>): void {
    const bytes = action === 'end' ? this.size : this.bytesDone();
    this.p.emit(tftpFileEvent(action, { client: this.clientLabel, path: this.p.path, size: this.size, bytes, startedAt: this.startedAt }, extra));
  }
}

/** A transfer's file event (start, progress, end, error) with its rate since `startedAt` (performance.now()). */
export function tftpFileEvent(
  action: FileEvent['action'],
  t: { client: string; path: string; size: number; bytes: number; startedAt: number },
  extra: Partial<FileEvent> = {},
): FileEvent {
  const durationMs = Math.round(performance.now() - t.startedAt);
  return {
    type: 'file',
    time: nowIso(),
    protocol: 'tftp',
    action,
    client: t.client,
    path: t.path,
    size: t.size,
    bytes: t.bytes,
    rate: durationMs > 0 ? Math.round((t.bytes * 1000) / durationMs) : 0,
    durationMs,
    ...extra,
  };
}
