/**
 * TFTP packets <-> bytes (RFC 1350 section 5, RFC 2347 for options and OACK). Pure: no sockets, clock or
 * logger. Every length is checked before it is read; a bad datagram throws TftpDecodeError with the byte
 * offset where it went wrong, so the server can log it and drop it.
 */
import { TftpLimits, TftpOpcode, type TftpErrorCode } from './tftp-constants';

/** One option from a request or an OACK. `name` is lower-cased: option names are case-insensitive (RFC 2347). */
export interface TftpOption {
  name: string;
  value: string;
}

export interface TftpRequestPacket {
  opcode: typeof TftpOpcode.ReadRequest | typeof TftpOpcode.WriteRequest;
  filename: string;
  /** Lower-cased; RFC 1350 says the mode is case-insensitive. Not validated here (the server decides). */
  mode: string;
  /** In wire order; duplicates are dropped (the first one wins). */
  options: TftpOption[];
}

export interface TftpDataPacket {
  opcode: typeof TftpOpcode.Data;
  /** 0..65535 (wraps past 65535). */
  block: number;
  /** A view into the decoded datagram (not a copy). */
  data: Buffer;
}

export interface TftpAckPacket {
  opcode: typeof TftpOpcode.Ack;
  block: number;
}

export interface TftpErrorPacket {
  opcode: typeof TftpOpcode.Error;
  /** Usually a TftpErrorCode; any 16-bit value is decoded. */
  code: TftpErrorCode | number;
  message: string;
}

export interface TftpOackPacket {
  opcode: typeof TftpOpcode.OptionAck;
  options: TftpOption[];
}

export type TftpPacket = TftpRequestPacket | TftpDataPacket | TftpAckPacket | TftpErrorPacket | TftpOackPacket;

/** Why a datagram could not be decoded, and at which byte. */
export class TftpDecodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'TftpDecodeError';
    this.offset = offset;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a NUL-terminated string starting at `start`; returns it and the offset after the NUL. */
function readCString(buf: Buffer, start: number, what: string): { text: string; next: number } {
  if (start >= buf.length) throw new TftpDecodeError(`missing ${what}`, start);
  const nul = buf.indexOf(0, start);
  if (nul < 0) throw new TftpDecodeError(`${what} is not NUL-terminated`, start);
  let text: string;
  try {
    text = utf8.decode(buf.subarray(start, nul));
  } catch {
    throw new TftpDecodeError(`${what} is not valid UTF-8`, start);
  }
  return { text, next: nul + 1 };
}

function readOptions(buf: Buffer, start: number): TftpOption[] {
  const options: TftpOption[] = [];
  const seen = new Set<string>();
  let at = start;
  while (at < buf.length) {
    const name = readCString(buf, at, 'option name');
    if (name.text.length === 0) throw new TftpDecodeError('empty option name', at);
    if (name.next >= buf.length) throw new TftpDecodeError(`option "${name.text}" has no value`, name.next);
    const value = readCString(buf, name.next, `value of option "${name.text}"`);
    const key = name.text.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      options.push({ name: key, value: value.text });
    }
    at = value.next;
  }
  return options;
}

/** Decodes one datagram. Throws TftpDecodeError; never reads past the end of `buf`. */
export function decodeTftpPacket(buf: Buffer): TftpPacket {
  if (buf.length < 2) throw new TftpDecodeError(`datagram of ${buf.length} byte(s) is shorter than an opcode`, 0);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case TftpOpcode.ReadRequest:
    case TftpOpcode.WriteRequest: {
      const filename = readCString(buf, 2, 'filename');
      if (filename.text.length === 0) throw new TftpDecodeError('empty filename', 2);
      const mode = readCString(buf, filename.next, 'mode');
      if (mode.text.length === 0) throw new TftpDecodeError('empty mode', filename.next);
      return { opcode, filename: filename.text, mode: mode.text.toLowerCase(), options: readOptions(buf, mode.next) };
    }
    case TftpOpcode.Data:
      if (buf.length < TftpLimits.headerSize) throw new TftpDecodeError('DATA shorter than 4 bytes', buf.length);
      return { opcode, block: buf.readUInt16BE(2), data: buf.subarray(TftpLimits.headerSize) };
    case TftpOpcode.Ack:
      // Trailing bytes after the block number are ignored rather than refused: dropping a padded ACK
      // would stall a transfer, and the 4 bytes we need are there.
      if (buf.length < TftpLimits.headerSize) throw new TftpDecodeError('ACK shorter than 4 bytes', buf.length);
      return { opcode, block: buf.readUInt16BE(2) };
    case TftpOpcode.Error: {
      if (buf.length < TftpLimits.headerSize) throw new TftpDecodeError('ERROR shorter than 4 bytes', buf.length);
      const code = buf.readUInt16BE(2);
      // Some stacks omit the final NUL of the message; take the rest of the datagram then.
      const nul = buf.indexOf(0, TftpLimits.headerSize);
      const end = nul < 0 ? buf.length : nul;
      const message = buf.subarray(TftpLimits.headerSize, end).toString('latin1');
      return { opcode, code, message };
    }
    case TftpOpcode.OptionAck:
      return { opcode, options: readOptions(buf, 2) };
    default:
      throw new TftpDecodeError(`unknown opcode ${opcode}`, 0);
  }
}

function checkCString(text: string, what: string): Buffer {
  if (text.includes('\0')) throw new RangeError(`${what} contains a NUL character`);
  return Buffer.from(text, 'utf8');
}

function checkBlock(block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= TftpLimits.blockModulo) {
    throw new RangeError(`block number ${block} is outside 0..65535`);
  }
}

function encodeOptions(options: readonly TftpOption[]): Buffer[] {
  const parts: Buffer[] = [];
  for (const o of options) {
    if (o.name.length === 0) throw new RangeError('empty option name');
    parts.push(checkCString(o.name, 'option name'), Buffer.of(0), checkCString(o.value, `option ${o.name}`), Buffer.of(0));
  }
  return parts;
}

function opcodeBytes(opcode: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(opcode, 0);
  return b;
}

/** Encodes any packet. Throws RangeError on values that cannot go on the wire (NUL in a string, block > 65535). */
export function encodeTftpPacket(packet: TftpPacket): Buffer {
  switch (packet.opcode) {
    case TftpOpcode.ReadRequest:
    case TftpOpcode.WriteRequest: {
      if (packet.filename.length === 0) throw new RangeError('empty filename');
      return Buffer.concat([
        opcodeBytes(packet.opcode),
        checkCString(packet.filename, 'filename'),
        Buffer.of(0),
        checkCString(packet.mode, 'mode'),
        Buffer.of(0),
        ...encodeOptions(packet.options),
      ]);
    }
    case TftpOpcode.Data: {
      checkBlock(packet.block);
      const out = Buffer.allocUnsafe(TftpLimits.headerSize + packet.data.length);
      writeDataHeader(out, packet.block);
      packet.data.copy(out, TftpLimits.headerSize);
      return out;
    }
    case TftpOpcode.Ack: {
      checkBlock(packet.block);
      const out = Buffer.allocUnsafe(TftpLimits.headerSize);
      out.writeUInt16BE(TftpOpcode.Ack, 0);
      out.writeUInt16BE(packet.block, 2);
      return out;
    }
    case TftpOpcode.Error: {
      if (!Number.isInteger(packet.code) || packet.code < 0 || packet.code > 0xffff) {
        throw new RangeError(`error code ${packet.code} is outside 0..65535`);
      }
      const head = Buffer.allocUnsafe(TftpLimits.headerSize);
      head.writeUInt16BE(TftpOpcode.Error, 0);
      head.writeUInt16BE(packet.code, 2);
      return Buffer.concat([head, checkCString(packet.message, 'error message'), Buffer.of(0)]);
    }
    case TftpOpcode.OptionAck:
      return Buffer.concat([opcodeBytes(TftpOpcode.OptionAck), ...encodeOptions(packet.options)]);
  }
}

/**
 * Writes a DATA header (opcode + block number, wrapped to 16 bits) at the start of `buf`. The server
 * uses this to send file data without copying it into a fresh packet.
 */
export function writeDataHeader(buf: Buffer, block: number): void {
  if (buf.length < TftpLimits.headerSize) throw new RangeError('buffer too small for a DATA header');
  buf.writeUInt16BE(TftpOpcode.Data, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
}

/** Looks an option up by name, case-insensitively. */
export function findTftpOption(options: readonly TftpOption[], name: string): string | undefined {
  const key = name.toLowerCase();
  return options.find((o) => o.name === key)?.value;
}
