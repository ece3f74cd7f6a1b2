/**
 * The BMC half of the app backend (AppController delegates the bmc:* channels here): the list in the state dir,
 * and test / install / power runs with per-BMC progress pushed as each step starts and ends.
 *
 * The list is re-read from bmcs.json on every call, so `fieldboot bmc ...` run beside the app (same state dir)
 * is never overwritten with a stale copy. Passwords are opened only for the length of a run and never leave
 * this file: everything returned or pushed is a BmcEntry or a BmcResult.
 */
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import {
  BMC_POWER_ACTIONS,
  BmcActionKind,
  BmcProtocol,
  DEFAULT_BMC_CONCURRENCY,
  DEFAULT_BMC_TIMEOUT_MS,
  type BmcAction,
  type BmcAddRequest,
  type BmcEntry,
  type BmcImportRequest,
  type BmcImportResponse,
  type BmcInstallRequest,
  type BmcInstallResponse,
  type BmcPowerRequest,
  type BmcProgressPush,
  type BmcPush,
  type BmcResult,
  type BmcRunResponse,
  type BmcUpdateRequest,
} from '../../../shared/model/bmc';
import type { Log } from '../log';
import { runBmcAction, type BmcLearned } from './bmc-actions';
import { mapWithLimit, runBmcInstall } from './bmc-install';
import { BmcStore, BmcStoreError } from './bmc-store';
import type { BmcTarget } from './bmc-types';
import type { IpmitoolOptions } from './ipmitool-driver';
import { fileKeyVault, type SecretVault } from './secret-vault';

export interface BmcServiceOptions {
  stateDir: string;
  /** Default: the 0600 key file in stateDir. The desktop app passes the keychain-wrapped vault. */
  vault?: SecretVault;
  push: (push: BmcPush) => void;
  concurrency?: number;
  /** Per BMC and per step. */
  timeoutMs?: number;
  ipmitool?: IpmitoolOptions;
  log?: Log;
}

const STORE_HINT = 'Check the BMC list entry, or remove the BMC and add it again.';

function storeError(err: unknown): never {
  if (err instanceof BmcStoreError) throw new FieldbootError(ErrorCode.BadOption, err.message, STORE_HINT);
  throw err;
}

export class BmcService {
  private readonly vault: SecretVault;
  /** BMCs with a run in progress: a double click must not power-cycle a server twice. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: BmcServiceOptions) {
    this.vault = options.vault ?? fileKeyVault(options.stateDir);
  }

  private open(): BmcStore {
    try {
      return BmcStore.open(this.options.stateDir, this.vault);
    } catch (err) {
      return storeError(err);
    }
  }

  /** Open, change, save, push the new list. */
  private change<T>(fn: (store: BmcStore) => T): T {
    const store = this.open();
    let out: T;
    try {
      out = fn(store);
      store.save();
    } catch (err) {
      return storeError(err);
    }
    this.options.push({ type: 'bmcs', bmcs: store.list() });
    return out;
  }

  list(): BmcEntry[] {
    return this.open().list();
  }

  /**
   * Every stored BMC's user and password, opened from the vault, for the diagnostics export to scrub from
   * its files (never shown, logged or serialised). One that fails to open is left out rather than failing
   * the export: no action can have used its password since the key changed.
   */
  credentials(): { id: string; user: string; password: string }[] {
    const store = this.open();
    return store.list().flatMap((e) => {
      try {
        return store.targets({ ids: [e.id] }).map((t) => ({ id: t.id, user: t.user, password: t.password }));
      } catch {
        return [];
      }
    });
  }

  add(request: BmcAddRequest): BmcEntry {
    return this.change((s) => s.add(request).entry);
  }

  update(request: BmcUpdateRequest): BmcEntry {
    return this.change((s) => s.update(request));
  }

  import(request: BmcImportRequest): BmcImportResponse {
    return this.change((s) => s.importCsv(request.csv, request.protocol));
  }

  remove(ids: string[]): BmcEntry[] {
    const busy = ids.filter((id) => this.busy.has(id));
    if (busy.length) throw new FieldbootError(ErrorCode.BadOption, `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} busy`, 'Wait for the running action to finish.');
    return this.change((s) => s.remove(ids));
  }

  /** Power status of each: proves the address, port, user and password. Redfish BMCs without a MAC get it read. */
  async test(ids: string[]): Promise<BmcRunResponse> {
    const action: BmcAction = { kind: BmcActionKind.PowerStatus };
    const results = await this.withTargets(ids, async (targets, learn) =>
      mapWithLimit(targets, this.concurrency, async (t) => {
        const r = await this.step(t, 'test', action, learn);
        if (r.ok && t.protocol === BmcProtocol.Redfish && !t.mac) {
          const macs = await runBmcAction(t, { kind: BmcActionKind.NicMacs }, this.runOptions(learn));
          const first = macs.macs?.[0];
          if (first) {
            learn(t.id, { mac: first });
            r.notes.push(`MAC ${first} read from the BMC (EthernetInterfaces)`);
            r.macs = macs.macs;
          }
        }
        return r;
      }),
    );
    return { action, results };
  }

  async power(request: BmcPowerRequest): Promise<BmcRunResponse> {
    const action: BmcAction = { kind: BMC_POWER_ACTIONS[request.action] };
    const results = await this.withTargets(request.ids, (targets, learn) => mapWithLimit(targets, this.concurrency, (t) => this.step(t, 'power', action, learn)));
    return { action, results };
  }

  async install(request: BmcInstallRequest): Promise<BmcInstallResponse> {
    const results = await this.withTargets(request.ids, (targets, learn) =>
      runBmcInstall(targets, {
        ...this.runOptions(learn),
        bootMode: request.bootMode,
        persistent: !!request.persistent,
        onStep: (id, step, result) => this.progress('install', id, step, result),
      }),
    );
    return { request, results };
  }

  private get concurrency(): number {
    return this.options.concurrency ?? DEFAULT_BMC_CONCURRENCY;
  }

  private runOptions(learn: (id: string, l: BmcLearned) => void) {
    return {
      timeoutMs: this.options.timeoutMs ?? DEFAULT_BMC_TIMEOUT_MS,
      onLearned: learn,
      ...(this.options.ipmitool ? { ipmitool: this.options.ipmitool } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
    };
  }

  private progress(operation: BmcProgressPush['operation'], id: string, step: BmcActionKind, result: BmcResult | null): void {
    this.options.push({ type: 'bmc-progress', id, operation, step, state: result === null ? 'running' : result.ok ? 'ok' : 'failed', result });
  }

  private async step(t: BmcTarget, operation: BmcProgressPush['operation'], action: BmcAction, learn: (id: string, l: BmcLearned) => void): Promise<BmcResult> {
    this.progress(operation, t.id, action.kind, null);
    const r = await runBmcAction(t, action, this.runOptions(learn));
    this.progress(operation, t.id, action.kind, r);
    return r;
  }

  /**
   * Decrypt the chosen BMCs, mark them busy, run, then keep what the run learned (working cipher suite, first
   * certificate, a MAC read from the BMC) in a fresh copy of the list.
   */
  private async withTargets<R>(ids: string[], run: (targets: BmcTarget[], learn: (id: string, l: BmcLearned) => void) => Promise<R>): Promise<R> {
    if (!ids.length) throw new FieldbootError(ErrorCode.BadOption, 'no BMC selected', 'Tick the machines to act on.');
    let targets: BmcTarget[];
    try {
      targets = this.open().targets({ ids });
    } catch (err) {
      return storeError(err);
    }
    const busy = targets.filter((t) => this.busy.has(t.id)).map((t) => t.name);
    if (busy.length) throw new FieldbootError(ErrorCode.BadOption, `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} still running an action`, 'Wait for it to finish.');
    for (const t of targets) this.busy.add(t.id);
    const learned: [string, BmcLearned][] = [];
    try {
      return await run(targets, (id, l) => learned.push([id, l]));
    } finally {
      for (const t of targets) this.busy.delete(t.id);
      if (learned.length) {
        try {
          this.change((s) => learned.forEach(([id, l]) => s.learn(id, l)));
        } catch (err) {
          this.options.log?.warn(`could not keep what the BMC run learned: ${(err as Error).message}`);
        }
      }
    }
  }
}
