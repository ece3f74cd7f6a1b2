/**
 * Option negotiation for a read request (RFC 2347), pure. Given what the client asked for, the server's
 * limits and the file size, says what the transfer will use and what goes into the OACK.
 */
import { TftpErrorCode, TftpLimits, TftpOptionName } from './tftp-constants';
import type { TftpOption } from './tftp-packet';

export interface TftpNegotiationLimits {
  /** Largest blksize the server will agree to (RFC 2348 lets it answer with a smaller value). */
  maxBlksize: number;
  /** Largest windowsize the server will agree to (RFC 7440 lets it answer with a smaller value). */
  maxWindowsize: number;
  /**
   * Cap on blksize * windowsize. A window is sent as one burst; bursts above a few hundred KB overflow
   * typical receive buffers and turn into losses, so the window shrinks for very large blocks.
   */
  maxWindowBytes: number;
}

export interface TftpNegotiated {
  blksize: number;
  windowsize: number;
  /** Retransmission timeout the client asked for (RFC 2349), in ms; null when it did not ask. */
  timeoutMs: number | null;
  /** Options for the OACK, in the client's order. Empty: no OACK, start with DATA 1 (RFC 2347). */
  reply: TftpOption[];
}

export interface TftpNegotiationRefusal {
  error: typeof TftpErrorCode.OptionRefused;
  message: string;
}

/** A strictly decimal integer (no sign, no exponent, at most 10 digits), or null. */
export function parseOptionInteger(value: string): number | null {
  if (!/^[0-9]{1,10}$/.test(value)) return null;
  return Number(value);
}

export function negotiateReadOptions(
  requested: readonly TftpOption[],
  limits: TftpNegotiationLimits,
  fileSize: number,
): TftpNegotiated | TftpNegotiationRefusal {
  let blksize: number = TftpLimits.defaultBlksize;
  let windowsize = 1;
  let timeoutMs: number | null = null;
  const reply: TftpOption[] = [];
  let windowIndex = -1;

  for (const opt of requested) {
    switch (opt.name) {
      case TftpOptionName.Blksize: {
        const n = parseOptionInteger(opt.value);
        // RFC 2348: values below 8 are invalid; a value we cannot read is refused the same way rather
        // than silently falling back to 512, which the client did not ask for.
        if (n === null || n < TftpLimits.minBlksize) {
          return { error: TftpErrorCode.OptionRefused, message: `blksize "${opt.value}" is not between 8 and 65464` };
        }
        blksize = Math.min(n, limits.maxBlksize, TftpLimits.maxBlksize);
        reply.push({ name: opt.name, value: String(blksize) });
        break;
      }
      case TftpOptionName.Tsize:
        // RFC 2349: in a read request the client sends 0 and the server answers with the file size.
        // Not for an empty file: curl (7.88) rejects "tsize 0" in an OACK as an illegal operation and
        // aborts, and leaving an option out of the OACK is always allowed (RFC 2347).
        if (fileSize > 0) reply.push({ name: opt.name, value: String(fileSize) });
        break;
      case TftpOptionName.Timeout: {
        const n = parseOptionInteger(opt.value);
        // RFC 2349: 1..255 seconds; the OACK must echo the requested value. Anything else: not acknowledged.
        if (n !== null && n >= TftpLimits.minTimeoutSeconds && n <= TftpLimits.maxTimeoutSeconds) {
          timeoutMs = n * 1000;
          reply.push({ name: opt.name, value: String(n) });
        }
        break;
      }
      case TftpOptionName.Windowsize: {
        const n = parseOptionInteger(opt.value);
        // RFC 7440 section 3: 1..65535; an invalid value is not acknowledged (lock-step transfer).
        if (n !== null && n >= TftpLimits.minWindowsize && n <= TftpLimits.maxWindowsize) {
          windowsize = Math.min(n, limits.maxWindowsize);
          windowIndex = reply.length;
          reply.push({ name: opt.name, value: String(windowsize) });
        }
        break;
      }
      default:
        // RFC 2347: options the server does not support are simply left out of the OACK.
        break;
    }
  }
  if (windowIndex >= 0) {
    // The byte cap depends on the final blksize, which may come after windowsize in the request.
    const byBytes = Math.max(1, Math.floor(limits.maxWindowBytes / blksize));
    windowsize = Math.max(1, Math.min(windowsize, byBytes));
    reply[windowIndex] = { name: TftpOptionName.Windowsize, value: String(windowsize) };
  }
  return { blksize, windowsize, timeoutMs, reply };
}

export function isNegotiationRefusal(r: TftpNegotiated | TftpNegotiationRefusal): r is TftpNegotiationRefusal {
  return 'error' in r;
}
