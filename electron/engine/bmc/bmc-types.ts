/**
 * Engine-side BMC types: a target is a stored (or one-off) BMC with its password, handed to a driver for one
 * action and never serialised. Failures travel as BmcFailure until the action runner turns them into a BmcError.
 */
import type { BmcEntry, BmcError, BmcErrorKind } from '../../../shared/model/bmc';

export interface BmcTarget extends Omit<BmcEntry, 'hasPassword' | 'addedAt'> {
  /** Plain text, in memory only for the length of one action. */
  password: string;
}

/** A classified failure. `message` must never contain the password (drivers redact before throwing). */
export class BmcFailure extends Error {
  readonly kind: BmcErrorKind;
  constructor(kind: BmcErrorKind, message: string) {
    super(message);
    this.name = 'BmcFailure';
    this.kind = kind;
  }
  toError(): BmcError {
    return { kind: this.kind, message: this.message };
  }
}

/** An absolute point in time an action must finish by; each call gets what is left. */
export interface Deadline {
  at: number;
}

export function remainingMs(deadline: Deadline): number {
  return Math.max(0, deadline.at - Date.now());
}

/** Remove every occurrence of a secret from text about to be shown or logged. */
export function redact(text: string, secret: string): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
