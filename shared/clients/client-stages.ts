/**
 * The client stages in order, their labels in plain words, and how long each may take before the tracker
 * calls the machine stalled. Pure: used by the tracker (engine), the report and the Clients view.
 */
import { ClientStage, type ClientRecord, type ReachedStage } from '../model/client-record';

/** The order an install passes (a machine may skip some: proxy mode may never see an ACK). */
export const CLIENT_STAGE_ORDER: readonly ReachedStage[] = [
  ClientStage.Discovered,
  ClientStage.Address,
  ClientStage.Loader,
  ClientStage.Kernel,
  ClientStage.Initrd,
  ClientStage.InstallerStarted,
  ClientStage.AnswerFetched,
  ClientStage.Installing,
  ClientStage.PostInstall,
  ClientStage.Finished,
  ClientStage.FirstBoot,
];

/** Every stage, in the order the view lists counts and filters. */
export const ALL_CLIENT_STAGES: readonly ClientStage[] = [...CLIENT_STAGE_ORDER, ClientStage.Failed, ClientStage.Stalled];

export const CLIENT_STAGE_LABELS: Record<ClientStage, string> = {
  discovered: 'Discovered',
  address: 'Got an address',
  loader: 'Boot loader',
  kernel: 'Kernel',
  initrd: 'Initrd',
  'installer-started': 'Installer started',
  'answer-fetched': 'Answer file fetched',
  installing: 'Installing',
  'post-install': 'Post-install',
  finished: 'Finished',
  'first-boot': 'First boot',
  failed: 'Failed',
  stalled: 'Stalled',
};

export function stageIndex(stage: ReachedStage): number {
  return CLIENT_STAGE_ORDER.indexOf(stage);
}

export function isReachedStage(stage: string): stage is ReachedStage {
  return (CLIENT_STAGE_ORDER as readonly string[]).includes(stage);
}

/** Stages after which nothing more is expected: no stall detection there. */
export function isDone(stage: ReachedStage): boolean {
  return stage === ClientStage.Finished || stage === ClientStage.FirstBoot;
}

const MINUTE = 60_000;

/**
 * How long a machine may stay silent in a stage before it counts as stalled: the time since its last
 * event (any DHCP packet, transfer tick or callback), not the time in the stage, so a long install that
 * keeps fetching packages is never flagged. Generous on purpose: a false "stalled" sends a technician
 * to a machine that is fine. Why these: PXE ROMs retry DHCPDISCOVER for about a minute (the PXE 2.1
 * spec's timeouts are 4, 8, 16 and 32 s); a menu waits for its timeout; an installer may spend minutes
 * partitioning or formatting without a network request; post-install scripts (package updates) can be long.
 */
export const EXPECTED_STAGE_MS: Record<ReachedStage, number | null> = {
  discovered: 2 * MINUTE,
  address: 3 * MINUTE,
  loader: 5 * MINUTE,
  kernel: 5 * MINUTE,
  initrd: 5 * MINUTE,
  'installer-started': 10 * MINUTE,
  'answer-fetched': 20 * MINUTE,
  installing: 30 * MINUTE,
  'post-install': 30 * MINUTE,
  finished: null,
  'first-boot': null,
};

/** Milliseconds spent in each stage reached so far (the current one up to `now`). */
export function stageDurations(record: Pick<ClientRecord, 'stageTimes' | 'reached'>, now: number): Partial<Record<ReachedStage, number>> {
  const out: Partial<Record<ReachedStage, number>> = {};
  const reached = CLIENT_STAGE_ORDER.filter((s) => record.stageTimes[s] !== undefined);
  for (let i = 0; i < reached.length; i++) {
    const stage = reached[i]!;
    const start = Date.parse(record.stageTimes[stage]!);
    const next = reached[i + 1];
    const end = next !== undefined ? Date.parse(record.stageTimes[next]!) : isDone(stage) ? start : now;
    if (Number.isFinite(start) && Number.isFinite(end)) out[stage] = Math.max(0, end - start);
  }
  return out;
}
