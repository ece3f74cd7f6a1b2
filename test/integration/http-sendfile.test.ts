/**
 * The HTTP server's sendfile(2) body path (native/sendfile through http-sendfile.ts) against its copy loop:
 * two servers on the same sources, one with the addon, one forced onto the copy path, fetched by curl and by
 * raw sockets. Byte-exact bodies for whole files, ranges, a file inside an ISO and a file made of several
 * extents out of order; HEAD; several requests on one keep-alive connection and pipelined; clients that go
 * away or stop reading mid-body (no descriptor left behind, others still served); progress events.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extentSpans, type Extent } from '../../electron/engine/files/file-span';
import type { FileSource, FileStat, OpenFile } from '../../electron/engine/files/file-source';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { MemorySource } from '../../electron/engine/files/memory-source';
import { openIso, type IsoImage } from '../../electron/engine/iso/iso-image';
import { DEFAULT_HTTP_SENDFILE_MIN_BYTES, type HttpServer } from '../../electron/engine/servers/http-server';
import { HTTP_SENDFILE_ENV, loadSendfile } from '../../electron/engine/servers/http-sendfile';
import { buildIso, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';
import { fdCount, LOOPBACK, run, sha256, sleep, startHttp, waitFor, type Harness } from './http-fixtures';

const addon = loadSendfile();
const noAddon = addon.addon ? false : `the fieldboot-sendfile addon is not loaded here (${'why' in addon ? addon.why : ''})`;
const tools = ['curl', 'xorriso'].filter((c) => !hasCommand(c));

/** A file whose bytes lie in a backing file as out-of-order extents (what a fragmented ISO file looks like). */
class ScatteredSource implements FileSource {
  constructor(
    private readonly backing: string,
    private readonly extents: Extent[],
    readonly size: number,
  ) {}

  async stat(p: string): Promise<FileStat | null> {
    return p === '/scattered.bin' ? { path: p, size: this.size, isDirectory: false, mtimeMs: 0 } : null;
  }

  async open(p: string): Promise<OpenFile | null> {
    if (p !== '/scattered.bin') return null;
    const handle = await fsp.open(this.backing, 'r');
    const { extents, size } = this;
    return {
      size,
      async read(buffer, offset, length, position) {
        const n = Math.min(length, size - position);
        if (n <= 0) return 0;
        // One byte run at a time through the same mapping the spans use.
        const spans = extentSpans(handle.fd, extents, position, position + n - 1) ?? [];
        let done = 0;
        for (const s of spans) {
          const { bytesRead } = await handle.read(buffer, offset + done, s.length, s.offset);
          done += bytesRead;
        }
        return done;
      },
      span: (start, end) => extentSpans(handle.fd, extents, start, end),
      close: () => handle.close(),
    };
  }
}

describe('HTTP bodies by sendfile(2) and by the copy loop', { skip: tools.length ? `needs ${tools.join(', ')}` : false, timeout: 180_000 }, () => {
  let dir = '';
  let iso: BuiltIso | null = null;
  let image: IsoImage | null = null;
  let fast: Harness<HttpServer> | null = null;
  let copy: Harness<HttpServer> | null = null;
  const big = randomBytes(24 * 1024 * 1024 + 12345);
  const small = randomBytes(1000);
  const inIso = randomBytes(5 * 1024 * 1024 + 77);
  const backing = randomBytes(8 * 1024 * 1024);
  // Out of order, one run straddling a page edge, two adjacent on disk (merged into one span).
  const extents: Extent[] = [
    { position: 5 * 1024 * 1024 + 3, length: 1024 * 1024 + 5 },
    { position: 0, length: 700_001 },
    { position: 700_001, length: 300_000 },
    { position: 3 * 1024 * 1024, length: 2 * 1024 * 1024 - 17 },
  ];
  const scatteredSize = extents.reduce((a, e) => a + e.length, 0);
  const scattered = Buffer.concat(extents.map((e) => backing.subarray(e.position, e.position + e.length)));
  const memory = new MemorySource();
  memory.set('/generated.bin', randomBytes(2 * 1024 * 1024));
  /** The generated file's bytes, read back through MemorySource's own OpenFile. */
  let generated = Buffer.alloc(0);

  before(async () => {
    dir = await fsp.mkdtemp('/tmp/fb-http-sendfile-');
    await fsp.writeFile(join(dir, 'big.bin'), big);
    await fsp.writeFile(join(dir, 'small.bin'), small);
    await fsp.writeFile(join(dir, 'backing.bin'), backing);
    const f = await memory.open('/generated.bin');
    generated = Buffer.alloc(f?.size ?? 0);
    await f?.read(generated, 0, generated.length, 0);
    iso = await buildIso({ 'images/in-iso.bin': inIso, 'small.txt': 'small\n' });
    image = await openIso(iso.path);
    const mounts = [
      { prefix: '/d/', source: new DirectorySource(dir) },
      { prefix: '/iso/t/', source: image.asFileSource() },
      { prefix: '/s/', source: new ScatteredSource(join(dir, 'backing.bin'), extents, scatteredSize) },
      { prefix: '/m/', source: memory },
      { path: '/whole/big.bin', file: join(dir, 'big.bin') },
    ];
    fast = await startHttp({ mounts });
    copy = await startHttp({ mounts, sendfile: false });
  });

  after(async () => {
    await fast?.close();
    await copy?.close();
    await image?.close();
    await iso?.cleanup();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const url = (h: Harness<HttpServer> | null, path: string) => `http://${LOOPBACK}:${h?.port ?? 0}${path}`;

  async function fetchBytes(h: Harness<HttpServer> | null, path: string, extra: string[] = []): Promise<{ body: Buffer; headers: string }> {
    const out = join(dir, `out-${process.hrtime.bigint()}`);
    const r = await run('curl', ['-sS', '-f', '-D', '-', '-o', out, ...extra, url(h, path)], 60_000);
    assert.equal(r.code, 0, r.stderr);
    const body = await fsp.readFile(out);
    await fsp.rm(out);
    return { body, headers: r.stdout };
  }

  /** The same request to both servers: the same bytes, equal to `want`. */
  async function bothPaths(path: string, want: Buffer, extra: string[] = []): Promise<void> {
    const a = await fetchBytes(fast, path, extra);
    const b = await fetchBytes(copy, path, extra);
    assert.equal(a.body.length, want.length, `${path} ${extra.join(' ')}: length by sendfile`);
    assert.equal(sha256(a.body), sha256(want), `${path} ${extra.join(' ')}: bytes by sendfile`);
    assert.equal(sha256(b.body), sha256(want), `${path} ${extra.join(' ')}: bytes by the copy loop`);
    assert.equal(a.headers.replace(/^Date:.*$/im, ''), b.headers.replace(/^Date:.*$/im, ''), 'same headers on both paths');
  }

  test('the addon is used for plain files and ISO files, and the forced copy path never', { skip: noAddon }, async () => {
    const z0 = fast?.server.bodyCounts().zeroCopy ?? 0;
    await bothPaths('/d/big.bin', big);
    await bothPaths('/iso/t/images/in-iso.bin', inIso);
    await bothPaths('/whole/big.bin', big.subarray(100), ['-r', '100-']);
    assert.equal((fast?.server.bodyCounts().zeroCopy ?? 0) - z0, 3, 'the three bodies by sendfile');
    assert.equal(copy?.server.bodyCounts().zeroCopy, 0, 'sendfile: false never uses it');
    assert.ok(fast?.logs.some((l) => l.level === 'debug' && /sendfile\(2\)/.test(l.message)), 'the path in use is logged');
    assert.ok(copy?.logs.some((l) => l.level === 'debug' && /copied through user space: turned off/.test(l.message)));
  });

  test('whole files and ranges are byte-exact on both paths (disk file, ISO file)', async () => {
    await bothPaths('/d/big.bin', big);
    await bothPaths('/d/big.bin', big.subarray(1, 9_000_001), ['-r', '1-9000000']);
    await bothPaths('/d/big.bin', big.subarray(big.length - 300_000), ['-r', '-300000']);
    await bothPaths('/d/big.bin', big.subarray(20_000_000), ['-r', '20000000-']);
    await bothPaths('/iso/t/images/in-iso.bin', inIso);
    await bothPaths('/iso/t/images/in-iso.bin', inIso.subarray(4097, 4 * 1024 * 1024), ['-r', `4097-${4 * 1024 * 1024 - 1}`]);
    // Below the threshold and generated files keep the copy loop on the fast server too.
    await bothPaths('/d/small.bin', small);
    await bothPaths('/m/generated.bin', generated);
  });

  test('a file made of several out-of-order extents, whole and in ranges crossing every extent edge', async () => {
    await bothPaths('/s/scattered.bin', scattered);
    let edge = 0;
    for (const e of extents.slice(0, -1)) {
      edge += e.length;
      const [s, t] = [Math.max(0, edge - DEFAULT_HTTP_SENDFILE_MIN_BYTES), Math.min(scatteredSize - 1, edge + DEFAULT_HTTP_SENDFILE_MIN_BYTES)];
      await bothPaths('/s/scattered.bin', scattered.subarray(s, t + 1), ['-r', `${s}-${t}`]);
    }
    // From inside the first extent to inside the last: every extent in one body.
    await bothPaths('/s/scattered.bin', scattered.subarray(17, scatteredSize - 9), ['-r', `17-${scatteredSize - 10}`]);
  });

  test('HEAD announces the length and sends no body; the next request on the connection is intact', async () => {
    for (const h of [fast, copy]) {
      const z0 = h?.server.bodyCounts().zeroCopy ?? 0;
      // HEAD, then a GET on the same connection: a body sent for HEAD would be read as the next response.
      const raw = await rawExchange(h?.port ?? 0, 'HEAD /d/big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /d/small.bin HTTP/1.1\r\nHost: x\r\n\r\n', small.length, (b) =>
        b.subarray(b.length - small.length).equals(small),
      );
      const text = raw.toString('latin1');
      assert.match(text, new RegExp(`^HTTP/1\\.1 200 OK\r\n[^]*?Content-Length: ${big.length}\r\n[^]*?\r\n\r\nHTTP/1\\.1 200 OK\r\n`, 'i'));
      const second = raw.subarray(raw.indexOf('\r\n\r\nHTTP/1.1') + 4);
      assert.equal(sha256(splitResponses(second)[0] as Buffer), sha256(small));
      assert.equal(h?.server.bodyCounts().zeroCopy, z0, 'no body for HEAD');
    }
  });

  test('several requests on one keep-alive connection, mixing both paths, all byte-exact', async () => {
    const paths = ['/d/big.bin', '/d/small.bin', '/iso/t/images/in-iso.bin', '/m/generated.bin', '/s/scattered.bin', '/d/big.bin'];
    const wants = [big, small, inIso, generated, scattered, big];
    for (const h of [fast, copy]) {
      const outs = paths.map((_, i) => join(dir, `ka-${i}`));
      const args = ['-sS', '-f', '-w', '%{num_connects}\n'];
      paths.forEach((p, i) => args.push('-o', outs[i] as string, url(h, p)));
      const r = await run('curl', args, 60_000);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n').map(Number), [1, 0, 0, 0, 0, 0], 'one connection for all');
      for (let i = 0; i < paths.length; i++) {
        const got = await fsp.readFile(outs[i] as string);
        assert.equal(sha256(got), sha256(wants[i] as Buffer), `${paths[i]} on the shared connection`);
        await fsp.rm(outs[i] as string);
      }
    }
  });

  test('pipelined requests: each body follows its own headers, in order', async () => {
    for (const h of [fast, copy]) {
      const raw = await rawExchange(h?.port ?? 0, ['/d/big.bin', '/s/scattered.bin', '/d/small.bin'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''), big.length + scattered.length + small.length, (b) => splitResponses(b, true).length === 3);
      const bodies = splitResponses(raw);
      assert.equal(bodies.length, 3);
      assert.equal(sha256(bodies[0] as Buffer), sha256(big));
      assert.equal(sha256(bodies[1] as Buffer), sha256(scattered));
      assert.equal(sha256(bodies[2] as Buffer), sha256(small));
    }
  });

  test('progress events while a slow client downloads, then one end with every byte, on both paths', async () => {
    for (const h of [fast, copy]) {
      const before = h?.fileEvents().length ?? 0;
      // 3 s at 8 MB/s: well past the first progress tick even after the socket buffers (about 10 MB on
      // loopback) take the end of the body early.
      const r = await run('curl', ['-sS', '-f', '--limit-rate', '8M', '-o', '/dev/null', url(h, '/d/big.bin')], 60_000);
      assert.equal(r.code, 0, r.stderr);
      await waitFor(() => (h?.fileEvents().slice(before).some((e) => e.action === 'end') ?? false), 5000, 'end event');
      const evs = h?.fileEvents().slice(before) ?? [];
      assert.equal(evs[0]?.action, 'start');
      const progress = evs.filter((e) => e.action === 'progress');
      assert.ok(progress.length >= 1, `progress events on the ${h === fast ? 'sendfile' : 'copy'} server: ${progress.length}`);
      for (const p of progress) assert.ok(p.bytes > 0 && p.bytes < big.length, `progress bytes ${p.bytes}`);
      const ends = evs.filter((e) => e.action === 'end');
      assert.equal(ends.length, 1);
      assert.equal(ends[0]?.bytes, big.length);
      assert.equal(ends[0]?.size, big.length);
    }
  });

  test('a client going away mid-body: error event, no descriptor left, others served meanwhile', async () => {
    for (const h of [fast, copy]) {
      const server = h as Harness<HttpServer>;
      await waitFor(() => server.server.openFileCount() === 0, 5000, 'idle server');
      const fds0 = await fdCount();
      const before = server.fileEvents().length;
      const quitter = run('curl', ['-sS', '--limit-rate', '4M', '--max-time', '1', '-o', '/dev/null', url(h, '/d/big.bin')], 10_000);
      await sleep(200);
      await bothPathsOn(server, '/iso/t/images/in-iso.bin', inIso);
      const r = await quitter;
      assert.equal(r.code, 28, 'curl gave up mid-body');
      await waitFor(() => server.server.openFileCount() === 0, 5000, 'open files to drop to 0');
      await waitFor(() => server.fileEvents().slice(before).some((e) => e.action === 'error'), 5000, 'error event');
      await sleep(100);
      assert.equal(await fdCount(), fds0, 'the process has the descriptors it had before');
      const err = server.fileEvents().slice(before).find((e) => e.action === 'error');
      assert.match(err?.error ?? '', /disconnected/);
      assert.ok((err?.bytes ?? 0) > 0 && (err?.bytes ?? 0) < big.length, `cut short: ${err?.bytes} bytes`);
    }
  });

  test('a client that stops reading is cut after the idle limit (the addon enforces it as a stall)', { skip: noAddon }, async () => {
    const mounts = [{ prefix: '/d/', source: new DirectorySource(dir) }];
    const h = await startHttp({ mounts, idleTimeoutMs: 800 });
    try {
      const fds0 = await fdCount();
      const sock = connect(h.port, LOOPBACK);
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      sock.write('GET /d/big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      let got = 0;
      let stalled = false;
      sock.on('data', (d: Buffer) => {
        got += d.length;
        if (got > 1_000_000 && !stalled) {
          stalled = true;
          sock.pause(); // then read nothing more: the socket buffers fill and sendfile waits for room
        }
      });
      const closed = new Promise<number>((resolve) => sock.once('close', () => resolve(performance.now())));
      const t0 = performance.now();
      await waitFor(() => h.fileEvents().some((e) => e.action === 'error'), 10_000, 'the stalled transfer to end');
      const err = h.fileEvents().find((e) => e.action === 'error');
      assert.match(err?.error ?? '', /stalled/);
      assert.ok(performance.now() - t0 >= 700, 'not before the idle limit');
      sock.resume();
      await closed;
      assert.equal(h.server.bodyCounts().zeroCopy, 1);
      await waitFor(() => h.server.openFileCount() === 0, 5000, 'open files to drop to 0');
      await sleep(50);
      assert.equal(await fdCount(), fds0);
    } finally {
      await h.close();
    }
  });

  test('stop() during a sendfile body ends it at once and leaves no descriptor', async () => {
    const mounts = [{ prefix: '/d/', source: new DirectorySource(dir) }];
    const fds0 = await fdCount();
    const h = await startHttp({ mounts });
    const slow = run('curl', ['-sS', '--limit-rate', '2M', '-o', '/dev/null', url(h, '/d/big.bin')], 20_000);
    await waitFor(() => h.fileEvents().some((e) => e.action === 'start'), 5000, 'transfer start');
    await sleep(200);
    const t0 = performance.now();
    await h.close();
    assert.ok(performance.now() - t0 < 1500, `stop took ${Math.round(performance.now() - t0)} ms`);
    const r = await slow;
    assert.notEqual(r.code, 0, 'the download was cut');
    await sleep(100);
    assert.equal(await fdCount(), fds0);
  });

  test(`${HTTP_SENDFILE_ENV}=0 forces the copy path`, async () => {
    const saved = process.env[HTTP_SENDFILE_ENV];
    process.env[HTTP_SENDFILE_ENV] = '0';
    const h = await startHttp({ mounts: [{ prefix: '/d/', source: new DirectorySource(dir) }] });
    try {
      const r = await run('curl', ['-sS', '-f', '-o', '/dev/null', '-w', '%{size_download}', url(h, '/d/big.bin')]);
      assert.equal(Number(r.stdout), big.length);
      assert.deepEqual(h.server.bodyCounts(), { zeroCopy: 0, copied: 1 });
      assert.ok(h.logs.some((l) => /FIELDBOOT_HTTP_SENDFILE=0/.test(l.message)));
    } finally {
      if (saved === undefined) delete process.env[HTTP_SENDFILE_ENV];
      else process.env[HTTP_SENDFILE_ENV] = saved;
      await h.close();
    }
  });

  async function bothPathsOn(h: Harness<HttpServer>, path: string, want: Buffer): Promise<void> {
    const { body } = await fetchBytes(h, path);
    assert.equal(sha256(body), sha256(want), `${path} while another transfer runs`);
  }
});

/**
 * Writes `request` on one connection and collects what comes back until `complete` says it is all there
 * (asked only once `minBytes` have come: a 30 MB buffer is not re-joined on every packet).
 */
function rawExchange(port: number, request: string, minBytes: number, complete: (raw: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const sock = connect(port, LOOPBACK, () => sock.write(request));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`only ${n} bytes of responses`));
    }, 30_000);
    sock.on('data', (d: Buffer) => {
      parts.push(d);
      n += d.length;
      if (n >= minBytes && complete(Buffer.concat(parts))) {
        clearTimeout(timer);
        sock.destroy();
        resolve(Buffer.concat(parts));
      }
    });
    sock.on('error', reject);
  });
}

/** Bodies of back-to-back HTTP/1.1 responses with Content-Length; throws on anything else (unless `partial`). */
function splitResponses(raw: Buffer, partial = false): Buffer[] {
  const bodies: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) {
      if (partial) break;
      throw new Error(`no header end at ${at}`);
    }
    const head = raw.subarray(at, headEnd).toString('latin1');
    if (!/^HTTP\/1\.1 200 /.test(head)) throw new Error(`not a 200 at ${at}: ${head.slice(0, 40)}`);
    const len = Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1]);
    if (headEnd + 4 + len > raw.length) {
      if (partial) break;
      throw new Error('truncated body');
    }
    bodies.push(raw.subarray(headEnd + 4, headEnd + 4 + len));
    at = headEnd + 4 + len;
  }
  return bodies;
}
