/**
 * DHCP options: the type-length-value areas of a message (RFC 2132 section 2), long options split over several
 * instances (RFC 3396), encapsulated sub-options (option 43, 175), and the typed values of the options FieldBoot
 * reads. Pure: bytes in, values out; every length is checked before it is used.
 */
import { formatIpv4, parseIpv4 } from '../../../../shared/net/ipv4';
import { DhcpDecodeError, DhcpEncodeError } from './dhcp-codec-error';
import {
  CLIENT_GUID_SIZE,
  CLIENT_GUID_TYPE_UUID,
  DhcpMessageType,
  DhcpOption,
  isDhcpMessageType,
  Overload,
  PxeSubOption,
} from './dhcp-constants';

/** One option instance as it appears on the wire (code, then `data.length`, then data). */
export interface DhcpOptionEntry {
  code: number;
  data: Buffer;
}

export interface OptionArea {
  entries: DhcpOptionEntry[];
  /** Whether the area ended with option 255. RFC 2131 requires it; some clients omit it. */
  sawEnd: boolean;
}

/**
 * Read one option area `buf[start, end)`. Pad (0) is one byte, End (255) stops; everything else is code, length,
 * data. An option whose length runs past `end` throws. `where` names the area in error messages.
 */
export function parseOptionArea(buf: Buffer, start: number, end: number, where: string): OptionArea {
  const entries: DhcpOptionEntry[] = [];
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === DhcpOption.Pad) {
      i += 1;
      continue;
    }
    if (code === DhcpOption.End) return { entries, sawEnd: true };
    if (i + 1 >= end) throw new DhcpDecodeError(`option ${code} in the ${where} has no length byte`, i);
    const len = buf[i + 1]!;
    if (i + 2 + len > end) {
      throw new DhcpDecodeError(`option ${code} in the ${where} claims ${len} bytes but only ${end - i - 2} remain`, i);
    }
    // Copy: a decoded packet must not keep the (possibly large, reused) receive buffer alive.
    entries.push({ code, data: Buffer.from(buf.subarray(i + 2, i + 2 + len)) });
    i += 2 + len;
  }
  return { entries, sawEnd: false };
}

/** Encode entries in order, splitting data longer than 255 bytes into consecutive instances (RFC 3396 section 7). */
export function encodeOptionEntries(entries: readonly DhcpOptionEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(encodeOptionEntry(e));
  return Buffer.concat(parts);
}

export function encodeOptionEntry(e: DhcpOptionEntry): Buffer {
  if (!Number.isInteger(e.code) || e.code <= DhcpOption.Pad || e.code >= DhcpOption.End) {
    throw new DhcpEncodeError(`option code ${e.code} cannot be encoded (1..254 only)`);
  }
  if (e.data.length === 0) return Buffer.from([e.code, 0]);
  const parts: Buffer[] = [];
  for (let off = 0; off < e.data.length; off += 255) {
    const chunk = e.data.subarray(off, Math.min(off + 255, e.data.length));
    parts.push(Buffer.from([e.code, chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

/** All instances of `code`, concatenated in order (RFC 3396 section 6). Undefined when absent. */
export function getOptionData(entries: readonly DhcpOptionEntry[], code: number): Buffer | undefined {
  const found = entries.filter((e) => e.code === code);
  if (found.length === 0) return undefined;
  if (found.length === 1) return found[0]!.data;
  return Buffer.concat(found.map((e) => e.data));
}

// ---------------------------------------------------------------------------------------------------------------
// Value builders for replies.

export function ipData(ip: string): Buffer {
  const n = parseIpv4(ip);
  if (n === null) throw new DhcpEncodeError(`"${ip}" is not an IPv4 address`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
export function ipListData(ips: readonly string[]): Buffer {
  return Buffer.concat(ips.map(ipData));
}
export function u8Data(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}
export function u16Data(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
export function u32Data(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
/** Option text is NVT ASCII without a terminating NUL (RFC 2132 section 2). */
export function textData(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Encapsulated sub-options (option 43 with PXEClient, option 175): the same TLV format, ended by 255. */
export function encodeSubOptions(subs: readonly DhcpOptionEntry[]): Buffer {
  return Buffer.concat([encodeOptionEntries(subs), Buffer.from([DhcpOption.End])]);
}
export function decodeSubOptions(data: Buffer, where: string): DhcpOptionEntry[] {
  return parseOptionArea(data, 0, data.length, where).entries;
}

/** Option 43 for a PXE ROM: PXE_DISCOVERY_CONTROL only, so it boots the offered file with no menu or discovery. */
export function pxeVendorOptions(discoveryControl: number): Buffer {
  return encodeSubOptions([{ code: PxeSubOption.DiscoveryControl, data: u8Data(discoveryControl) }]);
}

// ---------------------------------------------------------------------------------------------------------------
// Typed values of the options a server reads.

/** RFC 4578 section 2.2: Client Network Device Interface (type 1 = UNDI, then major and minor version). */
export interface ClientNdi {
  type: number;
  major: number;
  minor: number;
}

export interface DhcpOptionValues {
  messageType?: DhcpMessageType;
  requestedIp?: string;
  serverId?: string;
  leaseTimeSec?: number;
  /** Option 55, in the client's order. Empty when absent. */
  paramRequestList: number[];
  /** Option 57 as sent (whole IP datagram size). */
  maxMessageSize?: number;
  vendorClass?: string;
  /** Option 77: each RFC 3004 instance, or the whole option as one string when a client (iPXE) sends plain text. */
  userClass?: string[];
  /** Option 93: every architecture the client lists, in order. */
  clientArch?: number[];
  clientNdi?: ClientNdi;
  /** Option 97 as 8-4-4-4-12 hex of the 16 bytes in wire order (no byte swapping: firmware disagree on it). */
  clientGuid?: string;
  hostname?: string;
  /** Option 61, raw (type byte first). */
  clientId?: Buffer;
  /** Option 175 sub-options; its presence means the client runs iPXE. */
  etherbootOptions?: DhcpOptionEntry[];
  /** Tolerated oddities (malformed informational options), for debug logs. */
  problems: string[];
}

/**
 * Read the typed values. Core DHCP options with a fixed size (53, 50, 54, 51, 57) that are malformed make the
 * message unusable and throw; informational client options (55, 77, 93, 94, 97, 175...) that are malformed are
 * left out and noted in `problems`, because a quirky ROM should still get an address.
 * `offset` is where the options start, for error messages.
 */
export function readOptionValues(entries: readonly DhcpOptionEntry[], offset: number): DhcpOptionValues {
  const problems: string[] = [];
  const v: DhcpOptionValues = { paramRequestList: [], problems };
  const fixed = (code: number, size: number, name: string): Buffer | undefined => {
    const d = getOptionData(entries, code);
    if (d === undefined) return undefined;
    if (d.length !== size) throw new DhcpDecodeError(`option ${code} (${name}) must be ${size} bytes, got ${d.length}`, offset);
    return d;
  };

  const mt = fixed(DhcpOption.MessageType, 1, 'message type');
  if (mt) {
    const t = mt[0]!;
    if (!isDhcpMessageType(t)) throw new DhcpDecodeError(`option 53 has unknown message type ${t}`, offset);
    v.messageType = t;
  }
  const req = fixed(DhcpOption.RequestedIpAddress, 4, 'requested IP address');
  if (req) v.requestedIp = formatIpv4(req.readUInt32BE(0));
  const sid = fixed(DhcpOption.ServerIdentifier, 4, 'server identifier');
  if (sid) v.serverId = formatIpv4(sid.readUInt32BE(0));
  const lt = fixed(DhcpOption.LeaseTime, 4, 'lease time');
  if (lt) v.leaseTimeSec = lt.readUInt32BE(0);
  const mms = fixed(DhcpOption.MaxMessageSize, 2, 'maximum message size');
  if (mms) v.maxMessageSize = mms.readUInt16BE(0);

  const prl = getOptionData(entries, DhcpOption.ParameterRequestList);
  if (prl) {
    if (prl.length === 0) problems.push('option 55 is empty');
    v.paramRequestList = [...prl];
  }
  const vc = getOptionData(entries, DhcpOption.VendorClassIdentifier);
  if (vc) {
    if (vc.length === 0) problems.push('option 60 is empty');
    else v.vendorClass = vc.toString('latin1');
  }
  const uc = getOptionData(entries, DhcpOption.UserClass);
  if (uc) {
    if (uc.length === 0) problems.push('option 77 is empty');
    else v.userClass = decodeUserClass(uc);
  }
  const arch = getOptionData(entries, DhcpOption.ClientSystemArchitecture);
  if (arch) {
    if (arch.length === 0 || arch.length % 2 !== 0) problems.push(`option 93 has odd or zero length ${arch.length}`);
    else v.clientArch = Array.from({ length: arch.length / 2 }, (_, k) => arch.readUInt16BE(k * 2));
  }
  const ndi = getOptionData(entries, DhcpOption.ClientNetworkInterface);
  if (ndi) {
    if (ndi.length !== 3) problems.push(`option 94 must be 3 bytes, got ${ndi.length}`);
    else v.clientNdi = { type: ndi[0]!, major: ndi[1]!, minor: ndi[2]! };
  }
  const guid = getOptionData(entries, DhcpOption.ClientMachineIdentifier);
  if (guid) {
    // 17 bytes per RFC 4578; a bare 16-byte UUID has been seen from old ROMs, so accept it too.
    if (guid.length === CLIENT_GUID_SIZE && guid[0] === CLIENT_GUID_TYPE_UUID) v.clientGuid = formatGuid(guid.subarray(1));
    else if (guid.length === CLIENT_GUID_SIZE - 1) v.clientGuid = formatGuid(guid);
    else problems.push(`option 97 is ${guid.length} bytes with type ${guid[0] ?? 'none'}, expected 17 bytes of type 0`);
  }
  const hn = getOptionData(entries, DhcpOption.HostName);
  if (hn) {
    if (hn.length === 0) problems.push('option 12 is empty');
    else v.hostname = hn.toString('latin1').replace(/\0+$/, ''); // some clients NUL-terminate despite RFC 2132 2
  }
  const cid = getOptionData(entries, DhcpOption.ClientIdentifier);
  if (cid) {
    // RFC 2132 section 9.14: minimum length 2. A 1-byte id still identifies a client, so keep it; 0 cannot.
    if (cid.length === 0) problems.push('option 61 is empty');
    else v.clientId = cid;
  }
  const eb = getOptionData(entries, DhcpOption.EtherbootEncapsulated);
  if (eb) {
    try {
      v.etherbootOptions = decodeSubOptions(eb, 'option 175');
    } catch (err) {
      problems.push(`option 175: ${(err as Error).message}`);
    }
  }
  return v;
}

/**
 * Option 77. RFC 3004: a sequence of (length, data) instances. iPXE sends the plain string "iPXE" instead, whose
 * first byte ('i' = 105) read as a length runs past the end. Whatever does not parse as RFC 3004 exactly is
 * taken as one plain string.
 */
export function decodeUserClass(data: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    const len = data[i]!;
    if (len === 0 || i + 1 + len > data.length) return [data.toString('latin1')];
    out.push(data.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  return out;
}

/** RFC 3004 encoding of user class instances. */
export function encodeUserClass(classes: readonly string[]): Buffer {
  return Buffer.concat(
    classes.map((c) => {
      const b = Buffer.from(c, 'latin1');
      if (b.length === 0 || b.length > 255) throw new DhcpEncodeError(`user class "${c}" must be 1..255 bytes`);
      return Buffer.concat([Buffer.from([b.length]), b]);
    }),
  );
}

function formatGuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Option 52's value, checked (RFC 2132 section 9.3: one byte, 1..3). */
export function readOverload(entries: readonly DhcpOptionEntry[], offset: number): number | undefined {
  const d = getOptionData(entries, DhcpOption.Overload);
  if (d === undefined) return undefined;
  if (d.length !== 1) throw new DhcpDecodeError(`option 52 (overload) must be 1 byte, got ${d.length}`, offset);
  const value = d[0]!;
  if (value !== Overload.File && value !== Overload.Sname && value !== Overload.Both) {
    throw new DhcpDecodeError(`option 52 (overload) has value ${value}, expected 1, 2 or 3`, offset);
  }
  return value;
}
