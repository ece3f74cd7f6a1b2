/**
 * Why a listener could not open, as a FieldbootError the technician can act on: the port is taken,
 * the process lacks the privilege, or the address is not on this machine. Shared by every server.
 */
import { ErrorCode, FieldbootError } from '../../../shared/errors';

export function listenError(err: unknown, protocol: string, address: string, port: number): FieldbootError {
  const code = (err as { code?: unknown }).code;
  const detail = err instanceof Error ? err.message : String(err);
  const where = `${address}:${port}`;
  if (code === 'EADDRINUSE') return new FieldbootError(ErrorCode.PortInUse, `${protocol} port ${port} on ${address} is already in use (${detail})`);
  if (code === 'EACCES' || code === 'EPERM') return new FieldbootError(ErrorCode.NoPrivilege, `No permission to open ${protocol} port ${port} on ${address} (${detail})`);
  if (code === 'EADDRNOTAVAIL') return new FieldbootError(ErrorCode.NoIpv4OnInterface, `Cannot listen for ${protocol} on ${where}: no interface has that address (${detail})`);
  return new FieldbootError(ErrorCode.Internal, `Cannot listen for ${protocol} on ${where}: ${detail}`);
}
