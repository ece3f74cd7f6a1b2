/**
 * The transports an elevated engine uses, run here without elevation: the socket transport (the engine
 * connects back to the host's 0700 Unix socket with a token; macOS and Windows prompts need it) serves and
 * stops a session; strangers without the token are dropped; and for stdio and socket alike, a host killed
 * with SIGKILL takes its engine with it within seconds, and the engine's ports are free again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineHost, defaultEngineCommand, plainLaunch } from '../../electron/engine-host/engine-host';
import { EngineSocketListener } from '../../electron/engine-host/engine-socket';
import { explainMacPromptExit, explainPkexecExit } from '../../electron/engine-host/engine-elevation';
import { ENGINE_CONNECT_ARG, ENGINE_TOKEN_FILE_ARG, EngineExitCode } from '../../shared/engine-protocol';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { alive, freePort, hostReport, listening, spawnEngine, spawnHost, waitGone } from '../helpers/engine-processes';

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

test('socket transport: the engine connects back with the token, serves a session on loopback, stops, and shuts down', { timeout: 60_000 }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-elev-state-'));
  const root = mkdtempSync(join(tmpdir(), 'fb-elev-root-'));
  writeFileSync(join(root, 'hello.txt'), 'served over the socket transport\n');
  const [httpPort, tftpPort] = [await freePort(), await freePort()];
  const host = new EngineHost(plainLaunch(defaultEngineCommand(), 'socket'));
  const fileEvents: string[] = [];
  host.on('event', (e) => {
    if (e.type === 'file') fileEvents.push(e.path);
  });
  try {
    const ready = await host.start({ interface: 'lo', dhcpMode: 'off', isos: [], allow: [], stateDir, root, httpPort, tftpPort, ftp: false });
    assert.equal(host.transport, 'socket');
    assert.equal(ready.serverIp, '127.0.0.1');
    assert.equal(host.enginePid, host.pid, 'no prompt in between: the spawned process is the engine');
    const got = await httpGet(httpPort, '/boot/hello.txt');
    assert.equal(got.status, 200);
    assert.equal(got.body, 'served over the socket transport\n');
    // Events come back over the socket too: the file event for the fetch above.
    for (let i = 0; i < 50 && !fileEvents.some((p) => p.includes('hello.txt')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fileEvents.some((p) => p.includes('hello.txt')), `file events: ${fileEvents.join(', ')}`);
    const stopped = new Promise<string>((r) => host.once('stopped', r));
    await host.stop();
    assert.equal(await stopped, 'stopped by host');
    assert.equal(await listening(httpPort), false, 'HTTP port closed after stop');
    const pid = host.pid!;
    const exited = new Promise<number | null>((r) => host.once('exit', (c) => r(c)));
    await host.dispose();
    assert.equal(await exited, EngineExitCode.Ok);
    assert.ok(!alive(pid));
  } finally {
    await host.dispose();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test('engine socket: 0700 directory, 0600 token file; a stranger without the token is dropped, the engine gets in, then the directory is gone', { timeout: 20_000 }, async () => {
  const listener = await EngineSocketListener.open();
  try {
    assert.equal(statSync(listener.dir).mode & 0o777, 0o700);
    assert.equal(statSync(listener.tokenFile).mode & 0o777, 0o600);
    assert.deepEqual(listener.engineArgs, [ENGINE_CONNECT_ARG, listener.address, ENGINE_TOKEN_FILE_ARG, listener.tokenFile]);
    const accepted = listener.accept(10_000);
    const stranger = createConnection(listener.address);
    const strangerClosed = new Promise<void>((r) => stranger.once('close', () => r()));
    stranger.on('error', () => {});
    stranger.write(JSON.stringify({ type: 'auth', token: 'f'.repeat(64) }) + '\n');
    await strangerClosed;
    assert.equal(listener.rejected, 1);
    const token = readFileSync(listener.tokenFile, 'utf8').trim();
    const engine = createConnection(listener.address);
    engine.write(JSON.stringify({ type: 'auth', token }) + '\n' + JSON.stringify({ type: 'hello', protocol: 1, pid: 1, privileged: false }) + '\n');
    const { socket, rest } = await accepted;
    assert.match(rest.toString(), /"type":"hello"/, 'bytes after the auth line are kept for the decoder');
    assert.equal(existsSync(listener.dir), false, 'socket and token file removed once the engine is in');
    socket.destroy();
    engine.destroy();
  } finally {
    listener.close();
  }
});

test('the engine refuses a token file that does not hold a token (it never sends a file of the caller\'s choosing)', { timeout: 20_000 }, async () => {
  const listener = await EngineSocketListener.open();
  const notAToken = join(listener.dir, 'not-a-token');
  writeFileSync(notAToken, 'root:secret:19000:0:99999:7:::\n');
  try {
    const accepted = listener.accept(8000);
    accepted.catch(() => {});
    const child = spawnEngine([ENGINE_CONNECT_ARG, listener.address, ENGINE_TOKEN_FILE_ARG, notAToken], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, EngineExitCode.BadUsage);
    assert.doesNotMatch(stderr, /secret/);
    assert.equal(listener.rejected, 0, 'it did not even connect');
  } finally {
    listener.close();
  }
});

for (const transport of ['stdio', 'socket'] as const) {
  test(`${transport} transport: SIGKILL of the host ends its serving engine within 5 s and frees its ports`, { timeout: 60_000 }, async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'fb-elev-kill-'));
    const [httpPort, tftpPort] = [await freePort(), await freePort()];
    const hostProc = spawnHost('engine-elevation-host.ts', [transport, stateDir, String(httpPort), String(tftpPort)]);
    try {
      const info = await hostReport<{ enginePid: number; transport: string }>(hostProc, 30_000);
      assert.equal(info.transport, transport);
      assert.ok(alive(info.enginePid), 'engine running while its host lives');
      assert.equal(await listening(httpPort), true, 'engine serving HTTP');
      hostProc.kill('SIGKILL');
      const took = await waitGone(info.enginePid, 5000);
      assert.ok(took < 5000, `engine gone in ${took} ms`);
      assert.equal(await listening(httpPort), false, 'HTTP port free again');
      // Free means bindable: a new server takes the port the engine held.
      await new Promise<void>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(httpPort, '127.0.0.1', () => s.close(() => resolve()));
      });
    } finally {
      hostProc.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}

test('a prompt dismissed before the engine is up comes back as the launch plan\'s error (stdio like pkexec, socket like the macOS prompt)', { timeout: 30_000 }, async () => {
  const fake = (stderr: string, code: number) => ({ command: process.execPath, args: ['-e', `process.stderr.write(${JSON.stringify(stderr)}); process.exit(${code})`] });
  const pk = new EngineHost({ transport: 'stdio', elevated: true, label: 'pkexec', command: () => fake('Error executing command as another user: Request dismissed\n', 126), explainExit: explainPkexecExit });
  await assert.rejects(pk.ensureRunning(), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.NoPrivilege && /prompt was closed/.test(e.message));
  const connectArgs: string[] = [];
  const mac = new EngineHost({
    transport: 'socket',
    elevated: true,
    label: 'administrator prompt',
    command: (args) => {
      connectArgs.push(...args);
      return fake('0:180: execution error: User canceled. (-128)\n', 1);
    },
    explainExit: explainMacPromptExit,
  });
  const t0 = Date.now();
  await assert.rejects(mac.ensureRunning(), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.NoPrivilege && /cancelled/.test(e.message));
  assert.ok(Date.now() - t0 < 10_000, 'no wait for a connection that cannot come');
  // The socket directory is removed when the launch fails.
  const dir = connectArgs[1]!.replace(/\/engine\.sock$/, '');
  for (let i = 0; i < 20 && existsSync(dir); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(existsSync(dir), false, dir);
  // A launcher that fails for another reason keeps its own words.
  const other = new EngineHost({ transport: 'socket', command: () => fake('osascript: no such script\n', 1), explainExit: explainMacPromptExit });
  await assert.rejects(other.ensureRunning(), (e: unknown) => e instanceof FieldbootError && e.code === ErrorCode.EngineDied && /no such script/.test(e.message));
});
