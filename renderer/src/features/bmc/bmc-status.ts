/**
 * What a BMC row says: a short title in plain words, the BMC's own detail, and what to do (the hint table in
 * shared/model/bmc.ts). Pure, so the wording is tested without a browser.
 */
import {
  BMC_ERROR_HINTS,
  BMC_ERROR_TEXT,
  BmcActionKind,
  BmcInstallStep,
  DEFAULT_BMC_TIMEOUT_MS,
  type BmcActionKind as BmcActionKindT,
  type BmcError,
  type BmcInstallResult,
  type BmcResult,
  type BootFlags,
  type PowerState,
} from '../../../../shared/model/bmc';

export type BmcRowPhase = 'queued' | 'running' | 'ok' | 'warning' | 'failed';

export interface BmcRowStatus {
  phase: BmcRowPhase;
  title: string;
  detail: string | null;
  hint: string | null;
  /** What happened on the way (fallbacks, "was off: powered on"). */
  notes: string[];
  power: PowerState | null;
}

const STEP_TEXT: Record<BmcActionKindT, string> = {
  'power-status': 'Checking…',
  'power-on': 'Powering on…',
  'power-off': 'Powering off…',
  'power-cycle': 'Power-cycling…',
  'power-reset': 'Resetting…',
  'boot-pxe': 'Setting network boot…',
  'boot-flags': 'Reading boot device…',
  'nic-macs': 'Reading NIC MACs…',
};

export function describeStep(step: BmcActionKindT): string {
  return STEP_TEXT[step];
}

/** "Bad credentials", "Unreachable", "Timeout (no answer within 15 s)", ... */
export function errorTitle(error: BmcError): string {
  const text = BMC_ERROR_TEXT[error.kind];
  const title = text.charAt(0).toUpperCase() + text.slice(1);
  return error.kind === 'timeout' ? `${title} (no answer within ${DEFAULT_BMC_TIMEOUT_MS / 1000} s)` : title;
}

export function describeBoot(f: BootFlags): string {
  const device = f.device === 'pxe' ? 'network (PXE)' : f.device;
  const mode = f.efi === null ? '' : f.efi ? ', UEFI' : ', BIOS';
  return `${device}, ${f.persistent ? 'every boot' : 'next boot only'}${mode}`;
}

function failed(error: BmcError, power: PowerState | null, notes: string[], prefix = ''): BmcRowStatus {
  return { phase: 'failed', title: `${prefix}${errorTitle(error)}`, detail: error.message, hint: BMC_ERROR_HINTS[error.kind], notes, power };
}

export function rowFromResult(r: BmcResult): BmcRowStatus {
  if (r.error) return failed(r.error, r.power, r.notes);
  const parts: string[] = [];
  switch (r.action) {
    case BmcActionKind.PowerStatus:
      parts.push('Reachable, credentials accepted');
      break;
    case BmcActionKind.BootPxe:
    case BmcActionKind.BootFlags:
      if (r.bootFlags) parts.push(`Boot: ${describeBoot(r.bootFlags)}`);
      break;
    case BmcActionKind.NicMacs:
      parts.push(r.macs?.length ? `NICs: ${r.macs.join(', ')}` : 'No NIC MACs listed');
      break;
    default:
      parts.push('Done');
  }
  if (r.power) parts.push(`power ${r.power}`);
  const warn = r.confirmed === false;
  return { phase: warn ? 'warning' : 'ok', title: parts.join(', '), detail: warn ? 'The BMC did not read back exactly what was set.' : null, hint: null, notes: r.notes, power: r.power };
}

export function rowFromInstall(r: BmcInstallResult): BmcRowStatus {
  const notes = r.steps.flatMap((s) => s.notes);
  if (r.error) {
    const prefix = r.failedStep === BmcInstallStep.BootPxe ? 'Not started: ' : 'Network boot set, but power cycle failed: ';
    return failed(r.error, r.power, notes, prefix);
  }
  const wasOff = notes.includes('was off: powered on');
  const title = `Installing: network boot set, ${wasOff ? 'was off, powered on' : 'power-cycled'}`;
  if (r.confirmed === false) {
    return {
      phase: 'warning',
      title,
      detail: 'The BMC did not read back the network boot exactly as set; watch the console, or set it in the BMC web page.',
      hint: null,
      notes,
      power: r.power,
    };
  }
  return { phase: 'ok', title, detail: null, hint: null, notes, power: r.power };
}
