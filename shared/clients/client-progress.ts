/**
 * The one place that turns a client record into "how far along" (0..1) and a line of plain words. The
 * Clients view, the report and the tests all read progress through here, so they never disagree.
 */
import { ClientStage, type ClientRecord, type ReachedStage } from '../model/client-record';
import { CLIENT_STAGE_LABELS, CLIENT_STAGE_ORDER, stageIndex } from './client-stages';

/**
 * Share of the bar when a stage is reached. Boot steps are quick but each one is news to the technician;
 * the install itself is most of the wall-clock time, so it gets the widest span (INSTALL_SPAN).
 */
export const STAGE_PROGRESS: Record<ReachedStage, number> = {
  discovered: 0.02,
  address: 0.05,
  loader: 0.08,
  kernel: 0.12,
  initrd: 0.2,
  'installer-started': 0.25,
  'answer-fetched': 0.3,
  installing: 0.35,
  'post-install': 0.9,
  finished: 1,
  'first-boot': 1,
};
/** Installing spans from STAGE_PROGRESS.installing up to here, by packages fetched. */
const INSTALL_END = 0.85;
/**
 * Without a known package count the bar approaches INSTALL_END as done / (done + this): it keeps moving
 * with every package and never claims the install is over.
 */
const UNKNOWN_COUNT_HALF = 200;

export type ProgressTone = 'waiting' | 'active' | 'done' | 'failed' | 'stalled';

export interface ClientProgress {
  /** 0..1 */
  fraction: number;
  /** What the stage column says ("Installing · 120 of 480 packages", "Initrd · 45%"). */
  label: string;
  tone: ProgressTone;
}

/** Transfers whose bytes move the bar inside the stage they lead to. */
const TRANSFER_STAGE: Partial<Record<string, ReachedStage>> = {
  loader: ClientStage.Loader,
  kernel: ClientStage.Kernel,
  initrd: ClientStage.Initrd,
};

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

export function clientProgress(record: Pick<ClientRecord, 'stage' | 'reached' | 'firstSeen' | 'transfer' | 'packagesDone' | 'packagesExpected' | 'problem' | 'armed'>): ClientProgress {
  const reached = record.reached;
  let fraction = STAGE_PROGRESS[reached];
  let detail = '';

  const t = record.transfer;
  const target = t?.active && t.role ? TRANSFER_STAGE[t.role] : undefined;
  if (t && target && stageIndex(target) > stageIndex(reached) && t.size) {
    // A kernel or initrd on its way: move between the stage before it and the stage it leads to.
    const share = clamp01(t.bytes / t.size);
    const before = CLIENT_STAGE_ORDER[stageIndex(target) - 1] ?? reached;
    fraction = STAGE_PROGRESS[before] + (STAGE_PROGRESS[target] - STAGE_PROGRESS[before]) * share;
    detail = `${CLIENT_STAGE_LABELS[target]} · ${Math.floor(share * 100)}%`;
  } else if (reached === ClientStage.Installing && (record.packagesDone > 0 || record.packagesExpected)) {
    const done = record.packagesDone;
    const expected = record.packagesExpected;
    const share = expected ? clamp01(done / expected) : done / (done + UNKNOWN_COUNT_HALF);
    fraction = STAGE_PROGRESS.installing + (INSTALL_END - STAGE_PROGRESS.installing) * share;
    detail = expected ? `Installing · ${Math.min(done, expected)} of ${expected} packages` : `Installing · ${done} package${done === 1 ? '' : 's'}`;
  }

  if (record.stage === ClientStage.Failed) {
    return { fraction, label: `Failed: ${record.problem?.reason ?? 'the install stopped'}`, tone: 'failed' };
  }
  if (record.stage === ClientStage.Stalled) {
    return { fraction, label: `Stalled at ${CLIENT_STAGE_LABELS[reached].toLowerCase()}`, tone: 'stalled' };
  }
  if (record.firstSeen === null) {
    return { fraction: 0, label: record.armed ? 'Armed, waiting for it to boot' : 'Not seen yet', tone: 'waiting' };
  }
  if (reached === ClientStage.Finished || reached === ClientStage.FirstBoot) {
    return { fraction: 1, label: CLIENT_STAGE_LABELS[reached], tone: 'done' };
  }
  return { fraction, label: detail || CLIENT_STAGE_LABELS[reached], tone: 'active' };
}
