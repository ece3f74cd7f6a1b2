/**
 * UDP sockets for DHCP that hear one interface only (see the appendix and addendum of the team's library
 * evaluation, verified in network namespaces):
 *
 * - Broadcasts to 255.255.255.255 reach only sockets bound to 0.0.0.0 on Linux and macOS, from every interface.
 *   Linux: SO_BINDTOIFINDEX (the `sockopt` package; Node has no SO_BINDTODEVICE) narrows the socket to one
 *   interface. macOS: IP_BOUND_IF does the same (not verified here). Windows is believed to deliver broadcasts
 *   to a socket bound to the interface's own address, so there we bind that instead (not verified here).
 * - Replies to 255.255.255.255 leave by the source address's interface only when the sending socket is bound to
 *   that address, so replies go out through a second socket bound to serverIp:port.
 * - Both share the port through SO_REUSEADDR, which would also let us share it with a running dnsmasq; so first
 *   a throw-away bind WITHOUT reuse detects one and fails the start with "port in use".
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { Log } from '../log';

/** Socket option numbers (integers, the only kind `sockopt` can pass). */
export const SocketOption = {
  /** Linux include/uapi/asm-generic/socket.h (x86-64, arm64). */
  LinuxSolSocket: 1,
  LinuxSoBindToIfindex: 62, // Linux 5.0+
  /** macOS netinet/in.h. */
  DarwinIpprotoIp: 0,
  DarwinIpBoundIf: 25,
} as const;

/** Bigger than the 208 KiB default so a burst of PXE ROMs (or perfdhcp) queues instead of being dropped. */
export const DHCP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

interface SockoptModule {
  setsockopt(socket: { _handle: { fd: number } }, level: number, name: number, value: number): void;
  getsockopt(socket: { _handle: { fd: number } }, level: number, name: number): number;
}

let sockopt: SockoptModule | null | undefined;
function loadSockopt(log: Log): SockoptModule | null {
  if (sockopt !== undefined) return sockopt;
  try {
    sockopt = createRequire(import.meta.url)('sockopt') as SockoptModule;
  } catch (err) {
    log.warn(`the sockopt module is unavailable (${(err as Error).message})`);
    sockopt = null;
  }
  return sockopt;
}

function portError(err: unknown, port: number, where: string): FieldbootError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new FieldbootError(ErrorCode.PortInUse, `UDP port ${port} is in use on ${where} (another DHCP server such as dnsmasq?)`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new FieldbootError(ErrorCode.NoPrivilege, `not allowed to listen on UDP port ${port} on ${where}`);
  }
  return err;
}

/** Bind without SO_REUSEADDR and close again: fails when anyone else holds the port. */
export async function probeUdpPort(port: number, address: string, where: string): Promise<void> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port, address, exclusive: true }, () => {
        s.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw portError(err, port, where);
  } finally {
    try {
      s.close();
    } catch {
      /* never bound */
    }
  }
}

export interface UdpBindOptions {
  port: number;
  address: string;
  reuseAddr: boolean;
  broadcast?: boolean;
  where: string;
  onMessage: (msg: Buffer, rinfo: dgram.RemoteInfo) => void;
  onError: (err: Error) => void;
}

export async function bindUdp(o: UdpBindOptions): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: o.reuseAddr });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port: o.port, address: o.address, exclusive: true }, () => {
        s.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    try {
      s.close();
    } catch {
      /* never bound */
    }
    throw portError(err, o.port, o.where);
  }
  if (o.broadcast) s.setBroadcast(true);
  try {
    s.setRecvBufferSize(DHCP_RECV_BUFFER_BYTES);
  } catch {
    /* the kernel caps it (rmem_max); the default still works */
  }
  s.on('message', o.onMessage);
  s.on('error', o.onError);
  return s;
}

/** The interface index: sysfs on Linux; elsewhere the scope id of the interface's IPv6 link-local address. */
export function interfaceIndex(name: string): number | null {
  if (process.platform === 'linux') {
    try {
      const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }
  const ll = networkInterfaces()[name]?.find((a) => a.family === 'IPv6' && a.scopeid);
  return ll?.scopeid ?? null;
}

/** The file descriptor without the deprecated `socket._handle` getter (DEP0112 prints a warning). */
function fdOf(sock: dgram.Socket): number | null {
  for (const sym of Object.getOwnPropertySymbols(sock)) {
    const state = (sock as unknown as Record<symbol, unknown>)[sym] as { handle?: { fd?: unknown } } | undefined;
    if (state && typeof state === 'object' && state.handle && typeof state.handle.fd === 'number') return state.handle.fd;
  }
  return null;
}

/**
 * Narrow a bound socket to one interface. Returns true when the kernel confirmed it; false (with a warning)
 * where that is not possible, in which case DHCP traffic from other interfaces may reach the server.
 */
export function bindSocketToInterface(sock: dgram.Socket, ifname: string, log: Log): boolean {
  const platform = process.platform;
  if (platform !== 'linux' && platform !== 'darwin') {
    log.warn(`cannot bind DHCP sockets to ${ifname} on ${platform}; relying on the interface address binding`);
    return false;
  }
  const index = interfaceIndex(ifname);
  if (index === null) throw new FieldbootError(ErrorCode.NoSuchInterface, `no network interface named "${ifname}"`);
  const so = loadSockopt(log);
  const fd = fdOf(sock);
  if (!so || fd === null) {
    log.warn(`cannot bind DHCP sockets to ${ifname}: ${so ? 'no socket descriptor' : 'sockopt unavailable'}; requests from other interfaces may be answered`);
    return false;
  }
  const [level, name] =
    platform === 'linux'
      ? [SocketOption.LinuxSolSocket, SocketOption.LinuxSoBindToIfindex]
      : [SocketOption.DarwinIpprotoIp, SocketOption.DarwinIpBoundIf];
  try {
    so.setsockopt({ _handle: { fd } }, level, name, index);
    const got = so.getsockopt({ _handle: { fd } }, level, name);
    if (got !== index) throw new Error(`the kernel reports interface index ${got}, not ${index}`);
    return true;
  } catch (err) {
    log.warn(`cannot bind DHCP sockets to ${ifname} (${(err as Error).message}); requests from other interfaces may be answered`);
    return false;
  }
}

/** Where the receive socket binds: see the file comment. */
export function receiveAddress(serverIp: string): string {
  return process.platform === 'win32' ? serverIp : '0.0.0.0';
}
