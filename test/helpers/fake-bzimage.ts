/**
 * A file with an x86 Linux boot header (Documentation/arch/x86/boot.rst) naming a kernel release, for tests
 * that read a kernel's version without booting it.
 */
export function fakeBzImage(release: string, opts: { x86_64?: boolean; size?: number } = {}): Buffer {
  const b = Buffer.alloc(opts.size ?? 4096);
  b.writeUInt32LE(0x53726448, 0x202); // "HdrS"
  b.writeUInt16LE(0x020f, 0x206); // boot protocol 2.15
  b.writeUInt16LE(0x0280 - 0x200, 0x20e); // kernel_version pointer (minus 0x200)
  b[0x236] = opts.x86_64 === false ? 0 : 1; // xloadflags: XLF_KERNEL_64
  b.write(`${release} (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian\0`, 0x280, 'latin1');
  return b;
}
