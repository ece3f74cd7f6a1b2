/**
 * The HTTP server with curl on 127.0.0.1: GET, HEAD, ranges, validators, keep-alive reuse, traversal in
 * every spelling, methods, handler routes, mounts changed while serving, size and time limits, a client
 * that goes away mid-transfer (its descriptor is released), and 50 downloads at once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { MemorySource } from '../../electron/engine/files/memory-source';
import { HttpServer, type HttpMount } from '../../electron/engine/servers/http-server';
import { hasCommand } from '../helpers/requirements';
import { patternBytes } from '../helpers/iso-builder';
import { fdCount, LOOPBACK, run, sha256, sha256File, sleep, startHttp, waitFor, type Harness } from './http-fixtures';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const SMALL = 'DEFAULT local\n';
const MID = patternBytes(3_000_000, 5);
const BIG_SIZE = 64 * 1024 * 1024;

describe('HTTP server with curl', { skip: !hasCommand('curl') && 'needs curl' }, () => {
  let base: string;
  let root: string;
  let h: Harness<HttpServer>;
  let url: string;
  const generated = new MemorySource();
  let mounts: HttpMount[];

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'fb-http-'));
    root = join(base, 'root');
    mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
    mkdirSync(join(root, 'sub dir'), { recursive: true });
    writeFileSync(join(root, 'pxelinux.cfg', 'default'), SMALL);
    writeFileSync(join(root, 'mid.bin'), MID);
    writeFileSync(join(root, 'empty.bin'), '');
    writeFileSync(join(root, 'sub dir', 'a file.txt'), 'spaced\n');
    writeFileSync(join(root, 'big.bin'), '');
    await import('node:fs/promises').then((f) => f.truncate(join(root, 'big.bin'), BIG_SIZE));
    writeFileSync(join(base, 'secret.txt'), SECRET);
    symlinkSync(join(base, 'secret.txt'), join(root, 'escape-link'));
    generated.set('/boot.ipxe', '#!ipxe\nexit\n');
    mounts = [
      { prefix: '/tree/', source: new DirectorySource(root) },
      { prefix: '/listed/', source: new DirectorySource(root), listing: true },
      { prefix: '/gen/', source: generated },
      { path: '/whole/mid.iso', file: join(root, 'mid.bin') },
      {
        prefix: '/api/',
        handler: (req, _res, ctx) => {
          if (ctx.segments[0] === 'echo') return { body: `${req.method} ${ctx.subPath} ${ctx.query.get('mac') ?? '-'} ${ctx.body.toString('utf8')}` };
          if (ctx.segments[0] === 'ks') return { contentType: 'text/plain; charset=utf-8', body: `# kickstart for ${ctx.clientAddress}\n` };
          if (ctx.segments[0] === 'boom') throw new Error('handler exploded');
          if (ctx.segments[0] === 'raw') {
            _res.writeHead(202, { 'Content-Length': '3' });
            _res.end('raw');
            return undefined;
          }
          return null;
        },
      },
    ];
    h = await startHttp({ mounts });
    url = `http://${LOOPBACK}:${h.port}`;
  });

  after(async () => {
    await h.close();
    rmSync(base, { recursive: true, force: true });
  });

  const curl = (args: string[], timeoutMs = 30_000) => run('curl', ['-sS', ...args], timeoutMs);
  /** Status code and body of one request. */
  async function get(path: string, extra: string[] = []): Promise<{ status: number; body: string; headers: string }> {
    const dir = mkdtempSync(join(base, 'out-'));
    const r = await curl(['-o', join(dir, 'body'), '-D', join(dir, 'head'), '-w', '%{http_code}', ...extra, `${url}${path}`]);
    const { readFileSync } = await import('node:fs');
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8');
      } catch {
        return '';
      }
    };
    return { status: Number(r.stdout.trim()), body: read('body'), headers: read('head') };
  }

  test('GET: body, Content-Length, type, validators', async () => {
    const r = await get('/tree/pxelinux.cfg/default');
    assert.equal(r.status, 200);
    assert.equal(r.body, SMALL);
    assert.match(r.headers, new RegExp(`^content-length: ${SMALL.length}\\r$`, 'mi'));
    assert.match(r.headers, /^content-type: text\/plain/im);
    assert.match(r.headers, /^accept-ranges: bytes\r$/im);
    assert.match(r.headers, /^etag: "[0-9a-f]+-[0-9a-f]+"\r$/im);
    assert.match(r.headers, /^last-modified: \w{3}, \d\d \w{3} \d{4} /im);
    const mid = await curl(['-o', join(base, 'mid.out'), `${url}/tree/mid.bin`]);
    assert.equal(mid.code, 0, mid.stderr);
    assert.equal(await sha256File(join(base, 'mid.out')), sha256(MID));
    const spaced = await get('/tree/sub%20dir/a%20file.txt');
    assert.equal(spaced.body, 'spaced\n');
    assert.equal((await get('/gen/BOOT.IPXE')).body, '#!ipxe\nexit\n', 'generated files, matched case-insensitively');
    assert.equal((await get('/tree/empty.bin')).status, 200);
    const end = h.fileEvents((e) => e.path === '/tree/mid.bin' && e.action === 'end');
    assert.equal(end.length, 1);
    assert.equal(end[0]?.bytes, MID.length);
    assert.equal(end[0]?.size, MID.length);
    assert.match(end[0]?.client ?? '', /^127\.0\.0\.1:\d+$/);
  });

  test('HEAD: the sizes GET would send, no body, no transfer event, no handle left open', async () => {
    const before = h.fileEvents().length;
    for (const [path, size] of [
      ['/tree/mid.bin', MID.length],
      ['/tree/big.bin', BIG_SIZE],
      ['/tree/empty.bin', 0],
      ['/whole/mid.iso', MID.length],
      ['/tree/pxelinux.cfg/default', SMALL.length],
    ] as const) {
      const r = await curl(['-I', `${url}${path}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^HTTP\/1\.1 200/);
      assert.match(r.stdout, new RegExp(`^content-length: ${size}\\r$`, 'mi'), path);
    }
    assert.match((await curl(['-I', `${url}/whole/mid.iso`])).stdout, /^content-type: application\/vnd\.efi-iso\r$/im);
    assert.match((await curl(['-I', `${url}/tree/nope`])).stdout, /^HTTP\/1\.1 404/);
    assert.equal(h.fileEvents().length, before);
    assert.equal(h.server.openFileCount(), 0);
  });

  test('Range: 206 with Content-Range, suffix and open ranges, 416, multi-range as 200', async () => {
    const r1 = await get('/tree/mid.bin', ['-r', '100-199']);
    assert.equal(r1.status, 206);
    assert.match(r1.headers, new RegExp(`^content-range: bytes 100-199/${MID.length}\\r$`, 'mi'));
    assert.match(r1.headers, /^content-length: 100\r$/im);
    const bodyFile = join(base, 'range.out');
    await curl(['-r', '100-199', '-o', bodyFile, `${url}/tree/mid.bin`]);
    assert.equal(await sha256File(bodyFile), sha256(MID.subarray(100, 200)));
    await curl(['-r', '-1000', '-o', bodyFile, `${url}/tree/mid.bin`]);
    assert.equal(await sha256File(bodyFile), sha256(MID.subarray(MID.length - 1000)));
    await curl(['-r', `${MID.length - 10}-`, '-o', bodyFile, `${url}/tree/mid.bin`]);
    assert.equal(await sha256File(bodyFile), sha256(MID.subarray(MID.length - 10)));
    const far = await get('/tree/mid.bin', ['-r', `${MID.length}-`]);
    assert.equal(far.status, 416);
    assert.match(far.headers, new RegExp(`^content-range: bytes \\*/${MID.length}\\r$`, 'mi'));
    assert.equal((await get('/tree/empty.bin', ['-r', '0-'])).status, 416);
    const multi = await get('/tree/pxelinux.cfg/default', ['-r', '0-1,4-5']);
    assert.equal(multi.status, 200);
    assert.equal(multi.body, SMALL);
    const ranged = h.fileEvents((e) => e.path === '/tree/mid.bin' && e.action === 'end' && e.size === 100);
    assert.ok(ranged.length >= 1, 'a range transfer reports the range length as its size');
    // Resuming a download (curl -C -) against a partial file gives the whole file back.
    const partial = join(base, 'resume.out');
    writeFileSync(partial, MID.subarray(0, 1_000_000));
    const resumed = await curl(['-C', '-', '-o', partial, `${url}/tree/mid.bin`]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(await sha256File(partial), sha256(MID));
  });

  test('validators: If-None-Match and If-Modified-Since give 304; a stale If-Range gives the whole body', async () => {
    const first = await get('/tree/mid.bin', ['-r', '0-0']);
    const etag = /^etag: (.+)\r$/im.exec(first.headers)?.[1] ?? '';
    const lastModified = /^last-modified: (.+)\r$/im.exec(first.headers)?.[1] ?? '';
    assert.ok(etag && lastModified);
    assert.equal((await get('/tree/mid.bin', ['-H', `If-None-Match: ${etag}`])).status, 304);
    assert.equal((await get('/tree/mid.bin', ['-H', `If-Modified-Since: ${lastModified}`])).status, 304);
    assert.equal((await get('/tree/mid.bin', ['-H', 'If-None-Match: "other"', '-r', '0-0'])).status, 206);
    assert.equal((await get('/tree/mid.bin', ['-H', `If-Range: ${etag}`, '-r', '0-9'])).status, 206);
    const stale = await get('/tree/mid.bin', ['-H', 'If-Range: "stale"', '-r', '0-9']);
    assert.equal(stale.status, 200);
    assert.match(stale.headers, new RegExp(`^content-length: ${MID.length}\\r$`, 'mi'));
  });

  test('keep-alive: curl reuses one connection for several requests', async () => {
    const before = h.fileEvents().length;
    const r = await curl(['-v', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', `${url}/tree/mid.bin`, `${url}/tree/pxelinux.cfg/default`, `${url}/gen/boot.ipxe`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Re-using existing connection/);
    const clients = new Set(h.fileEvents().slice(before).filter((e) => e.action === 'end').map((e) => e.client));
    assert.equal(clients.size, 1, `one client port for three requests: ${[...clients].join(', ')}`);
  });

  test('traversal is refused in every spelling, and nothing outside a mount is ever sent', async () => {
    const attempts = [
      '/tree/../secret.txt',
      '/tree/../../../../etc/passwd',
      '/tree/%2e%2e/secret.txt',
      '/tree/%2E%2E/%2E%2E/etc/passwd',
      '/tree/.%2e/secret.txt',
      '/tree/..%2fsecret.txt',
      '/tree/%2e%2e%2fsecret.txt',
      '/tree/..%5csecret.txt',
      '/tree/..\\secret.txt',
      '/tree\\..\\secret.txt',
      '/tree/escape-link',
      '/tree/mid.bin%00.txt',
      '/tree/%00',
      '/secret.txt',
      '/etc/passwd',
      '/whole/mid.iso/../../secret.txt',
      '/whole/mid.iso/',
      '/tree/pxelinux.cfg/',
      '/tree/',
      '/tree',
      '//etc/passwd',
    ];
    for (const path of attempts) {
      const r = await get(path, ['--path-as-is']);
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, new RegExp(SECRET), path);
      assert.doesNotMatch(r.body, /root:/, path);
    }
    // Raw bytes curl would not send as they are.
    for (const raw of ['GET /tree/..\\..\\secret.txt HTTP/1.1', 'GET /tree/%2e%2e/%2e%2e/secret.txt HTTP/1.1', 'GET tree/mid.bin HTTP/1.1']) {
      const reply = await rawRequest(`${raw}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(reply, /^HTTP\/1\.1 (400|404)/, raw);
      assert.ok(!reply.includes(SECRET));
    }
  });

  test('directory listings only where the mount allows them', async () => {
    assert.equal((await get('/tree/sub%20dir/')).status, 404);
    const listed = await get('/listed/');
    assert.equal(listed.status, 200);
    assert.match(listed.body, /href="mid\.bin"/);
    assert.match(listed.body, /href="sub%20dir\/"/);
    assert.doesNotMatch(listed.body, /escape-link/, 'a link out of the root is not listed');
    const noSlash = await get('/listed/pxelinux.cfg');
    assert.equal(noSlash.status, 301);
    assert.match(noSlash.headers, /^location: \/listed\/pxelinux\.cfg\/\r$/im);
  });

  test('methods: only GET and HEAD on files, POST on handler mounts, 405 with Allow otherwise', async () => {
    for (const [method, path] of [
      ['PUT', '/tree/mid.bin'],
      ['DELETE', '/tree/mid.bin'],
      ['POST', '/tree/mid.bin'],
      ['OPTIONS', '/tree/mid.bin'],
      ['PATCH', '/api/echo'],
      ['TRACE', '/'],
      ['POST', '/nowhere'],
    ] as const) {
      const r = await get(path, ['-X', method]);
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.match(r.headers, /^allow: GET, HEAD/im);
    }
  });

  test('handler mounts: replies, POST bodies with a limit, 404 for null, 500 for a throw, events for GET', async () => {
    const g = await get('/api/echo/a/b?mac=52:54:00:aa:bb:cc');
    assert.equal(g.status, 200);
    assert.equal(g.body, 'GET /echo/a/b 52:54:00:aa:bb:cc ');
    assert.match(g.headers, /^cache-control: no-store\r$/im);
    const p = await get('/api/echo/progress', ['--data-binary', 'stage=partitioning']);
    assert.equal(p.body, 'POST /echo/progress - stage=partitioning');
    const tooBig = await get('/api/echo/x', ['--data-binary', `@${join(root, 'mid.bin')}`, '-H', 'Content-Type: application/octet-stream']);
    assert.equal(tooBig.status, 413);
    assert.equal((await get('/api/nothing')).status, 404);
    assert.equal((await get('/api/boom')).status, 500);
    const raw = await get('/api/raw');
    assert.equal(raw.status, 202);
    assert.equal(raw.body, 'raw');
    const ks = await get('/api/ks');
    assert.equal(ks.body, '# kickstart for 127.0.0.1\n');
    const head = await curl(['-I', `${url}/api/ks`]);
    assert.match(head.stdout, /^content-length: 26\r$/im);
    const ksEvents = h.fileEvents((e) => e.path === '/api/ks');
    assert.deepEqual(
      ksEvents.map((e) => e.action),
      ['start', 'end'],
      'the answer-file fetch shows as a file event; HEAD does not',
    );
    assert.ok(h.logs.some((l) => l.level === 'error' && /handler exploded/.test(l.message)), 'the throw is logged');
  });

  test('Expect: 100-continue: 100 only when the body is wanted, a refusal before the body is sent', async () => {
    const small = await get('/api/echo/progress', ['-H', 'Expect: 100-continue', '--data-binary', 'stage=late']);
    assert.equal(small.status, 200);
    assert.equal(small.body, 'POST /echo/progress - stage=late');
    assert.match(small.headers, /^HTTP\/1\.1 100 Continue\r$/m, 'the body was asked for');
    const big = await get('/api/echo/x', ['--data-binary', `@${join(root, 'mid.bin')}`, '-H', 'Expect: 100-continue']);
    assert.equal(big.status, 413);
    assert.doesNotMatch(big.headers, /100 Continue/, 'no 100 before a refusal');
    assert.match(big.headers, /^connection: close\r$/im);
    const wrongMethod = await get('/tree/pxelinux.cfg/default', ['-H', 'Expect: 100-continue', '--data-binary', 'x']);
    assert.equal(wrongMethod.status, 405);
    assert.doesNotMatch(wrongMethod.headers, /100 Continue/);
  });

  test('setMounts: an image added and removed while serving', async () => {
    const extra = new MemorySource();
    extra.set('/casper/vmlinuz', 'kernel!');
    assert.equal((await get('/iso/new/casper/vmlinuz')).status, 404);
    h.server.setMounts([...mounts, { prefix: '/iso/new/', source: extra }]);
    const r = await get('/iso/new/casper/vmlinuz');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'kernel!');
    h.server.setMounts(mounts);
    assert.equal((await get('/iso/new/casper/vmlinuz')).status, 404);
    assert.throws(() => h.server.setMounts([{ prefix: 'bad', source: extra }]), FieldbootError);
    assert.equal((await get('/tree/pxelinux.cfg/default')).status, 200, 'a refused setMounts leaves the old mounts');
  });

  test('a client that goes away mid-transfer releases its file handle', async () => {
    const fds0 = await fdCount();
    const r = await curl(['--limit-rate', '4M', '--max-time', '1', '-o', '/dev/null', `${url}/tree/big.bin`], 10_000);
    assert.equal(r.code, 28, 'curl gave up (timeout) mid-transfer');
    await waitFor(() => h.server.openFileCount() === 0, 5000, 'open files to drop to 0');
    await sleep(50);
    assert.equal(await fdCount(), fds0, 'the process has the descriptors it had before');
    const err = h.fileEvents((e) => e.path === '/tree/big.bin' && e.action === 'error').at(-1);
    assert.ok(err, 'an error event for the cut transfer');
    assert.match(err?.error ?? '', /disconnected/);
    assert.ok((err?.bytes ?? 0) > 0 && (err?.bytes ?? 0) < BIG_SIZE);
  });

  test('50 downloads at once, each whole and intact', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(base, 'par-'));
    const args = ['-Z', '--parallel-max', '50', '--parallel-immediate'];
    for (let i = 0; i < 50; i++) args.push('-o', join(out, `f${i}`), `${url}/tree/mid.bin?n=${i}`);
    const fds0 = await fdCount();
    const before = h.fileEvents().length;
    const r = await curl(args, 110_000);
    assert.equal(r.code, 0, r.stderr);
    const want = sha256(MID);
    for (let i = 0; i < 50; i++) assert.equal(await sha256File(join(out, `f${i}`)), want, `download ${i}`);
    const ends = h.fileEvents().slice(before).filter((e) => e.action === 'end');
    assert.equal(ends.length, 50);
    assert.equal(new Set(ends.map((e) => e.client)).size, 50, '50 separate connections');
    await waitFor(() => h.server.openFileCount() === 0, 5000, 'handles released');
    await sleep(100);
    assert.ok((await fdCount()) <= fds0 + 2, 'no descriptors left behind');
  });

  test('limits: oversized headers 431, slow headers closed, a client that stops reading is dropped', async () => {
    const big = await get('/tree/mid.bin', ['-H', `X-Big: ${'a'.repeat(10_000)}`]);
    assert.equal(big.status, 431);

    const strict = await startHttp({ mounts, headersTimeoutMs: 500, idleTimeoutMs: 700 });
    try {
      // Half a request line and then silence (slowloris): closed soon after the headers timeout.
      const t0 = Date.now();
      const slow = await rawRequest('GET /tree/mid.bin HTTP/1.1\r\nHost: x\r\n', strict.port, 10_000);
      const waited = Date.now() - t0;
      assert.ok(waited < 4000, `closed after ${waited} ms`);
      assert.match(slow, /^(HTTP\/1\.1 408|$)/);

      // A download whose client never reads: the socket fills, nothing moves, the idle timeout ends it.
      const fds0 = await fdCount();
      const sock = await openSocket(strict.port);
      sock.pause();
      sock.write('GET /tree/big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => strict.server.openFileCount() === 1, 3000, 'transfer to start');
      await waitFor(() => strict.server.openFileCount() === 0, 8000, 'the stalled transfer to be dropped');
      sock.destroy();
      await sleep(50);
      assert.ok((await fdCount()) <= fds0, 'its descriptor was released');
      const err = strict.fileEvents((e) => e.action === 'error').at(-1);
      assert.ok(err && err.bytes < BIG_SIZE, 'reported as an error, part-way');
    } finally {
      await strict.close();
    }
  });

  test('stop() during a download ends it and releases its handle', async () => {
    const own = await startHttp({ mounts });
    const fds0 = await fdCount();
    const dl = curl(['--limit-rate', '8M', '-o', '/dev/null', `http://${LOOPBACK}:${own.port}/tree/big.bin`], 20_000);
    await waitFor(() => own.server.openFileCount() === 1, 5000, 'the download to start');
    await own.close();
    const r = await dl;
    assert.notEqual(r.code, 0, 'curl saw the transfer cut');
    assert.equal(own.server.openFileCount(), 0);
    assert.deepEqual(own.server.services(), []);
    await sleep(50);
    assert.ok((await fdCount()) <= fds0 - 1, 'the listener and the file descriptor are gone');
  });

  test('bind errors name the port and the address', async () => {
    const clash = new HttpServer({ bindAddress: LOOPBACK, port: h.port }, { emit: () => {}, logSink: () => {} });
    await assert.rejects(clash.start(), (err: unknown) => {
      assert.ok(err instanceof FieldbootError);
      assert.equal(err.code, ErrorCode.PortInUse);
      assert.match(err.message, new RegExp(`HTTP port ${h.port} on ${LOOPBACK.replace(/\./g, '\\.')}`));
      return true;
    });
    const nowhere = new HttpServer({ bindAddress: '192.0.2.1', port: 0 }, { emit: () => {}, logSink: () => {} });
    await assert.rejects(nowhere.start(), (err: unknown) => err instanceof FieldbootError && err.code === ErrorCode.NoIpv4OnInterface && /192\.0\.2\.1/.test(err.message));
  });

  function openSocket(port = h.port): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(port, LOOPBACK, () => resolve(s));
      s.once('error', reject);
    });
  }

  async function rawRequest(text: string, port = h.port, timeoutMs = 5000): Promise<string> {
    const s = await openSocket(port);
    return new Promise((resolve) => {
      let got = '';
      const timer = setTimeout(() => s.destroy(), timeoutMs);
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      s.on('error', () => {});
      s.write(text);
    });
  }
});
