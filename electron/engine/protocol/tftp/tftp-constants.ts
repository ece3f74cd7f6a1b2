/**
 * TFTP wire numbers, defined once. RFC 1350 (protocol), RFC 2347 (option extension), RFC 2348 (blksize),
 * RFC 2349 (timeout, tsize), RFC 7440 (windowsize).
 */

/** Opcodes, RFC 1350 section 5 (1-5) and RFC 2347 "Option Acknowledgment" (6). */
export const TftpOpcode = {
  ReadRequest: 1,
  WriteRequest: 2,
  Data: 3,
  Ack: 4,
  Error: 5,
  OptionAck: 6,
} as const;
export type TftpOpcode = (typeof TftpOpcode)[keyof typeof TftpOpcode];

/** Error codes, RFC 1350 appendix "Error Codes" (0-7) and RFC 2347 (8: option negotiation refused). */
export const TftpErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionRefused: 8,
} as const;
export type TftpErrorCode = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

/** Transfer modes, RFC 1350 section 1. "mail" is obsolete (RFC 1350 says so itself) and never served. */
export const TftpMode = {
  Netascii: 'netascii',
  Octet: 'octet',
  Mail: 'mail',
} as const;
export type TftpMode = (typeof TftpMode)[keyof typeof TftpMode];

/** Option names as they appear on the wire (compared case-insensitively, RFC 2347). */
export const TftpOptionName = {
  /** RFC 2348 */
  Blksize: 'blksize',
  /** RFC 2349 section "Transfer Size Option" */
  Tsize: 'tsize',
  /** RFC 2349 section "Timeout Interval Option" */
  Timeout: 'timeout',
  /** RFC 7440 */
  Windowsize: 'windowsize',
} as const;
export type TftpOptionName = (typeof TftpOptionName)[keyof typeof TftpOptionName];

export const TftpLimits = {
  /** RFC 1350: data blocks are 512 bytes unless blksize is negotiated. */
  defaultBlksize: 512,
  /** RFC 2348: "Valid values range between 8 and 65464 octets, inclusive." */
  minBlksize: 8,
  maxBlksize: 65464,
  /** RFC 2349: timeout "Valid values range between 1 and 255 seconds, inclusive." */
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 255,
  /** RFC 7440 section 3: windowsize "Valid values range between 1 and 65535 blocks, inclusive." */
  minWindowsize: 1,
  maxWindowsize: 65535,
  /** RFC 1350 section 5: 2-byte block numbers. Past 65535 the counter wraps to 0 (de-facto "rollover"). */
  blockModulo: 65536,
  /** Opcode + block number (DATA, ACK) or opcode + error code (ERROR). RFC 1350 section 5. */
  headerSize: 4,
} as const;

/** RFC 1350 well-known port ("TID 69"). */
export const TFTP_WELL_KNOWN_PORT = 69;
