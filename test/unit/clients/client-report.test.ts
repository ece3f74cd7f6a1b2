/** The CSV and JSON report: RFC 4180 escaping, formula cells defused, every stage column, JSON round trip. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientReport, csvField, csvLine } from '../../../electron/engine/clients/client-report';
import type { ClientRecord } from '../../../shared/model/client-record';

const record: ClientRecord = {
  mac: '52:54:00:aa:bb:01',
  hostname: 'rack "A", node\n1',
  ip: '192.168.77.101',
  firmware: 'efi-x64',
  arch: 7,
  image: 'debian-12',
  stage: 'failed',
  reached: 'kernel',
  stageTimes: { discovered: '2026-03-01T10:00:00.000Z', address: '2026-03-01T10:00:04.000Z', kernel: '2026-03-01T10:01:04.000Z' },
  problem: { kind: 'failed', by: 'server', reason: 'TFTP transfer of the initrd failed: timed out', hint: 'Check its cable, then reboot it.', at: '2026-03-01T10:02:00.000Z' },
  firstSeen: '2026-03-01T10:00:00.000Z',
  lastSeen: '2026-03-01T10:02:00.000Z',
  bytes: 1234,
  transfer: null,
  packagesDone: 0,
  packagesExpected: null,
  armed: true,
  oneShot: true,
  cycle: 1,
  rev: 9,
  log: [{ n: 1, time: '2026-03-01T10:00:00.000Z', source: 'dhcp', level: 'info', text: 'DHCP discover' }],
};

/** A small RFC 4180 reader, to check the writer against. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

test('csvField: RFC 4180 quoting and formula defusing', () => {
  const rows: [Parameters<typeof csvField>[0], string][] = [
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    [-1, '-1'],
    [42, '42'],
    [true, 'true'],
    [null, ''],
    [undefined, ''],
    ['', ''],
  ];
  for (const [input, out] of rows) assert.equal(csvField(input), out, String(input));
  assert.equal(csvLine(['a', 'b,c']), 'a,"b,c"\r\n');
});

test('CSV report: header with every stage, one row per machine that reads back exactly', () => {
  const csv = clientReport([record], 'csv', Date.parse('2026-03-01T10:03:00Z'));
  assert.ok(csv.endsWith('\r\n'));
  const rows = parseCsv(csv);
  assert.equal(rows.length, 2);
  const [head, row] = rows as [string[], string[]];
  assert.equal(head.length, row.length);
  const get = (name: string) => row[head.indexOf(name)];
  assert.equal(get('mac'), record.mac);
  assert.equal(get('hostname'), record.hostname, 'quotes, comma and newline survive');
  assert.equal(get('stage'), 'failed');
  assert.equal(get('status'), 'Failed: TFTP transfer of the initrd failed: timed out');
  assert.equal(get('progress_percent'), '12');
  assert.equal(get('armed'), 'true');
  assert.equal(get('hint'), 'Check its cable, then reboot it.');
  assert.equal(get('address_at'), '2026-03-01T10:00:04.000Z');
  assert.equal(get('address_seconds'), '60');
  assert.equal(get('kernel_seconds'), '116');
  assert.equal(get('first_boot_at'), '');
  for (const s of ['discovered', 'address', 'loader', 'kernel', 'initrd', 'installer_started', 'answer_fetched', 'installing', 'post_install', 'finished', 'first_boot']) {
    assert.ok(head.includes(`${s}_at`) && head.includes(`${s}_seconds`), s);
  }
});

test('JSON report: the records plus label, progress and seconds per stage', () => {
  const json = JSON.parse(clientReport([record], 'json', Date.parse('2026-03-01T10:03:00Z'))) as {
    format: string;
    clients: (ClientRecord & { status: string; progress: number; stageSeconds: Record<string, number> })[];
  };
  assert.equal(json.format, 'fieldboot-client-report');
  assert.equal(json.clients.length, 1);
  const c = json.clients[0]!;
  assert.equal(c.hostname, record.hostname);
  assert.equal(c.status, 'Failed: TFTP transfer of the initrd failed: timed out');
  assert.equal(c.progress, 0.12);
  assert.deepEqual(c.stageSeconds, { discovered: 4, address: 60, kernel: 116 });
  assert.equal(c.log.length, 1);
});
