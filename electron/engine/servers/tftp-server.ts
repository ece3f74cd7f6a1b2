/**
 * Read-only TFTP server: RFC 1350 with RFC 2347 option negotiation, RFC 2348 blksize, RFC 2349 tsize and
 * timeout, RFC 7440 windowsize. Requests arrive on the well-known port; each transfer then runs on its own
 * ephemeral socket (tftp-transfer.ts). Files come from a FileSource, so a file inside an ISO is streamed.
 * Anything that fails to decode is logged and dropped; only a failed bind stops the server.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import { nowIso, type ServiceInfo } from '../../../shared/model/engine-event';
import type { FileSource, OpenFile } from '../files/file-source';
import { createLog, type Log } from '../log';
import { TFTP_WELL_KNOWN_PORT, TftpErrorCode, TftpMode, TftpOpcode } from '../protocol/tftp/tftp-constants';
import { isNegotiationRefusal, negotiateReadOptions } from '../protocol/tftp/tftp-options';
import { decodeTftpPacket, encodeTftpPacket, TftpDecodeError, type TftpPacket, type TftpRequestPacket } from '../protocol/tftp/tftp-packet';
import { listenError } from './listen-error';
import type { NetworkService, ServiceContext } from './network-service';
import { loadTftpNative, nativeSpansOf, NativeLockstepTransfer, tftpNativeDisabledByEnv, type NativeTransferParams } from './tftp-native';
import { readChunkBytesFor, TftpTransfer, type TftpTransferHandle } from './tftp-transfer';

export const DEFAULT_TFTP_PORT = TFTP_WELL_KNOWN_PORT;
/** 1500-byte Ethernet MTU - 20 (IPv4) - 8 (UDP) - 4 (TFTP header). What iPXE and most firmware ask for. */
export const DEFAULT_TFTP_MAX_BLKSIZE = 1468;
/** RFC 7440 windowsize cap. 16 x 1468 = 23 KB per burst: fits default socket buffers with room to spare. */
export const DEFAULT_TFTP_MAX_WINDOWSIZE = 16;
/** Cap on one window's bytes (blksize x windowsize), whatever the client asks (see TftpNegotiationLimits). */
export const DEFAULT_TFTP_MAX_WINDOW_BYTES = 256 * 1024;
export const DEFAULT_TFTP_TIMEOUT_MS = 1000;
/**
 * Retransmissions of one window before giving up. 5 was too few for long transfers on a lossy link: with 5%
 * loss each way a round trip fails ~10% of the time, and 6 failures in a row then happen about once per
 * million round trips, i.e. in roughly 1 of 3 sets of ten 20 MB transfers at 512-byte blocks. 8 retries at
 * the default timeout still give up on a vanished client within a minute (1+2+4+6x8 = 55 s).
 */
export const DEFAULT_TFTP_RETRIES = 8;
export const DEFAULT_TFTP_MAX_TRANSFERS = 256;

export interface TftpServerOptions {
  bindAddress: string;
  /** 0 picks a free port (tests); services() reports the real one. */
  port?: number;
  source: FileSource;
  maxBlksize?: number;
  maxWindowsize?: number;
  /** Base retransmission timeout; a client's RFC 2349 timeout option overrides it for its transfer. */
  timeoutMs?: number;
  /** Retransmissions (with doubling backoff) before a transfer is abandoned. */
  retries?: number;
  maxTransfers?: number;
  /** Send each window in one UDP GSO call where the OS offers it (Linux; see tftp-udp-gso.ts). Default true. */
  udpGso?: boolean;
  /**
   * Run lock-step transfers of files on disk or inside an ISO in the native addon (tftp-native.ts) where it
   * is built. Default true, unless FIELDBOOT_TFTP_NATIVE=0.
   */
  nativeLockstep?: boolean;
}

/** The parameters both transfer kinds share. */
type TransferCommon = Omit<NativeTransferParams, 'addon' | 'bindAddress'>;

export class TftpServer implements NetworkService {
  private readonly log: Log;
  private readonly port: number;
  private readonly maxBlksize: number;
  private readonly maxWindowsize: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxTransfers: number;
  private socket: Socket | null = null;
  private boundPort = 0;
  private stopping = false;
  /** Keyed by client "ip:port"; also holds requests still opening their file (value null). */
  private readonly transfers = new Map<string, TftpTransferHandle | null>();

  constructor(
    private readonly options: TftpServerOptions,
    private readonly ctx: ServiceContext,
  ) {
    this.log = createLog(ctx.logSink, 'TFTP');
    this.port = options.port ?? DEFAULT_TFTP_PORT;
    this.maxBlksize = options.maxBlksize ?? DEFAULT_TFTP_MAX_BLKSIZE;
    this.maxWindowsize = options.maxWindowsize ?? DEFAULT_TFTP_MAX_WINDOWSIZE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TFTP_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_TFTP_RETRIES;
    this.maxTransfers = options.maxTransfers ?? DEFAULT_TFTP_MAX_TRANSFERS;
  }

  async start(): Promise<void> {
    if (this.socket) throw new FieldbootError(ErrorCode.AlreadyServing, 'TFTP server already started');
    this.stopping = false;
    const socket = createSocket({ type: 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.port, this.options.bindAddress, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      try {
        socket.close();
      } catch {}
      throw listenError(err, 'TFTP', this.options.bindAddress, this.port);
    }
    this.socket = socket;
    this.boundPort = socket.address().port;
    socket.on('error', (err) => this.log.warn(`listener error: ${err.message}`));
    socket.on('message', (msg, rinfo) => this.onRequestDatagram(msg, rinfo));
    this.log.info(`listening on ${this.options.bindAddress}:${this.boundPort}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((res) => socket.close(() => res()));
    const running = [...this.transfers.values()].filter((t): t is TftpTransferHandle => t !== null);
    await Promise.all(running.map((t) => t.abort('Server shutting down')));
    this.transfers.clear();
  }

  services(): ServiceInfo[] {
    return this.socket ? [{ name: 'tftp', address: this.options.bindAddress, port: this.boundPort }] : [];
  }

  /** Transfers in flight (tests and diagnostics). */
  activeTransfers(): TftpTransferHandle[] {
    return [...this.transfers.values()].filter((t): t is TftpTransferHandle => t !== null);
  }

  private onRequestDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(msg);
    } catch (err) {
      if (!(err instanceof TftpDecodeError)) throw err;
      this.log.debug(`dropped malformed datagram from ${rinfo.address}:${rinfo.port}: ${err.message}`, {
        fields: { hex: msg.subarray(0, 128).toString('hex'), length: msg.length },
      });
      return;
    }
    switch (packet.opcode) {
      case TftpOpcode.ReadRequest:
        this.log.debug(`RRQ from ${rinfo.address}:${rinfo.port}`, { fields: { hex: msg.toString('hex') } });
        this.onReadRequest(packet, rinfo).catch((err: unknown) => {
          this.log.error(`RRQ ${packet.filename} from ${rinfo.address}:${rinfo.port} failed: ${err instanceof Error ? err.message : String(err)}`);
        });
        return;
      case TftpOpcode.WriteRequest:
        this.log.info(`refused WRQ ${packet.filename} from ${rinfo.address}:${rinfo.port} (read-only server)`);
        this.replyError(rinfo, TftpErrorCode.AccessViolation, 'Access violation');
        return;
      case TftpOpcode.Data:
      case TftpOpcode.Ack:
      case TftpOpcode.Error:
      case TftpOpcode.OptionAck:
        // Late packets of a finished transfer, or noise: nothing on the request port expects them.
        this.log.debug(`ignored opcode ${packet.opcode} on the request port from ${rinfo.address}:${rinfo.port}`);
        return;
    }
  }

  private replyError(rinfo: RemoteInfo, code: TftpErrorCode, message: string): void {
    this.socket?.send(encodeTftpPacket({ opcode: TftpOpcode.Error, code, message }), rinfo.port, rinfo.address);
  }

  private emitRefusal(rinfo: RemoteInfo, path: string, error: string): void {
    this.ctx.emit({ type: 'file', time: nowIso(), protocol: 'tftp', action: 'error', client: `${rinfo.address}:${rinfo.port}`, path, bytes: 0, error });
  }

  private async onReadRequest(req: TftpRequestPacket, rinfo: RemoteInfo): Promise<void> {
    const key = `${rinfo.address}:${rinfo.port}`;
    if (this.transfers.has(key)) {
      // The client repeated its RRQ because our first answer was slow or lost; the running transfer's
      // own retransmission answers it. A second transfer would talk to the same client from two TIDs.
      this.log.debug(`repeated RRQ from ${key} ignored (transfer already running)`);
      return;
    }
    if (req.mode !== TftpMode.Octet && req.mode !== TftpMode.Netascii) {
      this.replyError(rinfo, TftpErrorCode.IllegalOperation, `Unsupported mode ${req.mode}`);
      return;
    }
    // netascii is served byte for byte like octet: boot files are binary, and converting line ends
    // would make the size differ from tsize. Every loader asks for octet anyway.
    if (this.transfers.size >= this.maxTransfers) {
      this.log.warn(`refused RRQ ${req.filename} from ${key}: ${this.maxTransfers} transfers already running`);
      this.replyError(rinfo, TftpErrorCode.NotDefined, 'Server busy, try again');
      return;
    }
    this.transfers.set(key, null);
    let file: OpenFile | null = null;
    let handedOver = false;
    try {
      file = await this.options.source.open(req.filename);
      if (this.stopping) return;
      if (!file) {
        this.log.info(`${key} RRQ ${req.filename}: not found`);
        this.replyError(rinfo, TftpErrorCode.FileNotFound, 'File not found');
        this.emitRefusal(rinfo, req.filename, 'File not found');
        return;
      }
      const negotiated = negotiateReadOptions(
        req.options,
        { maxBlksize: this.maxBlksize, maxWindowsize: this.maxWindowsize, maxWindowBytes: DEFAULT_TFTP_MAX_WINDOW_BYTES },
        file.size,
      );
      if (isNegotiationRefusal(negotiated)) {
        this.log.info(`${key} RRQ ${req.filename}: option refused (${negotiated.message})`);
        this.replyError(rinfo, negotiated.error, negotiated.message);
        this.emitRefusal(rinfo, req.filename, negotiated.message);
        return;
      }
      // What either kind of transfer takes; the JavaScript one adds its socket, the native one its addon.
      const common: TransferCommon = {
        client: { address: rinfo.address, port: rinfo.port },
        file,
        path: req.filename,
        negotiated,
        timeoutMs: negotiated.timeoutMs ?? this.timeoutMs,
        retries: this.retries,
        readChunkBytes: readChunkBytesFor(this.transfers.size - 1), // this request holds a slot already
        log: this.log,
        emit: (e) => this.ctx.emit(e),
      };
      let transfer: TftpTransferHandle | null = this.startNative(common);
      if (!transfer) {
        const socket = await this.openTransferSocket(rinfo);
        if (this.stopping) {
          socket.close();
          return;
        }
        transfer = new TftpTransfer({ ...common, socket, udpGso: this.options.udpGso ?? true });
        transfer.start();
      }
      handedOver = true;
      const running = transfer;
      this.transfers.set(key, running);
      running.done.then(() => {
        if (this.transfers.get(key) === running) this.transfers.delete(key);
      });
    } catch (err) {
      this.replyError(rinfo, TftpErrorCode.NotDefined, 'Server error');
      throw err;
    } finally {
      if (!handedOver) {
        this.transfers.delete(key);
        await file?.close().catch(() => {});
      }
    }
  }

  /**
   * A lock-step transfer of a file with real bytes on disk runs in the native addon when it is there; null
   * otherwise (windowed, generated or empty file, addon missing or turned off, or it refused to start).
   */
  private startNative(common: TransferCommon): TftpTransferHandle | null {
    if (common.negotiated.windowsize !== 1 || this.options.nativeLockstep === false || tftpNativeDisabledByEnv()) return null;
    const { addon } = loadTftpNative();
    const where = addon ? nativeSpansOf(common.file) : null;
    if (!addon || !where) return null;
    const transfer = new NativeLockstepTransfer({ ...common, addon, bindAddress: this.options.bindAddress }, where);
    try {
      transfer.start();
    } catch (err) {
      this.log.debug(`${common.client.address}:${common.client.port} native transfer refused (${err instanceof Error ? err.message : String(err)}); JavaScript path`);
      return null;
    }
    return transfer;
  }

  private openTransferSocket(client: RemoteInfo): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: 'udp4' });
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
      // Its own ephemeral port, on the same address the request came to (RFC 1350 section 4, "TID"),
      // connected to the client's TID: sends skip address handling (see tftp-transfer.ts) and the kernel
      // keeps other senders' packets away from the transfer.
      s.bind(0, this.options.bindAddress, () => {
        s.connect(client.port, client.address, () => {
          s.removeAllListeners('error');
          resolve(s);
        });
      });
    });
  }
}
