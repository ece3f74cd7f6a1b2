import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_SETTINGS,
  checkSettings,
  isAbsolutePath,
  parseSettingsForm,
  settingsProblems,
  settingsToForm,
  type AppSettings,
  type SettingsForm,
} from '../../shared/settings';

const ok = (over: Partial<AppSettings> = {}): AppSettings => ({ ...DEFAULT_SETTINGS, ...over });
const form = (over: Partial<SettingsForm> = {}): SettingsForm => ({ ...settingsToForm(DEFAULT_SETTINGS), ...over });

test('the defaults check, and round-trip through the form', () => {
  assert.deepEqual(settingsProblems(DEFAULT_SETTINGS), {});
  assert.deepEqual(parseSettingsForm(settingsToForm(DEFAULT_SETTINGS)), { settings: DEFAULT_SETTINGS, errors: {} });
});

test('ports: 1 to 65535, whole numbers, digits only in the form', () => {
  for (const bad of [0, 65536, -1, 80.5, Number.NaN]) assert.match(settingsProblems(ok({ httpPort: bad })).httpPort ?? '', /HTTP port must be a whole number from 1 to 65535/, String(bad));
  for (const good of [1, 65535, 8080]) assert.equal(settingsProblems(ok({ httpPort: good })).httpPort, undefined);
  for (const text of ['', '0x50', '8e1', '80.0', 'eighty', '-80', '99999999999']) {
    const r = parseSettingsForm(form({ tftpPort: text }));
    assert.equal(r.settings, null, text);
    assert.ok(r.errors.tftpPort, text);
  }
  assert.equal(parseSettingsForm(form({ tftpPort: ' 6969 ' })).settings?.tftpPort, 6969);
});

test('ports must be distinct: the later field is marked, naming the server that has it', () => {
  const errors = settingsProblems(ok({ httpPort: 8080, ftpPort: 8080 }));
  assert.deepEqual(Object.keys(errors), ['ftpPort']);
  assert.match(errors.ftpPort ?? '', /8080 is already the HTTP port/);
  // A port that is out of range is reported as such, not as a clash too.
  const both = settingsProblems(ok({ tftpPort: 0, httpPort: 0 }));
  assert.match(both.tftpPort ?? '', /from 1 to 65535/);
  assert.match(both.httpPort ?? '', /from 1 to 65535/);
  assert.match(settingsProblems(ok({ proxyPort: 67 })).proxyPort ?? '', /already the DHCP port/);
});

test('pool: empty or FIRST-LAST in order (inside the subnet is checked at start)', () => {
  assert.equal(settingsProblems(ok({ range: '' })).range, undefined);
  assert.equal(settingsProblems(ok({ range: '10.77.0.100-10.77.0.200' })).range, undefined);
  assert.match(settingsProblems(ok({ range: '10.77.0.200-10.77.0.100' })).range ?? '', /must not come after/);
  for (const bad of ['10.77.0.100', '10.77.0.1-10.77.0.300', 'a-b', '10.77.0.1-10.77.0.2-10.77.0.3']) assert.match(settingsProblems(ok({ range: bad })).range ?? '', /FIRST-LAST/, bad);
  assert.equal(parseSettingsForm(form({ range: '  10.0.0.5-10.0.0.9 ' })).settings?.range, '10.0.0.5-10.0.0.9');
});

test('lease time 60 s to a week; menu timeout 0 to 600 s', () => {
  assert.ok(settingsProblems(ok({ leaseTime: 59 })).leaseTime);
  assert.equal(settingsProblems(ok({ leaseTime: 60 })).leaseTime, undefined);
  assert.equal(settingsProblems(ok({ leaseTime: 604800 })).leaseTime, undefined);
  assert.match(settingsProblems(ok({ leaseTime: 604801 })).leaseTime ?? '', /60 \(a minute\) to 604800 \(a week\)/);
  assert.equal(settingsProblems(ok({ menuTimeout: 0 })).menuTimeout, undefined);
  assert.equal(settingsProblems(ok({ menuTimeout: 600 })).menuTimeout, undefined);
  assert.match(settingsProblems(ok({ menuTimeout: 601 })).menuTimeout ?? '', /from 0 to 600/);
  assert.ok(parseSettingsForm(form({ menuTimeout: '5s' })).errors.menuTimeout);
});

test('loader and log level are enums; the state folder is absolute or empty', () => {
  assert.equal(settingsProblems(ok({ biosLoader: 'pxelinux' })).biosLoader, undefined);
  assert.ok(settingsProblems(ok({ biosLoader: 'grub' as AppSettings['biosLoader'] })).biosLoader);
  for (const level of ['debug', 'info', 'warn', 'error'] as const) assert.equal(settingsProblems(ok({ logLevel: level })).logLevel, undefined);
  assert.ok(settingsProblems(ok({ logLevel: 'trace' as AppSettings['logLevel'] })).logLevel);
  for (const good of ['', '/var/lib/fieldboot', 'C:\\FieldBoot\\state', 'D:/fb', '\\\\nas\\share\\fb']) assert.equal(settingsProblems(ok({ stateDir: good })).stateDir, undefined, good);
  for (const bad of ['state', './state', '~/state', 'C:state']) assert.match(settingsProblems(ok({ stateDir: bad })).stateDir ?? '', /full path/, bad);
  assert.ok(settingsProblems(ok({ stateDir: '/a\0b' })).stateDir);
  assert.equal(isAbsolutePath('/'), true);
});

test('checkSettings (trust boundary): exact types, every key, no unknown keys', () => {
  assert.deepEqual(checkSettings({ ...DEFAULT_SETTINGS }), { ok: true, settings: DEFAULT_SETTINGS });
  const asText = checkSettings({ ...DEFAULT_SETTINGS, httpPort: '80' });
  assert.equal(asText.ok, false);
  assert.match(asText.ok ? '' : asText.errors.httpPort ?? '', /must be a number/);
  const missing: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  delete missing.logLevel;
  const m = checkSettings(missing);
  assert.equal(m.ok, false);
  assert.match(m.ok ? '' : m.message, /logLevel: This setting is missing/);
  // With a base, a missing key (an older file) takes the base value.
  assert.deepEqual(checkSettings(missing, DEFAULT_SETTINGS), { ok: true, settings: DEFAULT_SETTINGS });
  const extra = checkSettings({ ...DEFAULT_SETTINGS, rootPassword: 'x' });
  assert.equal(extra.ok, false);
  assert.match(extra.ok ? '' : extra.message, /Unknown setting: rootPassword/);
  for (const raw of [null, [], 'x', 42]) assert.equal(checkSettings(raw).ok, false);
  const clash = checkSettings({ ...DEFAULT_SETTINGS, ftpPort: 80 });
  assert.match(clash.ok ? '' : clash.message, /ftpPort: Port 80 is already the HTTP port/);
});
