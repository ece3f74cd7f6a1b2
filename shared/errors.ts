/**
 * Errors that cross a process boundary are data, not exceptions: `{ code, message, hint }`.
 * `message` says what happened (with specifics); `hint` says what the technician can do about it.
 */

export const ErrorCode = {
  PortInUse: 'port-in-use',
  NoSuchInterface: 'no-such-interface',
  NoIpv4OnInterface: 'no-ipv4-on-interface',
  NoPrivilege: 'no-privilege',
  BadOption: 'bad-option',
  BadRange: 'bad-range',
  RootNotFound: 'root-not-found',
  PoolExhausted: 'pool-exhausted',
  ForeignDhcpServer: 'foreign-dhcp-server',
  StateDirUnwritable: 'state-dir-unwritable',
  AlreadyServing: 'already-serving',
  NotServing: 'not-serving',
  EngineDied: 'engine-died',
  EngineUnresponsive: 'engine-unresponsive',
  FileNotFound: 'file-not-found',
  IsoUnreadable: 'iso-unreadable',
  ProfileInvalid: 'profile-invalid',
  NetbootUnusable: 'netboot-unusable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint: string;
}

/** User-facing hints, one per code. Plain words for someone standing in a cold aisle. */
export const ERROR_HINTS: Record<ErrorCode, string> = {
  'port-in-use':
    'Another program is already listening on this port (often dnsmasq, a TFTP server or a web server). Stop it, or pick another port in Settings.',
  'no-such-interface': 'That network interface does not exist. Run "fieldboot interfaces" to list the ones this machine has.',
  'no-ipv4-on-interface':
    'The interface has no IPv4 address. Give it one (for example 10.77.0.1/24) before serving, or let FieldBoot assign one.',
  'no-privilege':
    'Ports 67 and 69 need administrator rights. Run as root (sudo), or allow FieldBoot to start its privileged engine.',
  'bad-option': 'Check the command line: run "fieldboot --help" for the options.',
  'bad-range': 'The DHCP range must be FIRST-LAST inside the interface subnet, e.g. 10.77.0.100-10.77.0.200.',
  'root-not-found': 'The boot folder given with --root does not exist or is not a folder.',
  'pool-exhausted': 'Every address in the DHCP range is leased. Widen the range or shorten the lease time.',
  'foreign-dhcp-server':
    'Another DHCP server answers on this network. Use proxy mode so FieldBoot adds only the boot information.',
  'state-dir-unwritable': 'FieldBoot cannot write its state folder. Pick a folder you can write to with --state-dir.',
  'already-serving': 'FieldBoot is already serving. Stop it first.',
  'not-serving': 'FieldBoot is not serving.',
  'engine-died': 'The network engine stopped unexpectedly. Start serving again; if it repeats, export diagnostics.',
  'engine-unresponsive': 'The network engine stopped answering and was shut down. Start serving again.',
  'file-not-found': 'The client asked for a file that is not in the boot tree.',
  'iso-unreadable':
    'The image could not be read as an ISO 9660 or UDF disc image. Check that the download finished (compare its checksum) and that it is an installer ISO, not a compressed or raw disk image.',
  'profile-invalid':
    'The answer-file profile has errors (listed above). Fix them in the wizard or the profile file, then start again: nothing was served with a broken profile.',
  'netboot-unusable':
    "Debian's CD/DVD installer needs the netboot kernel and initrd of the same point release (netboot.tar.gz from the Debian mirror's installer-<arch>/current/images/netboot/). Give that file with the image.",
  internal: 'An unexpected error. Export diagnostics and report it.',
};

export function errorInfo(code: ErrorCode, message: string, hint?: string): ErrorInfo {
  return { code, message, hint: hint ?? ERROR_HINTS[code] };
}

/** An exception carrying an ErrorInfo; thrown inside a process, turned into data at its edge. */
export class FieldbootError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'FieldbootError';
    this.code = code;
    this.hint = hint ?? ERROR_HINTS[code];
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turn anything thrown into ErrorInfo: known errors keep their code, OS errors are classified. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof FieldbootError) return err.toInfo();
  const e = err as { code?: unknown; message?: unknown; port?: unknown; address?: unknown } | null;
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  const sysCode = e && typeof e.code === 'string' ? e.code : '';
  if (sysCode === 'EADDRINUSE') return errorInfo(ErrorCode.PortInUse, message);
  if (sysCode === 'EACCES' || sysCode === 'EPERM') return errorInfo(ErrorCode.NoPrivilege, message);
  return errorInfo(ErrorCode.Internal, message);
}
