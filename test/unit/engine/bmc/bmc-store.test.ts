/**
 * The BMC list: CSV import, AES-256-GCM at rest (round trip, tamper and swap detection, key file mode), and
 * passwords never appearing in the list, the JSON file or error messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BmcProtocol } from '../../../../shared/model/bmc';
import { BMC_KEY_FILE, BMC_STORE_FILE, BmcStore, BmcStoreError, parseBmcCsv, splitCsvLine } from '../../../../electron/engine/bmc/bmc-store';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bmc-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const CSV = `bmc_host,port,user,password,mac
# rack 12
10.0.12.11,623,admin,"pa,ss ""word""",52:54:00:AA:BB:01
10.0.12.12,,root,calvin,
https://10.0.12.13,,Administrator,iLOpass1,52-54-00-aa-bb-03
bmc-14.rack.example,6230,admin,secret14
10.0.12.15,99999,admin,x
10.0.12.16,623,admin,
10.0.12.17,623,admin,pw,not-a-mac
not a host,623,admin,pw
10.0.12.18,623
`;

test('CSV: quoted fields (commas, doubled quotes, spaces) per RFC 4180', () => {
  assert.deepEqual(splitCsvLine('a, "b,c" ,"d""e",  f '), ['a', 'b,c', 'd"e', 'f']);
  assert.deepEqual(splitCsvLine('"  spaced  ",x'), ['  spaced  ', 'x']);
  assert.equal(splitCsvLine('"unterminated,x'), null);
  assert.deepEqual(splitCsvLine(''), ['']);
});

test('CSV import: good lines parsed, bad lines named by line and field, never with the password', () => {
  const { rows, errors } = parseBmcCsv(CSV);
  assert.deepEqual(
    rows.map((r) => [r.line, r.host, r.port ?? null, r.protocol, r.user, r.mac ?? null]),
    [
      [3, '10.0.12.11', 623, 'ipmi', 'admin', '52:54:00:aa:bb:01'],
      [4, '10.0.12.12', null, 'ipmi', 'root', null],
      [5, '10.0.12.13', null, 'redfish', 'Administrator', '52:54:00:aa:bb:03'],
      [6, 'bmc-14.rack.example', 6230, 'ipmi', 'admin', null],
    ],
  );
  assert.equal(rows[0]!.password, 'pa,ss "word"');
  assert.deepEqual(errors.map((e) => e.line), [7, 8, 9, 10, 11]);
  assert.match(errors[0]!.message, /port/);
  assert.match(errors[1]!.message, /password is empty/);
  assert.match(errors[2]!.message, /MAC/);
  assert.match(errors[3]!.message, /host/);
  assert.match(errors[4]!.message, /2 fields/);
  for (const e of errors) assert.ok(!/calvin|secret14|iLOpass1|pw\b/.test(e.message), e.message);
});

test('store: import, reopen, decrypt: passwords round-trip; default ports by protocol; file and key are 0600', (t) => {
  const dir = tmp(t);
  const store = BmcStore.open(dir);
  const r = store.importCsv(CSV);
  assert.equal(r.added.length, 4);
  assert.equal(r.errors.length, 5);
  store.save();

  assert.equal(statSync(join(dir, BMC_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, BMC_STORE_FILE)).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, BMC_KEY_FILE)).length, 32);

  const file = readFileSync(join(dir, BMC_STORE_FILE), 'utf8');
  for (const pw of ['pa,ss', 'calvin', 'iLOpass1', 'secret14']) assert.ok(!file.includes(pw), `"${pw}" in ${BMC_STORE_FILE}`);
  const listed = JSON.stringify(store.list());
  for (const pw of ['pa,ss', 'calvin', 'iLOpass1', 'secret14']) assert.ok(!listed.includes(pw), `"${pw}" in list()`);

  const again = BmcStore.open(dir);
  const list = again.list();
  assert.deepEqual(list.map((b) => [b.id, b.name, b.protocol, b.hasPassword]), [
    ['10.0.12.11:623', '10.0.12.11', 'ipmi', true],
    ['10.0.12.12:623', '10.0.12.12', 'ipmi', true],
    ['10.0.12.13:443', '10.0.12.13', 'redfish', true],
    ['bmc-14.rack.example:6230', 'bmc-14.rack.example', 'ipmi', true],
  ]);
  const targets = again.targets({ all: true });
  assert.deepEqual(targets.map((x) => x.password), ['pa,ss "word"', 'calvin', 'iLOpass1', 'secret14']);
  assert.deepEqual(again.targets({ ids: ['10.0.12.12'] }).map((x) => x.id), ['10.0.12.12:623']);
});

test('store: a changed ciphertext, tag, IV or a swapped secret is detected, not decrypted into garbage', (t) => {
  const dir = tmp(t);
  const store = BmcStore.open(dir);
  store.add({ host: '10.0.0.1', user: 'admin', password: 'first-password' });
  store.add({ host: '10.0.0.2', user: 'admin', password: 'second-password' });
  store.save();
  const path = join(dir, BMC_STORE_FILE);
  const original = readFileSync(path, 'utf8');
  type F = { bmcs: { id: string; user: string; secret: { iv: string; tag: string; data: string } }[] };
  const flip = (b64: string) => {
    const b = Buffer.from(b64, 'base64');
    b[0] = b[0]! ^ 0x01;
    return b.toString('base64');
  };
  const cases: [string, (f: F) => void][] = [
    ['ciphertext bit flip', (f) => (f.bmcs[0]!.secret.data = flip(f.bmcs[0]!.secret.data))],
    ['tag bit flip', (f) => (f.bmcs[0]!.secret.tag = flip(f.bmcs[0]!.secret.tag))],
    ['IV bit flip', (f) => (f.bmcs[0]!.secret.iv = flip(f.bmcs[0]!.secret.iv))],
    ['secrets swapped between BMCs', (f) => ([f.bmcs[0]!.secret, f.bmcs[1]!.secret] = [f.bmcs[1]!.secret, f.bmcs[0]!.secret])],
    ['user renamed by hand', (f) => (f.bmcs[0]!.user = 'root')],
  ];
  for (const [name, mutate] of cases) {
    const f = JSON.parse(original) as F;
    mutate(f);
    writeFileSync(path, JSON.stringify(f));
    const s = BmcStore.open(dir);
    assert.throws(() => s.targets({ ids: ['10.0.0.1'] }), (err: Error) => err instanceof BmcStoreError && /cannot be decrypted/.test(err.message), name);
  }
  // A different key (the key file replaced): nothing decrypts.
  writeFileSync(path, original);
  writeFileSync(join(dir, BMC_KEY_FILE), Buffer.alloc(32, 7));
  assert.throws(() => BmcStore.open(dir).targets({ all: true }), /cannot be decrypted/);
});

test('store: a key file left group-readable is tightened to 0600; a short key is refused', (t) => {
  const dir = tmp(t);
  const key = join(dir, BMC_KEY_FILE);
  const first = BmcStore.open(dir);
  first.list();
  first.save();
  assert.equal(existsSync(key), false, 'listing and saving an empty list writes no key');
  first.add({ host: '10.0.0.3', user: 'admin', password: 'pw' });
  first.save();
  chmodSync(key, 0o644);
  assert.equal(BmcStore.open(dir).targets({ all: true })[0]!.password, 'pw');
  assert.equal(statSync(key).mode & 0o777, 0o600);
  writeFileSync(key, Buffer.alloc(16));
  assert.throws(() => BmcStore.open(dir).targets({ all: true }), /32-byte key/);
});

test('store: add updates the same host:port; names, selection by name/host/id; remove', (t) => {
  const dir = tmp(t);
  const s = BmcStore.open(dir);
  const a = s.add({ host: '10.0.0.5', user: 'admin', password: 'one', name: 'r1-n1' });
  assert.equal(a.updated, false);
  const b = s.add({ host: '10.0.0.5', user: 'root', password: 'two' });
  assert.equal(b.updated, true);
  assert.equal(b.entry.name, 'r1-n1');
  assert.equal(s.targets({ ids: ['r1-n1'] })[0]!.password, 'two');
  s.add({ host: '10.0.0.5', port: 6230, user: 'admin', password: 'three' });
  // The host is free as a name (the first is called r1-n1), and a name wins over a host.
  assert.deepEqual(s.list().map((x) => x.name), ['r1-n1', '10.0.0.5']);
  assert.deepEqual(s.find(['10.0.0.5']).map((x) => x.id), ['10.0.0.5:6230']);
  // Same host twice, unnamed: the second is named host:port.
  s.add({ host: '10.0.0.6', user: 'a', password: 'b' });
  assert.equal(s.add({ host: '10.0.0.6', port: 6230, user: 'a', password: 'b' }).entry.name, '10.0.0.6:6230');
  // Two BMCs on one host, both named otherwise: the bare host is ambiguous.
  s.add({ host: '10.0.0.8', user: 'a', password: 'b', name: 'x1' });
  s.add({ host: '10.0.0.8', port: 6230, user: 'a', password: 'b', name: 'x2' });
  assert.throws(() => s.find(['10.0.0.8']), /matches 2 BMCs/);
  assert.throws(() => s.find(['nope']), /no BMC called "nope"/);
  assert.throws(() => s.add({ host: '10.0.0.9', user: 'a', password: 'b', name: 'r1-n1' }), /already called/);
  assert.throws(() => s.add({ host: '10.0.0.9', user: 'a', password: '' }), /password/);
  assert.throws(() => s.add({ host: 'bad host', user: 'a', password: 'b' }), /host/);
  assert.deepEqual(s.remove(['r1-n1']).map((x) => x.id), ['10.0.0.5:623']);
  assert.deepEqual(s.list().map((x) => x.id), ['10.0.0.5:6230', '10.0.0.6:623', '10.0.0.6:6230', '10.0.0.8:623', '10.0.0.8:6230']);
});

test('store: learn keeps the cipher suite and pins a certificate only once (trust on first use)', (t) => {
  const dir = tmp(t);
  const s = BmcStore.open(dir);
  s.add({ host: '10.0.0.7', user: 'admin', password: 'pw', protocol: BmcProtocol.Redfish });
  s.learn('10.0.0.7:443', { tlsFingerprint256: 'AA:BB' });
  s.learn('10.0.0.7:443', { tlsFingerprint256: 'CC:DD' });
  s.learn('10.0.0.7:443', { cipherSuite: 17 });
  s.save();
  const e = BmcStore.open(dir).list()[0]!;
  assert.equal(e.tlsFingerprint256, 'AA:BB');
  assert.equal(e.cipherSuite, 17);
});
