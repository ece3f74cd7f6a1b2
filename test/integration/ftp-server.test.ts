/**
 * The read-only FTP server (ftp-srv underneath) with the real clients curl and lftp on 127.0.0.1: anonymous
 * login only, listings of the virtual tree and of a real ISO, RETR with sha256, REST resume, every write
 * command refused with 550, the passive port range honoured, traversal refused, 20 transfers at once, a
 * client cut off mid-transfer releasing its handle, and ftp-srv's process.exit signal handlers removed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, FieldbootError } from '../../shared/errors';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { openIso, type IsoImage } from '../../electron/engine/iso/iso-image';
import { FtpServer, type FtpMount } from '../../electron/engine/servers/ftp-server';
import { buildIso, makeTempDir, patternBytes, type BuiltIso } from '../helpers/iso-builder';
import { hasCommand } from '../helpers/requirements';
import { fdCount, LOOPBACK, passiveRange, run, sha256, sha256File, sleep, startFtp, waitFor, type Harness } from './http-fixtures';

const KERNEL = patternBytes(6_000_000, 21);
const CFG = 'label install\n  kernel vmlinuz\n';
const SECRET = 'TOP-SECRET-OUTSIDE';
const BIG_SIZE = 64 * 1024 * 1024;
const tools = ['curl', 'lftp', 'xorriso'].filter((c) => !hasCommand(c));

describe('FTP server with curl and lftp', { skip: tools.length ? `needs ${tools.join(', ')}` : false }, () => {
  let built: BuiltIso;
  let image: IsoImage;
  let dir: string;
  let tree: string;
  let h: Harness<FtpServer>;
  let url: string;
  let range: { passivePortMin: number; passivePortMax: number };
  let mounts: FtpMount[];

  before(async () => {
    built = await buildIso({
      'install.amd/vmlinuz': KERNEL,
      'isolinux/isolinux.cfg': CFG,
      'doc/cfg-link': { symlink: '../isolinux/isolinux.cfg' },
    });
    image = await openIso(built.path);
    dir = await makeTempDir('fb-ftp-');
    tree = join(dir, 'tree');
    mkdirSync(join(tree, 'ks'), { recursive: true });
    writeFileSync(join(tree, 'ks', 'rocky9.cfg'), 'text\nreboot\n');
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    symlinkSync(join(dir, 'secret.txt'), join(tree, 'escape-link'));
    await fsp.writeFile(join(tree, 'big.bin'), '');
    await fsp.truncate(join(tree, 'big.bin'), BIG_SIZE);
    range = passiveRange(50);
    mounts = [
      { prefix: '/pub/deb12/', source: image.asFileSource() },
      { path: '/pub/deb12.iso', file: built.path },
      { prefix: '/pub/tree/', source: new DirectorySource(tree) },
    ];
    h = await startFtp({ mounts, ...range });
    url = `ftp://${LOOPBACK}:${h.port}`;
  });

  after(async () => {
    await h.close();
    await image.close();
    await built.cleanup();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const curl = (args: string[], timeoutMs = 60_000) => run('curl', ['-sS', ...args], timeoutMs);
  const lftp = (script: string, timeoutMs = 60_000) =>
    run('lftp', ['-c', `set net:max-retries 1; set net:reconnect-interval-base 1; set net:timeout 10; set ftp:passive-mode on; set cmd:fail-exit yes; open ${url}; ${script}`], timeoutMs);

  test("ftp-srv's SIGINT/SIGTERM/SIGQUIT handlers (which call process.exit) are removed", async () => {
    const mine = () => {};
    process.on('SIGTERM', mine);
    try {
      const before = (['SIGINT', 'SIGTERM', 'SIGQUIT'] as const).map((s) => process.listeners(s));
      const s = new FtpServer({ bindAddress: LOOPBACK, port: 0, ...passiveRange(5) }, { emit: () => {}, logSink: () => {} });
      await s.start();
      try {
        assert.deepEqual((['SIGINT', 'SIGTERM', 'SIGQUIT'] as const).map((sig) => process.listeners(sig)), before);
        assert.ok(process.listeners('SIGTERM').includes(mine), 'listeners of others are kept');
      } finally {
        await s.stop();
      }
      assert.deepEqual((['SIGINT', 'SIGTERM', 'SIGQUIT'] as const).map((sig) => process.listeners(sig)), before);
    } finally {
      process.off('SIGTERM', mine);
    }
  });

  test('anonymous login; LIST of the virtual tree, of an ISO and of a folder', async () => {
    let r = await curl([`${url}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dr-xr-xr-x .* pub\r?$/m);
    r = await curl([`${url}/pub/`]);
    assert.match(r.stdout, /^dr-xr-xr-x .* deb12\r?$/m);
    assert.match(r.stdout, new RegExp(`^-r--r--r-- .* ${(await fsp.stat(built.path)).size} .* deb12\\.iso\\r?$`, 'm'));
    r = await curl([`${url}/pub/deb12/install.amd/`]);
    assert.match(r.stdout, new RegExp(`^-r--r--r-- .*\\s${KERNEL.length} .* vmlinuz\\r?$`, 'm'));
    r = await curl(['-l', `${url}/pub/deb12/`]);
    assert.deepEqual(r.stdout.split(/\r?\n/).filter(Boolean).sort(), ['doc', 'install.amd', 'isolinux']);
    r = await curl([`${url}/pub/deb12/doc/`]);
    assert.match(r.stdout, new RegExp(`\\s${CFG.length} .* cfg-link\\r?$`, 'm'), 'a symlink inside the image is listed as its target');
    r = await lftp('cls -1 /pub/tree/');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['/pub/tree/big.bin', '/pub/tree/ks/'], 'a link out of the folder is not listed');
    r = await curl(['-u', 'ftp:guest@', `${url}/pub/tree/ks/`]);
    assert.equal(r.code, 0, '"ftp" is anonymous too');
    assert.match(r.stdout, /rocky9\.cfg/);
  });

  test('any other user is refused', async () => {
    const r = await curl(['-u', 'root:toor', `${url}/`]);
    assert.equal(r.code, 67, 'curl: login denied');
    assert.match(r.stderr, /530/);
    const l = await lftp('user bob secret; ls /', 20_000);
    assert.notEqual(l.code, 0);
    assert.match(l.stderr, /530|Login failed/i);
  });

  test('RETR: files out of the ISO, the image itself and a folder, sha256 equal; events', async () => {
    const out = await makeTempDir('fb-ftp-out-');
    try {
      let r = await curl(['-o', join(out, 'k'), `${url}/pub/deb12/install.amd/vmlinuz`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(join(out, 'k')), sha256(KERNEL));
      r = await lftp(`get /pub/deb12.iso -o ${join(out, 'image.iso')}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(join(out, 'image.iso')), await sha256File(built.path));
      r = await curl([`${url}/pub/deb12/ISOLINUX/isolinux.cfg`]);
      assert.equal(r.stdout, CFG, 'case-insensitive inside the image');
      r = await curl([`${url}/pub/tree/ks/rocky9.cfg`]);
      assert.equal(r.stdout, 'text\nreboot\n');
      const ends = h.fileEvents((e) => e.protocol === 'ftp' && e.action === 'end');
      const k = ends.find((e) => e.path === '/pub/deb12/install.amd/vmlinuz');
      assert.equal(k?.bytes, KERNEL.length);
      assert.equal(k?.size, KERNEL.length);
      assert.match(k?.client ?? '', /^127\.0\.0\.1:\d+$/);
      assert.ok(ends.some((e) => e.path === '/pub/deb12.iso'));
    } finally {
      await fsp.rm(out, { recursive: true, force: true });
    }
  });

  test('REST: resuming a partial download (lftp get -c, curl -C -)', async () => {
    const out = await makeTempDir('fb-ftp-rest-');
    try {
      const part = join(out, 'vmlinuz');
      writeFileSync(part, KERNEL.subarray(0, 2_500_000));
      let r = await lftp(`get -c /pub/deb12/install.amd/vmlinuz -o ${part}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(part), sha256(KERNEL));
      const resumed = h.fileEvents((e) => e.path === '/pub/deb12/install.amd/vmlinuz' && e.action === 'end').at(-1);
      assert.equal(resumed?.size, KERNEL.length - 2_500_000, 'only the rest was sent');
      const part2 = join(out, 'v2');
      writeFileSync(part2, KERNEL.subarray(0, 123_457));
      r = await curl(['-C', '-', '-o', part2, `${url}/pub/deb12/install.amd/vmlinuz`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(part2), sha256(KERNEL));
      r = await curl(['-r', `${KERNEL.length - 100}-`, `${url}/pub/deb12/install.amd/vmlinuz`, '-o', join(out, 'tail')]);
      assert.equal(await sha256File(join(out, 'tail')), sha256(KERNEL.subarray(KERNEL.length - 100)));
    } finally {
      await fsp.rm(out, { recursive: true, force: true });
    }
  });

  test('every write command is refused with 550 and nothing is written', async () => {
    const before = readdirSync(tree).sort();
    const up = join(dir, 'upload.txt');
    writeFileSync(up, 'should never land\n');
    let r = await curl(['-v', '-T', up, `${url}/pub/tree/upload.txt`]);
    assert.equal(r.code, 25, 'curl: upload failed');
    assert.match(r.stderr, /^< 550 /m);
    r = await curl(['-v', '--append', '-T', up, `${url}/pub/tree/ks/rocky9.cfg`]);
    assert.match(r.stderr, /^< 550 /m, 'APPE');
    for (const cmd of ['DELE /pub/tree/ks/rocky9.cfg', 'MKD /pub/tree/new', 'XMKD /pub/tree/new', 'RMD /pub/tree/ks', 'RNFR /pub/tree/ks/rocky9.cfg', 'RNTO /pub/tree/x', 'SITE CHMOD 777 /pub/tree/ks/rocky9.cfg', 'STOU x']) {
      r = await curl(['-v', '-Q', cmd, `${url}/`]);
      assert.equal(r.code, 21, `${cmd}: curl reports the quote command failed`);
      assert.match(r.stderr, /^< 550 /m, cmd);
    }
    r = await lftp(`put ${up} -o /pub/tree/lftp.txt`, 20_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /550/);
    r = await lftp('mkdir /pub/tree/d', 20_000);
    assert.match(r.stderr, /550/);
    assert.deepEqual(readdirSync(tree).sort(), before);
    assert.equal((await curl([`${url}/pub/tree/ks/rocky9.cfg`])).stdout, 'text\nreboot\n');
  });

  test('traversal: the tree is virtual, nothing outside a mount can be named', async () => {
    const attempts: string[][] = [
      ['--path-as-is', `${url}/pub/deb12/../../../../etc/hostname`],
      ['--path-as-is', '--ftp-method', 'nocwd', `${url}/pub/deb12/../../../../etc/passwd`],
      ['--ftp-method', 'nocwd', `${url}/%2e%2e/%2e%2e/etc/passwd`],
      ['--ftp-method', 'nocwd', `${url}/pub/tree/..%5c..%5csecret.txt`],
      ['--ftp-method', 'nocwd', `${url}/pub/tree/escape-link`],
      ['--ftp-method', 'nocwd', `${url}/pub/tree/../secret.txt`],
      [`${url}/etc/passwd`],
    ];
    for (const args of attempts) {
      const r = await curl(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.ok(!r.stdout.includes(SECRET) && !/root:/.test(r.stdout), args.join(' '));
    }
    // CWD .. stops at the root of the virtual tree.
    const r = await lftp('cd /pub/deb12; cd ../../../..; pwd; cls -1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ftp:\/\/127\.0\.0\.1:\d+\/?\s*$/m);
    assert.match(r.stdout, /^pub\/$/m);
  });

  test('the passive port range is honoured, with PASV and EPSV', async () => {
    const ports: number[] = [];
    for (const extra of [[], ['--disable-epsv'], [], ['--disable-epsv']]) {
      const r = await curl(['-v', ...extra, '-o', '/dev/null', `${url}/pub/deb12/isolinux/isolinux.cfg`]);
      assert.equal(r.code, 0, r.stderr);
      const epsv = /^< 229 .*\(\|\|\|(\d+)\|\)/m.exec(r.stderr);
      const pasv = /^< 227 .*\((?:\d+,){4}(\d+),(\d+)\)/m.exec(r.stderr);
      ports.push(epsv ? Number(epsv[1]) : Number(pasv?.[1]) * 256 + Number(pasv?.[2]));
    }
    for (const p of ports) assert.ok(p >= range.passivePortMin && p <= range.passivePortMax, `${p} in ${range.passivePortMin}-${range.passivePortMax}`);
    const pasvReply = await curl(['-v', '--disable-epsv', '-o', '/dev/null', `${url}/pub/deb12/isolinux/isolinux.cfg`]);
    assert.match(pasvReply.stderr, /^< 227 .*\(127,0,0,1,\d+,\d+\)/m, 'PASV names the serving address');
    assert.throws(() => new FtpServer({ bindAddress: LOOPBACK, passivePortMin: 5000, passivePortMax: 4000 }, { emit: () => {}, logSink: () => {} }), FieldbootError);
    assert.throws(() => new FtpServer({ bindAddress: '0.0.0.0' }, { emit: () => {}, logSink: () => {} }), FieldbootError, 'passive mode needs a real address');
  });

  test('20 RETRs at once, each intact', { timeout: 120_000 }, async () => {
    const out = await makeTempDir('fb-ftp-par-');
    try {
      const args = ['-Z', '--parallel-max', '20', '--parallel-immediate'];
      for (let i = 0; i < 20; i++) args.push('-o', join(out, `k${i}`), `${url}/pub/deb12/install.amd/vmlinuz`);
      const before = h.fileEvents().length;
      const r = await curl(args, 110_000);
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 20; i++) assert.equal(await sha256File(join(out, `k${i}`)), sha256(KERNEL), `transfer ${i}`);
      const ends = h.fileEvents().slice(before).filter((e) => e.action === 'end');
      assert.equal(ends.length, 20);
      assert.equal(new Set(ends.map((e) => e.client)).size, 20, '20 control connections');
    } finally {
      await fsp.rm(out, { recursive: true, force: true });
    }
  });

  test('a client cut off mid-RETR releases its file handle', async () => {
    await sleep(200);
    const fds0 = await fdCount();
    const r = await curl(['--limit-rate', '4M', '--max-time', '1', '-o', '/dev/null', `${url}/pub/tree/big.bin`], 10_000);
    assert.equal(r.code, 28);
    await waitFor(() => h.fileEvents((e) => e.path === '/pub/tree/big.bin' && e.action === 'error').length === 1, 5000, 'the error event');
    let now = 0;
    for (let i = 0; i < 100; i++) {
      now = await fdCount();
      if (now <= fds0) break;
      await sleep(50);
    }
    assert.ok(now <= fds0, `descriptors back to ${fds0} (now ${now})`);
  });

  test('bind errors name the port and the address', async () => {
    const clash = new FtpServer({ bindAddress: LOOPBACK, port: h.port, ...passiveRange(5) }, { emit: () => {}, logSink: () => {} });
    await assert.rejects(clash.start(), (err: unknown) => {
      assert.ok(err instanceof FieldbootError);
      assert.equal(err.code, ErrorCode.PortInUse);
      assert.match(err.message, new RegExp(`FTP port ${h.port} on 127\\.0\\.0\\.1`));
      return true;
    });
  });
});
