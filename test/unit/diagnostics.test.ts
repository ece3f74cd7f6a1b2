/**
 * Diagnostics: the redaction of secrets, the host's log ring (bounded, MAC learnt from leases, counters,
 * batched pushes), the MAC filter in any format, the service cards' states, the dashboard store's merge and
 * filters, and the whole export through the real AppController: a saved profile with a root password, an
 * admin password and a BMC password, log lines carrying a token and the hash, and then `unzip -t` / `unzip -p`
 * on the zip it writes, with none of the secrets anywhere in its bytes or in any file unpacked from it. Known
 * secret values (typed passwords, hashes, BMC passwords, the web token) planted in free text nothing marks as
 * secret (a log line, a client record's failure text, an error message, a raw state file, a profile name)
 * are gone from every file too, also URL-encoded, JSON-escaped and as HTTP Basic credentials, and a marker
 * says what was there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IDLE_STATE, type ServingState } from '../../shared/api/fieldboot-api';
import { DEFAULT_PROFILE, type Profile } from '../../shared/answer/profile';
import { emptyCounters, lineConcernsMac, macQuery, type LogLine } from '../../shared/diagnostics-log';
import { serviceOfError, serviceStatuses } from '../../shared/diagnostics-services';
import type { EngineEvent } from '../../shared/model/engine-event';
import { AppController } from '../../electron/engine-host/app-controller';
import { DiagnosticsLog, Ring } from '../../electron/engine-host/diagnostics-log';
import { REDACTED, Redactor, removedMarker, secretForms } from '../../electron/engine-host/diagnostics-redact';
import { buildDiagnostics, profileSecrets } from '../../electron/engine-host/diagnostics-export';
import { EngineHost } from '../../electron/engine-host/engine-host';
import { filterLines, mergeLines } from '../../renderer/src/features/dashboard/log-store';
import { labGate } from './../helpers/requirements';

const work = mkdtempSync(join(tmpdir(), 'fb-diag-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HASH = '$6$rounds=5000$saltsalt$Q4n9yq9bRVZyR1f0uNfJQ0e7zXyW1Jp3LwKk9a3eZ6qkTt3H8gk7mR8Fh0f1Xk2o7kVx3aYb2gXk1mZ0Jq0aW.';
const t0 = '2026-11-26T01:00:00.000Z';

test('Redactor: secret keys go whatever their type, flags and nulls stay, crypt hashes go anywhere', () => {
  const r = new Redactor();
  const out = r.json({
    accounts: { rootPasswordHash: HASH, users: [{ name: 'admin', passwordHash: '$y$j9T$abcdefgh$ijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL', sshKeys: ['ssh-ed25519 AAAA tech@laptop'] }] },
    ssh: { passwordAuthentication: false },
    bmc: { hasPassword: true, password: 'BmcPw-9931', token: 12345678 },
    api: { token: null },
    postInstall: `echo 'root:${HASH}' | chpasswd -e`,
  }) as Record<string, Record<string, unknown>>;
  const text = JSON.stringify(out);
  assert.ok(!text.includes(HASH) && !text.includes('$y$j9T$'), 'hashes gone');
  assert.ok(!text.includes('BmcPw-9931') && !text.includes('12345678'));
  assert.equal(out.accounts!.rootPasswordHash, REDACTED);
  assert.equal((out.ssh as { passwordAuthentication: boolean }).passwordAuthentication, false, 'a boolean flag is kept');
  assert.equal((out.bmc as { hasPassword: boolean }).hasPassword, true);
  assert.equal((out.api as { token: null }).token, null, 'null says nothing');
  assert.ok(text.includes('ssh-ed25519 AAAA tech@laptop'), 'public keys are not secrets');
  assert.match(String(out.postInstall), /root:\[removed\]/);
  // Values learnt from JSON go from text too; and the text patterns on their own.
  const line = r.text(`GET /x?password=hunter22&y=1 Authorization: Bearer abcdefghijkl0123 BmcPw-9931 again; "hasPassword": true`);
  assert.ok(!line.includes('hunter22') && !line.includes('abcdefghijkl0123') && !line.includes('BmcPw-9931'), line);
  assert.match(line, /"hasPassword": true/, 'a flag after a secret-looking key is not a secret');
  assert.ok(!r.secrets().includes('true'));
});

test('Redactor: known secrets go from free text with a marker naming them, in their common encodings', () => {
  const BMC = 'p@ss w/rd:"x"&9';
  const TOKEN = 'a3f09c1e77d24b6a9e0f5c3d2b1a0987';
  const r = new Redactor([
    { what: 'BMC password (10.0.0.5:623)', value: BMC, user: 'ADMIN' },
    { what: 'web UI token', value: TOKEN },
    { what: 'BMC PIN', value: '4711' },
    { what: 'too short', value: 'abc' },
    { what: 'root password (profile lab)', value: 'password' },
  ]);
  const basic = Buffer.from(`ADMIN:${BMC}`).toString('base64');
  const text = [
    `hostname set to ${BMC}`,
    `GET /api?x=${encodeURIComponent(BMC)} and ${encodeURIComponent(BMC).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    `json ${JSON.stringify({ note: BMC })}`,
    `header ${basic}`,
    `open ${TOKEN} now; b64 ${Buffer.from(TOKEN).toString('base64')}`,
    `pin 4711, port 647112, bytes 14711`,
    'abc stays, and so does Basic authentication',
    'the root pw is password',
  ].join('\n');
  const out = r.text(text);
  for (const form of secretForms({ what: '', value: BMC, user: 'ADMIN' })) assert.ok(!out.includes(form), `${form} is gone: ${out}`);
  assert.ok(!out.includes(TOKEN) && !out.includes(Buffer.from(TOKEN).toString('base64')), out);
  const marker = removedMarker('BMC password (10.0.0.5:623)');
  assert.equal(marker, '[removed: BMC password (10.0.0.5:623)]');
  assert.match(out, /^hostname set to \[removed: BMC password \(10\.0\.0\.5:623\)\]$/m);
  assert.equal(out.split(marker).length - 1, 5, 'raw, URL-encoded twice, JSON-escaped, HTTP Basic');
  assert.match(out, /^json \{"note":"\[removed: BMC password \(10\.0\.0\.5:623\)\]"\}$/m, 'the JSON stays JSON');
  assert.match(out, /open \[removed: web UI token\] now; b64 \[removed: web UI token\]/);
  assert.match(out, /^pin \[removed: BMC PIN\], port 647112, bytes 14711$/m, 'a PIN goes, longer numbers holding it stay');
  assert.match(out, /abc stays, and so does Basic authentication/, 'too short to scrub; prose after "Basic" is not a credential');
  assert.match(out, /^the root pw is \[removed: root password \(profile lab\)\]$/m, 'a secret equal to a word of the marker: the marker is not scrubbed again');
  assert.equal(r.leaks(out), false);
  assert.equal(r.leaks(`x ${encodeURIComponent(BMC)}`), true);
  // Patterns for credentials nobody named.
  const p = new Redactor().text('mirror http://mirror:S3cretMirror@10.0.0.9/debian; Authorization: Basic ' + Buffer.from('u:unknownPw99').toString('base64'));
  assert.ok(!p.includes('S3cretMirror') && !p.includes('unknownPw99'), p);
  assert.match(p, /http:\/\/mirror:\[removed\]@10\.0\.0\.9/);
});

test('profileSecrets: the hashes and URL passwords of a profile, named', () => {
  const p: Profile = structuredClone(DEFAULT_PROFILE);
  p.accounts.rootPasswordHash = HASH;
  p.accounts.users = [{ name: 'admin', passwordHash: '$6$abcdefgh$zyxwvutsrqponmlkjihgfedcba0123456789', groups: [], sudo: true, sshKeys: [] }];
  const secrets = profileSecrets({ ...p, repos: [{ url: 'http://me:pa%40ss@mirror/x' }] }, 'lab');
  assert.deepEqual(
    secrets.map((s) => [s.what, s.value]),
    [
      ['root password hash (profile lab)', HASH],
      ['password hash of admin (profile lab)', '$6$abcdefgh$zyxwvutsrqponmlkjihgfedcba0123456789'],
      ['password in a URL (profile lab)', 'pa%40ss'],
      ['password in a URL (profile lab)', 'pa@ss'],
    ],
  );
  assert.ok(secretForms(secrets[0]!).includes(HASH.split('$').at(-1)!), "a hash's digest alone goes too");
});

test('buildDiagnostics: a known secret planted in free text of several files is in none of them, a marker is', (t) => {
  if (!labGate(t, { commands: ['unzip'] })) return;
  const PW = 'Typed-Into-Hostname-5521';
  const BMC = 'Bmc&Pw=77 !';
  const mac = '52:54:00:fb:00:11';
  const line = (seq: number, message: string): LogLine => ({ seq, time: t0, level: 'info', tag: 'HOST', message });
  const bundle = buildDiagnostics({
    log: {
      lines: [line(1, `hostname ${PW} set for ${mac}`), line(2, `redfish 10.0.0.5: HTTP 401 for ${encodeURIComponent(BMC)}`), line(3, `sent ${Buffer.from(`root:${BMC}`).toString('base64')}`)],
      counters: emptyCounters(),
    },
    events: [{ type: 'error', time: t0, subsystem: 'HTTP', error: { code: 'bad-option' as never, message: `cannot resolve host ${PW}`, hint: 'check the name' } }],
    state: { ...IDLE_STATE, phase: 'failed', error: { code: 'bad-option' as never, message: `BMC said: wrong password ${BMC}`, hint: 'retype it' } },
    config: null,
    profileText: null,
    profiles: [{ name: PW, text: JSON.stringify({ name: 'x', hostname: PW }) }],
    stateFiles: { 'clients.json': `{"clients":[{"mac":"${mac}","hostname":"${PW}"}]}` },
    clients: [{ mac, hostname: PW, log: [{ text: `Install failed: could not log in with ${JSON.stringify(BMC).slice(1, -1)}` }] }],
    preflight: null,
    images: { error: { message: `ISO ${PW}.iso unreadable` } },
    bmcs: [{ id: '10.0.0.5:443', user: 'root', lastError: `401 for root/${BMC}` }],
    versions: { fieldboot: 'test' },
    knownSecrets: [
      { what: 'root password (profile lab)', value: PW },
      { what: 'BMC password (10.0.0.5:443)', value: BMC, user: 'root' },
    ],
  });
  const file = join(work, 'planted.zip');
  writeFileSync(file, bundle.zip);
  assert.match(execFileSync('unzip', ['-t', file], { encoding: 'utf8' }), /No errors detected/);
  assert.ok(!bundle.files.some((f) => f.includes(PW)), `no file is named after the secret: ${bundle.files.join(', ')}`);
  const texts = Object.fromEntries(bundle.files.map((f) => [f, execFileSync('unzip', ['-p', file, f], { encoding: 'utf8' })]));
  const forms = [...secretForms({ what: '', value: PW }), ...secretForms({ what: '', value: BMC, user: 'root' })];
  for (const form of forms) {
    assert.ok(!bundle.zip.includes(Buffer.from(form)), `"${form}" is not in the zip's bytes`);
    for (const [name, text] of Object.entries(texts)) assert.ok(!text.includes(form), `"${form}" is not in ${name}: ${text}`);
  }
  const pwMarker = '[removed: root password (profile lab)]';
  const bmcMarker = '[removed: BMC password (10.0.0.5:443)]';
  assert.ok(texts['log.txt']!.includes(`hostname ${pwMarker} set for ${mac}`), texts['log.txt']);
  assert.ok(texts['log.txt']!.includes(`HTTP 401 for ${bmcMarker}`) && texts['log.txt']!.includes(`sent ${bmcMarker}`), texts['log.txt']);
  assert.ok(texts['events.jsonl']!.includes(`cannot resolve host ${pwMarker}`));
  assert.ok(texts['serving-state.json']!.includes(`wrong password ${bmcMarker}`));
  assert.equal((JSON.parse(texts['clients-now.json']!) as { hostname: string }[])[0]!.hostname, pwMarker, 'the JSON still parses');
  assert.ok(texts['clients-now.json']!.includes(`could not log in with ${bmcMarker}`));
  assert.ok(texts['clients.json']!.includes(pwMarker));
  assert.ok(texts['images.json']!.includes(`ISO ${pwMarker}.iso`));
  assert.ok(texts['bmcs.json']!.includes(`401 for root/${bmcMarker}`));
  assert.ok(texts['README.txt']!.includes('[removed: <what>]'), 'the README says what the markers mean');
});

test('Ring keeps the newest N in order', () => {
  const ring = new Ring<number>(3);
  for (let i = 1; i <= 5; i++) ring.push(i);
  assert.deepEqual(ring.toArray(), [3, 4, 5]);
  assert.equal(ring.length, 3);
  assert.throws(() => new Ring(0));
});

test('DiagnosticsLog: bounded, MAC learnt from the lease for address-only lines, counters, batched flushes', async () => {
  const batches: LogLine[][] = [];
  const log = new DiagnosticsLog({ size: 5, flushMs: 20, onFlush: (lines) => batches.push(lines) });
  const mac = '52:54:00:aa:bb:01';
  const events: EngineEvent[] = [
    { type: 'ready', time: t0, interface: 'br0', serverIp: '192.168.77.1', prefix: 24, dhcpMode: 'full', range: null, services: [] },
    { type: 'lease', time: t0, action: 'discover', mac, ip: '0.0.0.0' },
    { type: 'lease', time: t0, action: 'ack', mac, ip: '192.168.77.100' },
    { type: 'file', time: t0, protocol: 'tftp', action: 'start', client: '192.168.77.100:2070', path: 'undionly.kpxe', bytes: 0 },
    { type: 'file', time: t0, protocol: 'tftp', action: 'progress', client: '192.168.77.100:2070', path: 'undionly.kpxe', bytes: 10 },
    { type: 'file', time: t0, protocol: 'tftp', action: 'end', client: '192.168.77.100:2070', path: 'undionly.kpxe', bytes: 70_000 },
  ];
  for (const e of events) log.addEvent(e);
  log.addLog({ level: 'debug', subsystem: 'TFTP', message: 'RRQ from 192.168.77.100:2070' });
  log.addLog({ level: 'debug', subsystem: 'TFTP', message: 'RRQ from 192.168.77.222:2070' });
  const snap = log.snapshot();
  assert.equal(snap.lines.length, 5, 'bounded');
  assert.ok(snap.lines.every((l, i) => i === 0 || l.seq > snap.lines[i - 1]!.seq), 'oldest first');
  assert.ok(!snap.lines.some((l) => l.event?.type === 'file' && l.event.action === 'progress'), 'progress ticks are not logged');
  const byMessage = (m: string) => snap.lines.find((l) => l.message.includes(m));
  assert.equal(byMessage('192.168.77.100:2070')?.mac, mac, 'the TFTP line knows its machine from the lease');
  assert.equal(byMessage('192.168.77.222')?.mac, undefined, 'an unknown address stays without a MAC');
  assert.equal(snap.lines.find((l) => l.event?.type === 'file' && l.event.action === 'end')?.mac, mac, 'a file event without a MAC gets it too');
  assert.deepEqual(snap.counters.dhcp, { discovers: 1, offers: 0, acks: 1, naks: 0, poolExhausted: 0 });
  assert.deepEqual(snap.counters.tftp, { started: 1, completed: 1, failed: 0, bytes: 70_000 });
  assert.equal(log.recentEvents().length, 5, 'events kept raw (less the progress tick)');
  assert.equal(batches.length, 0, 'nothing pushed before the flush interval');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(batches.length, 1, 'one batch for the burst');
  assert.equal(batches[0]!.length, 5, 'a burst bigger than the ring is sent as its newest part');
  log.dispose();
});

test('MAC filter: any notation, or part of one; lines match by their MAC or a MAC in their text', () => {
  for (const q of ['52:54:00:AA:BB:01', '52-54-00-aa-bb-01', '5254.00aa.bb01', '525400aabb01', ' aa:bb:01 ']) assert.ok(macQuery(q), q);
  assert.equal(macQuery(''), null);
  assert.equal(macQuery('tftp'), null);
  assert.equal(macQuery('52:54:00:aa:bb:01:02'), null, 'longer than a MAC');
  const q = macQuery('52-54-00-AA-BB-01')!;
  assert.ok(lineConcernsMac({ mac: '52:54:00:aa:bb:01', message: 'x' }, q));
  assert.ok(lineConcernsMac({ message: 'DISCOVER from 52:54:00:aa:bb:01 via 0.0.0.0:68' }, q));
  assert.ok(lineConcernsMac({ message: 'reservation 5254.00aa.bb01' }, q));
  assert.ok(!lineConcernsMac({ mac: '52:54:00:aa:bb:02', message: 'RRQ from 52:54:00:aa:bb:02' }, q));
});

test('dashboard log store: merged by seq without duplicates, bounded, filtered by level and MAC', () => {
  const line = (seq: number, level: LogLine['level'], mac?: string): LogLine => ({ seq, time: t0, level, tag: 'DHCP', message: `line ${seq}`, ...(mac ? { mac } : {}) });
  const a = [line(1, 'debug'), line(2, 'info', '52:54:00:00:00:01'), line(3, 'warn')];
  const merged = mergeLines(a, [line(2, 'info'), line(3, 'warn'), line(4, 'error', '52:54:00:00:00:02')]);
  assert.deepEqual(merged.map((l) => l.seq), [1, 2, 3, 4]);
  assert.deepEqual(mergeLines(merged, [line(5, 'info'), line(6, 'info')], 3).map((l) => l.seq), [4, 5, 6]);
  assert.equal(mergeLines(merged, [line(3, 'warn')]), merged, 'nothing new: the same array (no re-render)');
  assert.deepEqual(filterLines(merged, 'warn', '').map((l) => l.seq), [3, 4]);
  assert.deepEqual(filterLines(merged, 'debug', '52-54-00-00-00-01').map((l) => l.seq), [2]);
  assert.deepEqual(filterLines(merged, 'debug', 'not a mac').map((l) => l.seq), [1, 2, 3, 4], 'text that is no MAC filters nothing');
});

test('service cards: listening with addresses, off with the reason, failed with the start error or a runtime error', () => {
  const serving: ServingState = {
    ...IDLE_STATE,
    phase: 'serving',
    interface: 'br0',
    serverIp: '192.168.77.1',
    dhcpMode: 'proxy',
    services: [
      { name: 'proxy', address: '0.0.0.0', port: 67 },
      { name: 'proxy', address: '192.168.77.1', port: 4011 },
      { name: 'tftp', address: '192.168.77.1', port: 69 },
      { name: 'http', address: '192.168.77.1', port: 80 },
    ],
  };
  const counters = emptyCounters();
  counters.tftp.started = 2;
  const cards = Object.fromEntries(serviceStatuses(serving, counters).map((c) => [c.id, c]));
  assert.equal(cards.proxy!.kind, 'listening');
  assert.deepEqual(cards.proxy!.listening, ['0.0.0.0:67', '192.168.77.1:4011']);
  assert.equal(cards.dhcp!.kind, 'off');
  assert.match(cards.dhcp!.detail ?? '', /proxy mode/);
  assert.equal(cards.ftp!.kind, 'off');
  assert.equal(cards.tftp!.counters.find((c) => c.label === 'transfers')?.value, 2);

  counters.errors.HTTP = { time: t0, message: 'HTTP socket closed', hint: 'restart' };
  assert.equal(serviceStatuses(serving, counters).find((c) => c.id === 'http')?.kind, 'failed');

  const failed: ServingState = { ...IDLE_STATE, phase: 'failed', interface: 'br0', error: { code: 'port-in-use' as never, message: 'TFTP port 69 on 192.168.77.1 is already in use (EADDRINUSE)', hint: 'Stop the other TFTP server.' } };
  const fc = serviceStatuses(failed, emptyCounters());
  assert.equal(fc.find((c) => c.id === 'tftp')?.kind, 'failed');
  assert.match(fc.find((c) => c.id === 'tftp')?.error?.message ?? '', /already in use/);
  assert.ok(fc.filter((c) => c.id !== 'tftp').every((c) => c.kind === 'idle'));
  assert.equal(serviceOfError('Cannot listen for FTP on 1.2.3.4:21: boom'), 'ftp');
  assert.equal(serviceOfError('No permission to open HTTP port 80 on 1.2.3.4 (EACCES)'), 'http');
  assert.equal(serviceOfError('br0 has no IPv4 address'), null);
});

test('export through the AppController: unzip -t passes, the parts are there, and no secret is in the zip or its files', async (t) => {
  if (!labGate(t, { commands: ['unzip'] })) return;
  const stateDir = join(work, 'state');
  const host = new EngineHost();
  const controller = new AppController({ baseConfig: { stateDir }, host, listInterfaces: async () => [], appVersion: '9.9.9-test' });
  try {
    const ROOT_PW = 'RootPw-Secret-4471';
    const ADMIN_PW = 'AdminPw-Secret-8812';
    const BMC_PW = 'BmcPw-Secret-3390';
    const TOKEN = 'webtoken0123456789abcdefXYZ';
    const p: Profile = structuredClone(DEFAULT_PROFILE);
    p.name = 'lab';
    p.target = 'debian12';
    p.accounts.users = [{ name: 'admin', passwordHash: null, groups: [], sudo: true, sshKeys: [] }];
    const saved = await controller.saveProfile({ profile: p, password: ROOT_PW, adminPassword: ADMIN_PW });
    const rootHash = saved.accounts.rootPasswordHash!;
    const adminHash = saved.accounts.users[0]!.passwordHash!;
    assert.match(rootHash, /^\$6\$/);
    await controller.addBmc({ host: '192.168.77.50', user: 'ADMIN', password: BMC_PW });

    // The engine's lines as EngineHost hands them over, one echoing the hash, one a token.
    const mac = '52:54:00:fb:00:07';
    host.emit('event', { type: 'lease', time: t0, action: 'ack', mac, ip: '192.168.77.107' });
    host.emit('log', { type: 'log', level: 'debug', subsystem: 'HTTP', message: `192.168.77.107 GET /answer?token=${TOKEN}: 200` });
    host.emit('log', { type: 'log', level: 'warn', subsystem: 'ENGINE', message: `profile root hash ${rootHash} (should never be logged)` });
    // Free text nothing marks as secret: a typed password in a hostname line, a BMC password quoted by an
    // error and in an Authorization value, a client's failure text, and the web token the web server hands over.
    const WEB_TOKEN = 'f00dfeed0123456789abcdef00112233';
    controller.noteSecret('web UI token', WEB_TOKEN);
    const BMC2_PW = 'p@ss w/rd:"x"&9';
    await controller.addBmc({ host: '192.168.77.51', user: 'root', password: BMC2_PW });
    const basic = Buffer.from(`root:${BMC2_PW}`).toString('base64');
    host.emit('log', { type: 'log', level: 'info', subsystem: 'HOST', message: `hostname field set to ${ROOT_PW}` });
    host.emit('log', { type: 'log', level: 'warn', subsystem: 'HOST', message: `redfish 192.168.77.51: 401 for ${basic} (${encodeURIComponent(BMC2_PW)})` });
    host.emit('log', { type: 'log', level: 'info', subsystem: 'HOST', message: `link pasted: ${WEB_TOKEN}` });
    host.emit('event', { type: 'error', time: t0, subsystem: 'HTTP', error: { code: 'bad-option' as never, message: `BMC 192.168.77.50 rejected ADMIN/${BMC_PW}`, hint: 'retype it' } });
    host.emit('event', { type: 'stage', time: t0, mac, stage: 'failed', source: 'installer', message: `user admin password ${ADMIN_PW} rejected` });
    for (let i = 0; i < 100 && !(await controller.listClients()).some((c) => JSON.stringify(c).includes('rejected')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await controller.listClients()).some((c) => JSON.stringify(c).includes(ADMIN_PW)), "the client record holds the password in its failure text (what the zip must scrub)");
    const snap = await controller.getLogSnapshot();
    assert.equal(snap.lines.find((l) => l.tag === 'HTTP')?.mac, mac, 'the HTTP line got its MAC from the lease');
    assert.equal(snap.lines.find((l) => l.tag === 'HTTP')?.level, 'debug', 'debug lines are kept');

    const result = await controller.exportDiagnostics();
    assert.ok(result.savedTo && result.savedTo.startsWith(join(stateDir, 'diagnostics')), 'without a dialog hook it lands in the state dir');
    assert.match(result.fileName, /^fieldboot-diagnostics-\d{8}-\d{6}\.zip$/);
    for (const f of ['README.txt', 'log.txt', 'events.jsonl', 'serve-config.json', 'profiles/lab.json', 'bmcs.json', 'clients-now.json', 'preflight.json', 'versions.json', 'counters.json']) {
      assert.ok(result.files.includes(f), `${f} in ${result.files.join(', ')}`);
    }
    const zip = readFileSync(result.savedTo!);
    assert.equal(zip.length, result.bytes);
    assert.match(execFileSync('unzip', ['-t', result.savedTo!], { encoding: 'utf8' }), /No errors detected/);
    const secrets = [ROOT_PW, ADMIN_PW, BMC_PW, TOKEN, rootHash, adminHash, rootHash.split('$')[2]!, WEB_TOKEN, BMC2_PW, basic, encodeURIComponent(BMC2_PW), JSON.stringify(BMC2_PW).slice(1, -1)];
    const files = Object.fromEntries(result.files.map((f) => [f, execFileSync('unzip', ['-p', result.savedTo!, f], { encoding: 'utf8' })]));
    for (const s of secrets) {
      assert.ok(!zip.includes(Buffer.from(s)), `"${s.slice(0, 12)}…" is not in the zip's bytes`);
      for (const [name, text] of Object.entries(files)) assert.ok(!text.includes(s), `"${s.slice(0, 12)}…" is not in ${name}`);
    }
    assert.match(files['log.txt']!, /DEBUG HTTP\s+52:54:00:fb:00:07 192\.168\.77\.107 GET \/answer\?token=\[removed\]/);
    assert.match(files['log.txt']!, /profile root hash \[removed: root password hash \(profile lab\)\]/);
    assert.match(files['log.txt']!, /hostname field set to \[removed: root password \(profile lab\)\]/);
    assert.match(files['log.txt']!, /401 for \[removed: BMC password \(192\.168\.77\.51\)\] \(\[removed: BMC password \(192\.168\.77\.51\)\]\)/);
    assert.match(files['log.txt']!, /link pasted: \[removed: web UI token\]/);
    assert.match(files['events.jsonl']!, /rejected ADMIN\/\[removed: BMC password \(192\.168\.77\.50\)\]/);
    assert.match(files['clients-now.json']!, /user admin password \[removed: password of admin \(profile lab\)\] rejected/);
    const profile = JSON.parse(files['profiles/lab.json']!) as Profile;
    assert.equal(profile.accounts.rootPasswordHash, REDACTED);
    assert.equal(profile.name, 'lab', 'the rest of the profile is there');
    const bmcs = JSON.parse(files['bmcs.json']!) as { host: string; hasPassword: boolean }[];
    assert.equal(bmcs[0]?.host, '192.168.77.50');
    const versions = JSON.parse(files['versions.json']!) as Record<string, string>;
    assert.equal(versions.fieldboot, '9.9.9-test');
    assert.equal(versions.node, process.versions.node);
    assert.match(versions.os ?? '', /\S/);
    assert.equal(JSON.parse(files['events.jsonl']!.trim().split('\n')[0]!).type, 'lease');

    // A restarted app knows no typed password: the stored ones still go, the BMC's opened from the vault.
    const host2 = new EngineHost();
    const later = new AppController({ baseConfig: { stateDir }, host: host2, listInterfaces: async () => [] });
    try {
      host2.emit('log', { type: 'log', level: 'warn', subsystem: 'HOST', message: `BMC said ${BMC_PW} / ${BMC2_PW}; hash ${adminHash.split('$').at(-1)!}` });
      await later.getLogSnapshot();
      const again = await later.exportDiagnostics();
      const log = execFileSync('unzip', ['-p', again.savedTo!, 'log.txt'], { encoding: 'utf8' });
      assert.ok(![BMC_PW, BMC2_PW, adminHash.split('$').at(-1)!].some((x) => log.includes(x)), log);
      assert.match(log, /BMC said \[removed: BMC password \(192\.168\.77\.50:\d+\)\] \/ \[removed: BMC password \(192\.168\.77\.51:\d+\)\]; hash \[removed: password hash of admin \(profile lab\)\]/);
    } finally {
      await later.dispose();
    }
  } finally {
    await controller.dispose();
  }
});
