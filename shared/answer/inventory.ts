/**
 * Per-host inventory: a CSV file `mac,hostname,ip,...` (header row required) whose rows fill the
 * profile for one machine. Parsing follows RFC 4180 (quoted fields, "" escapes, commas and line breaks
 * inside quotes) and accepts what spreadsheets write: a UTF-8 BOM, CRLF or LF, blank lines.
 *
 * Known columns: mac (required), hostname, ip (a.b.c.d or a.b.c.d/prefix), prefix, gateway, dns
 * (addresses separated by spaces or semicolons). Every column, known or not, is also a template
 * variable under its lower-case header name (extra columns such as `rack` feed hostname patterns and
 * imported templates).
 */
import { normalizeMac, parseIpv4 } from '../net/ipv4';
import type { HostVars } from './profile';

export interface InventoryRow extends HostVars {
  mac: string;
  /** 1-based line number where the row starts, for messages. */
  line: number;
}

export interface Inventory {
  columns: string[];
  rows: InventoryRow[];
}

export class InventoryError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`inventory line ${line}: ${message}`);
    this.name = 'InventoryError';
  }
}

const COLUMN_RE = /^[a-z][a-z0-9_]*$/;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

interface CsvRecord {
  line: number;
  fields: string[];
}

/** RFC 4180 records with the line each starts on. Throws InventoryError on an unterminated quote. */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  let quoteStartLine = 0;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    // A line with nothing on it is skipped, not read as a record with one empty field.
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  while (i < src.length) {
    const ch = src[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new InventoryError('text after a closing quote (write "" for a quote inside a quoted field)', line);
        }
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (field !== '') throw new InventoryError('a quote in the middle of an unquoted field (quote the whole field)', line);
      quoted = true;
      fieldStarted = true;
      quoteStartLine = line;
      i++;
      continue;
    }
    if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new InventoryError('a quoted field is never closed', quoteStartLine);
  if (field !== '' || fields.length || fieldStarted) endRecord();
  return records;
}

/** Parse an inventory CSV. Errors name the line (and, for duplicate MACs, both lines). */
export function parseInventory(text: string): Inventory {
  const records = parseCsv(text);
  const header = records[0];
  if (!header) throw new InventoryError('the file is empty; the first line must be a header such as mac,hostname,ip', 1);
  const columns = header.fields.map((h) => h.trim().toLowerCase());
  columns.forEach((c) => {
    if (!COLUMN_RE.test(c)) throw new InventoryError(`column name "${c}" must start with a letter and hold only letters, digits and _`, header.line);
  });
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new InventoryError(`column "${dup}" appears twice in the header`, header.line);
  if (!columns.includes('mac')) throw new InventoryError('the header has no "mac" column', header.line);

  const rows: InventoryRow[] = [];
  const byMac = new Map<string, number>();
  for (const rec of records.slice(1)) {
    if (rec.fields.every((f) => f.trim() === '')) continue;
    if (rec.fields.length !== columns.length) {
      throw new InventoryError(`${rec.fields.length} fields, but the header has ${columns.length}`, rec.line);
    }
    const vars: Record<string, string> = {};
    columns.forEach((c, i) => {
      vars[c] = (rec.fields[i] ?? '').trim();
    });
    const rawMac = vars.mac ?? '';
    const mac = normalizeMac(rawMac);
    if (!mac) throw new InventoryError(`"${rawMac}" is not a MAC address`, rec.line);
    const first = byMac.get(mac);
    if (first !== undefined) throw new InventoryError(`MAC ${mac} is listed twice, on lines ${first} and ${rec.line}`, rec.line);
    byMac.set(mac, rec.line);
    vars.mac = mac;
    rows.push(rowFrom(mac, vars, rec.line));
  }
  return { columns, rows };
}

function rowFrom(mac: string, vars: Record<string, string>, line: number): InventoryRow {
  const row: InventoryRow = { mac, line, vars };
  if (vars.hostname) {
    if (!HOSTNAME_RE.test(vars.hostname) || vars.hostname.length > 253) throw new InventoryError(`"${vars.hostname}" is not a valid host name`, line);
    row.hostname = vars.hostname;
  }
  if (vars.ip) {
    const [addr, pfx, extra] = vars.ip.split('/');
    if (extra !== undefined || parseIpv4(addr ?? '') === null) throw new InventoryError(`"${vars.ip}" is not an IPv4 address (a.b.c.d or a.b.c.d/prefix)`, line);
    row.ip = addr;
    if (pfx !== undefined) row.prefix = prefix(pfx, line);
  }
  if (vars.prefix) row.prefix = prefix(vars.prefix, line);
  if (vars.gateway) {
    if (parseIpv4(vars.gateway) === null) throw new InventoryError(`gateway "${vars.gateway}" is not an IPv4 address`, line);
    row.gateway = vars.gateway;
  }
  if (vars.dns) {
    const list = vars.dns.split(/[\s;]+/).filter(Boolean);
    for (const d of list) if (parseIpv4(d) === null) throw new InventoryError(`dns "${d}" is not an IPv4 address`, line);
    row.dns = list;
  }
  return row;
}

function prefix(text: string, line: number): number {
  const n = Number(text);
  if (!/^\d{1,2}$/.test(text) || n < 1 || n > 32) throw new InventoryError(`prefix "${text}" must be a number from 1 to 32`, line);
  return n;
}

/**
 * The host variables for one MAC: its inventory row, or defaults (no hostname, no static address) for a
 * machine the inventory does not list. `mac` null renders a generic file.
 */
export function hostVarsFor(inventory: Inventory | null, mac: string | null): HostVars {
  if (mac === null) return { mac: null, vars: {} };
  const norm = normalizeMac(mac);
  if (!norm) throw new Error(`"${mac}" is not a MAC address`);
  const row = inventory?.rows.find((r) => r.mac === norm);
  if (!row) return { mac: norm, vars: { mac: norm } };
  const { line: _line, ...vars } = row;
  return { ...vars, vars: { ...row.vars } };
}
