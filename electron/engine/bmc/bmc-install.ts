/**
 * "Install these machines": for each BMC, next boot from the network (once, UEFI or BIOS), then a power cycle
 * (a machine that is off is powered on), so it PXE-boots into the installer. The two steps run back to back per
 * BMC, BMCs run concurrently with a limit, and a BMC whose boot device could not be set is never power-cycled:
 * rebooting a server into its old OS helps nobody and may interrupt work on it.
 */
import {
  BmcActionKind,
  BmcBootMode,
  BmcInstallStep,
  DEFAULT_BMC_CONCURRENCY,
  type BmcInstallResult,
  type BmcResult,
} from '../../../shared/model/bmc';
import { runBmcAction, type BmcRunOptions } from './bmc-actions';
import type { BmcTarget } from './bmc-types';

export interface BmcInstallOptions extends Omit<BmcRunOptions, 'onResult'> {
  bootMode: BmcBootMode;
  /** Keep booting from the network after the install (default false: once, the BMC clears it after one boot). */
  persistent?: boolean;
  /** Each step as it starts (result null) and ends. */
  onStep?: (id: string, step: BmcInstallStep, result: BmcResult | null) => void;
  onResult?: (result: BmcInstallResult) => void;
}

/** Run `fn` over `items`, at most `limit` at a time; results in the order of `items`. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, Math.floor(limit)), items.length) }, worker));
  return out;
}

/** One BMC: boot override, then power. Never throws. */
export async function installOne(target: BmcTarget, opts: BmcInstallOptions): Promise<BmcInstallResult> {
  const started = Date.now();
  const { onStep: _s, onResult: _r, bootMode: _b, persistent: _p, ...runOpts } = opts;
  const steps: BmcResult[] = [];
  const base = { id: target.id, name: target.name, host: target.host, protocol: target.protocol };
  opts.onStep?.(target.id, BmcInstallStep.BootPxe, null);
  const boot = await runBmcAction(target, { kind: BmcActionKind.BootPxe, persistent: !!opts.persistent, efi: opts.bootMode === BmcBootMode.Uefi }, runOpts);
  steps.push(boot);
  opts.onStep?.(target.id, BmcInstallStep.BootPxe, boot);
  let result: BmcInstallResult;
  if (!boot.ok) {
    result = { ...base, ok: false, failedStep: BmcInstallStep.BootPxe, error: boot.error, confirmed: null, power: null, steps, durationMs: Date.now() - started };
  } else {
    opts.onStep?.(target.id, BmcInstallStep.PowerCycle, null);
    const power = await runBmcAction(target, { kind: BmcActionKind.PowerCycle }, runOpts);
    steps.push(power);
    opts.onStep?.(target.id, BmcInstallStep.PowerCycle, power);
    result = {
      ...base,
      ok: power.ok,
      failedStep: power.ok ? null : BmcInstallStep.PowerCycle,
      error: power.error,
      confirmed: boot.confirmed,
      power: power.power,
      steps,
      durationMs: Date.now() - started,
    };
  }
  opts.onResult?.(result);
  return result;
}

/** Many BMCs, at most `concurrency` at a time (default 8); one result per BMC in the order given. */
export function runBmcInstall(targets: readonly BmcTarget[], opts: BmcInstallOptions): Promise<BmcInstallResult[]> {
  return mapWithLimit(targets, opts.concurrency ?? DEFAULT_BMC_CONCURRENCY, (t) => installOne(t, opts));
}
