import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InventoryError, hostVarsFor, parseCsv, parseInventory } from '../../../shared/answer/inventory';

test('RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes', () => {
  const recs = parseCsv('a,b,c\n"x, y","say ""hi""","two\nlines"\nlast,,\n');
  assert.deepEqual(recs.map((r) => r.fields), [['a', 'b', 'c'], ['x, y', 'say "hi"', 'two\nlines'], ['last', '', '']]);
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 4]);
});

test('a BOM, CRLF line ends, blank lines and a missing final newline are accepted', () => {
  const inv = parseInventory('\uFEFFMAC,Hostname,IP\r\n52:54:00:00:00:10,web-01,10.0.0.5/24\r\n\r\n52-54-00-00-00-11,web-02,10.0.0.6');
  assert.deepEqual(inv.columns, ['mac', 'hostname', 'ip']);
  assert.equal(inv.rows.length, 2);
  assert.deepEqual(inv.rows[0], { mac: '52:54:00:00:00:10', line: 2, hostname: 'web-01', ip: '10.0.0.5', prefix: 24, vars: { mac: '52:54:00:00:00:10', hostname: 'web-01', ip: '10.0.0.5/24' } });
  assert.equal(inv.rows[1]?.mac, '52:54:00:00:00:11');
  assert.equal(inv.rows[1]?.line, 4);
});

test('per-MAC lookup: extra columns become variables; unknown MACs get defaults', () => {
  const inv = parseInventory('mac,hostname,ip,gateway,dns,rack\n52:54:00:AA:BB:CC,db-1,10.1.0.9,10.1.0.1,10.1.0.2;10.1.0.3,"r2, row B"\n');
  const known = hostVarsFor(inv, '52-54-00-aa-bb-cc');
  assert.equal(known.hostname, 'db-1');
  assert.equal(known.gateway, '10.1.0.1');
  assert.deepEqual(known.dns, ['10.1.0.2', '10.1.0.3']);
  assert.equal(known.vars.rack, 'r2, row B');
  assert.equal('line' in known, false);
  assert.deepEqual(hostVarsFor(inv, '52:54:00:00:00:99'), { mac: '52:54:00:00:00:99', vars: { mac: '52:54:00:00:00:99' } });
  assert.deepEqual(hostVarsFor(null, null), { mac: null, vars: {} });
});

function throwsAt(text: string, line: number, message: RegExp) {
  assert.throws(() => parseInventory(text), (err: unknown) => {
    assert.ok(err instanceof InventoryError, String(err));
    assert.equal(err.line, line, err.message);
    assert.match(err.message, message);
    assert.match(err.message, new RegExp(`^inventory line ${line}:`));
    return true;
  });
}

test('duplicate MACs (in any spelling) name both lines', () => {
  throwsAt('mac,hostname\n52:54:00:00:00:10,a\n52:54:00:00:00:11,b\n52-54-00-00-00-10,c\n', 4, /listed twice, on lines 2 and 4/);
});

test('bad values report their line', () => {
  throwsAt('mac,ip\n52:54:00:00:00:10,10.0.0.1\n52:54:00:00:00:1G,10.0.0.2\n', 3, /"52:54:00:00:00:1G" is not a MAC/);
  throwsAt('mac,ip\n52:54:00:00:00:10,10.0.0.256\n', 2, /not an IPv4 address/);
  throwsAt('mac,ip\n52:54:00:00:00:10,10.0.0.1/33\n', 2, /prefix "33"/);
  throwsAt('mac,gateway\n"52:54:00\n:00:00:10",x\n', 2, /not a MAC/);
  throwsAt('mac,hostname\n52:54:00:00:00:10,bad_name!\n', 2, /not a valid host name/);
  throwsAt('mac,hostname\n52:54:00:00:00:10\n', 2, /1 fields, but the header has 2/);
  throwsAt('mac,hostname\n52:54:00:00:00:10,"unterminated\n', 2, /never closed/);
  throwsAt('mac,hostname\n52:54:00:00:00:10,ab"c\n', 2, /quote in the middle/);
  throwsAt('hostname,ip\nx,10.0.0.1\n', 1, /no "mac" column/);
  throwsAt('mac,MAC\n', 1, /appears twice/);
  throwsAt('mac,rack no\n', 1, /column name/);
  throwsAt('', 1, /empty/);
});
