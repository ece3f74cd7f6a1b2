/** The one progress function: fraction and label per record shape, and stage durations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientProgress, STAGE_PROGRESS } from '../../../shared/clients/client-progress';
import { CLIENT_STAGE_ORDER, stageDurations } from '../../../shared/clients/client-stages';
import { stallProblem, transferFailure } from '../../../shared/clients/client-hints';
import type { ClientRecord } from '../../../shared/model/client-record';

type P = Parameters<typeof clientProgress>[0];
const base: P = { stage: 'discovered', reached: 'discovered', firstSeen: '2026-03-01T10:00:00Z', transfer: null, packagesDone: 0, packagesExpected: null, problem: null, armed: false };

test('progress grows strictly along the ordered stages and ends at 1', () => {
  const values = CLIENT_STAGE_ORDER.map((s) => clientProgress({ ...base, stage: s, reached: s }).fraction);
  for (let i = 1; i < values.length - 1; i++) assert.ok(values[i]! > values[i - 1]!, `${CLIENT_STAGE_ORDER[i]} is further than ${CLIENT_STAGE_ORDER[i - 1]}`);
  assert.equal(values.at(-2), 1);
  assert.equal(values.at(-1), 1);
});

test('table: fraction and label', () => {
  const rows: [string, Partial<P>, number | [number, number], string | RegExp, string][] = [
    ['armed, never seen', { firstSeen: null, armed: true }, 0, 'Armed, waiting for it to boot', 'waiting'],
    ['discovered', {}, STAGE_PROGRESS.discovered, 'Discovered', 'active'],
    ['address', { stage: 'address', reached: 'address' }, STAGE_PROGRESS.address, 'Got an address', 'active'],
    [
      'initrd half sent',
      { stage: 'kernel', reached: 'kernel', transfer: { protocol: 'http', path: 'initrd', role: 'initrd', bytes: 50, size: 100, rate: 1, active: true } },
      (STAGE_PROGRESS.kernel + STAGE_PROGRESS.initrd) / 2,
      'Initrd · 50%',
      'active',
    ],
    [
      'a finished initrd transfer does not interpolate',
      { stage: 'initrd', reached: 'initrd', transfer: { protocol: 'http', path: 'initrd', role: 'initrd', bytes: 100, size: 100, rate: 1, active: false } },
      STAGE_PROGRESS.initrd,
      'Initrd',
      'active',
    ],
    ['installing, 120 of 480', { stage: 'installing', reached: 'installing', packagesDone: 120, packagesExpected: 480 }, 0.35 + 0.5 * 0.25, 'Installing · 120 of 480 packages', 'active'],
    ['installing, count unknown', { stage: 'installing', reached: 'installing', packagesDone: 200 }, 0.35 + 0.5 * 0.5, 'Installing · 200 packages', 'active'],
    ['installing, more than expected', { stage: 'installing', reached: 'installing', packagesDone: 600, packagesExpected: 480 }, 0.85, 'Installing · 480 of 480 packages', 'active'],
    ['finished', { stage: 'finished', reached: 'finished' }, 1, 'Finished', 'done'],
    ['first boot', { stage: 'first-boot', reached: 'first-boot' }, 1, 'First boot', 'done'],
    [
      'failed keeps the fraction reached',
      { stage: 'failed', reached: 'kernel', problem: { kind: 'failed', by: 'server', reason: 'TFTP transfer of the initrd failed: timed out', hint: 'h', at: 'x' } },
      STAGE_PROGRESS.kernel,
      'Failed: TFTP transfer of the initrd failed: timed out',
      'failed',
    ],
    ['stalled', { stage: 'stalled', reached: 'answer-fetched', problem: { kind: 'stalled', by: 'server', reason: 'r', hint: 'h', at: 'x' } }, STAGE_PROGRESS['answer-fetched'], 'Stalled at answer file fetched', 'stalled'],
  ];
  for (const [what, patch, fraction, label, tone] of rows) {
    const p = clientProgress({ ...base, ...patch });
    assert.ok(Math.abs(p.fraction - (fraction as number)) < 1e-9, `${what}: fraction ${p.fraction}`);
    assert.ok(p.fraction >= 0 && p.fraction <= 1);
    if (typeof label === 'string') assert.equal(p.label, label, what);
    else assert.match(p.label, label, what);
    assert.equal(p.tone, tone, what);
  }
});

test('stage durations: each stage until the next; the current one until now; finished counts 0', () => {
  const r: Pick<ClientRecord, 'stageTimes' | 'reached'> = {
    reached: 'kernel',
    stageTimes: { discovered: '2026-03-01T10:00:00Z', address: '2026-03-01T10:00:04Z', kernel: '2026-03-01T10:01:04Z' },
  };
  assert.deepEqual(stageDurations(r, Date.parse('2026-03-01T10:02:04Z')), { discovered: 4000, address: 60_000, kernel: 60_000 });
  const done: Pick<ClientRecord, 'stageTimes' | 'reached'> = { reached: 'finished', stageTimes: { installing: '2026-03-01T10:00:00Z', finished: '2026-03-01T10:30:00Z' } };
  assert.deepEqual(stageDurations(done, Date.parse('2026-03-02T00:00:00Z')), { installing: 1_800_000, finished: 0 });
});

test('hints say what failed in plain words and what to do', () => {
  assert.deepEqual(transferFailure('tftp', 'initrd', 'debian/initrd.gz', 'file not found').reason, 'TFTP transfer of the initrd failed: file not found');
  assert.match(transferFailure('tftp', 'initrd', 'debian/initrd.gz', 'file not found').hint, /debian\/initrd\.gz is not being served/);
  assert.match(transferFailure('http', 'kernel', 'k', 'timed out').hint, /cable/);
  assert.match(transferFailure('http', undefined, '/x/y', undefined).reason, /^HTTP transfer of \/x\/y failed$/);
  assert.match(stallProblem('answer-fetched', 21 * 60_000).reason, /nothing heard for 21 min at answer file fetched/);
  assert.match(stallProblem('answer-fetched', 1).hint, /question/);
});
