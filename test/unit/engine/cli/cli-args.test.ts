import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli, UsageError } from '../../../../electron/engine/cli/cli-args';

test('help and version', () => {
  assert.deepEqual(parseCli([]), { kind: 'help' });
  assert.deepEqual(parseCli(['--help']), { kind: 'help' });
  assert.deepEqual(parseCli(['serve', '--help']), { kind: 'help' });
  assert.deepEqual(parseCli(['--version']), { kind: 'version' });
});

test('interfaces flags', () => {
  assert.deepEqual(parseCli(['interfaces', '--json']), { kind: 'interfaces', json: true, all: false });
  assert.throws(() => parseCli(['interfaces', '--bogus']));
});

test('serve with the DESIGN.md option names', () => {
  const cmd = parseCli(['serve', '--interface', 'br0', '--root', '/tree', '--dhcp', 'full', '--range', '192.168.77.100-192.168.77.150',
    '--allow', '52:54:00:00:00:10,52-54-00-00-00-11', '--state-dir', '/tmp/s', '--http-port', '8080', '--tftp-port', '6969', '--ftp-port', '2121', '--json']);
  assert.equal(cmd.kind, 'serve');
  if (cmd.kind !== 'serve') return;
  assert.equal(cmd.config.interface, 'br0');
  assert.equal(cmd.config.root, '/tree');
  assert.equal(cmd.config.range, '192.168.77.100-192.168.77.150');
  assert.deepEqual(cmd.config.allow, ['52:54:00:00:00:10', '52:54:00:00:00:11']);
  assert.equal(cmd.config.stateDir, '/tmp/s');
  assert.equal(cmd.config.httpPort, 8080);
  assert.equal(cmd.config.tftpPort, 6969);
  assert.equal(cmd.config.ftpPort, 2121);
  assert.equal(cmd.config.dhcpPort, 67);
  assert.equal(cmd.json, true);
  assert.equal(cmd.ui, false);
});

test('serve refuses bad input with a usage error naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['serve'], /--interface/],
    [['serve', '-i', 'br0', '--dhcp', 'maybe'], /--dhcp/],
    [['serve', '-i', 'br0', '--range', '10.0.0.9-10.0.0.1'], /--range/],
    [['serve', '-i', 'br0', '--dhcp', 'proxy', '--range', '10.0.0.1-10.0.0.9'], /--range/],
    [['serve', '-i', 'br0', '--allow', 'nope'], /--allow/],
    [['serve', '-i', 'br0', '--tftp-port', '70000'], /--tftp-port/],
    [['serve', '-i', 'br0', '--dns', '8.8.8'], /--dns/],
    [['serve', '-i', 'br0', '--lease-time', '5'], /--lease-time/],
    [['serve', '-i', 'br0', '--no-such-flag'], /no-such-flag/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseCli(argv), (err: unknown) => err instanceof UsageError && re.test(err.message), argv.join(' '));
  }
});

test('serve --ui does not need an interface', () => {
  const cmd = parseCli(['serve', '--ui', '--ui-port', '9999']);
  assert.equal(cmd.kind, 'serve');
  if (cmd.kind === 'serve') {
    assert.equal(cmd.ui, true);
    assert.equal(cmd.uiPort, 9999);
  }
});
