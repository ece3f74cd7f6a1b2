/**
 * Linux UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+) for TFTP windows: one sendmsg carries a
 * whole RFC 7440 window laid out as back-to-back [header | block] datagrams of one stride, and the kernel
 * (or the NIC) cuts it into separate datagrams; only the last may be shorter. Node has no sendmmsg, and on
 * the benchmark VM a window of 16 separate sends cost about 16 x 12-17 µs of syscalls and stack traversal.
 * Receivers see ordinary datagrams. Set through the `sockopt` package (integers only, which this is);
 * elsewhere (macOS, Windows, no sockopt) it is simply not enabled.
 */
import type { Socket } from 'node:dgram';
import { createRequire } from 'node:module';

/** Linux include/uapi/linux/udp.h and netinet/in.h. */
export const UdpGsoOption = {
  SolUdp: 17,
  UdpSegment: 103,
} as const;

/** Kernel cap on segments per GSO send (UDP_MAX_SEGMENTS, include/linux/udp.h: 64 before Linux 6.9). */
export const UDP_GSO_MAX_SEGMENTS = 64;
/** One UDP datagram's payload limit applies to the whole GSO send (IPv4: 65535 - 20 - 8). */
export const UDP_GSO_MAX_BYTES = 65507;

interface SockoptModule {
  setsockopt(socket: Socket, level: number, name: number, value: number): void;
}

let sockopt: SockoptModule | null | undefined;
function loadSockopt(): SockoptModule | null {
  if (sockopt === undefined) {
    try {
      sockopt = process.platform === 'linux' ? (createRequire(import.meta.url)('sockopt') as SockoptModule) : null;
    } catch {
      sockopt = null;
    }
  }
  return sockopt;
}

/**
 * Sets the segment size on a bound socket (0 turns GSO off again). Returns false (and changes nothing) where
 * UDP_SEGMENT is not available; a send the kernel then refuses (no checksum offload on the route: EIO;
 * segment bigger than the MTU: EMSGSIZE or EINVAL) is the caller's cue to set 0 and go back to one send per
 * datagram. Setting 0 matters: while a segment size is set the kernel never IP-fragments, so a datagram
 * over the MTU would be refused too.
 */
export function setUdpGsoSegment(socket: Socket, segmentBytes: number): boolean {
  const mod = loadSockopt();
  if (!mod) return false;
  try {
    mod.setsockopt(socket, UdpGsoOption.SolUdp, UdpGsoOption.UdpSegment, segmentBytes);
    return true;
  } catch {
    return false;
  }
}
