/** Errors of the DHCP codec: what went wrong and at which byte, so a debug log line says where to look. */

/** Input bytes are not a DHCP message we can read. `offset` is the byte where reading stopped. */
export class DhcpDecodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'DhcpDecodeError';
    this.offset = offset;
  }
}

/** A packet value that cannot be put on the wire (a caller bug, or a reply that cannot fit the client's limit). */
export class DhcpEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DhcpEncodeError';
  }
}
