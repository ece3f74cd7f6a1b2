/**
 * `fieldboot bmc` against two real IPMI-over-LAN BMCs: ipmi_sim (openipmi), each in its own namespace on the
 * lab switch, listening on that namespace's address. Their chassis_control script records what the BMC was
 * told (power, boot device, with timestamps) into files the test reads back.
 *
 * - power status/on/off/cycle/reset reach the chassis (state file) and are read back;
 * - bootdev pxe --efi: ipmi_sim keeps the device but drops the flags byte (bmc_chassis.c takes only the device
 *   selector), so the result must say "not confirmed", show the raw fallback was sent, and read back PXE;
 * - wrong password → bad credentials; nothing listening / nobody there → unreachable; both within --timeout;
 * - cipher suite 17 (ipmi_sim has no SHA-256) → cipher suite refused; a BMC remembered with 17 falls back to 3;
 * - two BMCs in one run really overlap (chassis calls made slow), and a dead BMC in the selection does not
 *   stop the others;
 * - while ipmitool runs, its argv (/proc/PID/cmdline) never holds the password; its environment does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BmcEntry, BmcRunResponse } from '../../shared/model/bmc';
import { BmcStore } from '../../electron/engine/bmc/bmc-store';
import { createSwitch, type LabSwitch } from '../helpers/netns';
import { BMC_SIM_PASSWORD, startBmc, waitFor, type Bmc } from '../helpers/bmc-sim';
import { labGate } from '../helpers/requirements';
import { FIELDBOOT_BIN, REPO_ROOT } from '../helpers/fieldboot-process';

const PASSWORD = BMC_SIM_PASSWORD;
const SUBNET = '192.168.78';
const SILENT_IP = `${SUBNET}.99`; // on the bridge's subnet, nobody there

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function fieldboot(lab: LabSwitch, args: string[], opts: { stdin?: string; env?: Record<string, string>; onSpawn?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('ip', ['netns', 'exec', lab.ns, process.execPath, FIELDBOOT_BIN, 'bmc', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function parseRun(r: Run): BmcRunResponse {
  try {
    return JSON.parse(r.stdout) as BmcRunResponse;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** Every running ipmitool's argv and environment, from /proc. */
function ipmitoolProcesses(): { cmdline: string; environ: string }[] {
  const out: { cmdline: string; environ: string }[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.startsWith('ipmitool\0') && !cmdline.includes('/ipmitool\0')) continue;
      out.push({ cmdline: cmdline.split('\0').join(' '), environ: readFileSync(`/proc/${pid}/environ`, 'utf8') });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

test('fieldboot bmc drives two ipmi_sim BMCs over lanplus in a namespace', { timeout: 240_000 }, async (t) => {
  if (!labGate(t, { root: true, commands: ['ip', 'ipmi_sim', 'ipmitool'], files: [FIELDBOOT_BIN] })) return;
  const tmp = mkdtempSync(join(tmpdir(), 'fb-lab-bmc-'));
  const stateDir = join(tmp, 'fieldboot-state');
  const lab = createSwitch({ prefix: 'fbbmc', serverCidr: `${SUBNET}.1/24` });
  const bmcs: Bmc[] = [];
  try {
    bmcs.push(startBmc(lab, tmp, 'bmc1', `${SUBNET}.11`), startBmc(lab, tmp, 'bmc2', `${SUBNET}.12`));
    for (const b of bmcs) {
      await waitFor(() => /:623\b/.test(b.ns.exec(['ss', '-Hulnp'])), 10_000, `${b.name} to listen on ${b.ip}:623`).catch((err: Error) => {
        throw new Error(`${err.message}; ipmi_sim said: ${b.output()}`);
      });
      assert.ok(b.ns.exec(['ss', '-Huln']).includes(`${b.ip}:623`), 'ipmi_sim listens on the namespace address');
    }
    const [bmc1, bmc2] = bmcs as [Bmc, Bmc];
    const sd = ['--state-dir', stateDir];

    await t.test('add by hand (password on stdin) and import CSV; the list never shows a password', async () => {
      const add = await fieldboot(lab, ['add', '--host', bmc1.ip, '--user', 'admin', '--name', 'bmc1', '--password-stdin', ...sd], { stdin: `${PASSWORD}\n` });
      assert.equal(add.code, 0, add.stderr);
      const csv = join(tmp, 'rack.csv');
      writeFileSync(csv, `bmc_host,port,user,password,mac\n${bmc2.ip},623,admin,"${PASSWORD}",52:54:00:12:34:02\n${SILENT_IP},623,admin,whatever\n`);
      const imp = await fieldboot(lab, ['import', csv, '--json', ...sd]);
      assert.equal(imp.code, 0, imp.stderr);
      const list = await fieldboot(lab, ['list', '--json', ...sd]);
      const entries = JSON.parse(list.stdout) as BmcEntry[];
      assert.deepEqual(entries.map((e) => [e.name, e.id, e.hasPassword]), [
        ['bmc1', `${bmc1.ip}:623`, true],
        [bmc2.ip, `${bmc2.ip}:623`, true],
        [SILENT_IP, `${SILENT_IP}:623`, true],
      ]);
      for (const out of [add.stdout, imp.stdout, list.stdout, readFileSync(join(stateDir, 'bmcs.json'), 'utf8')]) assert.ok(!out.includes('s3cret'), 'password leaked');
    });

    await t.test('power on / status / off are issued and read back', async () => {
      const on = parseRun(await fieldboot(lab, ['power', 'on', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(on.results[0]!.ok, true, JSON.stringify(on.results[0]));
      assert.equal(bmc1.state().power, '1', 'the chassis was told power 1');
      assert.equal(on.results[0]!.power, 'on');
      const status = parseRun(await fieldboot(lab, ['power', 'status', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(status.results[0]!.power, 'on');
      const off = parseRun(await fieldboot(lab, ['power', 'off', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(bmc1.state().power, '0');
      assert.equal(off.results[0]!.power, 'off');
    });

    await t.test('power cycle: off then on for a running machine; a machine that is off is powered on', async () => {
      bmc1.clearLog();
      const fromOff = parseRun(await fieldboot(lab, ['power', 'cycle', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(fromOff.results[0]!.ok, true);
      assert.ok(fromOff.results[0]!.notes.includes('was off: powered on'), JSON.stringify(fromOff.results[0]));
      assert.deepEqual(bmc1.log().filter((l) => l.op === 'set').map((l) => l.args), ['power 1']);

      bmc1.clearLog();
      const cycle = parseRun(await fieldboot(lab, ['power', 'cycle', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(cycle.results[0]!.ok, true, JSON.stringify(cycle.results[0]));
      assert.deepEqual(cycle.results[0]!.notes, []);
      // ipmi_sim models a cycle as power 0 now and power 1 about a second later.
      await waitFor(() => bmc1.log().filter((l) => l.op === 'set').map((l) => l.args).join('|') === 'power 0|power 1', 5000, 'off then on');
      assert.equal(bmc1.state().power, '1');

      bmc1.clearLog();
      const reset = parseRun(await fieldboot(lab, ['power', 'reset', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(reset.results[0]!.ok, true);
      assert.ok(bmc1.log().some((l) => l.op === 'set' && l.args === 'reset 1'));
    });

    await t.test('bootdev pxe --efi: issued, raw fallback sent when the flags are not kept, read back', async () => {
      const before = parseRun(await fieldboot(lab, ['bootflags', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(before.results[0]!.bootFlags?.device, 'none', 'read back before: no override');
      bmc1.clearLog();
      const r = await fieldboot(lab, ['bootdev', 'pxe', '--once', '--efi', '--select', 'bmc1', '--json', ...sd]);
      assert.equal(r.code, 0, r.stderr);
      const res = parseRun(r).results[0]!;
      assert.equal(res.ok, true);
      assert.equal(bmc1.state().boot, 'pxe', 'the chassis was told to boot from PXE');
      // bootdev, then the raw Set System Boot Options: two writes reach the chassis.
      assert.deepEqual(bmc1.log().filter((l) => l.op === 'set').map((l) => l.args), ['boot pxe', 'boot pxe']);
      assert.equal(res.bootFlags?.device, 'pxe');
      assert.equal(res.bootFlags?.efi, false, 'ipmi_sim does not keep the EFI bit');
      assert.equal(res.confirmed, false);
      assert.ok(res.notes.some((n) => /raw Set System Boot Options/.test(n)), res.notes.join(' / '));
      assert.ok(res.notes.some((n) => /EFI flag was not kept/.test(n)));
      const after = parseRun(await fieldboot(lab, ['bootflags', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(after.results[0]!.bootFlags?.device, 'pxe');
      assert.equal(after.results[0]!.bootFlags?.raw, '0004000000');
      const text = await fieldboot(lab, ['bootflags', '--select', 'bmc1', ...sd]);
      assert.match(text.stdout, /bmc1 +192\.168\.78\.11 +ok +boot PXE once legacy \(flags not valid\)/);
    });

    await t.test('bad credentials → "bad credentials" within the timeout', async () => {
      const r = await fieldboot(lab, ['power', 'status', '--host', bmc2.ip, '--user', 'admin', '--timeout', '5', '--json'], { env: { FIELDBOOT_BMC_PASSWORD: 'wrong-password' } });
      assert.equal(r.code, 1);
      const res = parseRun(r).results[0]!;
      assert.equal(res.error?.kind, 'bad-credentials', JSON.stringify(res));
      assert.ok(res.durationMs < 5000, `${res.durationMs} ms`);
      const text = await fieldboot(lab, ['power', 'status', '--host', bmc2.ip, '--user', 'nobody', '--timeout', '5'], { env: { FIELDBOOT_BMC_PASSWORD: PASSWORD } });
      assert.match(text.stdout, /FAILED +bad credentials: .*unauthorized name/);
      assert.ok(!text.stdout.includes(PASSWORD) && !text.stderr.includes(PASSWORD));
    });

    await t.test('unreachable: nothing listening, and nobody at the address → "unreachable" within the timeout', async () => {
      for (const host of [lab.serverIp, SILENT_IP]) {
        const r = await fieldboot(lab, ['power', 'status', '--host', host, '--user', 'admin', '--timeout', '5', '--json'], { env: { FIELDBOOT_BMC_PASSWORD: PASSWORD } });
        const res = parseRun(r).results[0]!;
        t.diagnostic(`${host}: ${res.error?.kind} in ${res.durationMs} ms (${res.error?.message})`);
        assert.equal(res.error?.kind, 'unreachable', JSON.stringify(res));
        assert.ok(res.durationMs < 5000, `${res.durationMs} ms`);
      }
    });

    await t.test('cipher suites: 17 refused by ipmi_sim; a BMC remembered with 17 falls back to 3 and keeps it', async () => {
      const r = parseRun(await fieldboot(lab, ['power', 'status', '--select', 'bmc1', '--cipher', '17', '--json', ...sd]));
      assert.equal(r.results[0]!.error?.kind, 'cipher-suite-refused');
      const store = BmcStore.open(stateDir);
      store.learn(`${bmc1.ip}:623`, { cipherSuite: 17 });
      store.save();
      const ok = parseRun(await fieldboot(lab, ['power', 'status', '--select', 'bmc1', '--json', ...sd]));
      assert.equal(ok.results[0]!.ok, true);
      assert.deepEqual(ok.results[0]!.notes, ['cipher suite 17 refused; used 3']);
      assert.equal(BmcStore.open(stateDir).list()[0]!.cipherSuite, 3);
    });

    await t.test('two BMCs in one run overlap; a dead one in the selection fails alone; argv never holds the password', async () => {
      for (const b of bmcs) {
        writeFileSync(join(b.dir, 'slow'), '');
        b.clearLog();
      }
      let seen: { cmdline: string; environ: string }[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          seen = seen.concat(ipmitoolProcesses());
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      const r = await fieldboot(lab, ['bootflags', '--select', `bmc1,${bmc2.ip},${SILENT_IP}`, '--concurrency', '3', '--timeout', '5', '--json', ...sd]);
      polling = false;
      await poll;
      const results = parseRun(r).results;
      assert.equal(r.code, 1, 'one BMC failed');
      assert.deepEqual(results.map((x) => [x.name, x.ok, x.error?.kind ?? null]), [
        ['bmc1', true, null],
        [bmc2.ip, true, null],
        [SILENT_IP, false, 'unreachable'],
      ], JSON.stringify(results.map((x) => x.error)));
      const [g1] = bmc1.log().filter((l) => l.op === 'get');
      const [g2] = bmc2.log().filter((l) => l.op === 'get');
      assert.ok(g1 && g2, 'both chassis were asked');
      t.diagnostic(`bmc1 ${g1.start.toFixed(2)}-${g1.end.toFixed(2)}, bmc2 ${g2.start.toFixed(2)}-${g2.end.toFixed(2)}`);
      assert.ok(g1.start < g2.end && g2.start < g1.end, 'the two BMCs were asked at the same time');

      assert.ok(seen.length > 0, 'saw ipmitool running');
      for (const p of seen) {
        assert.ok(!p.cmdline.includes(PASSWORD) && !p.cmdline.includes('s3cret'), `password in argv: ${p.cmdline}`);
        assert.match(p.cmdline, / -E /);
        assert.match(p.cmdline, / -C 3 /);
      }
      assert.ok(seen.some((p) => p.environ.split('\0').includes(`IPMI_PASSWORD=${PASSWORD}`)), 'password passed in the environment');

      // Serial for contrast: with --concurrency 1 the calls do not overlap.
      for (const b of bmcs) b.clearLog();
      await fieldboot(lab, ['bootflags', '--select', `bmc1,${bmc2.ip}`, '--concurrency', '1', '--json', ...sd]);
      const [s1] = bmc1.log().filter((l) => l.op === 'get');
      const [s2] = bmc2.log().filter((l) => l.op === 'get');
      assert.ok(s1 && s2 && s1.end <= s2.start, 'serial run did not overlap');
      for (const b of bmcs) unlinkSync(join(b.dir, 'slow'));
    });
  } finally {
    for (const b of bmcs) b.proc.kill('SIGKILL');
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
});
