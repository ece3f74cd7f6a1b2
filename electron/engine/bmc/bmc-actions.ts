/**
 * Power and boot-device actions on one BMC or a selection of them. A selection runs concurrently with a limit;
 * every BMC gets its own deadline and its own result, and one BMC failing never stops the others.
 */
import {
  BmcActionKind,
  BmcErrorKind,
  BootDevice,
  DEFAULT_BMC_CONCURRENCY,
  DEFAULT_BMC_TIMEOUT_MS,
  DEFAULT_CIPHER_SUITES,
  type BmcAction,
  type BmcResult,
  type BootFlags,
  type PowerState,
} from '../../../shared/model/bmc';
import type { Log } from '../log';
import { BmcFailure, redact, type BmcTarget, type Deadline } from './bmc-types';
import { GET_BOOT_FLAGS_ARGS, bootdevPxeArgs, parseBootParamOutput, parsePowerStatus, rawSetPxeArgs } from './ipmi-boot-flags';
import { IpmitoolSession, type IpmitoolOptions } from './ipmitool-driver';
import { RedfishClient, RedfishResetType, bootFlagsFromRedfish } from './redfish-client';

/** What a run learned about a BMC that is worth keeping (the store persists it). */
export interface BmcLearned {
  cipherSuite?: number;
  tlsFingerprint256?: string;
  /** The server's PXE NIC, read from the BMC (Redfish EthernetInterfaces); kept only when none was typed in. */
  mac?: string;
}

export interface BmcRunOptions {
  concurrency?: number;
  /** Per BMC, for the whole action (all the calls it takes). */
  timeoutMs?: number;
  /** IPMI cipher suites to try, in order (after the BMC's last working one). */
  cipherSuites?: readonly number[];
  ipmitool?: IpmitoolOptions;
  /** Called as each BMC finishes (the UI fills in rows as they come). */
  onResult?: (result: BmcResult) => void;
  onLearned?: (id: string, learned: BmcLearned) => void;
  log?: Log;
}

interface Outcome {
  power: PowerState | null;
  bootFlags: BootFlags | null;
  confirmed: boolean | null;
  macs: string[] | null;
  notes: string[];
}

const empty = (): Outcome => ({ power: null, bootFlags: null, confirmed: null, macs: null, notes: [] });

/** Does the read-back show the PXE override that was asked for? Returns what differs (empty = confirmed). */
export function bootMismatch(flags: BootFlags, want: { persistent: boolean; efi: boolean }): string[] {
  const off: string[] = [];
  if (flags.device !== BootDevice.Pxe) off.push(`boot device reads back as "${flags.device}"`);
  if (!flags.valid) off.push('the boot flags read back as not valid');
  if (flags.persistent !== want.persistent) off.push(want.persistent ? 'the persistent flag was not kept' : 'the override reads back as persistent');
  if (flags.efi !== null && flags.efi !== want.efi) off.push(want.efi ? 'the EFI flag was not kept (legacy boot)' : 'the override reads back as EFI');
  return off;
}

/** How long a power cycle's read-back waits for the machine to come back on, and how often it looks. */
const CYCLE_SETTLE_MS = 5000;
const CYCLE_POLL_MS = 700;

// ---- IPMI ----------------------------------------------------------------------------------------------

async function ipmiPower(s: IpmitoolSession, deadline: Deadline): Promise<PowerState> {
  const out = await s.run(['chassis', 'power', 'status'], deadline);
  const p = parsePowerStatus(out);
  if (!p) throw new BmcFailure(BmcErrorKind.Failed, `unexpected power status answer: ${out.trim().slice(0, 120)}`);
  return p;
}

async function ipmiBootFlags(s: IpmitoolSession, deadline: Deadline): Promise<BootFlags> {
  const out = await s.run(GET_BOOT_FLAGS_ARGS, deadline);
  const flags = parseBootParamOutput(out);
  if (!flags) throw new BmcFailure(BmcErrorKind.Failed, `unexpected boot parameter answer: ${out.trim().slice(0, 120)}`);
  return flags;
}

async function ipmiAction(s: IpmitoolSession, action: BmcAction, deadline: Deadline): Promise<Outcome> {
  const o = empty();
  switch (action.kind) {
    case BmcActionKind.PowerStatus:
      o.power = await ipmiPower(s, deadline);
      return o;
    case BmcActionKind.PowerOn:
    case BmcActionKind.PowerOff:
      await s.run(['chassis', 'power', action.kind === BmcActionKind.PowerOn ? 'on' : 'off'], deadline);
      o.power = await ipmiPower(s, deadline);
      return o;
    case BmcActionKind.PowerCycle: {
      // IPMI v2.0 §28.3: power cycle "has no effect" on a system that is off (many BMCs answer 0xD5), so a
      // machine that is off is powered on: either way it ends up booting.
      if ((await ipmiPower(s, deadline)) === 'off') {
        await s.run(['chassis', 'power', 'on'], deadline);
        o.notes.push('was off: powered on');
      } else {
        await s.run(['chassis', 'power', 'cycle'], deadline);
      }
      o.power = await ipmiPower(s, deadline);
      // A cycle is off, an interval (IPMI v2.0 §28.3: at least 1 s), then on: a read-back inside that interval
      // says "off", which would read as "the machine is off" in the result. Look again for a few seconds.
      const until = Math.min(deadline.at - 1000, Date.now() + CYCLE_SETTLE_MS);
      while (o.power === 'off' && Date.now() + CYCLE_POLL_MS < until) {
        await new Promise((r) => setTimeout(r, CYCLE_POLL_MS));
        o.power = await ipmiPower(s, deadline);
      }
      if (o.power === 'off') o.notes.push('still off just after the cycle: the BMC powers it back on by itself');
      return o;
    }
    case BmcActionKind.PowerReset:
      await s.run(['chassis', 'power', 'reset'], deadline);
      o.power = await ipmiPower(s, deadline);
      return o;
    case BmcActionKind.BootFlags:
      o.bootFlags = await ipmiBootFlags(s, deadline);
      return o;
    case BmcActionKind.NicMacs:
      // IPMI has no standard command for the host's NICs: `lan print` is the BMC's own port, and the rest is OEM
      // (Dell, Supermicro, HPE each differ). Refused without a call rather than guessed.
      throw new BmcFailure(BmcErrorKind.NotSupported, 'IPMI has no standard command for the server\'s NIC MACs; type the MAC in, or use Redfish');
    case BmcActionKind.BootPxe: {
      const want = { persistent: action.persistent, efi: action.efi };
      let setError: BmcFailure | null = null;
      try {
        await s.run(bootdevPxeArgs(want), deadline);
      } catch (err) {
        if (!(err instanceof BmcFailure) || err.kind !== BmcErrorKind.NotSupported) throw err;
        setError = err;
      }
      let flags = setError ? null : await ipmiBootFlags(s, deadline);
      let off = flags ? bootMismatch(flags, want) : ['chassis bootdev was refused'];
      if (off.length) {
        // Some BMCs ignore the options ipmitool sends with bootdev (or ipmitool drops "efiboot" silently on
        // old builds): write the five flag bytes directly, then read back again.
        o.notes.push(`after "chassis bootdev": ${off.join('; ')}; sent the boot flags with a raw Set System Boot Options`);
        try {
          await s.run(rawSetPxeArgs(want), deadline);
        } catch (err) {
          if (setError) throw setError;
          if (!(err instanceof BmcFailure) || err.kind !== BmcErrorKind.NotSupported) throw err;
          o.notes.push(`raw Set System Boot Options refused: ${err.message}`);
        }
        flags = await ipmiBootFlags(s, deadline);
        off = bootMismatch(flags, want);
        if (off.length) o.notes.push(`read back after the raw command: ${off.join('; ')}`);
      }
      o.bootFlags = flags;
      o.confirmed = off.length === 0;
      return o;
    }
  }
}

// ---- Redfish -------------------------------------------------------------------------------------------

async function redfishAction(c: RedfishClient, action: BmcAction, deadline: Deadline): Promise<Outcome> {
  const o = empty();
  await c.login(deadline);
  try {
    let sys = await c.system(deadline);
    switch (action.kind) {
      case BmcActionKind.PowerStatus:
        o.power = sys.power;
        return o;
      case BmcActionKind.PowerOn:
      case BmcActionKind.PowerOff:
      case BmcActionKind.PowerReset:
      case BmcActionKind.PowerCycle: {
        let type: RedfishResetType =
          action.kind === BmcActionKind.PowerOn ? RedfishResetType.On
          : action.kind === BmcActionKind.PowerOff ? RedfishResetType.ForceOff
          : action.kind === BmcActionKind.PowerReset ? RedfishResetType.ForceRestart
          : RedfishResetType.PowerCycle;
        if (action.kind === BmcActionKind.PowerCycle && sys.power === 'off') {
          type = RedfishResetType.On;
          o.notes.push('was off: powered on');
        }
        if (sys.allowedResetTypes && !sys.allowedResetTypes.includes(type)) {
          if (type === RedfishResetType.PowerCycle && sys.allowedResetTypes.includes(RedfishResetType.ForceRestart)) {
            o.notes.push('PowerCycle not offered by this BMC: used ForceRestart');
            type = RedfishResetType.ForceRestart;
          } else {
            throw new BmcFailure(BmcErrorKind.NotSupported, `ResetType ${type} is not offered (allowed: ${sys.allowedResetTypes.join(', ')})`);
          }
        }
        await c.reset(sys, type, deadline);
        sys = await c.system(deadline);
        o.power = sys.power;
        return o;
      }
      case BmcActionKind.BootFlags:
        o.bootFlags = bootFlagsFromRedfish(sys.boot);
        return o;
      case BmcActionKind.NicMacs:
        o.macs = await c.nicMacs(sys, deadline);
        return o;
      case BmcActionKind.BootPxe: {
        const want = { persistent: action.persistent, efi: action.efi };
        await c.setBootPxe(sys, want, deadline);
        sys = await c.system(deadline);
        o.bootFlags = bootFlagsFromRedfish(sys.boot);
        const off = bootMismatch(o.bootFlags, want);
        if (off.length) o.notes.push(`read back: ${off.join('; ')}`);
        o.confirmed = off.length === 0;
        return o;
      }
    }
  } finally {
    await c.logout(deadline);
  }
}

// ---- runner --------------------------------------------------------------------------------------------

/** One action on one BMC. Never throws: failures are in the result. */
export async function runBmcAction(target: BmcTarget, action: BmcAction, opts: BmcRunOptions = {}): Promise<BmcResult> {
  const started = Date.now();
  const deadline: Deadline = { at: started + (opts.timeoutMs ?? DEFAULT_BMC_TIMEOUT_MS) };
  const base = { id: target.id, name: target.name, host: target.host, protocol: target.protocol, action: action.kind };
  let outcome = empty();
  let error: BmcResult['error'] = null;
  let extraNotes: string[] = [];
  try {
    if (target.protocol === 'ipmi') {
      const session = new IpmitoolSession(target, opts.cipherSuites ?? DEFAULT_CIPHER_SUITES, opts.ipmitool);
      try {
        outcome = await ipmiAction(session, action, deadline);
      } finally {
        extraNotes = session.notes;
        if (session.workingSuite !== null && session.workingSuite !== target.cipherSuite) opts.onLearned?.(target.id, { cipherSuite: session.workingSuite });
      }
    } else {
      const client = new RedfishClient(target, {
        pinnedFingerprint256: target.tlsFingerprint256,
        onFirstUse: (fp) => opts.onLearned?.(target.id, { tlsFingerprint256: fp }),
      });
      try {
        outcome = await redfishAction(client, action, deadline);
      } finally {
        extraNotes = client.notes;
        if (!target.tlsFingerprint256 && client.seenFingerprint256) extraNotes = [...extraNotes, `certificate ${client.seenFingerprint256} trusted on first use`];
      }
    }
  } catch (err) {
    const failure = err instanceof BmcFailure ? err : new BmcFailure(BmcErrorKind.Failed, err instanceof Error ? err.message : String(err));
    error = { kind: failure.kind, message: redact(failure.message, target.password) };
  }
  const result: BmcResult = {
    ...base,
    ok: error === null,
    power: outcome.power,
    bootFlags: outcome.bootFlags,
    confirmed: outcome.confirmed,
    macs: outcome.macs,
    notes: [...extraNotes, ...outcome.notes].map((n) => redact(n, target.password)),
    error,
    durationMs: Date.now() - started,
  };
  opts.log?.[result.ok ? 'info' : 'warn'](`${target.name}: ${action.kind} ${result.ok ? 'ok' : `failed (${error?.kind}: ${error?.message})`}`, {
    fields: { bmc: target.id, protocol: target.protocol, durationMs: result.durationMs },
  });
  return result;
}

/** One action on many BMCs, at most `concurrency` at a time. Results come back in the order of `targets`. */
export async function runBmcActions(targets: readonly BmcTarget[], action: BmcAction, opts: BmcRunOptions = {}): Promise<BmcResult[]> {
  const limit = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_BMC_CONCURRENCY));
  const results: BmcResult[] = new Array<BmcResult>(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const r = await runBmcAction(targets[i]!, action, opts);
      results[i] = r;
      opts.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, targets.length) }, worker));
  return results;
}
