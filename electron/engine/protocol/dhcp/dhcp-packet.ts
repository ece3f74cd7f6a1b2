/**
 * A DHCP/BOOTP message <-> bytes (RFC 2131 section 2). Pure: no sockets, clock or logger. Decoding checks every
 * length and throws DhcpDecodeError (with the byte offset) for input it cannot read; it never reads past the buffer.
 */
import { formatIpv4, parseIpv4 } from '../../../../shared/net/ipv4';
import { DhcpDecodeError, DhcpEncodeError } from './dhcp-codec-error';
import {
  BOOTP_MIN_SIZE,
  BootOp,
  DhcpOption,
  HeaderLayout as H,
  IP_UDP_HEADER_SIZE,
  MAGIC_COOKIE,
  MIN_IP_DATAGRAM,
  Overload,
} from './dhcp-constants';
import {
  encodeOptionEntry,
  parseOptionArea,
  readOptionValues,
  readOverload,
  u8Data,
  type DhcpOptionEntry,
  type DhcpOptionValues,
} from './dhcp-options';

/** The fields of a message. Addresses are dotted quads; `chaddr` is the whole 16-byte field. */
export interface DhcpPacket {
  op: BootOp;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: Buffer;
  /** Server host name field as text ('' when empty or when it carries overloaded options). */
  sname: string;
  /** Boot file name field as text ('' when empty or when it carries overloaded options). */
  file: string;
  /** Options in wire order: the options field, then `file`, then `sname` when option 52 says so (RFC 3396 s5). */
  options: DhcpOptionEntry[];
}

export interface DecodedDhcpPacket extends DhcpPacket, DhcpOptionValues {
  /** The first `hlen` bytes of chaddr as lower-case colon hex ("52:54:00:00:00:10"). */
  mac: string;
  /** Option 52, when the message used `file`/`sname` for options. */
  overload?: number;
}

export const DHCP_HEADER_SIZE = H.options; // 236-byte BOOTP header + 4-byte magic cookie

export function decodeDhcpPacket(buf: Buffer): DecodedDhcpPacket {
  if (buf.length < DHCP_HEADER_SIZE) {
    throw new DhcpDecodeError(`message is ${buf.length} bytes, shorter than the ${DHCP_HEADER_SIZE}-byte header`, buf.length);
  }
  const op = buf[H.op]!;
  if (op !== BootOp.Request && op !== BootOp.Reply) throw new DhcpDecodeError(`op is ${op}, expected 1 or 2`, H.op);
  const hlen = buf[H.hlen]!;
  if (hlen > H.chaddrSize) throw new DhcpDecodeError(`hlen is ${hlen}, chaddr holds at most ${H.chaddrSize}`, H.hlen);
  const cookie = buf.readUInt32BE(H.magicCookie);
  if (cookie !== MAGIC_COOKIE) {
    throw new DhcpDecodeError(`magic cookie is 0x${cookie.toString(16).padStart(8, '0')}, expected 0x63825363`, H.magicCookie);
  }

  const main = parseOptionArea(buf, H.options, buf.length, 'options field');
  const problems: string[] = [];
  if (!main.sawEnd) problems.push('options field has no END option');
  const overload = readOverload(main.entries, H.options);
  const entries = [...main.entries];
  // RFC 3396 section 5: options field first, then file, then sname.
  if (overload === Overload.File || overload === Overload.Both) {
    entries.push(...overloadArea(buf, H.file, H.fileSize, 'file field', problems));
  }
  if (overload === Overload.Sname || overload === Overload.Both) {
    entries.push(...overloadArea(buf, H.sname, H.snameSize, 'sname field', problems));
  }
  const values = readOptionValues(entries, H.options);
  values.problems.unshift(...problems);

  const chaddr = Buffer.from(buf.subarray(H.chaddr, H.chaddr + H.chaddrSize));
  const fileIsOptions = overload === Overload.File || overload === Overload.Both;
  const snameIsOptions = overload === Overload.Sname || overload === Overload.Both;
  return {
    op,
    htype: buf[H.htype]!,
    hlen,
    hops: buf[H.hops]!,
    xid: buf.readUInt32BE(H.xid),
    secs: buf.readUInt16BE(H.secs),
    flags: buf.readUInt16BE(H.flags),
    ciaddr: formatIpv4(buf.readUInt32BE(H.ciaddr)),
    yiaddr: formatIpv4(buf.readUInt32BE(H.yiaddr)),
    siaddr: formatIpv4(buf.readUInt32BE(H.siaddr)),
    giaddr: formatIpv4(buf.readUInt32BE(H.giaddr)),
    chaddr,
    sname: snameIsOptions ? '' : cString(buf, H.sname, H.snameSize),
    file: fileIsOptions ? '' : cString(buf, H.file, H.fileSize),
    options: entries,
    mac: formatMac(chaddr.subarray(0, hlen)),
    ...(overload !== undefined ? { overload } : {}),
    ...values,
  };
}

function overloadArea(buf: Buffer, start: number, size: number, where: string, problems: string[]): DhcpOptionEntry[] {
  const area = parseOptionArea(buf, start, start + size, where);
  if (!area.sawEnd) problems.push(`${where} carries options but no END option`);
  // Option 52 only counts in the options field (RFC 2132 section 9.3); a nested one would loop.
  const nested = area.entries.filter((e) => e.code === DhcpOption.Overload).length;
  if (nested) problems.push(`${where} carries option 52, ignored`);
  return nested ? area.entries.filter((e) => e.code !== DhcpOption.Overload) : area.entries;
}

function cString(buf: Buffer, start: number, size: number): string {
  const field = buf.subarray(start, start + size);
  const nul = field.indexOf(0);
  return field.toString('latin1', 0, nul === -1 ? size : nul);
}

export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface EncodeOptions {
  /**
   * The client's option 57 (whole IP datagram, RFC 2132 section 9.10). Replies never exceed it, nor 576 when absent;
   * options that do not fit move into `file` and `sname` via option 52 when those are empty.
   */
  maxMessageSize?: number;
}

export function encodeDhcpPacket(p: DhcpPacket, opts: EncodeOptions = {}): Buffer {
  if (p.chaddr.length > H.chaddrSize) throw new DhcpEncodeError(`chaddr is ${p.chaddr.length} bytes, at most ${H.chaddrSize}`);
  const sname = Buffer.from(p.sname, 'latin1');
  const file = Buffer.from(p.file, 'latin1');
  // Keep room for the terminating NUL: firmware read these with strcpy-like code.
  if (sname.length >= H.snameSize) throw new DhcpEncodeError(`sname is ${sname.length} bytes, at most ${H.snameSize - 1}`);
  if (file.length >= H.fileSize) throw new DhcpEncodeError(`file is ${file.length} bytes, at most ${H.fileSize - 1}`);
  const limit = Math.min(0xffff, Math.max(MIN_IP_DATAGRAM, opts.maxMessageSize ?? MIN_IP_DATAGRAM)) - IP_UDP_HEADER_SIZE;

  const encoded = p.options.filter((e) => e.code !== DhcpOption.Overload).map(encodeOptionEntry);
  const mainBytes = encoded.reduce((n, b) => n + b.length, 0);
  let main: Buffer[] = encoded;
  let fileArea: Buffer[] | null = null;
  let snameArea: Buffer[] | null = null;

  if (DHCP_HEADER_SIZE + mainBytes + 1 > limit) {
    // Option overload (RFC 2132 section 9.3): fill the options field, then file, then sname, keeping the order.
    const areas: { items: Buffer[]; room: number }[] = [{ items: [], room: limit - DHCP_HEADER_SIZE - 1 - 3 }];
    if (file.length === 0) areas.push({ items: [], room: H.fileSize - 1 });
    if (sname.length === 0) areas.push({ items: [], room: H.snameSize - 1 });
    let a = 0;
    for (const b of encoded) {
      while (a < areas.length && areas[a]!.room < b.length) a++;
      const area = areas[a];
      if (!area) throw new DhcpEncodeError(`options need more than the client's ${limit + IP_UDP_HEADER_SIZE}-byte limit`);
      area.items.push(b);
      area.room -= b.length;
    }
    const usedFile = file.length === 0 && areas[1]!.items.length > 0;
    const snameIndex = file.length === 0 ? 2 : 1;
    const usedSname = sname.length === 0 && (areas[snameIndex]?.items.length ?? 0) > 0;
    const value = usedFile && usedSname ? Overload.Both : usedFile ? Overload.File : Overload.Sname;
    main = [...areas[0]!.items, encodeOptionEntry({ code: DhcpOption.Overload, data: u8Data(value) })];
    if (usedFile) fileArea = areas[1]!.items;
    if (usedSname) snameArea = areas[snameIndex]!.items;
  }

  const optionsBody = Buffer.concat([...main, Buffer.from([DhcpOption.End])]);
  const size = Math.max(BOOTP_MIN_SIZE, DHCP_HEADER_SIZE + optionsBody.length);
  const out = Buffer.alloc(size); // zero fill = pad options after END
  out[H.op] = p.op;
  out[H.htype] = p.htype;
  out[H.hlen] = p.hlen;
  out[H.hops] = p.hops;
  out.writeUInt32BE(p.xid >>> 0, H.xid);
  out.writeUInt16BE(p.secs & 0xffff, H.secs);
  out.writeUInt16BE(p.flags & 0xffff, H.flags);
  writeIp(out, H.ciaddr, p.ciaddr, 'ciaddr');
  writeIp(out, H.yiaddr, p.yiaddr, 'yiaddr');
  writeIp(out, H.siaddr, p.siaddr, 'siaddr');
  writeIp(out, H.giaddr, p.giaddr, 'giaddr');
  p.chaddr.copy(out, H.chaddr);
  if (snameArea) Buffer.concat([...snameArea, Buffer.from([DhcpOption.End])]).copy(out, H.sname);
  else sname.copy(out, H.sname);
  if (fileArea) Buffer.concat([...fileArea, Buffer.from([DhcpOption.End])]).copy(out, H.file);
  else file.copy(out, H.file);
  out.writeUInt32BE(MAGIC_COOKIE, H.magicCookie);
  optionsBody.copy(out, H.options);
  return out;
}

function writeIp(out: Buffer, offset: number, ip: string, field: string): void {
  const n = parseIpv4(ip);
  if (n === null) throw new DhcpEncodeError(`${field} "${ip}" is not an IPv4 address`);
  out.writeUInt32BE(n, offset);
}
