/**
 * The FTP control connection's idle limit on 127.0.0.1, with a 1 s limit: a raw TCP client that connects and
 * says nothing gets 421 and is disconnected; one that sends NOOP more often than the limit stays; a logged-in
 * client with a passive data connection open but no command running is closed too; and curl and lftp
 * downloads throttled so the server's RETR runs two limits (the control connection silent all along)
 * complete in one piece with the right sha256.
 */
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { DEFAULT_FTP_IDLE_TIMEOUT_MS, FtpServer } from '../../electron/engine/servers/ftp-server';
import { makeTempDir, patternBytes } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';
import { LOOPBACK, run, sha256, sha256File, sleep, startFtp, type Harness } from './http-fixtures';

const IDLE_MS = 1000;
/**
 * The downloads run against a second server with a longer limit. The server's RETR ends when its last byte is
 * handed to the kernel, and its 226 starts the idle clock while the client may still be reading what the
 * loopback socket buffers hold (measured: about 7.5 MB); a client must be done with that within the limit,
 * as with vsftpd's idle_session_timeout. 48 MiB at 8 MB/s: about 6 s, the RETR itself about 5 s (two
 * limits with nothing said on the control connection), the drain after it about 1 s.
 */
const TRANSFER_IDLE_MS = 2500;
const FILE = patternBytes(48 * 1024 * 1024, 77);
const RATE_BYTES = 8_000_000;

/** A raw control connection: every line the server sent, when it closed, and how to send a command. */
interface RawClient {
  socket: Socket;
  lines: string[];
  connectedAt: number;
  closedAt: Promise<number>;
  send(line: string): void;
  waitLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: LOOPBACK, port });
    const lines: string[] = [];
    let buffered = '';
    const waiters: (() => void)[] = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\r\n')) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 2);
      }
      for (const w of waiters.splice(0)) w();
    });
    const closedAt = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        lines,
        connectedAt: Date.now(),
        closedAt,
        send: (line) => socket.write(`${line}\r\n`),
        waitLine: async (pattern, timeoutMs = 5000) => {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const hit = lines.find((l) => pattern.test(l));
            if (hit !== undefined) return hit;
            if (Date.now() > deadline || socket.destroyed) throw new Error(`no line matching ${pattern} in ${JSON.stringify(lines)}`);
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
        },
      }),
    );
  });
}

describe('FTP control connection idle limit', () => {
  let dir: string;
  let h: Harness<FtpServer>;
  let transfers: Harness<FtpServer>;
  let url: string;

  before(async () => {
    dir = await makeTempDir('fb-ftp-idle-');
    await fsp.writeFile(join(dir, 'big.bin'), FILE);
    h = await startFtp({ mounts: [{ prefix: '/pub/', source: new DirectorySource(dir) }], idleTimeoutMs: IDLE_MS });
    transfers = await startFtp({ mounts: [{ prefix: '/pub/', source: new DirectorySource(dir) }], idleTimeoutMs: TRANSFER_IDLE_MS });
    url = `ftp://${LOOPBACK}:${transfers.port}`;
  });

  after(async () => {
    await h.close();
    await transfers.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test('the default limit is five minutes', () => {
    assert.equal(DEFAULT_FTP_IDLE_TIMEOUT_MS, 300_000);
  });

  test('a client that connects and says nothing gets 421 and is disconnected after the limit', async () => {
    const c = await rawClient(h.port);
    await c.waitLine(/^220 /);
    const closedAt = await Promise.race([c.closedAt, sleep(IDLE_MS * 5).then(() => null)]);
    assert.ok(closedAt !== null, `still connected after ${IDLE_MS * 5} ms; lines ${JSON.stringify(c.lines)}`);
    const waited = closedAt - c.connectedAt;
    assert.ok(waited >= IDLE_MS - 50, `closed after ${waited} ms, before the ${IDLE_MS} ms limit`);
    assert.ok(waited <= IDLE_MS * 2 + 500, `closed after ${waited} ms`);
    assert.match(c.lines.at(-1) ?? '', /^421 Idle for 1 seconds/, `the last reply is 421: ${JSON.stringify(c.lines)}`);
    assert.ok(h.logs.some((l) => /no command for 1 s, control connection closed \(421\)/.test(l.message)), 'the close is logged');
  });

  test('a client sending NOOP more often than the limit stays connected; once it stops it is closed', async () => {
    const c = await rawClient(h.port);
    await c.waitLine(/^220 /);
    const until = Date.now() + IDLE_MS * 3;
    let noops = 0;
    let lastSent = 0;
    while (Date.now() < until) {
      c.send('NOOP');
      lastSent = Date.now();
      noops++;
      await sleep(IDLE_MS / 3);
    }
    assert.ok(!c.socket.destroyed, `closed while active: ${JSON.stringify(c.lines)}`);
    assert.ok(c.lines.filter((l) => l.startsWith('200 ')).length >= noops - 1, 'every NOOP answered');
    assert.ok(!c.lines.some((l) => l.startsWith('421')));
    const closedAt = await Promise.race([c.closedAt, sleep(IDLE_MS * 5).then(() => null)]);
    assert.ok(closedAt !== null, 'closed once the NOOPs stopped');
    assert.ok(closedAt - lastSent >= IDLE_MS - 50, `closed ${closedAt - lastSent} ms after the last command`);
    assert.match(c.lines.at(-1) ?? '', /^421 /);
  });

  test('an open passive data connection with no command running does not keep an abandoned session', async () => {
    const c = await rawClient(h.port);
    await c.waitLine(/^220 /);
    // ftp-srv logs an anonymous user in on USER alone (230, no PASS asked).
    c.send('USER anonymous');
    await c.waitLine(/^230 /);
    c.send('PASV');
    const pasv = await c.waitLine(/^227 /);
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv);
    assert.ok(m, pasv);
    const data = createConnection({ host: LOOPBACK, port: Number(m[5]) * 256 + Number(m[6]) });
    await new Promise<void>((r, j) => data.once('connect', () => r()).once('error', j));
    const dataClosed = new Promise<void>((r) => data.once('close', () => r()));
    data.resume();
    const lastCommandAt = Date.now();
    const closedAt = await Promise.race([c.closedAt, sleep(IDLE_MS * 5).then(() => null)]);
    assert.ok(closedAt !== null, 'the control connection was closed');
    assert.ok(closedAt - lastCommandAt >= IDLE_MS - 50);
    assert.match(c.lines.at(-1) ?? '', /^421 /);
    await Promise.race([dataClosed, sleep(3000).then(() => assert.fail('the data connection outlived its control connection'))]);
  });

  /** How long the server's RETR of big.bin ran (its start and end events), for the last transfer. */
  const lastRetrMs = (): number => {
    const ev = transfers.fileEvents((e) => e.protocol === 'ftp' && e.path === '/pub/big.bin');
    const start = ev.filter((e) => e.action === 'start').at(-1);
    const end = ev.filter((e) => e.action === 'end').at(-1);
    assert.ok(start && end, `start and end events: ${JSON.stringify(ev.map((e) => e.action))}`);
    return Date.parse(end.time) - Date.parse(start.time);
  };

  test('a throttled curl download, control connection silent for several limits, completes intact', { skip: hasCommand('curl') ? false : 'needs curl', timeout: 60_000 }, async () => {
    const out = join(dir, 'curl-out.bin');
    const r = await run('curl', ['-sS', '--limit-rate', String(RATE_BYTES), '-o', out, `${url}/pub/big.bin`], 45_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!transfers.logs.some((l) => /control connection closed/.test(l.message)), 'no idle close');
    assert.equal(await sha256File(out), sha256(FILE));
    const retr = lastRetrMs();
    assert.ok(retr > TRANSFER_IDLE_MS * 1.5, `the server's RETR ran ${retr} ms: it must outlast the limit for this test to mean anything`);
  });

  test('the same with lftp', { skip: hasCommand('lftp') ? false : 'needs lftp', timeout: 60_000 }, async () => {
    const out = join(dir, 'lftp-out.bin');
    const r = await run(
      'lftp',
      ['-c', `set net:max-retries 1; set net:timeout 10; set ftp:passive-mode on; set cmd:fail-exit yes; set net:limit-rate ${RATE_BYTES}; open ${url}; get /pub/big.bin -o ${out}`],
      45_000,
    );
    assert.equal(r.code, 0, r.stderr);
    // lftp resumes with REST after losing its control connection: one RETR means none was lost.
    assert.equal(transfers.fileEvents((e) => e.action === 'start').length, 2, 'one RETR each for curl and lftp');
    assert.ok(!transfers.logs.some((l) => /control connection closed/.test(l.message)), 'no idle close');
    assert.equal(await sha256File(out), sha256(FILE));
    const retr = lastRetrMs();
    assert.ok(retr > TRANSFER_IDLE_MS * 1.5, `the server's RETR ran ${retr} ms`);
  });
});
