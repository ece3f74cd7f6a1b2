/**
 * The tracker's stage machine, arming, stall detection and change notifications, driven by hand-made
 * engine events and a fake clock (no real waits).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClientTracker, type ClientChanges } from '../../../electron/engine/clients/client-tracker';
import type { ArmEvent, EngineEvent, FileEvent, FileRole, LeaseEvent, StageEvent } from '../../../shared/model/engine-event';
import type { ProgressStage } from '../../../shared/answer/progress';
import { FakeClock } from './fake-clock';

const MAC = '52:54:00:aa:bb:01';
const IP = '192.168.77.101';

function setup(opts: { armed?: boolean; oneShot?: boolean } = {}) {
  const clock = new FakeClock();
  const armEvents: ArmEvent[] = [];
  const tracker = new ClientTracker([], { now: clock.now, timers: clock, onArm: (e) => armEvents.push(e) });
  if (opts.armed) void tracker.arm([MAC], { oneShot: opts.oneShot === true });
  armEvents.length = 0;
  /** Each helper moves the clock one second so stage times are distinct. */
  const at = (): string => {
    clock.advance(1000);
    return clock.iso();
  };
  const lease = (action: LeaseEvent['action'], extra: Partial<LeaseEvent> = {}): LeaseEvent => ({ type: 'lease', time: at(), action, mac: MAC, ip: action === 'ack' ? IP : '0.0.0.0', ...extra });
  const file = (action: FileEvent['action'], role: FileRole | undefined, path: string, extra: Partial<FileEvent> = {}): FileEvent => ({
    type: 'file', time: at(), protocol: 'tftp', action, client: `${IP}:2070`, mac: MAC, ...(role ? { role } : {}), path, size: 1000, bytes: action === 'end' ? 1000 : 0, ...extra,
  });
  const stage = (s: ProgressStage, message?: string, extra: Partial<StageEvent> = {}): StageEvent => ({ type: 'stage', time: at(), mac: MAC, stage: s, source: 'installer', ...(message ? { message } : {}), ...extra });
  const feed = (...events: EngineEvent[]) => {
    for (const e of events) void tracker.observe(e);
    return tracker.get(MAC)!;
  };
  return { clock, tracker, armEvents, lease, file, stage, feed };
}

describe('stage mapping', () => {
  test('a Debian-style install passes every stage in order; stage times are stamped once', () => {
    const { feed, lease, file, stage, tracker } = setup({ armed: true, oneShot: true });
    const steps: [string, () => EngineEvent[], string, string?][] = [
      ['discover', () => [lease('discover', { firmware: 'efi-x64', arch: 7 })], 'discovered'],
      ['offer and request change nothing', () => [lease('offer', { ip: IP }), lease('request', { ip: IP })], 'discovered'],
      ['ack', () => [lease('ack', { hostname: 'node01' })], 'address'],
      ['loader sent', () => [file('start', 'loader', 'ipxe.efi'), file('end', 'loader', 'ipxe.efi')], 'loader'],
      ["iPXE's own DHCP does not go back", () => [lease('discover'), lease('ack')], 'loader'],
      ['menu', () => [file('end', 'menu', 'boot.ipxe', { protocol: 'http' })], 'loader'],
      ['kernel', () => [file('end', 'kernel', 'debian/linux', { protocol: 'http' })], 'kernel'],
      ['initrd', () => [file('end', 'initrd', 'debian/initrd.gz', { protocol: 'http' })], 'initrd'],
      ["the installer's DHCP", () => [lease('discover')], 'installer-started'],
      ['answer file asked for', () => [file('start', 'answer', '/answer/preseed.cfg', { protocol: 'http' })], 'answer-fetched'],
      ['pre-install callback', () => [stage('pre-install')], 'installing'],
      ['packages', () => [file('end', 'package', 'a.udeb', { protocol: 'http' }), file('end', 'package', 'b.deb', { protocol: 'http' })], 'installing'],
      ['installing callback', () => [stage('installing')], 'installing'],
      ['post-install', () => [stage('post-install')], 'post-install'],
      ['finished', () => [stage('finished')], 'finished'],
      ['the installed system DHCPs (disarmed one-shot): still finished', () => [lease('discover'), lease('ack')], 'finished'],
      ['first boot', () => [stage('first-boot')], 'first-boot'],
    ];
    for (const [what, events, expected] of steps) {
      const r = feed(...events());
      assert.equal(r.stage, expected, what);
    }
    const r = tracker.get(MAC)!;
    assert.deepEqual(Object.keys(r.stageTimes), ['discovered', 'address', 'loader', 'kernel', 'initrd', 'installer-started', 'answer-fetched', 'installing', 'post-install', 'finished', 'first-boot']);
    const times = Object.values(r.stageTimes).map((t) => Date.parse(t));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'stage times are in order');
    assert.equal(r.packagesDone, 2);
    assert.equal(r.firmware, 'efi-x64');
    assert.equal(r.hostname, 'node01');
    assert.equal(r.ip, IP);
    assert.equal(r.cycle, 1);
  });

  test('table: single events from a fresh machine', () => {
    const rows: [string, (h: ReturnType<typeof setup>) => EngineEvent, string][] = [
      ['discover', (h) => h.lease('discover'), 'discovered'],
      ['ack', (h) => h.lease('ack'), 'address'],
      ['ack for 0.0.0.0 (proxy)', (h) => h.lease('ack', { ip: '0.0.0.0' }), 'discovered'],
      ['loader end', (h) => h.file('end', 'loader', 'undionly.kpxe'), 'loader'],
      ['menu end', (h) => h.file('end', 'menu', 'pxelinux.cfg/default'), 'loader'],
      ['loader start only', (h) => h.file('start', 'loader', 'undionly.kpxe'), 'discovered'],
      ['kernel end', (h) => h.file('end', 'kernel', 'vmlinuz'), 'kernel'],
      ['initrd end', (h) => h.file('end', 'initrd', 'initrd.img'), 'initrd'],
      ['stage2 start', (h) => h.file('start', 'stage2', 'images/install.img'), 'installer-started'],
      ['answer start', (h) => h.file('start', 'answer', 'ks.cfg'), 'answer-fetched'],
      ['server answer-fetched stage', (h) => h.stage('answer-fetched', undefined, { source: 'server' }), 'answer-fetched'],
      ['installer-started stage', (h) => h.stage('installer-started', undefined, { source: 'server' }), 'installer-started'],
      ['installing', (h) => h.stage('installing'), 'installing'],
      ['post-install', (h) => h.stage('post-install'), 'post-install'],
      ['finished', (h) => h.stage('finished'), 'finished'],
      ['failed', (h) => h.stage('failed', 'disk'), 'failed'],
      ['package end (only an installer fetches packages)', (h) => h.file('end', 'package', 'x.rpm'), 'installer-started'],
      ['other file end', (h) => h.file('end', 'other', 'x'), 'discovered'],
      ['file error of a menu probe', (h) => h.file('error', 'menu', 'pxelinux.cfg/01-52-54', { error: 'file not found' }), 'discovered'],
      ['file error of the kernel', (h) => h.file('error', 'kernel', 'vmlinuz', { error: 'file not found' }), 'failed'],
    ];
    for (const [what, make, expected] of rows) {
      const h = setup();
      const r = h.feed(make(h));
      assert.equal(r.stage, expected, what);
    }
  });

  test('stages only move forward: late leases and re-fetches do not drag a machine back', () => {
    const { feed, lease, file, stage } = setup();
    feed(lease('discover'), lease('ack'), file('end', 'kernel', 'vmlinuz'), stage('installing'), stage('finished'));
    let r = feed(lease('request', { ip: IP }), lease('ack'), file('end', 'kernel', 'vmlinuz'), stage('installing'), stage('answer-fetched'));
    assert.equal(r.stage, 'finished');
    r = feed(lease('discover'));
    assert.equal(r.stage, 'finished', 'an unarmed machine DHCPing after finishing is the installed OS: no new cycle');
    assert.equal(r.cycle, 1);
  });

  test('an armed machine that DHCPs again after finishing or failing starts a new install cycle', () => {
    const { feed, lease, stage, tracker } = setup({ armed: true });
    feed(lease('discover'), lease('ack'), stage('installing'), stage('finished'));
    assert.equal(tracker.isArmed(MAC), true, 'armed (not one-shot) stays armed after finishing');
    let r = feed(lease('discover'));
    assert.equal(r.stage, 'discovered');
    assert.equal(r.cycle, 2);
    assert.deepEqual(Object.keys(r.stageTimes), ['discovered']);
    assert.ok(r.log.some((l) => /New install cycle/.test(l.text)));
    r = feed(lease('ack'), stage('failed', 'no disk'));
    assert.equal(r.stage, 'failed');
    r = feed(lease('discover'));
    assert.equal(r.stage, 'discovered');
    assert.equal(r.cycle, 3);
    assert.equal(r.problem, null);
  });

  test('one-shot: disarmed when it reports finished, with an ArmEvent (reason finished)', async () => {
    const { feed, lease, stage, tracker, armEvents } = setup({ armed: true, oneShot: true });
    assert.equal(tracker.isArmed(MAC), true);
    feed(lease('discover'), stage('installing'));
    assert.equal(tracker.isArmed(MAC), true);
    feed(stage('finished'));
    assert.equal(tracker.isArmed(MAC), false);
    assert.equal(armEvents.length, 1);
    assert.deepEqual({ ...armEvents[0], time: 'x' }, { type: 'arm', time: 'x', mac: MAC, armed: false, reason: 'finished' });
    // Next boot: local disk, and the record stays finished.
    const r = feed(lease('discover'));
    assert.equal(r.stage, 'finished');
    assert.equal(armEvents.length, 1);
  });

  test('arm and disarm: by MAC in any spelling, ahead of time, with ArmEvents; an ArmEvent from elsewhere is applied silently', async () => {
    const { tracker, armEvents } = setup();
    const out = await tracker.arm(['52-54-00-AA-BB-09', 'not a mac'], { oneShot: true });
    assert.equal(out.length, 1);
    assert.equal(out[0]!.mac, '52:54:00:aa:bb:09');
    assert.equal(out[0]!.firstSeen, null, 'armed ahead of time: never seen');
    assert.equal(tracker.isArmed('52:54:00:aa:bb:09'), true);
    assert.equal(armEvents.length, 1);
    assert.equal(armEvents[0]!.reason, 'user');
    await tracker.arm(['52:54:00:aa:bb:09'], { oneShot: true });
    assert.equal(armEvents.length, 1, 'arming an armed machine again changes nothing');
    await tracker.disarm(['52:54:00:aa:bb:09']);
    assert.equal(tracker.isArmed('52:54:00:aa:bb:09'), false);
    assert.equal(armEvents.length, 2);
    await tracker.observe({ type: 'arm', time: new Date().toISOString(), mac: '52:54:00:aa:bb:09', armed: true, reason: 'allow-list' });
    assert.equal(tracker.isArmed('52:54:00:aa:bb:09'), true);
    assert.equal(armEvents.length, 2, 'an observed ArmEvent is not echoed');
  });

  test('file events without a MAC are matched by the leased address; StageEvents with mac "unknown" too', () => {
    const { feed, lease, file, stage, tracker } = setup();
    feed(lease('discover'), lease('ack'));
    const f = file('end', 'kernel', 'vmlinuz');
    delete f.mac;
    let r = feed(f);
    assert.equal(r.stage, 'kernel');
    r = feed(stage('installing', undefined, { mac: 'unknown', client: `${IP}:40000` }));
    assert.equal(r.stage, 'installing');
    void tracker.observe({ ...file('end', 'kernel', 'x'), mac: undefined, client: '10.9.9.9:1' } as FileEvent);
    assert.equal(tracker.list().length, 1, 'a transfer to an address nobody leased is not a client');
  });
});

describe('failures', () => {
  test('a TFTP error of the initrd fails the machine with a plain-words hint; the retry that works clears it', () => {
    const { feed, lease, file } = setup();
    feed(lease('discover'), lease('ack'), file('end', 'kernel', 'vmlinuz'));
    let r = feed(file('error', 'initrd', 'initrd.img', { bytes: 4096, error: 'timed out after 6 retransmissions' }));
    assert.equal(r.stage, 'failed');
    assert.equal(r.reached, 'kernel');
    assert.equal(r.problem?.reason, 'TFTP transfer of the initrd failed: timed out after 6 retransmissions');
    assert.match(r.problem?.hint ?? '', /cable|iPXE/);
    r = feed(file('end', 'initrd', 'initrd.img'));
    assert.equal(r.stage, 'initrd');
    assert.equal(r.problem, null);
  });

  test('the PXE tsize probe (client closes at 0 bytes) is not a failure', () => {
    const { feed, lease, file } = setup();
    feed(lease('discover'), lease('ack'));
    const r = feed(file('error', 'loader', 'undionly.kpxe', { bytes: 0, error: 'client sent error 0: TFTP Aborted' }));
    assert.equal(r.stage, 'address');
    assert.ok(r.log.some((l) => /read the size/.test(l.text)));
  });

  test("an installer's failed callback (%onerror) stands: later progress does not clear it", () => {
    const { feed, lease, stage, file } = setup();
    feed(lease('discover'), lease('ack'), stage('installing'));
    let r = feed(stage('failed', 'anaconda: disk sda not found'));
    assert.equal(r.stage, 'failed');
    assert.equal(r.problem?.by, 'installer');
    assert.match(r.problem?.reason ?? '', /disk sda not found/);
    r = feed(file('end', 'package', 'x.rpm', { protocol: 'http' }), lease('ack'));
    assert.equal(r.stage, 'failed');
  });

  test('a late error callback does not un-finish a finished machine', () => {
    const { feed, lease, stage } = setup();
    feed(lease('discover'), stage('finished'));
    const r = feed(stage('failed', 'late'));
    assert.equal(r.stage, 'finished');
  });

  test('an exhausted pool marks the machine failed with what to do', () => {
    const { feed, lease, clock } = setup();
    feed(lease('discover'));
    const r = feed({ type: 'pool', time: clock.iso(), action: 'exhausted', mac: MAC, range: '10.0.0.100-10.0.0.101' });
    assert.equal(r.stage, 'failed');
    assert.match(r.problem?.hint ?? '', /Widen the range/);
  });
});

describe('stalls', () => {
  test('an armed machine silent past its stage limit is stalled with a hint; any event clears it', async () => {
    const { feed, lease, clock, tracker } = setup({ armed: true });
    feed(lease('discover'), lease('ack'));
    clock.advance(2 * 60_000);
    assert.equal(tracker.get(MAC)!.stage, 'address', 'not yet');
    clock.advance(70_000); // the 5 s stall check runs inside advance()
    let r = tracker.get(MAC)!;
    assert.equal(r.stage, 'stalled');
    assert.equal(r.reached, 'address');
    assert.match(r.problem?.reason ?? '', /nothing heard for 3 min/);
    assert.match(r.problem?.hint ?? '', /TFTP/);
    r = feed(lease('request', { ip: IP }));
    assert.equal(r.stage, 'address');
    assert.equal(r.problem, null);
  });

  test('an unarmed machine that went to its local disk never stalls; finished machines never stall', () => {
    const a = setup();
    a.feed(a.lease('discover'), a.lease('ack'), a.file('end', 'loader', 'undionly.kpxe'));
    a.clock.advance(6 * 3600_000);
    assert.equal(a.tracker.get(MAC)!.stage, 'loader');
    const b = setup({ armed: true });
    b.feed(b.lease('discover'), b.stage('finished'));
    b.clock.advance(6 * 3600_000);
    assert.equal(b.tracker.get(MAC)!.stage, 'finished');
  });

  test('an unarmed machine fetching a kernel can stall (it is installing something)', () => {
    const { feed, lease, file, clock, tracker } = setup();
    feed(lease('discover'), lease('ack'), file('end', 'kernel', 'vmlinuz'));
    clock.advance(6 * 60_000);
    assert.equal(tracker.get(MAC)!.stage, 'stalled');
  });

  test('a stalled armed machine that DHCPs again starts over', () => {
    const { feed, lease, clock } = setup({ armed: true });
    feed(lease('discover'), lease('ack'));
    clock.advance(10 * 60_000);
    const r = feed(lease('discover'));
    assert.equal(r.stage, 'discovered');
    assert.equal(r.cycle, 2);
  });
});

describe('change notifications', () => {
  test('snapshot first, then deltas; progress ticks of one record are throttled to 250 ms, stage changes are not', () => {
    const { feed, lease, file, clock, tracker } = setup();
    feed(lease('discover'), lease('ack'));
    const got: ClientChanges[] = [];
    tracker.subscribe((c) => got.push(c));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.snapshot?.length, 1);
    got.length = 0;
    void tracker.observe(file('start', 'initrd', 'initrd.img', { protocol: 'http', size: 100_000_000 }));
    clock.advance(0);
    assert.equal(got.length, 1, 'a transfer start goes out at once');
    got.length = 0;
    // 100 progress ticks 10 ms apart: one second of transfer.
    for (let i = 1; i <= 100; i++) {
      clock.advance(10);
      void tracker.observe({ type: 'file', time: clock.iso(), protocol: 'http', action: 'progress', client: `${IP}:1`, mac: MAC, role: 'initrd', path: 'initrd.img', size: 100_000_000, bytes: i * 1_000_000, rate: 100_000_000 });
    }
    clock.advance(300);
    assert.ok(got.length >= 3 && got.length <= 5, `progress-only changes throttled: ${got.length} batches for 1 s`);
    const last = got.at(-1)!.changed![0]!;
    assert.equal(last.transfer?.bytes, 100_000_000, 'the last tick is not lost');
    got.length = 0;
    void tracker.observe(file('end', 'initrd', 'initrd.img', { protocol: 'http', size: 100_000_000, bytes: 100_000_000 }));
    clock.advance(0);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.changed![0]!.stage, 'initrd');
  });

  test('a burst of events for 200 machines in one tick is one batch; rev grows', () => {
    const { tracker, clock } = setup();
    const got: ClientChanges[] = [];
    tracker.subscribe((c) => got.push(c));
    got.length = 0;
    for (let i = 0; i < 200; i++) {
      void tracker.observe({ type: 'lease', time: clock.iso(), action: 'discover', mac: `52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, ip: '0.0.0.0' });
    }
    clock.advance(0);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.changed!.length, 200);
    const revs = got[0]!.changed!.map((r) => r.rev);
    assert.equal(new Set(revs).size, 200);
  });

  test('clearFinished removes finished, unarmed machines and says so', async () => {
    const { tracker, clock } = setup();
    const mk = (mac: string, finished: boolean) => {
      void tracker.observe({ type: 'lease', time: clock.iso(), action: 'discover', mac, ip: '0.0.0.0' });
      if (finished) void tracker.observe({ type: 'stage', time: clock.iso(), mac, stage: 'finished', source: 'installer' });
    };
    mk('52:54:00:00:00:01', true);
    mk('52:54:00:00:00:02', false);
    mk('52:54:00:00:00:03', true);
    await tracker.arm(['52:54:00:00:00:03']);
    const got: ClientChanges[] = [];
    tracker.subscribe((c) => got.push(c));
    const removed = await tracker.clearFinished();
    assert.deepEqual(removed, ['52:54:00:00:00:01']);
    clock.advance(0);
    assert.deepEqual(got.at(-1)!.removed, ['52:54:00:00:00:01']);
    assert.deepEqual(tracker.list().map((r) => r.mac).sort(), ['52:54:00:00:00:02', '52:54:00:00:00:03']);
  });

  test('the log is bounded to 200 lines per machine, numbered without gaps', () => {
    const { tracker, clock } = setup();
    for (let i = 0; i < 450; i++) void tracker.observe({ type: 'lease', time: clock.iso(), action: 'request', mac: MAC, ip: IP });
    const log = tracker.get(MAC)!.log;
    assert.equal(log.length, 200);
    assert.equal(log[0]!.n, 251);
    assert.equal(log.at(-1)!.n, 450);
  });
});
